package v1alpha1

// DayOfWeek is a day of the week, named in English as Go's time.Weekday
// names it.
// +kubebuilder:validation:Enum=Monday;Tuesday;Wednesday;Thursday;Friday;Saturday;Sunday
type DayOfWeek string

// Days of the week.
const (
	Monday    DayOfWeek = "Monday"
	Tuesday   DayOfWeek = "Tuesday"
	Wednesday DayOfWeek = "Wednesday"
	Thursday  DayOfWeek = "Thursday"
	Friday    DayOfWeek = "Friday"
	Saturday  DayOfWeek = "Saturday"
	Sunday    DayOfWeek = "Sunday"
)

// TimeWindow is a period of wall-clock time in an explicit time zone: once,
// on a date ("start: 2026-12-24T22:00"), or repeating at a time of day
// ("start: 02:00"), every day or on the listed days. It serves maintenance
// windows and opening hours alike; internal/schedule answers whether a moment
// lies inside it and when it ends or next begins.
//
// The duration is elapsed time: a 2h window that spans a clock change still
// lasts two hours. A start the clocks skip (spring forward) opens the window
// that much later by the wall clock; a start the clocks repeat (fall back)
// opens it at the first of the two.
// +kubebuilder:validation:XValidation:rule="!has(self.days) || !self.start.contains('T')",message="days are for a window that repeats: give start as a time of day such as \"02:00\", or drop days for a one-off window on a date"
// +kubebuilder:validation:XValidation:rule="self.start.contains('T') || has(self.days) || !self.duration.matches('^[1-9][0-9]{0,4}(m|h|d|w)$') || int(self.duration.substring(0, self.duration.size() - 1)) * (self.duration.endsWith('w') ? 10080 : self.duration.endsWith('d') ? 1440 : self.duration.endsWith('h') ? 60 : 1) < 1440",message="a window that repeats every day must last less than 24h, or it would never end; list days to repeat less often"
type TimeWindow struct {
	// name identifies the window in status and messages, as a DNS label,
	// e.g. "nightly-db-upgrade".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// start is when the window opens, read in timeZone: a time of day
	// "HH:MM" (24-hour clock) for a window that repeats, e.g. "02:00", or a
	// date and time "YYYY-MM-DDTHH:MM" for a window that happens once, e.g.
	// "2026-12-24T22:00".
	// +required
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^([01][0-9]|2[0-3]):[0-5][0-9]$') || self.matches('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]$')",message="start must be a time of day such as \"02:00\" for a repeating window, or a date and time such as \"2026-12-24T22:00\" for a one-off window"
	Start string `json:"start"`

	// duration is how long the window stays open, as a whole number and one
	// unit of m, h, d or w, e.g. "90m" or "2h"; at least one minute.
	// +required
	// +kubebuilder:validation:MaxLength=6
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(-.*|0+[mhdw]?)$')",message="duration must be positive: a window ends after it starts"
	// +kubebuilder:validation:XValidation:rule="self.matches('^(-.*|0+[mhdw]?)$') || self.matches('^[1-9][0-9]{0,4}(m|h|d|w)$')",message="duration must be a whole number and one unit of m, h, d or w, e.g. \"90m\" or \"2h\""
	Duration string `json:"duration"`

	// days limits a repeating window to these days of the week (the day the
	// window opens, in timeZone). Unset means every day. Not allowed with a
	// one-off start.
	// +optional
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	// +listType=set
	Days []DayOfWeek `json:"days,omitempty"`

	// timeZone is the IANA time zone start is read in, e.g. "Europe/Berlin"
	// or "UTC"; always explicit, so a window means the same wherever the
	// operator and the collector run. A name the time zone database does not
	// know is reported in the object's conditions.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$') && self != 'Local'",message="timeZone must be an IANA time zone name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""
	TimeZone string `json:"timeZone"`
}
