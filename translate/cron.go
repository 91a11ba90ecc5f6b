package translate

import (
	"net/http"
	"strconv"
	"strings"
)

// bin/cron.php runs CiviCRM's scheduled jobs over HTTP. It calls
// CRM_Utils_System::authenticateScript(), which reads name, pass and key
// from $_REQUEST (trimmed), checks the site key (authenticateKey:
// hash_equals) and the CMS user's password (CRM_Utils_System::authenticate,
// the CMS's own check, which AuthX's password credential makes too:
// CheckCredential::basicUser), and logs the user in. Then
// CRM_Core_JobManager runs, with no permission check: without job
// (CRM_Utils_Request::retrieve('job', 'String', …, 'REQUEST')) every
// scheduled job that is due, with the parameters the site configured
// (execute()); with job=X the APIv3 call civicrm_api('job', X, $params),
// $params being every other $_REQUEST entry but name, pass, key and job,
// with version 3 (setSingleRunParams, executeJobByAction). So it is an
// APIv3 entry point of its own: Job.X with the client's parameters, or
// Job.execute, for the password's user.
//
// The edge reads such a request as the script does (CronCall) and, once
// it let the call through, sends CiviCRM a request it rebuilt: POST, the
// client's path without a query, every $_REQUEST entry in a urlencoded
// body (authenticateScript and retrieve read $_REQUEST, which holds
// $_POST), and no cookie (where php.ini sets no request_order $_REQUEST
// holds the cookies too, and each would be a job parameter the edge did
// not judge). No credential is left in a URL.

// cronParams are the $_REQUEST entries bin/cron.php reads for itself and
// leaves out of the job's parameters.
var cronParams = [...]string{"name", "pass", "key", "job"}

