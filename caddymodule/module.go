// Package caddymodule is the Caddy glue of Civigate: the http.handlers.civicrm
// module that recognises legacy CiviCRM APIv3 REST traffic, authenticates it,
// answers reads from the cache and forwards the rest as the modern call.
package caddymodule

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

func init() {
	caddy.RegisterModule(Handler{})
	httpcaddyfile.RegisterHandlerDirective("civicrm", parseCaddyfile)
	// Run before whatever talks to CiviCRM so operators need no `order` line.
	httpcaddyfile.RegisterDirectiveOrder("civicrm", httpcaddyfile.Before, "reverse_proxy")
}

// Handler is the http.handlers.civicrm module.
type Handler struct {
	// Forms lists the legacy endpoint forms to recognise: "extern"
	// (extern/rest.php), "wp_rest" (WordPress REST), "ajax_verbose" (the AJAX
	// route through a CMS's unclean URL), "ajax" (clean civicrm/ajax/rest)
	// and "api4" (APIv4's civicrm/ajax/api4, clean or verbose). Empty means
	// all of them. A form left out passes through unchecked (its disguised
	// paths are still refused).
	Forms []string `json:"forms,omitempty"`

	// ExternPrefixes are path prefixes under which extern/rest.php lives
	// besides the CMS defaults (Drupal, Backdrop, Joomla, WordPress).
	ExternPrefixes []string `json:"extern_prefixes,omitempty"`
	// ExternStrict recognises extern/rest.php only under the CMS defaults
	// and ExternPrefixes; any other …/extern/rest.php is refused (400)
	// instead of being served. Off: any prefix is recognised.
	ExternStrict bool `json:"extern_strict,omitempty"`

	// HTTPCron says what becomes of a request to CiviCRM's bin/cron.php
	// (the scheduled jobs over HTTP, under every prefix extern/rest.php is
	// recognised under): "refuse" (the default) answers it with an error
	// naming the ways to run the jobs from the server instead; "allow"
	// serves it with the edge's checks (cron.go).
	HTTPCron string `json:"http_cron,omitempty"`

	// WPBasePages are the paths of WordPress's CiviCRM base page when it is
	// not "civicrm" (e.g. "crm", "about/crm"): CiviCRM's clean URLs under
	// them (/crm/ajax/rest) are then served. Under a base page not listed
	// they are refused, since WordPress would route them to the API.
	WPBasePages []string `json:"wp_base_pages,omitempty"`

	// WPRESTPrefixes are WordPress's REST URL prefixes (rest_url_prefix)
	// when it is not "wp-json": CiviCRM's WordPress plugin logs the
	// api_key's user in for any REST route holding "civicrm" and "rest",
	// and such routes are refused under them as under /wp-json/.
	WPRESTPrefixes []string `json:"wp_rest_prefixes,omitempty"`

	// UpstreamEndpoint is the modern endpoint requests are forwarded to:
	// "/civicrm/ajax/rest" (default) or a CMS's verbose form such as
	// "/index.php?q=civicrm/ajax/rest".
	UpstreamEndpoint string `json:"upstream_endpoint,omitempty"`

	// SiteKey is CiviCRM's site key (CIVICRM_SITE_KEY); placeholders such as
	// {env.CIVICRM_SITE_KEY} are resolved at provision time. Required: a
	// handler whose site key is empty once resolved (or shorter than the 8
	// characters CiviCRM accepts) is refused at provision, since every
	// legacy call is checked against it. A placeholder that cannot be
	// resolved then (unknown, unclosed, {http.…}) is refused too
	// (resolveSecret), as in SignKeys, Redis and the auth secret.
	SiteKey string `json:"site_key,omitempty"`

	// SignKeys is CiviCRM's CIVICRM_SIGN_KEYS; placeholders are resolved at
	// provision time.
	SignKeys string `json:"sign_keys,omitempty"`

	// Redis is the Redis URL shared by the cache, the remembered credential
	// verdicts, the guessing counters and the legacy-usage report. Empty: all
	// of them live in process memory.
	Redis string `json:"redis,omitempty"`
	// RedisPrefix starts every Redis key Civigate writes (default
	// "civigate:"); a fingerprint of the site's identity (the cache
	// namespace, else the site key) follows it, so several sites can share
	// one Redis and one prefix without seeing each other's keys.
	RedisPrefix string `json:"redis_prefix,omitempty"`

	// MaxQueryBytes and MaxBodyBytes bound what Civigate parses; larger
	// requests get a 414/413 in their API's shape. MaxBodyBytes also bounds
	// the body of an APIv4 call sent upstream (it should not exceed PHP's
	// post_max_size, past which PHP empties $_POST). Defaults: 64 KiB and
	// 8 MiB.
	MaxQueryBytes int   `json:"max_query_bytes,omitempty"`
	MaxBodyBytes  int64 `json:"max_body_bytes,omitempty"`

	// Cache configures the APIv3 cache; nil means the defaults.
	Cache *CacheConfig `json:"cache,omitempty"`

	// Legacy announces the legacy forms' retirement (Deprecation, Sunset)
	// and optionally refuses them after a cut-off.
	Legacy *LegacyConfig `json:"legacy,omitempty"`

	// Auth configures edge authentication and policy; nil means defaults.
	Auth *AuthConfig `json:"auth,omitempty"`

	recognise translate.RecogniseConfig
	// authxV3 is where civicrm/authx/id is asked about APIv3 calls' and
	// unknown pages' credentials: under upstream_endpoint's base
	// (provisionAuthxID).
	authxV3  *url.URL
	upstream translate.UpstreamConfig
	parse    translate.ParseOptions
	siteKey  string
	signKeys string
	logger   *zap.Logger
	usage    usageRecorder
	history  historyStore
	auth     *authx.Authenticator
	prepared *preparedRequests
	// proxyTrust warns when the server trusts a proxy laxly (proxytrust.go).
	proxyTrust *proxyTrust

	cache      *cache.Cache
	redisStore *cache.RedisStore
	// apiKeys asks CiviCRM about API keys and Basic credentials (nil:
	// no_resolve); verdictGen numbers the lifetimes of its verdicts, moved
	// on by a write that may change credentials, passwordGen those of its
	// verdicts on passwords, moved on by a write that may rename a user
	// (credentials.go).
	apiKeys         *authx.APIKeyVerifier
	verdictGen      verdictGeneration
	passwordGen     verdictGeneration
	forgets         *forgetCoalescer
	passwordForgets *forgetCoalescer
	// memShare is what the handlers of this namespace share in memory
	// mode (memshare.go; nil: not acquired).
	memShare *memoryShare
	closers  []func() error

	redisURL    string // resolved Redis URL; a secret (may hold a password)
	redisClient *cache.RedisClient
	redisPrefix string // where this site's keys live (see siteRedisPrefix)
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.civicrm",
		New: func() caddy.Module { return new(Handler) },
	}
}

