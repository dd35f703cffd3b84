package controller

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// TestSetSegment: a persona's segment is checked as the rules use it; a
// regular expression RE2 refuses makes the persona unready with the
// matcher named, and a valid segment says what it narrows to.
func TestSetSegment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		segment []cxv1alpha1.SegmentMatcher
		status  metav1.ConditionStatus
		reason  string
		message string
	}{
		{"no segment", nil, metav1.ConditionTrue, cxv1alpha1.SucceededReason,
			"no segment: the queries of this persona's maps select every customer"},
		{"valid segment", []cxv1alpha1.SegmentMatcher{{Name: "plan", Operator: "=", Value: "starter"}, {Name: "region", Operator: "=~", Value: "eu-.*"}},
			metav1.ConditionTrue, cxv1alpha1.SucceededReason,
			`the metric SLIs and KPI queries of this persona's maps are narrowed to {plan="starter", region=~"eu-.*"}`},
		{"regular expression RE2 refuses", []cxv1alpha1.SegmentMatcher{{Name: "region", Operator: "!~", Value: "eu(?!-west)"}},
			metav1.ConditionFalse, cxv1alpha1.InvalidSpecReason,
			`spec.segment[0]: region!~"eu(?!-west)" is not a valid RE2 regular expression: error parsing regexp: invalid or unsupported Perl syntax: ` + "`(?!`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &cxv1alpha1.Persona{Spec: cxv1alpha1.PersonaSpec{Segment: tc.segment}}
			setSegment(p)
			summarizePersona(p, nil)
			c := meta.FindStatusCondition(p.Status.Conditions, cxv1alpha1.SegmentValidCondition)
			if c == nil || c.Status != tc.status || c.Reason != tc.reason || c.Message != tc.message {
				t.Fatalf("SegmentValid %+v, want %s %s %q", c, tc.status, tc.reason, tc.message)
			}
			if ready := meta.IsStatusConditionTrue(p.Status.Conditions, cxv1alpha1.ReadyCondition); tc.status == metav1.ConditionFalse && ready {
				t.Error("Ready with an invalid segment")
			}
		})
	}
}
