package hubspottest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) accountDetails(w http.ResponseWriter, r *http.Request) {
	_, off := s.Now().In(s.loc).Zone()
	sign := "+"
	if off < 0 {
		sign = "-"
	}
	abs := max(off, -off)
	writeJSON(w, http.StatusOK, map[string]any{
		"portalId":              s.opts.PortalID,
		"accountType":           "STANDARD",
		"timeZone":              s.opts.TimeZone,
		"companyCurrency":       "USD",
		"additionalCurrencies":  []string{},
		"utcOffset":             fmt.Sprintf("%s%02d:%02d", sign, abs/3600, abs%3600/60),
		"utcOffsetMilliseconds": off * 1000,
		"uiDomain":              "app.hubspot.com",
		"dataHostingLocation":   "na1",
	})
}

// publicObject is HubSpot's SimplePublicObject (WithAssociations).
type publicObject struct {
	ID           string                     `json:"id"`
	Properties   map[string]*string         `json:"properties"`
	CreatedAt    string                     `json:"createdAt"`
	UpdatedAt    string                     `json:"updatedAt"`
	Archived     bool                       `json:"archived"`
	ArchivedAt   *string                    `json:"archivedAt,omitempty"`
	Associations map[string]associationList `json:"associations,omitempty"`
	URL          string                     `json:"url,omitempty"`
}

type associationList struct {
	Results []associationRef `json:"results"`
}

type associationRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type paging struct {
	Next *nextPage `json:"next,omitempty"`
}

type nextPage struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