const (
	defaultMaxQueryBytes = 64 << 10
	defaultMaxBodyBytes  = 8 << 20
	defaultEndpoint      = "/civicrm/ajax/rest"
)

var formNames = map[string]translate.Form{
	"extern":       translate.FormExtern,
	"wp_rest":      translate.FormWPRest,
	"ajax_verbose": translate.FormAjaxVerbose,
	"ajax":         translate.FormAjax,
	"api4":         translate.FormAPI4,
}

// Provision resolves secrets and sets defaults.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	repl := caddy.NewReplacer()
	// Secrets are resolved here, once, and never logged.
	// A placeholder Caddy cannot resolve here is refused (resolveSecret),
	// never taken as the secret's literal text.
	siteKey, err := resolveSecret(repl, "site_key", h.SiteKey)
	if err != nil {
		return fmt.Errorf("civicrm: %v", err)
	}
	h.siteKey = strings.TrimSpace(siteKey)
	if err := checkSiteKey(h.SiteKey, h.siteKey); err != nil {
		return err
	}
	signKeys, err := resolveSecret(repl, "sign_keys", h.SignKeys)
	if err != nil {
		return fmt.Errorf("civicrm: %v", err)
	}
	h.signKeys = strings.TrimSpace(signKeys)

	if h.MaxQueryBytes == 0 {
		h.MaxQueryBytes = defaultMaxQueryBytes
	}
	if h.MaxBodyBytes == 0 {
		h.MaxBodyBytes = defaultMaxBodyBytes
	}
	if h.UpstreamEndpoint == "" {
		h.UpstreamEndpoint = defaultEndpoint
	}

	h.recognise = translate.RecogniseConfig{ExternPrefixes: h.ExternPrefixes, ExternKnownPrefixesOnly: h.ExternStrict,
		WPBasePages: h.WPBasePages, WPRESTPrefixes: h.WPRESTPrefixes, API4: true}
	if len(h.Forms) > 0 {
		on := map[translate.Form]bool{}
		for _, f := range h.Forms {
			on[formNames[f]] = true
		}
		h.recognise.DisableExtern = !on[translate.FormExtern]
		h.recognise.DisableWPRest = !on[translate.FormWPRest]
		h.recognise.DisableAjaxVerbose = !on[translate.FormAjaxVerbose]
		h.recognise.DisableAjax = !on[translate.FormAjax]
		h.recognise.API4 = on[translate.FormAPI4]
	}
	h.upstream = translate.UpstreamConfig{Endpoint: h.UpstreamEndpoint, OmitCredentials: true, MaxBodyBytes: h.MaxBodyBytes}
	h.parse = translate.ParseOptions{MaxQueryBytes: h.MaxQueryBytes, MaxBodyBytes: h.MaxBodyBytes}
	if err := h.provisionAuthxID(); err != nil {
		return fmt.Errorf("civicrm: %v", err)
	}
	if err := h.provisionRedis(repl); err != nil {
		return err
	}
	if h.Legacy != nil {
		if err := h.Legacy.provision(); err != nil {
			return fmt.Errorf("civicrm: %v", err)
		}
	}
	if h.auth, err = h.buildAuthenticator(repl); err != nil {
		return fmt.Errorf("civicrm: %v", err)
	}
	h.prepared = &preparedRequests{m: map[string]*prepared{}}
	if h.cache, err = h.buildCache(); err != nil {
		return fmt.Errorf("civicrm: %v", err)
	}
	h.provisionVerdictGen()
	if h.redisClient != nil {
		usage, history := newRedisUsage(h.redisClient, h.redisPrefix), newRedisHistory(h.redisClient, h.redisPrefix, defaultHistoryLimits)
		// Both are set before either loop folds into them (foldUsage).
		h.usage, h.history = usage, history
		usage.run(h.foldUsage)
		history.run(h.foldUsage)
	} else {
		h.usage = newMemoryUsage()
		h.history = newMemoryHistory(defaultHistoryLimits)
	}
	initMetrics(ctx.GetMetricsRegistry())
	h.provisionProxyTrust(ctx)
	registerLive(h)
	return nil
}

