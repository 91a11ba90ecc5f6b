package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestAttack5CacheAPI4BodyLcMessagesSharesEntry: CiviCRM picks the locale
// of a request from lcMessages in $_REQUEST (CRM_Core_BAO_ConfigSetting::
// applyLocale, CRM_Utils_Request::retrieve): the query or a POST form. The
// answer's labels, option labels and multilingual fields follow it. An
// APIv4 call is forwarded as sent, so a POST body's lcMessages reaches
// CiviCRM; Civigate keys lcMessages when it is in the query (two entries),
// but not when it is in the POST body: the French answer and the default
// one share an entry, and whichever filled it is served for the other.
func TestAttack5CacheAPI4BodyLcMessagesSharesEntry(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "cache {\n\t\t\tttl 1h\n\t\t}"))
	admin := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}, "X-Civi-Key": {sim.SiteKey()}}
	u := inst.URL + "/civicrm/ajax/api4/Contact/get"
	params := "params=" + url.QueryEscape(`{"select":["id","gender_id:label","preferred_language:label"],"limit":3}`)

	// The query's lcMessages is a key of its own (control).
	a5Do(t, "POST", u, params, admin)
	if _, cs, _ := a5Do(t, "POST", u+"?lcMessages=fr_FR", params, admin); strings.Contains(cs, "hit") {
		t.Fatalf("query lcMessages shares the entry too (%s)", cs)
	}
	// The form's lcMessages is not.
	if _, cs, _ := a5Do(t, "POST", u, params+"&lcMessages=de_DE", admin); strings.Contains(cs, "hit") {
		t.Errorf("APIv4 POST with lcMessages=de_DE in its form body is answered from the entry of the call without it (%s): "+
			"CiviCRM reads lcMessages from the form too and answers in that locale", cs)
	}
}