// defaultProps are the properties returned when a request names none.
var defaultProps = map[string][]string{
	typeTickets:  {"subject", "content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority"},
	typeContacts: {"createdate", "email", "firstname", "lastmodifieddate", "lastname", "hs_object_id"},
	typeEmails:   {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"},
	typeNotes:    {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"},
}

// knownProps are properties that exist in the fake's schema: requested but
// unset, they come back as null; unknown names are ignored.
var knownProps = map[string][]string{
	typeTickets: {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hs_ticket_category",
		"hubspot_owner_id", "source_type", "closed_date", "hs_resolution", "time_to_close", "hs_all_owner_ids", "hs_merged_object_ids"},
	typeContacts: {"email", "firstname", "lastname", "phone", "company"},
	typeEmails: {"hs_timestamp", "hs_email_direction", "hs_email_subject", "hs_email_text", "hs_email_html",
		"hs_email_from_email", "hs_email_from_firstname", "hs_email_from_lastname", "hubspot_owner_id", "hs_email_headers"},
	typeNotes: {"hs_timestamp", "hs_note_body", "hubspot_owner_id"},
}

// derived returns the properties the fake computes for an object.
func (s *Server) derived(typ string, id int64, created, updated time.Time) map[string]*string {
	m := map[string]*string{"hs_object_id": ptr(idString(id))}
	switch typ {
	case typeTickets:
		m["createdate"] = ptr(s.formatDate(created))
		m["hs_lastmodifieddate"] = ptr(s.formatDate(updated))
	case typeContacts:
		m["createdate"] = ptr(s.formatDate(created))
		m["lastmodifieddate"] = ptr(s.formatDate(updated))
	default:
		m["hs_createdate"] = ptr(s.formatDate(created))
		m["hs_lastmodifieddate"] = ptr(s.formatDate(updated))
	}
	return m
}

// allProps returns every property of o, derived ones included.
func (s *Server) allProps(o *object) map[string]*string {
	m := s.derived(o.typ, o.id, o.createdAt, o.updatedAt)
	for k, v := range o.props {
		m[k] = v
	}
	return m
}

// selectProps picks the requested properties (the defaults when none are
// requested) out of all. hs_object_id and the two dates are always there.
func selectProps(typ string, all map[string]*string, requested []string) map[string]*string {
	if len(requested) == 0 {
		requested = defaultProps[typ]
	}
	out := map[string]*string{}
	for k, v := range all {
		if k == "hs_object_id" || k == "createdate" || k == "hs_createdate" || k == "hs_lastmodifieddate" || k == "lastmodifieddate" {
			out[k] = v
		}
	}
	for _, name := range requested {
		if v, ok := all[name]; ok {
			out[name] = v
		} else if slices.Contains(knownProps[typ], name) {
			out[name] = nil
		}
	}
	return out
}

func (s *Server) render(o *object, props map[string]*string, updated time.Time, archived bool, requested []string) publicObject {
	all := s.derived(o.typ, o.id, o.createdAt, updated)
	for k, v := range props {
		all[k] = v
	}
	p := publicObject{
		ID:         idString(o.id),
		Properties: selectProps(o.typ, all, requested),
		CreatedAt:  o.createdAt.UTC().Format(isoMillis),
		UpdatedAt:  updated.UTC().Format(isoMillis),
		Archived:   archived,
	}
	if archived {
		p.ArchivedAt = ptr(o.archivedAt.UTC().Format(isoMillis))
	}
	return p
}

// splitList reads a query parameter that may be repeated or comma-separated.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func parseBool(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	return strconv.ParseBool(s)
}

// listObjects serves GET /crm/v3/objects/{type}: ascending ids, an opaque
// after token, limit at most 100.
func (s *Server) listObjects(w http.ResponseWriter, r *http.Request) {
	typ := objectType(r.PathValue("type"))
	if typ == "" {
		writeError(w, http.StatusNotFound, "Unable to infer object type from: "+r.PathValue("type"), "OBJECT_NOT_FOUND", nil)
		return
	}
	q := r.URL.Query()
	limit, archived, after, ok := listParams(w, q, 10, 100)
	if !ok {
		return
	}
	requested := splitList(q["properties"])
	assocTypes := splitList(q["associations"])

	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, o := range s.objects[typ] {
		if id > after && o.archived == archived {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	results := make([]publicObject, 0, len(ids))
	for _, id := range ids {
		o := s.objects[typ][id]
		p := s.render(o, o.props, o.updatedAt, o.archived, requested)
		if typ == typeTickets {
			p.Associations = s.inlineAssociations(id, assocTypes)
		}
		results = append(results, p)
	}
	resp := map[string]any{"results": results}
	if more {
		tok := encodeAfter(ids[len(ids)-1])
		resp["paging"] = paging{Next: &nextPage{After: tok, Link: "?after=" + tok}}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) inlineAssociations(id int64, types []string) map[string]associationList {
	if len(types) == 0 {
		return nil
	}
	out := map[string]associationList{}
	for _, t := range types {
		to := objectType(t)
		if to == "" {
			continue
		}
		refs := []associationRef{}
		for _, tid := range s.liveAssociations(id, to) {
			refs = append(refs, associationRef{ID: idString(tid), Type: "ticket_to_" + strings.TrimSuffix(to, "s")})
		}
		if len(refs) > 0 {
			out[to] = associationList{Results: refs}
		}
	}
	return out
}

// liveAssociations returns the ids associated with ticket id, leaving out
// archived records, ascending.
func (s *Server) liveAssociations(id int64, to string) []int64 {
	var out []int64
	for _, tid := range s.assoc[typeTickets+"/"+to][id] {
		if o, ok := s.objects[to][tid]; ok && !o.archived {
			out = append(out, tid)
		}
	}
	slices.Sort(out)
	return out
}

// encodeAfter makes an opaque list cursor, in the style of HubSpot's.
func encodeAfter(id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10) + "\n"))
}

func decodeAfter(tok string) (int64, error) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// readObject serves GET /crm/v3/objects/{type}/{id}.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) {
	typ := objectType(r.PathValue("type"))
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	archived, berr := parseBool(r.URL.Query().Get("archived"))
	if typ == "" || err != nil || berr != nil {
		badRequest(w, "invalid object type, id or archived flag")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.resolve(typ, id)
	if !ok || o.archived != archived {
		writeJSON(w, http.StatusNotFound, apiError{Status: "error", Message: "Object not found.  objectId are usually numeric.", CorrelationID: correlationID(), Category: "OBJECT_NOT_FOUND"})
		return
	}
	p := s.render(o, o.props, o.updatedAt, o.archived, splitList(r.URL.Query()["properties"]))
	if typ == typeTickets {
		p.Associations = s.inlineAssociations(o.id, splitList(r.URL.Query()["associations"]))
	}
	writeJSON(w, http.StatusOK, p)
}

type batchReadRequest struct {
	Inputs []struct {
		ID string `json:"id"`
	} `json:"inputs"`
	Properties            []string `json:"properties"`
	PropertiesWithHistory []string `json:"propertiesWithHistory"`
	IDProperty            string   `json:"idProperty"`
}

// batchRead serves POST /crm/v3/objects/{type}/batch/read: at most 100 ids;
// ids not found (or not in the archived state asked for) make a 207 with
// errors.
func (s *Server) batchRead(w http.ResponseWriter, r *http.Request) {
	typ := objectType(r.PathValue("type"))
	if typ == "" {
		writeError(w, http.StatusNotFound, "Unable to infer object type from: "+r.PathValue("type"), "OBJECT_NOT_FOUND", nil)
		return
	}
	archived, err := parseBool(r.URL.Query().Get("archived"))
	if err != nil {
		badRequest(w, "archived must be true or false")
		return
	}
	var req batchReadRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		badRequest(w, "Invalid input JSON on line 1")
		return
	}
	if len(req.Inputs) > 100 {
		badRequest(w, fmt.Sprintf("Batch input size %d exceeds the limit of 100", len(req.Inputs)))
		return
	}
	if req.IDProperty != "" && req.IDProperty != "hs_object_id" {
		badRequest(w, "unsupported idProperty")
		return
	}
	started := time.Now().UTC().Format(isoMillis)
	s.mu.Lock()
	defer s.mu.Unlock()
	results := []publicObject{}
	var missing []string
	seen := map[int64]bool{}
	for _, in := range req.Inputs {
		id, err := strconv.ParseInt(in.ID, 10, 64)
		o, ok := s.resolve(typ, id)
		if err != nil || !ok || o.archived != archived {
			missing = append(missing, in.ID)
			continue
		}
		// A merged id answers with the record it was merged into, under
		// that record's id, once per record.
		if seen[o.id] {
			continue
		}
		seen[o.id] = true
		results = append(results, s.render(o, o.props, o.updatedAt, o.archived, req.Properties))
	}
	resp := map[string]any{
		"status": "COMPLETE", "results": results,
		"startedAt": started, "completedAt": time.Now().UTC().Format(isoMillis),
	}
	status := http.StatusOK
	if len(missing) > 0 {
		status = http.StatusMultiStatus
		resp["numErrors"] = 1
		resp["errors"] = []apiError{{
			Status:   "error",
			Category: "OBJECT_NOT_FOUND",
			Message:  fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", strings.ToUpper(strings.TrimSuffix(typ, "s"))),
			Context:  map[string]any{"ids": missing},
		}}
	}
	writeJSON(w, status, resp)
}

