// Command civigate is Caddy with its standard modules and the Civigate APIv3 edge module.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/civigate/civigate/caddymodule"
)

func main() {
	caddycmd.Main()
}
