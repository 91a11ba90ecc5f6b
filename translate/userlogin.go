package translate

// Standalone's log-in is an API call: its login page sends
// crmApi4('User', 'login', {identifier, password, originalUrl}) from an
// anonymous browser (ext/standaloneusers; Civi\Api4\User::permissions
// gives login 'access password resets', a public permission). The action
// (Civi\Api4\Action\User\Login::passwordCheck) trims the identifier, finds
// the active user by username, else by uf_name (the e-mail address),
// checks the password (Security::checkPassword) and, without MFA, logs
// the user in for the session (loginUser: _authx_uf()->loginSession);
// a wrong one gets publicError "Invalid credentials", an empty() one
// "Missing password/username" and no check. A call with mfaClass checks
// no password: it completes a log-in whose password was checked (with MFA
// on, passwordCheck keeps a pendingLogin in the session) and logs that
// session in. So every User.login a request runs is a password check, a
// session log-in or both, which the edge judges as it judges AuthX's
// civicrm/authx/login (caddymodule: forwarded alone, its answer read).

// UserLogin is one User.login that may log a session in: the password
// check it makes, the identifier as passwordCheck reads it (PHP's trim())
// and the password as given, or none (both "") for an MFA step. Actor:
// not a log-in but Standalone's User.create, update or save with an
// actorPassword (WriteTrait::validateValues checks it against the
// logged-in user's password, _authx_uf()->checkPassword, and throws
// UnauthorizedException "Incorrect password" when wrong): a password
// check of whoever the call runs as, Password set, no Identifier.
type UserLogin struct {
	Identifier, Password string
	Actor                bool
}

// IsPasswordLogin reports whether l is User.login's password check
// (passwordCheck), which logs in the session it runs in when the
// password is right.
func (l UserLogin) IsPasswordLogin() bool { return !l.Actor && l.Password != "" }

// IsMFAStep reports whether l is User.login's MFA step, which completes
// the log-in pending in its session.
func (l UserLogin) IsMFAStep() bool { return !l.Actor && l.Password == "" }

// UserLogins are the log-ins the calls of a request (Walk: the
// route's call, batch members, chains at any depth, an APIv3 chain run
// with version 4) may make: every APIv4 call that may be User.login (the
// names compared as the APIv4 router resolves them, ignoring case: PHP
// finds classes and methods so; a name taken from the parent row at run
// time may be it) whose identifier and password, as its setters take
// them (v4Params: `Identifier` is identifier), are PHP strings that are
// not empty(): a typed ?string property takes a scalar as its string, an
// array is a TypeError, null and empty() values check nothing. A call
// whose mfaClass is not empty() is an MFA step (_run: no password
// checked, the session's pending log-in completed): a UserLogin without
// identifier and password.
//
// unknown: some such call's identifier or password is only known when
// CiviCRM runs it (its parameters built at run time, or a chained call's
// "$…" value, which CiviCRM replaces from the parent's row), so the edge
// cannot tell what it does. A call with mfaClass set runs the MFA step,
// not the password check, whatever identifier and password it carries
// too: an MFA step's UserLogin.
func UserLogins(call *Call) (logins []UserLogin, unknown bool) {
	runs := true
	Walk(call, func(sc Subcall) bool {
		if sc.Depth == 0 {
			// APIv3 REST adds check_permissions, which no APIv4 action
			// takes: CiviCRM refuses a request's own call run with version
			// 4 there ("Unknown api parameter: check_permissions",
			// VersionError) before it runs anything below it.
			runs = call.API4 != nil || sc.Version != 4
		}
		if !runs || sc.Version != 4 || !(sc.EntityDynamic || SameEntity(sc.Entity, "User")) {
			return true
		}
		login := sc.ActionDynamic || SameAction(sc.Action, "login")
		// A call the client's call runs itself (save runs update, a
		// form's submission its entities' saves) checks no actorPassword
		// of its own: the client's call's is counted there.
		writes := sc.Implied == "" && sc.StartedBy == "" &&
			(sc.ActionDynamic || SameAction(sc.Action, "create") || SameAction(sc.Action, "update") || SameAction(sc.Action, "save"))
		if !login && !writes {
			return true
		}
		if sc.ParamsUnknown {
			// A write whose parameters CiviCRM builds (SearchKit's
			// inlineEdit, a form's saves: values only) or takes from a
			// parent row (whose keys are field names) sets no
			// actorPassword the client chose; a log-in's are unknown.
			unknown = unknown || login
			return true
		}
		if writes {
			// WriteTrait::validateValues: a non-empty actorPassword is
			// checked (with checkPermissions, which civicrm/ajax/api4
			// and AuthX's calls set) against the password of the user
			// the call runs as.
			switch actor, known := loginParam(sc, "actorPassword"); {
			case !known:
				unknown = true
			case actor != "":
				logins = append(logins, UserLogin{Password: actor, Actor: true})
			}
		}
		if !login {
			return true
		}
		id, idKnown := loginParam(sc, "identifier")
		pw, pwKnown := loginParam(sc, "password")
		mfa, mfaKnown := loginParam(sc, "mfaClass")
		switch {
		case !idKnown || !pwKnown || !mfaKnown:
			unknown = true
		case mfa != "":
			// _run: a non-empty mfaClass is the MFA step, whatever else
			// the call carries; no password is checked.
			logins = append(logins, UserLogin{})
		case id != "" && pw != "":
			logins = append(logins, UserLogin{Identifier: id, Password: pw})
		}
		return true
	})
	return logins, unknown
}

