package translate

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// cmsModelScript is a model, in PHP and run by real PHP, of which CiviCRM
// API page each CMS runs for a request. It is written from the CMSs' and
// CiviCRM's code, step by step, independently of the recogniser
// (cmsroute.go, recognise.go): the recogniser works with candidate
// strings and a one-pass matcher, the model replays each CMS's request
// handling with PHP's own parse_str, trim, urldecode, strip_tags and
// html_entity_decode.
//
// Input lines: "M " + hex(method "\x00" request URI "\x00" body "\x00"
// Cookie header). Output:
// one line of space-separated "cms:route[:hex(entity):hex(action)]", or
// "-".
//
// What it models (sources in brackets):
//   - CiviCRM [CRM/Core/Invoke.php, CRM_Core_Menu::get]: args[0] must be
//     "civicrm"; the leading runs of args are looked up in civicrm_menu
//     under utf8mb4_unicode_ci (modelled loosely: case folded, trailing
//     spaces ignored, a control or non-ASCII byte matching up to three
//     characters or none), the longest row wins and must occur in the path
//     byte for byte. The APIv4 page [CRM/Api4/Page/AJAX.php] reads entity
//     and action from $_GET[q or task] split on '/'.
//   - Standalone [Civi/Standalone/WebEntrypoint.php]: the path, decoded
//     (urldecode or rawurldecode), split, empty and "0" segments dropped.
//   - WordPress [WP::parse_request, civicrm-wordpress civicrm.php]: query
//     vars q, civiwp, page, rest_route from POST, else GET (both slashed by
//     wp_magic_quotes; a mismatch dies), else the rewrite rules (the base
//     page rule ^base/(.*) → page_id=…&civiwp=CiviCRM&q=civicrm%2F$1 and
//     the REST rule ^prefix/(.*) → rest_route=/$1, substituted, slashed and
//     parse_str'd; tried on the raw and the urldecoded path; any home path,
//     base page and REST prefix); page=CiviCRM becomes civiwp; q trimmed,
//     civicrm/civicrm/ fixed; REST routes matched with @^route$@i after
//     untrailingslashit. Admin [wp-admin/admin.php, plugin_basename]:
//     page normalised, q through sanitize_text_field.
//   - Drupal 7, Backdrop [request_path, civicrm_invoke]: $_GET['q'] if a
//     string, else the urldecoded path after any base path; '/' trimmed;
//     the civicrm menu item matched case-insensitively.
//   - Drupal 8+ [CivicrmPathProcessor, Routes, CivicrmController]: the
//     decoded path after any base path; /civicrm/… rewritten onto the
//     longest menu item with ':' joining the rest; routes matched
//     case-insensitively; args from the route plus the extra part.
//   - Joomla [civicrm-joomla site/civicrm.php, admin/admin.civicrm.php,
//     Joomla InputFilter]: option through the cmd filter (absent: a menu
//     item or SEF URL may still pick the component); task raw and trimmed,
//     or through getString (html_entity_decode, then tags removed until
//     nothing changes) from $_REQUEST. $_REQUEST is built as PHP builds it
//     when php.ini sets no request_order: GET, POST, then the cookies
//     [main/php_variables.c: split on ';', leading white space dropped,
//     name not decoded, value rawurldecoded, the first scalar of a name
//     kept]; the front-end component copies $_REQUEST['task'] into $_GET
//     raw when Itemid and view are set.
const cmsModelScript = `<?php
const API_ROUTES = ['civicrm/ajax/rest', 'civicrm/ajax/api4', 'civicrm/api/json', 'civicrm/authx/id', 'civicrm/authx/login',
  'civicrm/authx/logout'];
// A sample of civicrm_menu: the API routes and their neighbours.
const MENU = ['civicrm', 'civicrm/dashboard', 'civicrm/ajax/rest', 'civicrm/ajax/api4', 'civicrm/api/json',
  'civicrm/api', 'civicrm/api4', 'civicrm/ajax/contactlist', 'civicrm/ajax/inline', 'civicrm/contact/view',
  'civicrm/ajax/jqState', 'civicrm/ajax/status', 'civicrm/authx/id', 'civicrm/authx/login', 'civicrm/authx/logout',
  'civicrm/admin/setting/authx'];

function collates($s, $row) {
  $s = rtrim($s, ' ');
  $re = '';
  for ($i = 0; $i < strlen($s); $i++) {
    $o = ord($s[$i]);
    $re .= ($o < 0x20 || $o >= 0x7f) ? '.{0,3}' : preg_quote($s[$i], '~');
  }
  return preg_match('~^' . $re . '$~is', $row) === 1;
}

function menu_lookup($path) {
  $args = explode('/', $path);
  $best = null;
  while ($args) {
    $cand = implode('/', $args);
    foreach (MENU as $row) {
      if (collates($cand, $row) && ($best === null || strlen($row) > strlen($best))) $best = $row;
    }
    array_pop($args);
  }
  return $best;
}

// CRM_Core_Invoke and the API pages; $urlVar is $_GET[q or task].
function civi($args, $urlVar) {
  if (!is_array($args) || ($args[0] ?? null) !== 'civicrm') return null;
  $path = implode('/', $args);
  $row = menu_lookup($path);
  if ($row === null || !str_contains($path, $row) || !in_array($row, API_ROUTES, true)) return null;
  if ($row === 'civicrm/ajax/api4') {
    $u = array_pad(explode('/', is_string($urlVar) ? $urlVar : ''), 5, '');
    return $row . ':' . bin2hex($u[3]) . ':' . bin2hex($u[4]);
  }
  return $row;
}

function add_slashes_deep($v) { return is_array($v) ? array_map('add_slashes_deep', $v) : addslashes($v); }
function strip_slashes_deep($v) { return is_array($v) ? array_map('strip_slashes_deep', $v) : stripslashes($v); }

// Every way of cutting a path into a base (home path, Drupal base path)
// and the rest, the rest without its leading '/'.
function rests($path) {
  $out = [];
  $segs = explode('/', $path);
  for ($i = 1; $i < count($segs); $i++) $out[] = implode('/', array_slice($segs, $i));
  return $out;
}

function m_standalone($path) {
  $out = [];
  foreach ([urldecode($path), rawurldecode($path)] as $p) {
    $args = array_values(array_filter(explode('/', $p)));
    if ($args && $args[0] === 'civicrm') {
      if ($r = civi($args, implode('/', $args))) $out[] = 'standalone:' . $r;
    }
  }
  return $out;
}

function wp_sanitize_text_field($str) {
  if (!is_string($str) || preg_match('/^./us', $str) !== 1 && $str !== '') return '';
  $f = $str;
  if (str_contains($f, '<')) {
    $f = preg_replace_callback('%<[^>]*?((?=<)|>|$)%', function ($m) {
      return str_contains($m[0], '>') ? $m[0] : htmlspecialchars($m[0], ENT_QUOTES, 'UTF-8', false);
    }, $f);
    $f = preg_replace('@<(script|style)[^>]*?>.*?</\\1>@si', '', $f);
    $f = trim(strip_tags($f));
    $f = str_replace("<\n", "&lt;\n", $f);
  }
  $f = preg_replace('/[\r\n\t ]+/', ' ', $f);
  $f = trim($f);
  $found = false;
  while (preg_match('/%[a-f0-9]{2}/i', $f, $m)) { $f = str_replace($m[0], '', $f); $found = true; }
  if ($found) $f = trim(preg_replace('/ +/', ' ', $f));
  return $f;
}

// civicrm-wordpress get_request_args, with and without CIVICRM_CLEANURL:
// [args, $_GET['q'] afterwards] (the civicrm/civicrm/ fix rewrites both).
function wp_args($q) {
  if (!is_string($q) || empty($q)) return [];
  $out = [];
  foreach ([false, true] as $clean) {
    $v = $q;
    if ($clean && substr($v, 0, 16) === 'civicrm/civicrm/') $v = str_replace('civicrm/civicrm/', 'civicrm/', $v);
    $out[] = [explode('/', trim(trim($v), '/')), $v];
  }
  return $out;
}

function m_wordpress($path, $get, $post) {
  $out = [];
  $sget = add_slashes_deep($get);
  $spost = add_slashes_deep($post);
  // Admin pages.
  if (preg_match('~(^|/)wp-admin/admin\.php$~', $path)) {
    $page = is_string($get['page'] ?? null) ? $get['page'] : '';
    $page = trim(preg_replace('|(?<=.)/+|', '/', str_replace('\\', '/', $page)), '/');
    if ($page === 'CiviCRM' && isset($get['q'])) {
      foreach (wp_args(wp_sanitize_text_field($get['q'])) as [$args, $fixed]) {
        if ($r = civi($args, $fixed === wp_sanitize_text_field($get['q']) ? $get['q'] : $fixed)) $out[] = 'wp-admin:' . $r;
      }
    }
    return $out;
  }
  // Front end: every home path, base page and REST prefix.
  $permas = [[]];
  foreach (rests($path) as $req) {
    $req = trim($req, '/');
    foreach ([$req, urldecode($req)] as $m) {
      $first = explode('/', $m, 2);
      if (count($first) < 2) {
        if ($first[0] !== '') $permas[] = ['rest_route' => '/'];
        continue;
      }
      parse_str(addslashes('page_id=1&civiwp=CiviCRM&q=civicrm%2F' . $first[1]), $p);
      $permas[] = $p;
      parse_str(addslashes('rest_route=/' . $first[1]), $p);
      $p['_prefix'] = $first[0];
      $permas[] = $p;
    }
  }
  foreach ($permas as $perma) {
    $qv = [];
    $fromPerma = [];
    foreach (['q', 'civiwp', 'page', 'rest_route'] as $var) {
      if (isset($sget[$var], $spost[$var]) && $sget[$var] !== $spost[$var]) continue 2; // wp_die
      if (isset($spost[$var])) $qv[$var] = $spost[$var];
      elseif (isset($sget[$var])) $qv[$var] = $sget[$var];
      elseif (isset($perma[$var])) { $qv[$var] = $perma[$var]; $fromPerma[$var] = true; }
      if (!empty($qv[$var]) && !is_array($qv[$var])) $qv[$var] = (string) $qv[$var];
    }
    if (array_search('CiviCRM', $qv) === 'page') { unset($qv['page']); $qv['civiwp'] = 'CiviCRM'; }
    if (!empty($qv['rest_route']) && is_string($qv['rest_route'])) {
      $route = rtrim($qv['rest_route'], '/\\');
      if (preg_match('@^/civicrm/v3/rest$@i', $route)) $out[] = 'wp-rest';
      // civicrm-wordpress Plugin::bootstrap_civi logs in on rest_pre_dispatch
      // (the REST prefix modelled for it: wp-json, the default).
      if (!isset($fromPerma['rest_route']) || $perma['_prefix'] === 'wp-json') {
        if (strpos($route, 'civicrm') !== false && strpos($route, 'rest') !== false) $out[] = 'wp-login';
      }
      if (preg_match('@^/batch/v1$@i', $route)) $out[] = 'wp-batch';
    }
    if (($qv['civiwp'] ?? null) !== 'CiviCRM') continue;
    $q = $qv['q'] ?? '';
    if (empty($q)) $q = wp_sanitize_text_field($get['q'] ?? '');
    foreach (wp_args($q) as [$args, $fixed]) {
      if ($r = civi($args, $fixed)) $out[] = 'wp:' . $r;
    }
  }
  return $out;
}

function m_drupal7($path, $get) {
  $out = [];
  $qs = [];
  if (isset($get['q']) && is_string($get['q'])) $qs[] = $get['q'];
  else foreach (rests($path) as $r) $qs[] = urldecode($r);
  foreach ($qs as $q) {
    $q = trim($q, '/');
    $args = explode('/', $q);
    if (strtolower($args[0]) !== 'civicrm') continue;
    if ($r = civi($args, $q)) $out[] = 'drupal7:' . $r;
  }
  return $out;
}

function m_drupal8($path) {
  $out = [];
  foreach (rests($path) as $rest) {
    foreach ([urldecode($rest), rawurldecode($rest)] as $p) {
      $p = '/' . $p;
      if (strpos($p, '/civicrm/') === 0) {
        $longest = '';
        foreach (MENU as $item) {
          $item = '/' . $item;
          if ($p === $item) { $longest = $item; break; }
          if (str_starts_with($p, "$item/") && strlen($item) > strlen($longest)) $longest = $item;
        }
        if ($longest !== '') {
          $params = substr($p, strlen($longest));
          if (strlen($params)) {
            $params = str_replace('/', ':', $params);
            if ($params[0] === ':') $params = substr($params, 1);
            $p = "$longest/$params";
          } else $p = $longest;
        }
      }
      // The most specific route whose path is a case-insensitive prefix.
      $best = null;
      foreach (MENU as $item) {
        $lp = strtolower($p);
        if ($lp === "/$item" || str_starts_with($lp, "/$item/")) {
          if ($best === null || strlen($item) > strlen($best)) $best = $item;
        }
      }
      if ($best === null) continue;
      $args = explode('/', $best);
      $extra = (string) substr($p, strlen($best) + 2);
      if ($extra !== '') $args = array_merge($args, explode(':', $extra));
      $q = implode('/', $args);
      if ($r = civi($args, $q)) $out[] = 'drupal8:' . $r;
    }
  }
  return $out;
}

function joomla_cmd($v) { return is_string($v) ? ltrim(preg_replace('/[^A-Z0-9_\.-]/i', '', $v), '.') : ''; }

// InputFilter::remove: cleanTags until nothing changes. cleanTags drops a
// '<' that another '<' follows before any '>', or that no '>' follows,
// and a whole tag otherwise (no tag is allowed).
function joomla_remove($s) {
  do {
    $prev = $s;
    $out = '';
    while (($i = strpos($s, '<')) !== false) {
      $out .= substr($s, 0, $i);
      $rest = substr($s, $i + 1);
      $end = strpos($rest, '>');
      $next = strpos($rest, '<');
      if ($end === false || ($next !== false && $next < $end)) { $s = $rest; continue; }
      $s = substr($rest, $end + 1);
    }
    $s = $out . $s;
  } while ($s !== $prev);
  return $s;
}

function joomla_string($v) { return is_string($v) ? joomla_remove(html_entity_decode($v, ENT_QUOTES, 'UTF-8')) : ''; }

function parse_cookie($h) {
  $out = [];
  foreach (explode(';', $h) as $pair) {
    $pair = ltrim($pair, " \t\n\r\v\f");
    $eq = strpos($pair, '=');
    if ($pair === '' || $eq === 0) continue;
    [$name, $val] = $eq === false ? [$pair, ''] : [substr($pair, 0, $eq), rawurldecode(substr($pair, $eq + 1))];
    $one = [];
    parse_str(rawurlencode($name) . '=' . rawurlencode($val), $one);
    foreach ($one as $k => $v) {
      if (isset($out[$k]) && !is_array($v)) continue;
      $out[$k] = is_array($v) && is_array($out[$k] ?? null) ? array_replace_recursive($out[$k], $v) : $v;
    }
  }
  return $out;
}

function m_joomla($path, $get, $post, $cookie) {
  $out = [];
  $req = array_merge($get, $post, $cookie);
  $admin = (bool) preg_match('~(^|/)administrator/index\.php$~i', $path);
  $option = strtolower(joomla_cmd($req['option'] ?? ''));
  if ($option !== 'com_civicrm' && ($admin || $option !== '')) return $out;
  $tasks = [];
  if (isset($get['task']) && is_string($get['task'])) $tasks[] = [trim($get['task']), $get['task']];
  if (!$admin && isset($req['task']) && is_string($req['task'])) {
    $clean = joomla_string($req['task']);
    $tasks[] = [trim($clean), $get['task'] ?? null];
    $tasks[] = [trim($clean), $clean]; // Itemid and view copy it into $_GET
    $tasks[] = [trim($req['task']), $req['task']]; // raw, as site/civicrm.php copies it
  }
  foreach ($tasks as [$task, $urlVar]) {
    if ($r = civi(explode('/', $task), $urlVar)) $out[] = ($admin ? 'joomla-admin:' : 'joomla:') . $r;
  }
  return $out;
}

function model($method, $uri, $body, $cookie) {
  [$path, $query] = array_pad(explode('?', $uri, 2), 2, '');
  $get = [];
  parse_str($query, $get);
  $post = [];
  if ($method === 'POST') parse_str($body, $post);
  return array_merge(m_standalone($path), m_wordpress($path, $get, $post), m_drupal7($path, $get),
    m_drupal8($path), m_joomla($path, $get, $post, parse_cookie($cookie)));
}

while (($line = fgets(STDIN)) !== false) {
  [$method, $uri, $body, $cookie] = explode("\0", hex2bin(substr(rtrim($line, "\n"), 2)), 4);
  $r = array_values(array_unique(model($method, $uri, $body, $cookie)));
  echo $r ? implode(' ', $r) : '-', "\n";
}
`

