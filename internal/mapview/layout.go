package mapview

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// Sizes of the drawing, in pixels.
const (
	pad      = 16
	labelW   = 150
	colW     = 232
	gap      = 10
	cardW    = colW - 2*gap
	fontPx   = 12
	lineH    = 16
	minWidth = 980
	rollupW  = 330
	// EmotionStep is the vertical distance between two emotion scores on
	// the curve: a point of emotion e sits e*EmotionStep above neutral.
	EmotionStep = 22
	emotionH    = 4*EmotionStep + 4*lineH
)

// view is the laid-out drawing the SVG template draws.
type view struct {
	ID            string
	Name          string
	Width, Height int
	Header        []block
	Rollup        rollup
	Bands         []band
	Stages        []stageHead
	Cells         []block
	Cards         []card
	Emotion       emotionCurve
	Visibility    *int
	Footer        []block
}

// block is text at a place: one or more lines, a tooltip with the whole
// text when the lines cut it short.
type block struct {
	X, Y  int
	Class string
	Lines []string
	Title string
}

// band is a lane: its label and its stripe across the columns.
type band struct {
	Y, H  int
	Class string
	Label block
}

type rollup struct {
	X, Y, W, H int
	Class      string
	Health     string
	Lines      []block
}

type stageHead struct {
	X, Y, W, H int
	Name       string
	Index      int
	Class      string
	Health     string
	Lines      []block
}

type cardLine struct {
	Y     int
	Class string
	Text  string
}

type card struct {
	// order is the touchpoint's place in the spec, stages first.
	order      int
	X, Y, W, H int
	Name       string
	Stage      string
	Health     string
	Class      string
	Title      string
	Lines      []cardLine
}

type emotionCurve struct {
	Points string
	Dots   []emotionDot
	Scale  []block
	Zero   int
}

type emotionDot struct {
	X, Y    int
	Stage   string
	Emotion int32
	Class   string
	Label   string
}

// paragraph wraps text at a width into a block.
func paragraph(x, y, widthPx int, class, text string, maxLines int, size float64) block {
	lines, cut := wrap(text, float64(widthPx), size, maxLines)
	b := block{X: x, Y: y, Class: class, Lines: lines}
	if cut {
		b.Title = text
	}
	return b
}

func (b block) height() int { return len(b.Lines) * lineH }

// layout places everything.
func layout(in Input) view {
	jm := in.Map
	states, orphans := resolve(in)
	n := len(jm.Spec.Stages)
	width := max(minWidth, labelW+n*colW+pad)
	v := view{ID: jm.Namespace + "/" + jm.Name, Name: jm.Name, Width: width}

	y := pad
	y = v.header(in, y, width)
	y += gap
	y = v.stageHeads(jm, y)

	type lane struct {
		label, class string
		cell         func(s *cxv1alpha1.Stage) []string
	}
	bullets := func(items []string, mark string) []string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = mark + it
		}
		return out
	}
	textLanes := func(lanes []lane) {
		for _, l := range lanes {
			cells := make([][]string, n)
			empty := true
			for i := range jm.Spec.Stages {
				cells[i] = l.cell(&jm.Spec.Stages[i])
				empty = empty && len(cells[i]) == 0
			}
			if empty {
				continue
			}
			h := 0
			var blocks []block
			for i, items := range cells {
				cy := y + gap
				for _, it := range items {
					b := paragraph(labelW+i*colW+gap, cy+fontPx, cardW, "t", it, 4, fontPx)
					blocks = append(blocks, b)
					cy += b.height() + 4
				}
				h = max(h, cy-y)
			}
			h = max(h+gap, 2*lineH+gap)
			v.Bands = append(v.Bands, v.band(y, h, l.label, l.class))
			v.Cells = append(v.Cells, blocks...)
			y += h
		}
	}
	textLanes([]lane{
		{"Customer goal", "goal", func(s *cxv1alpha1.Stage) []string {
			if s.CustomerGoal == "" {
				return nil
			}
			return []string{s.CustomerGoal}
		}},
		{"Actions", "", func(s *cxv1alpha1.Stage) []string { return bullets(s.Actions, "• ") }},
		{"Thoughts & questions", "", func(s *cxv1alpha1.Stage) []string {
			return append(bullets(s.Thoughts, "“ "), bullets(s.Questions, "? ")...)
		}},
	})

	if jm.Spec.Type == cxv1alpha1.MapTypeServiceBlueprint {
		y = v.touchpointLane(jm, states, in.Offline, y, "Front stage", func(l cxv1alpha1.Layer) bool { return l != cxv1alpha1.LayerBackstage })
		vis := y
		v.Visibility = &vis
		y = v.touchpointLane(jm, states, in.Offline, y, "Back stage", func(l cxv1alpha1.Layer) bool { return l == cxv1alpha1.LayerBackstage })
	} else {
		y = v.touchpointLane(jm, states, in.Offline, y, "Touchpoints", func(cxv1alpha1.Layer) bool { return true })
	}
	// Cards are drawn in spec order, whatever lane they sit in, so that
	// reading the drawing (and assistive technology) follows the journey.
	sort.SliceStable(v.Cards, func(i, j int) bool { return v.Cards[i].order < v.Cards[j].order })
	y = v.emotion(jm, y)

	textLanes([]lane{
		{"Pain points", "pain", func(s *cxv1alpha1.Stage) []string { return bullets(s.PainPoints, "• ") }},
		{"Opportunities", "opp", func(s *cxv1alpha1.Stage) []string { return bullets(s.Opportunities, "• ") }},
		{"KPI", "", func(s *cxv1alpha1.Stage) []string {
			if s.KPI == nil {
				return nil
			}
			if s.KPI.Metric == "" {
				return []string{string(s.KPI.Category)}
			}
			return []string{string(s.KPI.Category) + ": " + s.KPI.Metric}
		}},
	})
	y = v.footer(in, orphans, y+gap, width)
	v.Height = y + pad
	return v
}

