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
// "Missing password/username" and no check. So every User.login a request
// runs is a password check and a session log-in, which the edge judges as
// it judges AuthX's civicrm/authx/login with a password (caddymodule).

// UserLogin is the password check one User.login makes: the identifier
// as passwordCheck reads it (PHP's trim()) and the password as given.
type UserLogin struct {
	Identifier, Password string
}

// UserLogins are the password checks the calls of a request (Walk: the
// route's call, batch members, chains at any depth, an APIv3 chain run
// with version 4) may make: every APIv4 call that may be User.login (the
// names compared as the APIv4 router resolves them, ignoring case: PHP
// finds classes and methods so; a name taken from the parent row at run
// time may be it) whose identifier and password, as its setters take
// them (v4Params: `Identifier` is identifier), are PHP strings that are
// not empty(): a typed ?string property takes a scalar as its string, an
// array is a TypeError, null and empty() values check nothing.
//
// unknown: some such call's identifier or password is only known when
// CiviCRM runs it (its parameters built at run time, or a chained call's
// "$…" value, which CiviCRM replaces from the parent's row), so the edge
// cannot check it. A call with mfaClass set checks no password in
// CiviCRM (it completes a pending log-in); one it carries is counted all
// the same.
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
		if !runs || sc.Version != 4 || !(sc.EntityDynamic || SameEntity(sc.Entity, "User")) || !(sc.ActionDynamic || SameAction(sc.Action, "login")) {
			return true
		}
		if sc.ParamsUnknown {
			unknown = true
			return true
		}
		id, idKnown := loginParam(sc, "identifier")
		pw, pwKnown := loginParam(sc, "password")
		switch {
		case !idKnown || !pwKnown:
			unknown = true
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

// UserLoginCall is what the edge authenticates a UserLogin of call as
// (FormUserLogin): the identifier and password as a CMS user's name and
// password, which authx checks as AuthX's Basic credential.
func UserLoginCall(call *Call, l UserLogin) *Call {
	return &Call{Form: FormUserLogin, Method: call.Method, Entity: "User", Action: "login", Params: NewArray(), Format: FormatJSON,
		ClientIP: call.ClientIP, limits: call.limits, Credentials: Credentials{User: l.Identifier, Password: l.Password}}
}
