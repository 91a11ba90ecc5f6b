package tests

import (
	"net/url"
	"strings"
	"testing"
)

// The answer's language can come from the request's Accept-Language, which
// Civigate passes to CiviCRM but leaves out of the cache key. With
// inheritLocale on (Administer > Localization, for multilingual sites),
// CRM_Core_BAO_ConfigSetting::applyLocale takes the locale from
// CRM_Utils_System::getUFLocale(): on Drupal 8+ that is
// \Drupal::languageManager()->getCurrentLanguage() (CRM/Utils/System/
// Drupal8.php), which Drupal's browser negotiation
// (core/modules/language/src/Plugin/LanguageNegotiation/
// LanguageNegotiationBrowser.php) picks from the request's Accept-Language
// (Drupal 7's locale_language_from_browser likewise; Joomla's language
// filter with "detect browser language"). Option labels, getfields titles
// and, on a multilingual database, the localized columns follow that locale.
// The README binds every key to what selects the answer's language
// (lcMessages, a /fr/ prefix, the Host); Accept-Language is not among them,
// so a caller's French request is answered from the entry its German one
// filled, in German.
func TestA15AcceptLanguageSharesOneEntry(t *testing.T) {
	sim, u, inst := a15LangSetup(t)
	hdr := func(lang string) map[string]string {
		h := a10bAuth(sim)
		h["X-Requested-With"] = "XMLHttpRequest"
		h["Accept-Language"] = lang
		return h
	}
	v4 := inst.URL + "/civicrm/ajax/api4/Contact/get?params=" + url.QueryEscape(`{"select":["id","gender_id:label"],"where":[["id","=",2]]}`)
	v3 := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&id=2&return=gender"
	for _, c := range []struct{ name, url string }{{"APIv4 Contact.get", v4}, {"APIv3 Contact.get", v3}} {
		de := a10bDo(t, "GET", c.url, hdr("de-DE,de;q=0.9"), "")
		if de.status != 200 || !strings.Contains(de.body, "Weiblich") {
			t.Fatalf("%s in German: %d %s", c.name, de.status, de.body)
		}
		if again := a10bDo(t, "GET", c.url, hdr("de-DE,de;q=0.9"), ""); !strings.Contains(again.cacheStatus, "hit") {
			t.Fatalf("precondition: %s is cached (Cache-Status %q)", c.name, again.cacheStatus)
		}
		before := u.count()
		fr := a10bDo(t, "GET", c.url, hdr("fr-FR,fr;q=0.9"), "")
		if u.count() == before || !strings.Contains(fr.body, "Femme") {
			t.Errorf("%s sent with Accept-Language: fr-FR was answered from the entry the same call in German filled "+
				"(Cache-Status %q): %s\nCiviCRM (inheritLocale, the CMS negotiating the language from Accept-Language) "+
				"would answer it in French; the key must hold what selects the answer's language",
				c.name, fr.cacheStatus, fr.body)
		}
	}
}
