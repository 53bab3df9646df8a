package hubspottest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Thread is a conversations inbox thread (a chat, a messaging or inbox
// email conversation) of the help desk, associated with a ticket.
type Thread struct {
	// InboxID is the inbox holding the thread; "147959634" when empty.
	InboxID string
	// Channel is the thread's original channel id ("1000" live chat, "1001"
	// Facebook Messenger, "1002" email, ...); "1002" when empty.
	Channel string
}

// Message is one message of a thread. Type "MESSAGE" is a message to or
// from the visitor; "COMMENT" an agents' internal comment.
type Message struct {
	Type string // "MESSAGE" when empty
	// Direction is "INCOMING" or "OUTGOING" for a MESSAGE.
	Direction  string
	Text       string
	RichText   string // HTML
	SenderID   string // actor id: "A-<user id>" for an agent, "V-<id>" for a visitor
	SenderName string
	// SenderEmail is the sender's deliveryIdentifier of type
	// HS_EMAIL_ADDRESS, when known.
	SenderEmail string
	// CreatedAt is the fake's clock when zero.
	CreatedAt time.Time
}

type thread struct {
	id        int64
	ticket    int64
	inbox     string
	channel   string
	createdAt time.Time
	latest    time.Time
	messages  []message
	archived  bool
}

type message struct {
	id int64
	Message
}

// AddThread opens a conversations thread associated with a ticket and
// returns its id. Like HubSpot's inbox, adding a thread or a message leaves
// the ticket's hs_lastmodifieddate as it is: whether HubSpot moves it is
// not documented, and the fake takes the unkind reading.
func (s *Server) AddThread(ticketID string, t Thread) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tk := s.mustTicket(ticketID)
	id := int64(8000000000 + len(s.threads) + 1)
	th := &thread{id: id, ticket: tk.id, inbox: t.InboxID, channel: t.Channel, createdAt: s.Now(), latest: s.Now()}
	if th.inbox == "" {
		th.inbox = "147959634"
	}
	if th.channel == "" {
		th.channel = "1002"
	}
	s.threads[id] = th
	return idString(id)
}

// AddMessage adds a message to a thread and returns its id.
func (s *Server) AddMessage(threadID string, m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := strconv.ParseInt(threadID, 10, 64)
	th, ok := s.threads[n]
	if !ok {
		panic(fmt.Sprintf("hubspottest: no thread %q", threadID))
	}
	if m.Type == "" {
		m.Type = "MESSAGE"
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.Now()
	}
	s.nextID["messages"]++
	id := 9000000 + s.nextID["messages"]
	th.messages = append(th.messages, message{id: id, Message: m})
	if m.CreatedAt.After(th.latest) {
		th.latest = m.CreatedAt
	}
	return idString(id)
}

type publicThread struct {
	ID                       string            `json:"id"`
	CreatedAt                string            `json:"createdAt"`
	Status                   string            `json:"status"`
	OriginalChannelID        string            `json:"originalChannelId"`
	OriginalChannelAccountID string            `json:"originalChannelAccountId"`
	LatestMessageTimestamp   string            `json:"latestMessageTimestamp"`
	Spam                     bool              `json:"spam"`
	InboxID                  string            `json:"inboxId"`
	AssociatedContactID      string            `json:"associatedContactId"`
	Archived                 bool              `json:"archived"`
	ThreadAssociations       map[string]string `json:"threadAssociations,omitempty"`
}

