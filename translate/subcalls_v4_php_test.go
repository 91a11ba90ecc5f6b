package translate

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The APIv4 batch and chain walk against PHP itself: each batch member is
// bound by call_user_func_array to a function with the signature of
// CRM_Api4_Page_AJAX::execute (PHP decides the argument order, the named
// arguments and the errors), and each chain element is read as
// ActionObjectProvider reads it (`$request += [NULL, NULL, [], NULL];
// list(...) = $request;`). Names that are not strings, or start with "$"
// in a chain, are "~", as the walker reports them.
const phpV4WalkModel = `<?php
function execute(string $entity, string $action, array $params = [], $index = NULL) {
	return [$entity, $action, $params];
}
function nm($v, $chained) {
	if (!is_string($v) || ($chained && strlen($v) > 1 && $v[0] === '$')) return '~';
	return bin2hex($v);
}
function walk($e, $a, $params, $depth, &$out) {
	$out[] = $depth . ' ' . $e . ' ' . $a;
	if (!is_array($params) || !array_key_exists('chain', $params)) return;
	$chain = $params['chain'];
	if (!is_array($chain)) { $out[] = ($depth + 1) . ' ~ ~'; return; }
	foreach ($chain as $request) {
		if (!is_array($request)) { $out[] = ($depth + 1) . ' ~ ~'; continue; }
		$request += [NULL, NULL, [], NULL];
		list($ce, $ca, $cp, $ci) = $request;
		walk(nm($ce, TRUE), nm($ca, TRUE), is_array($cp) ? $cp : NULL, $depth + 1, $out);
	}
}
while (($line = fgets(STDIN)) !== FALSE) {
	$calls = json_decode(hex2bin(rtrim($line, "\n")), TRUE);
	$out = [];
	foreach (is_array($calls) ? $calls : [] as $member) {
		try {
			$args = call_user_func_array('execute', $member);
		} catch (\Throwable $e) {
			$out[] = '0 ~ ~';
			continue;
		}
		// execute() coerced scalars to strings: the walker names strings only.
		$raw = [];
		foreach ($member as $k => $v) $raw[] = $v;
		$named = array_filter($member, 'is_string', ARRAY_FILTER_USE_KEY);
		$e = array_key_exists('entity', $named) ? $named['entity'] : $raw[0];
		$a = array_key_exists('action', $named) ? $named['action'] : $raw[1];
		walk(nm($e, FALSE), nm($a, FALSE), $args[2], 0, $out);
	}
	echo implode('|', $out), "\n";
}
`

func TestWalkV4BatchMatchesPHP(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	inputs := []string{
		`{"a":{"0":"Contact","1":"get","3":{"limit":1,"chain":{"x":["Note","create",{"values":{"note":"pwned"}}]}}}}`,
		`{"a":{"1":"Note","0":"create","2":{}}}`,
		`[{"entity":"Note","0":"get"},{"0":"Note","entity":"x"},{"action":"get","entity":"Note"}]`,
		`[["Note","get",{"chain":{"x":{"1":"create","0":"Email"},"y":{"0":"Email","1":"delete","3":{}}}}]]`,
	}
	for i := 0; i < 2000; i++ {
		inputs = append(inputs, genV4Batch(rng))
	}
	lines := runPHPLines(t, phpV4WalkModel, inputs)
	for i, js := range inputs {
		calls := decodeAPI4Object(js)
		var got []string
		WalkV4Batch(calls, func(sc Subcall) bool {
			if sc.Implied != "" {
				return true // what an action runs under its name is no chain (runs_test.go)
			}
			name := func(s string, dyn bool) string {
				if dyn {
					return "~"
				}
				return hex.EncodeToString([]byte(s))
			}
			got = append(got, fmt.Sprintf("%d %s %s", sc.Depth, name(sc.Entity, sc.EntityDynamic), name(sc.Action, sc.ActionDynamic)))
			return true
		})
		if g := strings.Join(got, "|"); g != lines[i] {
			t.Errorf("%s\n walker: %s\n    php: %s", js, g, lines[i])
		}
	}
}

// genV4Batch makes a batch of members whose keys are integers in any
// order, named arguments (right, misspelled, after positional ones) and
// values of every type, with chains whose elements are lists or objects.
func genV4Batch(rng *rand.Rand) string {
	keys := []string{"0", "1", "2", "3", "5", "-1", "00", "entity", "action", "params", "index", "Entity", "chain"}
	values := []string{`"Note"`, `"get"`, `"create"`, `"$id"`, `5`, `1.5`, `true`, `null`, `[]`, `{}`, `"x"`}
	var b strings.Builder
	b.WriteByte('[')
	for m := rng.IntN(3); m >= 0; m-- {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		if rng.IntN(8) == 0 {
			b.WriteString(pick(rng, `"str"`, `5`, `null`))
			continue
		}
		b.WriteByte('{')
		n := 1 + rng.IntN(4)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			k := keys[rng.IntN(len(keys))]
			if i < 2 && rng.IntN(2) == 0 {
				k = strconv.Itoa(i) // mostly well-formed
			}
			b.WriteString(strconv.Quote(k) + ":")
			if k == "2" || k == "3" || k == "params" {
				b.WriteString(genV4Params(rng, 0))
			} else {
				b.WriteString(values[rng.IntN(len(values))])
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.String()
}

func genV4Params(rng *rand.Rand, depth int) string {
	if depth > 2 || rng.IntN(3) == 0 {
		return pick(rng, `{}`, `"x"`, `null`, `{"limit":1}`)
	}
	names := []string{`"Email"`, `"$contact_type"`, `"$"`, `5`, `null`, `"create"`, `"get"`}
	var b strings.Builder
	b.WriteString(`{"chain":{`)
	for i := rng.IntN(3); i >= 0; i-- {
		if b.Len() > len(`{"chain":{`) {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"c%d":`, i)
		switch rng.IntN(4) {
		case 0:
			b.WriteString(`"Email.get"`)
		case 1: // an object, its keys in any order, maybe a gap
			ks := []string{"0", "1", "2", "3"}
			rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
			b.WriteByte('{')
			for j, k := range ks[:1+rng.IntN(4)] {
				if j > 0 {
					b.WriteByte(',')
				}
				v := names[rng.IntN(len(names))]
				if k == "2" {
					v = genV4Params(rng, depth+1)
				}
				b.WriteString(strconv.Quote(k) + ":" + v)
			}
			b.WriteByte('}')
		default:
			b.WriteString(`[` + names[rng.IntN(len(names))] + `,` + names[rng.IntN(len(names))])
			if rng.IntN(2) == 0 {
				b.WriteString(`,` + genV4Params(rng, depth+1))
			}
			b.WriteByte(']')
		}
	}
	b.WriteString(`}}`)
	return b.String()
}
