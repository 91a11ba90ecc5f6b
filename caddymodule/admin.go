package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// adminAPI serves Civigate's routes on Caddy's admin endpoint:
//
//	GET  /civigate/                         the migration console (HTML)
//	GET  /civigate/legacy-usage             who still uses which legacy form (JSON)
//	GET  /civigate/legacy-usage.csv         the console's daily history (CSV)
//	POST /civigate/cache/purge              purge every cached entry
//	POST /civigate/cache/purge?entity=X     purge one entity's entries
//	POST /civigate/cache/purge?contact=N    purge one contact's entries
//
// It is an admin module, so it is there whenever the admin API is, without
// configuration, and it acts on every civicrm handler of the running config.
type adminAPI struct{}

func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.civigate",
		New: func() caddy.Module { return new(adminAPI) },
	}
}

// live holds the provisioned handlers of the running config(s).
var live = struct {
	sync.Mutex
	handlers map[*Handler]struct{}
}{handlers: map[*Handler]struct{}{}}

func registerLive(h *Handler) {
	live.Lock()
	live.handlers[h] = struct{}{}
	live.Unlock()
}

func unregisterLive(h *Handler) {
	live.Lock()
	delete(live.handlers, h)
	live.Unlock()
}

func liveHandlers() []*Handler {
	live.Lock()
	defer live.Unlock()
	out := make([]*Handler, 0, len(live.handlers))
	for h := range live.handlers {
		out = append(out, h)
	}
	return out
}

func (adminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/civigate/", Handler: caddy.AdminHandlerFunc(serveAdminConsole)},
		{Pattern: "/civigate/legacy-usage", Handler: caddy.AdminHandlerFunc(serveAdminConsole)},
		{Pattern: "/civigate/legacy-usage.csv", Handler: caddy.AdminHandlerFunc(serveAdminConsole)},
		{Pattern: "/civigate/cache/purge", Handler: caddy.AdminHandlerFunc(servePurge)},
	}
}

// serveAdminConsole serves the migration console (console_page.go).
func serveAdminConsole(w http.ResponseWriter, r *http.Request) error {
	resource, ok := strings.CutPrefix(r.URL.Path, "/civigate")
	if !ok || !isConsoleResource(resource) {
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: fmt.Errorf("no such Civigate resource: %s", r.URL.Path)}
	}
	err := serveConsole(w, r, resource, liveHandlers())
	var ce consoleError
	if errors.As(err, &ce) {
		return caddy.APIError{HTTPStatus: ce.status, Err: ce}
	}
	return err
}

func servePurge(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method not allowed")}
	}
	q := r.URL.Query()
	entity, contact := q.Get("entity"), q.Get("contact")
	var contactID int64
	if contact != "" {
		n, err := strconv.ParseInt(contact, 10, 64)
		if err != nil || n <= 0 {
			return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("contact must be a positive contact id, got %q", contact)}
		}
		contactID = n
	}
	if entity != "" && contact != "" {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("give entity or contact, not both")}
	}
	for _, h := range liveHandlers() {
		if err := h.purge(r.Context(), entity, contactID); err != nil {
			return caddy.APIError{HTTPStatus: http.StatusBadGateway, Err: fmt.Errorf("purge: %v", err)}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]any{"purged": true, "entity": entity, "contact": contactID})
}

var _ caddy.AdminRouter = adminAPI{}
