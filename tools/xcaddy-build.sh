#!/usr/bin/env bash
# Builds the production Caddy pinned in xcaddy.toml: installs the pinned
# xcaddy, then runs `xcaddy build <caddy version> --with <plugin>[=<replace>]...`.
set -euo pipefail
cd "$(dirname "$0")/.."
toml=xcaddy.toml

# value SECTION KEY: the quoted value of KEY in the first [SECTION] table.
value() {
  awk -v sec="[$1]" -v key="$2" '
    /^\[/ { in_sec = ($0 == sec) }
    in_sec && $1 == key { match($0, /"[^"]*"/); print substr($0, RSTART + 1, RLENGTH - 2); exit }
  ' "$toml"
}

xcaddy_version=$(value xcaddy version)
caddy_version=$(value caddy version)
mapfile -t with < <(awk -v here="$PWD" '
  function flush() { if (m != "") print "--with\n" m (r == "" ? "" : "=" r); m = ""; r = "" }
  /^\[\[plugins\]\]/ { flush() }
  /^module *=/  { match($0, /"[^"]*"/); m = substr($0, RSTART + 1, RLENGTH - 2) }
  /^replace *=/ { match($0, /"[^"]*"/); r = substr($0, RSTART + 1, RLENGTH - 2); if (r == ".") r = here }
  END { flush() }
' "$toml")

go install "github.com/caddyserver/xcaddy/cmd/xcaddy@${xcaddy_version}"
mkdir -p bin
"$(go env GOPATH)/bin/xcaddy" build "$caddy_version" "${with[@]}" --output bin/caddy
bin/caddy list-modules | grep -q '^http.handlers.civicrm$' || { echo "bin/caddy lacks http.handlers.civicrm" >&2; exit 1; }
echo "built bin/caddy: Caddy $caddy_version with ${with[*]}"
