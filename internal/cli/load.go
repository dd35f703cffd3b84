package cli

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// stdinName is how diagnostics name manifests read from standard input.
const stdinName = "<stdin>"

// document is one YAML document of an input file.
type document struct {
	file string
	// line is the 1-based line of the document's first content line, which
	// diagnostics about the whole object point at.
	line int
	// firstLine is the line the document's text starts at; the YAML
	// parser counts its lines from there.
	firstLine int
	text      []byte
}

// readInputs reads every document of the given paths: files, directories
// (recursively, *.yaml and *.yml) and "-" for stdin. A path that cannot be
// read is a diagnostic; the other paths are still read.
func readInputs(paths []string, stdin io.Reader) ([]document, []Diagnostic) {
	var docs []document
	var diags []Diagnostic
	readOne := func(name string, r io.Reader) {
		d, err := splitDocuments(name, r)
		if err != nil {
			diags = append(diags, Diagnostic{File: name, Severity: SeverityError, Message: fmt.Sprintf("reading: %v", err)})
		}
		docs = append(docs, d...)
	}
	for _, path := range paths {
		if path == "-" {
			readOne(stdinName, stdin)
			continue
		}
		info, err := os.Stat(path)
		if err != nil {
			diags = append(diags, Diagnostic{File: path, Severity: SeverityError, Message: err.Error()})
			continue
		}
		if !info.IsDir() {
			readFile(path, readOne, &diags)
			continue
		}
		// A trailing separator makes WalkDir follow a symlinked root, as
		// os.Stat above did; it does not follow links below it.
		root := path
		if !strings.HasSuffix(root, string(filepath.Separator)) {
			root += string(filepath.Separator)
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				diags = append(diags, Diagnostic{File: p, Severity: SeverityError, Message: err.Error()})
				return nil
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				readFile(p, readOne, &diags)
			}
			return nil
		})
		if err != nil {
			diags = append(diags, Diagnostic{File: path, Severity: SeverityError, Message: err.Error()})
		}
	}
	return docs, diags
}

func readFile(path string, readOne func(string, io.Reader), diags *[]Diagnostic) {
	f, err := os.Open(path)
	if err != nil {
		*diags = append(*diags, Diagnostic{File: path, Severity: SeverityError, Message: err.Error()})
		return
	}
	// Read only: a failed close loses nothing.
	defer func() { _ = f.Close() }()
	readOne(path, f)
}

// splitDocuments splits a YAML stream at its "---" separators, remembering
// where each document starts. Splitting by lines is exact here: a line
// starting with "---" at column 0 can only be a separator, since the
// content of a block scalar is indented.
func splitDocuments(name string, r io.Reader) ([]document, error) {
	var docs []document
	cur := document{file: name, firstLine: 1}
	flush := func() {
		if cur.line > 0 {
			docs = append(docs, cur)
		}
	}
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; scanner.Scan(); n++ {
		line := scanner.Text()
		if strings.HasPrefix(line, "---") && (len(line) == 3 || line[3] == ' ' || line[3] == '\t') {
			flush()
			cur = document{file: name, firstLine: n + 1}
			// "--- {a: 1}" starts a document on the separator's line.
			line = strings.TrimSpace(line[3:])
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			cur.firstLine = n
		}
		if line == "..." {
			continue
		}
		if cur.line == 0 {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				cur.line = n
			}
		}
		cur.text = append(cur.text, line...)
		cur.text = append(cur.text, '\n')
	}
	flush()
	return docs, scanner.Err()
}

// yamlLine finds the line number in a YAML parser error.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// decode parses a document into a JSON-compatible object, numbers as the
// apiserver decodes them (int64 where integral). Duplicate keys are reported
// as strict field validation would and the last value kept, as the
// apiserver does without it.
func (d document) decode() (any, []Diagnostic) {
	var diags []Diagnostic
	j, err := yaml.YAMLToJSONStrict(d.text)
	if err != nil {
		lenient, lerr := yaml.YAMLToJSON(d.text)
		if lerr != nil {
			line, msg := d.yamlError(lerr)
			return nil, []Diagnostic{{File: d.file, Line: line, Severity: SeverityError, Message: "not YAML: " + msg}}
		}
		line, msg := d.yamlError(err)
		diags = append(diags, Diagnostic{File: d.file, Line: line, Severity: SeverityError, Message: "duplicate field: " + msg})
		j = lenient
	}
	var obj any
	if err := utiljson.Unmarshal(j, &obj); err != nil {
		return nil, append(diags, Diagnostic{File: d.file, Line: d.line, Severity: SeverityError, Message: fmt.Sprintf("not a Kubernetes object: %v", err)})
	}
	return obj, diags
}

// yamlError turns the document-relative line of a YAML parser error into a
// line of the file, in the position and in the message; the document's
// start when the error names no line.
func (d document) yamlError(err error) (int, string) {
	line := d.line
	msg := yamlLine.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, convErr := strconv.Atoi(strings.TrimPrefix(m, "line "))
		if convErr != nil {
			return m
		}
		line = d.firstLine + n - 1
		return fmt.Sprintf("line %d", line)
	})
	// One line per diagnostic: the parser lists several problems on
	// indented lines.
	return line, strings.Join(strings.Fields(msg), " ")
}
