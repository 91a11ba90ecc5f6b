package tests

import "testing"

// TestA13ProfileSetSubmitsTheProfile: APIv3 Profile.set is the deprecated
// name of Profile.submit (civicrm_api3_profile_set returns
// civicrm_api3('profile', 'submit', $params)), so it saves the profile's
// contact with the client's values as Profile.submit does. The README
// refuses Profile.submit under deny { entity Contact action create update };
// set, alone or chained, must be refused the same way, nothing upstream.
func TestA13ProfileSetSubmitsTheProfile(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Contact", "action create update", "}")
	why := "Profile.set runs Profile.submit (api/v3/Profile.php), which writes the profile's contact"
	a10MustRefuse(t, sim, rec, inst, "Profile.set", a10V3("Profile", "set", `{"profile_id":1,"contact_id":2,"first_name":"X"}`), why)
	a10MustRefuse(t, sim, rec, inst, "chained api.Profile.set",
		a10V3("Contact", "get", `{"id":2,"api.Profile.set":{"profile_id":1,"first_name":"X"}}`), why)
}
