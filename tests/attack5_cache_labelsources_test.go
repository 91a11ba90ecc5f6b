package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestAttack5CacheLabelSourceWritesDoNotInvalidate: APIv3's Contact.get
// answers by default with the names of the contact's country, state or
// province and world region (country, state_province_name, world_region),
// and APIv4 reads select the same through pseudoconstant suffixes
// (address_primary.country_id:label, contact_sub_type:label). Those names
// and labels live in Country, StateProvince, WorldRegion, County and
// ContactType, and WordReplacement rewrites labels in every answer. A write
// to any of them is not seen as one that changes other entities' answers
// (LocationType, OptionValue, Domain… are: they invalidate everything), nor
// are these entities a dependency of the reads that show their labels: the
// cached reads stay hits after the write, and serve the old names for the
// whole TTL. The simulator does not implement these entities; the
// invalidation does not depend on the write's success.
func TestAttack5CacheLabelSourceWritesDoNotInvalidate(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache {\n\t\t\tttl 1h\n\t\t}"))
	admin := sim.Admin()
	adminH := http.Header{"X-Civi-Auth": {"Bearer " + admin.APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	v3Read := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=2&key=" +
		sim.SiteKey() + "&api_key=" + admin.APIKey
	v4Read := inst.URL + "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(
		`{"select":["id","contact_sub_type:label","address_primary.country_id:label","address_primary.state_province_id:label"],"where":[["id","=",2]]}`)
	for _, e := range []string{"Country", "StateProvince", "WorldRegion", "County", "ContactType", "WordReplacement"} {
		for i := 0; i < 2; i++ {
			if st, cs, b := a5Do(t, "GET", v3Read, "", nil); st != 200 || !strings.Contains(b, `"country"`) {
				t.Fatalf("APIv3 read: %d %s %.200s", st, cs, b)
			}
			if st, cs, b := a5Do(t, "GET", v4Read, "", adminH); st != 200 {
				t.Fatalf("APIv4 read: %d %s %.200s", st, cs, b)
			}
		}
		if _, cs, _ := a5Do(t, "GET", v3Read, "", nil); !strings.Contains(cs, "hit") {
			t.Fatalf("APIv3 read not cached: %s", cs)
		}
		st, cs, b := a5Do(t, "POST", inst.URL+"/civicrm/ajax/api4/"+e+"/update",
			"params="+url.QueryEscape(`{"where":[["id","=",1]],"values":{"label":"Renamed","name":"Renamed"}}`), adminH)
		if !strings.Contains(cs, "bypass") {
			t.Fatalf("%s.update not seen as a write: %d %s %.200s", e, st, cs, b)
		}
		if _, cs, _ := a5Do(t, "GET", v3Read, "", nil); strings.Contains(cs, "hit") {
			t.Errorf("APIv4 %s.update: the cached APIv3 Contact.get (country, state_province_name, world_region names) is still served (%s)", e, cs)
		}
		if _, cs, _ := a5Do(t, "GET", v4Read, "", adminH); strings.Contains(cs, "hit") {
			t.Errorf("APIv4 %s.update: the cached APIv4 Contact.get selecting its labels is still served (%s)", e, cs)
		}
	}
}