// cmsModel runs cmsModelScript in one php process per test binary.
type cmsModel struct {
	mu  sync.Mutex
	in  io.WriteCloser
	out *bufio.Reader
	err error
}

var (
	theModel     cmsModel
	theModelOnce sync.Once
)

func startModel() {
	php, err := exec.LookPath("php")
	if err != nil {
		theModel.err = err
		return
	}
	dir, err := os.MkdirTemp("", "cmsmodel")
	if err != nil {
		theModel.err = err
		return
	}
	script := filepath.Join(dir, "model.php")
	if err := os.WriteFile(script, []byte(cmsModelScript), 0o600); err != nil {
		theModel.err = err
		return
	}
	cmd := exec.Command(php, "-n", "-d", "max_input_vars=1000", "-d", "error_reporting=0",
		"-d", "display_errors=0", "-d", "memory_limit=256M", script)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		theModel.err = err
		return
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		theModel.err = err
		return
	}
	if err := cmd.Start(); err != nil {
		theModel.err = err
		return
	}
	theModel.in, theModel.out = in, bufio.NewReaderSize(out, 1<<16)
}

// modelRoutes asks the PHP model which API pages the CMSs run for a
// request.
func modelRoutes(t testing.TB, method, uri, body, cookie string) []string {
	t.Helper()
	theModelOnce.Do(startModel)
	if theModel.err != nil {
		requirePHP(t.(*testing.T))
	}
	theModel.mu.Lock()
	defer theModel.mu.Unlock()
	line := "M " + hex.EncodeToString([]byte(method+"\x00"+uri+"\x00"+body+"\x00"+cookie)) + "\n"
	if _, err := io.WriteString(theModel.in, line); err != nil {
		t.Fatalf("php model: %v", err)
	}
	ans, err := theModel.out.ReadString('\n')
	if err != nil {
		t.Fatalf("php model: %v", err)
	}
	ans = strings.TrimSuffix(ans, "\n")
	if ans == "-" {
		return nil
	}
	return strings.Fields(ans)
}

