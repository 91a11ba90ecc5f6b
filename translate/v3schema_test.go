package translate

import "testing"

// TestV3OptionsTarget: the field an APIv3 getoptions names, resolved as
// _civicrm_api3_api_resolve_alias does, has the option entity APIv4's
// loadOptions reports for that field (optionTarget).
func TestV3OptionsTarget(t *testing.T) {
	for _, tc := range []struct {
		entity, name  string
		target, field string
	}{
		{"Contribution", "campaign_id", "Campaign", "campaign_id"},
		{"Contribution", "campaign", "Campaign", "campaign_id"},                        // name_id
		{"Contribution", "contribution_campaign_id", "Campaign", "campaign_id"},        // unique name
		{"Contribution", "contribution_campaign", "Campaign", "campaign_id"},           // unique name without _id
		{"Contribution", "contribution_type_id", "FinancialType", "financial_type_id"}, // api.aliases
		{"Pledge", "contribution_type", "FinancialType", "financial_type_id"},
		{"Participant", "participant_status", "ParticipantStatusType", "status_id"},
		{"Participant", "participant_status_id", "ParticipantStatusType", "status_id"},
		{"Membership", "membership_status", "MembershipStatus", "status_id"},
		{"Membership", "membership_type", "MembershipType", "membership_type_id"},
		{"Contact", "current_employer_id", "Contact", "employer_id"},
		{"Contact", "contact_sub_type", "ContactType", "contact_sub_type"},
		{"Contact", "group", "Group", "group_id"},
		{"Address", "state_province_id", "StateProvince", "state_province_id"},
		// An option group's field, or no field.
		{"Contribution", "contribution_status_id", "", "contribution_status_id"},
		{"Contribution", "payment_instrument_id", "", "payment_instrument_id"},
		{"Activity", "status_id", "", "status_id"},
		{"Contribution", "Campaign", "", "Campaign"}, // PHP's array keys are exact
		{"Contribution", "", "", ""},
	} {
		target, field := v3OptionsTarget(tc.entity, tc.name)
		if target != tc.target || field != tc.field {
			t.Errorf("%s %q: %q via %q, want %q via %q", tc.entity, tc.name, target, field, tc.target, tc.field)
		}
	}
}
