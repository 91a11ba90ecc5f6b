package translate

import "net/url"

// IsAPIv3LikeBody reports whether a form POST body would route a request
// to one of CiviCRM's APIs when Civigate does not rebuild it: WordPress
// takes its query vars (q, civiwp, rest_route) from $_POST before $_GET,
// and Joomla's input reads task from $_REQUEST, so "POST /
// rest_route=/civicrm/v3/rest&…" or "POST /index.php
// option=com_civicrm&task=civicrm/ajax/rest&…" reach the API with a URL that
// looks like nothing. A request Recognise accepts as an APIv3 form is
// rebuilt by Civigate, so only the URL decides for it; everything else,
// APIv4 (forwarded as sent) included, is checked here.
//
// body must be the whole body: every assignment counts wherever it is,
// since past max_input_vars PHP keeps the first one. contentType is the
// request's Content-Type (OneContentType's); the body is read the way PHP
// reads it (urlencoded or multipart/form-data, case-insensitively,
// boundary as PHP finds it); other bodies never route. The caller refuses what this
// reports, like IsAPIv3Like requests.
func IsAPIv3LikeBody(u *url.URL, contentType string, body []byte) bool {
	return RecogniseConfig{}.SuspiciousBody(u, contentType, body)
}

// SuspiciousBody is IsAPIv3LikeBody under cfg: a form switched off is not
// rebuilt by Civigate, so its body is checked too. It is BodyScanner over
// the whole body.
func (cfg RecogniseConfig) SuspiciousBody(u *url.URL, contentType string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	s := cfg.BodyScanner(u, "POST", contentType)
	return s != nil && (s.Write(body) || s.Close())
}
