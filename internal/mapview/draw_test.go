package mapview

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	goldenfile "github.com/journeymap/journey-operator/internal/test/golden"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got)
}

func TestDrawGolden(t *testing.T) {
	for name, in := range map[string]Input{
		"business-phone.svg":    businessPhone(t),
		"marketing-offline.svg": marketing(t),
		"hostile.svg":           hostile(),
	} {
		t.Run(name, func(t *testing.T) {
			svg, err := SVGDocument(in)
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, svg)
			golden(t, name, svg)
		})
	}
}

// wellFormed checks the SVG parses as XML, as an SVG file must.
func wellFormed(t *testing.T, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}

func TestDrawEscapesFreeText(t *testing.T) {
	svg, err := Draw(hostile())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>window", "<img", "onerror=\""} {
		if bytes.Contains(svg, []byte(bad)) {
			t.Errorf("drawing holds %q unescaped", bad)
		}
	}
	if !bytes.Contains(svg, []byte("&lt;script&gt;window.pwned=1&lt;/script&gt;")) {
		t.Error("the markup is not shown as text")
	}
}

func TestDrawCardsAndCurve(t *testing.T) {
	in := businessPhone(t)
	v := layout(in)
	var want []string
	for _, s := range in.Map.Spec.Stages {
		for _, tp := range s.Touchpoints {
			want = append(want, s.Name+"/"+tp.Name)
		}
	}
	var got []string
	for _, c := range v.Cards {
		got = append(got, c.Stage+"/"+c.Name)
	}
	if strings.Join(got, " ") == "" || len(got) != len(want) {
		t.Fatalf("cards %v, want one per touchpoint %v", got, want)
	}
	health := map[string]string{}
	for _, c := range v.Cards {
		health[c.Name] = c.Health
	}
	for tp, h := range map[string]string{"admin-portal": "Critical", "porting-api": "Healthy", "sip-gateway": "Unknown", "search-ads": Unmonitored} {
		if health[tp] != h {
			t.Errorf("card %s: health %q, want %q", tp, health[tp], h)
		}
	}
	if len(v.Emotion.Dots) != len(in.Map.Spec.Stages) {
		t.Fatalf("%d emotion points for %d stages", len(v.Emotion.Dots), len(in.Map.Spec.Stages))
	}
	for i, d := range v.Emotion.Dots {
		if e := in.Map.Spec.Stages[i].Emotion; d.Emotion != e || d.Y != v.Emotion.Zero-int(e)*EmotionStep {
			t.Errorf("stage %d: point at emotion %d, y %d; want %d at %d", i, d.Emotion, d.Y, e, v.Emotion.Zero-int(e)*EmotionStep)
		}
	}
}

func TestDrawWithoutMap(t *testing.T) {
	if _, err := Draw(Input{}); err == nil {
		t.Error("no error without a map")
	}
}

func TestPageIsSelfContained(t *testing.T) {
	for _, live := range []bool{false, true} {
		page, err := Page(businessPhone(t), PageOptions{Live: live, EventsPath: "/events", HistoryPath: "/history"})
		if err != nil {
			t.Fatal(err)
		}
		for _, external := range []string{"src=\"http", "href=\"http", "<link", "@import", "url("} {
			if bytes.Contains(page, []byte(external)) {
				t.Errorf("live=%v: page refers to an external asset (%s)", live, external)
			}
		}
		if got := bytes.Contains(page, []byte("<script>")); got != live {
			t.Errorf("live=%v: page has a script: %v", live, got)
		}
	}
}

func TestWrap(t *testing.T) {
	lines, cut := wrap("one two three four five six seven eight nine ten", 60, fontPx, 2)
	if len(lines) != 2 || !cut || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("wrap = %q, %v", lines, cut)
	}
	lines, _ = wrap(strings.Repeat("x", 100), 60, fontPx, 10)
	for _, l := range lines {
		if textWidth(l, fontPx) > 60 {
			t.Errorf("line %q wider than 60px", l)
		}
	}
	if lines, _ := wrap("", 60, fontPx, 2); len(lines) != 0 {
		t.Errorf("empty text wraps to %q", lines)
	}
}
