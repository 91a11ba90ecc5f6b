package translate

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/internal/phptest"
)

// The walker against an independent model of CiviCRM's chain handling,
// written in PHP and run by real PHP: json_decode, is_array, === 1, the
// loose switch on version, explode, preg_replace, ucfirst and
// array_is_list decide there, not Go. The model follows the same reading of
// CiviCRM as WalkV3's doc comment (a chain's own version counts, an
// APIv4 call's chain and api.* keys are both reported).
const phpWalkModel = `<?php
const MAXDEPTH = %d;
function munge_name($s) {
	$s = preg_replace('/[^a-zA-Z0-9]+/', '_', trim($s));
	return strlen(trim($s, '_')) ? substr($s, 0, 63) : null;
}
function lower_name($n) {
	if (!$n) return '';
	if ($n === strtolower($n)) return $n;
	if (in_array($n, ['PCP', 'IM', 'ACL'], TRUE)) return strtolower($n);
	return strtolower(ltrim(str_replace('U_F', 'uf', preg_replace('/(?=[A-Z])/', '_$0', $n)), '_'));
}
function camel_name($n) {
	$special = ['acl' => 'Acl', 'im' => 'Im', 'pcp' => 'Pcp'];
	if (isset($special[strtolower($n)])) return $special[strtolower($n)];
	$parts = [];
	foreach (explode('_', $n) as $p) {
		$p = ucfirst($p);
		if (strpos($p, 'Uf') === 0 && strlen($n) > 2) $p = 'UF' . ucfirst(substr($p, 2));
		$parts[] = $p;
	}
	if (in_array($parts[0], ['Uf', 'Acl', 'Im', 'Pcp'])) $parts[0] = strtoupper($parts[0]);
	return implode('', $parts);
}
function v3_entity($n) { $m = munge_name($n); return $m === null ? '' : camel_name($m); }
function v3_action($n) { $m = munge_name($n); return $m === null ? '' : strtolower($m); }
function version_of($params) {
	if (!is_array($params) || !array_key_exists('version', $params)) return 3;
	switch ($params['version']) { case 3: return 3; case 4: return 4; default: return 0; }
}
function chain_version($params, $parent) {
	if (is_array($params) && array_key_exists('version', $params) && version_of($params) != 3) return version_of($params);
	return $parent;
}
function emit($c) {
	echo $c['depth'], ' ', $c['version'], ' ', $c['ed'] ? '~' : bin2hex($c['entity']), ' ', $c['ad'] ? '~' : bin2hex($c['action']),
		' ', empty($c['trunc']) ? 0 : 1, ' ', empty($c['unknown']) ? 0 : 1, "\n";
}
function is_ref($v) { return is_string($v) && substr($v, 0, 6) === '$value'; }
function walk_call($c, $v3) {
	if ($c['depth'] > MAXDEPTH) { $c['trunc'] = 1; emit($c); return; }
	emit($c);
	if (!empty($c['unknown'])) {
		$h = child_of($c, $c['version']);
		$h['ed'] = $h['ad'] = TRUE;
		$h['unknown'] = 1;
		$h['trunc'] = $h['depth'] > MAXDEPTH;
		emit($h);
		return;
	}
	if ($v3) v3_chains($c);
	if ($c['version'] === 4) v4_chains($c);
}
function child_of($p, $version) {
	return ['version' => $version, 'entity' => '', 'action' => '', 'ed' => FALSE, 'ad' => FALSE, 'params' => NULL, 'depth' => $p['depth'] + 1];
}
function v3_chains($p) {
	if (!is_array($p['params'])) return;
	$skip = ['SmsProvider' => ['type', 'url', 'params'], 'Job' => ['prefix', 'entity', 'action'], 'Contact' => ['key']];
	$subst = $p['depth'] > 0;
	foreach ($p['params'] as $key => $v) {
		$ref = $subst && is_ref($v);
		if (!(is_array($v) || $v === 1 || $ref)) continue;
		$key = (string) $key;
		if ($key === 'api.has_parent' || $key === 'api_params' || substr($key, 0, 3) !== 'api') continue;
		$sep = $key[3] ?? '';
		if ($sep !== '.' && $sep !== '_') continue;
		$bits = explode($sep, $key);
		$lower = lower_name($bits[1]);
		if (isset($skip[$p['entity']]) && in_array($lower, $skip[$p['entity']])) continue;
		$act = $bits[2] ?? '';
		if (empty($act)) $act = $p['action'];
		$c = child_of($p, $p['version']);
		$c['entity'] = v3_entity($lower);
		$c['action'] = v3_action($act);
		if ($ref) { $c['unknown'] = 1; walk_call($c, TRUE); continue; }
		if (!is_array($v)) { walk_call($c, TRUE); continue; }
		if (array_key_exists(0, $v)) {
			foreach ($v as $el) {
				$e = $c;
				$e['params'] = is_array($el) ? $el : NULL;
				$e['unknown'] = $subst && is_ref($el);
				$e['version'] = chain_version($e['params'], $p['version']);
				walk_call($e, TRUE);
			}
			continue;
		}
		$c['params'] = $v;
		$c['version'] = chain_version($v, $p['version']);
		walk_call($c, TRUE);
	}
}
function v4_name($v, &$dyn) {
	if (!is_string($v)) { $dyn = TRUE; return ''; }
	$dyn = strlen($v) > 1 && $v[0] === '$';
	return $v;
}
function v4_chains($p) {
	if (!is_array($p['params']) || !array_key_exists('chain', $p['params'])) return;
	$chain = $p['params']['chain'];
	$base = child_of($p, 4);
	if (!is_array($chain)) { $base['ed'] = $base['ad'] = TRUE; walk_call($base, FALSE); return; }
	foreach ($chain as $el) {
		$c = $base;
		if (!is_array($el)) { $c['ed'] = $c['ad'] = TRUE; walk_call($c, FALSE); continue; }
		$c['entity'] = v4_name($el[0] ?? NULL, $c['ed']);
		$c['action'] = v4_name($el[1] ?? NULL, $c['ad']);
		$c['params'] = is_array($el[2] ?? NULL) ? $el[2] : NULL;
		walk_call($c, FALSE);
	}
}
while (($line = fgets(STDIN)) !== FALSE) {
	[$e, $a, $j] = explode(' ', rtrim($line, "\n"));
	$params = json_decode(hex2bin($j), TRUE);
	if (!is_array($params)) $params = [];
	$version = version_of($params);
	$c = ['version' => $version, 'ed' => FALSE, 'ad' => FALSE, 'params' => $params, 'depth' => 0];
	if (isset($params['className'])) {
		$c['version'] = 3;
		$c['ed'] = $c['ad'] = TRUE;
	} elseif ($version === 4) {
		$c['entity'] = munge_name(hex2bin($e)) ?? '';
		$c['action'] = munge_name(hex2bin($a)) ?? '';
	} else {
		$c['entity'] = v3_entity(hex2bin($e));
		$c['action'] = v3_action(hex2bin($a));
	}
	walk_call($c, TRUE);
	echo "END\n";
	fflush(STDOUT);
}
`

