// Package hubspottest is a fake of the parts of HubSpot's HTTP API that a
// ticket sync uses, built on internal/fakeapi (an httptest server with a
// fault queue, a request log and a clock of its own), for tests, benchmarks
// and examples that must run without a HubSpot account.
//
// The fake models HubSpot on its own and never imports the hubspot
// connector package: it authenticates, pages, searches, rate-limits and
// signs webhooks the way HubSpot documents it, so a connector bug shows up
// as a failing test instead of being mirrored by the fake. Tests start it
// with NewServer(tb, opts); programs and Examples with New.
//
// # What is modelled
//
//   - Private-app and OAuth Bearer tokens with scopes (AddToken): a missing or
//     unknown token is answered 401 with HubSpot's error JSON (category
//     INVALID_AUTHENTICATION); a token without a needed scope is answered
//     403 with category MISSING_SCOPES and the scopes in
//     errors[].context.requiredGranularScopes, the shape live portals send
//     (HubSpot's scopes page; 403 bodies quoted in HubSpot client issues,
//     HubSpot/hubspot-api-nodejs#268).
//   - CRM search, POST /crm/v3/objects/{tickets,emails,notes}/search:
//     filterGroups (OR of groups, AND within one; at most 5 groups, 10
//     filters per group and 25 in all), the operators EQ, NEQ, LT, LTE, GT,
//     GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY,
//     CONTAINS_TOKEN and NOT_CONTAINS_TOKEN, date values as epoch
//     milliseconds or ISO-8601, one sort (ties come back in an order that is
//     not the id order), offset paging through "after", limit at most 200,
//     and "total". Archived tickets are never returned.
//   - The 10,000-result cap: a search page that would reach past the
//     10,000th result is answered 400, however many results exist
//     (developers.hubspot.com/docs/api/crm/search, Limitations; "any
//     partition having more than 10,000 records will result in a 400 error",
//     AWS Glue's HubSpot connector notes). SetSearchResultCap lowers it.
//   - A date filter at the epoch is answered 500, as HubSpot is reported to
//     answer such queries on related endpoints (a report from users of the
//     API, not a documented rule; the fake takes the unkind reading).
//   - Index lag, per write: a ticket change shows in search only after its
//     own lag (Options.IndexLag, or a pseudo-random lag per write up to
//     Options.IndexLagMax, or SetIndexLag for the next writes), so a change
//     can show up after a newer one. HubSpot documents that search lags
//     writes (the search guide: "it may take a few moments for newly
//     created or updated objects to appear"); production connectors hold
//     an hour-old settled window because the lag varies (Sequin's "How we
//     built our sync on HubSpot's API"; Estuary's HubSpot connector).
//     Engagement searches see changes at once.
//   - Merges (MergeTickets), as HubSpot merges records today: a new record
//     with a new id, hs_merged_object_ids listing the old ids, both old
//     records gone from search and lists, and every read of an old id (GET,
//     batch read, association read) answered with the new record under its
//     new id; a ticket.merge event with primaryObjectId, mergedObjectIds and
//     newObjectId (developers.hubspot.com changelog "Updated merge
//     functionality": "both of the previous IDs will point to the resulting
//     merged record"; knowledge.hubspot.com "Merge records"; the merge
//     endpoint POST /crm/v3/objects/tickets/merge).
//   - Listing, GET /crm/v3/objects/{type} (limit at most 100, opaque "after",
//     properties, associations, archived=true for the recycle bin), reading
//     one object, GET /crm/v3/objects/{type}/{id}, and batch reads,
//     POST /crm/v3/objects/{type}/batch/read (at most 100 ids, 207 with
//     errors for ids that do not exist), for tickets, contacts, emails and
//     notes.
//   - Associations, POST /crm/v4/associations/{from}/{to}/batch/read, from
//     tickets to contacts, emails and notes, paged per object, and from
//     emails and notes to tickets.
//   - Whether logging an email or note, or archiving and restoring, moves
//     the ticket's hs_lastmodifieddate is not documented: it does by
//     default, and Options.EngagementsKeepModifiedDate and
//     ArchiveKeepsModifiedDate make it stay, so a connector can be tested
//     both ways.
//   - The conversations inbox (AddThread, AddMessage):
//     GET /conversations/v3/conversations/threads (limit at most 500,
//     after, sort=latestMessageTimestamp with latestMessageTimestampAfter,
//     association=TICKET for threadAssociations.associatedTicketId,
//     associatedTicketId) and GET .../threads/{id}/messages (MESSAGE and
//     internal COMMENT messages, senders with deliveryIdentifier), with the
//     conversations.read scope (developers.hubspot.com conversations API
//     guide, "Scope requirements"; the threads and messages references). A
//     new message leaves the ticket's hs_lastmodifieddate alone.
//   - Pipelines, GET /crm/v3/pipelines/tickets, with stage ids set per
//     account (SetPipelines), and owners, GET /crm/v3/owners and
//     GET /crm/v3/owners/{id}.
//   - Account details, GET /account-info/v3/details, with the account's
//     time zone and UTC offset.
//   - The rolling limit of Options.RateLimit requests per Options.RateWindow
//     (100 per 10 seconds, the Free and Starter tier, unless set), search's
//     own 5 a second, and a daily limit that resets at midnight in the
//     account's time zone (Options.TimeZone), answered 429 with errorType
//     RATE_LIMIT and policyName TEN_SECONDLY_ROLLING, SECONDLY (search) or
//     DAILY, and the X-HubSpot-RateLimit-* headers on every answer but
//     search's (developers.hubspot.com usage guidelines). The windows run on
//     the fake's clock.
//   - Faults (InjectFault, a fakeapi.Fault): an error status answered
//     before authentication, a 429 (RateLimitBody for a policy), a slow
//     answer, or a body cut short; the request log (Requests, RequestCount).
//   - Webhooks: events recorded as tickets change (TakeEvents) or built by
//     hand, and deliveries signed as HubSpot signs them (v3, and the legacy
//     v1 and v2), with internal/webhooksig.
//
// The fake's clock (Now, Advance, SetNow) stamps every change and runs the
// rate windows; a client under test that waits with Sleep advances it, so
// a Retry-After costs no real time.
package hubspottest