// Validate checks invariants of the configuration.
func (h *Handler) Validate() error {
	for _, f := range h.Forms {
		if _, ok := formNames[f]; !ok {
			return fmt.Errorf("civicrm: unknown form %q (want extern, wp_rest, ajax_verbose, ajax or api4)", f)
		}
	}
	if !strings.HasPrefix(h.UpstreamEndpoint, "/") {
		return fmt.Errorf("civicrm: upstream_endpoint %q must start with /", h.UpstreamEndpoint)
	}
	switch h.HTTPCron {
	case "", cronRefuse, cronAllow:
	default:
		return fmt.Errorf("civicrm: http_cron %q: want %s or %s", h.HTTPCron, cronRefuse, cronAllow)
	}
	for _, bp := range h.WPBasePages {
		if strings.Trim(bp, "/") == "" || strings.ContainsAny(bp, "%?#\\") {
			return fmt.Errorf("civicrm: wp_base_page %q must be the base page's path, e.g. crm", bp)
		}
	}
	for _, p := range h.WPRESTPrefixes {
		if strings.Trim(p, "/") == "" || strings.ContainsAny(p, "%?#\\") {
			return fmt.Errorf("civicrm: wp_rest_prefix %q must be WordPress's REST URL prefix, e.g. api", p)
		}
	}
	return nil
}