func (v *view) band(y, h int, label, class string) band {
	return band{Y: y, H: h, Class: class, Label: paragraph(pad, y+gap+fontPx, labelW-pad-gap, "lab", label, 3, fontPx)}
}

// header draws the map's title, the persona and the journey's roll-up.
func (v *view) header(in Input, y, width int) int {
	jm := in.Map
	textW := width - 2*pad - rollupW - 2*gap
	add := func(class, text string, maxLines int, size float64, lh int) {
		if strings.TrimSpace(text) == "" {
			return
		}
		b := paragraph(pad, y+int(size), textW, class, text, maxLines, size)
		v.Header = append(v.Header, b)
		y += len(b.Lines)*lh + 4
	}
	top := y
	add("h1", jm.Name+" — "+mapTypeLabel(jm.Spec.Type), 2, 20, 24)
	if jm.Spec.Goal != "" {
		add("goal", "Goal: "+jm.Spec.Goal, 3, fontPx, lineH)
	}
	add("t", jm.Spec.Scenario, 3, fontPx, lineH)
	if jm.Spec.Owner != "" {
		add("m", "Owner: "+jm.Spec.Owner, 1, fontPx, lineH)
	}
	y += 4
	if p := in.Persona; p == nil && jm.Spec.PersonaRef.Name != "" {
		add("warn", fmt.Sprintf("⚠ Persona %q does not exist", jm.Spec.PersonaRef.Name), 2, 14, 18)
	} else if p != nil {
		ps := p.Spec
		who := []string{}
		if d := ps.Demographics; d != nil {
			for _, s := range []string{d.Role, d.Industry, d.CompanySize, d.AgeRange, d.Location} {
				if s != "" {
					who = append(who, s)
				}
			}
		}
		add("h2", "Persona: "+ps.DisplayName, 2, 14, 18)
		add("m", strings.Join(who, " · "), 2, fontPx, lineH)
		add("t", ps.Scenario, 3, fontPx, lineH)
		add("t", "Goals: "+strings.Join(ps.Goals, " · "), 3, fontPx, lineH)
		if len(ps.Challenges) > 0 {
			add("pain", "Pain points: "+strings.Join(ps.Challenges, " · "), 3, fontPx, lineH)
		}
		channels := make([]string, len(ps.PreferredChannels))
		for i, c := range ps.PreferredChannels {
			channels[i] = string(c)
		}
		if len(channels) > 0 {
			add("m", "Channels: "+strings.Join(channels, ", "), 2, fontPx, lineH)
		}
	}
	bottom := v.rollupBox(in, top, width)
	return max(y, bottom)
}

