package civicrmsim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// contact is one civicrm_contact row. Plain DAO columns live in f (keyed by
// the names CiviCRM's Contact.create output uses) so create/update and
// filters need no per-field code; joined values (email, phone) are looked up
// when a Contact.get row is built.
type contact struct {
	id      int64
	f       map[string]string
	deleted bool
	apiKey  string // civicrm_contact.api_key
}

type email struct {
	id, contactID int64
	f             map[string]string
}

type phone struct {
	id, contactID int64
	f             map[string]string
}

type group struct {
	id    int64
	name  string
	title string
}

type groupContact struct {
	id, groupID, contactID int64
}

// note is one civicrm_note row (APIv4's Note; APIv3 does not simulate it).
// f holds the DAO columns as strings, "" for NULL, like contact.f.
type note struct {
	id int64
	f  map[string]string
}

// store is the simulator's database. Every access holds Simulator.mu.
type store struct {
	contacts map[int64]*contact
	emails   map[int64]*email
	phones   map[int64]*phone
	groups   map[int64]*group
	members  map[int64]*groupContact
	notes    map[int64]*note
	// priceFields and lineItems are records of the same shape as notes
	// (api4price.go).
	priceFields map[int64]*note
	lineItems   map[int64]*note
	nextID      map[string]int64 // per table auto-increment
	createdAt   func() string
}

func newStore() *store {
	return &store{
		contacts:    map[int64]*contact{},
		emails:      map[int64]*email{},
		phones:      map[int64]*phone{},
		groups:      map[int64]*group{},
		members:     map[int64]*groupContact{},
		notes:       map[int64]*note{},
		priceFields: map[int64]*note{},
		lineItems:   map[int64]*note{},
		nextID:      map[string]int64{"contact": 1, "email": 1, "phone": 1, "group": 1, "group_contact": 1, "note": 1},
	}
}

func (s *store) bump(table string, id int64) {
	if id >= s.nextID[table] {
		s.nextID[table] = id + 1
	}
}

func (s *store) take(table string) int64 {
	id := s.nextID[table]
	s.nextID[table] = id + 1
	return id
}

// contactDAOFields is the civicrm_contact column list in the order
// Contact.create returns it (recordings: "POST create with chained
// api.email.create").
var contactDAOFields = []string{
	"id", "contact_type", "external_identifier", "display_name", "organization_name", "contact_sub_type",
	"first_name", "middle_name", "last_name", "do_not_email", "do_not_phone", "do_not_mail", "do_not_sms",
	"do_not_trade", "is_opt_out", "legal_identifier", "sort_name", "nick_name", "legal_name", "image_URL",
	"preferred_communication_method", "preferred_language", "hash", "api_key", "prefix_id", "suffix_id",
	"formal_title", "communication_style_id", "email_greeting_id", "email_greeting_custom",
	"email_greeting_display", "postal_greeting_id", "postal_greeting_custom", "postal_greeting_display",
	"addressee_id", "addressee_custom", "addressee_display", "job_title", "gender_id", "birth_date",
	"is_deceased", "deceased_date", "household_name", "primary_contact_id", "sic_code", "user_unique_id",
	"created_date", "modified_date", "preferred_mail_format",
}

// contactGetFields is the Contact.get row, in order (recordings, rt-1).
var contactGetFields = []string{
	"contact_id", "contact_type", "contact_sub_type", "sort_name", "display_name", "external_identifier",
	"organization_name", "first_name", "middle_name", "last_name", "do_not_email", "do_not_phone",
	"do_not_mail", "do_not_sms", "do_not_trade", "is_opt_out", "legal_identifier", "nick_name", "legal_name",
	"image_URL", "preferred_communication_method", "preferred_language", "contact_source", "prefix_id",
	"suffix_id", "formal_title", "communication_style_id", "job_title", "gender_id", "birth_date",
	"is_deceased", "deceased_date", "household_name", "sic_code", "contact_is_deleted", "current_employer",
	"address_id", "street_address", "supplemental_address_1", "supplemental_address_2",
	"supplemental_address_3", "city", "postal_code_suffix", "postal_code", "geo_code_1", "geo_code_2",
	"state_province_id", "country_id", "phone_id", "phone_type_id", "phone", "email_id", "email", "on_hold",
	"im_id", "provider_id", "im", "worldregion_id", "world_region", "languages", "individual_prefix",
	"individual_suffix", "communication_style", "gender", "state_province_name", "state_province", "country",
	"id",
}

var emailFields = []string{"id", "contact_id", "location_type_id", "email", "is_primary", "is_billing",
	"on_hold", "is_bulkmail", "hold_date", "reset_date", "signature_text", "signature_html"}

var phoneFields = []string{"id", "contact_id", "location_type_id", "is_primary", "is_billing",
	"mobile_provider_id", "phone", "phone_ext", "phone_numeric", "phone_type_id"}

