package caddymodule

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/translate"
)

// Writes through CiviCRM pages. A request Civigate passes on to the site
// (serveUnrecognised) may write CiviCRM data through a page rather than
// the API: an inline edit, a contact or profile form, the mailing opt-out,
// a payment processor's notification, a mail's open and click tracking
// (translate.RecogniseConfig.PageMayWrite). What it changed is not known,
// so it invalidates the whole namespace, as a write action the edge
// cannot bound does (cache.WriteTargets' all), on every instance sharing
// the store: when the answer's head goes out (the client must not see its
// write answered while the reads it changed are still served) and again
// once the site has answered, whatever the status (PHP may write after
// its first bytes are sent, and a read that missed in between may have
// stored what it read before the write). A GET to any other page pays
// only TrackingPage's scan.

// A page write that may change credentials
// (translate.RecogniseConfig.PageChangesCredentials: an administration
// page, AuthX's settings, user administration) also forgets every
// remembered verdict on a credential (forgetVerdicts), at the same two
// moments, unless the site answered 401 or 403 (it refused the page). Any
// other page write but a tracking fetch (a form's POST: a profile, a
// contact's edit, a contribution page) may save a contact's primary
// e-mail, which renames its CMS user (cache.RenamesUsers), and forgets
// the verdicts on passwords alone.

// pageWrites wraps next, for a request that may write through a page, so
// that passing r on invalidates the cache and, for one that may change
// credentials, forgets remembered verdicts (neither: next itself).
func (h *Handler) pageWrites(r *http.Request, next caddyhttp.Handler) caddyhttp.Handler {
	return h.pageWritesAt(r.Method, r.URL, next)
}

// bodyPageWrites is pageWrites for a request whose form body the scanner
// read (the whole body, or its first primeBytes): the routing parameters
// in it (BodyScanner.PageQuery) count as query variables, as WordPress's
// WP::parse_request and Joomla's input take them from $_POST; ones that
// cannot all be known count as a page write that changes credentials.
// pass is pageWrites' for the URL alone, kept when the body has none.
func (h *Handler) bodyPageWrites(r *http.Request, next, pass caddyhttp.Handler, scan *translate.BodyScanner) caddyhttp.Handler {
	q, known := scan.PageQuery()
	switch {
	case q == "" && known:
		return pass
	case !known:
		return h.pageWriteHandler(next, credsChanged)
	}
	u := *r.URL
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += q
	return h.pageWritesAt(r.Method, &u, next)
}

func (h *Handler) pageWritesAt(method string, u *url.URL, next caddyhttp.Handler) caddyhttp.Handler {
	if (h.cache == nil && h.verdictGen == nil) || !h.recognise.PageMayWrite(method, u) {
		return next
	}
	creds := credsUnchanged
	switch {
	case h.recognise.PageChangesCredentials(method, u):
		creds = credsChanged
	case method != http.MethodGet && method != http.MethodHead:
		// Not a tracking fetch (TrackingPage): a form that may save an
		// e-mail.
		creds = credsPasswords
	}
	return h.pageWriteHandler(next, creds)
}

// pageWriteHandler wraps next for a page write (creds: what it may
// change of the credentials CiviCRM accepts).
func (h *Handler) pageWriteHandler(next caddyhttp.Handler, creds credChange) caddyhttp.Handler {
	if h.verdictGen == nil {
		creds = credsUnchanged
	}
	if h.cache == nil && creds == credsUnchanged {
		return next
	}
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx := context.WithoutCancel(r.Context())
		pw := &pageWriteWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, h: h, ctx: ctx, creds: creds}
		defer pw.end()
		return next.ServeHTTP(pw, r)
	})
}

// invalidatePageWrite forgets every cached read of the namespace.
func (h *Handler) invalidatePageWrite(ctx context.Context) {
	if h.cache == nil {
		return
	}
	if err := h.cache.InvalidateTargets(ctx, nil, true); err != nil {
		h.logger.Warn("cache invalidation not recorded; the store replays it when it is back")
	}
}

// pageWriteWriter invalidates (and forgets verdicts: creds) before the
// answer's head goes out, and again at the end (end).
type pageWriteWriter struct {
	*caddyhttp.ResponseWriterWrapper
	h     *Handler
	ctx   context.Context
	creds credChange
	done  bool
	// refused: the site answered 401 or 403, the page did not run.
	refused bool
}

func (pw *pageWriteWriter) WriteHeader(code int) {
	if code >= http.StatusOK {
		if !pw.done {
			pw.refused = code == http.StatusUnauthorized || code == http.StatusForbidden
		}
		pw.invalidate()
	}
	pw.ResponseWriterWrapper.WriteHeader(code)
}

func (pw *pageWriteWriter) Write(p []byte) (int, error) {
	pw.invalidate()
	return pw.ResponseWriterWrapper.Write(p)
}

func (pw *pageWriteWriter) ReadFrom(r io.Reader) (int64, error) {
	pw.invalidate()
	return pw.ResponseWriterWrapper.ReadFrom(r)
}

func (pw *pageWriteWriter) invalidate() {
	if !pw.done {
		pw.done = true
		pw.h.invalidatePageWrite(pw.ctx)
		if pw.creds != credsUnchanged && !pw.refused {
			pw.h.forgetVerdicts(pw.ctx, pw.creds, false)
		}
	}
}

// end runs once the site has answered: invalidates again, and forgets
// again (coalesced with the first: at the window's end).
func (pw *pageWriteWriter) end() {
	pw.h.invalidatePageWrite(pw.ctx)
	if pw.creds != credsUnchanged && !pw.refused {
		pw.h.forgetVerdicts(pw.ctx, pw.creds, true)
	}
}