// rollupBox is the journey's roll-up, at the header's right.
func (v *view) rollupBox(in Input, y, width int) int {
	st := in.Map.Status
	h := string(st.Health)
	if h == "" {
		h = string(cxv1alpha1.HealthUnknown)
	}
	look := lookOf(h)
	r := rollup{X: width - pad - rollupW, Y: y, W: rollupW, Class: look.class, Health: h}
	x := r.X + 12
	cy := y + 26
	line := func(class, text string, maxLines int, size float64) {
		b := paragraph(x, cy, rollupW-24, class, text, maxLines, size)
		r.Lines = append(r.Lines, b)
		cy += b.height() + 2
	}
	if in.Offline {
		line("jh", "? Health not known offline", 1, 16)
	} else {
		line("jh", look.icon+" Journey "+look.word, 1, 16)
	}
	cy += 4
	if st.Score != nil {
		line("t", fmt.Sprintf("Score %d / 100", *st.Score), 1, fontPx)
	}
	if st.SuccessRatio != "" {
		if f, err := strconv.ParseFloat(st.SuccessRatio, 64); err == nil {
			line("t", "Success ratio "+strconv.FormatFloat(100*f, 'f', 2, 64)+"% get through", 1, fontPx)
		}
	}
	if st.WeakestStage != "" {
		line("t", "Weakest stage: "+st.WeakestStage, 2, fontPx)
	}
	if c := st.Coverage; c != nil {
		line("t", fmt.Sprintf("Coverage: %d of %d touchpoints monitored", c.MonitoredTouchpoints, c.TotalTouchpoints), 1, fontPx)
		if len(c.UnmonitoredMomentsOfTruth) > 0 {
			line("warn", "Unmonitored moments of truth: "+strings.Join(c.UnmonitoredMomentsOfTruth, ", "), 3, fontPx)
		}
	}
	if st.FiringAlerts > 0 {
		line("al", "⚠ "+count(int(st.FiringAlerts), "alert")+" firing", 1, fontPx)
	}
	r.H = cy - y + 4
	v.Rollup = r
	return y + r.H
}

// stageHeads draws the column heads with each stage's roll-up.
func (v *view) stageHeads(jm *cxv1alpha1.JourneyMap, y int) int {
	byName := map[string]cxv1alpha1.StageStatus{}
	for _, s := range jm.Status.Stages {
		byName[s.Name] = s
	}
	h := 0
	for i, s := range jm.Spec.Stages {
		st, known := byName[s.Name]
		health := string(st.Health)
		if health == "" {
			health = string(cxv1alpha1.HealthUnknown)
		}
		look := lookOf(health)
		if known && st.MonitoredTouchpoints == 0 {
			// A stage nobody watches is unobserved, not unknown.
			look = lookOf(Unmonitored)
		}
		head := stageHead{X: labelW + i*colW + 4, Y: y, W: colW - 8, Name: s.Name, Index: i, Class: look.class, Health: health}
		x := head.X + 10
		cy := y + 18
		title := s.DisplayName
		if title == "" {
			title = s.Name
		}
		for _, b := range []block{
			paragraph(x, cy, head.W-20, "sh", fmt.Sprintf("%d. %s", i+1, title), 2, 14),
		} {
			head.Lines = append(head.Lines, b)
			cy += b.height() + 2
		}
		roll := look.icon + " " + look.word
		if st.Score != nil {
			roll += fmt.Sprintf(" · score %d", *st.Score)
		}
		head.Lines = append(head.Lines, block{X: x, Y: cy, Class: "hw", Lines: []string{roll}})
		cy += lineH
		if known {
			info := fmt.Sprintf("%d/%d monitored", st.MonitoredTouchpoints, st.TotalTouchpoints)
			if st.FiringAlerts > 0 {
				info += " · ⚠ " + count(int(st.FiringAlerts), "alert")
			}
			head.Lines = append(head.Lines, block{X: x, Y: cy, Class: "m", Lines: []string{info}})
			cy += lineH
		}
		h = max(h, cy-y)
		v.Stages = append(v.Stages, head)
	}
	for i := range v.Stages {
		v.Stages[i].H = h
	}
	return y + h + gap
}

