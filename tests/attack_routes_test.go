package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
	"github.com/civigate/civigate/translate"
)

// The attack corpus of issue 12, items 4 and 5: requests a CMS in front of
// CiviCRM would route to an API although their URL or body is not the
// API's canonical form. Each carries a valid credential and site key, as
// an attacker holding a key (or a misconfigured client) would: Civigate must
// still refuse it itself, and nothing may reach CiviCRM as sent. Controls
// show that ordinary traffic and clean APIv4 still pass unchanged and that
// the log sees what Civigate forwards. The CMS behaviour behind each class
// is in translate/cmsroute.go; the PHP model in translate checks it.
func TestAttackRoutes(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	// The site routes Civigate's question about a Joomla page's
	// credential, asked in the page's form, as Joomla would (the
	// simulator is Standalone, which routes no verbose form).
	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.php" && r.URL.RawQuery == "option=com_civicrm&task=civicrm/authx/id" {
			r.URL.Path, r.URL.RawQuery, r.RequestURI = "/civicrm/authx/id", "", "/civicrm/authx/id"
		}
		sim.ServeHTTP(w, r)
	})
	log := &upstreamLog{next: front}
	srv := httptest.NewServer(log)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "max_body_size 1MiB"))
	log.take()
	credentials := []string{"X-Civi-Auth: Bearer " + sim.Admin().APIKey, "X-Civi-Key: " + sim.SiteKey()}

	const (
		refused         = iota // Civigate's own 400, nothing upstream
		refusedStreamed        // Civigate's own 400 for a body past the first 64 KiB: upstream gets part of it, never its end nor the routing parameter
		passed                 // not an API request: upstream gets it as sent
		served                 // recognised: upstream gets only Civigate's own calls
		servedAsSent           // APIv4: authenticated and policed, then upstream gets its call (the form PHP reads) as sent
	)
	const form = "application/x-www-form-urlencoded"
	call := "&entity=Contact&action=create&contact_type=Individual&first_name=Mallory&json=1"
	multipart := func(fields ...string) string {
		var b strings.Builder
		for i := 0; i < len(fields); i += 2 {
			b.WriteString("--XyZ\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n" + fields[i+1] + "\r\n")
		}
		return b.String() + "--XyZ--\r\n"
	}
	padding := strings.Repeat("padding=xxxxxxxx&", 4<<10) // 68 KiB
	upload := func(size int, after ...string) string {
		return multipart(append([]string{"async-upload", strings.Repeat("z", size)}, after...)...)
	}
	cookies := map[string]string{
		"joomla-request-order-cookie/task":                          "task=civicrm/ajax/rest",
		"joomla-request-order-cookie/all-in-cookies":                "option=com_civicrm; Itemid=1; view=x; task=civicrm/ajax/rest",
		"joomla-request-order-cookie/over-the-urls-task":            "Itemid=1; view=x; task=civicrm/ajax/re%3Cx%3Est",
		"joomla-request-order-cookie/apiv4-forwarded-as-sent":       "option=com_civicrm; Itemid=1; view=x; task=civicrm/ajax/api4/Contact/delete",
		"joomla-request-order-cookie/authx-route-forwarded-as-sent": "option=com_civicrm; Itemid=1; view=x; task=civicrm/ajax/rest",
		"control/joomla-cookies":                                    "Itemid=1; view=x; task=civicrm/dashboard",
	}
	for _, tc := range []struct {
		class, method, target, ct, body string
		want                            int
	}{
		// Item 4: routing values CMSs normalise before CiviCRM routes them.
		{"wordpress-trims-q/leading-space", "GET", "/?civiwp=CiviCRM&q=%20civicrm/ajax/rest" + call, "", "", refused},
		{"wordpress-trims-q/trailing-space", "GET", "/?civiwp=CiviCRM&q=civicrm/ajax/rest%20" + call, "", "", refused},
		{"wordpress-trims-q/vertical-tab", "GET", "/?civiwp=CiviCRM&q=civicrm/ajax/rest%0B" + call, "", "", refused},
		// A trailing space on the clean path reaches the API under every CMS's
		// router: Standalone decodes it into the last segment and WordPress's
		// base page rule into q (which it trims); Drupal 7 and Backdrop
		// urldecode it into $_GET['q'], Drupal 8 into the extra part it
		// appends to the route; then CiviCRM's menu lookup compares
		// "civicrm/ajax/rest " under a PAD SPACE collation, finds
		// civicrm/ajax/rest, and finds it in the path. (Joomla routes by
		// option and task, not by this path.)
		{"menu-lookup-pad-space/clean-path", "GET", "/civicrm/ajax/rest%20?" + call[1:], "", "", refused},
		{"urldecode-plus/clean-path", "GET", "/civicrm/ajax/rest+?" + call[1:], "", "", refused},
		{"wordpress-sanitize-text-field/tags", "GET", "/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/re%3Cb%3Est" + call, "", "", refused},
		{"wordpress-sanitize-text-field/octets", "GET", "/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/re%2541st" + call, "", "", refused},
		{"joomla-trims-task", "GET", "/index.php?option=com_civicrm&task=civicrm/ajax/rest%20" + call, "", "", refused},
		{"joomla-getstring/tags", "GET", "/index.php?option=com_civicrm&task=civicrm/ajax/re%3Cx%3Est" + call, "", "", refused},
		{"joomla-getstring/entities", "GET", "/index.php?option=com_civicrm&task=civicrm/ajax/re%26%23115%3Bt" + call, "", "", refused},
		{"joomla-getcmd-option", "GET", "/index.php?option=com_civi%21crm&task=civicrm/ajax/rest" + call, "", "", refused},
		{"joomla-option-from-menu-item", "GET", "/index.php?Itemid=5&task=civicrm/ajax/rest" + call, "", "", refused},
		{"standalone-drops-0-segments", "GET", "/civicrm/0/ajax/rest?" + call[1:], "", "", refused},
		{"menu-lookup-accents", "GET", "/civicrm/ajax/r%C3%A9st/civicrm/ajax/restx?" + call[1:], "", "", refused},
		{"wordpress-base-page-not-configured", "GET", "/crm/ajax/rest?" + call[1:], "", "", refused},
		{"wordpress-rewrite-parses-path", "GET", "/civicrm/x&q=civicrm/ajax/rest?" + call[1:], "", "", refused},
		{"wordpress-rest-route-newline", "GET", "/wp-json/civicrm/v3/rest%0A?" + call[1:], "", "", refused},
		{"wordpress-rest-prefix", "GET", "/api/civicrm/v3/rest?" + call[1:], "", "", refused},
		{"php-max-input-vars-keeps-first", "GET", "/?q=civicrm/ajax/rest" + call + strings.Repeat("&a=", 1000) + "&q=node", "", "", refused},
		{"unserved-api-route/api-json", "GET", "/civicrm/api/json?" + call[1:], "", "", refused},
		{"apiv4-disguised/empty-segment", "POST", "/civicrm/ajax/api4//Contact/delete", form, "params=%7B%22where%22%3A%5B%5D%7D", refused},
		{"apiv4-disguised/zero-segment", "POST", "/civicrm/ajax/api4/0/Contact/delete", form, "params=%7B%7D", refused},
		{"apiv4-disguised/encoded-route", "POST", "/civicrm/ajax%2Fapi4/Contact/delete", form, "params=%7B%7D", refused},
		{"apiv4-disguised/query-q-wins", "GET", "/civicrm/ajax/api4/Contact/get?q=civicrm/ajax/rest" + call, "", "", refused},
		{"apiv4-disguised/wordpress-trim", "POST", "/?civiwp=CiviCRM&q=civicrm/ajax/api4/Contact/delete%20", form, "params=%7B%7D", refused},
		// Item 5: routing parameters in the body.
		{"body-routing/after-64KiB-padding", "POST", "/", form, padding + "rest_route=/civicrm/v3/rest" + call, refusedStreamed},
		{"body-routing/content-type-case", "POST", "/", "Application/X-WWW-Form-URLEncoded", "rest_route=/civicrm/v3/rest" + call, refused},
		{"body-routing/multipart-php-lenient", "POST", "/", "multipart/form-data; boundary=XyZ; x", multipart("title", "hello", "rest_route", "/civicrm/v3/rest"), refused},
		{"body-routing/multipart-after-64KiB-lf-only", "POST", "/index.php?option=com_civicrm", "multipart/form-data; boundary=XyZ",
			strings.ReplaceAll(multipart("title", padding, "task", "civicrm/ajax/rest"), "\r\n", "\n"), refusedStreamed},
		// PHP parses more bodies than Go's MIME parser accepts, and Caddy's
		// php_fastcgi hands it more as POST forms than were sent as such.
		{"body-routing/no-content-type (php_fastcgi sends urlencoded)", "POST", "/", "", "rest_route=/civicrm/v3/rest" + call, refused},
		{"body-routing/content-type-comma", "POST", "/", form + ",x", "rest_route=/civicrm/v3/rest" + call, refused},
		{"body-routing/content-type-space", "POST", "/", form + " x", "rest_route=/civicrm/v3/rest" + call, refused},
		{"body-routing/lower-case-post (php_fastcgi: POST)", "post", "/", form, "rest_route=/civicrm/v3/rest" + call, refused},
		{"body-routing/lower-case-get-with-a-body (php_fastcgi: POST)", "get", "/index.php?option=com_civicrm", "", "task=civicrm/ajax/rest" + call, refused},
		{"body-routing/lower-case-post-streamed", "post", "/", form, padding + "rest_route=/civicrm/v3/rest" + call, refusedStreamed},
		{"body-routing/apiv4-forwarded-as-sent", "POST", "/civicrm/ajax/api4/Contact/get", form, "params=%7B%7D&civiwp=CiviCRM&q=civicrm/ajax/rest" + call, refused},
		// Bodies stream: max_body_size bounds only what Civigate parses.
		{"body-routing/at-the-end-past-max-body-size", "POST", "/", form, strings.Repeat("x", 2<<20) + "&rest_route=/civicrm/v3/rest", refusedStreamed},
		{"body-routing/field-after-an-upload", "POST", "/index.php?option=com_civicrm", "multipart/form-data; boundary=XyZ",
			upload(2<<20, "task", "civicrm/ajax/rest"), refusedStreamed},
		// PHP reads multipart headers its own way (each checked against php-cgi).
		{"body-routing/multipart-folded-header", "POST", "/", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data;\r\n name=\"rest_route\"\r\n\r\n/civicrm/v3/rest\r\n--XyZ--\r\n", refused},
		{"body-routing/multipart-last-name-wins", "POST", "/", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=title; name=rest_route\r\n\r\n/civicrm/v3/rest\r\n--XyZ--\r\n", refused},
		{"body-routing/multipart-first-disposition-wins", "POST", "/", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=rest_route\r\nContent-Disposition: form-data; name=title\r\n\r\n/civicrm/v3/rest\r\n--XyZ--\r\n", refused},
		{"body-routing/multipart-unquoted-name-ends-at-space", "POST", "/", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=rest_route x\r\n\r\n/civicrm/v3/rest\r\n--XyZ--\r\n", refused},
		{"body-routing/multipart-header-split-at-php-buffer", "POST", "/", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nX-Pad: " + strings.Repeat("p", 5120-len("X-Pad: ")) + "Content-Disposition: form-data; name=rest_route\r\n\r\n/civicrm/v3/rest\r\n--XyZ--\r\n", refused},
		{"body-routing/multipart-boundary-inside-value", "POST", "/", "multipart/form-data; boundary=x",
			"--x\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/re<--x>st\r\n--x--\r\n", refused},
		{"body-routing/multipart-max-file-size-skips-file", "POST", "/", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=MAX_FILE_SIZE\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=f; filename=a.txt\r\n\r\n" +
				strings.Repeat("z", 10238) + "--XyZ\r\nContent-Disposition: form-data; name=rest_route\r\n\r\n/civicrm/v3/rest\r\n--XyZ--\r\n", refused},
		// Item 4, cookies: where php.ini sets no request_order, $_REQUEST
		// holds the cookies over the query and the form, and Joomla's
		// CiviCRM component takes task from it (the Cookie header of each
		// row is in cookies below).
		{"joomla-request-order-cookie/task", "GET", "/index.php?option=com_civicrm&Itemid=1&view=x" + call, "", "", refused},
		{"joomla-request-order-cookie/all-in-cookies", "GET", "/index.php?" + call[1:], "", "", refused},
		{"joomla-request-order-cookie/over-the-urls-task", "GET", "/index.php?option=com_civicrm&task=civicrm/dashboard" + call, "", "", refused},
		{"joomla-request-order-cookie/apiv4-forwarded-as-sent", "POST", "/civicrm/ajax/api4/Contact/get", form, "params=%7B%7D", refused},
		{"joomla-request-order-cookie/authx-route-forwarded-as-sent", "GET", "/civicrm/authx/id?" + call[1:], "", "", refused},
		// Item 4, WordPress: civicrm-wordpress logs the api_key's user in
		// for any REST route holding "civicrm" and "rest", and the batch
		// route does so for each of its sub-requests.
		{"wordpress-rest-login/other-route", "GET", "/wp-json/civicrm/v3/restx?" + call[1:], "", "", refused},
		{"wordpress-rest-login/route-after-rest", "GET", "/wp-json/civicrm/v3/rest/x?" + call[1:], "", "", refused},
		{"wordpress-rest-login/any-namespace", "GET", "/wp-json/x/civicrm-rest?" + call[1:], "", "", refused},
		{"wordpress-rest-login/encoded", "GET", "/wp-json/civi%63rm/v3/restx?" + call[1:], "", "", refused},
		{"wordpress-rest-login/plain-permalink", "GET", "/?rest_route=/civicrm/v3/restx" + call, "", "", refused},
		{"wordpress-rest-login/body-rest-route", "POST", "/", form, "rest_route=/civicrm/v3/restx" + call, refused},
		{"wordpress-rest-batch/json", "POST", "/wp-json/batch/v1", "application/json",
			`{"requests":[{"path":"/civicrm/v3/rest?entity=Contact&action=get&json=1","body":{"api_key":"k","key":"s"}}]}`, refused},
		{"wordpress-rest-batch/json-escapes", "POST", "/?rest_route=/batch/v1", "application/json",
			`{"requests":[{"path":"/civicrm/v3/restx","body":{"api_key":"k"}}]}`, refused},
		{"wordpress-rest-batch/query-only", "GET", "/wp-json/batch/v1?_method=POST&requests[0][path]=/civicrm/v3/rest&requests[0][body][api_key]=k", "", "", refused},
		{"wordpress-rest-batch/body-rest-route", "POST", "/", form, "rest_route=/batch/v1&requests[0][path]=/wp/v2/posts", refused},
		// Controls.
		{"control/cms-page", "GET", "/civicrm/dashboard?reset=1", "", "", passed},
		{"control/joomla-cookies", "GET", "/index.php?option=com_civicrm&task=civicrm/dashboard", "", "", passed},
		{"control/wordpress-rest", "GET", "/wp-json/wp/v2/posts?search=civicrm+rest", "", "", passed},
		{"control/wordpress-batch", "POST", "/wp-json/batch/v1", "application/json",
			`{"requests":[{"method":"PUT","path":"/wp/v2/widgets/block-2","body":{"instance":{"raw":{"content":"<p>Join our CiviCRM events</p>"}}}}]}`, passed},
		{"control/not-an-api-route", "GET", "/civicrm/ajax/rest-api-guide", "", "", passed},
		{"control/clean-apiv4", "POST", "/civicrm/ajax/api4/Contact/get", form, "params=%7B%22limit%22%3A1%7D", servedAsSent},
		{"control/form-post", "POST", "/contact-form", form, padding + "name=Alice&message=hello", passed},
		{"control/upload", "POST", "/wp-admin/async-upload.php", "multipart/form-data; boundary=XyZ", multipart("name", "photo.jpg", "async-upload", strings.Repeat("z", 200<<10)), passed},
		{"control/upload-past-max-body-size", "POST", "/wp-admin/async-upload.php", "multipart/form-data; boundary=XyZ", upload(3<<20, "name", "photo.jpg"), passed},
		{"control/served", "GET", "/civicrm/ajax/rest?entity=Contact&action=get&json=1", "", "", served},
	} {
		short := func(s string) string {
			if len(s) > 200 {
				return s[:100] + "…" + s[len(s)-100:]
			}
			return s
		}
		headers := credentials
		if tc.ct != "" {
			headers = append([]string{"Content-Type: " + tc.ct}, credentials...)
		}
		if c, ok := cookies[tc.class]; ok {
			headers = append(headers[:len(headers):len(headers)], "Cookie: "+c)
		}
		status, body := rawExchange(t, inst.URL, tc.method, tc.target, headers, tc.body)
		var got []seenRequest
		if tc.want == refusedStreamed {
			// The upstream had the head and part of the body when Civigate
			// cut it off; it logs it once its read fails (if the request
			// reached it at all: on a connection the upstream had just
			// closed, it does not).
			got = log.waitFor(1, 3*time.Second)
		} else {
			got = log.take()
		}
		// What the upstream got of a body Civigate cut off (this row's, or
		// an earlier one's logged late) never ends, nor carries a route.
		// Civigate's own questions about the credential (civicrm/authx/id,
		// clean or in the page's verbose form: a page request carrying one
		// is authenticated before it streams) are not the request.
		for i := 0; i < len(got); i++ {
			s := got[i]
			if strings.HasPrefix(s.uri, "/civicrm/authx/id") || s.civigate {
				got = append(got[:i], got[i+1:]...)
				i--
				continue
			}
			if !s.complete && strings.EqualFold(s.method, "POST") && (tc.want == refusedStreamed || !strings.HasPrefix(tc.body, s.body)) {
				if strings.Contains(s.body, "civicrm/") {
					t.Errorf("%s: the upstream got a routing parameter in a cut body: %q", tc.class, short(s.body))
				}
				got = append(got[:i], got[i+1:]...)
				i--
			}
		}
		switch tc.want {
		case refused, refusedStreamed:
			if status != http.StatusBadRequest || !strings.Contains(body, `"is_error":1`) || len(got) != 0 {
				t.Errorf("%s: %s %s: want Civigate's 400, got %d %q; CiviCRM saw %d requests", tc.class, tc.method, short(tc.target),
					status, short(body), len(got))
			}
		case passed:
			if len(got) != 1 || got[0].uri != tc.target || got[0].body != tc.body || got[0].method != tc.method || !got[0].complete {
				t.Errorf("%s: %s %s: want it passed on unchanged, CiviCRM saw %+v", tc.class, tc.method, short(tc.target), got)
			}
		case servedAsSent:
			last := seenRequest{}
			if len(got) > 0 {
				last = got[len(got)-1]
			}
			if status != http.StatusOK || last.uri != tc.target || !samePHPForm(tc.body, tc.ct, last.body, last.header.Get("Content-Type")) || last.method != tc.method {
				t.Errorf("%s: %s %s: want it served as sent, got %d, CiviCRM saw %+v", tc.class, tc.method, short(tc.target), status, got)
			}
		case served:
			if status != http.StatusOK || !strings.Contains(body, `"is_error":0`) || len(got) == 0 {
				t.Errorf("%s: want it served, got %d %q, CiviCRM saw %+v", tc.class, status, short(body), got)
			}
			for _, s := range got {
				// Besides its credential check, CiviCRM gets the call
				// Civigate built: every parameter in one json= object.
				path, query, _ := strings.Cut(s.uri, "?")
				params, _ := url.ParseQuery(query)
				if !s.civigate && (s.uri == tc.target || path != "/civicrm/ajax/rest" || !strings.HasPrefix(params.Get("json"), "{")) {
					t.Errorf("%s: CiviCRM received %s %s as sent", tc.class, s.method, s.uri)
				}
				if q, _ := url.ParseQuery(strings.SplitN(s.uri, "?", 2)[len(strings.SplitN(s.uri, "?", 2))-1]); q.Get("api_key") != "" {
					t.Errorf("%s: a credential in the upstream URL", tc.class)
				}
			}
		}
	}
}

// samePHPForm reports whether PHP registers the same $_POST from two
// bodies: Civigate sends an APIv4 call's form as multipart/form-data.
func samePHPForm(body, ct, upBody, upCT string) bool {
	a, b := translate.NewArray(), translate.NewArray()
	translate.ParsePost(a, ct, []byte(body), translate.DefaultLimits)
	translate.ParsePost(b, upCT, []byte(upBody), translate.DefaultLimits)
	return string(translate.EncodeJSON(a, translate.JSONOptions{})) == string(translate.EncodeJSON(b, translate.JSONOptions{}))
}
