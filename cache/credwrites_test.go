package cache

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

func TestChangesCredentials(t *testing.T) {
	rest := "/civicrm/ajax/rest?entity="
	for name, tc := range map[string]struct {
		call *translate.Call
		want bool
	}{
		"v3 Contact.create api_key":        {jsonCall(t, "Contact", "create", `{"id":3,"api_key":"k"}`), true},
		"v3 Contact.setvalue api_key":      {jsonCall(t, "Contact", "setvalue", `{"id":3,"field":"api_key","value":"k"}`), true},
		"v3 chained Contact.create":        {jsonCall(t, "Email", "get", `{"api.Contact.create":{"id":3,"api_key":"k"}}`), true},
		"v3 deep chain":                    {jsonCall(t, "Email", "get", `{"api.Email.get":{"api.Contact.create":{"id":3,"api_key":"k"}}}`), true},
		"v3 Contact.merge":                 {jsonCall(t, "Contact", "merge", `{"to_keep_id":3,"to_remove_id":4}`), true},
		"v3 User.create":                   {jsonCall(t, "User", "create", `{"id":3,"password":"p"}`), true},
		"v3 UFMatch.create":                {jsonCall(t, "UFMatch", "create", `{"uf_id":3,"contact_id":4}`), true},
		"v3 Setting.create":                {jsonCall(t, "Setting", "create", `{"authx_guards":[]}`), true},
		"v3 form Contact.create api_key":   {httpCall(t, "POST", rest+"Contact&action=create&json="+q(`{"id":3,"api_key":"k"}`), ""), true},
		"v4 Contact.update values":         {api4(t, "POST", "/civicrm/ajax/api4/Contact/update", `params={"where":[["id","=",3]],"values":{"api_key":"k"}}`), true},
		"v4 Individual.save records":       {api4(t, "POST", "/civicrm/ajax/api4/Individual/save", `params={"records":[{"id":3,"api_key":"k"}]}`), true},
		"v4 Contact.save defaults":         {api4(t, "POST", "/civicrm/ajax/api4/Contact/save", `params={"records":[{"id":3}],"defaults":{"api_key":"k"}}`), true},
		"v4 chained Contact.update":        {api4(t, "POST", "/civicrm/ajax/api4/Email/get", `params={"chain":{"c":["Contact","update",{"where":[["id","=",3]],"values":{"api_key":"k"}}]}}`), true},
		"v4 batch member":                  {api4(t, "POST", "/civicrm/ajax/api4", `calls=[["Note","create"],["Contact","update",{"values":{"api_key":"k"}}]]`), true},
		"v4 User.update":                   {api4(t, "POST", "/civicrm/ajax/api4/User/update", `params={"values":{"password":"p"}}`), true},
		"v4 Contact.mergeDuplicates":       {api4(t, "POST", "/civicrm/ajax/api4/Contact/mergeDuplicates", `params={}`), true},
		"v4 dynamic chain":                 {api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params={"chain":{"n":["$entity","delete"]}}`, ""), true},
		"v3 Contact.create, no api_key":    {jsonCall(t, "Contact", "create", `{"id":3,"first_name":"A"}`), false},
		"v3 Contact.get api_key":           {jsonCall(t, "Contact", "get", `{"return":"api_key"}`), false},
		"v3 Contribution.create":           {jsonCall(t, "Contribution", "create", `{"contact_id":3,"total_amount":5}`), false},
		"v3 Job.execute":                   {jsonCall(t, "Job", "execute", `{}`), true},
		"v3 Job.process_batch_merge":       {jsonCall(t, "Job", "process_batch_merge", `{"mode":"safe"}`), true},
		"v3 Job.send_reminder":             {jsonCall(t, "Job", "send_reminder", `{}`), false},
		"v3 Email.create api_key":          {jsonCall(t, "Email", "create", `{"contact_id":3,"email":"a@b","api_key":"k"}`), true},
		"v4 Afform.submit api_key":         {api4(t, "POST", "/civicrm/ajax/api4/Afform/submit", `params={"name":"f","values":{"Individual1":[{"fields":{"id":3,"api_key":"k"}}]}}`), true},
		"v4 Afform.submit User1":           {api4(t, "POST", "/civicrm/ajax/api4/Afform/submit", `params={"name":"f","values":{"User1":[{"fields":{"id":3,"is_active":false}}]}}`), true},
		"v4 Afform.submit password":        {api4(t, "POST", "/civicrm/ajax/api4/Afform/submit", `params={"name":"f","values":{"Individual1":[{"fields":{"hashed_password":"x"}}]}}`), true},
		"v4 SearchDisplay.inlineEdit":      {api4(t, "POST", "/civicrm/ajax/api4/SearchDisplay/inlineEdit", `params={"rowKey":3,"values":{"api_key":"k"}}`), true},
		"v4 Afform.submit public form":     {api4(t, "POST", "/civicrm/ajax/api4/Afform/submit", `params={"name":"f","values":{"Individual1":[{"fields":{"first_name":"A","email":"a@b"}}],"Activity1":[{"fields":{"subject":"User1"}}]}}`), false},
		"v3 Profile.submit public profile": {jsonCall(t, "Profile", "submit", `{"profile_id":1,"first_name":"A","email-Primary":"a@b"}`), false},
		"v3 Profile.submit api_key":        {jsonCall(t, "Profile", "submit", `{"profile_id":1,"contact_id":3,"api_key":"k"}`), true},
		"v4 Afform.submitDraft":            {api4(t, "POST", "/civicrm/ajax/api4/Afform/submitDraft", `params={"name":"f","values":{}}`), false},
		"v4 Contact.update, no api_key":    {api4(t, "POST", "/civicrm/ajax/api4/Contact/update", `params={"values":{"first_name":"A"}}`), false},
		"v4 Order.create":                  {api4(t, "POST", "/civicrm/ajax/api4/Order/create", `params={}`), false},
		"v4 Payment.create":                {api4(t, "POST", "/civicrm/ajax/api4/Payment/create", `params={}`), false},
		"v4 Contact.get selecting api_key": {api4(t, "POST", "/civicrm/ajax/api4/Contact/get", `params={"select":["api_key"]}`), false},
		"v4 Setting.get":                   {api4(t, "POST", "/civicrm/ajax/api4/Setting/get", `params={}`), false},
		"v3 Contact.delete":                {jsonCall(t, "Contact", "delete", `{"id":3}`), true},
		"v3 Contact.delete skip_undelete":  {jsonCall(t, "Contact", "delete", `{"id":3,"skip_undelete":1}`), true},
		"v3 chained Contact.delete":        {jsonCall(t, "Email", "get", `{"api.Contact.delete":{"id":3}}`), true},
		"v3 Contact.replace":               {jsonCall(t, "Contact", "replace", `{"contact_type":"Individual","values":[]}`), true},
		"v3 Contact.create is_deleted":     {jsonCall(t, "Contact", "create", `{"id":3,"is_deleted":1}`), true},
		"v4 Contact.delete useTrash false": {api4(t, "POST", "/civicrm/ajax/api4/Contact/delete", `params={"where":[["id","=",3]],"useTrash":false}`), true},
		"v4 Individual.delete":             {api4(t, "POST", "/civicrm/ajax/api4/Individual/delete", `params={"where":[["id","=",3]]}`), true},
		"v4 Contact.update is_deleted":     {api4(t, "POST", "/civicrm/ajax/api4/Contact/update", `params={"where":[["id","=",3]],"values":{"is_deleted":true}}`), true},
		"v4 Contact.update where deleted":  {api4(t, "POST", "/civicrm/ajax/api4/Contact/update", `params={"where":[["is_deleted","=",0]],"values":{"first_name":"A"}}`), false},
		"v4 Email.delete":                  {api4(t, "POST", "/civicrm/ajax/api4/Email/delete", `params={"where":[["contact_id","=",3]]}`), false},
		"v3 Contact.get is_deleted":        {jsonCall(t, "Contact", "get", `{"is_deleted":1}`), false},
	} {
		if got := ChangesCredentials(tc.call); got != tc.want {
			t.Errorf("%s: ChangesCredentials = %v, want %v", name, got, tc.want)
		}
	}
}

// A write that may save an e-mail may rename a CMS user (updateUFName ->
// updateCMSName), and so change which passwords CiviCRM accepts where the
// login takes an e-mail (WordPress): RenamesUsers counts it, by what
// WriteTargets says the call writes; ChangesCredentials does not (it
// changes no key).
func TestRenamesUsers(t *testing.T) {
	for name, tc := range map[string]struct {
		call *translate.Call
		want bool
	}{
		"v3 Email.create":                       {jsonCall(t, "Email", "create", `{"id":2,"email":"a@b.c"}`), true},
		"v3 email.create":                       {jsonCall(t, "email", "create", `{"contact_id":2,"email":"a@b.c","is_primary":1}`), true},
		"v3 Contact.create email":               {jsonCall(t, "Contact", "create", `{"id":2,"email":"a@b.c"}`), true},
		"v3 chained Email.create":               {jsonCall(t, "Contact", "get", `{"id":2,"api.Email.create":{"email":"a@b.c"}}`), true},
		"v3 Email.delete":                       {jsonCall(t, "Email", "delete", `{"id":2}`), true},
		"v3 LocBlock.create inline email":       {jsonCall(t, "LocBlock", "create", `{"email":{"email":"a@b.c"}}`), true},
		"v3 Profile.submit":                     {jsonCall(t, "Profile", "submit", `{"profile_id":1,"contact_id":2,"email-Primary":"a@b.c"}`), true},
		"v4 Email.update":                       {api4(t, "POST", "/civicrm/ajax/api4/Email/update", `params={"where":[["id","=",2]],"values":{"email":"a@b.c"}}`), true},
		"v4 Email.save":                         {api4(t, "POST", "/civicrm/ajax/api4/Email/save", `params={"records":[{"id":2,"email":"a@b.c"}]}`), true},
		"v4 Email.create":                       {api4(t, "POST", "/civicrm/ajax/api4/Email/create", `params={"values":{"contact_id":2,"email":"a@b.c"}}`), true},
		"v4 Contact.update email_primary.email": {api4(t, "POST", "/civicrm/ajax/api4/Contact/update", `params={"where":[["id","=",2]],"values":{"email_primary.email":"a@b.c"}}`), true},
		"v4 Individual.save email_primary":      {api4(t, "POST", "/civicrm/ajax/api4/Individual/save", `params={"records":[{"id":2,"email_primary.email":"a@b.c"}]}`), true},
		"v4 Afform.submit":                      {api4(t, "POST", "/civicrm/ajax/api4/Afform/submit", `params={"name":"f","values":{"Individual1":[{"fields":{"id":2},"joins":{"Email":[{"email":"a@b.c"}]}}]}}`), true},
		"v4 batch member":                       {api4(t, "POST", "/civicrm/ajax/api4", `calls=[["Note","create"],["Email","update",{"values":{"email":"a@b.c"}}]]`), true},
		"v3 Contact.create first_name":          {jsonCall(t, "Contact", "create", `{"id":2,"first_name":"A"}`), false},
		"v3 Phone.create":                       {jsonCall(t, "Phone", "create", `{"contact_id":2,"phone":"1"}`), false},
		"v3 Email.get":                          {jsonCall(t, "Email", "get", `{"contact_id":2}`), false},
		"v3 Contact.get chaining Email.get":     {jsonCall(t, "Contact", "get", `{"api.Email.get":{}}`), false},
		"v4 Email.get":                          {api4(t, "POST", "/civicrm/ajax/api4/Email/get", `params={"where":[["contact_id","=",2]]}`), false},
		"v4 Contact.update first_name":          {api4(t, "POST", "/civicrm/ajax/api4/Contact/update", `params={"where":[["id","=",2]],"values":{"first_name":"A"}}`), false},
		"v4 Note.create":                        {api4(t, "POST", "/civicrm/ajax/api4/Note/create", `params={"values":{"note":"n"}}`), false},
	} {
		if got := RenamesUsers(tc.call); got != tc.want {
			t.Errorf("%s: RenamesUsers = %v, want %v", name, got, tc.want)
		}
		if tc.want && ChangesCredentials(tc.call) {
			t.Errorf("%s: ChangesCredentials counts an e-mail write", name)
		}
	}
}
