package caddymodule

import (
	"strings"
	"testing"
)

// A shared pattern that matches a read CiviCRM answers per caller
// (getfields, getoptions, getActions, getLinks: named in any case, or
// through an action wildcard) is refused, naming the pattern and why;
// other patterns pass.
func TestSharedRefusal(t *testing.T) {
	for _, p := range []string{"*.getfields", "Contact.getFields", "*.GETOPTIONS", "Contact.getActions", "*.getLinks", "Contact", "Contact.", "Contact.*", "*.*", "*"} {
		err := sharedRefusal([]string{"Email.getunique", p})
		if err == nil || !strings.Contains(err.Error(), `shared "`+p+`"`) || !strings.Contains(err.Error(), "permissions") {
			t.Errorf("shared %q: %v", p, err)
		}
	}
	if err := sharedRefusal([]string{"Contact.getunique", "MyExtension.get", " "}); err != nil {
		t.Errorf("refused: %v", err)
	}
	if err := sharedRefusal(nil); err != nil {
		t.Error(err)
	}
}
