package csvimport

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Preset names an export format: which header means which Ticket field, and
// how tags are separated.
type Preset string

// The presets. The zero value of Options.Preset means Auto.
const (
	// Auto picks Zendesk, Freshdesk, Jira or HubSpot from the header when
	// at least two of the platform's distinctive columns are present, and
	// Generic otherwise.
	Auto Preset = "auto"
	// Zendesk reads Zendesk's ticket export: Id, Subject, Status, Priority,
	// Requester, Requester email, Assignee, Tags (space separated), Via,
	// Created at, Updated at.
	Zendesk Preset = "zendesk"
	// Freshdesk reads Freshdesk's ticket export: Ticket ID, Subject,
	// Description, Status, Priority, Source, Agent, Full name, Email,
	// Contact ID, Tags (comma separated), Created time, Last update time.
	Freshdesk Preset = "freshdesk"
	// Jira reads a Jira (Service Management) issue export: Issue key (the
	// ticket ID), Summary, Description, Status, Priority, Reporter,
	// Assignee, Labels (one column per label, as Jira writes them),
	// Created, Updated.
	Jira Preset = "jira"
	// HubSpot reads a HubSpot ticket export: Ticket ID, Ticket name, Ticket
	// description, Ticket status, Priority, Source, Ticket owner, Create
	// date, Last modified date.
	HubSpot Preset = "hubspot"
	// Generic reads spreadsheets and home-grown exports by common column
	// names (id, ticket number, title, state, customer email, agent,
	// labels, created, last modified, ...). Tags are separated by commas,
	// semicolons or vertical bars.
	Generic Preset = "generic"
)

// The Ticket fields that columns map to, as keys of Options.Columns and
// Report.Columns.
const (
	FieldID             = "ID"
	FieldURL            = "URL"
	FieldSubject        = "Subject"
	FieldDescription    = "Description"
	FieldStatus         = "Status"
	FieldPriority       = "Priority"
	FieldChannel        = "Channel"
	FieldRequesterName  = "Requester.Name"
	FieldRequesterEmail = "Requester.Email"
	FieldRequesterID    = "Requester.ID"
	FieldAssigneeName   = "Assignee.Name"
	FieldAssigneeEmail  = "Assignee.Email"
	FieldAssigneeID     = "Assignee.ID"
	FieldTags           = "Tags"
	FieldCreatedAt      = "CreatedAt"
	FieldUpdatedAt      = "UpdatedAt"
)

// field indexes a Ticket field in the tables below.
type field int

const (
	fID field = iota
	fURL
	fSubject
	fDescription
	fStatus
	fPriority
	fChannel
	fRequesterName
	fRequesterEmail
	fRequesterID
	fAssigneeName
	fAssigneeEmail
	fAssigneeID
	fTags
	fCreatedAt
	fUpdatedAt
	numFields
)

var fieldNames = [numFields]string{
	FieldID, FieldURL, FieldSubject, FieldDescription, FieldStatus, FieldPriority, FieldChannel,
	FieldRequesterName, FieldRequesterEmail, FieldRequesterID,
	FieldAssigneeName, FieldAssigneeEmail, FieldAssigneeID,
	FieldTags, FieldCreatedAt, FieldUpdatedAt,
}

// presetDef describes one export format. Aliases are normalized header
// names (see normalizeHeader), tried in order.
type presetDef struct {
	name    Preset
	aliases map[field][]string
	// signature holds columns that only this platform's export has; Auto
	// counts them.
	signature []string
	// tagSeps separate tags within one cell.
	tagSeps string
}