// Cleanup releases what Provision acquired.
func (h *Handler) Cleanup() error {
	unregisterLive(h)
	h.cleanupProxyTrust()
	for _, c := range h.closers {
		_ = c()
	}
	if h.usage != nil && h.history != nil {
		h.foldUsage() // before the Redis stores' last flush
	}
	if h.usage != nil {
		h.usage.close()
	}
	if h.history != nil {
		h.history.close()
	}
	if h.redisClient != nil {
		_, _ = redisClients.Delete(h.redisURL)
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)

// placeholderRe finds the placeholders (balanced braces) of a configured
// value; namedPlaceholder is one whose text may be shown in an error: a
// namespace and a name ({env:X}, {ENV.X}, {http.request.header.X}), which
// a site key (letters and digits) cannot be mistaken for.
var (
	placeholderRe    = regexp.MustCompile(`\{([^{}]*)\}`)
	namedPlaceholder = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*[.:][A-Za-z0-9_.:-]*$`)
)

// resolveSecret resolves the placeholders of a secret's configured value
// (setting names it in errors) once, at provisioning. A
// placeholder that cannot give the secret here is refused, where Caddy's
// ReplaceKnown left it as literal text and that text, which anyone reading
// the configuration or its documentation knows, became the secret: an
// unknown one ({env:X}, {ENV.X}), a request placeholder ({http.…}, only
// known while serving a request), one that is not where a secret is kept
// (only {env.…} and {file.…} are: {time.now.unix} is guessable), one that
// is empty inside a longer value (it would leave the text around it), an
// {env.X:default} (Caddy's
// {env.…} takes no default: it read the variable "X:default") and a brace
// left over once resolved (an unclosed placeholder such as {env.X). The
// error never shows the resolved value, and shows a placeholder's text only
// when it has the shape of one (namedPlaceholder), not of a literal key.
func resolveSecret(repl *caddy.Replacer, setting, raw string) (string, error) {
	for _, m := range placeholderRe.FindAllStringSubmatch(raw, -1) {
		ph := m[1]
		if !namedPlaceholder.MatchString(ph) {
			continue
		}
		switch {
		case strings.HasPrefix(ph, "http."):
			return "", fmt.Errorf("%s: {%s} is a request placeholder, only known while serving a request; "+
				"%s is resolved once, when Caddy starts: use {env.NAME} or {file.PATH}", setting, ph, setting)
		case strings.HasPrefix(ph, "env.") && strings.Contains(ph, ":"):
			name, _, _ := strings.Cut(strings.TrimPrefix(ph, "env."), ":")
			return "", fmt.Errorf("%s: {%s}: Caddy's {env.NAME} placeholder takes no default "+
				"(it would read a variable named %q); set %s, or in a Caddyfile write {$%s:default}, "+
				"which the Caddyfile adapter resolves", setting, ph, strings.TrimPrefix(ph, "env."), name, name)
		}
		v, known := repl.Get(ph)
		if !known {
			continue // ReplaceOrErr names it below
		}
		if !strings.HasPrefix(ph, "env.") && !strings.HasPrefix(ph, "file.") {
			// {time.now.unix}, {system.hostname}, {vars.…}: known, but not
			// where a secret is kept, and some are guessable.
			return "", fmt.Errorf("%s: {%s} is not where a secret is kept: use {env.NAME} or {file.PATH}", setting, ph)
		}
		if strings.TrimSpace(raw) != "{"+ph+"}" && (v == nil || fmt.Sprint(v) == "") {
			// Part of a longer value: empty, it would leave the text
			// around it as the secret (abc{env.UNSET}defghijk), which the
			// checks of a whole empty value do not see.
			return "", fmt.Errorf("%s: {%s} is empty or unset, which would leave only the text around it", setting, ph)
		}
	}
	out, err := repl.ReplaceOrErr(raw, false, true)
	if err != nil {
		shown := ""
		for _, m := range placeholderRe.FindAllStringSubmatch(raw, -1) {
			if _, known := repl.Get(m[1]); !known && namedPlaceholder.MatchString(m[1]) {
				shown = " {" + m[1] + "}"
				break
			}
		}
		return "", fmt.Errorf("%s holds a placeholder Caddy does not know%s: it would be taken as its "+
			"literal text; placeholders are case-sensitive and written {env.NAME} or {file.PATH}", setting, shown)
	}
	if strings.ContainsAny(out, "{}") {
		return "", fmt.Errorf("%s holds a '{' or '}' once its placeholders are resolved "+
			"(an unclosed placeholder, such as {env.NAME without its closing brace?): "+
			"it would be taken as literal text; write {env.NAME}", setting)
	}
	return out, nil
}

// minSiteKeyLen is the shortest site key CiviCRM accepts:
// CRM_Utils_System::authenticateKey refuses every legacy call when
// CIVICRM_SITE_KEY is shorter.
const minSiteKeyLen = 8

// envPlaceholder finds {env.NAME} placeholders in a configured value.
var envPlaceholder = regexp.MustCompile(`\{env\.([^{}]+)\}`)

// checkSiteKey refuses a handler without a usable site key: raw is the
// configured site_key, resolved the same after its placeholders are
// replaced and trimmed. Without one no site key would be checked anywhere
// (the edge has nothing to compare, and CiviCRM is asked through AuthX,
// where the site key is optional), so a legacy call with any API key and
// a wrong or missing key= would be served where extern/rest.php answers
// "Failed to authenticate key". CiviCRM always defines CIVICRM_SITE_KEY,
// so no working configuration lacks one. The error names the setting and
// the environment variables it reads, never the value.
func checkSiteKey(raw, resolved string) error {
	const why = "CiviCRM's site key must be set, every legacy call is checked against it"
	if strings.TrimSpace(raw) == "" {
		return fmt.Errorf("civicrm: site_key is missing: %s; add site_key {env.CIVICRM_SITE_KEY} "+
			"(the value of CIVICRM_SITE_KEY in civicrm.settings.php)", why)
	}
	var vars []string
	for _, m := range envPlaceholder.FindAllStringSubmatch(raw, -1) {
		vars = append(vars, m[1])
	}
	hint := ""
	if len(vars) > 0 {
		hint = " (is " + strings.Join(vars, ", ") + " set?)"
	}
	if resolved == "" {
		return fmt.Errorf("civicrm: site_key is empty%s: %s", hint, why)
	}
	if len(resolved) < minSiteKeyLen {
		return fmt.Errorf("civicrm: site_key is shorter than %d characters%s: CiviCRM refuses such a site key "+
			"on every legacy call; use the value of CIVICRM_SITE_KEY in civicrm.settings.php", minSiteKeyLen, hint)
	}
	return nil
}
