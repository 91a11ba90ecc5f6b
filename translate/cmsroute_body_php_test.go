package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// The body check must see every routing parameter PHP puts into $_POST.
// php-cgi is PHP's own request reader (SAPI content type matching,
// rfc1867, post variables), so each generated body and Content-Type is
// posted to it and what it parsed compared with what Civigate extracts:
// every q, task and rest_route string in $_POST must be among the
// assignments the BodyScanner found (a superset is fine), unless it refused
// the body outright, and a body PHP parsed at all must be one Civigate
// reads. Some bodies are cut short, as a client that goes away leaves
// them: PHP runs the script with what arrived.
func TestBodyRoutingMatchesPHP(t *testing.T) {
	php := newPHPPost(t)
	r := diffSeed(t)
	for i := range 400 {
		ct, body := genFormBody(r)
		sent := body
		if i%4 == 3 {
			sent = body[:r.IntN(len(body)+1)]
		}
		got := php.post(t, ct, sent, len(body))
		if u, _ := url.ParseRequestURI("/"); got.N > 0 && (RecogniseConfig{}).BodyScanner(u, "POST", ct) == nil {
			t.Errorf("Content-Type %q: PHP parsed the body, Civigate would not read it", ct)
		}
		pairs, refused := scanAssignments(ct, sent, r)
		if refused {
			continue
		}
		for name, v := range got.V {
			found := false
			for _, p := range pairs {
				found = found || p.name == name && p.value == v
			}
			if !found {
				t.Errorf("Content-Type %q body %q: PHP has %s=%q, Civigate found %+v", ct, truncate(sent, 600), name, v, pairs)
			}
		}
	}
}

// What PHP reads as the whole body must never route: when Civigate
// refuses a body part-way (the routing parameter comes late), the bytes it
// let through before are all the upstream saw, and PHP runs the script
// with them. Each generated body that routes is scanned in random pieces,
// and PHP is given the part Safe allowed, under the full Content-Length.
func TestBodySafePartMatchesPHP(t *testing.T) {
	php := newPHPPost(t)
	r := diffSeed(t)
	u, _ := url.ParseRequestURI("/")
	checked := 0
	for checked < 80 {
		ct, body := genFormBody(r)
		s := RecogniseConfig{}.BodyScanner(u, "POST", ct)
		if s == nil {
			continue
		}
		safe := int64(0)
		routes := false
		for rest := body; rest != "" && !routes; {
			n := 1 + r.IntN(min(len(rest), 1+r.IntN(64)))
			routes = s.Write([]byte(rest[:n]))
			rest = rest[n:]
			if !routes {
				safe = s.Safe()
			}
		}
		if !routes && !s.Close() {
			continue
		}
		checked++
		got := php.post(t, ct, body[:safe], len(body))
		for name, v := range got.V {
			if valueMayRoute(v) && (len(v) > maxRoutingLen || valueReach(name, v).any()) {
				t.Errorf("Content-Type %q body %q: the first %d bytes went on, and PHP reads %s=%q from them", ct, truncate(body, 600), safe, name, v)
			}
		}
	}
}

// scanAssignments runs a BodyScanner over body in random pieces and
// returns every routing assignment it found (values past maxRoutingLen
// shortened), or refused when it refused the body as unreadable.
func scanAssignments(ct, body string, r *rand.Rand) (pairs []routingPair, refused bool) {
	u, _ := url.ParseRequestURI("/")
	s := RecogniseConfig{}.BodyScanner(u, "POST", ct)
	if s == nil {
		return nil, false
	}
	s.judge.assigned = func(name string, v *routeValue) {
		pairs = append(pairs, routingPair{name: name, value: string(v.buf)})
	}
	for rest := body; rest != ""; {
		n := 1 + r.IntN(len(rest))
		s.Write([]byte(rest[:n]))
		rest = rest[n:]
	}
	return pairs, s.Close()
}

type phpPost struct{ phpCGI }

func newPHPPost(t *testing.T) phpPost {
	t.Helper()
	return phpPost{newPHPCGI(t, `<?php $o = []; foreach (['q', 'task', 'rest_route'] as $k) if (isset($_POST[$k]) && is_string($_POST[$k])) $o[$k] = bin2hex($_POST[$k]);
echo json_encode(['n' => count($_POST), 'v' => (object) $o]);`)}
}

type phpPostResult struct {
	N int               // variables in $_POST
	V map[string]string // the routing parameters PHP holds (strings only)
}

// post runs the script under php-cgi with body as what arrived of a
// request body of contentLength bytes.
func (p phpPost) post(t *testing.T, ct, body string, contentLength int) phpPostResult {
	t.Helper()
	out := []byte(p.serve(t, "POST", "", ct, []byte(body), contentLength))
	var got struct {
		N int               `json:"n"`
		V map[string]string `json:"v"`
	}
	if i := bytes.LastIndex(out, []byte(`{"n"`)); i < 0 || json.Unmarshal(out[i:], &got) != nil {
		t.Fatalf("php-cgi answered %q", out)
	}
	res := phpPostResult{N: got.N, V: map[string]string{}}
	for name, hexValue := range got.V {
		var v []byte
		fmt.Sscanf(hexValue, "%x", &v)
		res.V[name] = string(v)
	}
	return res
}

