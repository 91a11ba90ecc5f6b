package tests

// Attack 24, policy: an APIv3 chained call whose return (the fields it
// reads) is filled from the parent's row at run time.
//
// Civi\API\Subscriber\ChainSubscriber runs each api.<Entity>.<action> key
// once per parent row, after _civicrm_api_replace_variables($params,
// $parentRow): every top-level string value starting with '$value' is
// replaced by the parent row's field (_civicrm_api_replace_variable), and
// so is the first value of an array value (the operator syntax), so
// "return": "$value.field_name", "return": ["$value.field_name"] and
// "options": {"return": "$value.field_name"} all become the parent's
// field_name. CiviCRM's own data makes that a read of e-mail addresses:
// the default profiles' UFField rows have field_name 'email'
// (xml/templates/civicrm_data.tpl: the Name and Address profile; 'phone'
// in summary_overlay), so UFField.get {"field_name":"email"} chained to
// Contact.get {"return":"$value.field_name"} runs Contact.get with return
// email, which Civigate refuses under deny { entity Email } when the
// client writes it. APIv4's equivalent, a chained select of "$f" where f
// is a computed alias, is refused already.

import "testing"

func TestA24V3ChainReturnFilledAtRunTime(t *testing.T) {
	why := "ChainSubscriber -> _civicrm_api_replace_variables replaces '$value.field_name' with the parent UFField row's field_name, " +
		"'email' for the default profiles (civicrm_data.tpl), so the chained Contact.get returns the contact's e-mail"
	a14Check(t, a14Policy{
		lines: a17Deny("Email"),
		controls: []a11aCase{
			{"chained return email", a10V3("UFField", "get", `{"field_name":"email","api.Contact.get":{"id":2,"return":"email"}}`), "the same read, written by the client"},
		},
		cases: []a11aCase{
			{"return $value.field_name", a10V3("UFField", "get", `{"field_name":"email","api.Contact.get":{"id":2,"return":"$value.field_name"}}`), why},
			{"return [$value.field_name]", a10V3("UFField", "get", `{"field_name":"email","api.Contact.get":{"id":2,"return":["$value.field_name"]}}`), why + " (an array's first value is replaced too)"},
			{"options.return $value.field_name", a10V3("UFField", "get", `{"field_name":"email","api.Contact.get":{"id":2,"options":{"return":"$value.field_name"}}}`), why + " (options' first value is replaced too)"},
		},
	})
}
