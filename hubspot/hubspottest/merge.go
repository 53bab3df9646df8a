package hubspottest

import (
	"slices"
	"strconv"
	"strings"
)

// MergedIDsProp is the ticket property that lists the ids merged into a
// record, separated by semicolons.
const MergedIDsProp = "hs_merged_object_ids"

// MergeTickets merges two tickets as HubSpot does today: a new record with
// a new id takes the primary's property values (the other's fill what the
// primary lacks) and the associations of both; both old records leave
// search and lists; reading either old id (GET, batch read, association
// reads) answers with the new record under its new id; and the new record's
// hs_merged_object_ids lists the old ids. It records a ticket.merge event
// with primaryObjectId, mergedObjectIds and newObjectId, and returns the new
// id. It panics if either ticket does not exist.
func (s *Server) MergeTickets(primaryID, otherID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.mustTicket(primaryID), s.mustTicket(otherID)
	if p == o {
		panic("hubspottest: a ticket cannot be merged into itself")
	}
	props := map[string]string{}
	for _, src := range []*object{o, p} { // the primary's values win
		for k, v := range src.props {
			if v != nil && k != MergedIDsProp {
				props[k] = *v
			}
		}
	}
	n := s.newObject(typeTickets, props, s.Now())
	var merged []string
	for _, src := range []*object{p, o} {
		merged = append(merged, idString(src.id))
		if v := src.props[MergedIDsProp]; v != nil && *v != "" {
			merged = append(merged, strings.Split(*v, ";")...)
		}
	}
	n.props[MergedIDsProp] = ptr(strings.Join(merged, ";"))
	for _, to := range []string{typeContacts, typeEmails, typeNotes} {
		key := typeTickets + "/" + to
		for _, src := range []*object{p, o} {
			for _, id := range s.assoc[key][src.id] {
				if s.assoc[key] == nil {
					s.assoc[key] = map[int64][]int64{}
				}
				if !slices.Contains(s.assoc[key][n.id], id) {
					s.assoc[key][n.id] = append(s.assoc[key][n.id], id)
				}
			}
			delete(s.assoc[key], src.id)
		}
	}
	for _, src := range []*object{p, o} {
		delete(s.objects[typeTickets], src.id)
		s.alias[src.id] = n.id
	}
	for old, to := range s.alias { // earlier merges now point at n
		if to == p.id || to == o.id {
			s.alias[old] = n.id
		}
	}
	s.snapshot(n)
	e := s.event("ticket.merge", n.id)
	e.PrimaryObjectID = p.id
	e.MergedObjectIDs = []int64{o.id}
	e.NewObjectID = n.id
	s.events = append(s.events, e)
	return idString(n.id)
}

// MergedInto returns the id a merged ticket now answers as, and false for
// an id that was never merged.
func (s *Server) MergedInto(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := strconv.ParseInt(id, 10, 64)
	to, ok := s.alias[n]
	if err != nil || !ok {
		return "", false
	}
	return idString(to), true
}

// resolve returns the object a read of id answers with: the object itself,
// or for a merged ticket the record it was merged into. s.mu must be held.
func (s *Server) resolve(typ string, id int64) (*object, bool) {
	if o, ok := s.objects[typ][id]; ok {
		return o, true
	}
	if typ != typeTickets {
		return nil, false
	}
	if to, ok := s.alias[id]; ok {
		o, ok := s.objects[typ][to]
		return o, ok
	}
	return nil, false
}