// phpModel is one long-lived php process running phpWalkModel.
type phpModel struct {
	mu  sync.Mutex
	in  io.WriteCloser
	out *bufio.Reader
}

var (
	modelOnce sync.Once
	model     *phpModel
	modelErr  error
)

func startPHPModel(t testing.TB) *phpModel {
	t.Helper()
	php := phptest.Path(t)
	modelOnce.Do(func() {
		dir, err := os.MkdirTemp("", "walkmodel")
		if err != nil {
			modelErr = err
			return
		}
		script := filepath.Join(dir, "walk.php")
		if modelErr = os.WriteFile(script, []byte(fmt.Sprintf(phpWalkModel, MaxSubcallDepth)), 0o600); modelErr != nil {
			return
		}
		cmd := exec.Command(php, "-n", "-d", "error_reporting=0", "-d", "display_errors=0", "-d", "memory_limit=1G", script)
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if modelErr = cmd.Start(); modelErr != nil {
			return
		}
		model = &phpModel{in: in, out: bufio.NewReaderSize(out, 1<<16)}
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return model
}

// walk asks the model for the subcalls of one top-level APIv3 call.
func (m *phpModel) walk(entity, action, params string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	line := hex.EncodeToString([]byte(entity)) + " " + hex.EncodeToString([]byte(action)) + " " + hex.EncodeToString([]byte(params)) + "\n"
	if _, err := io.WriteString(m.in, line); err != nil {
		return nil, err
	}
	var out []string
	for {
		l, err := m.out.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l = strings.TrimSuffix(l, "\n")
		if l == "END" {
			return out, nil
		}
		out = append(out, l)
	}
}

// goWalk renders WalkV3's subcalls in the model's format.
func goWalk(entity, action string, params *Array) []string {
	var out []string
	name := func(s string, dyn bool) string {
		if dyn {
			return "~"
		}
		return hex.EncodeToString([]byte(s))
	}
	WalkV3(&Call{Form: FormAjax, Entity: entity, Action: action, Params: params}, func(sc Subcall) bool {
		if sc.Implied != "" || sc.Via != "" || sc.StartedBy != "" {
			// What an action runs under its name (runs_test.go), what a
			// call reads under it (joins_test.go, v3returns_test.go) and
			// what it makes CiviCRM do by itself (fieldwrites_test.go) are
			// no chains.
			return true
		}
		trunc, unknown := 0, 0
		if sc.Truncated {
			trunc = 1
		}
		if sc.ParamsUnknown {
			unknown = 1
		}
		out = append(out, fmt.Sprintf("%d %d %s %s %d %d", sc.Depth, sc.Version, name(sc.Entity, sc.EntityDynamic), name(sc.Action, sc.ActionDynamic), trunc, unknown))
		return true
	})
	return out
}

func compareWithModel(t testing.TB, m *phpModel, entity, action, js string) {
	t.Helper()
	params := NewArray()
	if v, err := DecodeJSON([]byte(js)); err != nil {
		return // PHP would refuse it before any call runs
	} else if a, ok := v.(*Array); ok {
		params = a
	}
	want, err := m.walk(entity, action, js)
	if err != nil {
		t.Fatalf("php model: %v", err)
	}
	if got := goWalk(entity, action, params); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s.%s %s\n walker: %q\n  model: %q", entity, action, js, got, want)
	}
}

// Random requests built from the names and values that matter (both
// separators, suffixes, odd spellings, every value type a chain test
// looks at, versions of every kind, APIv4 chains) agree with the model.
func TestWalkV3MatchesPHPModel(t *testing.T) {
	m := startPHPModel(t)
	rng := rand.New(rand.NewPCG(12, 3))
	entities := []string{"Contact", "contact", "Job", "SmsProvider", "Email", "option_value", "UFGroup"}
	actions := []string{"get", "create", "GET", "getfields", " delete"}
	for i := 0; i < 3000; i++ {
		js := genChainParams(rng, 0)
		compareWithModel(t, m, entities[rng.IntN(len(entities))], actions[rng.IntN(len(actions))], js)
	}
}

// FuzzWalkV3 drives the walker with arbitrary params and names and
// compares it with the PHP model.
func FuzzWalkV3(f *testing.F) {
	for _, s := range []string{
		`{"api.Email.create":{"email":"x"}}`, `{"api_Email_create":[{},{"api.Phone.delete":1}]}`,
		`{"version":4,"chain":{"a":["$x","get",{"chain":{"b":["Note","delete"]}}]}}`,
		`{"api.Contact.get":{"version":"4.0","api_key":{}}}`, `{"api.":1,"api_":{"0":{}},"api.Job.get":{"api_action":{}}}`,
		`{"api.Contact.get":{"api_Email_delete":"$value.api.Contact.get","api.Note":["$value",{}]}}`, `{"className":"x","api.Email.get":{}}`,
	} {
		f.Add("Contact", "get", s)
	}
	f.Fuzz(func(t *testing.T, entity, action, js string) {
		compareWithModel(t, startPHPModel(t), entity, action, js)
	})
}

func genChainParams(rng *rand.Rand, depth int) string {
	keys := []string{"api.Email.create", "api_Email_create", "api.email.get", "api_option_value_get", "api.Contact.delete.x",
		"api.", "api", "api_key", "api.key", "api_Key", "api.has_parent", "api_params", "API.Contact.get", "api.UFGroup.get",
		"api. Email.create", "api.EMAIL.get", "api.Email.0", "api.Email", "version", "chain", "id", "0", "1", "api.Job.get",
		"api_type", "api.Acl.get", "api._.get", "api.e-m.cre ate", "api..delete", "api.0.get", "className"}
	var b strings.Builder
	b.WriteByte('{')
	n := rng.IntN(4)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		k := keys[rng.IntN(len(keys))]
		b.WriteString(strconv.Quote(k) + ":")
		switch k {
		case "version":
			b.WriteString([]string{`3`, `4`, `"4"`, `" 3"`, `"4.0"`, `true`, `false`, `null`, `[3]`, `"3abc"`, `2`, `3.0`}[rng.IntN(12)])
		case "chain":
			b.WriteString(genChain(rng, depth))
		default:
			b.WriteString(genChainValue(rng, depth))
		}
	}
	b.WriteByte('}')
	return b.String()
}