var presets = []*presetDef{
	{
		name: Zendesk,
		aliases: map[field][]string{
			fID: {"id"}, fSubject: {"subject"}, fDescription: {"description"},
			fStatus: {"status"}, fPriority: {"priority"}, fChannel: {"via"},
			fRequesterName: {"requester"}, fRequesterEmail: {"requesteremail"}, fRequesterID: {"requesterid"},
			fAssigneeName: {"assignee"}, fAssigneeEmail: {"assigneeemail"}, fAssigneeID: {"assigneeid"},
			fTags: {"tags"}, fCreatedAt: {"createdat"}, fUpdatedAt: {"updatedat"},
		},
		signature: []string{"via", "requesterdomain", "requesterexternalid", "summationcolumn",
			"groupstations", "assigneestations", "ticketform", "satisfactionscore", "requesteremail"},
		tagSeps: " ",
	},
	{
		name: Freshdesk,
		aliases: map[field][]string{
			fID: {"ticketid"}, fSubject: {"subject"}, fDescription: {"description"},
			fStatus: {"status"}, fPriority: {"priority"}, fChannel: {"source"},
			fRequesterName:  {"fullname", "requestername", "contactname"},
			fRequesterEmail: {"email", "requesteremail", "contactemail"},
			fRequesterID:    {"contactid", "requesterid"},
			fAssigneeName:   {"agent", "agentname"}, fAssigneeEmail: {"agentemail"}, fAssigneeID: {"agentid"},
			fTags: {"tags"}, fCreatedAt: {"createdtime"}, fUpdatedAt: {"lastupdatetime"},
		},
		signature: []string{"createdtime", "lastupdatetime", "duebytime", "resolvedtime", "closedtime",
			"initialresponsetime", "firstresponsetime", "resolutiontime", "resolutionstatus",
			"firstresponsestatus", "agentinteractions", "customerinteractions", "timetracked"},
		tagSeps: ",",
	},
	{
		name: Jira,
		aliases: map[field][]string{
			fID: {"issuekey"}, fSubject: {"summary"}, fDescription: {"description"},
			fStatus: {"status"}, fPriority: {"priority"},
			fRequesterName: {"reporter"}, fRequesterID: {"reporterid"},
			fAssigneeName: {"assignee"}, fAssigneeID: {"assigneeid"},
			fTags: {"labels"}, fCreatedAt: {"created"}, fUpdatedAt: {"updated"},
		},
		signature: []string{"issuekey", "issueid", "issuetype", "projectkey", "projectname",
			"projecttype", "parentid", "lastviewed", "statuscategory"},
		tagSeps: " ",
	},
	{
		name: HubSpot,
		aliases: map[field][]string{
			fID: {"ticketid"}, fSubject: {"ticketname"}, fDescription: {"ticketdescription"},
			fStatus: {"ticketstatus"}, fPriority: {"priority", "ticketpriority"}, fChannel: {"source"},
			fAssigneeName: {"ticketowner"},
			fTags:         {"tags"}, fCreatedAt: {"createdate"}, fUpdatedAt: {"lastmodifieddate"},
		},
		signature: []string{"ticketname", "ticketstatus", "ticketdescription", "createdate",
			"lastmodifieddate", "ticketowner", "pipeline", "lastactivitydate", "closedate"},
		tagSeps: ";",
	},
	genericPreset,
}

var genericPreset = &presetDef{
	name: Generic,
	aliases: map[field][]string{
		fID: {"id", "ticketid", "ticketnumber", "ticketno", "ticket", "number", "no", "key",
			"issuekey", "caseid", "casenumber", "reference", "ref"},
		fURL:     {"url", "link", "ticketurl", "permalink", "weburl"},
		fSubject: {"subject", "title", "summary", "ticketname", "ticketsubject", "topic"},
		fDescription: {"description", "body", "details", "message", "ticketdescription",
			"content", "text"},
		fStatus:   {"status", "state", "ticketstatus", "stage"},
		fPriority: {"priority", "urgency", "severity", "ticketpriority"},
		fChannel:  {"channel", "source", "via", "origin", "medium"},
		fRequesterName: {"requester", "requestername", "customer", "customername", "contact",
			"contactname", "reporter", "fullname", "from"},
		fRequesterEmail: {"requesteremail", "email", "customeremail", "contactemail",
			"emailaddress", "fromemail", "reporteremail"},
		fRequesterID:   {"requesterid", "customerid", "contactid", "reporterid"},
		fAssigneeName:  {"assignee", "assigneename", "agent", "agentname", "owner", "ticketowner", "assignedto"},
		fAssigneeEmail: {"assigneeemail", "agentemail", "owneremail"},
		fAssigneeID:    {"assigneeid", "agentid", "ownerid"},
		fTags:          {"tags", "labels", "tag", "label", "keywords"},
		fCreatedAt: {"createdat", "created", "createddate", "createdtime", "createdon", "createdate",
			"opened", "openedat", "dateopened", "creationdate", "submittedat", "date"},
		fUpdatedAt: {"updatedat", "updated", "updateddate", "updatedtime", "updatedon", "lastupdated",
			"lastupdatetime", "lastmodified", "lastmodifieddate", "modified", "modifiedat", "modifieddate"},
	},
	tagSeps: ",;|",
}

func presetByName(p Preset) (*presetDef, bool) {
	for _, d := range presets {
		if d.name == p {
			return d, true
		}
	}
	return nil, false
}

