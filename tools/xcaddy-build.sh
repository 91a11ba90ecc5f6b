#!/usr/bin/env bash
# Builds the production Caddy pinned in xcaddy.toml into bin/caddy (or
# $CADDY_OUTPUT): installs the pinned xcaddy into bin/, then runs
#   xcaddy build <caddy version> --with <plugin>[@<version>][=<replace>]...
# A replacement "." is this checkout, so a fresh machine builds without the
# module proxy knowing Civigate.
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
  function str() { match($0, /"[^"]*"/); return substr($0, RSTART + 1, RLENGTH - 2) }
  function flush() {
    if (m != "") print "--with\n" m (v == "" ? "" : "@" v) (r == "" ? "" : "=" r)
    m = ""; v = ""; r = ""
  }
  /^\[/ { flush() }
  /^module *=/  { m = str() }
  /^version *=/ { v = str() }
  /^replace *=/ { r = str(); if (r == ".") r = here }
  END { flush() }
' "$toml")

out=${CADDY_OUTPUT:-bin/caddy}
GOBIN="$PWD/bin" go install "github.com/caddyserver/xcaddy/cmd/xcaddy@${xcaddy_version}"
bin/xcaddy build "$caddy_version" "${with[@]}" --output "$out"
# Read the whole list first: grep -q would stop reading, and under pipefail
# the writer's broken pipe would fail the check.
modules=$("$out" list-modules)
grep -qx 'http.handlers.civicrm' <<<"$modules" || { echo "$out lacks http.handlers.civicrm" >&2; exit 1; }
echo "built $out: Caddy $caddy_version with ${with[*]}"