// checkAgainstModel is the property the recogniser must have: whatever
// the model says some CMS runs, the recogniser either recognises as a form
// Civigate rebuilds (APIv3: nothing of the original request reaches
// CiviCRM), recognises as the same APIv4 call or AuthX route (forwarded as
// sent), or refuses. cookie is the request's Cookie header.
func checkAgainstModel(t *testing.T, uri, body, cookie string) {
	u, err := requestURL(uri)
	if err != nil {
		return
	}
	var routes []string
	for _, sent := range []string{uri, u.RequestURI()} {
		// What PHP sees: php_fastcgi passes the URI as received,
		// reverse_proxy the one Go re-escapes.
		routes = append(routes, modelRoutes(t, "POST", sent, body, cookie)...)
	}
	if len(routes) == 0 {
		return
	}
	cfg := RecogniseConfig{API4: true}
	route, ok := Recognise("POST", u, cfg)
	const form = "application/x-www-form-urlencoded"
	// Civigate rebuilds the request of an APIv3 form without the cookies
	// CiviCRM could read as request variables (IsRequestVar); elsewhere a
	// routing cookie is refused.
	refused := cfg.Suspicious(u) || (!ok || route.Form.AsSent()) &&
		(IsAPIv3LikeBody(u, form, []byte(body)) || cfg.SuspiciousCookies([]string{cookie}))
	if refused || ok && !route.Form.AsSent() {
		return
	}
	for _, r := range routes {
		if r == "wp-batch" {
			// Its body and query are checked for sub-requests that log in.
			if !cfg.WPBatch(u) {
				t.Fatalf("%q body %q: the model runs WordPress's batch route, the recogniser does not see it", uri, body)
			}
			continue
		}
		_, page, _ := strings.Cut(r, ":")
		want := "civicrm/ajax/api4:" + hex.EncodeToString([]byte(route.Entity)) + ":" + hex.EncodeToString([]byte(route.Action))
		if route.Form == FormAuthx {
			want = "civicrm/authx/" + route.Action
		}
		if !ok || page != want {
			t.Fatalf("%q body %q cookie %q: the model runs %s, the recogniser says %+v, %v (not refused)", uri, body, cookie, r, route, ok)
		}
	}
}