// newContactFields returns the DAO defaults of a new contact of type t, as
// CiviCRM 6.17 fills them for an Individual created through the API.
func newContactFields(t string) map[string]string {
	f := make(map[string]string, len(contactDAOFields))
	for _, k := range contactDAOFields {
		f[k] = ""
	}
	for _, k := range []string{"do_not_email", "do_not_phone", "do_not_mail", "do_not_sms", "do_not_trade", "is_opt_out", "is_deceased"} {
		f[k] = "0"
	}
	f["contact_type"] = t
	f["preferred_mail_format"] = "Both"
	if t == "Individual" {
		f["preferred_language"] = "en_US"
		f["communication_style_id"] = "1"
		f["email_greeting_id"] = "1"
		f["postal_greeting_id"] = "1"
		f["addressee_id"] = "1"
	}
	return f
}

// computeNames is what CRM_Contact_BAO_Contact does with display_name and
// sort_name for each contact type.
func computeNames(f map[string]string) {
	switch f["contact_type"] {
	case "Organization":
		f["display_name"], f["sort_name"] = f["organization_name"], f["organization_name"]
	case "Household":
		f["display_name"], f["sort_name"] = f["household_name"], f["household_name"]
	default:
		first, last := f["first_name"], f["last_name"]
		switch {
		case first != "" && last != "":
			f["display_name"], f["sort_name"] = first+" "+last, last+", "+first
		case first != "":
			f["display_name"], f["sort_name"] = first, first
		case last != "":
			f["display_name"], f["sort_name"] = last, last
		}
	}
}

func (s *store) addContact(id int64, t string, set map[string]string) *contact {
	f := newContactFields(t)
	for k, v := range set {
		f[k] = v
	}
	computeNames(f)
	f["id"] = strconv.FormatInt(id, 10)
	c := &contact{id: id, f: f}
	s.contacts[id] = c
	s.bump("contact", id)
	return c
}

func (s *store) addEmail(id, cid int64, addr string, primary bool) *email {
	e := &email{id: id, contactID: cid, f: map[string]string{
		"id": strconv.FormatInt(id, 10), "contact_id": strconv.FormatInt(cid, 10), "location_type_id": "1",
		"email": addr, "is_primary": boolStr(primary), "is_billing": "0", "on_hold": "0", "is_bulkmail": "0",
		"hold_date": "", "reset_date": "", "signature_text": "", "signature_html": "",
	}}
	s.emails[id] = e
	s.bump("email", id)
	return e
}

func (s *store) addPhone(id, cid int64, number string) *phone {
	p := &phone{id: id, contactID: cid, f: map[string]string{
		"id": strconv.FormatInt(id, 10), "contact_id": strconv.FormatInt(cid, 10), "location_type_id": "1",
		"is_primary": "1", "is_billing": "0", "mobile_provider_id": "", "phone": number, "phone_ext": "",
		"phone_numeric": digits(number), "phone_type_id": "1",
	}}
	s.phones[id] = p
	s.bump("phone", id)
	return p
}

func (s *store) addGroup(id int64, name, title string) {
	s.groups[id] = &group{id: id, name: name, title: title}
	s.bump("group", id)
}

