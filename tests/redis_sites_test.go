package tests

import (
	"fmt"
	"strings"
	"testing"
)

// Two different sites (their own CiviCRM, their own site key) share one
// Redis and one redis_prefix, with no namespace set: neither ever answers
// from the other's entries, although both have a contact 3 and the same
// call. Every instance of one site (same site key) still shares entries.
func TestSitesSharingRedisAreIsolated(t *testing.T) {
	ru, _, prefix := testRedis(t)
	upD, upE := newACLCiviCRM(t), newACLCiviCRM(t)
	skD, skE := "sk-d-"+randomHex(t, 12), "sk-e-"+randomHex(t, 12)
	portE, portD2 := freePort(t), freePort(t)
	site := func(addr, siteKey string, up *aclCiviCRM) string {
		return fmt.Sprintf("http://:%s {\n\tcivicrm {\n\t\tsite_key %s\n\t\tredis %s\n\t\tredis_prefix %s\n\t}\n\treverse_proxy %s\n}\n",
			addr, siteKey, ru, prefix, strings.TrimPrefix(up.srv.URL, "http://"))
	}
	inst := startCaddy(t, testGlobalOptions+site("{PORT}", skD, upD)+site(itoa(portE), skE, upE)+site(itoa(portD2), skD, upD))
	siteD, siteE, siteD2 := inst.URL, fmt.Sprintf("http://127.0.0.1:%d", portE), fmt.Sprintf("http://127.0.0.1:%d", portD2)
	read := func(base, siteKey string, up *aclCiviCRM) answer {
		return do(t, "GET", base+externPath+"?entity=Contact&action=get&json=1&id=3&key="+siteKey+"&api_key="+up.key(3), "", siteHost)
	}

	e := read(siteE, skE, upE)
	if e.status != 200 || !strings.Contains(e.body, `"seen_by":"3"`) {
		t.Fatalf("site E: %d %s", e.status, e.body)
	}
	d := read(siteD, skD, upD)
	if cs := d.header.Get("Cache-Status"); !strings.Contains(cs, "fwd=miss") || upD.reads.Load() != 1 {
		t.Fatalf("site D's contact 3 was answered with site E's entry: Cache-Status %q, %d reads on D's CiviCRM", cs, upD.reads.Load())
	}
	// A second instance of site D shares D's entry.
	if cs := read(siteD2, skD, upD).header.Get("Cache-Status"); cs != "Civigate; hit" {
		t.Fatalf("a second instance of site D did not share its entry: %q", cs)
	}
}
