package translate

// Limits are PHP's request-parsing limits (php.ini).
type Limits struct {
	MaxInputVars    int // max_input_vars, default 1000
	MaxNestingLevel int // max_input_nesting_level, default 64
}

// DefaultLimits are PHP's defaults.
var DefaultLimits = Limits{MaxInputVars: 1000, MaxNestingLevel: 64}

// ParseQuery parses an application/x-www-form-urlencoded string into dst
// exactly as PHP's parse_str / $_GET registration does.
// OWNER: translate-parse helper (stub).
func ParseQuery(dst *Array, query string, lim Limits) error {
	panic("ParseQuery: not implemented yet")
}