// touchpointLane draws the cards of the touchpoints of one layer, each in
// its stage's column, in spec order.
func (v *view) touchpointLane(jm *cxv1alpha1.JourneyMap, states map[string]tpState, offline bool, y int, label string, inLayer func(cxv1alpha1.Layer) bool) int {
	h, order := 0, 0
	for i := range jm.Spec.Stages {
		s := &jm.Spec.Stages[i]
		cy := y + gap
		for j := range s.Touchpoints {
			tp := &s.Touchpoints[j]
			order++
			if !inLayer(tp.Layer) {
				continue
			}
			st := states[tp.Name]
			c := newCard(st, offline)
			c.order = order
			c.X, c.Y = labelW+i*colW+gap, cy
			v.Cards = append(v.Cards, c)
			cy += c.H + gap
		}
		h = max(h, cy-y)
	}
	h = max(h, 3*lineH)
	v.Bands = append(v.Bands, v.band(y, h, label, "tps"))
	return y + h
}

// newCard lays out a touchpoint's card.
func newCard(st tpState, offline bool) card {
	tp := st.touchpoint
	health := st.health()
	look := lookOf(health)
	name := tp.DisplayName
	if name == "" {
		name = tp.Name
	}
	c := card{W: cardW, Name: tp.Name, Stage: st.stage.Name, Health: health, Class: look.class}
	y := 8
	nameLines, cut := wrap(name, cardW-24, 13, 2)
	// The tooltip holds what the card cannot: the description, the whole
	// name when it is cut, and the touchpoint's name under a display name.
	var full []string
	if cut || name != tp.Name {
		full = append(full, name+" ("+tp.Name+")")
	}
	if tp.Description != "" {
		full = append(full, tp.Description)
	}
	for _, l := range nameLines {
		y += lineH
		c.Lines = append(c.Lines, cardLine{Y: y - 3, Class: "n", Text: l})
	}
	for _, l := range cardLines(st, offline) {
		maxLines := 1
		if l.Class == "why" || l.Class == "al" {
			maxLines = 3
		}
		wrapped, _ := wrap(l.Text, cardW-24, fontPx, maxLines)
		for k, w := range wrapped {
			y += lineH
			class := l.Class
			if k > 0 && class == "hw" {
				class = "m"
			}
			c.Lines = append(c.Lines, cardLine{Y: y - 3, Class: class, Text: w})
		}
	}
	c.H = y + 8
	c.Title = strings.Join(full, "\n")
	return c
}

// emotion draws the emotion curve: one point per stage at its emotion.
func (v *view) emotion(jm *cxv1alpha1.JourneyMap, y int) int {
	// The lane's label takes the first line; +2 sits below it.
	zero := y + 2*lineH + 2*EmotionStep + 4
	var points []string
	for i, s := range jm.Spec.Stages {
		e := max(-2, min(2, s.Emotion))
		d := emotionDot{X: labelW + i*colW + colW/2, Y: zero - int(e)*EmotionStep, Stage: s.Name, Emotion: s.Emotion}
		switch {
		case e < 0:
			d.Class, d.Label = "neg", strconv.Itoa(int(e))
		case e > 0:
			d.Class, d.Label = "pos", "+"+strconv.Itoa(int(e))
		default:
			d.Class, d.Label = "neu", "0"
		}
		points = append(points, fmt.Sprintf("%d,%d", d.X, d.Y))
		v.Emotion.Dots = append(v.Emotion.Dots, d)
	}
	v.Emotion.Points = strings.Join(points, " ")
	v.Emotion.Zero = zero
	for e, word := range map[int]string{2: "+2 delighted", 0: "0 neutral", -2: "−2 frustrated"} {
		v.Emotion.Scale = append(v.Emotion.Scale, block{X: labelW - gap, Y: zero - e*EmotionStep + 4, Class: "sc", Lines: []string{word}})
	}
	sortBlocks(v.Emotion.Scale)
	v.Bands = append(v.Bands, v.band(y, emotionH, "Emotion", "feel"))
	return y + emotionH
}

// count says how many of a thing there are, in the singular for one.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// sortBlocks orders blocks top to bottom, so the output is stable.
func sortBlocks(bs []block) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].Y < bs[j-1].Y; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}

// footer lists the monitors that watch nothing on the map.
func (v *view) footer(in Input, orphans []orphan, y, width int) int {
	add := func(class, text string) {
		b := paragraph(pad, y+fontPx, width-2*pad, class, text, 3, fontPx)
		v.Footer = append(v.Footer, b)
		y += b.height() + 4
	}
	for _, o := range orphans {
		add("warn", fmt.Sprintf("⚠ TouchpointMonitor %s watches touchpoint %q: %s", o.monitor, o.touchpoint, o.why))
	}
	if in.Offline {
		add("m", "Drawn from manifests: health is not known offline.")
	}
	return y
}
