package caddymodule

import (
	"bytes"
	"io"
	"net/http"
	"net/netip"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/translate"
)

// CiviCRM's bin/cron.php runs the scheduled jobs over HTTP: an APIv3 Job
// call (Job.<job> with the client's parameters, or Job.execute) without
// permission checks, for whoever sends a CMS user's name and password and
// the site key (CRM_Utils_System::authenticateScript, CRM_Core_JobManager;
// see translate/cron.go). Passed on untouched it would be an API entry
// point the edge never sees: the site key unchecked, a password oracle no
// guessing protection counts, deny rules on Job not applied, and the
// password in the URL CiviCRM's web server logs.
//
// So by default (http_cron refuse) it is refused, at every path the
// recogniser finds it under (the prefixes extern/rest.php is found under;
// a disguised spelling gets the recogniser's 400 like any other), with
// the ways to run the jobs that need no HTTP entry point. With http_cron
// allow it is served as extern/rest.php is: the site key checked in
// constant time, the password checked by asking civicrm/authx/id as a
// Basic credential (guessing protection counting failures per address and
// per user name), the run judged by the policy as APIv3 Job.<job> for that
// principal; then CiviCRM gets a request Civigate rebuilt, credentials in
// a POST form body and no query, no cookie; and the run counts as a page
// write of unknown effects (the whole cache forgotten; verdicts too for a
// job that may change credentials: changesCredentials, which counts the
// merges Job.execute and Job.process_batch_merge may make).

// http_cron's values.
const (
	cronRefuse = "refuse"
	cronAllow  = "allow"
)

// cronRefusal answers a request to bin/cron.php under http_cron refuse.
var cronRefusal = translate.CronReply(http.StatusForbidden, "Civigate: bin/cron.php, CiviCRM's scheduled jobs over HTTP, is refused here: "+
	"it takes a CMS user's password in the request and runs jobs without permission checks. "+
	"Run the scheduled jobs from the server's own cron instead: cv api job.execute "+
	"(or drush civicrm-api job.execute, wp civicrm api job.execute), "+
	"or run a job from CiviCRM's Scheduled Jobs settings (Administer > System Settings > Scheduled Jobs). "+
	"A site that must run them over HTTP sets http_cron allow in its civicrm block.")

// serveCron handles a request to bin/cron.php (translate.FormCron).
func (h *Handler) serveCron(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, route translate.Route, clientIP netip.Addr) error {
	const form = string(translate.FormCron)
	setAnswerHeaders(w.Header())
	if h.HTTPCron != cronAllow {
		h.count(form, outcomeRefused)
		return writeReply(w, cronRefusal)
	}
	opts := h.parse
	opts.ClientIP = clientIP.String()
	call, body, reply := translate.CronCall(r, opts)
	if reply != nil {
		h.count(form, outcomeEdgeError)
		return writeReply(w, *reply)
	}
	_, p, rej := h.authenticateAt(r, next, h.authxID(route), call, clientIP, h.auth.Authenticate)
	if rej != nil {
		return h.refuseAuth(w, call, rej, clientIP)
	}
	setAuthPlaceholders(r, p)
	defer setLogUserID(r, p)
	h.count(form, outcomeOK)
	var octx originalCtx
	return h.pageWriteHandler(next, h.changesCredentials(call, nil)).ServeHTTP(w, cronRequest(r, body, &octx))
}

// cronRequest is the request CiviCRM gets for r: POST to r's path with
// no query, body (translate.CronCall's: every $_REQUEST entry the edge
// judged) as a urlencoded form, the client's header less its Cookie
// (whose entries PHP may put in $_REQUEST), identity headers and framing.
// It is made the route's original request (asOriginal), so that behind
// php_fastcgi PHP's REQUEST_URI holds no credential either.
func cronRequest(r *http.Request, body []byte, c *originalCtx) *http.Request {
	u := *r.URL
	u.RawQuery, u.ForceQuery = "", false
	uri := u.RequestURI()
	out := r.WithContext(asOriginal(r.Context(), &http.Request{Method: http.MethodPost, RemoteAddr: r.RemoteAddr, RequestURI: uri, URL: &u}, c))
	out.Method, out.URL, out.RequestURI = http.MethodPost, &u, uri
	header := make(http.Header, len(r.Header)+1)
	for name, vs := range r.Header {
		if forwardsClientHeader(name, cronStripped) {
			header[name] = vs
		}
	}
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	out.Header = header
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.TransferEncoding, out.Trailer, out.GetBody = nil, nil, nil
	return out
}

// cronStripped are the client's headers a rebuilt bin/cron.php request
// never carries, besides identity headers and framing
// (forwardsClientHeader).
var cronStripped = []string{"Cookie", "Content-Type", "Transfer-Encoding"}
