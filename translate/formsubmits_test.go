package translate

import (
	"strings"
	"testing"
)

// Form submissions write what the site's form declares (attack 11c):
// reported as a create and an update of an entity the edge cannot name,
// started by the form call (Subcall.StartedBy). Every row names its class.
func TestWalkFormSubmits(t *testing.T) {
	cases := []struct {
		class          string
		entity, action string
		params         string
		want           []string
	}{
		{"Afform.submit writes what the form declares", "Afform", "submit", `{"name":"afformX","values":{"Individual1":[{"fields":{"id":3}}]}}`,
			[]string{"4 Afform.submit", "  4 ~.create ? by Afform.submit", "  4 ~.update ? by Afform.submit"}},
		{"any case", "afform", "SUBMIT", `{"name":"afformX"}`,
			[]string{"4 afform.SUBMIT", "  4 ~.create ? by afform.SUBMIT", "  4 ~.update ? by afform.SUBMIT"}},
		{"submitFile", "Afform", "submitFile", `{"name":"afformX","token":"t","modelName":"Individual1","fieldName":"image_URL"}`,
			[]string{"4 Afform.submitFile", "  4 ~.create ? by Afform.submitFile", "  4 ~.update ? by Afform.submitFile"}},
		{"process", "Afform", "process", `{"name":"afformX","submissionId":2}`,
			[]string{"4 Afform.process", "  4 ~.create ? by Afform.process", "  4 ~.update ? by Afform.process"}},
		{"submitDraft saves the caller's draft", "Afform", "submitDraft", `{"name":"afformX","values":{}}`,
			[]string{"4 Afform.submitDraft", "  4 AfformSubmission.create ? by Afform.submitDraft",
				"  4 AfformSubmission.update ? by Afform.submitDraft", "  4 AfformSubmission.delete ? by Afform.submitDraft"}},
		{"a chained submission", "Contact", "get", `{"chain":{"f":["Afform","submit",{"name":"afformX"}]}}`,
			[]string{"4 Contact.get", "  4 Afform.submit", "    4 ~.create ? by Afform.submit", "    4 ~.update ? by Afform.submit"}},
		{"control: Afform reads and definitions", "Afform", "get", `{"select":["name"]}`,
			[]string{"4 Afform.get"}},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			if got := v4WalkStarted(t, tc.entity, tc.action, tc.params); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// APIv3 Profile.submit saves the profile's contact and what its fields
// belong to (civicrm_api3_profile_submit): as Afform.submit is reported.
func TestWalkProfileSubmit(t *testing.T) {
	var got []string
	WalkV3(ajaxCall(t, "profile", "Submit", `{"profile_id":1,"contact_id":3,"first_name":"M"}`), func(sc Subcall) bool {
		got = append(got, describeStarted(sc))
		return true
	})
	want := []string{"3 Profile.submit", "  3 ~.create ? by Profile.submit", "  3 ~.update ? by Profile.submit"}
	if !sameLines(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