// loginParam is a User.login parameter as the action reads it: "" for
// one that checks nothing (unset, null, an array, empty()); known is
// false for a value CiviCRM fills in when it runs a chained call.
func loginParam(sc Subcall, name string) (value string, known bool) {
	v, _ := sc.Params.Get(name)
	switch x := v.(type) {
	case string:
		if sc.Depth > 0 && len(x) > 1 && x[0] == '$' {
			return "", false
		}
	case Number, bool:
	default:
		return "", true
	}
	s := PHPString(v)
	if name == "identifier" {
		s = phpTrim(s)
	}
	if PHPEmpty(s) {
		return "", true
	}
	return s, true
}

// OnlyCall reports whether a request runs one call and nothing else: an
// APIv4 request's own call (no calls= batch), with no chain. The edge
// reads CiviCRM's answer to a User.login (UserLoginAnswer) only then: in
// a batch or below a chain, the answers of several calls come in one
// body, and a session one of them logged in cannot be told from
// another's. The calls a call runs itself (Implied, StartedBy: update
// runs get on its where, save runs update) answer nothing of their own.
func OnlyCall(call *Call) bool {
	if call.API4 == nil {
		return false
	}
	n := 0
	Walk(call, func(sc Subcall) bool {
		if sc.Implied != "" || sc.StartedBy != "" {
			return true
		}
		n++
		if sc.Depth > 0 || sc.InBatch || sc.Truncated {
			n = 2
		}
		return n < 2
	})
	return n == 1
}

// LoginOutcome is what CiviCRM's answer to a lone User.login says
// (UserLoginAnswer).
type LoginOutcome uint8

const (
	// LoginUnread: no answer passwordCheck gives for a password it
	// judged (an error, an answer in another shape, another
	// publicError): nobody logged in, and what the client can tell from
	// it the edge cannot, so a password check is counted as failed.
	LoginUnread LoginOutcome = iota
	// LoginUnanswered: CiviCRM gave no answer (a 5xx, or none): nothing
	// judged, as when civicrm/authx/id cannot be asked about a credential.
	LoginUnanswered
	// LoginInvalid: passwordCheck's publicError "Invalid credentials",
	// for an identifier that names no active user (by user name or
	// e-mail) and for a wrong password alike.
	LoginInvalid
	// LoginURL: a url and no publicError. The password was right and
	// the session logged in (loginUser, then the success URL), or an MFA
	// step is pending (the MFA form's URL, nobody logged in yet), or an
	// extension stopped the log-in before any check (/civicrm/login?<stop
	// reason>), or an MFA step completed: only the session tells which.
	LoginURL
)

// UserLoginAnswer reads CiviCRM's answer to a lone APIv4 User.login
// (status and body as the client gets them: civicrm/ajax/api4 answers
// {"values": <the Result's array>, ...}; passwordCheck and _run set
// $result['publicError'] or $result['url'] on it).
func UserLoginAnswer(status int, body []byte) LoginOutcome {
	switch {
	case status < 200 || status >= 500:
		return LoginUnanswered
	case status != 200:
		return LoginUnread
	}
	d, err := DecodeJSON(body)
	top, _ := d.(*Array)
	if err != nil || top == nil {
		return LoginUnread
	}
	v, _ := top.Get("values")
	values, _ := v.(*Array)
	if values == nil {
		return LoginUnread
	}
	if e, ok := values.Get("publicError"); ok && e != nil {
		if s, _ := e.(string); s == "Invalid credentials" {
			return LoginInvalid
		}
		return LoginUnread
	}
	if u, _ := values.Get("url"); u != nil && !PHPEmpty(u) {
		return LoginURL
	}
	return LoginUnread
}

// ActorPasswordAnswer reads CiviCRM's answer to a lone User.create,
// update or save whose actorPassword was checked (UserLogin.Actor):
// WriteTrait::validateValues throws UnauthorizedException "Incorrect
// password" for a wrong one, which civicrm/ajax/api4 answers with 403
// and, without 'view debug output', a message that does not say which
// check refused it. So an answer in 2xx is a right password (LoginURL:
// the check passed), a 5xx or none is LoginUnanswered, and any other
// answer LoginUnread: a failed check, as far as the edge can tell.
func ActorPasswordAnswer(status int) LoginOutcome {
	switch {
	case status >= 200 && status < 300:
		return LoginURL
	case status < 200 || status >= 500:
		return LoginUnanswered
	}
	return LoginUnread
}
