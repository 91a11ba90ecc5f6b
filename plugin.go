// Package civigate plugs Civigate into a Caddy build: importing it
// registers the civicrm HTTP handler, its Caddyfile directive, the
// civicrm_credentials log filter and the civigate commands, so that
//
//	xcaddy build --with github.com/civigate/civigate
//
// works like for any Caddy plugin (`make caddy` does it from this checkout).
// The code lives in caddymodule.
package civigate

import _ "github.com/civigate/civigate/caddymodule"
