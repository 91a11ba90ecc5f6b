package caddymodule

import (
	"net/http"

	"github.com/civigate/civigate/authx"
)

// A cached answer is bound to what of the request selects the language
// CiviCRM answers in (cache.Caller.Language), besides the call itself
// (lcMessages, which the cache reads from the call) and the site (a
// language prefix or host, cacheSite and the call's path base): the
// client's Accept-Language. Under inheritLocale
// (CRM_Core_BAO_ConfigSetting::applyLocale) CiviCRM takes the CMS's
// language (CRM_Utils_System::getUFLocale: on Drupal 8+ the language
// manager's current language, which Drupal's browser negotiation,
// LanguageNegotiationBrowser, picks from Accept-Language; Drupal 7's
// locale_language_from_browser, Joomla's language filter likewise), and
// Civigate passes the header on to CiviCRM as the client sent it.
//
// The header is taken as it goes upstream, not parsed: every spelling PHP
// reads as HTTP_ACCEPT_LANGUAGE (authx.SameHeaderName: php_fastcgi hands
// Accept_Language to PHP under that name too), names and values byte for
// byte, every value in order. Not even surrounding space is trimmed: Go's
// HTTP/1 reader has trimmed it already, and what reaches PHP untrimmed
// (an HTTP/2 value through php_fastcgi) is what a CMS's
// substr($_SERVER['HTTP_ACCEPT_LANGUAGE'], 0, 2) reads. So two spellings
// of one language ("fr-FR,fr;q=0.9" and "fr") are two entries, never one
// entry for two languages; browsers send one spelling each, so a site's
// users make a few entries per call, not one per request. A request
// without the header costs a look at each header name and nothing else.

// requestLanguage is the Accept-Language of h as it goes upstream ("" for
// none).
func requestLanguage(h http.Header) string { return headersAsSent(h, isAcceptLanguage) }

// isAcceptLanguage reports whether a header name is Accept-Language under
// any spelling PHP registers as HTTP_ACCEPT_LANGUAGE.
func isAcceptLanguage(name string) bool { return authx.SameHeaderName(name, "accept-language") }
