package authx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// JWT headers and claim sets, read and written as CiviCRM's PHP does.

// phpJSONObject decodes b as firebase/php-jwt does a JWT header or claim
// set: json_decode($b, false, 512, JSON_BIGINT_AS_STRING). Keys are exact
// (no case folding), a repeated key keeps its last value, invalid UTF-8,
// control characters and too deep nesting are errors, and so is an object
// key starting with NUL (PHP cannot make it a property name). ok is false
// unless b is a JSON object.
func phpJSONObject(b []byte) (obj *translate.Array, ok bool) {
	v, err := translate.DecodeJSON(b)
	if err != nil {
		return nil, false
	}
	// A JSON list decodes to an array, not an object (stdClass).
	obj, ok = v.(*translate.Array)
	if !ok || bytes.TrimLeft(b, " \t\r\n")[0] != '{' || nulKey(obj) {
		return nil, false
	}
	return obj, true
}

func nulKey(a *translate.Array) bool {
	for i := 0; i < a.Len(); i++ {
		if strings.HasPrefix(a.Key(i), "\x00") {
			return true
		}
		if sub, ok := a.Value(i).(*translate.Array); ok && nulKey(sub) {
			return true
		}
	}
	return false
}

// claimValue is $obj->name (isset: a JSON null is absent).
func claimValue(obj *translate.Array, name string) any {
	if obj == nil {
		return nil
	}
	v, _ := obj.Get(name)
	return v
}

// claimOrder is the order CiviCRM's AuthxCredential.create writes claims in.
var claimOrder = []string{"exp", "sub", "scope", "nbf", "iat"}

// phpJWTJSON encodes a JWT header or claim set as firebase/php-jwt does:
// json_encode(…, JSON_UNESCAPED_SLASHES), so non-ASCII as \uXXXX and "/"
// as is.
func phpJWTJSON(a *translate.Array) []byte {
	return translate.EncodeJSON(a, translate.JSONOptions{EscapeUnicode: true})
}

// claimsArray orders a claim set as CiviCRM does: its own claims first in
// its order, then any others sorted by name (a Go map has no order).
func claimsArray(m map[string]any) (*translate.Array, error) {
	keys := make([]string, 0, len(m))
	for _, k := range claimOrder {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(claimOrder, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return objectOf(append(keys, rest...), m)
}

func objectOf(keys []string, m map[string]any) (*translate.Array, error) {
	a := translate.NewArray()
	for _, k := range keys {
		v, err := phpValue(m[k])
		if err != nil {
			return nil, err
		}
		a.Set(k, v)
	}
	return a, nil
}

// phpValue converts a Go claim value to the PHP value json_encode sees.
func phpValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case int:
		return translate.Number(strconv.Itoa(x)), nil
	case int32:
		return translate.Number(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return translate.Number(strconv.FormatInt(x, 10)), nil
	case uint32:
		return translate.Number(strconv.FormatUint(uint64(x), 10)), nil
	case uint64:
		return translate.Number(strconv.FormatUint(x, 10)), nil
	case json.Number:
		return translate.Number(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("authx: claim value %v cannot be encoded", x)
		}
		// An integral float is almost always a Unix time that went through
		// encoding/json; CiviCRM writes those as integers.
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return translate.Number(strconv.FormatInt(int64(x), 10)), nil
		}
		return translate.Number(strconv.FormatFloat(x, 'g', 17, 64)), nil
	case []string:
		list := translate.NewArray()
		for _, s := range x {
			list.Append(s)
		}
		return list, nil
	case []any:
		list := translate.NewArray()
		for _, el := range x {
			pv, err := phpValue(el)
			if err != nil {
				return nil, err
			}
			list.Append(pv)
		}
		return list, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return objectOf(keys, x)
	}
	return nil, fmt.Errorf("authx: claim type %T not supported", v)
}
