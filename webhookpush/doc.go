// Package webhookpush is the connector for any system that can POST JSON
// to a URL: a home-grown help desk, Gorgias, Help Scout, Front, a Zapier or
// Make flow. It implements ticketsync.WebhookReceiver; the Syncer's
// WebhookHandler serves it at
//
//	POST /api/webhooks/tickets?connectorId=ID
//
// where ID is the id the connector was added under (Syncer.Add with
// ticketsync.ModeWebhook).
//
// # The push format
//
// Send Content-Type: application/json and one ticket as the sender knows
// it, under a root "ticket", "issue", "case" or "conversation" object:
//
//	{
//	  "event": "ticket.created",
//	  "ticket": {
//	    "id": "12345",
//	    "subject": "Login not working",
//	    "description": "Users unable to login since update",
//	    "status": "open",
//	    "priority": "high",
//	    "requester_email": "cfo@customer.com",
//	    "tags": ["login", "vip"],
//	    "created_at": "2026-07-01T09:00:00Z",
//	    "updated_at": "2026-07-01T09:05:00Z"
//	  }
//	}
//
// This works with no Mapping at all. Auto-detection reads these names in
// the ticket object, first match wins, without regard to case (a dotted
// name is a nested object):
//
//	ID               id, number, key, ticket_id, ticketId (required)
//	Subject          subject, title, summary, name
//	Description      description, body, content, text
//	Status           status, state
//	Priority         priority
//	Channel          channel
//	Requester.Email  requester_email, requesterEmail, requester.email, customer_email, customer.email, email
//	Requester.Name   requester_name, requesterName, requester.name, customer_name, customer.name
//	Requester.ID     requester_id, requesterId, requester.id, customer_id, customer.id
//	Assignee.Email   assignee_email, assigneeEmail, assignee.email
//	Assignee.Name    assignee_name, assigneeName, assignee.name
//	Assignee.ID      assignee_id, assigneeId, assignee.id
//	Tags             tags, labels
//	CreatedAt        created_at, createdAt, created
//	UpdatedAt        updated_at, updatedAt, updated, modified_at, modifiedAt
//	URL              url, link, html_url
//
// The event kind is read next to the root object from "event",
// "event_type", "eventType", "action", "type", "kind" or "topic": a word
// ending in created, deleted (or removed), updated, or commented
// ("ticket.created", "ticket_deleted", "Comment Added"). Without one, or
// with a word it does not know, the event is an update. A delete event
// marks the ticket Deleted.
//
// Several tickets may come in one delivery, as a root array, or under
// "tickets", "issues", "cases" or "conversations". A ticket may also be the
// root object itself, when it has an "id" (its "event" or "action" member
// then gives the kind; its "type" is left alone, being the ticket's type).
// "{}", "[]" and an event word "ping" or "test" with no ticket are accepted
// and store nothing, for senders' "test the endpoint" buttons.
//
// A delivery the connector cannot read is answered 400 with the reason:
// "webhookpush: ticket: no id field (looked for id, number, key, ...)",
// "webhookpush: ticket.created_at: not a time: want RFC 3339 ...".
//
// # Values
//
// Ids are strings or integers (1.0e3 is refused: ids are not measured).
// Times are RFC 3339 (a time without zone is UTC; a date alone is
// midnight UTC), or unix seconds or milliseconds as a number or a string of
// digits; times before 1970 or more than MaxFutureSkew ahead are refused.
// Send updated_at whenever the sender knows it: it decides which copy of a
// ticket is newer. A ticket without an updated time has an unknown one
// (UpdatedAt zero), not the time it arrived: it never replaces a stored
// copy that has a real time (an older push arriving late must not undo a
// newer one), and among pushes without a time the last to arrive wins. A
// delete without a time is placed just past the stored copy, so a replayed
// one deletes again: sign with a timestamp (see Who may push).
//
// Status and priority words go through Config.StatusMap and
// Config.PriorityMap, then ticketsync.ParseStatus and ParsePriority;
// the word itself is kept in RawStatus or RawPriority. An unknown or
// missing status is StatusOpen (the ticket exists and nobody said it is
// done); an unknown priority is PriorityNone. Tags are an array or one
// comma-separated string. Custom fields (Mapping "Fields.<name>") keep
// strings, numbers and booleans as text and objects or arrays as their
// JSON.
//
// # Mapping
//
// When the sender's JSON has other names, Config.Mapping says where each
// Ticket field is, and replaces auto-detection entirely:
//
//	webhookpush.Mapping{
//		"ID":              "data.items[0].number",
//		"Subject":         "data.items[0].fields.summary",
//		"Status":          "data.items[0].fields.state.name",
//		"Requester.Email": "data.items[0].people[1].email",
//		"Kind":            "meta.action",
//		"Fields.Plan":     "data.items[0].fields.plan",
//	}
//
// A path is member names separated by dots, each optionally followed by
// array indexes in brackets: "ticket.id", "requester.email",
// "data.items[0].subject", "[0].id". Names are matched exactly and may hold
// any character but ".", "[" and "]". With Config.ItemsPath (say
// "payload.records"), the tickets are the elements of that array (or that
// one object), and Mapping's paths are read from each of them; a path that
// starts with "$." is read from the delivery's root instead, as an event
// kind often is ("$.payload.op"). New refuses a path it cannot parse and a
// Mapping without "ID". A mapped optional field that points at nothing is
// left empty; a missing ID is a 400 that names its path.
//
// # Who may push
//
// New refuses a Config without a way to authenticate senders, unless
// AllowUnsigned says explicitly that anyone may push. Each scheme takes
// several secrets, for rotation; a delivery is accepted when any configured
// scheme accepts it, and refused with ticketsync.ErrInvalidSignature
// (answered 401) otherwise. The examples push this body:
//
//	body='{"ticket":{"id":"12345","subject":"Login not working","status":"open"}}'
//	url='https://support.example.com/api/webhooks/tickets?connectorId=ID'
//
// Prefer Standard Webhooks (https://www.standardwebhooks.com) where the
// sender supports it, or can use one of its libraries: it signs a message
// id and a timestamp with the body, so a captured delivery cannot be
// replayed after the tolerance.
//
// HMAC-SHA256 of the raw body (Config.HMACSecrets), in X-Hub-Signature-256
// or Config.SignatureHeader, as hex or base64, with or without "sha256=".
// The documented format; SignHMAC computes it:
//
//	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
//	curl "$url" -H 'Content-Type: application/json' \
//	  -H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body"
//
// Such a signature covers the body only: anyone who captures a delivery
// can send it again, at any time, and a replayed delete deletes the ticket
// again. Set Config.TimestampHeader ("X-Webhook-Timestamp") to refuse
// that: the sender then sends the time in unix seconds in that header and
// signs the timestamp, a dot and the body (SignHMACTimestamped), and
// deliveries more than Config.Tolerance (5 minutes) old are refused:
//
//	ts=$(date +%s)
//	sig=$(printf '%s' "$ts.$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
//	curl "$url" -H 'Content-Type: application/json' -H "X-Webhook-Timestamp: $ts" \
//	  -H "X-Hub-Signature-256: sha256=$sig" --data-binary "$body"
//
// Standard Webhooks (Config.StandardWebhooksSecrets, "whsec_" and base64):
// webhook-id, webhook-timestamp (unix seconds) and webhook-signature, a
// space-separated list of "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
// The timestamp must be within Config.Tolerance (5 minutes) of the
// receiver's clock; a delivery sent again with the same webhook-id within
// that window is accepted again and changes nothing, since tickets are
// stored idempotently. The svix- header names are accepted too.
// SignStandardWebhook and SetStandardWebhookHeaders compute them:
//
//	id=msg_$(date +%s%N); ts=$(date +%s)
//	key=$(printf '%s' "${WHSEC#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')
//	sig=$(printf '%s' "$id.$ts.$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
//	curl "$url" -H 'Content-Type: application/json' -H "webhook-id: $id" \
//	  -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" --data-binary "$body"
//
// A static token (Config.BearerTokens), as "Authorization: Bearer <token>",
// or as the whole value of Config.TokenHeader for senders that can only set
// a fixed header ("X-Webhook-Secret"). It is compared in constant time but
// proves only that the sender knows the token, not that the body is
// unchanged: prefer a signature where the sender can compute one.
//
//	curl "$url" -H 'Content-Type: application/json' \
//	  -H "Authorization: Bearer $TOKEN" --data-binary "$body"
//
// Errors never hold a secret, a signature or the payload.
package webhookpush
