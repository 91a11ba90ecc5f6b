package civicrmsim

import (
	"fmt"
	"strconv"
	"strings"
)

// The data of the site the APIv4 recordings (api4-6.17.2.jsonl) come from,
// as far as they show it, filled in so that every recorded answer comes out
// the same: 221 contacts (180 individuals, 21 organisations, 20
// households: read-7, read-8), the names, emails and ids the answers show,
// the 25 notes of route-5, the admin's email 196, and a limited user whose
// ACL group holds 15 contacts (16 visible with itself: read-22, read-24).
// Rows the recordings do not show are generated with names chosen so that
// every recorded filter, sort and search still matches exactly the
// recorded rows: no other name contains "Adams" or "Samuels", and every
// other sort_name sorts after those read-39 lists first.

// Permissions the APIv4 simulation checks besides those of sim.go.
const (
	permViewMine        = "view my contact"
	permEditMine        = "edit my contact"
	permDeletedContacts = "access deleted contacts"
	permCustomData      = "access all custom data"
	permAddContacts     = "add contacts"
	permDeleteContacts  = "delete contacts"
	permAdminister      = "administer CiviCRM"
)

// adminPerms is every permission the simulator knows.
func adminPerms() map[string]bool {
	return permSet(append(append([]string{}, permAll...), permViewMine, permEditMine, permDeletedContacts,
		permCustomData, permAddContacts, permDeleteContacts)...)
}

// api4ACLGroup is the group the limited user's ACL lets it view.
const api4ACLGroup = 5

var api4ACLMembers = []int64{25, 41, 52, 128, 132, 139, 150, 165, 170, 176, 182, 188, 190, 195, 199}

// api4Organizations and api4Households are the ids of those contact types
// (the others are individuals); the first ones are recorded (read-1,
// read-9), the rest only make up the recorded counts.
var (
	api4Organizations = []int64{1, 3, 4, 10, 17, 24, 31, 38, 45, 59, 66, 73, 80, 87, 94, 101, 108, 115, 122, 129, 136}
	api4Households    = []int64{5, 7, 158, 9, 16, 23, 30, 37, 44, 51, 58, 65, 72, 79, 86, 93, 100, 107, 114, 121}
)

// api4Named are the recorded contacts: [first, last] for individuals, the
// name for the others; an individual with no name shows its email.
var api4Named = map[int64][2]string{
	1:   {"Default Organization"},
	2:   {"", ""}, // craigm39@testing.info
	3:   {"Arkansas Sustainability Center"},
	4:   {"Urban Culture Solutions"},
	7:   {"Adams-Łąchowski family"},
	12:  {"Rolando", "Adams-Łąchowski"},
	15:  {"Alexia", "Adams"},
	25:  {"Jay", "Samuels"},
	36:  {"Bernadette", "Adams"},
	41:  {"Tanya", "Samson"},
	52:  {"Shad", "Müller"},
	128: {"Magan", "Barkley"},
	131: {"", ""}, // samuels.jerome30@notmail.com
	132: {"Alexia", "Terry"},
	157: {"Brittney", "Samuels"},
	158: {"Adams family"},
	203: {"Standalone", "Admin"},
	204: {"NoUser", "Keyholder"},
	205: {"Limited", "ApiUser"},
}

// api4Emails are the recorded email addresses; other contacts get one
// made from their name.
var api4Emails = map[int64]string{
	1:   "fixme.domainemail@example.org",
	2:   "craigm39@testing.info",
	131: "samuels.jerome30@notmail.com",
	203: "admin@example.org",
}

