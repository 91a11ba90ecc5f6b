package translate

import (
	"strings"
	"testing"
)

// What an APIv3 read answers of other entities under its own name
// (V3Returns, custom_N fields) and what an APIv3 write saves of them
// (contactWrites, fieldWrites, v3CustomWrites), as the policy and the cache see them.
func TestWalkV3ReturnsAndWrites(t *testing.T) {
	cases := []struct {
		name, entity, action, params string
		want                         []string
	}{
		// Contact.get: CRM_Contact_BAO_Query's default return.
		{"Contact.get's default return", "Contact", "get", `{"id":1}`,
			[]string{"3 Contact.get", "  3 Email.get via return", "  3 Phone.get via return", "  3 IM.get via return", "  3 Address.get via return"}},
		// A chained call's return filled from the parent's row
		// (_civicrm_api_replace_variables: a string, an array's first
		// value) may name any field: every entity a return reads.
		{"chained return $value.x", "UFField", "get", `{"api.Contact.get":{"id":2,"return":"$value.field_name"}}`,
			[]string{"3 UFField.get", "  3 Contact.get", "    3 ~.get via return"}},
		{"chained return [$value.x], options.return, sort", "UFField", "get", `{"api.Contact.get":{"id":2,"return":["$value.field_name","id"]},"api.Contact.getsingle":{"options":{"return":"$value.x"}},"api.Contribution.get":{"sort":"$value.x","return":"id"}}`,
			[]string{"3 UFField.get", "  3 Contact.get", "    3 ~.get via return", "  3 Contact.getsingle", "    3 ~.get via return", "    3 Contact.get",
				"  3 Contribution.get", "    3 ~.get via return", "    3 ContributionSoft.get via return", "    3 PCP.get via return"}},
		{"control: $value in the request's own return, in options after its first entry, in return's second value", "Contact", "get",
			`{"return":"$value.x","api.Email.get":{"options":{"limit":"$value.x","return":"email"},"return":["email","$value.y"]}}`,
			[]string{"3 Contact.get", "  3 Email.get"}},
		{"a return of its own fields reads none", "Contact", "get", `{"id":1,"return":["display_name","id"]}`,
			[]string{"3 Contact.get"}},
		{"return=email (a string)", "Contact", "get", `{"return":"display_name,email"}`,
			[]string{"3 Contact.get", "  3 Email.get via email"}},
		{"return as a map, options.return, return.x", "Contact", "getsingle", `{"return":{"phone":1},"options":{"return":{"street_address":1}},"return.im":1}`,
			[]string{"3 Contact.getsingle", "  3 Phone.get via phone", "  3 IM.get via im", "  3 Address.get via street_address", "  3 Contact.get"}},
		{"a location suffix", "Contact", "get", `{"return":["email-Primary"]}`,
			[]string{"3 Contact.get", "  3 Email.get via email"}},
		{"a sort on phone is no return", "Contact", "get", `{"options":{"sort":"phone DESC"},"sort":"city"}`,
			[]string{"3 Contact.get", "  3 Email.get via return", "  3 Phone.get via phone", "  3 IM.get via return", "  3 Address.get via city"}},
		{"a filter on email", "Contact", "get", `{"email":"a@b.c","return":"id"}`,
			[]string{"3 Contact.get", "  3 Email.get via email"}},
		{"group, tag and note filters and returns", "Contact", "get", `{"group":1,"tag":{"IN":[2]},"return":"notes,url,openid"}`,
			[]string{"3 Contact.get", "  3 OpenID.get via openid", "  3 Website.get via url", "  3 GroupContact.get via group", "  3 EntityTag.get via tag", "  3 Note.get via notes"}},
		{"filter.group_id is a group filter", "Contact", "getcount", `{"filter.group_id":"1,2","return":"id"}`,
			[]string{"3 Contact.getcount", "  3 GroupContact.get via group", "  3 Contact.get"}},
		// _civicrm_api3_contact_get_supportanomalies looks titles and names up
		// in civicrm_group; group_type is resolved from it (attack 14).
		{"a group filter by title reads the groups", "Contact", "get", `{"group":"Admins","return":"id"}`,
			[]string{"3 Contact.get", "  3 GroupContact.get via group", "  3 Group.get via group"}},
		{"a title in the operator form", "Contact", "getcount", `{"group":{"IN":[1,"Admins"]},"return":"id"}`,
			[]string{"3 Contact.getcount", "  3 GroupContact.get via group", "  3 Group.get via group", "  3 Contact.get"}},
		{"a list of titles", "Contact", "get", `{"group":["Admins"],"return":"id"}`,
			[]string{"3 Contact.get", "  3 GroupContact.get via group", "  3 Group.get via group"}},
		{"a map of titles", "Contact", "get", `{"group":{"Admins":1},"return":"id"}`,
			[]string{"3 Contact.get", "  3 GroupContact.get via group", "  3 Group.get via group"}},
		{"group_type", "Contribution", "get", `{"group_type":"Access Control","return":"id"}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return",
				"  3 GroupContact.get via group_type", "  3 Group.get via group_type"}},
		{"control: group ids read no group", "Contact", "get", `{"group":{"IN":[1,"2"]},"return":"id"}`,
			[]string{"3 Contact.get", "  3 GroupContact.get via group"}},
		{"control: titles are Contact.get's only", "Contribution", "get", `{"group":"Admins","return":"id"}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return", "  3 GroupContact.get via group"}},
		// _civicrm_api3_validate_integer -> _civicrm_api3_api_match_pseudoconstant
		// looks a name given for an integer field with a pseudoconstant up in
		// the option entity's rows, filter or written value (attack 16).
		{"a group_id by name reads the group", "GroupContact", "get", `{"group_id":"Admins"}`,
			[]string{"3 GroupContact.get", "  3 Group.get via group_id"}},
		{"a name in an IN list", "GroupContact", "getcount", `{"group_id":{"IN":[1,"Admins"]}}`,
			[]string{"3 GroupContact.getcount", "  3 Group.get via group_id", "  3 GroupContact.get"}},
		{"a campaign by name under its unique name", "Contribution", "get", `{"contribution_campaign_id":"Spring","return":"id"}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return", "  3 Campaign.get via contribution_campaign_id"}},
		{"a written financial type by name", "Contribution", "create", `{"contact_id":1,"total_amount":1,"financial_type_id":"Donation"}`,
			[]string{"3 Contribution.create", "  3 FinancialType.get via financial_type_id"}},
		// _civicrm_api3_case_format_params looks the legacy case_type up
		// by name or title where case_type_id is empty (attack 22).
		{"a case type by name under case_type", "Case", "create", `{"contact_id":3,"case_type":"housing_support","subject":"x"}`,
			[]string{"3 Case.create", "  3 CaseType.get via case_type", "  3 CaseContact.create ?", "  3 Activity.create ?",
				"  3 ActivityContact.create ?", "  3 CaseActivity.create ?", "  3 Relationship.create ?"}},
		{"case_type on an edit, case_type_id empty", "Case", "create", `{"id":1,"case_type_id":"","case_type":"Housing Support"}`,
			[]string{"3 Case.create", "  3 CaseType.get via case_type", "  3 Case.update"}},
		{"case_type in a chain", "Contact", "get", `{"id":3,"return":"id","api.Case.create":{"contact_id":"$value.id","case_type":"housing_support","subject":"x"}}`,
			[]string{"3 Contact.get", "  3 Case.create", "    3 CaseType.get via case_type", "    3 CaseContact.create ?", "    3 Activity.create ?",
				"    3 ActivityContact.create ?", "    3 CaseActivity.create ?", "    3 Relationship.create ?"}},
		{"control: a case_type id", "Case", "create", `{"id":1,"case_type":"2"}`,
			[]string{"3 Case.create", "  3 Case.update"}},
		{"control: ids, LIKE, user_contact_id and APIv4-only names read no option entity", "GroupContact", "get",
			`{"group_id":{"LIKE":"Adm%"},"contact_id":"user_contact_id","status":"Added","tags":"x"}`,
			[]string{"3 GroupContact.get"}},
		// "@user:<name>" is resolved through the CMS user and its UFMatch row
		// (_civicrm_api3_validate_integer -> _civicrm_api3_resolve_contactID).
		{"a contact id given as @user:<name>", "Email", "get", `{"contact_id":"@user:admin"}`,
			[]string{"3 Email.get", "  3 UFMatch.get via contact_id", "  3 User.get via contact_id"}},
		{"@user as an operator's operand, in a write (its own lookup), once a call", "Activity", "create",
			`{"activity_type_id":1,"source_contact_id":{"!=":"@user:a"},"target_id":"@user:b","api.Note.get":{"contact_id":"@user:c"}}`,
			[]string{"3 Activity.create", "  3 UFMatch.get via source_contact_id", "  3 User.get via source_contact_id",
				"  3 ActivityContact.create ?", "  3 Note.get", "    3 UFMatch.get via contact_id", "    3 User.get via contact_id"}},
		// A chained call's "$value.<key>" is the parent row's data
		// (_civicrm_api_replace_variables): "@user:<name>" unless the row
		// holds its id or an integer foreign key there.
		{"chained $value of a string field, an operator's operand", "Activity", "get",
			`{"return":"subject","api.Note.get":{"contact_id":"$value.subject"},"api.Email.get":{"contact_id":{"IN":"$value.details"}}}`,
			[]string{"3 Activity.get", "  3 ActivityContact.get via return", "  3 Contact.get via return", "  3 Note.get", "    3 UFMatch.get via contact_id", "    3 User.get via contact_id",
				"  3 Email.get", "    3 UFMatch.get via contact_id", "    3 User.get via contact_id"}},
		{"control: chained $value.id and a foreign key, a string field for no contact id, the request's own $value", "Activity", "get",
			`{"return":"subject","source_contact_id":"$value.x","api.Note.get":{"contact_id":"$value.source_contact_id","entity_id":"$value.id","subject":"$value.subject"}}`,
			[]string{"3 Activity.get", "  3 ActivityContact.get via return", "  3 Contact.get via return", "  3 Note.get"}},
		// _civicrm_api3_generic_getList_defaults: a scalar id is the filter
		// on id_field of the get getlist runs (attack 22, the APIv3 side of
		// APIv4 autocomplete's ids).
		{"@user as getlist's id, on its id_field", "Email", "getlist", `{"id":"@user:admin","id_field":"contact_id"}`,
			[]string{"3 Email.getlist", "  3 Email.get", "    3 UFMatch.get via contact_id", "    3 User.get via contact_id"}},
		{"@user as getlist's id", "Contact", "getlist", `{"id":"@user:admin","params":{"return":"id"}}`,
			[]string{"3 Contact.getlist", "  3 Contact.get", "    3 UFMatch.get via id", "    3 User.get via id"}},
		{"control: getlist's ids as a list (an IN list)", "Email", "getlist", `{"id":["@user:a"]}`,
			[]string{"3 Email.getlist", "  3 Email.get"}},
		{"control: getlist's ids with a comma (exploded into an IN list)", "Email", "getlist", `{"id":"@user:a,@user:b"}`,
			[]string{"3 Email.getlist", "  3 Email.get"}},
		{"control: @user in a list, under = or IS NULL, in return or options, user_contact_id", "Email", "get",
			`{"contact_id":{"IN":["@user:a"]},"id":{"=":"@user:b"},"location_type_id":{"IS NULL":"@user:c"},"return":"@user:d","options":{"sort":"@user:e"},"email":"user_contact_id"}`,
			[]string{"3 Email.get"}},
		{"control: a numeric id", "Contribution", "get", `{"campaign_id":{"IN":[1,"2"]},"financial_type_id":3,"return":"id"}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return"}},
		{"control: getoptions' bare name is no field", "Contribution", "get", `{"campaign":"Spring","return":"id"}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return"}},
		{"getlist's get", "Contact", "getlist", `{"params":{"return":"id"}}`,
			[]string{"3 Contact.getlist", "  3 Contact.get"}},
		{"a custom field returned", "Contact", "get", `{"return":["custom_1","id"]}`,
			[]string{"3 Contact.get", "  3 CustomValue.get via custom_1"}},
		{"a custom field as a filter, any entity", "Membership", "get", `{"custom_12_from":"2020-01-01"}`,
			[]string{"3 Membership.get", "  3 CustomValue.get via custom_12_from"}},
		{"custom_x is no custom field", "Membership", "get", `{"custom_x":1,"customer_1":1}`,
			[]string{"3 Membership.get"}},
		// The component queries: the contact's names, notes, batch, soft credits.
		{"Contribution.get's default return", "Contribution", "get", `{"id":1}`,
			[]string{"3 Contribution.get", "  3 Contact.get via return", "  3 Note.get via return", "  3 Batch.get via return",
				"  3 ContributionSoft.get via return", "  3 PCP.get via return"}},
		{"Contribution.get's return of display_name", "Contribution", "get", `{"return":["total_amount","display_name"]}`,
			[]string{"3 Contribution.get", "  3 Contact.get via display_name", "  3 ContributionSoft.get via return", "  3 PCP.get via return"}},
		{"Contribution.get's return of the contact's email", "Contribution", "get", `{"return":"email"}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return", "  3 Email.get via email"}},
		{"Participant.get's event fields", "Participant", "get", `{"return":["event_title","event_start_date"]}`,
			[]string{"3 Participant.get", "  3 Event.get via event_title"}},
		// The contact query's sortName matches the e-mail too
		// (includeEmailInName): the call's own answer.
		{"Pledge.get by contact name", "Pledge", "get", `{"sort_name":"x","return":"id"}`,
			[]string{"3 Pledge.get", "  3 Contact.get via sort_name", "  3 Email.get via return"}},
		{"Event.get: is_full only with return.is_full, price_set_id with a return", "Event", "get", `{"return.is_full":1}`,
			[]string{"3 Event.get", "  3 Participant.get via is_full", "  3 PriceSetEntity.get via return"}},
		{"Event.get without a return", "Event", "get", `{"id":1}`,
			[]string{"3 Event.get"}},
		{"Event.getlist's repeat suffix", "Event", "getlist", ``,
			[]string{"3 Event.getlist", "  3 RecurringEntity.get via return", "  3 Event.get"}},
		{"Activity.getlist's repeat suffix", "Activity", "getlist", `{"input":"Call"}`,
			[]string{"3 Activity.getlist", "  3 RecurringEntity.get via return", "  3 Activity.get", "    3 ActivityContact.get via return",
				"    3 Contact.get via return"}},
		{"a join reads its field, not the joined entity's default return", "Email", "get", `{"return":"contact_id.display_name"}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.display_name"}},
		{"in a chain", "Membership", "get", `{"return":"id","api.Contact.get":{"return":"email"}}`,
			[]string{"3 Membership.get", "  3 Contact.get", "    3 Email.get via email"}},

		// _civicrm_api3_get_options_from_params: a string return loses
		// every space before it is split on commas (attack 11a).
		{"a string return's spaces are removed", "Contact", "get", `{"return":"display_name, e mail,on _hold"}`,
			[]string{"3 Contact.get", "  3 Email.get via email"}},
		{"a return list keeps its spaces", "Contact", "get", `{"return":["display_name","e mail"]}`,
			[]string{"3 Contact.get"}},
		{"only the space goes", "Contact", "get", "{\"return\":\"display_name,e\\tmail\"}",
			[]string{"3 Contact.get"}},
		{"a spaced return through a foreign key", "Email", "get", `{"return":"email,contact_id .display_name"}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.display_name"}},

		// CRM_Contact_BAO_Query runs every component's where and select
		// (attack 11a): a filter or return named after another
		// component's data reads it.
		{"contribution filters of a contact get", "Contact", "get", `{"return":"display_name","contribution_amount_low":1000}`,
			[]string{"3 Contact.get", "  3 Contribution.get via contribution_amount_low"}},
		{"an unprefixed contribution field", "Contact", "getcount", `{"total_amount":{">":5},"return":"id"}`,
			[]string{"3 Contact.getcount", "  3 Contribution.get via total_amount", "  3 Contact.get"}},
		{"membership, relationship and participant filters", "Contact", "get",
			`{"return":"id","membership_type_id":1,"relation_type_id":2,"event_id":3}`,
			[]string{"3 Contact.get", "  3 Membership.get via membership_type_id", "  3 Participant.get via event_id",
				"  3 Event.get via event_id", "  3 Relationship.get via relation_type_id"}},
		{"activity, case, pledge, grant and mailing filters", "Contact", "get",
			`{"return":"id","activity_type_id":1,"case_status_id":2,"pledge_payment_status_id":3,"grant_type_id":4,"mailing_id":[5]}`,
			[]string{"3 Contact.get", "  3 Pledge.get via pledge_payment_status_id", "  3 PledgePayment.get via pledge_payment_status_id",
				"  3 Case.get via case_status_id", "  3 CaseContact.get via case_status_id", "  3 Grant.get via grant_type_id",
				"  3 Mailing.get via mailing_id", "  3 MailingRecipients.get via mailing_id", "  3 MailingJob.get via mailing_id",
				"  3 MailingEventQueue.get via mailing_id", "  3 MailingEventDelivered.get via mailing_id",
				"  3 MailingEventBounce.get via mailing_id", "  3 MailingEventOpened.get via mailing_id",
				"  3 MailingEventTrackableURLOpen.get via mailing_id", "  3 MailingEventReply.get via mailing_id",
				"  3 MailingEventUnsubscribe.get via mailing_id", "  3 Activity.get via activity_type_id",
				"  3 ActivityContact.get via activity_type_id"}},
		{"a component's return", "Contact", "get", `{"return":"display_name,contribution_source,contribution_soft_credit_name"}`,
			[]string{"3 Contact.get", "  3 Contribution.get via contribution_soft_credit_name",
				"  3 ContributionSoft.get via contribution_soft_credit_name"}},
		{"the get's own component is its own", "Participant", "get", `{"return":"participant_status","event_id":3}`,
			[]string{"3 Participant.get"}},
		{"another component of a component get", "Contribution", "get", `{"return":"total_amount","membership_type_id":1}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return",
				"  3 Membership.get via membership_type_id"}},
		{"contact query filters on other tables", "Contact", "get", `{"return":"id","uf_user":1,"tag_search":"x","phone_numeric":"5","prox_distance":3}`,
			[]string{"3 Contact.get", "  3 Phone.get via phone_numeric", "  3 Address.get via prox_distance",
				"  3 EntityTag.get via tag_search", "  3 UFMatch.get via uf_user"}},

		// Activity.get and Case.get (once the cache's own list):
		// what _civicrm_api3_activity_get_formatResult and
		// _civicrm_api3_case_read add to the rows.
		{"Activity.get's source contact, always", "Activity", "get", `{"return":"subject"}`,
			[]string{"3 Activity.get", "  3 ActivityContact.get via return", "  3 Contact.get via return"}},
		{"Activity.get's tags, files, cases and target names", "Activity", "get", `{"return":"target_contact_name,file_id","tag_id":1,"case_id":2}`,
			[]string{"3 Activity.get", "  3 ActivityContact.get via return", "  3 Contact.get via target_contact_name",
				"  3 EntityTag.get via tag_id", "  3 EntityFile.get via file_id", "  3 CaseActivity.get via case_id"}},
		{"Case.get by id answers its activities and contacts", "Case", "get", `{"id":"3"}`,
			[]string{"3 Case.get", "  3 CaseContact.get via return", "  3 CaseActivity.get via return", "  3 Activity.get via return", "  3 Contact.get via return",
				"  3 Email.get via return", "  3 Phone.get via return", "  3 Relationship.get via return"}},
		{"Case.get without an id answers its clients only", "Case", "get", `{"status_id":1}`,
			[]string{"3 Case.get", "  3 CaseContact.get via return"}},
		{"control: Case.get with a return naming no client", "Case", "get", `{"return":"subject"}`,
			[]string{"3 Case.get"}},
		// civicrm_api3_case_get filters contact_id on civicrm_case_contact,
		// under its api.aliases name client_id too (v3schema.go).
		{"Case.get by client", "Case", "get", `{"return":"subject","contact_id":3}`,
			[]string{"3 Case.get", "  3 CaseContact.get via contact_id"}},
		{"Case.get by client under its alias", "Case", "get", `{"return":"subject","client_id":3}`,
			[]string{"3 Case.get", "  3 CaseContact.get via contact_id"}},
		{"Case.get's named extras", "Case", "get", `{"return":"subject,activities","tag_id":1}`,
			[]string{"3 Case.get", "  3 CaseActivity.get via activities", "  3 Activity.get via activities", "  3 EntityTag.get via tag_id"}},
		{"getfields reads nothing", "Contact", "getfields", ``, []string{"3 Contact.getfields"}},

		// LocBlock.get and Domain.get (attack 15): what
		// civicrm_api3_loc_block_get and civicrm_api3_domain_get add.
		{"LocBlock.get's named records", "LocBlock", "get", `{"id":1,"return":"phone,email_2"}`,
			[]string{"3 LocBlock.get", "  3 Email.get via email_2", "  3 Phone.get via phone"}},
		{"LocBlock.get's return all", "LocBlock", "getsingle", `{"id":1,"return":["all"]}`,
			[]string{"3 LocBlock.getsingle", "  3 Address.get via all", "  3 Email.get via all", "  3 Phone.get via all",
				"  3 IM.get via all", "  3 LocBlock.get"}},
		{"LocBlock.get without a return: ids only", "LocBlock", "get", `{"id":1}`,
			[]string{"3 LocBlock.get"}},
		{"Domain.get's contact location and From address, whatever the return", "Domain", "get", `{"current_domain":1,"return":"name"}`,
			[]string{"3 Domain.get", "  3 Email.get via return", "  3 Phone.get via return", "  3 Address.get via return",
				"  3 SiteEmailAddress.get via return"}},
		{"getunique answers metadata", "Contact", "getunique", ``, []string{"3 Contact.getunique", "  3 Contact.get"}},

		// Contact.create: CRM_Contact_BAO_Contact::create's other records.
		{"group 1 adds, -1 removes", "Contact", "create", `{"id":2,"group":{"1":1,"2":"-1"}}`,
			[]string{"3 Contact.create", "  3 GroupContact.create ?", "  3 GroupContact.update ?", "  3 GroupContact.update ?", "  3 GroupContact.delete ?", "  3 Contact.update"}},
		{"group flags that are neither", "Contact", "create", `{"id":2,"group":{"1":0,"2":"x","3":[1]}}`,
			[]string{"3 Contact.create", "  3 Contact.update"}},
		{"group flag true is 1", "Contact", "create", `{"contact_type":"Individual","group":{"1":true}}`,
			[]string{"3 Contact.create", "  3 GroupContact.create ?", "  3 GroupContact.update ?"}},
		{"a string email", "Contact", "create", `{"contact_type":"Individual","email":"a@b.c"}`,
			[]string{"3 Contact.create", "  3 Email.create ?", "  3 Email.update ?"}},
		{"location blocks, blank ones deleted", "Contact", "create", `{"id":2,"phone":[{"phone":"1"}],"address":[{"city":"x"}],"updateBlankLocInfo":1}`,
			[]string{"3 Contact.create", "  3 Phone.create ?", "  3 Phone.update ?", "  3 Phone.delete ?",
				"  3 Address.create ?", "  3 Address.update ?", "  3 Address.delete ?", "  3 Contact.update"}},
		{"home_url, note, employer, is_deceased", "Contact", "update", `{"id":2,"home_url":"https://x","note":"n","employer_id":5,"is_deceased":1}`,
			[]string{"3 Contact.update", "  3 Website.create ?", "  3 Website.update ?", "  3 Website.delete ?", "  3 Note.create ?",
				"  3 Relationship.create ?", "  3 Relationship.update ?", "  3 Membership.update ?", "  3 Contact.get", "  3 Contact.create"}},
		{"current_employer creates the organisation", "Contact", "create", `{"contact_type":"Individual","first_name":"a","current_employer":"Acme"}`,
			[]string{"3 Contact.create", "  3 Relationship.create ?", "  3 Relationship.update ?", "  3 Contact.create ?"}},
		{"tag is no create parameter", "Contact", "create", `{"contact_type":"Individual","first_name":"a","tag":{"1":1}}`,
			[]string{"3 Contact.create"}},
		{"a replace's elements", "Contact", "replace", `{"values":[{"group":{"1":1}}]}`,
			[]string{"3 Contact.replace", "  3 Contact.get", "  3 Contact.create", "    3 GroupContact.create ?", "    3 GroupContact.update ?", "  3 Contact.delete"}},
		{"an Email create is no contact write", "Email", "create", `{"contact_id":2,"email":"a@b.c","group":{"1":1}}`,
			[]string{"3 Email.create", "  3 UFMatch.update ?", "  3 User.update ?"}},

		// civicrm_api3_case_activity_create returns civicrm_api3_activity_create($params).
		{"Case.activity_create is Activity.create", "Case", "activity_create",
			`{"activity_type_id":1,"target_contact_id":3,"api.Note.create":{"note":"x"}}`,
			[]string{"3 Case.activity_create", "  3 Activity.create", "    3 ActivityContact.create ?", "  3 Note.create", "    3 Note.update"}},
		// custom_N in any create.
		// (A new APIv3 activity also writes its source contact's
		// ActivityContact row: fieldwrites.go, v3Defaults.)
		{"custom_N in a create", "Activity", "create", `{"activity_type_id":1,"custom_1":"x"}`,
			[]string{"3 Activity.create", "  3 ActivityContact.create ?", "  3 CustomValue.create ?", "  3 CustomValue.update ?"}},
		{"custom_N_M in a contact update", "Contact", "create", `{"id":2,"custom_1_-1":"x"}`,
			[]string{"3 Contact.create", "  3 CustomValue.create ?", "  3 CustomValue.update ?", "  3 Contact.update"}},
		{"a null custom value is skipped", "Activity", "create", `{"custom_1":null}`,
			[]string{"3 Activity.create", "  3 ActivityContact.create ?"}},
		{"a custom array", "Activity", "create", `{"custom":{"1":{"-1":{"value":"x"}}}}`,
			[]string{"3 Activity.create", "  3 ActivityContact.create ?", "  3 CustomValue.create ?", "  3 CustomValue.update ?"}},
		{"setvalue of a custom field", "Activity", "setvalue", `{"id":1,"field":"custom_3","value":"x"}`,
			[]string{"3 Activity.setvalue", "  3 CustomValue.create ?", "  3 CustomValue.update ?", "  3 Activity.update"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := v3Walk(ajaxCall(t, tc.entity, tc.action, tc.params)); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
