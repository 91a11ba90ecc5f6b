package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestCacheLabelSourceWriteRefreshesLabel: a LineItem's price_field_id
// has civicrm_price_field as its pseudoconstant table, so an APIv4
// LineItem.get selecting price_field_id:label answers with the price
// field's label. Once that read is cached, a PriceField.update through
// Civigate that renames the field must make the next LineItem.get a miss
// that shows the new label, not the old one for the whole TTL.
func TestCacheLabelSourceWriteRefreshesLabel(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache {\n\t\t\tttl 1h\n\t\t}"))
	adminH := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}}
	read := inst.URL + "/civicrm/ajax/api4/LineItem/get?params=" + url.QueryEscape(
		`{"select":["id","price_field_id:label"],"where":[["id","=",1]]}`)
	for i := 0; i < 2; i++ {
		if st, cs, b := a5Do(t, "GET", read, "", adminH); st != 200 || !strings.Contains(b, `"price_field_id:label":"Contribution Amount"`) {
			t.Fatalf("LineItem.get: %d %s %.300s", st, cs, b)
		}
	}
	if _, cs, _ := a5Do(t, "GET", read, "", adminH); !strings.Contains(cs, "hit") {
		t.Fatalf("LineItem.get not cached: %s", cs)
	}
	st, cs, b := a5Do(t, "POST", inst.URL+"/civicrm/ajax/api4/PriceField/update",
		"params="+url.QueryEscape(`{"where":[["id","=",1]],"values":{"label":"Donation"}}`), adminH)
	if st != 200 || !strings.Contains(cs, "bypass") {
		t.Fatalf("PriceField.update: %d %s %.300s", st, cs, b)
	}
	st, cs, b = a5Do(t, "GET", read, "", adminH)
	if strings.Contains(cs, "hit") || !strings.Contains(b, `"price_field_id:label":"Donation"`) {
		t.Errorf("after PriceField.update renamed the field, LineItem.get answers %d (%s) %.300s; want a miss with the new label", st, cs, b)
	}
}
