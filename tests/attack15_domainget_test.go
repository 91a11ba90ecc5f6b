package tests

import "testing"

// APIv3 Domain.get answers the domain contact's location and the default
// From address: civicrm_api3_domain_get (api/v3/Domain.php) reads
// CRM_Core_BAO_Location::getValues(['contact_id' => $domain['contact_id']])
// into domain_email, domain_phone and domain_address, and
// CRM_Core_BAO_Domain::getNameAndEmail() (CRM/Core/BAO/Domain.php: a
// SiteEmailAddress::get of the domain's default, active address) into
// from_name and from_email. So a write of the organisation's e-mail, phone
// or address, or of its From addresses, changes the cached answer, which
// integrations read for the site's sender; Civigate keeps serving it.
func TestA15DomainGetShowsDomainContact(t *testing.T) {
	why := "civicrm_api3_domain_get returns domain_email, domain_phone and domain_address from the domain contact's " +
		"location (CRM_Core_BAO_Location::getValues) and from_name/from_email from SiteEmailAddress (getNameAndEmail)"
	read := a10bCall{3, "Domain", "get", `{"current_domain":1}`}
	a15MustInvalidate(t, []a15Case{
		{read: read, write: a10bCall{3, "Email", "create", `{"contact_id":1,"email":"office@example.org","is_primary":1}`}, why: why},
		{read: read, write: a10bCall{3, "Phone", "create", `{"contact_id":1,"phone":"555-0100","is_primary":1}`}, why: why},
		{read: read, write: a10bCall{4, "Address", "update", `{"where":[["contact_id","=",1],["is_primary","=",true]],"values":{"city":"Capital City"}}`}, why: why},
		{read: read, write: a10bCall{4, "SiteEmailAddress", "create", `{"values":{"display_name":"Office","email":"office@example.org","is_default":true,"is_active":true}}`}, why: why},
	})
}
