package translate

import (
	"bytes"
	"strings"
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

// Every code point utf8mb4_unicode_ci (UCA 4.0.0) ignores is skipped by
// the fold and the key wherever it stands, including the two the
// collator's later UCA weighs (U+06DE, U+180E: CRM_Core_JobManager::getJob
// finds process_batch_merge for 'process_batch_merge<U+180E>').
func TestCollationUCA400Ignorable(t *testing.T) {
	n := 0
	for _, rg := range uca400Ignorable.R16 {
		for c := rune(rg.Lo); c <= rune(rg.Hi); c += rune(rg.Stride) {
			n++
			ch := string(c)
			for _, s := range []string{"process_batch_merge" + ch, "proc" + ch + "ess_batch_merge", ch + "process_batch_merge"} {
				if got := CollationFold(s); got != "process_batch_merge" {
					t.Errorf("CollationFold(%q) (%U) = %q, want process_batch_merge", s, c, got)
				}
				if !bytes.Equal(CollationKey(s), CollationKey("process_batch_merge")) {
					t.Errorf("CollationKey(%q) (%U) differs from process_batch_merge's", s, c)
				}
			}
		}
	}
	if n != 470 {
		t.Errorf("the table holds %d code points, MariaDB 10.11 answered 470", n)
	}
	// Characters unicode_ci weighs stay, and so do the bytes of invalid UTF-8.
	for _, s := range []string{"process_batch_merge\u180f", "proc\u0416ess", "x\xff\u180e"} {
		if want := strings.ReplaceAll(s, "\u180e", ""); CollationFold(s) != want {
			t.Errorf("CollationFold(%q) = %q, want %q", s, CollationFold(s), want)
		}
	}
	if !bytes.Equal(CollationKey("a\xff\u180eb"), CollationKey("a\xffb")) {
		t.Errorf("CollationKey(%q) differs from CollationKey(%q)", "a\xff\u180eb", "a\xffb")
	}
}
