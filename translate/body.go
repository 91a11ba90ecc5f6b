package translate

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"unsafe"
)

// What a request body costs before its caller is authenticated: the body
// itself, read once into one buffer, and nothing proportional to it on top
// (envelope.go reads its few fields; a JSON body is only checked and its
// few envelope members looked at). Once the caller is authenticated, a
// form body is url-decoded in place, its values strings sharing the buffer.

// readBody reads the body when PHP (or WordPress, or CiviCRM's JSON body
// support) would look at it. With max > 0, a body past max bytes is not
// read beyond max+1 and tooBig is set. The body is consumed.
func readBody(r *http.Request, form Form, max int64) (body []byte, tooBig bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, false
	}
	mt := mediaType(r.Header.Get("Content-Type"))
	switch {
	case form == FormWPRest && (isJSONMediaType(mt) || mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"):
	case r.Method == http.MethodPost && (mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"):
	case r.Method == http.MethodPost && mt == "application/json":
	default:
		return nil, false
	}
	if w, ok := r.Body.(*wholeBody); ok && w.Len() == len(w.b) {
		// ReadWholeBody read it already: its bytes, not a copy.
		r.Body = http.NoBody
		return w.b, max > 0 && int64(len(w.b)) > max
	}
	body, err := readAll(r, max)
	r.Body = http.NoBody
	if err != nil {
		return body, false
	}
	return body, max > 0 && int64(len(body)) > max
}

// readAll reads r's body (at most max+1 bytes with max > 0) into one
// buffer of the announced size (and a byte to see the end without growing
// it); a body of unknown size doubles its buffer. err is nil at the
// body's end.
func readAll(r *http.Request, max int64) ([]byte, error) {
	src := io.Reader(r.Body)
	if max > 0 {
		src = io.LimitReader(r.Body, max+1)
	}
	size := 512
	if n := r.ContentLength; n > 0 && (max <= 0 || n <= max) {
		size = int(n) + 1
	}
	body := getBodyBuffer(size)
	for {
		if len(body) == cap(body) {
			body = append(make([]byte, 0, 2*cap(body)), body...)
		}
		n, err := src.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, nil
		}
		if err != nil {
			return body, err
		}
	}
}

// ReadWholeBody reads r's body (up to max+1 bytes with max > 0) for a check
// that must see all of it before the request is parsed (the CMS routing
// scan on the APIv4 route), into the buffer ParseEnvelope would read it
// into, and puts it back as r.Body: ParseEnvelope then takes those bytes as
// they are. One copy of the body, not two (and not the doubling of
// io.ReadAll). tooBig: it is longer than max. body must not be changed.
func ReadWholeBody(r *http.Request, max int64) (body []byte, tooBig bool, err error) {
	body, err = readAll(r, max)
	if tooBig = max > 0 && int64(len(body)) > max; tooBig || err != nil {
		putBodyBuffer(body)
		return nil, tooBig, err
	}
	r.Body = &wholeBody{Reader: bytes.NewReader(body), b: body}
	return body, false, nil
}

// wholeBody is a body ReadWholeBody read: a reader over b, which readBody
// takes whole while nothing has read from it.
type wholeBody struct {
	*bytes.Reader
	b []byte
}

func (*wholeBody) Close() error { return nil }

// Body buffers of requests refused before they were decoded are used
// again (a flood of large bodies without a credential then makes no
// garbage, and costs its bodies in flight, not twice that for the
// collector). Sizes are powers of two from bodyPoolMin; a smaller body
// gets a buffer of its own.
const bodyPoolMin = 64 << 10

var bodyPools [12]sync.Pool // 64 KiB … 128 MiB

func bodyPoolClass(size int) int {
	class, c := 0, bodyPoolMin
	for c < size {
		c <<= 1
		class++
	}
	return class
}

func getBodyBuffer(size int) []byte {
	if size < bodyPoolMin {
		return make([]byte, 0, size)
	}
	class := bodyPoolClass(size)
	if class >= len(bodyPools) {
		return make([]byte, 0, size)
	}
	if b, ok := bodyPools[class].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, bodyPoolMin<<class)
}

// putBodyBuffer hands a body buffer back for another request. Nothing may
// use it, nor any string sharing its memory, afterwards.
func putBodyBuffer(b []byte) {
	if cap(b) < bodyPoolMin || cap(b)&(cap(b)-1) != 0 {
		return
	}
	if class := bodyPoolClass(cap(b)); class < len(bodyPools) {
		b = b[:0]
		bodyPools[class].Put(&b)
	}
}

// parseBody is PHP's $_POST (POST only; WordPress also parses a form body
// itself for PUT/PATCH/DELETE, with parse_str). A urlencoded body is
// decoded in place: body must not be used as raw bytes afterwards, and
// must never change again (the values share its memory).
func parseBody(r *http.Request, form Form, body []byte, lim Limits) *Array {
	post := NewArray()
	if len(body) == 0 {
		return post
	}
	ct := r.Header.Get("Content-Type")
	switch mediaType(ct) {
	case "application/x-www-form-urlencoded":
		if r.Method == http.MethodPost || form == FormWPRest {
			parseFormInPlace(post, body, r.Method == http.MethodPost, lim)
		}
	case "multipart/form-data":
		if r.Method == http.MethodPost {
			parseMultipart(post, ct, body, lim)
		}
	}
	return post
}

// ParsePost fills dst with the $_POST PHP registers for a POST body of the
// given Content-Type (application/x-www-form-urlencoded or
// multipart/form-data; anything else registers nothing). body is not
// changed. For tools and the CiviCRM simulator.
func ParsePost(dst *Array, contentType string, body []byte, lim Limits) {
	lim = lim.withDefaults()
	switch mediaType(contentType) {
	case "application/x-www-form-urlencoded":
		parsePostBody(dst, string(body), lim)
	case "multipart/form-data":
		parseMultipart(dst, contentType, body, lim)
	}
}