var (
	api4FirstNames = []string{"Kathleen", "Brent", "Iris", "Lincoln", "Maria", "Roland", "Sonny", "Toby",
		"Valene", "Errol", "Clint", "Ashley", "Herminia", "Omar", "Juliann", "Russell", "Santina", "Lou",
		"Kandace", "Carlos", "Damaris", "Eleonor", "Felisha", "Scarlet"}
	api4LastNames = []string{"Bachman", "Blackwell", "Cooper", "Cruz", "Deforest", "Dimitrov", "Estrada",
		"González", "Grant", "Ivanov", "Jacobs", "Jameson", "Jensen", "Lee", "McReynolds", "Nielsen",
		"Olsen", "Parker", "Prentice", "Reynolds", "Robertson", "Smith", "Terrell", "Wagner", "Wattson",
		"Yadav", "Zope"}
	api4OrgWords = []string{"Community", "Environmental", "Progressive", "Global", "Rural", "Urban",
		"Sustainability", "Education", "Health", "Poetry", "Technology", "Wellness"}
	api4OrgKinds = []string{"Alliance", "Network", "Partnership", "Collective", "Fund", "Trust"}
	api4Places   = []string{"Bayshore", "Cedar Hill", "Dayton", "Mississippi", "Portland", "Sacramento",
		"Texas", "Wisconsin", "Vermont", "Oregon"}
)

