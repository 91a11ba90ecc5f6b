package caddymodule

import (
	"net/http"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/logging"
	"go.uber.org/zap/zapcore"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

func init() {
	caddy.RegisterModule(CredentialsFilter{})
}

// redacted replaces every credential the filter removes.
const redacted = "REDACTED"

// CredentialsFilter is the log field filter civicrm_credentials: it removes
// from a logged request every credential CiviCRM would read, under every
// spelling PHP and AuthX accept, so operators need not list spellings:
//
//   - on a URI (request>uri): the value of every query parameter PHP
//     registers as key, api_key, _authx, _authxSiteKey or _authxSes
//     (translate.CredentialParams), whatever its spelling (api.key,
//     api+key, api%5Bkey, %20key, .authx, api_key[]…, amp;api_key) and in
//     any letter case (PHP would not read API_KEY, but its value is still a
//     secret), and of every one PHP registers as pass, the CMS password
//     CiviCRM's scripts read (translate.IsScriptPasswordQueryName:
//     bin/cron.php's authenticateScript), on every URI;
//   - on headers (request>headers): every identity header under any
//     spelling authx.IsIdentityHeader recognises (X-Civi-Auth, X_Civi.Auth,
//     x.civi.key…) and Civigate's subrequest token (X-Civigate-Subrequest),
//     and the credentials in the query of any other header's
//     URL (Referer). Caddy's own redaction of Cookie and Authorization stays.
//
// Filters on fields inside the headers (request>headers>Referer) no longer
// apply once request>headers has this filter; this one covers them.
type CredentialsFilter struct{}

// CaddyModule returns the Caddy module information.
func (CredentialsFilter) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "caddy.logging.encoders.filter.civicrm_credentials",
		New: func() caddy.Module { return new(CredentialsFilter) },
	}
}

// UnmarshalCaddyfile sets up the filter from Caddyfile tokens. It takes no
// arguments:
//
//	format filter {
//		request>uri     civicrm_credentials
//		request>headers civicrm_credentials
//	}
func (*CredentialsFilter) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the filter's name
	if d.NextArg() {
		return d.Errf("civicrm_credentials takes no arguments, got %q", d.Val())
	}
	if d.NextBlock(d.Nesting()) {
		return d.Errf("civicrm_credentials takes no block, got %q", d.Val())
	}
	return nil
}

// Filter implements logging.LogFieldFilter.
func (CredentialsFilter) Filter(in zapcore.Field) zapcore.Field {
	switch v := in.Interface.(type) {
	case caddyhttp.LoggableHTTPHeader:
		in.Interface = redactHeader(v)
	case caddyhttp.LoggableStringArray: // one header's values
		in.Interface = caddyhttp.LoggableStringArray(redactURIs(v))
	default:
		if in.Type == zapcore.StringType {
			in.String = redactQuery(in.String)
		}
	}
	return in
}

// redactHeader returns h with identity headers and credentials in URL
// values replaced, in a copy: h.Header is the live request's header.
func redactHeader(h caddyhttp.LoggableHTTPHeader) caddyhttp.LoggableHTTPHeader {
	out := make(http.Header, len(h.Header))
	for name, vals := range h.Header {
		if authx.IsIdentityHeader(name) || authx.IsSubrequestHeader(name) {
			out[name] = []string{redacted}
		} else {
			out[name] = redactURIs(vals)
		}
	}
	h.Header = out
	return h
}

// redactURIs applies redactQuery to each value, copying vals only when one
// changes.
func redactURIs(vals []string) []string {
	var out []string
	for i, v := range vals {
		if r := redactQuery(v); r != v {
			if out == nil {
				out = slices.Clone(vals)
			}
			out[i] = r
		}
	}
	if out == nil {
		return vals
	}
	return out
}

// redactQuery replaces the value of every credential parameter in the query
// of s, a request-target or URL: everything after the first '?', split on
// '&' as PHP splits it. An API key is data too (a lookup of the contact a
// key belongs to: APIv3 json={"api_key":…}, APIv4 params with where
// api_key = …, setvalue's field=api_key and value=…, query-string
// where[0][]=api_key…), so a query naming api_key elsewhere than as a
// credential parameter (translate.NamesAPIKeyAsData, the detector
// BuildUpstream asks too) has every value redacted but those of the names
// that route the call (envelopeNames). Every other
// byte of s is kept, so the log still shows what the client sent.
func redactQuery(s string) string {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return s
	}
	data := translate.NamesAPIKeyAsData(s[q+1:])
	var b strings.Builder
	copied := 0 // s[:copied] is in b
	for pos := q + 1; pos < len(s); {
		end := strings.IndexByte(s[pos:], '&')
		if end < 0 {
			end = len(s)
		} else {
			end += pos
		}
		piece := s[pos:end]
		if name, val, ok := strings.Cut(piece, "="); ok && val != "" && (translate.IsCredentialQueryName(name) ||
			translate.IsScriptPasswordQueryName(name) || data && !isEnvelopeName(name)) {
			b.WriteString(s[copied : pos+len(name)+1])
			b.WriteString(redacted)
			copied = end
		}
		pos = end + 1
	}
	if copied == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

// envelopeNames are the parameters whose values a query naming api_key as
// data keeps in the log: they route the call and hold no data.
var envelopeNames = []string{"entity", "action", "version", "q", "page", "option", "task", "civiwp"}

func isEnvelopeName(name string) bool {
	return slices.ContainsFunc(envelopeNames, func(e string) bool { return strings.EqualFold(name, e) })
}

// Interface guards
var (
	_ logging.LogFieldFilter = (*CredentialsFilter)(nil)
	_ caddyfile.Unmarshaler  = (*CredentialsFilter)(nil)
)
