package tests

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A rewrite before civicrm (try_files and rewrite are ordered before it)
// hides an API path from Civigate, while php_fastcgi hands PHP the client's
// URI as REQUEST_URI, which CMS routers route on: such a request is
// refused, not passed on unpoliced with a guessed credential. A page
// rewritten the same way still reaches PHP.
func TestPHPFastCGIRewriteBeforeCivicrm(t *testing.T) {
	root := t.TempDir()
	script := `<?php echo "PHP ran REQUEST_URI=" . $_SERVER['REQUEST_URI'];`
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	port := startPHPFastCGI(t)
	for _, dir := range []string{"try_files {path} /index.php?{query}", "rewrite /civicrm/* /index.php?{query}"} {
		inst := startCaddy(t, testGlobalOptions+"http://:{PORT} {\n\troot * "+root+"\n\t"+dir+
			"\n\tcivicrm {\n\t\tsite_key sk-0123456789\n\t}\n\tphp_fastcgi 127.0.0.1:"+itoa(port)+"\n}\n")
		for _, target := range []string{
			"/civicrm/ajax/rest?entity=Contact&action=get&json=1&api_key=guess&key=sk-0123456789",
			"/civicrm/ajax/api4/Contact/get?params=%7B%7D",
			"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&api_key=guess&key=sk-0123456789",
		} {
			got := do(t, "GET", inst.URL+target, "", nil)
			// Refused (400), or, where the rewrite left it alone, served by
			// Civigate (here a credential it cannot check: 503).
			if strings.Contains(got.body, "PHP ran") || got.status < http.StatusBadRequest {
				t.Errorf("%s: %s answered %d %s, want Civigate's refusal", dir, target, got.status, got.body)
			}
		}
		if got := do(t, "GET", inst.URL+"/civicrm/contact/view?cid=2", "", nil); !strings.Contains(got.body, "PHP ran") {
			t.Errorf("%s: a page answered %d %s, want PHP's", dir, got.status, got.body)
		}
		caddyStopNow(t)
	}
}
