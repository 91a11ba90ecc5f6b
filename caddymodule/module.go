// Package caddymodule is the Caddy glue of Civigate: the http.handlers.civicrm module.
package caddymodule