// genFormBody makes a Content-Type and a body the way clients, and
// attackers, spell them.
func genFormBody(r *rand.Rand) (ct, body string) {
	return genFormBodyOf(r,
		pick(r, "q", "task", "rest_route", " q", "rest.route", "rest route", "q[]", "q[", "Q", "%71", "task%00x", "rest[route"),
		pick(r, "civicrm/ajax/rest", "/civicrm/v3/rest", "x y", "a&b", "", "é", "civicrm/ajax/re<--B>st", "rest\r"))
}

// genFormBodyOf is genFormBody with the name and value of the parameter
// under test given (a name starting "%7" is sent without it in multipart).
func genFormBodyOf(r *rand.Rand, name, value string) (ct, body string) {
	if r.IntN(3) == 0 {
		ct = pick(r, "application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded",
			"application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded,text/plain",
			"application/x-www-form-urlencoded ; x", "application/x-www-form-urlencodedx", "text/plain")
		var b strings.Builder
		for range r.IntN(4) {
			b.WriteString(pick(r, "a=1&", "a=&", "&", "b[]=2&", "%=%2&", strings.Repeat("p=&", r.IntN(600))))
		}
		b.WriteString(name + "=" + pick(r, value, strings.ReplaceAll(value, "/", "%2F"), strings.ReplaceAll(value, " ", "+"), value+"%", value+"%2"))
		if r.IntN(3) == 0 {
			b.WriteString("&" + name + "=" + pick(r, "other", value))
		}
		return ct, b.String()
	}
	boundary := pick(r, "XyZ", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a;b", "q", "B", "")
	ct = pick(r, "multipart/form-data; boundary=B", "multipart/form-data; boundary=B; x", "Multipart/Form-Data; BOUNDARY=B",
		`multipart/form-data; boundary="B"`, "multipart/form-data;boundary=B,text/plain", "multipart/form-data ; charset=x; boundary=B",
		"multipart/form-data")
	if strings.Contains(boundary, ";") && !strings.Contains(ct, `"B"`) {
		boundary = "XyZ"
	}
	ct = strings.Replace(ct, "B", boundary, 1)
	nl := pick(r, "\r\n", "\n")
	delim := "--" + boundary
	var b strings.Builder
	b.WriteString(pick(r, "", "preamble"+nl, strings.Repeat("z", phpFillUnit)+delim+nl+"X: y"+nl+nl+"junk"+nl))
	field := func(n, v string) {
		b.WriteString(delim + nl + "Content-Disposition: form-data; name=\"" + n + "\"" + nl + nl + v + nl)
	}
	for range r.IntN(3) {
		field(pick(r, "title", "MAX_FILE_SIZE"), pick(r, "hello", "1", "x"+delim+"y", "x"+nl+delim+"y"))
	}
	if r.IntN(4) == 0 {
		b.WriteString(delim + nl + "Content-Disposition: form-data; name=\"f\"; filename=\"" + pick(r, "a.txt", "") + "\"" + nl +
			"Content-Type: text/plain" + nl + nl + pick(r, "", "data", strings.Repeat("y", r.IntN(12000)), "x"+nl+delim+"x", "x"+delim+nl+"x") + nl)
	}
	n := strings.TrimPrefix(name, "%7")
	disp := pick(r, `form-data; name="N"`, "form-data; name=N", `FORM-DATA; NAME="N"`, `form-data; name='N'`,
		`form-data; filename="f.txt"; name="N"`, `form-data;name="N"`, "form-data; name=x; name=N", "form-data; name=N; name=x",
		"form-data; name=N junk", `form-data; name="N`, `form-data; name="N\"x"`, "form-data; name =N", "form-data; name==N",
		`form-data; filename="a;name=z"; name=N`, "form-data; name=N\x00junk", "form-data;"+nl+" name=N", "form-data; na"+nl+"me=N")
	header := pick(r, "Content-Disposition", "content-disposition", "Content-Type: text/plain"+nl+"Content-Disposition", " Content-Disposition",
		"Content-Disposition: form-data; name=x"+nl+"Content-Disposition", "X-Pad: "+strings.Repeat("p", phpFillUnit-7-r.IntN(3))+"Content-Disposition")
	b.WriteString(delim + nl + header + ": " + strings.Replace(disp, "N", n, 1) + nl + pick(r, nl, "") + value + nl)
	b.WriteString(pick(r, delim+"--"+nl, delim+"--", "", delim+nl+"Content-Disposition: form-data; name=\"after\""+nl+nl+"x"+nl+delim+"--"))
	return ct, b.String()
}