// associationTypeIDs are HUBSPOT_DEFINED association type ids from tickets.
var associationTypeIDs = map[string]int{typeContacts: 16, typeEmails: 224, typeNotes: 228}

// batchAssociations serves POST /crm/v4/associations/{from}/{to}/batch/read
// from tickets: at most 1,000 inputs, each paged by AssociationPageSize.
func (s *Server) batchAssociations(w http.ResponseWriter, r *http.Request) {
	from, to := objectType(r.PathValue("from")), objectType(r.PathValue("to"))
	if from != typeTickets && to == typeTickets && from != typeContacts && from != "" {
		s.batchEngagementTickets(w, r, from)
		return
	}
	if from != typeTickets || to == "" || to == typeTickets {
		badRequest(w, "unsupported association types")
		return
	}
	var req struct {
		Inputs []struct {
			ID    string `json:"id"`
			After string `json:"after"`
		} `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		badRequest(w, "Invalid input JSON on line 1")
		return
	}
	if len(req.Inputs) > 1000 {
		badRequest(w, fmt.Sprintf("Batch input size %d exceeds the limit of 1000", len(req.Inputs)))
		return
	}
	started := time.Now().UTC().Format(isoMillis)
	s.mu.Lock()
	defer s.mu.Unlock()
	type assocType struct {
		Category string  `json:"category"`
		TypeID   int     `json:"typeId"`
		Label    *string `json:"label"`
	}
	type toObj struct {
		ToObjectID       int64       `json:"toObjectId"`
		AssociationTypes []assocType `json:"associationTypes"`
	}
	type result struct {
		From   map[string]string `json:"from"`
		To     []toObj           `json:"to"`
		Paging *paging           `json:"paging,omitempty"`
	}
	results := []result{}
	var errs []apiError
	for _, in := range req.Inputs {
		id, err := strconv.ParseInt(in.ID, 10, 64)
		o, ok := s.resolve(typeTickets, id)
		if err == nil && ok {
			id = o.id
		}
		if err != nil || !ok || o.archived {
			errs = append(errs, apiError{Status: "error", Category: "OBJECT_NOT_FOUND", Message: "Object not found: " + in.ID, Context: map[string]any{"ids": []string{in.ID}}})
			continue
		}
		ids := s.liveAssociations(id, to)
		if len(ids) == 0 {
			errs = append(errs, apiError{Status: "error", Category: "OBJECT_NOT_FOUND", SubCategory: "crm.associations.NO_ASSOCIATIONS_FOUND",
				Message: fmt.Sprintf("No %s is associated with %s %s.", strings.TrimSuffix(to, "s"), "ticket", in.ID), Context: map[string]any{"fromObjectId": []string{in.ID}}})
			continue
		}
		start := 0
		if in.After != "" {
			n, err := decodeAfter(in.After)
			if err != nil || n < 0 || int(n) > len(ids) {
				badRequest(w, "invalid after token")
				return
			}
			start = int(n)
		}
		end := min(start+s.opts.AssociationPageSize, len(ids))
		res := result{From: map[string]string{"id": in.ID}, To: []toObj{}}
		for _, tid := range ids[start:end] {
			res.To = append(res.To, toObj{ToObjectID: tid, AssociationTypes: []assocType{{Category: "HUBSPOT_DEFINED", TypeID: associationTypeIDs[to]}}})
		}
		if end < len(ids) {
			tok := encodeAfter(int64(end))
			res.Paging = &paging{Next: &nextPage{After: tok, Link: ""}}
		}
		results = append(results, res)
	}
	resp := map[string]any{"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": time.Now().UTC().Format(isoMillis)}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
		resp["numErrors"] = len(errs)
		resp["errors"] = errs
	}
	writeJSON(w, status, resp)
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) {
	if objectType(r.PathValue("type")) != typeTickets {
		badRequest(w, "the fake has ticket pipelines only")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created := s.opts.Start.UTC().Format(isoMillis)
	type stage struct {
		ID               string            `json:"id"`
		Label            string            `json:"label"`
		DisplayOrder     int               `json:"displayOrder"`
		Metadata         map[string]string `json:"metadata"`
		Archived         bool              `json:"archived"`
		CreatedAt        string            `json:"createdAt"`
		UpdatedAt        string            `json:"updatedAt"`
		WritePermissions string            `json:"writePermissions"`
	}
	type pipeline struct {
		ID           string  `json:"id"`
		Label        string  `json:"label"`
		DisplayOrder int     `json:"displayOrder"`
		Archived     bool    `json:"archived"`
		CreatedAt    string  `json:"createdAt"`
		UpdatedAt    string  `json:"updatedAt"`
		Stages       []stage `json:"stages"`
	}
	out := []pipeline{}
	for _, p := range s.pipes {
		pp := pipeline{ID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder, CreatedAt: created, UpdatedAt: created, Stages: []stage{}}
		for _, st := range p.Stages {
			meta := map[string]string{}
			if st.TicketState != "" {
				meta["ticketState"] = st.TicketState
			}
			pp.Stages = append(pp.Stages, stage{ID: st.ID, Label: st.Label, DisplayOrder: st.DisplayOrder, Metadata: meta,
				CreatedAt: created, UpdatedAt: created, WritePermissions: "CRM_PERMISSIONS_ENFORCEMENT"})
		}
		out = append(out, pp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

type publicOwner struct {
	ID        string `json:"id"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	UserID    int64  `json:"userId,omitempty"`
	Type      string `json:"type"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
	Archived  bool   `json:"archived"`
	Teams     []any  `json:"teams"`
}

func (s *Server) renderOwner(o *Owner) publicOwner {
	at := s.opts.Start.UTC().Format(isoMillis)
	return publicOwner{ID: o.ID, Email: o.Email, FirstName: o.FirstName, LastName: o.LastName, UserID: o.UserID,
		Type: "PERSON", CreatedAt: at, UpdatedAt: at, Archived: o.Archived, Teams: []any{}}
}

// listOwners serves GET /crm/v3/owners: limit at most 500 (100 by default),
// after, email and archived.
func (s *Server) listOwners(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, archived, after, ok := listParams(w, q, 100, 500)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for _, o := range s.owners {
		id, _ := strconv.ParseInt(o.ID, 10, 64)
		if id > after && o.Archived == archived && (q.Get("email") == "" || strings.EqualFold(q.Get("email"), o.Email)) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	results := []publicOwner{}
	for _, id := range ids {
		results = append(results, s.renderOwner(s.owners[idString(id)]))
	}
	resp := map[string]any{"results": results}
	if more {
		tok := encodeAfter(ids[len(ids)-1])
		resp["paging"] = paging{Next: &nextPage{After: tok, Link: "?after=" + tok}}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) readOwner(w http.ResponseWriter, r *http.Request) {
	if _, err := strconv.ParseInt(r.PathValue("id"), 10, 32); err != nil {
		badRequest(w, "ownerId must be an integer")
		return
	}
	archived, err := parseBool(r.URL.Query().Get("archived"))
	if err != nil {
		badRequest(w, "archived must be true or false")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.owners[r.PathValue("id")]
	if !ok || o.Archived != archived {
		writeError(w, http.StatusNotFound, "Resource not found", "OBJECT_NOT_FOUND", nil)
		return
	}
	writeJSON(w, http.StatusOK, s.renderOwner(o))
}

// listParams reads the paging parameters of a list endpoint: limit (def
// when absent, at most max), archived and after. It answers 400 and reports
// false when one is invalid.
func listParams(w http.ResponseWriter, q url.Values, def, max int) (limit int, archived bool, after int64, ok bool) {
	limit = def
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			badRequest(w, fmt.Sprintf("limit must be between 1 and %d", max))
			return 0, false, 0, false
		}
		limit = n
	}
	archived, err := parseBool(q.Get("archived"))
	if err != nil {
		badRequest(w, "archived must be true or false")
		return 0, false, 0, false
	}
	if v := q.Get("after"); v != "" {
		if after, err = decodeAfter(v); err != nil {
			badRequest(w, "invalid after token")
			return 0, false, 0, false
		}
	}
	return limit, archived, after, true
}

// batchEngagementTickets serves POST /crm/v4/associations/{emails|notes}/tickets/batch/read:
// the tickets each engagement is associated with.
func (s *Server) batchEngagementTickets(w http.ResponseWriter, r *http.Request, from string) {
	var req struct {
		Inputs []struct {
			ID string `json:"id"`
		} `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		badRequest(w, "Invalid input JSON on line 1")
		return
	}
	if len(req.Inputs) > 1000 {
		badRequest(w, fmt.Sprintf("Batch input size %d exceeds the limit of 1000", len(req.Inputs)))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type toObj struct {
		ToObjectID int64 `json:"toObjectId"`
	}
	type result struct {
		From map[string]string `json:"from"`
		To   []toObj           `json:"to"`
	}
	results := []result{}
	for _, in := range req.Inputs {
		id, err := strconv.ParseInt(in.ID, 10, 64)
		if err != nil {
			continue
		}
		res := result{From: map[string]string{"id": in.ID}}
		for tid, ids := range s.assoc[typeTickets+"/"+from] {
			if o, ok := s.objects[typeTickets][tid]; ok && !o.archived && slices.Contains(ids, id) {
				res.To = append(res.To, toObj{ToObjectID: tid})
			}
		}
		if len(res.To) > 0 {
			results = append(results, res)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "COMPLETE", "results": results})
}