// CronCall reads a request to bin/cron.php (FormCron) as the script
// does: a Call for APIv3 Job.<job> (Job.execute without job) with the job
// parameters the script passes, the credentials authenticateScript reads
// (Credentials.User, Password and SiteKey), and the body of the request
// to send CiviCRM instead (a urlencoded form holding $_REQUEST: see
// above). A Reply is an answer to send instead, for a request the edge
// cannot read as PHP would or that holds no call CiviCRM would run.
//
// Only a query and a urlencoded form body are read: a multipart body,
// which no cron client sends, is refused rather than modelled.
func CronCall(r *http.Request, opts ParseOptions) (c *Call, upstreamBody []byte, reply *Reply) {
	lim := opts.Limits.withDefaults()
	if opts.MaxQueryBytes > 0 && len(r.URL.RawQuery) > opts.MaxQueryBytes {
		return nil, nil, cronReply(http.StatusRequestURITooLong, "Civigate: the query string is longer than "+strconv.Itoa(opts.MaxQueryBytes)+" bytes")
	}
	ct, ok := BodyContentType(r)
	if !ok {
		return nil, nil, cronReply(http.StatusBadRequest, ManyContentTypes)
	}
	post := NewArray()
	if form, multipart, _ := phpPostForm(r.Method, ct); form && r.Body != nil && r.Body != http.NoBody {
		if EncodedBody(r.Header) {
			return nil, nil, cronReply(http.StatusUnsupportedMediaType, "Civigate: the form body has a Content-Encoding; send it uncompressed")
		}
		body, big, err := ReadWholeBody(r, opts.MaxBodyBytes)
		switch {
		case err != nil:
			return nil, nil, cronReply(http.StatusBadRequest, "Civigate: the body could not be read")
		case big:
			return nil, nil, cronReply(http.StatusRequestEntityTooLarge, "Civigate: the body is larger than "+strconv.FormatInt(opts.MaxBodyBytes, 10)+" bytes")
		case multipart && len(body) > 0:
			return nil, nil, cronReply(http.StatusUnsupportedMediaType, "Civigate: send name, pass, key and the job's parameters in the query or an application/x-www-form-urlencoded body")
		}
		parsePostBody(post, string(body), lim)
	}
	get := NewArray()
	ParseQuery(get, r.URL.RawQuery, lim) //nolint:errcheck // get is never nil
	request := MergeRequest(get, post)

	c = &Call{Form: FormCron, Method: r.Method, Entity: "Job", Action: "execute", Format: FormatJSON,
		ClientIP: clientIP(r, opts.ClientIP), limits: lim}
	var cred [len(cronParams)]string
	for i, name := range cronParams[:3] {
		v, set := request.Get(name)
		s, isStr := v.(string)
		if set && !isStr {
			// trim() of an array: a TypeError, HTTP 500 in CiviCRM.
			return nil, nil, cronReply(http.StatusBadRequest, "Civigate: "+name+" is not a string")
		}
		cred[i] = s
	}
	c.Credentials = Credentials{User: cred[0], Password: cred[1], SiteKey: cred[2]}
	if strings.Contains(phpTrim(c.Credentials.User), ":") {
		// The edge checks the password as AuthX does, user:password.
		return nil, nil, cronReply(http.StatusBadRequest, "Civigate: a user name holding ':' cannot be checked")
	}
	params := NewArray()
	// retrieve('job'): an "amp;" alias stands in for a missing job.
	if v, set := Retrieve(request, "job"); set {
		job, isStr := v.(string)
		if !isStr || job == "" {
			// executeJobByAction finds no job to run for either.
			return nil, nil, cronReply(http.StatusBadRequest, "Civigate: job is not the API action of a scheduled job")
		}
		// CRM_Core_JobManager::executeJobByAction runs no action of this
		// name: getJob finds the scheduled job whose api_action equals it
		// in SQL ($dao->api_action = $job; $dao->find()), under
		// civicrm_job's collation, and executeJob runs that row's
		// civicrm_api($job->api_entity, $job->api_action, …). So
		// "procéss_batch_merge" runs Job.process_batch_merge: the call is
		// judged under the name the collation reads (CollationFold).
		c.Action = CollationFold(job)
		for i := 0; i < request.Len(); i++ {
			if k := request.Key(i); !isCronParam(k) {
				params.Set(k, request.Value(i))
			}
		}
		params.Set("version", Number("3"))
	}
	c.Params = params

	// What CiviCRM is sent: the script's own entries first, so PHP's
	// max_input_vars never drops them in favour of a job parameter.
	up := NewArray()
	for _, name := range cronParams {
		if v, set := request.Get(name); set {
			up.Set(name, v)
		}
	}
	for i := 0; i < request.Len(); i++ {
		if k := request.Key(i); !isCronParam(k) {
			up.Set(k, request.Value(i))
		}
	}
	return c, []byte(EncodeForm(up)), nil
}

func isCronParam(k string) bool {
	for _, p := range cronParams {
		if k == p {
			return true
		}
	}
	return false
}

// cronReply is an answer of Civigate's to a request to bin/cron.php, in
// the script's shape: text, "ERROR: " and the message.
func cronReply(status int, msg string) *Reply {
	return &Reply{Status: status, ContentType: "text/plain;charset=UTF-8", Body: []byte("ERROR: " + msg + "\n")}
}

// CronReply is cronReply for the caller's own answers.
func CronReply(status int, msg string) Reply { return *cronReply(status, msg) }

// IsScriptPasswordQueryName reports whether PHP registers a query name (as
// sent) as pass, the CMS user's password CRM_Utils_System::authenticateScript
// reads from $_REQUEST, in any letter case or with "amp;" in it, as
// IsCredentialQueryName takes the credential parameters. Every CiviCRM
// script that authenticates so reads it (bin/cron.php, and the older
// scripts of bin/: migrate/export.php and import.php, cleanup42.php, the
// deprecated/ cron scripts), wherever CiviCRM is installed, and no CiviCRM
// page takes a pass that is no secret: the log filter redacts it on every
// URI. Names without "pass" or a percent-escape are known at once.
func IsScriptPasswordQueryName(name string) bool {
	if strings.IndexByte(name, '%') < 0 && !containsFold(name, "pass") {
		return false
	}
	n := strings.ToLower(PHPVarName(name))
	if strings.Contains(n, "amp;") {
		n = withoutAmp(n)
	}
	return n == "pass"
}
