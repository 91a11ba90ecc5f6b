// Command civicrmsim runs the CiviCRM simulator (tests/civicrmsim) on its
// own, as the upstream of `make run` and of benchmarks.
//
//	civicrmsim -listen 127.0.0.1:8081 -latency 100ms -contacts 200
//
// Settings default to the environment: CIVICRM_SITE_KEY, CIVICRM_SIGN_KEYS
// (random when unset), CIVICRMSIM_LISTEN, CIVICRMSIM_LATENCY,
// CIVICRMSIM_SEED. The generated credentials are printed on stderr at
// start-up so a demo can use them; they are valid for this process only,
// with an APIv3 and an APIv4 call to try, addressed to Civigate when
// CIVIGATE_LISTEN says where it listens (make run), else to the simulator.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	seed, _ := strconv.ParseUint(env("CIVICRMSIM_SEED", "1"), 10, 64)
	lat, err := time.ParseDuration(env("CIVICRMSIM_LATENCY", "100ms"))
	if err != nil {
		log.Fatalf("CIVICRMSIM_LATENCY: %v", err)
	}
	listen := flag.String("listen", env("CIVICRMSIM_LISTEN", "127.0.0.1:8081"), "address to listen on")
	siteKey := flag.String("site-key", os.Getenv("CIVICRM_SITE_KEY"), "CIVICRM_SITE_KEY (random if empty)")
	signKeys := flag.String("sign-keys", os.Getenv("CIVICRM_SIGN_KEYS"), "CIVICRM_SIGN_KEYS (random jwt-hs256 key if empty)")
	latency := flag.Duration("latency", lat, "delay added to every answer")
	seedFlag := flag.Uint64("seed", seed, "seed of the generated contacts")
	contacts := flag.Int("contacts", 0, "generated contacts added to the recorded ones")
	version := flag.String("version", "6.17.2", "CiviCRM version to behave as (e.g. 5.81.1)")
	adminKey := flag.String("admin-api-key", os.Getenv("CIVICRMSIM_ADMIN_API_KEY"), "the admin's API key (random if empty)")
	fixture := flag.String("fixture", env("CIVICRMSIM_FIXTURE", civicrmsim.Fixture617),
		"recorded site to seed: "+civicrmsim.Fixture617+", "+civicrmsim.Fixture581+" or "+civicrmsim.FixtureAPI4+" (the APIv4 recordings' site)")
	flag.Parse()

	opts := civicrmsim.Options{SiteKey: *siteKey, SignKeys: *signKeys, Latency: *latency, Seed: *seedFlag,
		ExtraContacts: *contacts, Version: *version, Fixture: *fixture}
	if *adminKey != "" {
		opts.APIKeys = map[string]string{"admin": *adminKey}
	}
	sim, err := civicrmsim.NewE(opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "civicrmsim %s on http://%s (latency %s)\n", sim.Version(), *listen, *latency)
	if *siteKey == "" {
		fmt.Fprintf(os.Stderr, "  site key (generated): %s\n", sim.SiteKey())
	}
	for _, u := range sim.Users() {
		name := u.Name
		if name == "" {
			name = "(no CMS user)"
		}
		fmt.Fprintf(os.Stderr, "  contact %d %-14s api_key %s", u.ContactID, name, u.APIKey)
		if u.Password != "" {
			fmt.Fprintf(os.Stderr, "  password %s", u.Password)
		}
		fmt.Fprintln(os.Stderr)
	}
	printTries(sim, *listen)
	srv := &http.Server{Addr: *listen, Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// printTries prints an APIv3 and an APIv4 call for the admin, to the
// address a demo's client uses: Civigate's (CIVIGATE_LISTEN, as make run
// exports it) or the simulator's own.
func printTries(sim *civicrmsim.Simulator, listen string) {
	base := "http://" + listen
	if l := os.Getenv("CIVIGATE_LISTEN"); l != "" {
		if strings.HasPrefix(l, ":") {
			l = "localhost" + l
		}
		base = "http://" + strings.TrimPrefix(l, "http://")
	}
	admin := sim.Admin()
	fmt.Fprintf(os.Stderr, "  try APIv3: curl '%s/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&id=%d&key=%s&api_key=%s'\n",
		base, admin.ContactID, sim.SiteKey(), admin.APIKey)
	params := url.QueryEscape(fmt.Sprintf(`{"select":["id","display_name"],"where":[["id","=",%d]]}`, admin.ContactID))
	fmt.Fprintf(os.Stderr, "  try APIv4: curl -H 'X-Civi-Auth: Bearer %s' '%s/civicrm/ajax/api4/Contact/get?params=%s'\n",
		admin.APIKey, base, params)
}
