package tests

// Attack 7 (verdict generation): a credential change written through
// Civigate in a form it does not recognise as one forgets no remembered
// verdict, so the old credential keeps working at the edge for up to
// verdict_ttl (5m by default). README ("auth", API keys): "A change made
// elsewhere (CiviCRM's own screens not through Civigate, the CMS) takes up
// to verdict_ttl to be seen" — i.e. what goes through Civigate is meant to
// be seen at once; the brief of the change: "a rotated key stops working at
// once".
//
// Carriers tried here, each passed on by Civigate, each one that really
// changes what civicrm/authx/id answers on a CiviCRM site:
//   - a POST of AuthX's own settings page (civicrm/admin/setting/authx,
//     CRM_Admin_Form_Generic over the authx_* settings): the same settings
//     a Setting write changes, which Civigate does treat as a credential
//     change through the API;
//   - APIv4 Afform.submit of a form whose Individual sets api_key, and
//     SearchDisplay.inlineEdit of a display showing api_key: a Contact
//     write naming api_key inside another action's params (Civigate forgets
//     on "a Contact write whose params name api_key at any depth" only when
//     the envelope is Contact's own create/update/save…);
//   - APIv4 Afform.submit of a form whose entity is a User (Standalone's
//     user admin forms are Afforms: deactivating the user or taking its
//     roles, the "authenticate with api key" permission, away): a User
//     write in another envelope.
// (A permanent Contact.delete, which also forgets nothing, is harmless with
// forward_jwt: CiviCRM refuses the minted JWT of a deleted contact.)
// The edge's verdict decides only with forward_jwt (otherwise the client's
// key goes upstream and CiviCRM refuses it itself), so the site uses it.
// In each case the simulator is then made to answer as CiviCRM would after
// the change, and the old credential is sent again: CiviCRM refuses it, the
// edge still serves it from its remembered verdict.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a7PageOK answers a page POST 200 as CiviCRM does for a logged-in admin's
// successful form post, and applies its effect on the simulated site.
type a7PageOK struct {
	next   http.Handler
	path   string
	effect func()
}

func (h *a7PageOK) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "POST" && r.URL.Path == h.path {
		h.effect()
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(200)
		_, _ = w.Write([]byte("<html><body>Settings saved.</body></html>"))
		return
	}
	h.next.ServeHTTP(w, r)
}

func TestAttack7RotateCarriersForgetNothing(t *testing.T) {
	type carrier struct {
		name string
		// page: the path answered 200 by a7PageOK (with effect); empty:
		// the request goes to the simulator and effect runs after it.
		page         string
		method, path string
		body         string
		admin        bool // send the admin's credential
	}
	cases := []carrier{
		{name: "authx settings page", page: "/civicrm/admin/setting/authx", method: "POST",
			path: "/civicrm/admin/setting/authx?reset=1",
			body: "authx_xheader_cred%5B%5D=jwt&authx_header_cred%5B%5D=jwt&authx_param_cred%5B%5D=jwt&qfKey=x&_qf_Generic_submit=Save"},
		{name: "Afform.submit setting an Individual's api_key", method: "POST", admin: true,
			path: "/civicrm/ajax/api4/Afform/submit",
			body: "params=" + url.QueryEscape(`{"name":"afformResetApiKey","args":{"Individual1":CID},"values":{"Individual1":[{"fields":{"id":CID,"api_key":"n3w-k3y-0f-ada"}}]}}`)},
		{name: "SearchDisplay.inlineEdit of api_key", method: "POST", admin: true,
			path: "/civicrm/ajax/api4/SearchDisplay/inlineEdit",
			body: "params=" + url.QueryEscape(`{"savedSearch":"Contact_API_keys","display":"Contact_API_keys_Table","rowKey":CID,"values":{"api_key":"n3w-k3y-0f-ada"}}`)},
		{name: "Afform.submit of a User (Standalone user form)", method: "POST", admin: true,
			path: "/civicrm/ajax/api4/Afform/submit",
			body: "params=" + url.QueryEscape(`{"name":"afformAdminUserEdit","args":{"User1":UID},"values":{"User1":[{"fields":{"id":UID,"roles":[],"is_active":false}}]}}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			creds := map[string][]string{"xheader": {"jwt", "api_key"}}
			sim := civicrmsim.New(civicrmsim.Options{AuthxCred: creds})
			ada := sim.User("ada")
			oldKey := ada.APIKey
			// What CiviCRM answers after the change: the settings page
			// takes API keys off the xheader flow; the other carriers
			// leave ada's key naming no one.
			effect := func() {
				if tc.page != "" {
					creds["xheader"] = []string{"jwt"}
				} else {
					ada.APIKey = "rotated-" + oldKey
				}
			}
			var h http.Handler = sim
			if tc.page != "" {
				h = &a7PageOK{next: sim, path: tc.page, effect: effect}
			}
			up := newA7Server(t, h)
			inst := startCaddy(t, siteCaddyfile(up, "site_key "+sim.SiteKey(), "sign_keys \""+sim.SignKeys()+"\"", "auth {", "forward_jwt", "}"))
			adaGet := func() (int, string) {
				return a7Req(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1",
					map[string]string{"X-Civi-Auth": "Bearer " + oldKey}, "")
			}
			if st, body := adaGet(); st != 200 || !strings.Contains(body, `"is_error":0`) {
				t.Fatalf("before the change: %d %s", st, body)
			}
			hdr := map[string]string{}
			if tc.admin {
				hdr["X-Civi-Auth"] = "Bearer " + sim.Admin().APIKey
				hdr["X-Civi-Key"] = sim.SiteKey()
			}
			body := strings.NewReplacer("CID", itoa(int(ada.ContactID)), "UID", itoa(int(ada.UserID))).Replace(tc.body)
			st, rb := a7Req(t, tc.method, inst.URL+tc.path, hdr, body)
			if len(rb) > 200 {
				rb = rb[:200]
			}
			t.Logf("change through Civigate: %d %s", st, rb)
			if tc.page == "" {
				effect()
			}
			st, got := adaGet()
			t.Logf("old key after: %d %.200s", st, got)
			if st == 200 && strings.Contains(got, `"is_error":0`) {
				t.Errorf("after %s through Civigate the old API key is still served as its contact (%d %s); CiviCRM refuses it (expected 401: the change went through Civigate, so every remembered verdict should have been forgotten)", tc.name, st, got)
			}
		})
	}
}
