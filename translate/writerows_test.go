package translate

import "testing"

// TestWriteRows: an APIv3 write's fields as CiviCRM reads them, one step
// for every write-effect table: unique names stand for their fields where
// the name is not set, setvalue is a row of its (munged) field, and the
// call's parameters are never changed.
func TestWriteRows(t *testing.T) {
	for _, tc := range []struct {
		entity, action, params string
		want                   string // the rows as JSON
		edits                  bool
	}{
		{"Contact", "create", `{"id":5,"contact_is_deleted":1}`, `[{"id":5,"contact_is_deleted":1,"is_deleted":1}]`, true},
		{"Contact", "create", `{"is_deleted":0,"contact_is_deleted":1}`, `[{"is_deleted":0,"contact_is_deleted":1}]`, false},
		{"Contact", "create", `{"is_deleted":null,"contact_is_deleted":1}`, `[{"is_deleted":1,"contact_is_deleted":1}]`, false},
		{"Contact", "create", `{"current_employer_id":3}`, `[{"current_employer_id":3,"employer_id":3}]`, false},
		{"Participant", "create", `{"participant_fee_level":"Standard"}`, `[{"participant_fee_level":"Standard","fee_level":"Standard"}]`, false},
		{"Event", "create", `{"participant_fee_level":"Standard"}`, `[{"participant_fee_level":"Standard"}]`, false},
		// A spec's 'name' and api.aliases stand for the field too.
		{"Activity", "create", `{"id":5,"target_id":[3],"assignee_id":4}`, `[{"id":5,"target_id":[3],"assignee_id":4,"target_contact_id":[3],"assignee_contact_id":4}]`, true},
		{"Activity", "create", `{"target_contact_id":[4],"target_id":[3]}`, `[{"target_contact_id":[4],"target_id":[3]}]`, false},
		{"Membership", "create", `{"membership_status":2}`, `[{"membership_status":2,"status_id":2}]`, false},
		{"Relationship", "create", `{"target_id":3}`, `[{"target_id":3}]`, false},
		// A default APIv3 adds is CiviCRM's, not in the rows (v3DefaultFields).
		{"Activity", "create", `{"activity_type_id":1}`, `[{"activity_type_id":1}]`, false},
		{"Contact", "setvalue", `{"id":5,"field":"is_deleted","value":1}`, `[{"is_deleted":1}]`, true},
		{"Contact", "setvalue", `{"id":5,"field":"contact_is_deleted","value":1}`, `[{"contact_is_deleted":1,"is_deleted":1}]`, true},
		{"Contact", "setvalue", `{"id":5,"field":"api key","value":"x"}`, `[{"api_key":"x"}]`, true},
		{"Contact", "setvalue", `{"id":5,"field":"--","value":1}`, `[]`, false},
		{"Contact", "get", `{"contact_is_deleted":1}`, `[]`, false},
	} {
		p, err := DecodeJSON([]byte(tc.params))
		if err != nil {
			t.Fatal(err)
		}
		params := p.(*Array)
		before := string(EncodeJSON(params, JSONOptions{}))
		rows, edits := WriteRows(Subcall{Version: 3, Entity: tc.entity, Action: tc.action, Params: params})
		all := NewArray()
		for i, r := range rows {
			all.Set(string(rune('0'+i)), r)
		}
		got := string(EncodeJSON(all, JSONOptions{}))
		if len(rows) == 0 {
			got = "[]"
		}
		if got != tc.want || edits != tc.edits {
			t.Errorf("%s.%s %s: rows %s edits %v, want %s %v", tc.entity, tc.action, tc.params, got, edits, tc.want, tc.edits)
		}
		if after := string(EncodeJSON(params, JSONOptions{})); after != before {
			t.Errorf("%s.%s: the call's params changed: %s", tc.entity, tc.action, after)
		}
	}
}
