package caddymodule

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// requestShape is what the console needs to tell a caller how to call the
// modern endpoint instead: where and how it called, entity, action, and
// the names of its parameters. It never holds a credential nor a parameter
// value (values become placeholders, except the flags 0, 1, true, false
// and null, which decide chaining and options), so storing it keeps
// nothing a caller sent in confidence.
type requestShape struct {
	Scheme         string          `json:"scheme"`
	Host           string          `json:"host,omitempty"`
	Form           string          `json:"form"`
	Method         string          `json:"method"`
	Entity         string          `json:"entity"`
	Action         string          `json:"action"`
	XML            bool            `json:"xml,omitempty"`
	KeyValue       bool            `json:"key_value,omitempty"`
	URLCredentials bool            `json:"url_credentials,omitempty"`
	Credential     string          `json:"credential,omitempty"` // authx credential type
	Params         json.RawMessage `json:"params"`
}

// Bounds of a shape: what a caller controls must not grow the history.
const (
	shapeMaxKeys  = 16 // parameters per object
	shapeMaxDepth = 3
	shapeMaxBytes = 1024
)

func shapeOf(r *http.Request, call *translate.Call, p *authx.Principal) requestShape {
	s := callShape(call, p.CredType)
	s.Scheme, s.Host = "http", safeHost(r.Host)
	if r.TLS != nil {
		s.Scheme = "https"
	}
	params := call.Params
	if params != nil && params.Has("json") {
		// WordPress REST keeps its json flag among the params; the
		// modern call's json= is the params themselves.
		params = params.Clone()
		params.Delete("json")
	}
	s.Params, _ = marshalPlain(placeholders(params, 1))
	if len(s.Params) > shapeMaxBytes/2 {
		s.Params = json.RawMessage(`{}`)
	}
	return s
}

// callShape is the part of a call's shape that decides what the caller
// must change (requestShape.changes), credType its credential's type.
func callShape(call *translate.Call, credType string) requestShape {
	return requestShape{
		Form:           string(call.Form),
		Method:         call.Method,
		Entity:         safeName(call.Entity),
		Action:         safeName(call.Action),
		XML:            call.Format == translate.FormatXML,
		KeyValue:       call.KeyValue,
		URLCredentials: urlCredentials(call),
		Credential:     credType,
	}
}

// legacyChanges is what the caller of a legacy call must change, in the
// words of the console's recipe for it: the cut-off's refusal names them.
// Before authentication (p nil) the credential is the api_key the call
// sent, if any: an API key.
func legacyChanges(call *translate.Call, p *authx.Principal, siteKey bool) []string {
	cred := ""
	switch {
	case p != nil:
		cred = p.CredType
	case call.Credentials.APIKey != "":
		cred = authx.CredAPIKey
	}
	return callShape(call, cred).changes(siteKey)
}

// placeholders mirrors a parameter array with its values replaced.
func placeholders(a *translate.Array, depth int) any {
	if a == nil {
		return map[string]any{}
	}
	if a.IsList() && a.Len() > 0 {
		return []any{placeholder(a.Key(0), a.Value(0), depth)}
	}
	obj := orderedObject{}
	for i := 0; i < a.Len() && len(obj) < shapeMaxKeys; i++ {
		name := safeName(a.Key(i))
		if name == "" {
			continue
		}
		obj = append(obj, [2]any{name, placeholder(name, a.Value(i), depth)})
	}
	return obj
}

func placeholder(name string, v any, depth int) any {
	switch v := v.(type) {
	case nil, bool:
		return v
	case translate.Number:
		if v == "0" || v == "1" {
			return json.RawMessage(v)
		}
	case string:
		if v == "0" || v == "1" {
			return v
		}
	case *translate.Array:
		if depth >= shapeMaxDepth {
			return map[string]any{}
		}
		return placeholders(v, depth+1)
	}
	return "<" + name + ">"
}

// orderedObject marshals as a JSON object in the caller's key order.
type orderedObject [][2]any

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := marshalPlain(kv[0])
		v, err := marshalPlain(kv[1])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// safeName keeps names CiviCRM uses (fields, entities, options, chains
// such as api.Email.get) and drops anything else: a shape ends up in a
// shell command an operator copies.
func safeName(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return ""
		}
	}
	return s
}

