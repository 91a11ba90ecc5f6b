package tests

// APIv3 return fields spelled with spaces. _civicrm_api3_get_options_from_params
// reads a string return as explode(',', str_replace(' ', '', $params['return'])):
// every space is removed before the field names are looked up, so "e mail"
// is CiviCRM's "email" and "on _hold" its "on_hold" (spec: "comma string
// (spaces removed)"). A rule that refuses the client's explicit read of
// another entity's field must read the names as CiviCRM does.

import "testing"

func TestA11aReturnWithSpacesReadsOtherEntity(t *testing.T) {
	const why = "CiviCRM removes every space from a string return before reading it (str_replace(' ', '', return) in _civicrm_api3_get_options_from_params), so this return names the primary Email's fields and the call answers them"
	t.Run("deny Email", func(t *testing.T) {
		a11aRefuses(t, []string{"deny {", "entity Email", "}"}, []a11aCase{
			{"json return 'e mail'", a10V3("Contact", "get", `{"return":"display_name, e mail"}`), why},
			{"json return 'on _hold'", a10V3("Contact", "get", `{"return":"display_name,on _hold"}`), why},
			{"key-value return 'e mail'", a11aKV("entity=Contact", "action=get", "json=1", "return=display_name,e%20mail"), why},
			{"getsingle return 'em ail'", a10V3("Contact", "getsingle", `{"id":2,"return":"display_name,em ail"}`), why},
		})
	})
	t.Run("allow Contact get only", func(t *testing.T) {
		// The default answer is admitted with the call; a return the
		// client names itself needs Email allowed (README, APIv3 reads of
		// other entities), whatever spaces it holds.
		a11aRefuses(t, []string{"default deny", "allow {", "entity Contact", "action get", "}"}, []a11aCase{
			{"return 'e mail'", a10V3("Contact", "get", `{"return":"e mail"}`), why},
			{"return ' email_id'", a10V3("Contact", "get", `{"return":"display_name, email _id"}`), why},
		})
	})
}
