package mapview

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
)

//go:embed assets
var assets embed.FS

// templates are parsed once; the CSS and the script are templates only so
// that html/template places them in their elements, not interpolated.
var templates = func() *template.Template {
	read := func(name string) string {
		data, err := assets.ReadFile("assets/" + name)
		if err != nil {
			panic(err) // embedded at build time: cannot be missing
		}
		return string(data)
	}
	t := template.New("svg")
	template.Must(t.New("css").Parse(read("map.css")))
	template.Must(t.New("pagecss").Parse(read("page.css")))
	template.Must(t.New("js").Parse(read("map.js")))
	template.Must(t.New("map").Parse(read("map.svg.tmpl")))
	template.Must(t.New("page").Parse(read("page.html.tmpl")))
	template.Must(t.New("index").Parse(read("index.html.tmpl")))
	return t
}()

// Draw draws the map as an SVG element, for a page or, behind an XML
// declaration (SVGDocument), a file of its own.
func Draw(in Input) ([]byte, error) {
	if in.Map == nil {
		return nil, errors.New("mapview: no JourneyMap to draw")
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "map", layout(in)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVGDocument is the drawing as a standalone SVG file.
func SVGDocument(in Input) ([]byte, error) {
	svg, err := Draw(in)
	if err != nil {
		return nil, err
	}
	return append([]byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"), svg...), nil
}

// PageOptions say how a page gets its updates.
type PageOptions struct {
	// Live pages carry the script that follows EventsPath; static ones
	// carry no script at all.
	Live bool
	// EventsPath is the server-sent event stream of the map: "map" events
	// carry a new drawing, "state" events the connection to the cluster,
	// "deleted" events say the map is gone.
	EventsPath string
	// HistoryPath, when set, serves the health history the slider replays.
	HistoryPath string
	// Note is shown in a static page's bar, e.g. where it was drawn from.
	Note string
}

// page is what the page template shows.
type page struct {
	PageOptions
	Title string
	SVG   template.HTML
}

// Page is a self-contained HTML page showing the drawing: no asset is
// fetched from anywhere.
func Page(in Input, opts PageOptions) ([]byte, error) {
	svg, err := Draw(in)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	p := page{PageOptions: opts, Title: "Journey map " + in.Map.Namespace + "/" + in.Map.Name,
		// The drawing was produced by the map template, which escaped
		// every text it holds.
		SVG: template.HTML(svg)} //nolint:gosec // see above
	if err := templates.ExecuteTemplate(&buf, "page", p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// IndexEntry is one map in the index page.
type IndexEntry struct {
	Namespace, Name, Health, Path string
}

// Index is the page listing the maps a server shows.
func Index(entries []IndexEntry) ([]byte, error) {
	var buf bytes.Buffer
	err := templates.ExecuteTemplate(&buf, "index", entries)
	return buf.Bytes(), err
}