// safeHost keeps a host[:port] made of hostname characters.
func safeHost(s string) string {
	s = strings.ToLower(s)
	if len(s) > 255 {
		return ""
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return ""
		}
	}
	return s
}

// marshalPlain is json.Marshal without HTML escaping: placeholders keep
// their angle brackets (the page escapes what it shows).
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (s requestShape) encode() string {
	b, _ := marshalPlain(s)
	if len(b) > shapeMaxBytes {
		return ""
	}
	return string(b)
}

func decodeShape(s string) (requestShape, bool) {
	var out requestShape
	err := json.Unmarshal([]byte(s), &out)
	return out, err == nil && out.Entity != "" && out.Action != ""
}

// migration is the modern call that replaces a legacy request shape,
// with placeholders where credentials and values go.
type migration struct {
	Calls   int64       `json:"calls"` // legacy calls of this shape in the period shown
	Legacy  string      `json:"legacy"`
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers []nameValue `json:"headers"`
	Fields  []nameValue `json:"fields"`
	Changes []string    `json:"changes"`
	Curl    string      `json:"curl"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

var legacyFormNames = map[string]string{
	string(translate.FormExtern):      "extern/rest.php",
	string(translate.FormWPRest):      "the WordPress REST route (wp-json/civicrm/v3/rest)",
	string(translate.FormAjaxVerbose): "a CMS URL for civicrm/ajax/rest (?q=…, page=CiviCRM, option=com_civicrm)",
	string(translate.FormAjax):        "/civicrm/ajax/rest",
	string(translate.FormAPI4):        "APIv4 (civicrm/ajax/api4)",
}

// credentialPlaceholders are the X-Civi-Auth values per credential type.
var credentialPlaceholders = map[string]string{
	authx.CredAPIKey: "Bearer <API_KEY>",
	authx.CredJWT:    "Bearer <JWT>",
	authx.CredExtJWT: "Bearer <JWT>",
	authx.CredPass:   "Basic <BASE64_OF_USER:PASSWORD>",
}

// modernCall builds the migration for a shape. siteKey says whether the
// site checks the site key, so the call must send X-Civi-Key.
func (s requestShape) modernCall(siteKey bool) migration {
	host := s.Host
	if host == "" {
		host = "<your-site>"
	}
	m := migration{
		Legacy:  s.Method + " " + legacyFormNames[s.Form],
		Method:  s.modernMethod(),
		URL:     s.Scheme + "://" + host + defaultEndpoint,
		Changes: s.changes(siteKey),
	}
	if auth, ok := credentialPlaceholders[s.Credential]; ok {
		m.Headers = append(m.Headers, nameValue{"X-Civi-Auth", auth})
	}
	if siteKey {
		m.Headers = append(m.Headers, nameValue{"X-Civi-Key", "<SITE_KEY>"})
	}
	params := string(s.Params)
	if params == "" || params == "null" || params == "[]" {
		params = "{}"
	}
	m.Fields = []nameValue{{"entity", s.Entity}, {"action", s.Action}, {"json", params}}
	if s.Form == string(translate.FormAPI4) {
		// An APIv4 call stays one: only its credentials move to headers.
		m.URL = s.Scheme + "://" + host + "/civicrm/ajax/api4/" + s.Entity + "/" + s.Action
		m.Fields = []nameValue{{"params", params}}
	}

	var b strings.Builder
	b.WriteString("curl")
	if m.Method == http.MethodGet {
		b.WriteString(" -G")
	}
	b.WriteString(" " + shellQuote(m.URL))
	for _, h := range m.Headers {
		b.WriteString(" \\\n  -H " + shellQuote(h.Name+": "+h.Value))
	}
	for _, f := range m.Fields {
		b.WriteString(" \\\n  --data-urlencode " + shellQuote(f.Name+"="+f.Value))
	}
	m.Curl = b.String()
	return m
}

// modernMethod is the method of the modern call: POST for writes and for
// methods other than GET.
func (s requestShape) modernMethod() string {
	if s.Method != http.MethodGet || translate.IsDestructiveGET(s.Method, s.Action) {
		return http.MethodPost
	}
	return http.MethodGet
}

// changes lists what the caller must change to make the call modern, one
// sentence each: the console shows them beside the recipe, and the
// cut-off's refusal names them (legacyChanges). siteKey says whether the
// site checks the site key.
func (s requestShape) changes(siteKey bool) []string {
	var c []string
	if translate.IsDestructiveGET(s.Method, s.Action) {
		c = append(c, "Send it as POST: "+s.Action+" writes, and CiviCRM refuses writes over GET.")
	}
	if s.Form != string(translate.FormAjax) && s.Form != string(translate.FormAPI4) {
		c = append(c, "Call "+defaultEndpoint+" instead of "+legacyFormNames[s.Form]+".")
	}
	if s.URLCredentials {
		_, known := credentialPlaceholders[s.Credential]
		if known {
			c = append(c, "Send the credential in the X-Civi-Auth header, not as key/api_key in the URL.")
		}
		if siteKey {
			c = append(c, "Send the site key in the X-Civi-Key header.")
		}
		if !known && !siteKey {
			c = append(c, "Take key and api_key out of the URL: send the credential in the X-Civi-Auth header.")
		}
	}
	if s.KeyValue {
		c = append(c, "Send all parameters as one JSON object in json=, not as key-value pairs.")
	}
	if s.XML {
		c = append(c, "Read the answer as JSON: the modern call answers in JSON, not XML.")
	}
	return c
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shapes remembers the encoded shapes of recent requests, so that a
// caller repeating a request (the usual case) costs a hash of its shape's
// inputs instead of building and encoding the shape again.
var shapes = &shapeMemo{seed: maphash.MakeSeed(), byHash: map[uint64]string{}}

// shapeMemoSize bounds the memo; when full it starts over.
const shapeMemoSize = 1024

type shapeMemo struct {
	seed   maphash.Seed
	mu     sync.Mutex
	byHash map[uint64]string
}

// of returns shapeOf(r, call, p).encode().
func (m *shapeMemo) of(r *http.Request, call *translate.Call, p *authx.Principal) string {
	var h maphash.Hash
	h.SetSeed(m.seed)
	flags := []byte{0, 0, 0, 0, 0}
	if r.TLS != nil {
		flags[0] = 1
	}
	if call.Format == translate.FormatXML {
		flags[1] = 1
	}
	if call.KeyValue {
		flags[2] = 1
	}
	if urlCredentials(call) {
		flags[3] = 1
	}
	_, _ = h.Write(flags)
	for _, s := range [...]string{r.Host, string(call.Form), call.Method, call.Entity, call.Action, p.CredType} {
		_, _ = h.WriteString(s)
		_ = h.WriteByte(0)
	}
	hashParams(&h, call.Params, 1)
	key := h.Sum64()
	m.mu.Lock()
	s, ok := m.byHash[key]
	m.mu.Unlock()
	if ok {
		return s
	}
	s = shapeOf(r, call, p).encode()
	m.mu.Lock()
	if len(m.byHash) >= shapeMemoSize {
		clear(m.byHash)
	}
	m.byHash[key] = s
	m.mu.Unlock()
	return s
}

// hashParams hashes what placeholders reads of a parameter array: its
// kept names in order, value kinds, the flag literals, nesting.
func hashParams(h *maphash.Hash, a *translate.Array, depth int) {
	if a == nil {
		_ = h.WriteByte('n')
		return
	}
	kept := 0
	for i := 0; i < a.Len() && kept < shapeMaxKeys; i++ {
		name := a.Key(i)
		if name == "json" && depth == 1 || a.IsList() && i > 0 {
			continue
		}
		_, _ = h.WriteString(name)
		_ = h.WriteByte(0)
		if safeName(name) != "" {
			kept++
		}
		switch v := a.Value(i).(type) {
		case nil:
			_ = h.WriteByte('0')
		case bool:
			if v {
				_ = h.WriteByte('t')
			} else {
				_ = h.WriteByte('f')
			}
		case translate.Number:
			_ = h.WriteByte('#')
			if v == "0" || v == "1" {
				_, _ = h.WriteString(string(v))
			}
		case string:
			_ = h.WriteByte('s')
			if v == "0" || v == "1" {
				_, _ = h.WriteString(v)
			}
		case *translate.Array:
			_ = h.WriteByte('[')
			if depth < shapeMaxDepth {
				hashParams(h, v, depth+1)
			}
			_ = h.WriteByte(']')
		}
	}
	if a.IsList() {
		_ = h.WriteByte('L')
	}
}