// api4Notes are the notes route-5 lists, with the columns it shows:
// entity_id (a contact), contact_id (the author), note and three dates.
var api4Notes = []struct {
	id, entityID, author int64
	text, noteDate       string
	createdDate, mDate   string
}{
	{1, 18, 1, "Chart out route map for next 10k run", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-08-28 21:05:19"},
	{2, 85, 1, "Organize the Terry Fox run", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-12-23 20:04:19"},
	{3, 58, 1, "Get the registration done for NGO status", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-08-03 13:54:48"},
	{4, 18, 1, "Contact the Commissioner of Charities", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-10-16 11:18:22"},
	{5, 193, 1, "Arrange collection of funds from members", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-06-13 11:46:40"},
	{6, 136, 1, "Get the registration done for NGO status", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-05-09 16:45:44"},
	{7, 83, 1, "Send reminder for annual dinner", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-03-29 06:42:07"},
	{8, 28, 1, "Connect for presentation", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-04-25 04:08:54"},
	{9, 100, 1, "Reminder screening of \"Black\" on next Friday", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-01-08 19:13:20"},
	{10, 6, 1, "Invite members for the Steve Prefontaine 10k dream run", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-07-13 16:20:05"},
	{11, 194, 1, "Connect for presentation", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-06-10 14:51:59"},
	{12, 200, 1, "Connect for presentation", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-08-12 11:02:03"},
	{13, 8, 1, "Get the registration done for NGO status", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-11-01 07:34:06"},
	{14, 186, 1, "Reminder screening of \"Black\" on next Friday", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-01-30 21:53:50"},
	{15, 93, 1, "Send reminder for annual dinner", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-08-30 23:13:48"},
	{16, 126, 1, "Arrange for cricket match with Sunil Gavaskar", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-05-03 03:12:19"},
	{17, 165, 1, "Arrange collection of funds from members", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-04-21 12:01:44"},
	{18, 2, 1, "Send reminder for annual dinner", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-07-28 14:57:44"},
	{19, 141, 1, "Connect for presentation", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2026-01-31 01:58:20"},
	{20, 99, 1, "Send newsletter for April 2005", "2026-06-25 06:49:38", "2026-06-25 06:49:38", "2025-07-30 04:42:04"},
	{62, 203, 203, "v4 bypass probe", "2026-12-06 02:43:33", "2026-12-06 02:43:33", "2026-12-06 02:43:33"},
	{69, 203, 203, "bar cache probe", "2026-12-06 02:48:57", "2026-12-06 02:48:57", "2026-12-06 02:48:57"},
	{70, 203, 203, "bar cache probe", "2026-12-06 02:48:57", "2026-12-06 02:48:57", "2026-12-06 02:48:57"},
	{75, 203, 203, "bar cache probe", "2026-12-06 02:50:41", "2026-12-06 02:50:41", "2026-12-06 02:50:41"},
	{76, 203, 203, "bar cache probe", "2026-12-06 02:50:41", "2026-12-06 02:50:41", "2026-12-06 02:50:41"},
}

// Next ids after the rows the recording site had deleted: the recorded
// creates got note 95 onwards (write-1) and email 258 (write-19).
const (
	api4NextNote  = 95
	api4NextEmail = 258
	api4Contacts  = 221
)

// seedAPI4 fills the store with FixtureAPI4 and returns its users: the
// admin (contact 203, user 1), the limited user (205) and the contact
// whose key has no CMS user (204).
func seedAPI4(s *store) []*User {
	kind := map[int64]string{}
	for _, id := range api4Organizations {
		kind[id] = "Organization"
	}
	for _, id := range api4Households {
		kind[id] = "Household"
	}
	gen := 0
	for id := int64(1); id <= api4Contacts; id++ {
		t := kind[id]
		if t == "" {
			t = "Individual"
		}
		set := map[string]string{}
		name, recorded := api4Named[id]
		switch t {
		case "Organization":
			if !recorded {
				name[0] = fmt.Sprintf("%s %s %s", api4Places[gen%len(api4Places)], api4OrgWords[gen%len(api4OrgWords)], api4OrgKinds[gen%len(api4OrgKinds)])
			}
			set["organization_name"], set["legal_name"] = name[0], name[0]
			set["preferred_language"], set["communication_style_id"] = "", ""
		case "Household":
			if !recorded {
				name[0] = api4LastNames[gen%len(api4LastNames)] + " family"
			}
			set["household_name"] = name[0]
			set["preferred_language"], set["communication_style_id"] = "", ""
		default:
			if !recorded {
				name = [2]string{api4FirstNames[gen%len(api4FirstNames)], api4LastNames[(gen/2+gen)%len(api4LastNames)]}
			}
			set["first_name"], set["last_name"] = name[0], name[1]
			if name[0] == "" && name[1] == "" {
				set["display_name"], set["sort_name"] = api4Emails[id], api4Emails[id]
			}
			set["gender_id"] = strconv.Itoa(1 + gen%2)
			if id == 6 {
				set["gender_id"] = "1" // read-38
			}
			if gen%3 != 0 {
				set["birth_date"] = fmt.Sprintf("19%02d-%02d-%02d", 40+gen%55, 1+gen%12, 1+gen%28)
			}
		}
		if !recorded {
			gen++
		}
		s.addContact(id, t, set)
	}
	// Emails: one primary email per individual and organisation in id
	// order (ids 1-195), then the admin's 196.
	eid := int64(1)
	for id := int64(1); id <= 202 && eid <= 195; id++ {
		c := s.contacts[id]
		if c.f["contact_type"] == "Household" {
			continue
		}
		addr := api4Emails[id]
		if addr == "" {
			addr = foldString(c.f["first_name"]+"."+c.f["last_name"]+c.f["organization_name"]) + strconv.FormatInt(id, 10) + "@example.org"
			addr = strings.ReplaceAll(addr, " ", "")
		}
		s.addEmail(eid, id, addr, true)
		eid++
	}
	s.addEmail(196, 203, api4Emails[203], true)
	s.nextID["email"] = api4NextEmail

	s.addGroup(1, "Administrators", "Administrators")
	s.addMember(1, 203)
	s.addGroup(api4ACLGroup, "Limited_API_ACL", "Limited API users' contacts")
	for _, id := range api4ACLMembers {
		s.addMember(api4ACLGroup, id)
	}

	for _, n := range api4Notes {
		s.notes[n.id] = &note{id: n.id, f: map[string]string{
			"id": strconv.FormatInt(n.id, 10), "entity_table": "civicrm_contact", "entity_id": strconv.FormatInt(n.entityID, 10),
			"note": n.text, "contact_id": strconv.FormatInt(n.author, 10), "note_date": n.noteDate,
			"created_date": n.createdDate, "modified_date": n.mDate, "subject": "", "privacy": "0",
		}}
	}
	s.nextID["note"] = api4NextNote

	return []*User{
		{Name: "admin", ContactID: 203, UserID: 1, perms: adminPerms()},
		{Name: "limited", ContactID: 205, UserID: 2, aclGroups: []int64{api4ACLGroup},
			perms: permSet(permAccessCiviCRM, permAccessAJAX, permViewMine, permAPIKey)},
		{Name: "", ContactID: 204},
	}
}
