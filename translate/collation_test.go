package translate

import (
	"bytes"
	"testing"
)

// CollationFold spells a name as utf8mb4_unicode_ci's equality reads it:
// every spelling the collation finds equal to an ASCII name folds to that
// name (up to ASCII case), and names it tells apart stay apart.
func TestCollationFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"process_batch_merge", "process_batch_merge"},
		{"PROCESS_BATCH_MERGE", "PROCESS_BATCH_MERGE"}, // ASCII case: the edge's comparisons ignore it
		{"procéss_batch_merge", "process_batch_merge"},
		{"PROCÉSS_BATCH_MERGE", "PROCeSS_BATCH_MERGE"},
		{"process_batch_mergé", "process_batch_merge"},
		{"proce\u0301ss_batch_merge", "process_batch_merge"}, // a combining accent is ignored
		{"process_batch_merge   ", "process_batch_merge"},    // PAD SPACE
		{"process_batch_merge\u00a0", "process_batch_merge"}, // a no-break space is a space
		{"proc\x00ess_batch\u00ad_merge\u200b", "process_batch_merge"},
		{"ｐｒｏｃｅｓｓ＿ｂａｔｃｈ＿ｍｅｒｇｅ", "process_batch_merge"}, // full width
		{"proceß_batch_merge", "process_batch_merge"},  // ß is ss
		{"ﬁx", "fix"},
		{" process_batch_merge", " process_batch_merge"}, // a leading space is no pad
		{"procеss", "procеss"},                           // a Cyrillic е is no e
		{"process\xffx", "process\xffx"},                 // invalid UTF-8 is kept
		{"", ""},
	} {
		if got := CollationFold(tc.in); got != tc.want {
			t.Errorf("CollationFold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// The fold agrees with the collation key it reads.
	for _, s := range []string{"procéss_batch_merge", "Straße", "ｐrocess"} {
		if !bytes.Equal(CollationKey(s), CollationKey(CollationFold(s))) {
			t.Errorf("%q and its fold %q differ under the collation", s, CollationFold(s))
		}
	}
}
