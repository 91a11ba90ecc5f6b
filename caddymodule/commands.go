package caddymodule

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/civigate/civigate/authx"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "civicrm-jwt",
		Usage: "--contact <id> [--ttl <duration>]",
		Short: "Mints a CiviCRM AuthX JWT for a contact from CIVICRM_SIGN_KEYS",
		Long: `
Mints a JWT that CiviCRM's AuthX accepts (X-Civi-Auth: Bearer <jwt>), signed
with the first key of the CIVICRM_SIGN_KEYS environment variable exactly as
CiviCRM signs its own: for testing and for service accounts that should not
hold an API key. The token is printed on standard output.`,
		Flags: func() *flag.FlagSet {
			fs := flag.NewFlagSet("civicrm-jwt", flag.ExitOnError)
			fs.Int("contact", 0, "CiviCRM contact id (the sub claim is cid:<id>)")
			fs.Duration("ttl", 5*time.Minute, "lifetime of the token")
			return fs
		}(),
		Func: cmdMintJWT,
	})
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "civicrm-hash-key",
		Usage: "",
		Short: "Hashes an API key (read from standard input) for Civigate's key file",
		Long: `
Reads one API key from standard input (so it never appears in shell history
or the process list) and prints the hash to put in Civigate's key file;
the key's fingerprint (what logs show and key rules name) goes to standard
error.`,
		Func: cmdHashKey,
	})
}

func cmdMintJWT(fl caddycmd.Flags) (int, error) {
	contact := fl.Int("contact")
	ttl := fl.Duration("ttl")
	if contact <= 0 {
		return exitFailure, fmt.Errorf("--contact must be a positive contact id")
	}
	if ttl <= 0 {
		return exitFailure, fmt.Errorf("--ttl must be positive")
	}
	keys, err := authx.ParseSignKeys(os.Getenv("CIVICRM_SIGN_KEYS"))
	if err != nil {
		return exitFailure, fmt.Errorf("CIVICRM_SIGN_KEYS: %v", err)
	}
	if len(keys) == 0 {
		return exitFailure, fmt.Errorf("CIVICRM_SIGN_KEYS is empty or has no jwt-hs* key")
	}
	token, err := authx.SignCiviJWT(keys, map[string]any{
		"exp":   time.Now().Add(ttl).Unix(),
		"sub":   fmt.Sprintf("cid:%d", contact),
		"scope": "authx",
	})
	if err != nil {
		return exitFailure, err
	}
	fmt.Println(token)
	return 0, nil
}

func cmdHashKey(caddycmd.Flags) (int, error) {
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	key := strings.TrimSpace(line)
	if key == "" {
		if err != nil {
			return exitFailure, fmt.Errorf("reading the API key from standard input: %v", err)
		}
		return exitFailure, fmt.Errorf("no API key on standard input")
	}
	fmt.Println(authx.HashAPIKey(key))
	// The fingerprint goes to standard error, beside the hash a script
	// reads: it is what logs show and what `key` policy rules name.
	fmt.Fprintln(os.Stderr, "fingerprint (logs, key rules):", authx.APIKeyFingerprint(key))
	return 0, nil
}

// exitFailure is the exit status of a failed command, as Caddy's own use.
const exitFailure = 1