// parseFormInPlace is parsePostBody (body true) or ParseQuery over a body
// it may overwrite: each name and value is url-decoded where it lies
// (decoding never makes text longer) and becomes a string sharing the
// body's memory.
func parseFormInPlace(dst *Array, form []byte, body bool, lim Limits) {
	lim = lim.withDefaults()
	formPieces(form, body, lim, func(piece []byte) {
		name, val := splitPiece(piece)
		registerVar(dst, name, val, lim)
	})
}

// splitPiece cuts name=value at the first '=' and url-decodes both in place.
func splitPiece(piece []byte) (name, val string) {
	n, v, _ := bytes.Cut(piece, []byte{'='})
	return urlDecodeInPlace(n), urlDecodeInPlace(v)
}

// urlDecodeInPlace is urlDecode writing over its input, returned as a
// string sharing the input's memory.
func urlDecodeInPlace(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if bytes.IndexByte(b, '%') >= 0 || bytes.IndexByte(b, '+') >= 0 {
		w := 0
		for i := 0; i < len(b); i++ {
			c := b[i]
			switch {
			case c == '+':
				c = ' '
			case c == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]):
				c = unhex(b[i+1])<<4 | unhex(b[i+2])
				i += 2
			}
			b[w] = c
			w++
		}
		b = b[:w]
		if w == 0 {
			return ""
		}
	}
	return unsafe.String(&b[0], len(b))
}

// parseMultipart registers the non-file fields of a multipart/form-data body
// as PHP's rfc1867 handler does: the first max_input_vars fields, names
// mangled like any other variable, values verbatim. Files go to $_FILES,
// which CiviCRM's REST layer never reads. A malformed body ends parsing with
// what was read so far.
func parseMultipart(dst *Array, ct string, body []byte, lim Limits) {
	formParts(ct, body, lim, func(name string, part io.Reader) bool {
		val, err := io.ReadAll(part)
		if err != nil {
			return false
		}
		registerVar(dst, name, string(val), lim)
		return true
	})
}

// formParts calls field with the name and content of each non-file field
// of a multipart/form-data body PHP registers (the first max_input_vars),
// until it returns false or the body ends or breaks.
func formParts(ct string, body []byte, lim Limits, field func(name string, part io.Reader) bool) {
	_, params, err := mime.ParseMediaType(ct)
	if err != nil || params["boundary"] == "" {
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	count := 0
	for {
		part, err := mr.NextRawPart()
		if err != nil {
			return
		}
		_, dp, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if err != nil {
			continue
		}
		if _, isFile := dp["filename"]; isFile {
			continue
		}
		name, ok := dp["name"]
		if !ok {
			continue
		}
		if count++; count > lim.MaxInputVars {
			continue
		}
		if !field(name, part) {
			return
		}
	}
}

// jsonBody is a POST body sent as application/json to extern/rest.php or
// civicrm/ajax/rest. CiviCRM's CRM_Utils_Request::exportValues (civicrm-core
// PR #30678; observed on 6.17.2) merges the members of such a body over the query: a body {"entity":…,
// "action":…,"json":{…}} is a call like any other. Nothing else reads it:
// $_REQUEST and $_POST stay empty, so a site key, an api_key or an _authx
// in it is no credential. An empty body, or one that is not a valid JSON
// object or array, is ignored.
type jsonBody struct {
	data   []byte
	values int               // values its decoding would create
	top    map[string][]byte // raw JSON of its envelope members
}

// envelopeMembers are the members of a JSON body the envelope looks at.
var envelopeMembers = [...]string{"q", "fnName", "entity", "json", "prettyprint"}

func scanJSONBody(r *http.Request, body []byte) *jsonBody {
	if r.Method != http.MethodPost || mediaType(r.Header.Get("Content-Type")) != "application/json" {
		return nil
	}
	t := bytes.TrimLeft(body, " \t\n\r")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil
	}
	jb := &jsonBody{data: body, top: map[string][]byte{}}
	n, err := scanJSONMembers(body, func(key string, raw []byte) {
		for _, m := range envelopeMembers {
			if key == m {
				jb.top[m] = raw
			}
		}
	})
	if err != nil {
		return nil
	}
	jb.values = n
	return jb
}

// decode is the body's full decoding, an array (nil if it is none).
func (jb *jsonBody) decode() *Array {
	v, err := decodeJSONString(unsafe.String(unsafe.SliceData(jb.data), len(jb.data)))
	if err != nil {
		return nil
	}
	a, _ := v.(*Array)
	return a
}

// envelopeValue stands for a JSON body member in the envelope: scalars as
// decoded, arrays and objects as an array that is empty exactly when they
// are (their contents are not needed before DecodeParams, so not decoded).
func envelopeValue(raw []byte) any {
	switch raw[0] {
	case '[', '{':
		a := NewArray()
		if inner := bytes.TrimSpace(raw[1 : len(raw)-1]); len(inner) > 0 {
			a.Set("0", nil)
		}
		return a
	}
	d := jsonDecoder{data: raw, alias: true}
	v, err := d.document()
	if err != nil {
		return nil
	}
	return v
}

// mediaType is the lower-cased type/subtype, cut where PHP's SAPI cuts it
// (at ';', ',' or a space).
func mediaType(ct string) string {
	ct = strings.TrimLeft(ct, " \t")
	if i := strings.IndexAny(ct, "; ,"); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(ct)
}

// isJSONMediaType is wp_is_json_media_type: application/json or any +json type.
func isJSONMediaType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
