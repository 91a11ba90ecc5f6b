package caddymodule

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(ConsoleHandler{})
	httpcaddyfile.RegisterHandlerDirective("civigate_console", parseConsoleCaddyfile)
	// After basic_auth and forward_auth, before everything that answers.
	httpcaddyfile.RegisterDirectiveOrder("civigate_console", httpcaddyfile.Before, "respond")
}

// ConsoleHandler (http.handlers.civigate_console) serves the migration
// console on a site, for browsers: Caddy's admin API serves it too, but
// refuses every page a browser opens there itself (a navigation carries
// Sec-Fetch-Mode and no Origin, which the admin API's cross-site guard
// rejects). Put it behind basic_auth or on a loopback-only site: it shows
// who calls the API and how, so by default only loopback clients (an SSH
// tunnel, a browser on the server) get it.
type ConsoleHandler struct {
	// Path is where the console lives (default "/civigate/"): the page at
	// Path, the JSON at Path+"legacy-usage", the CSV at
	// Path+"legacy-usage.csv". Other requests go to the next handler.
	Path string `json:"path,omitempty"`
	// AllowRemote serves clients on other addresses too (as Caddy sees
	// them, after trusted proxies): put basic_auth or forward_auth first.
	AllowRemote bool `json:"allow_remote,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (ConsoleHandler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.civigate_console",
		New: func() caddy.Module { return new(ConsoleHandler) },
	}
}

// Provision sets the default path.
func (c *ConsoleHandler) Provision(caddy.Context) error {
	if c.Path == "" {
		c.Path = "/civigate/"
	}
	return nil
}

// Validate checks the path.
func (c *ConsoleHandler) Validate() error {
	if !strings.HasPrefix(c.Path, "/") || !strings.HasSuffix(c.Path, "/") {
		return errors.New("civigate_console: path must start and end with /, got " + c.Path)
	}
	return nil
}

func (c *ConsoleHandler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	rest, ok := strings.CutPrefix(r.URL.Path, c.Path)
	resource := "/" + rest
	if !ok || !isConsoleResource(resource) {
		return next.ServeHTTP(w, r)
	}
	if !c.AllowRemote && !clientAddr(r).IsLoopback() {
		return caddyhttp.Error(http.StatusForbidden,
			errors.New("civigate_console serves loopback clients only; add allow_remote behind authentication"))
	}
	err := serveConsole(w, r, resource, liveHandlers())
	var ce consoleError
	if errors.As(err, &ce) {
		return caddyhttp.Error(ce.status, ce)
	}
	return err
}

// UnmarshalCaddyfile parses
//
//	civigate_console [<path>] {
//		allow_remote
//	}
func (c *ConsoleHandler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() {
		c.Path = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "allow_remote":
			if d.NextArg() {
				return d.ArgErr()
			}
			c.AllowRemote = true
		default:
			return d.Errf("civigate_console: unknown subdirective %q (want allow_remote)", d.Val())
		}
	}
	return nil
}

func parseConsoleCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	c := new(ConsoleHandler)
	err := c.UnmarshalCaddyfile(h.Dispenser)
	return c, err
}

// Interface guards
var (
	_ caddy.Provisioner           = (*ConsoleHandler)(nil)
	_ caddy.Validator             = (*ConsoleHandler)(nil)
	_ caddyhttp.MiddlewareHandler = (*ConsoleHandler)(nil)
	_ caddyfile.Unmarshaler       = (*ConsoleHandler)(nil)
)