// normalizeHeader folds a header for matching: lower case, letters and digits
// only, without a trailing parenthesized suffix such as "(in hrs)" or
// "(UTC)". "First response time (in hrs)" becomes "firstresponsetime".
func normalizeHeader(h string) string {
	h = strings.TrimSpace(h)
	if strings.HasSuffix(h, ")") {
		if i := strings.LastIndexByte(h, '('); i > 0 {
			h = h[:i]
		}
	}
	var b strings.Builder
	b.Grow(len(h))
	for _, r := range h {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// normalizeFull folds h like normalizeHeader but keeps a parenthesized
// suffix.
func normalizeFull(h string) string {
	return normalizeHeader(h + "()")
}

// mapping is what Import learned from the header.
type mapping struct {
	preset *presetDef
	// cols[f] holds the column indexes of field f; several only for Tags
	// (Jira writes one Labels column per label).
	cols [numFields][]int
	// extra holds the columns kept in Ticket.Fields.
	extra []int
}

// columns returns the mapping as Report.Columns: field name to header.
func (m *mapping) columns(header []string) map[string]string {
	out := make(map[string]string)
	for f, idx := range m.cols {
		if len(idx) > 0 {
			out[fieldNames[f]] = header[idx[0]]
		}
	}
	return out
}

// resolve maps header onto Ticket fields: overrides first, then the preset's
// own names, then the Generic names for fields the preset left unmapped.
func resolve(p Preset, header []string, overrides map[string]string) (*mapping, error) {
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normalizeHeader(h)
	}
	var def *presetDef
	if p == "" || p == Auto {
		def = detect(norm)
	} else {
		var ok bool
		def, ok = presetByName(p)
		if !ok {
			return nil, fmt.Errorf("csvimport: unknown preset %q", p)
		}
	}
	m := &mapping{preset: def}
	claimed := make([]bool, len(header))
	set := make([]bool, numFields)

	// Overrides, in a stable order so that errors are reproducible.
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := fieldByName(k)
		if f < 0 {
			return nil, fmt.Errorf("csvimport: Options.Columns: unknown field %q (want one of %s)", k, strings.Join(fieldNames[:], ", "))
		}
		set[f] = true
		want := normalizeHeader(overrides[k])
		if overrides[k] == "" {
			continue // mapped to nothing: keep the preset's column in Fields
		}
		// A header written out in full wins over one that matches only
		// without its parenthesized suffix (Jira's "Custom field (...)").
		full, idx := normalizeFull(overrides[k]), -1
		for i, h := range header {
			if !claimed[i] && normalizeFull(h) == full {
				idx = i
				break
			}
		}
		if idx >= 0 && f != fTags {
			claimed[idx] = true
			m.cols[f] = append(m.cols[f], idx)
			continue
		}
		found := false
		for i, n := range norm {
			if n == want && !claimed[i] {
				claimed[i] = true
				m.cols[f] = append(m.cols[f], i)
				found = true
				if f != fTags {
					break
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("csvimport: Options.Columns[%q]: no column %q in the header", k, overrides[k])
		}
	}
	apply := func(d *presetDef) {
		for f := field(0); f < numFields; f++ {
			if set[f] {
				continue
			}
			for _, alias := range d.aliases[f] {
				for i, n := range norm {
					if n == alias && !claimed[i] {
						claimed[i] = true
						m.cols[f] = append(m.cols[f], i)
						if f != fTags {
							break
						}
					}
				}
				if len(m.cols[f]) > 0 {
					set[f] = true
					break
				}
			}
		}
	}
	apply(def)
	if def != genericPreset {
		apply(genericPreset)
	}
	for i := range header {
		if !claimed[i] {
			m.extra = append(m.extra, i)
		}
	}
	return m, nil
}

func fieldByName(name string) field {
	for f, n := range fieldNames {
		if strings.EqualFold(n, name) {
			return field(f)
		}
	}
	return -1
}

// detect picks the platform preset with the most of its distinctive columns
// (at least two, and its ID column present), else Generic.
func detect(norm []string) *presetDef {
	has := make(map[string]bool, len(norm))
	for _, n := range norm {
		has[n] = true
	}
	best, bestScore := genericPreset, 1
	for _, d := range presets {
		if d == genericPreset || !has[d.aliases[fID][0]] {
			continue
		}
		score := 0
		for _, s := range d.signature {
			if has[s] {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}