// requestURL parses a request target as net/http does, refusing what its
// server refuses.
func requestURL(uri string) (*url.URL, error) {
	if uri == "" || uri[0] != '/' || strings.ContainsAny(uri, " #") || hasControl(uri) {
		return nil, fmt.Errorf("not a request target")
	}
	return url.ParseRequestURI(uri)
}

// FuzzRecogniseAgainstCMSModel drives the recogniser with request targets
// and form bodies and checks checkAgainstModel against the PHP model of
// the CMSs. Seeds: every reproduction of issue 12 and its neighbours.
func FuzzRecogniseAgainstCMSModel(f *testing.F) {
	for _, s := range modelSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, uri, body string) {
		checkAgainstModel(t, uri, body, "")
	})
}

// modelSeeds are request targets and bodies (POSTed as urlencoded forms).
var modelSeeds = [][2]string{
	{"/civicrm/ajax/rest", ""},
	{"/civicrm/ajax/rest%20", ""},
	{"/civicrm/ajax/rest+", ""},
	{"/civicrm/ajax/rest%0B", ""},
	{"/civicrm/ajax/rest%00", ""},
	{"/civicrm/0/ajax/rest", ""},
	{"/civicrm//ajax/rest", ""},
	{"/civicrm/ajax/./rest", ""},
	{"/civicrm/ajax/rest/x", ""},
	{"/civicrm/ajax/REST", ""},
	{"/CIVICRM/ajax/rest", ""},
	{"/civicrm/ajax/r%C3%A9st/civicrm/ajax/restx", ""},
	{"/crm/ajax/rest", ""},
	{"/blog/crm/ajax/api4/Contact/get", ""},
	{"/civicrm/civicrm/ajax/rest", ""},
	{"/civicrm/x&q=civicrm/ajax/rest", ""},
	{"/wp-json/x&rest_route=/civicrm/v3/rest", ""},
	{"/wp-json/civicrm/v3/rest%0A", ""},
	{"/api/civicrm/v3/rest", ""},
	{"/?civiwp=CiviCRM&q=%20civicrm/ajax/rest", ""},
	{"/?civiwp=CiviCRM&q=civicrm/ajax/rest%20", ""},
	{"/?civiwp=CiviCRM&q=civicrm/ajax/rest%0B", ""},
	{"/?civiwp=CiviCRM&q=civicrm/civicrm/ajax/rest", ""},
	{"/?page=CiviCRM&q=civicrm/ajax/rest", ""},
	{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/re%3Cb%3Est", ""},
	{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/re%2541st", ""},
	{"/wp-admin/admin.php?page=CiviCRM/&q=civicrm/ajax/rest%09", ""},
	{"/index.php?option=com_civicrm&task=civicrm/ajax/rest%20", ""},
	{"/index.php?option=com_civicrm&task=civicrm/ajax/re%3Cx%3Est", ""},
	{"/index.php?option=com_civicrm&task=civicrm/ajax/re%26%23115%3Bt", ""},
	{"/index.php?option=com_civi%21crm&task=civicrm/ajax/rest", ""},
	{"/index.php?task=civicrm/ajax/rest", ""},
	{"/administrator/index.php?option=COM_CIVICRM&task=civicrm/ajax/rest%0A", ""},
	{"/index.php?q=civicrm/ajax/rest/", ""},
	{"/index.php?q=civicrm/ajax/api4/Contact/get", ""},
	{"/index.php?q=/civicrm/ajax/api4/Contact/get", ""},
	{"/?civiwp=CiviCRM&q=civicrm/ajax/api4//Contact/get", ""},
	{"/civicrm/ajax/api4/Contact/get", ""},
	{"/civicrm/ajax/api4/Contact%2Fget", ""},
	{"/civicrm/ajax/api4//Contact/get", ""},
	{"/civicrm/ajax/api4/0/Contact/get", ""},
	{"/civicrm/ajax/api4/Contact/get/extra", ""},
	{"/civicrm/ajax/api4", "calls=%7B%7D"},
	{"/civicrm/ajax/api4/Contact/get?q=civicrm/ajax/rest", ""},
	{"/civicrm/ajax/api4/Contact/get", "q=civicrm/ajax/rest&civiwp=CiviCRM"},
	{"/civicrm/api/json", ""},
	{"/index.php?q=civicrm/api/json", ""},
	{"/", "rest_route=/civicrm/v3/rest"},
	{"/", "civiwp=CiviCRM&q=civicrm/ajax/rest"},
	{"/index.php", "option=com_civicrm&task=civicrm/ajax/rest"},
	{"/index.php?option=com_civicrm", "task=civicrm/ajax/re%26lt;b%26gt;st"},
	{"/?q=civicrm/ajax/rest&q=node", ""},
	{"/?q=node", ""},
	{"/civicrm/contact/view?reset=1&cid=1", ""},
	{"/civicrm/ajax/restx", ""},
	{"/wp-json/wp/v2/posts", ""},
	{"/civicrm/authx/id", ""},
	{"/civicrm/authx/id%20", ""},
	{"/civicrm/authx/login/x", ""},
	{"/civicrm/AUTHX/logout", ""},
	{"/?civiwp=CiviCRM&q=civicrm/authx/login", ""},
	{"/index.php", "option=com_civicrm&task=civicrm/authx/id"},
	{"/civicrm/authx/id?q=civicrm/ajax/rest", ""},
	{"/civicrm/authx/login", "q=civicrm/authx/id"},
	// civicrm-wordpress logs in for any REST route with "civicrm" and
	// "rest" in it; the batch route runs its sub-requests' logins.
	{"/wp-json/civicrm/v3/restx", ""},
	{"/wp-json/civicrm/v3/rest/x", ""},
	{"/wp-json/x/civicrm-rest", ""},
	{"/blog/wp-json/civicrm/v3/url/rest", ""},
	{"/wp-json/civicrm%2Fv3%2Frestx", ""},
	{"/wp-json/civicrm/v3/rest%2Fx", ""},
	{"/?rest_route=/civicrm/v3/restx", ""},
	{"/?rest_route=/x/civicrmrest", ""},
	{"/?rest_route=/civicrm/v3/rest/", ""},
	{"/", "rest_route=/civicrm/v3/restx"},
	{"/", "rest_route=/batch/v1"},
	{"/wp-json/batch/v1", ""},
	{"/wp-json/batch/v1/", ""},
	{"/wp-json/BATCH/v1%0A", ""},
	{"/?rest_route=/batch/v1", ""},
	{"/?rest_route=/Batch/V1/", ""},
	{"/wp-json/x&rest_route=/batch/v1", ""},
	{"/wp-json/civicrm/v3/url", ""},
}

// TestRecogniserMatchesCMSModel runs generated requests through
// checkAgainstModel: the routes' paths with the characters and encodings the
// CMSs trim, strip, decode or ignore inserted anywhere, sent as a clean path
// and through every CMS's routing parameters, in the URL and in the body.
// The fuzz target explores from the seeds; this covers the grammar of
// disguises on every run.
func TestRecogniserMatchesCMSModel(t *testing.T) {
	r := diffSeed(t)
	for _, s := range cookieSeeds {
		checkAgainstModel(t, s[0], "", s[1])
	}
	for range 600 {
		uri, body, cookie := genRoutedRequest(r)
		checkAgainstModel(t, uri, body, cookie)
	}
}

// cookieSeeds are request targets and Cookie headers: Joomla takes task
// (and option, Itemid, view) from $_REQUEST, which holds the cookies
// where request_order is empty.
var cookieSeeds = [][2]string{
	{"/index.php?option=com_civicrm&Itemid=1&view=x", "task=civicrm/ajax/rest"},
	{"/index.php?option=com_civicrm&task=civicrm/dashboard", "Itemid=1; view=x; task=civicrm/ajax/rest"},
	{"/index.php", "option=com_civicrm; Itemid=1; view=x; task=civicrm/ajax/api4/Contact/delete"},
	{"/", "option=com_civicrm; Itemid=1; view=x; task=%20civicrm/ajax/rest"},
	{"/index.php?option=com_civicrm&Itemid=1&view=x", "task=civicrm/ajax/re%26%23115%3Bt"},
	{"/index.php?option=com_civicrm&Itemid=1&view=x", "task=civicrm/dashboard; task=civicrm/ajax/rest"},
	{"/civicrm/ajax/api4/Contact/get", "option=com_civicrm; Itemid=1; view=x; task=civicrm/ajax/rest"},
	{"/index.php?option=com_civicrm&task=civicrm/ajax/rest", "Itemid=1; view=x; task=civicrm/ajax/api4/Contact/delete"},
}

func genRoutedRequest(r *rand.Rand) (uri, body, cookie string) {
	v := pick(r, "civicrm/ajax/rest", "civicrm/ajax/api4/Contact/get", "civicrm/ajax/api4", "civicrm/api/json",
		"civicrm/ajax/restx", "civicrm/contact/view", "civicrm/civicrm/ajax/rest", "civicrm/authx/id", "civicrm/authx/login",
		"civicrm/authx/logout", "civicrm/authx/idx")
	for range r.IntN(3) {
		ins := pick(r, " ", "%20", "%09", "%0B", "%00", "%0A", "+", "<b>", "%3Cb%3E", "<", "&#115;", "%26%23115%3B",
			"%26lt%3Bb%26gt%3B", "%2F", "/", "//", "/0", "/./", "/x/..", "%41", "%2541", "%C3%A9", "%5C", "'", ".", "%2e")
		i := r.IntN(len(v) + 1)
		v = v[:i] + ins + v[i:]
	}
	if r.IntN(5) == 0 {
		v = strings.ToUpper(v[:1]) + v[1:]
	}
	rest := pick(r, "", "&entity=Contact&action=get", "&params=%7B%7D")
	switch r.IntN(10) {
	case 0:
		return pick(r, "/", "/blog/", "/crm/", "/index.php/") + v, "", ""
	case 1:
		return pick(r, "/", "/index.php", "/node/1") + "?q=" + v + rest, "", ""
	case 2:
		return "/?civiwp=" + pick(r, "CiviCRM", "civicrm", "x") + "&q=" + v + rest, "", ""
	case 3:
		return "/wp-admin/admin.php?page=" + pick(r, "CiviCRM", "CiviCRM/", "x") + "&q=" + v + rest, "", ""
	case 4:
		return pick(r, "/index.php", "/administrator/index.php") + "?option=" + pick(r, "com_civicrm", "com_civi%21crm", "COM_CIVICRM", "com_content") +
			"&task=" + v + rest, "", ""
	case 5:
		route := pick(r, "/civicrm/v3/rest", "/civicrm/v3/rest/", "/civicrm/v3/rest%0A", "/civicrm/v3/rest%5C", "/CiviCRM/v3/Rest",
			"/civicrm/v3/restx", "/civicrm/v3/rest/x", "/x/civicrm-rest", "/civicrm/v3/url", "/batch/v1", "/batch/v1/", "/BATCH/v1")
		switch r.IntN(3) {
		case 0:
			return "/?rest_route=" + route + rest, "", ""
		case 1:
			return pick(r, "/wp-json", "/blog/wp-json", "/index.php/wp-json", "/api") + route + "?" + rest, "", ""
		}
		return "/", "rest_route=" + route + rest, ""
	case 6:
		return "/", pick(r, "q=", "civiwp=CiviCRM&q=", "rest_route=/", "option=com_civicrm&task=") + v + rest, ""
	case 7:
		return pick(r, "/civicrm/ajax/api4/Contact/get", "/civicrm/authx/login"), "params=%7B%7D&" + pick(r, "q=", "civiwp=CiviCRM&q=", "task=") + v, ""
	case 8:
		// Cookies: PHP rawurldecodes their values, so a value is sent as
		// it would be in a query, less its '+' spaces.
		return pick(r, "/index.php?option=com_civicrm&Itemid=1&view=x", "/index.php?option=com_civicrm&task=civicrm/dashboard", "/",
				"/civicrm/ajax/api4/Contact/get"), "",
			pick(r, "", "Itemid=1; view=x; ", "option=com_civicrm; Itemid=1; view=x; ") + pick(r, "task=", " task=", "q=", "ta.sk=", "task[]=") +
				strings.ReplaceAll(v, "+", "%2B")
	default:
		return "/" + v + "?" + pick(r, "q=", "task=", "x=") + pick(r, "civicrm/ajax/rest", "node", v) + rest, "", ""
	}
}
