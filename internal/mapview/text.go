package mapview

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// SVG text does not wrap, so the drawing wraps it: by an estimate of each
// rune's width, which is all a server can know without the browser's
// fonts. The estimate errs wide, so text stays inside its box.

// runeWidth is a rune's width in ems: East Asian wide and full-width runes
// take a whole em, combining marks and joiners none, the rest about 0.6.
func runeWidth(r rune) float64 {
	switch {
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), r == '\u200d', r == '\u200c':
		return 0
	case r >= 0x1F300: // pictographs and emoji
		return 1.1
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 1
	}
	if unicode.IsUpper(r) || r == 'm' || r == 'w' || r == 'M' || r == 'W' {
		return 0.72
	}
	return 0.58
}

// textWidth is the estimated width of s in pixels at a font size.
func textWidth(s string, fontPx float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w * fontPx
}

// wrap breaks s into lines no wider than maxPx, at spaces where it can and
// inside a word where one word alone is too wide. At most maxLines lines
// are kept; the last one then ends in an ellipsis. truncated says whether
// anything was left out, so the caller can offer the whole text as a
// tooltip.
func wrap(s string, maxPx, fontPx float64, maxLines int) (lines []string, truncated bool) {
	words := strings.Fields(s)
	var cur strings.Builder
	curW := 0.0
	space := runeWidth(' ') * fontPx
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW = 0
	}
	for _, word := range words {
		ww := textWidth(word, fontPx)
		if cur.Len() > 0 && curW+space+ww <= maxPx {
			cur.WriteByte(' ')
			cur.WriteString(word)
			curW += space + ww
			continue
		}
		switch {
		case ww > maxPx && cur.Len() > 0:
			// A word too wide for any line starts right here rather than
			// leave a short line behind.
			cur.WriteByte(' ')
			curW += space
		case cur.Len() > 0:
			flush()
		}
		// A word too wide for a line is broken by runes.
		for _, r := range word {
			rw := runeWidth(r) * fontPx
			if curW+rw > maxPx && cur.Len() > 0 {
				flush()
			}
			cur.WriteRune(r)
			curW += rw
		}
	}
	if cur.Len() > 0 {
		flush()
	}
	if len(lines) <= maxLines {
		return lines, false
	}
	lines = lines[:maxLines]
	lines[maxLines-1] = ellipsize(lines[maxLines-1], maxPx, fontPx)
	return lines, true
}

// ellipsize ends a line with "…", shortening it to make room.
func ellipsize(line string, maxPx, fontPx float64) string {
	runes := []rune(line)
	ell := runeWidth('…') * fontPx
	for len(runes) > 0 && textWidth(string(runes), fontPx)+ell > maxPx {
		runes = runes[:len(runes)-1]
	}
	return strings.TrimRight(string(runes), " ") + "…"
}