func genChainValue(rng *rand.Rand, depth int) string {
	if depth > 5 {
		return `1`
	}
	switch rng.IntN(11) {
	case 9:
		return `"$value.api.Email.create"`
	case 10:
		return `["$value.id",{}]`
	case 0:
		return `1`
	case 1:
		return `"1"`
	case 2:
		return `1.0`
	case 3:
		return `true`
	case 4, 5:
		return genChainParams(rng, depth+1)
	case 6:
		return `[` + genChainParams(rng, depth+1) + `,` + genChainParams(rng, depth+1) + `]`
	case 7:
		return `{"x":` + genChainParams(rng, depth+1) + `,"0":` + genChainParams(rng, depth+1) + `}`
	}
	return `null`
}

func genChain(rng *rand.Rand, depth int) string {
	names := []string{`"Email"`, `"$contact_type"`, `"$"`, `5`, `null`, `"create"`, `"get"`, `"$verb"`}
	switch rng.IntN(5) {
	case 0:
		return `"x"`
	case 1:
		return `{"a":"Email"}`
	case 2:
		return `{"a":{"1":"get","0":"Email"}}`
	}
	el := `[` + names[rng.IntN(len(names))] + `,` + names[rng.IntN(len(names))]
	if depth < 5 && rng.IntN(2) == 0 {
		el += `,` + genChainParams(rng, depth+1)
	}
	return `{"a":` + el + `]}`
}