func (s *store) addMember(gid, cid int64) {
	id := s.take("group_contact")
	s.members[id] = &groupContact{id: id, groupID: gid, contactID: cid}
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func digits(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// Fixtures. Each is the data of one recorded site, so replaying its
// recording against the simulator gives the same rows, ids and counts.
const (
	// Fixture617 is the CiviCRM 6.17.2 site of the recordings: contacts 1
	// (Default Organization), 2 (the admin), 3, 4, 5 and 14 (an API key
	// without a CMS user), emails 1-3. Contacts 3 (Ada) and 4 (Grace) are
	// given CMS users and contact ACLs here (the recordings do not show
	// them authenticating), so the seed has users that see different
	// contacts without adding rows that would change the recorded counts.
	Fixture617 = "6.17"
	// Fixture581 is the CiviCRM 5.81.1 site: contacts 1, 2 and 3 (the key
	// without a CMS user). It has no ACL users: adding them would add rows.
	Fixture581 = "5.81"
	// FixtureAPI4 is the 6.17.2 site of the APIv4 recordings
	// (api4-6.17.2.jsonl): 221 contacts with the admin at 203, the key
	// without a CMS user at 204 and the limited ACL user at 205, their
	// emails and the 25 notes the recordings list (api4fixture.go).
	FixtureAPI4 = "6.17-api4"
)

// seed fills the store with a fixture and then opts.ExtraContacts
// generated contacts, and returns the users.
func seed(s *store, fixture string, extra int, rng *rand.Rand) ([]*User, error) {
	seedPrice(s)
	if fixture == FixtureAPI4 {
		users := seedAPI4(s)
		generate(s, extra, rng)
		return users, nil
	}
	s.addContact(1, "Organization", map[string]string{"organization_name": "Default Organization",
		"legal_name": "Default Organization", "preferred_mail_format": "Both"})
	s.addContact(2, "Individual", map[string]string{"first_name": "Standalone", "last_name": "Admin"})
	s.addEmail(1, 1, "fixme.domainemail@example.org", true)
	s.addEmail(2, 2, "admin@example.org", true)
	admin := &User{Name: "admin", ContactID: 2, UserID: 1, perms: adminPerms()}
	var users []*User
	switch fixture {
	case Fixture617, "":
		s.addContact(3, "Individual", map[string]string{"first_name": "Ada", "last_name": "Lovelace"})
		s.addContact(4, "Individual", map[string]string{"first_name": "Grace", "last_name": "Hopper"})
		s.addContact(5, "Individual", map[string]string{"first_name": "Katherine", "last_name": "Johnson"})
		s.addContact(14, "Individual", map[string]string{"first_name": "NoUser", "last_name": "Keyholder"})
		s.addEmail(3, 4, "grace@example.org", true)
		s.addGroup(1, "Administrators", "Administrators")
		s.addGroup(2, "Newsletter", "Newsletter Subscribers")
		s.addGroup(3, "Volunteers", "Volunteers")
		s.addMember(1, 2)
		s.addMember(2, 3)
		s.addMember(2, 5)
		s.addMember(3, 1)
		s.addMember(3, 4)
		users = []*User{
			admin,
			// Ada sees herself and the Newsletter group; she may use her
			// API key without the site key (perm guard).
			{Name: "ada", ContactID: 3, UserID: 2, aclGroups: []int64{2},
				perms: permSet(permAccessCiviCRM, permAccessAJAX, permAPIKey, permPassword, permViewMine)},
			// Grace sees herself and the Volunteers group; she lacks
			// "authenticate with api key", so AuthX needs the site key.
			{Name: "grace", ContactID: 4, UserID: 3, aclGroups: []int64{3},
				perms: permSet(permAccessCiviCRM, permPassword, permViewMine)},
			{Name: "", ContactID: 14},
		}
	case Fixture581:
		s.addContact(3, "Individual", map[string]string{"first_name": "NoUser"})
		users = []*User{admin, {Name: "", ContactID: 3}}
	default:
		return nil, fmt.Errorf("civicrmsim: unknown fixture %q (want %q, %q or %q)", fixture, Fixture617, Fixture581, FixtureAPI4)
	}
	if len(s.groups) == 0 {
		s.addGroup(1, "Administrators", "Administrators")
		s.addMember(1, 2)
	}
	generate(s, extra, rng)
	return users, nil
}

var (
	firstNames = []string{"Alan", "Barbara", "Claude", "Dorothy", "Edsger", "Frances", "Gordon", "Hedy", "Ivan",
		"Jean", "Ken", "Lynn", "Margaret", "Niklaus", "Ole", "Radia", "Seymour", "Tim", "Vint", "Whitfield"}
	lastNames = []string{"Turing", "Liskov", "Shannon", "Vaughan", "Dijkstra", "Allen", "Moore", "Lamarr",
		"Sutherland", "Sammet", "Thompson", "Conway", "Hamilton", "Wirth", "Dahl", "Perlman", "Papert",
		"Berners-Lee", "Cerf", "Diffie"}
	orgWords = []string{"Analytical", "Engines", "Compilers", "Networks", "Relay", "Difference", "Logic", "Systems"}
	cities   = []string{"London", "Zürich", "Oslo", "Boston", "Delft", "Berlin", "Lyon", "Turin"}
)

// generate adds n contacts (mostly individuals, every eighth an
// organisation), each with an email, most with a phone and a city, and
// puts them in the Newsletter or Volunteers group. The same rng seed gives
// the same data.
func generate(s *store, n int, rng *rand.Rand) {
	for i := 0; i < n; i++ {
		id := s.take("contact")
		var c *contact
		if i%8 == 7 {
			name := orgWords[rng.IntN(len(orgWords))] + " " + orgWords[rng.IntN(len(orgWords))] + " Ltd"
			c = s.addContact(id, "Organization", map[string]string{"organization_name": name, "legal_name": name,
				"preferred_language": "", "communication_style_id": ""})
		} else {
			fn, ln := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
			c = s.addContact(id, "Individual", map[string]string{"first_name": fn, "last_name": ln,
				"job_title": "Engineer", "birth_date": fmt.Sprintf("19%02d-%02d-%02d", 30+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28))})
		}
		c.f["city"] = cities[rng.IntN(len(cities))]
		local := digits(strconv.FormatInt(id, 10))
		s.addEmail(s.take("email"), id, fmt.Sprintf("contact%s@example.org", local), true)
		if rng.IntN(4) != 0 {
			s.addPhone(s.take("phone"), id, fmt.Sprintf("+44 20 7946 %04d", rng.IntN(10000)))
		}
		if _, ok := s.groups[2]; ok {
			s.addMember(2+int64(rng.IntN(2)), id)
		}
	}
}
