package civicrmsim

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// Afform's page tokens on the APIv4 route, modelled on
// ext/afform/core/Civi/Afform/PageTokenCredential.php: onInvoke (a
// civi.invoke.auth listener before AuthX's) takes
// $_SERVER['HTTP_X_CIVI_AUTH_AFFORM'] ?? $_REQUEST['_aff'] and
// authenticates it in the afformpage flow; afformPageToken accepts a
// scope-afform JWT only for a call checkAllowedRoute admits
// (checkAllowedApi4Call over getAllowedApi4Calls), rejecting any other with
// "JWT specifies a different form or route". And the two actions a
// mailed form's page runs, for one form (AfformForm): Afform.prefill
// fills the form's Individual1 with the caller's contact (autofill
// "user"), Afform.submit saves its first_name to it; both need a
// logged-in contact, as a form whose permission only a page token's or a
// user's login meets.

// AfformForm is the one form the simulator has.
const AfformForm = "afformUpdateDetails"

const msgPageTokenRoute = "JWT specifies a different form or route"

// afformPageToken is PageTokenCredential::onInvoke on the APIv4 page
// (seg: the route's segments): (nil, nil) without a token.
func (s *Simulator) afformPageToken(q *request, seg []string) (*principal, *rejection) {
	tok, set := "", false
	if vs, ok := q.r.Header["X-Civi-Auth-Afform"]; ok {
		tok, set = vs[0], true
	}
	if !set {
		tok = scalarString(q.req, "_aff")
	}
	if phpEmpty(tok) {
		return nil, nil
	}
	if !regexp.MustCompile(`^[a-zA-Z0-9.\-_ ]+$`).MatchString(tok) {
		return nil, &rejection{msg: "Malformed page token"}
	}
	format, value, _ := strings.Cut(tok, " ")
	if format != "Bearer" {
		return nil, &rejection{msg: msgInvalid}
	}
	cid, form, err := authx.VerifyAfformPageToken(value, s.keys, s.opts.Now(), 0)
	if err != nil {
		var rej *authx.Rejection
		if errors.As(err, &rej) {
			return nil, &rejection{msg: rej.Message}
		}
		return nil, &rejection{msg: msgInvalid}
	}
	if !afformAllowedRoute(q, seg, form) {
		return nil, &rejection{msg: msgPageTokenRoute}
	}
	s.mu.Lock()
	c := s.db.contacts[cid]
	s.mu.Unlock()
	if c == nil || c.deleted {
		return nil, &rejection{msg: "Contact ID " + strconv.FormatInt(cid, 10) + " is invalid"}
	}
	return &principal{contactID: cid, user: s.userByContact(cid), flow: "afformpage", cred: "jwt"}, nil
}

// afformAllowedRoute is checkAllowedRoute: on
// civicrm/ajax/api4/{Entity}/{action} the params JSON ($_REQUEST), on the
// batch route (POST only) each call of calls; any other route is the
// form's own server_route, which no API route is.
func afformAllowedRoute(q *request, seg []string, form string) bool {
	word := regexp.MustCompile(`^\w+$`)
	switch {
	case len(seg) == 5 && word.MatchString(seg[3]) && word.MatchString(seg[4]):
		raw, _ := stringParam(q.req, "params")
		params, ok := decodeObject(raw)
		return ok && params.Len() > 0 && afformAllowedCall(seg[3], seg[4], params, form)
	case len(seg) == 3 && q.r.Method == "POST":
		raw, _ := stringParam(q.req, "calls")
		calls, ok := decodeObject(raw)
		if !ok || calls.Len() == 0 {
			return false
		}
		for i := 0; i < calls.Len(); i++ {
			c, _ := calls.Value(i).(*arr)
			entity, _ := c.Get("0")
			action, _ := c.Get("1")
			p, _ := c.Get("2")
			e, _ := entity.(string)
			a, _ := action.(string)
			params, ok := p.(*arr)
			if c == nil || !ok || !afformAllowedCall(e, a, params, form) {
				return false
			}
		}
		return true
	}
	return false
}

func decodeObject(raw string) (*arr, bool) {
	d, err := translate.DecodeJSON([]byte(raw))
	a, ok := d.(*arr)
	return a, err == nil && ok
}

// afformAllowedCall is checkAllowedApi4Call over getAllowedApi4Calls.
func afformAllowedCall(entity, action string, params *arr, form string) bool {
	processor := []string{"name", "args", "fillMode"}
	display := []string{"return", "savedSearch", "display", "sort", "limit", "seed", "filters", "afform"}
	is := func(key, want string) bool { v, _ := params.Get(key); return v == want }
	var fields []string
	var ok bool
	switch call := entity + " " + action; {
	case call == "Afform prefill":
		fields, ok = processor, is("name", form)
	case call == "Afform submit":
		fields, ok = append(processor, "values"), is("name", form)
	case call == "Afform submitFile":
		fields, ok = append(processor, "token", "modelName", "fieldName", "joinEntity", "entityIndex", "joinIndex"), is("name", form)
	case regexp.MustCompile(`^\w+ autocomplete$`).MatchString(call):
		fields = []string{"fieldName", "filters", "formName", "ids", "input", "page", "values", "searchField", "key", "exclude", "quickEdit"}
		ok = is("formName", "afform:"+form)
	case call == "SearchDisplay run":
		fields, ok = display, is("afform", form)
	case call == "SearchDisplay inlineEdit":
		fields, ok = append(display, "rowKey", "values"), is("afform", form)
	default:
		return false
	}
	for _, k := range params.Keys() {
		if !slices.Contains(fields, k) {
			return false
		}
	}
	return ok
}

// afformAction runs Afform.prefill and Afform.submit of AfformForm.
func (c *v4Ctx) afformAction(action string, params *arr) (*v4Result, *v4Err) {
	if name, _ := params.Get("name"); name != AfformForm {
		return nil, v4Fail("Afform %v not found", name)
	}
	if c.p == nil || c.p.contactID == 0 {
		return nil, v4Unauthorized()
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct := c.s.db.contacts[c.p.contactID]
	switch action {
	case "prefill":
		fields := translate.NewArray()
		fields.Set("id", num(c.p.contactID))
		fields.Set("first_name", ct.f["first_name"])
		fields.Set("last_name", ct.f["last_name"])
		row := translate.NewArray()
		row.Set("fields", fields)
		rows := translate.NewArray()
		rows.Append(row)
		entity := translate.NewArray()
		entity.Set("name", "Individual1")
		entity.Set("values", rows)
		out := translate.NewArray()
		out.Append(entity)
		return &v4Result{values: out}, nil
	case "submit":
		if first, ok := params.Lookup("values", "Individual1", "0", "fields", "first_name"); ok {
			if s, isStr := first.(string); isStr {
				ct.f["first_name"] = s
			}
		}
		saved := translate.NewArray()
		id := translate.NewArray()
		id.Set("id", num(c.p.contactID))
		saved.Append(id)
		res := translate.NewArray()
		res.Set("Individual1", saved)
		out := translate.NewArray()
		out.Append(res)
		return &v4Result{values: out}, nil
	}
	return nil, v4Fail("Api Afform %s version 4 does not exist.", action)
}
