package translate

import (
	"strings"
	"testing"
)

// Every row of the field-write table says where civicrm-core does it, and
// names an entity, a field and what it writes (always, or on an edit).
func TestFieldWritesAreSourced(t *testing.T) {
	for _, fw := range fieldWriteTable {
		if fw.Entity == "" || fw.Field == "" || len(fw.Writes) == 0 || len(fw.Actions)+len(fw.OnEdit) == 0 {
			t.Errorf("incomplete row %+v", fw)
		}
		if !strings.HasPrefix(fw.Source, "CRM/") && !strings.HasPrefix(fw.Source, "api/v3/") && !strings.HasPrefix(fw.Source, "Civi/") &&
			!strings.HasPrefix(fw.Source, "ext/") {
			t.Errorf("%s.%s -> %s: source %q names no civicrm-core file", fw.Entity, fw.Field, fw.Writes, fw.Source)
		}
	}
}

// What a write saves of other entities for the fields it names, the same
// for both API versions (APIv4's contact types, save and replace
// included), in chains and batches, and for SearchKit's inlineEdit of the
// field; a write naming none of them writes nothing besides.
func TestWalkFieldWrites(t *testing.T) {
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		// is_deceased: CRM_Contact_BAO_Contact::create, whichever API.
		{"v3 Contact.create is_deceased", v3Walk(ajaxCall(t, "Contact", "create", `{"id":3,"is_deceased":1}`)),
			[]string{"3 Contact.create", "  3 Membership.update ?", "  3 Contact.update"}},
		{"v4 Contact.update is_deceased", v4Walk(t, "Contact", "update", `{"where":[["id","=",3]],"values":{"is_deceased":true,"deceased_date":"2026-12-01"}}`),
			[]string{"4 Contact.update", "  4 Membership.update ?", "  4 Contact.get"}},
		{"v4 Individual.update is_deceased", v4Walk(t, "Individual", "update", `{"where":[["id","=",3]],"values":{"is_deceased":1}}`),
			[]string{"4 Individual.update", "  4 Membership.update ?", "  4 Individual.get"}},
		{"v4 Contact.save records", v4Walk(t, "Contact", "save", `{"records":[{"id":3,"is_deceased":1}]}`),
			[]string{"4 Contact.save", "  4 Membership.update ?", "  4 Contact.update"}},
		{"v4 Household.create defaults", v4Walk(t, "Household", "save", `{"records":[{"household_name":"h"}],"defaults":{"is_deceased":"1"}}`),
			[]string{"4 Household.save", "  4 Membership.update ?", "  4 Household.create"}},
		{"v4 Values and Records as their setters take them", v4Walk(t, "Contact", "save", `{"Records":[{"id":3}],"Defaults":{"is_deceased":1}}`),
			[]string{"4 Contact.save", "  4 Membership.update ?", "  4 Contact.update"}},
		{"v4 VALUES (a declared setter takes any case)", v4Walk(t, "Individual", "update", `{"where":[["id","=",3]],"VALUES":{"is_deceased":1}}`),
			[]string{"4 Individual.update", "  4 Membership.update ?", "  4 Individual.get"}},
		{"v4 is_deceased false writes nothing", v4Walk(t, "Contact", "update", `{"where":[["id","=",3]],"values":{"is_deceased":false}}`),
			[]string{"4 Contact.update", "  4 Contact.get"}},
		{"v4 contact's employer and groups, as APIv3's", v4Walk(t, "Contact", "create", `{"values":{"contact_type":"Individual","employer_id":5,"group":{"1":1}}}`),
			[]string{"4 Contact.create", "  4 GroupContact.create ?", "  4 GroupContact.update ?", "  4 Relationship.create ?", "  4 Relationship.update ?"}},
		{"v4 location blocks are arrays; a string email is the contact's own field", v4Walk(t, "Contact", "create", `{"values":{"contact_type":"Individual","email":"x","phone":[{"phone":"1"}]}}`),
			[]string{"4 Contact.create", "  4 Phone.create ?", "  4 Phone.update ?"}},
		{"home_url is APIv3's", v4Walk(t, "Contact", "update", `{"values":{"home_url":"https://x"}}`),
			[]string{"4 Contact.update", "  4 Contact.get"}},
		{"v4 chained", v4Walk(t, "Email", "get", `{"chain":{"c":["Contact","update",{"where":[["id","=","$contact_id"]],"values":{"is_deceased":1}}]}}`),
			[]string{"4 Email.get", "  4 Contact.update", "    4 Membership.update ?", "    4 Contact.get"}},

		// Group parents: GroupNesting rows (CRM_Contact_BAO_Group's hooks);
		// an edit also removes the parents left out.
		{"v4 Group.create parents", v4Walk(t, "Group", "create", `{"values":{"title":"Nested","parents":[2]}}`),
			[]string{"4 Group.create", "  4 GroupNesting.create ?"}},
		{"v4 Group.update parents", v4Walk(t, "Group", "update", `{"where":[["id","=",3]],"values":{"parents":[2]}}`),
			[]string{"4 Group.update", "  4 GroupNesting.create ?", "  4 GroupNesting.delete ?", "  4 Group.get"}},
		{"v4 Group.save parents null", v4Walk(t, "Group", "save", `{"records":[{"id":3,"parents":null}]}`),
			[]string{"4 Group.save", "  4 GroupNesting.create ?", "  4 GroupNesting.delete ?", "  4 Group.update"}},
		{"v3 Group.create parents", v3Walk(ajaxCall(t, "Group", "create", `{"title":"Nested","parents":{"2":1}}`)),
			[]string{"3 Group.create", "  3 GroupNesting.create ?"}},
		{"v3 Group.create with an id is an edit", v3Walk(ajaxCall(t, "Group", "create", `{"id":3,"parents":"2"}`)),
			[]string{"3 Group.create", "  3 GroupNesting.create ?", "  3 GroupNesting.delete ?", "  3 Group.update"}},
		{"v3 Group.create organization_id", v3Walk(ajaxCall(t, "Group", "create", `{"title":"G","organization_id":5}`)),
			[]string{"3 Group.create", "  3 GroupOrganization.create ?", "  3 GroupOrganization.delete ?"}},
		{"v3 Group.create naming neither", v3Walk(ajaxCall(t, "Group", "create", `{"title":"G","is_active":0,"group_type":{"1":1}}`)),
			[]string{"3 Group.create"}},
		{"v3 batch member", v3Walk(&Call{Form: FormAjax, Method: "POST", Batch: true,
			Params: jsonArray(t, `{"a":["Group","create",{"title":"N","parents":"2"}]}`)}),
			[]string{"[a] 3 Group.create", "  [a] 3 GroupNesting.create ?"}},
		{"inlineEdit of a group's parents", v4Walk(t, "SearchDisplay", "inlineEdit", `{"savedSearch":{"api_entity":"Group"},"rowKey":3,"values":{"parents":[2]}}`),
			[]string{"4 SearchDisplay.inlineEdit", "  4 Group.get via savedSearch", "  4 Group.update ?", "  4 GroupNesting.create ?", "  4 GroupNesting.delete ?"}},

		// Other BAOs.
		{"v3 Membership.create contribution_status_id", v3Walk(ajaxCall(t, "Membership", "create", `{"contact_id":3,"membership_type_id":1,"contribution_status_id":1}`)),
			[]string{"3 Membership.create", "  3 Contribution.create ?", "  3 MembershipPayment.create ?"}},
		{"v3 Participant.create note and fee_level", v3Walk(ajaxCall(t, "Participant", "create", `{"contact_id":3,"event_id":1,"participant_note":"n","fee_level":"Standard"}`)),
			[]string{"3 Participant.create", "  3 Note.create ?", "  3 Note.update ?", "  3 Note.delete ?", "  3 LineItem.create ?"}},
		{"v4 Participant.create: fee_level's line item is APIv3's", v4Walk(t, "Participant", "create", `{"values":{"contact_id":3,"event_id":1,"fee_level":"Standard"}}`),
			[]string{"4 Participant.create"}},
		{"v3 Grant.create note", v3Walk(ajaxCall(t, "Grant", "create", `{"contact_id":3,"grant_type_id":1,"status_id":1,"amount_total":1,"note":"n"}`)),
			[]string{"3 Grant.create", "  3 Note.create ?"}},
		{"v3 Grant.create with an id and a note: a new note", v3Walk(ajaxCall(t, "Grant", "create", `{"id":1,"note":"n"}`)),
			[]string{"3 Grant.create", "  3 Note.create ?", "  3 Grant.update"}},
		{"v3 Grant.create with an empty note", v3Walk(ajaxCall(t, "Grant", "create", `{"id":1,"note":""}`)),
			[]string{"3 Grant.create", "  3 Grant.update"}},
		// Contributions: CRM_Contribute_BAO_Contribution::create, whichever
		// API (APIv4's ContributionSaveTrait runs it): a new Note for a
		// note, soft credits for soft_credit and pcp (processSoftContribution),
		// an EntityBatch row for batch_id (recordFinancialAccounts), the
		// recurring contribution for a new contribution's
		// contribution_recur_id; APIv3's note by its unique name and its
		// legacy soft credit fields (_civicrm_api3_contribution_create_legacy_support_45).
		{"v3 Contribution.create note and soft credits", v3Walk(ajaxCall(t, "Contribution", "create",
			`{"contact_id":3,"financial_type_id":1,"total_amount":10,"note":"n","soft_credit":[{"contact_id":4,"amount":5}]}`)),
			[]string{"3 Contribution.create", "  3 Note.create ?", "  3 ContributionSoft.create ?"}},
		{"v3 Contribution edit by the note's unique name and soft_credit_to", v3Walk(ajaxCall(t, "Contribution", "create", `{"id":3,"contribution_note":"n","soft_credit_to":4}`)),
			[]string{"3 Contribution.create", "  3 Note.create ?", "  3 ContributionSoft.create ?", "  3 ContributionSoft.update ?", "  3 ContributionSoft.delete ?", "  3 Contribution.update"}},
		{"v3 Contribution.create honor_contact_id, pcp, batch_id and a recurring contribution", v3Walk(ajaxCall(t, "Contribution", "create",
			`{"contact_id":3,"financial_type_id":1,"total_amount":10,"honor_contact_id":5,"pcp":{"pcp_made_through_id":1},"batch_id":2,"contribution_recur_id":1}`)),
			[]string{"3 Contribution.create", "  3 ContributionSoft.create ?", "  3 EntityBatch.create ?", "  3 ContributionRecur.update ?"}},
		{"v3 Contribution edit with an empty note and no soft credit", v3Walk(ajaxCall(t, "Contribution", "create", `{"id":3,"note":"","soft_credit_to":"","total_amount":5}`)),
			[]string{"3 Contribution.create", "  3 Contribution.update"}},
		{"v3 Contribution.create below a contact", v3Walk(ajaxCall(t, "Contact", "create",
			`{"contact_type":"Individual","first_name":"x","api.Contribution.create":{"financial_type_id":1,"total_amount":1,"note":"n"}}`)),
			[]string{"3 Contact.create", "  3 Contribution.create", "    3 Note.create ?"}},
		{"v4 Contribution.create note, soft credit and batch", v4Walk(t, "Contribution", "create",
			`{"values":{"contact_id":3,"financial_type_id":1,"total_amount":10,"note":"n","soft_credit":[{"contact_id":4}],"batch_id":2}}`),
			[]string{"4 Contribution.create", "  4 Note.create ?", "  4 ContributionSoft.create ?", "  4 EntityBatch.create ?"}},
		{"v4 Contribution.update dropping the PCP soft credit", v4Walk(t, "Contribution", "update", `{"where":[["id","=",3]],"values":{"pcp":null}}`),
			[]string{"4 Contribution.update", "  4 ContributionSoft.delete ?", "  4 Contribution.get"}},
		{"v4 Contribution.save of soft credits", v4Walk(t, "Contribution", "save", `{"records":[{"id":3,"soft_credit":[]}]}`),
			[]string{"4 Contribution.save", "  4 ContributionSoft.create ?", "  4 ContributionSoft.update ?", "  4 ContributionSoft.delete ?", "  4 Contribution.update"}},
		{"v4 Contribution.create: the legacy soft credit fields and the unique name are APIv3's", v4Walk(t, "Contribution", "create",
			`{"values":{"contact_id":3,"soft_credit_to":4,"honor_contact_id":5,"contribution_note":"n"}}`),
			[]string{"4 Contribution.create"}},
		// Order.create runs Contribution.create with its contribution's
		// values (civicrm_api3_order_create; APIv4's Order::create,
		// CRM_Financial_BAO_Order::save).
		{"v3 Order.create runs Contribution.create", v3Walk(ajaxCall(t, "Order", "create",
			`{"contact_id":3,"financial_type_id":1,"total_amount":10,"note":"n","api.Payment.create":{"total_amount":10}}`)),
			[]string{"3 Order.create", "  3 Contribution.create", "    3 Note.create ?", "  3 Payment.create", "    3 Payment.update"}},
		{"v4 Order.create runs Contribution.create", v4Walk(t, "Order", "create", `{"contributionValues":{"contact_id":3,"soft_credit":[{"contact_id":4}]},"lineItems":[]}`),
			[]string{"4 Order.create", "  4 Contribution.create", "    4 ContributionSoft.create ?"}},
		{"v4 Event.create from a template", v4Walk(t, "Event", "create", `{"values":{"template_id":4,"title":"E"}}`),
			[]string{"4 Event.create", "  4 PriceSet.create ?", "  4 PriceField.create ?", "  4 PriceFieldValue.create ?", "  4 PriceSetEntity.create ?", "  4 Discount.create ?"}},
		{"v3 Event.create price_set_id", v3Walk(ajaxCall(t, "Event", "create", `{"id":4,"price_set_id":[2]}`)),
			[]string{"3 Event.create", "  3 PriceSetEntity.create ?", "  3 PriceSetEntity.delete ?", "  3 Event.update"}},
		{"v4 Address.create sharing an address", v4Walk(t, "Address", "create", `{"values":{"contact_id":3,"master_id":7}}`),
			[]string{"4 Address.create", "  4 Relationship.create ?", "  4 Relationship.update ?"}},
		{"v4 Membership.create: a field given by its label", v4Walk(t, "Membership", "create", `{"values":{"contact_id":3,"contribution_status_id:name":"Completed"}}`),
			[]string{"4 Membership.create", "  4 Contribution.create ?", "  4 MembershipPayment.create ?"}},
		// An activity's contacts: CRM_Activity_BAO_Activity::create's
		// ActivityContact rows, whichever API; APIv3's spec names and its
		// default source contact (the caller) for a new activity.
		{"v3 Activity.create with its contacts", v3Walk(ajaxCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"target_contact_id":[3,4]}`)),
			[]string{"3 Activity.create", "  3 ActivityContact.create ?"}},
		{"v3 Activity.create with the caller as its source", v3Walk(ajaxCall(t, "Activity", "create", `{"activity_type_id":1}`)),
			[]string{"3 Activity.create", "  3 ActivityContact.create ?"}},
		{"v3 Activity.create: what the client names comes first", v3Walk(ajaxCall(t, "Activity", "create", `{"activity_type_id":1,"assignee_id":3}`)),
			[]string{"3 Activity.create", "  3 ActivityContact.create ?"}},
		{"v3 Activity edit by target_id", v3Walk(ajaxCall(t, "Activity", "create", `{"activity_id":5,"target_id":[3]}`)),
			[]string{"3 Activity.create", "  3 ActivityContact.create ?", "  3 ActivityContact.delete ?", "  3 Activity.update"}},
		{"v3 Activity edit naming no contact", v3Walk(ajaxCall(t, "Activity", "create", `{"id":5,"subject":"x"}`)),
			[]string{"3 Activity.create", "  3 Activity.update"}},
		{"v4 Activity.create", v4Walk(t, "Activity", "create", `{"values":{"activity_type_id":1,"source_contact_id":2}}`),
			[]string{"4 Activity.create", "  4 ActivityContact.create ?"}},
		{"v4 Activity.update of its assignees", v4Walk(t, "Activity", "update", `{"where":[["id","=",5]],"values":{"assignee_contact_id":[3]}}`),
			[]string{"4 Activity.update", "  4 ActivityContact.create ?", "  4 ActivityContact.delete ?", "  4 Activity.get"}},
		{"v4 Activity.create: APIv3's names are no fields", v4Walk(t, "Activity", "create", `{"values":{"activity_type_id":1,"target_id":[3]}}`),
			[]string{"4 Activity.create"}},

		// Case clients: a new case's CaseContact rows (civicrm_api3_case_create,
		// CiviCaseSaveTrait::openCase), and APIv3's reassignment of an
		// existing case to another client (mergeCases).
		{"v3 Case.create contact_id", v3Walk(ajaxCall(t, "Case", "create", `{"case_type_id":1,"contact_id":2,"subject":"x"}`)),
			// and the new case's timeline (casetimeline.go).
			[]string{"3 Case.create", "  3 CaseContact.create ?", "  3 Activity.create ?", "  3 ActivityContact.create ?", "  3 CaseActivity.create ?", "  3 Relationship.create ?"}},
		// and, as APIv3's, its Open Case timeline (CiviCaseSaveTrait::openCase:
		// casetimeline.go) for a record without an id.
		{"v4 Case.create contact_id", v4Walk(t, "Case", "create", `{"values":{"case_type_id":1,"contact_id":[2],"subject":"x"}}`),
			[]string{"4 Case.create", "  4 CaseContact.create ?", "  4 Activity.create ?", "  4 ActivityContact.create ?", "  4 CaseActivity.create ?", "  4 Relationship.create ?"}},
		{"v4 Case.save of a new case", v4Walk(t, "Case", "save", `{"records":[{"case_type_id":1,"subject":"x"}],"defaults":{"contact_id":2}}`),
			[]string{"4 Case.save", "  4 CaseContact.create ?", "  4 Activity.create ?", "  4 ActivityContact.create ?", "  4 CaseActivity.create ?", "  4 Relationship.create ?", "  4 Case.create"}},
		{"v4 Case.replace of a new case", v4Walk(t, "Case", "replace", `{"where":[["subject","=","x"]],"records":[{"case_type_id":1,"contact_id":2}]}`),
			[]string{"4 Case.replace", "  4 CaseContact.create ?", "  4 Activity.create ?", "  4 ActivityContact.create ?", "  4 CaseActivity.create ?", "  4 Relationship.create ?",
				"  4 Case.get", "  4 Case.save", "  4 Case.create", "  4 Case.delete"}},
		{"v4 Case.save of an existing case: no timeline", v4Walk(t, "Case", "save", `{"records":[{"id":4,"subject":"x"}]}`),
			[]string{"4 Case.save", "  4 Case.update"}},
		{"v4 Case.save: an id in the defaults makes every record an edit", v4Walk(t, "Case", "save", `{"records":[{"subject":"x"}],"defaults":{"id":4}}`),
			[]string{"4 Case.save", "  4 Case.update"}},
		{"v4 Case.replace where id =: an edit", v4Walk(t, "Case", "replace", `{"where":[["id","=",4]],"records":[{"subject":"x"}]}`),
			[]string{"4 Case.replace", "  4 Case.get", "  4 Case.save", "  4 Case.update", "  4 Case.delete"}},
		{"v4 Case.create with an id in its values: an edit", v4Walk(t, "Case", "create", `{"values":{"id":4,"subject":"x"}}`),
			[]string{"4 Case.create"}},
		{"v4 Case.update: no timeline", v4Walk(t, "Case", "update", `{"where":[["id","=",4]],"values":{"subject":"x"}}`),
			[]string{"4 Case.update", "  4 Case.get"}},
		// APIv3 Case.merge runs mergeCases, as a reassignment does, whatever
		// its fields (casetimeline.go).
		{"v3 Case.merge", v3Walk(ajaxCall(t, "Case", "merge", `{"case_id_1":1,"case_id_2":2}`)),
			[]string{"3 Case.merge", "  3 CaseContact.create ?", "  3 Case.create ?", "  3 Activity.create ?", "  3 ActivityContact.create ?",
				"  3 CaseActivity.create ?", "  3 Relationship.create ?", "  3 CustomValue.create ?", "  3 EntityFile.create ?",
				"  3 Case.update ?", "  3 Activity.update ?", "  3 Relationship.update ?"}},
		{"v3 Case.create below a contact: ChainSubscriber fills in contact_id", v3Walk(ajaxCall(t, "Contact", "get", `{"id":2,"return":"id","api.Case.create":{"case_type_id":1,"subject":"x"}}`)),
			[]string{"3 Contact.get", "  3 Case.create", "    3 CaseContact.create ?", "    3 Activity.create ?", "    3 ActivityContact.create ?", "    3 CaseActivity.create ?", "    3 Relationship.create ?"}},
		{"v3 chained Case.create naming contact_id itself, empty", v3Walk(ajaxCall(t, "Contact", "get", `{"id":2,"return":"id","api.Case.create":{"case_type_id":1,"contact_id":"","subject":"x"}}`)),
			[]string{"3 Contact.get", "  3 Case.create", "    3 Activity.create ?", "    3 ActivityContact.create ?", "    3 CaseActivity.create ?", "    3 Relationship.create ?"}},
		{"v3 Case.create with an id reassigns the case", v3Walk(ajaxCall(t, "Case", "create", `{"id":4,"contact_id":5}`)),
			[]string{"3 Case.create", "  3 CaseContact.create ?", "  3 Case.create ?", "  3 Activity.create ?", "  3 ActivityContact.create ?",
				"  3 CaseActivity.create ?", "  3 Relationship.create ?", "  3 CustomValue.create ?", "  3 EntityFile.create ?",
				"  3 Case.update ?", "  3 Activity.update ?", "  3 Relationship.update ?", "  3 Case.update"}},
		{"v3 Case.update contact_id", v3Walk(ajaxCall(t, "Case", "update", `{"id":4,"contact_id":5}`)),
			[]string{"3 Case.update", "  3 CaseContact.create ?", "  3 Case.create ?", "  3 Activity.create ?", "  3 ActivityContact.create ?",
				"  3 CaseActivity.create ?", "  3 Relationship.create ?", "  3 CustomValue.create ?", "  3 EntityFile.create ?",
				"  3 Case.update ?", "  3 Activity.update ?", "  3 Relationship.update ?", "  3 Case.get", "  3 Case.create"}},
		{"v3 Case.create with an id naming no client", v3Walk(ajaxCall(t, "Case", "create", `{"id":4,"status_id":2}`)),
			[]string{"3 Case.create", "  3 Case.update"}},
		{"v4 Case.update contact_id: no reassignment (APIv3's); the client a judgment too many", v4Walk(t, "Case", "update", `{"where":[["id","=",4]],"values":{"contact_id":5}}`),
			[]string{"4 Case.update", "  4 CaseContact.create ?", "  4 Case.get"}},
		// An activity's case: CaseActivity rows (CRM_Case_BAO_Case::on_hook_civicrm_post).
		{"v3 Activity.create case_id", v3Walk(ajaxCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"case_id":1}`)),
			[]string{"3 Activity.create", "  3 ActivityContact.create ?", "  3 CaseActivity.create ?"}},
		{"v4 Activity.update case_id", v4Walk(t, "Activity", "update", `{"where":[["id","=",3]],"values":{"case_id":null}}`),
			[]string{"4 Activity.update", "  4 CaseActivity.create ?", "  4 CaseActivity.delete ?", "  4 Activity.get"}},
		{"v3 Activity.create below a case: ChainSubscriber fills in case_id", v3Walk(ajaxCall(t, "Case", "get", `{"id":1,"return":"id","api.Activity.create":{"activity_type_id":1,"source_contact_id":2}}`)),
			[]string{"3 Case.get", "  3 Activity.create", "    3 ActivityContact.create ?", "    3 ActivityContact.delete ?",
				"    3 CaseActivity.create ?", "    3 CaseActivity.delete ?", "    3 Activity.update"}},
		{"v4 Activity.create filed on a case by its subject", v4Walk(t, "Activity", "create", `{"values":{"activity_type_id":1,"source_contact_id":2,"subject":"Re: x [case #12]"}}`),
			[]string{"4 Activity.create", "  4 ActivityContact.create ?", "  4 CaseActivity.create ?"}},
		{"v3 Activity edit filed by the case's hash", v3Walk(ajaxCall(t, "Activity", "create", `{"id":5,"subject":"[case #0a1b2c3]"}`)),
			[]string{"3 Activity.create", "  3 CaseActivity.create ?", "  3 CaseActivity.delete ?", "  3 Activity.update"}},
		{"v3 Activity.create with the subject's unique name naming a case", v3Walk(ajaxCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"activity_subject":"[case #12] x"}`)),
			[]string{"3 Activity.create", "  3 ActivityContact.create ?", "  3 CaseActivity.create ?"}},
		{"v3 Activity edit: the subject itself wins over its unique name (isset)", v3Walk(ajaxCall(t, "Activity", "create", `{"id":5,"subject":"x","activity_subject":"[case #12]"}`)),
			[]string{"3 Activity.create", "  3 Activity.update"}},
		{"a subject naming no case", v4Walk(t, "Activity", "update", `{"where":[["id","=",5]],"values":{"subject":"[Case #12] [case #x] [case #0A1B2C3]"}}`),
			[]string{"4 Activity.update", "  4 Activity.get"}},
		{"inlineEdit of an activity's subject naming a case", v4Walk(t, "SearchDisplay", "inlineEdit", `{"savedSearch":{"api_entity":"Activity"},"rowKey":3,"values":{"subject":"[case #7]"}}`),
			[]string{"4 SearchDisplay.inlineEdit", "  4 Activity.get via savedSearch", "  4 Activity.update ?", "  4 CaseActivity.create ?", "  4 CaseActivity.delete ?"}},
		{"inlineEdit of an activity's subject", v4Walk(t, "SearchDisplay", "inlineEdit", `{"savedSearch":{"api_entity":"Activity"},"rowKey":3,"values":{"subject":"x"}}`),
			[]string{"4 SearchDisplay.inlineEdit", "  4 Activity.get via savedSearch", "  4 Activity.update ?"}},
		// tags: APIv4's TagFieldSpecProvider, on any entity.
		{"v4 Activity.update tags", v4Walk(t, "Activity", "update", `{"where":[["id","=",3]],"values":{"tags":[1]}}`),
			[]string{"4 Activity.update", "  4 EntityTag.create ?", "  4 EntityTag.update ?", "  4 EntityTag.delete ?", "  4 Activity.get"}},
		{"inlineEdit of tags by name", v4Walk(t, "SearchDisplay", "inlineEdit", `{"savedSearch":{"api_entity":"Contact"},"rowKey":3,"values":{"tags:name":["x"]}}`),
			[]string{"4 SearchDisplay.inlineEdit", "  4 Contact.get via savedSearch", "  4 Contact.update ?",
				"  4 EntityTag.create ?", "  4 EntityTag.update ?", "  4 EntityTag.delete ?", "  4 Tag.get via tags:name"}},
		{"v3 Activity.create: tags is APIv4's", v3Walk(ajaxCall(t, "Activity", "create", `{"id":3,"tags":[1]}`)),
			[]string{"3 Activity.create", "  3 Activity.update"}},
		{"a get names fields and writes nothing", v4Walk(t, "Group", "get", `{"where":[["parents","IS NOT NULL"]],"select":["is_deceased"]}`),
			[]string{"4 Group.get"}},

		// civicrm_api3_loc_block_create runs civicrm_api3($item, 'create',
		// $info) with the client's array (attack 15): walked as that call,
		// its chains included; a lone id or a non-array runs nothing.
		{"v3 LocBlock.create inline records", v3Walk(ajaxCall(t, "LocBlock", "create",
			`{"email":{"email":"v@example.org"},"address_2":{"id":4,"city":"S"},"phone":{"id":5},"im":"x","email_2":[]}`)),
			[]string{"3 LocBlock.create", "  3 Address.create", "    3 Address.update", "  3 Email.create"}},
		{"v3 LocBlock.create: the record's own chain runs", v3Walk(ajaxCall(t, "LocBlock", "create",
			`{"email":{"email":"v@example.org","api.Contact.delete":{"id":3}}}`)),
			[]string{"3 LocBlock.create", "  3 Email.create", "    3 Contact.delete"}},
		{"v3 LocBlock.update and replace run the create", v3Walk(&Call{Form: FormAjax, Method: "POST", Batch: true,
			Params: jsonArray(t, `{"u":["LocBlock","update",{"id":1,"phone_2":{"phone":"1"}}],"r":["LocBlock","replace",{"values":[{"im":{"name":"x"}}]}]}`)}),
			[]string{"[u] 3 LocBlock.update", "  [u] 3 Phone.create", "  [u] 3 LocBlock.get", "  [u] 3 LocBlock.create",
				"[r] 3 LocBlock.replace", "  [r] 3 LocBlock.get", "  [r] 3 LocBlock.create", "    [r] 3 Im.create", "  [r] 3 LocBlock.delete"}},
		{"v3 LocBlock.setvalue runs no create", v3Walk(ajaxCall(t, "LocBlock", "setvalue", `{"id":1,"field":"email","value":{"email":"x"}}`)),
			[]string{"3 LocBlock.setvalue", "  3 LocBlock.update"}},
		{"v4 LocBlock.create is the DAO's", v4Walk(t, "LocBlock", "create", `{"values":{"email":{"email":"x"}}}`),
			[]string{"4 LocBlock.create"}},

		// A recurring contribution's amount edit rewrites its template
		// contribution (ContributionRecur::self_hook_civicrm_post, attack
		// 18); a new one has none.
		{"v4 ContributionRecur.update amount", v4Walk(t, "ContributionRecur", "update", `{"where":[["id","=",1]],"values":{"amount":0}}`),
			[]string{"4 ContributionRecur.update", "  4 Contribution.update ?", "  4 ContributionRecur.get"}},
		{"v3 ContributionRecur.create with an id and an amount", v3Walk(ajaxCall(t, "ContributionRecur", "create", `{"id":1,"amount":20}`)),
			[]string{"3 ContributionRecur.create", "  3 Contribution.update ?", "  3 ContributionRecur.update"}},
		{"v3 ContributionRecur.create of a new one", v3Walk(ajaxCall(t, "ContributionRecur", "create", `{"contact_id":2,"amount":20}`)),
			[]string{"3 ContributionRecur.create"}},
		// A report's menu item and dashlet (ReportInstance::create).
		{"v3 ReportInstance.create is_navigation, addToDashboard", v3Walk(ajaxCall(t, "ReportInstance", "create",
			`{"title":"T","report_id":"contribute/summary","is_navigation":1,"addToDashboard":"1"}`)),
			[]string{"3 ReportInstance.create", "  3 Navigation.create ?", "  3 Navigation.update ?", "  3 Dashboard.create ?", "  3 Dashboard.update ?",
				"  3 DashboardContact.create ?"}},
		{"v4 ReportInstance.create, its BAO's create", v4Walk(t, "ReportInstance", "create", `{"values":{"title":"T","report_id":"x","is_navigation":true}}`),
			[]string{"4 ReportInstance.create", "  4 Navigation.create ?", "  4 Navigation.update ?"}},
		{"v3 ReportInstance.create with is_navigation 0", v3Walk(ajaxCall(t, "ReportInstance", "create", `{"id":3,"is_navigation":0,"addToDashboard":""}`)),
			[]string{"3 ReportInstance.create", "  3 ReportInstance.update"}},
		// Attachments: attachFile_<n> arrays (processAttachment), EntityTag
		// for a tag list; a scalar, another spelling or another entity saves none.
		{"v3 Activity.create attachFile_1", v3Walk(ajaxCall(t, "Activity", "create", `{"id":1,"attachFile_1":{"location":"/tmp/x","type":"text/plain"}}`)),
			[]string{"3 Activity.create", "  3 File.create ?", "  3 File.update ?", "  3 EntityFile.create ?", "  3 EntityFile.update ?", "  3 Activity.update"}},
		{"v3 Note.create attachFile_12 with tags", v3Walk(ajaxCall(t, "Note", "create", `{"entity_id":2,"note":"n","attachFile_12":{"location":"/tmp/x","tag":{"3":1}}}`)),
			[]string{"3 Note.create", "  3 File.create ?", "  3 File.update ?", "  3 EntityFile.create ?", "  3 EntityFile.update ?", "  3 EntityTag.create ?"}},
		{"v4 Grant.update attachFile_2, a free tag", v4Walk(t, "Grant", "update", `{"where":[["id","=",1]],"values":{"attachFile_2":{"location":"/tmp/x","attachment_taglist":["4"]}}}`),
			[]string{"4 Grant.update", "  4 File.create ?", "  4 File.update ?", "  4 EntityFile.create ?", "  4 EntityFile.update ?", "  4 EntityTag.create ?", "  4 Grant.get"}},
		{"v4 Mailing.create attachFile_1", v4Walk(t, "Mailing", "create", `{"values":{"name":"m","attachFile_1":[]}}`),
			[]string{"4 Mailing.create", "  4 File.create ?", "  4 File.update ?", "  4 EntityFile.create ?", "  4 EntityFile.update ?"}},
		{"v3 Activity.create key-value attachFile.1[location]: PHP's attachFile_1", v3Walk(mustParse(t, postReq("/extern/rest.php",
			"entity=Activity&action=create&key=KEY&api_key=AK&json=1", "id=1&attachFile.1%5Blocation%5D=%2Ftmp%2Fx&attachFile.1%5Btype%5D=text%2Fplain"), externRoute())),
			[]string{"3 Activity.create", "  3 File.create ?", "  3 File.update ?", "  3 EntityFile.create ?", "  3 EntityFile.update ?", "  3 Activity.update"}},
		{"no attachment: a string, attachFile_0, attachFile_01, attachfile_1, attachFile_1 of a contact", v3Walk(&Call{Form: FormAjax, Method: "POST", Batch: true,
			Params: jsonArray(t, `{"a":["Activity","create",{"id":1,"attachFile_1":"/tmp/x","attachFile_0":{"location":"/tmp/x"},"attachFile_01":{"location":"/tmp/x"},"attachfile_1":{"location":"/tmp/x"}}],`+
				`"c":["Contact","create",{"id":2,"attachFile_1":{"location":"/tmp/x"}}]}`)}),
			[]string{"[a] 3 Activity.create", "  [a] 3 Activity.update", "[c] 3 Contact.create", "  [c] 3 Contact.update"}},
		{"inlineEdit of an activity's attachment", v4Walk(t, "SearchDisplay", "inlineEdit", `{"savedSearch":{"api_entity":"Activity"},"rowKey":3,"values":{"attachFile_1":{"location":"/tmp/x"}}}`),
			[]string{"4 SearchDisplay.inlineEdit", "  4 Activity.get via savedSearch", "  4 Activity.update ?", "  4 File.create ?", "  4 File.update ?",
				"  4 EntityFile.create ?", "  4 EntityFile.update ?"}},
		// A saved primary e-mail's copy: CRM_Core_BAO_Email::self_hook_civicrm_post ->
		// CRM_Core_BAO_UFMatch::updateUFName (uf_name, and the CMS user renamed),
		// the write's own doing (Own): named, or made primary by handlePrimary.
		{"v3 Email.create is_primary", v3Walk(ajaxCall(t, "Email", "create", `{"contact_id":3,"email":"n@x.org","is_primary":1}`)),
			[]string{"3 Email.create", "  3 UFMatch.update ?", "  3 User.update ?"}},
		{"v3 Email edit naming is_primary 0 (handlePrimary keeps an only e-mail primary)", v3Walk(ajaxCall(t, "Email", "create", `{"id":4,"is_primary":0}`)),
			[]string{"3 Email.create", "  3 UFMatch.update ?", "  3 User.update ?", "  3 Email.update"}},
		{"control: an edit not naming is_primary saves no primary e-mail", v3Walk(ajaxCall(t, "Email", "create", `{"id":4,"email":"n@x.org"}`)),
			[]string{"3 Email.create", "  3 Email.update"}},
		{"v4 Email.save of a new record (a contact's first e-mail is made primary)", v4Walk(t, "Email", "save", `{"records":[{"contact_id":3,"email":"n@x.org"}]}`),
			[]string{"4 Email.save", "  4 UFMatch.update ?", "  4 User.update ?", "  4 Email.create"}},
		{"control: v4 Email.save and update of records with ids not naming is_primary", v4Walk(t, "Email", "save", `{"records":[{"id":4,"email":"n@x.org"}]}`),
			[]string{"4 Email.save", "  4 Email.update"}},
		{"control: a location block's e-mail has no contact", v3Walk(ajaxCall(t, "LocBlock", "create", `{"email":{"email":"n@x.org","is_primary":1}}`)),
			[]string{"3 LocBlock.create", "  3 Email.create"}},
		{"a contact edit's e-mail block", v3Walk(ajaxCall(t, "Contact", "create", `{"id":3,"email":[{"email":"n@x.org","is_primary":1}]}`)),
			[]string{"3 Contact.create", "  3 Email.create ?", "    3 UFMatch.update ?", "    3 User.update ?",
				"  3 Email.update ?", "    3 UFMatch.update ?", "    3 User.update ?", "  3 Contact.update"}},
		{"v4 a contact's primary e-mail", v4Walk(t, "Contact", "update", `{"where":[["id","=",3]],"values":{"email_primary.email":"n@x.org"}}`),
			[]string{"4 Contact.update", "  4 Email.create ?", "    4 UFMatch.update ?", "    4 User.update ?",
				"  4 Email.update ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Contact.get"}},
		{"control: a new contact's e-mail has no CMS user yet", v4Walk(t, "Individual", "create", `{"values":{"email_primary.email":"n@x.org"}}`),
			[]string{"4 Individual.create", "  4 Email.create ?", "  4 Email.update ?"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !sameLines(tc.got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(tc.got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
