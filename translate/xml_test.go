package translate

import (
	"strings"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("DecodeJSON(%s): %v", s, err)
	}
	return v
}

const (
	xmlHeadNoCount = "<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" >\n      "
)

func xmlHeadCount(n string) string {
	return "<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"  count=\"" + n + "\" >\n      "
}

// Spec test vectors 15-24 (byte-exact outputs of CRM_Utils_REST::output and
// CRM_Utils_Array::xml).
func TestRenderXMLVectors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"15 auth error", `{"error_message":"Failed to authenticate key","is_error":1}`,
			xmlHeadNoCount + "<Result>\n    <error_message>Failed to authenticate key</error_message>\n    <is_error>1</is_error>\n</Result>\n</ResultSet>\n"},
		{"16 contact get", `{"is_error":0,"version":3,"count":2,"values":{"3":{"contact_id":"3","display_name":"A & B <x>","id":"3"},"7":{"contact_id":"7","display_name":"Sm\u0001ith","id":"7"}}}`,
			xmlHeadCount("2") + "<Result>\n    <contact_id>3</contact_id>\n    <display_name>A &amp; B &lt;x&gt;</display_name>\n    <id>3</id>\n</Result>\n<Result>\n    <contact_id>7</contact_id>\n    <display_name>Sm,ith</display_name>\n    <id>7</id>\n</Result>\n</ResultSet>\n"},
		{"17 nested", `{"count":1,"id":3,"values":{"3":{"contact_id":"3","email":["a@x.org","b@x.org"],"tags":{"x":{"name":"t1"}}}}}`,
			xmlHeadCount("1") + "<Result>\n    <contact_id>3</contact_id>\n    <email>\n        <0>a@x.org</0>\n        <1>b@x.org</1>\n    </email>\n    <tags>\n        <x>\n            <name>t1</name>\n        </x>\n    </tags>\n</Result>\n</ResultSet>\n"},
		{"18 getoptions", `{"is_error":0,"version":3,"count":2,"values":{"1":"Home","2":"Work"}}`,
			"<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"  count=\"2\" >\n      <Result>\n<id>1</id><value>Home</value></Result>\n<Result>\n<id>2</id><value>Work</value></Result>\n</ResultSet>\n"},
		{"19 getcount", `{"is_error":0,"result":5}`,
			"<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" >\n      <Result>\n    <is_error>0</is_error>\n    <result>5</result>\n</Result>\n</ResultSet>\n"},
		{"20 getsingle flat", `{"contact_id":"3","display_name":"Joe","id":"3","is_error":0}`,
			xmlHeadNoCount + "<Result>\n    <contact_id>3</contact_id>\n    <display_name>Joe</display_name>\n    <id>3</id>\n    <is_error>0</is_error>\n</Result>\n</ResultSet>\n"},
		{"21 getsingle chained", `{"contact_id":"3","id":"3","api.Email.get":{"is_error":0,"version":3,"count":0,"values":[]}}`,
			"<?xml version=\"1.0\"?>\n      <ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" >\n      </ResultSet>\n"},
		{"22 unknown entity", `{"error_code":"not-found","entity":"Foo","action":"get","is_error":1,"error_message":"API (Foo, get) does not exist (join the API team and implement it!)"}`,
			xmlHeadNoCount + "<Result>\n    <error_code>not-found</error_code>\n    <entity>Foo</entity>\n    <action>get</action>\n    <is_error>1</is_error>\n    <error_message>API (Foo, get) does not exist (join the API team and implement it!)</error_message>\n</Result>\n</ResultSet>\n"},
		{"23 mandatory missing", `{"fields":["contact_type"],"error_code":"mandatory_missing","entity":"Contact","action":"create","is_error":1,"error_message":"Mandatory key(s) missing from params array: contact_type"}`,
			xmlHeadNoCount + "</ResultSet>\n"},
		{"24 getsingle 5", `{"count":5,"is_error":1,"error_message":"Expected one Contact but found 5"}`,
			xmlHeadCount("5") + "<Result>\n    <count>5</count>\n    <is_error>1</is_error>\n    <error_message>Expected one Contact but found 5</error_message>\n</Result>\n</ResultSet>\n"},
		{"25 create", `{"is_error":0,"version":3,"count":1,"id":42,"values":{"42":{"id":"42","contact_type":"Individual","display_name":"Alice Roberts"}}}`,
			xmlHeadCount("1") + "<Result>\n    <id>42</id>\n    <contact_type>Individual</contact_type>\n    <display_name>Alice Roberts</display_name>\n</Result>\n</ResultSet>\n"},
		{"empty values", `{"is_error":0,"version":3,"count":0,"values":[]}`,
			xmlHeadCount("0") + "</ResultSet>\n"},
		{"scalars stringify like PHP", `{"is_error":0,"values":[{"t":true,"f":false,"n":null,"x":1.5,"big":1e20,"q":"\"'"}]}`,
			xmlHeadNoCount + "<Result>\n    <t>1</t>\n    <f></f>\n    <n></n>\n    <x>1.5</x>\n    <big>1.0E+20</big>\n    <q>\"'</q>\n</Result>\n</ResultSet>\n"},
		{"null count is not set", `{"count":null,"is_error":1,"error_message":"x"}`,
			xmlHeadNoCount + "<Result>\n    <count></count>\n    <is_error>1</is_error>\n    <error_message>x</error_message>\n</Result>\n</ResultSet>\n"},
		{"getoptions value unescaped", `{"count":1,"values":{"a&b":"<i>"}}`,
			xmlHeadCount("1") + "<Result>\n<id>a&b</id><value><i></value></Result>\n</ResultSet>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(RenderXML(mustDecode(t, tt.in)))
			if got != tt.want {
				t.Errorf("RenderXML mismatch\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

// Raw (not yet output()-processed) results: the pre-processing of
// CRM_Utils_REST::output.
func TestRenderXMLPreprocess(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{Number("5"), "<is_error>0</is_error>\n    <result>5</result>"},
		{"", "<is_error>0</is_error>\n    <result>0</result>"},
		{"0", "<is_error>0</is_error>\n    <result>0</result>"},
		{false, "<is_error>0</is_error>\n    <result>0</result>"},
		{"Joe", "<is_error>0</is_error>\n    <result>Joe</result>"},
		{nil, "<error_message>Could not interpret return values from function.</error_message>\n    <is_error>1</is_error>"},
	}
	for _, tt := range tests {
		got := string(RenderXML(tt.in))
		want := xmlHeadNoCount + "<Result>\n    " + tt.want + "\n</Result>\n</ResultSet>\n"
		if got != want {
			t.Errorf("RenderXML(%#v)\n got: %q\nwant: %q", tt.in, got, want)
		}
	}
	// A flat array without is_error gains one at the end, without
	// modifying the caller's array.
	a := mustDecode(t, `{"id":"3"}`).(*Array)
	got := string(RenderXML(a))
	if !strings.Contains(got, "<id>3</id>\n    <is_error>0</is_error>\n") {
		t.Errorf("flat array: %q", got)
	}
	if a.Has("is_error") {
		t.Error("RenderXML modified its input")
	}
}

// Spec vector 37 and the DOMDocument details of the WordPress controller.
func TestRenderWPXML(t *testing.T) {
	const head = "<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
	tests := []struct {
		name string
		in   string
		want string
		ok   bool
	}{
		{"37", `{"is_error":0,"version":3,"count":1,"values":[{"contact_id":"3","display_name":"Joe"}]}`,
			head + ` count="1"><Result><contact_id>3</contact_id><display_name>Joe</display_name></Result></ResultSet>` + "\n", true},
		{"37 ampersand empties", `{"count":1,"values":[{"display_name":"A & B","x":"<y>"}]}`,
			head + ` count="1"><Result><display_name/><x>&lt;y&gt;</x></Result></ResultSet>` + "\n", true},
		{"array field", `{"count":1,"values":[{"email":["a@x","b@x"],"e":[],"s":""}]}`,
			head + ` count="1"><Result><email><_0>a@x</_0><_1>b@x</_1></email><e/><s></s></Result></ResultSet>` + "\n", true},
		// Made by the plugin's get_xml_formatted_data under PHP 8.2 with
		// libxml2 2.9.14: CR in text and attribute, empty nodeValue and
		// createElement values, a null row cast to [].
		{"empty fields and CR", `{"count":"1\r","values":[{"a":"x\ry","arr":{"k":"","l":"p\rq","m":null},"n":null,"f":false,"t":true},[]]}`,
			head + ` count="1&#13;"><Result><a>x&#xD;y</a><arr><_k/><_l>p&#xD;q</_l><_m/></arr><n></n><f></f><t>1</t></Result><Result/></ResultSet>` + "\n", true},
		{"no values: the record", `{"contact_id":"3","name":"Jos\u00e9"}`,
			head + `><Result><contact_id>3</contact_id><name>Jos&#xE9;</name></Result></ResultSet>` + "\n", true},
		{"empty values", `{"is_error":0,"count":0,"values":[]}`, head + ` count="0"/>` + "\n", true},
		{"numeric field name", `{"values":[{"1":"x"}]}`, "", false},
		{"deep nesting", `{"values":[{"a":{"b":{"c":1}}}]}`, "", false},
		{"scalar row", `{"values":["Home"]}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RenderWPXML(mustDecode(t, tt.in))
			if ok != tt.ok || string(got) != tt.want {
				t.Errorf("RenderWPXML = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := RenderWPXML(Number("5")); ok {
		t.Error("scalar data must fail like PHP's TypeError")
	}
}

func FuzzRenderXML(f *testing.F) {
	for _, s := range []string{
		`{"is_error":0,"version":3,"count":2,"values":{"3":{"a":"b"},"7":{"c":[1,2,{"d":null}]}}}`,
		`{"is_error":0,"result":5}`, `5`, `"x"`, `null`, `[]`, `{"values":"x"}`, `{"count":{"a":1},"values":[1,"<"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeJSON(data)
		if err != nil {
			return
		}
		out := RenderXML(v)
		if !strings.HasPrefix(string(out), "<?xml version=\"1.0\"?>\n      <ResultSet ") || !strings.HasSuffix(string(out), "</ResultSet>\n") {
			t.Fatalf("bad document %q", out)
		}
		if b, ok := RenderWPXML(v); ok && !strings.HasPrefix(string(b), "<?xml version=\"1.0\"?>\n<ResultSet ") {
			t.Fatalf("bad WP document %q", b)
		}
	})
}

func BenchmarkRenderXML(b *testing.B) {
	v := mustDecode(b, `{"is_error":0,"version":3,"count":2,"values":{"3":{"contact_id":"3","display_name":"A & B <x>","id":"3","email":["a@x.org","b@x.org"]},"7":{"contact_id":"7","display_name":"Smith","id":"7","email":[]}}}`)
	b.ReportAllocs()
	for b.Loop() {
		RenderXML(v)
	}
}