// listThreads serves GET /conversations/v3/conversations/threads: limit at
// most 500, after, sort "id" (the default) or "latestMessageTimestamp"
// (which needs latestMessageTimestampAfter), association=TICKET to include
// threadAssociations.associatedTicketId, and the associatedTicketId filter.
func (s *Server) listThreads(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, archived, _, ok := listParams(w, q, 20, 500)
	if !ok {
		return
	}
	byLatest := q.Get("sort") == "latestMessageTimestamp"
	if q.Get("sort") != "" && q.Get("sort") != "id" && !byLatest {
		badRequest(w, "sort must be id or latestMessageTimestamp")
		return
	}
	var since time.Time
	if v := q.Get("latestMessageTimestampAfter"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			badRequest(w, "latestMessageTimestampAfter must be an ISO-8601 date-time")
			return
		}
		since = t
	} else if byLatest {
		badRequest(w, "latestMessageTimestampAfter is required when sorting by latestMessageTimestamp")
		return
	}
	var ticket int64
	if v := q.Get("associatedTicketId"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			badRequest(w, "associatedTicketId must be a number")
			return
		}
		ticket = n
	}
	withTicket := slices.Contains(splitList(q["association"]), "TICKET")
	// after is an offset into the sorted list, opaque to clients.
	offset := 0
	if v := q.Get("after"); v != "" {
		n, err := decodeAfter(v)
		if err != nil || n < 0 {
			badRequest(w, "invalid after token")
			return
		}
		offset = int(n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*thread
	for _, th := range s.threads {
		if th.archived != archived || (ticket != 0 && th.ticket != ticket) || (!since.IsZero() && !th.latest.After(since)) {
			continue
		}
		list = append(list, th)
	}
	slices.SortFunc(list, func(a, b *thread) int {
		if byLatest && !a.latest.Equal(b.latest) {
			return a.latest.Compare(b.latest)
		}
		return int(a.id - b.id)
	})
	results := []publicThread{}
	end := min(offset+limit, len(list))
	for _, th := range list[min(offset, end):end] {
		p := publicThread{ID: idString(th.id), CreatedAt: th.createdAt.UTC().Format(isoMillis), Status: "OPEN",
			OriginalChannelID: th.channel, OriginalChannelAccountID: "240000001", LatestMessageTimestamp: th.latest.UTC().Format(isoMillis),
			InboxID: th.inbox, AssociatedContactID: "101", Archived: th.archived}
		if withTicket {
			p.ThreadAssociations = map[string]string{"associatedTicketId": idString(th.ticket)}
		}
		results = append(results, p)
	}
	resp := map[string]any{"results": results}
	if end < len(list) {
		tok := encodeAfter(int64(end))
		resp["paging"] = paging{Next: &nextPage{After: tok, Link: "?after=" + tok}}
	}
	writeJSON(w, http.StatusOK, resp)
}

type publicMessage struct {
	Type                  string   `json:"type"`
	ID                    string   `json:"id"`
	ConversationsThreadID string   `json:"conversationsThreadId"`
	CreatedAt             string   `json:"createdAt"`
	CreatedBy             string   `json:"createdBy"`
	Text                  string   `json:"text,omitempty"`
	RichText              string   `json:"richText,omitempty"`
	Direction             string   `json:"direction,omitempty"`
	ChannelID             string   `json:"channelId"`
	Senders               []sender `json:"senders"`
	Archived              bool     `json:"archived"`
	TruncationStatus      string   `json:"truncationStatus"`
}

type sender struct {
	ActorID            string              `json:"actorId"`
	Name               string              `json:"name,omitempty"`
	DeliveryIdentifier *deliveryIdentifier `json:"deliveryIdentifier,omitempty"`
}

type deliveryIdentifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// listMessages serves GET /conversations/v3/conversations/threads/{id}/messages:
// oldest first, limit at most 500 (default 20), after.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _, after, ok := listParams(w, q, 20, 500)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	th, found := s.threads[id]
	if err != nil || !found {
		writeError(w, http.StatusNotFound, "Thread not found", "OBJECT_NOT_FOUND", nil)
		return
	}
	start := min(int(after), len(th.messages))
	end := min(start+limit, len(th.messages))
	results := []publicMessage{}
	for _, m := range th.messages[start:end] {
		pm := publicMessage{Type: m.Type, ID: idString(m.id), ConversationsThreadID: idString(th.id), CreatedAt: m.CreatedAt.UTC().Format(isoMillis),
			CreatedBy: m.SenderID, Text: m.Text, RichText: m.RichText, ChannelID: th.channel, TruncationStatus: "NOT_TRUNCATED"}
		if m.Type == "MESSAGE" {
			pm.Direction = m.Direction
		}
		sd := sender{ActorID: m.SenderID, Name: m.SenderName}
		if m.SenderEmail != "" {
			sd.DeliveryIdentifier = &deliveryIdentifier{Type: "HS_EMAIL_ADDRESS", Value: m.SenderEmail}
		}
		pm.Senders = []sender{sd}
		results = append(results, pm)
	}
	resp := map[string]any{"results": results}
	if end < len(th.messages) {
		tok := encodeAfter(int64(end))
		resp["paging"] = paging{Next: &nextPage{After: tok, Link: "?after=" + tok}}
	}
	writeJSON(w, http.StatusOK, resp)
}
