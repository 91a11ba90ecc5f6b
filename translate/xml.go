package translate

import "strings"

// xmlHead is what CRM_Utils_REST::output() writes before the ResultSet's
// optional count attribute: the declaration, then the opening tag indented by
// six spaces because the PHP source has the literal string broken over two
// lines.
const xmlHead = "<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "

// RenderXML renders an APIv3 result (after CRM_Utils_REST::output's
// pre-processing) as CRM_Utils_Array::xml does, byte for byte.
//
// result is normally the decoded JSON an upstream civicrm/ajax/rest sent
// (already pre-processed by CiviCRM). Anything else is first run through
// Preprocess, so a raw scalar becomes {"is_error":0,"result":…} exactly as
// CiviCRM would wrap it.
//
// The output is not always well-formed XML, on purpose: CiviCRM emits keys
// verbatim as tag names (<0>, <api.Email.get>), does not escape quotes and
// does not escape the value of scalar "values" entries. Legacy clients parse
// what CiviCRM sent, so that is what they get.
func RenderXML(result any) []byte {
	res, hier := Preprocess(result)
	var b strings.Builder
	b.Grow(256)
	b.WriteString(xmlHead)
	// isset($result['count']): present and not null.
	if c, ok := res.Get("count"); ok && c != nil {
		b.WriteString(" count=\"")
		b.WriteString(PHPString(c))
		b.WriteString("\" ")
	}
	b.WriteString(">\n      ")
	if hier {
		// Only $result['values'] is rendered; a hierarchical result without
		// an array there (an error carrying `fields`, a getsingle with a
		// chained call) gives an empty ResultSet: foreach over a non-array
		// only warns.
		if vals, ok := res.Get("values"); ok {
			if arr, ok := vals.(*Array); ok {
				for i := range arr.Len() {
					v := arr.Value(i)
					if sub, ok := v.(*Array); ok {
						b.WriteString("<Result>\n")
						writeXMLList(&b, sub, 1)
						b.WriteString("</Result>\n")
					} else {
						// "<id>{$n}</id><value>{$v}</value>": interpolated, not escaped.
						b.WriteString("<Result>\n<id>")
						b.WriteString(arr.Key(i))
						b.WriteString("</id><value>")
						b.WriteString(PHPString(v))
						b.WriteString("</value></Result>\n")
					}
				}
			}
		}
	} else {
		b.WriteString("<Result>\n")
		writeXMLList(&b, res, 1)
		b.WriteString("</Result>\n")
	}
	b.WriteString("</ResultSet>\n")
	return []byte(b.String())
}

// writeXMLList is CRM_Utils_Array::xml($list, $depth).
func writeXMLList(b *strings.Builder, list *Array, depth int) {
	for i := range list.Len() {
		name := list.Key(i)
		writeIndent(b, depth)
		if sub, ok := list.Value(i).(*Array); ok {
			b.WriteByte('<')
			b.WriteString(name)
			b.WriteString(">\n")
			writeXMLList(b, sub, depth+1)
			writeIndent(b, depth)
			b.WriteString("</")
			b.WriteString(name)
			b.WriteString(">\n")
			continue
		}
		b.WriteByte('<')
		b.WriteString(name)
		b.WriteByte('>')
		escapeXMLTo(b, PHPString(list.Value(i)))
		b.WriteString("</")
		b.WriteString(name)
		b.WriteString(">\n")
	}
}

func writeIndent(b *strings.Builder, depth int) {
	for range depth * 4 {
		b.WriteByte(' ')
	}
}

// escapeXMLTo is CRM_Utils_Array::escapeXML: only &, <, > and \x01 (which
// becomes a comma) are replaced; quotes are left alone.
func escapeXMLTo(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '\x01':
			rep = ","
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(rep)
		start = i + 1
	}
	b.WriteString(s[start:])
}

// Preprocess is the first half of CRM_Utils_REST::output(): a scalar result
// becomes {"is_error":0,"result":v} (falsy scalars become the int 0), an
// array is "hierarchical" when any top-level value is an array, and a flat
// array gains a trailing is_error:0 when it has none; anything else becomes
// the "Could not interpret return values" error. The input is not modified.
func Preprocess(result any) (res *Array, hierarchical bool) {
	switch x := result.(type) {
	case *Array:
		if x == nil {
			break
		}
		for i := range x.Len() {
			if _, ok := x.Value(i).(*Array); ok {
				return x, true
			}
		}
		if x.Has("is_error") {
			return x, false
		}
		c := x.Clone()
		c.Set("is_error", Number("0"))
		return c, false
	case string, Number, bool, int, int64:
		v := x
		if phpIsEmpty(x) {
			v = Number("0")
		}
		r := NewArray()
		r.Set("is_error", Number("0"))
		r.Set("result", v)
		return r, false
	}
	r := NewArray()
	r.Set("error_message", "Could not interpret return values from function.")
	r.Set("is_error", Number("1"))
	return r, false
}

// phpIsEmpty is PHP's empty() for scalars and arrays.
func phpIsEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == "" || x == "0"
	case Number:
		s := PHPString(x)
		return s == "0" || s == "-0"
	case int:
		return x == 0
	case int64:
		return x == 0
	case *Array:
		return x.Len() == 0
	}
	return false
}
