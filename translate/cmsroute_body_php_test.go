package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The body check must see every routing parameter PHP puts into $_POST.
// php-cgi is PHP's own request reader (SAPI content type matching,
// rfc1867, post variables), so each generated body and Content-Type is
// posted to it and what it parsed compared with what Civigate extracts:
// every q, task and rest_route string in $_POST must be among the pairs
// Civigate found (a superset is fine), and a body PHP parsed at all must be
// one IsFormBody reports.
func TestBodyRoutingMatchesPHP(t *testing.T) {
	phpCGI, err := exec.LookPath("php-cgi")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("php-cgi is not installed; CI must install php-cgi (see .ci/run)")
		}
		t.Skip("php-cgi is not installed")
	}
	script := filepath.Join(t.TempDir(), "post.php")
	dump := `<?php $o = []; foreach (['q', 'task', 'rest_route'] as $k) if (isset($_POST[$k]) && is_string($_POST[$k])) $o[$k] = bin2hex($_POST[$k]);
echo json_encode(['n' => count($_POST), 'v' => (object) $o]);`
	if err := os.WriteFile(script, []byte(dump), 0o600); err != nil {
		t.Fatal(err)
	}
	r := diffSeed(t)
	for range 120 {
		ct, body := genFormBody(r)
		cmd := exec.Command(phpCGI, "-n", "-q", "-d", "max_input_vars=1000", "-d", "post_max_size=8M", script)
		cmd.Env = []string{"REQUEST_METHOD=POST", "CONTENT_TYPE=" + ct, "CONTENT_LENGTH=" + fmt.Sprint(len(body)),
			"SCRIPT_FILENAME=" + script, "REDIRECT_STATUS=1"}
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("php-cgi: %v", err)
		}
		var got struct {
			N int               `json:"n"`
			V map[string]string `json:"v"`
		}
		if i := bytes.LastIndexByte(out, '{'); i < 0 || json.Unmarshal(out[bytes.LastIndex(out, []byte(`{"n"`)):], &got) != nil {
			t.Fatalf("php-cgi answered %q", out)
		}
		if got.N > 0 && !IsFormBody([]string{ct}) {
			t.Errorf("Content-Type %q: PHP parsed the body, IsFormBody says no", ct)
		}
		kind, boundary := phpPostType(ct)
		var pairs []routingPair
		switch kind {
		case "urlencoded":
			pairs = slices.Collect(routingPairs(body))
		case "multipart":
			pairs = multipartRoutingPairs([]byte(body), boundary)
		}
		for name, hexValue := range got.V {
			var v []byte
			fmt.Sscanf(hexValue, "%x", &v)
			found := false
			for _, p := range pairs {
				found = found || p.name == name && !p.array && p.value == string(v)
			}
			if !found {
				t.Errorf("Content-Type %q body %q: PHP has %s=%q, Civigate found %+v", ct, truncate(body, 300), name, v, pairs)
			}
		}
	}
}

// genFormBody makes a Content-Type and a body the way clients, and
// attackers, spell them.
func genFormBody(r *rand.Rand) (ct, body string) {
	value := pick(r, "civicrm/ajax/rest", "/civicrm/v3/rest", "x y", "a&b", "", "é")
	name := pick(r, "q", "task", "rest_route", " q", "rest.route", "rest route", "q[]", "q[", "Q", "%71", "task%00x")
	if r.IntN(2) == 0 {
		ct = pick(r, "application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded",
			"application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded,text/plain",
			"application/x-www-form-urlencoded ; x", "application/x-www-form-urlencodedx", "text/plain")
		var b strings.Builder
		for range r.IntN(4) {
			b.WriteString(pick(r, "a=1&", "a=&", "&", "b[]=2&", strings.Repeat("p=&", r.IntN(600))))
		}
		b.WriteString(name + "=" + pick(r, value, strings.ReplaceAll(value, "/", "%2F"), strings.ReplaceAll(value, " ", "+")))
		if r.IntN(3) == 0 {
			b.WriteString("&" + name + "=" + pick(r, "other", value))
		}
		return ct, b.String()
	}
	boundary := pick(r, "XyZ", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a;b", "q")
	ct = pick(r, "multipart/form-data; boundary=B", "multipart/form-data; boundary=B; x", "Multipart/Form-Data; BOUNDARY=B",
		`multipart/form-data; boundary="B"`, "multipart/form-data;boundary=B,text/plain", "multipart/form-data ; charset=x; boundary=B",
		"multipart/form-data")
	if strings.Contains(boundary, ";") && !strings.Contains(ct, `"B"`) {
		boundary = "XyZ"
	}
	ct = strings.Replace(ct, "B", boundary, 1)
	nl := pick(r, "\r\n", "\n")
	var b strings.Builder
	b.WriteString(pick(r, "", "preamble"+nl))
	for range r.IntN(3) {
		b.WriteString("--" + boundary + nl + "Content-Disposition: form-data; name=\"title\"" + nl + nl + "hello" + nl)
	}
	disp := pick(r, `form-data; name="N"`, "form-data; name=N", `FORM-DATA; NAME="N"`, `form-data; name='N'`,
		`form-data; filename="f.txt"; name="N"`, `form-data;name="N"`)
	b.WriteString("--" + boundary + nl + pick(r, "Content-Disposition", "content-disposition", "Content-Type: text/plain"+nl+"Content-Disposition") +
		": " + strings.Replace(disp, "N", strings.TrimPrefix(name, "%7"), 1) + nl + nl + value + nl)
	b.WriteString("--" + boundary + "--" + nl)
	return ct, b.String()
}
