// Package jiratest is a fake Jira Cloud site with Jira Service Management,
// built on net/http/httptest and ticketsync's shared fake base, for tests,
// benchmarks and examples that must run without an Atlassian site.
//
// The fake models Jira on its own and never imports the jira connector
// package: it authenticates, searches, pages, rate-limits and signs
// webhooks the way Atlassian documents it, and is as unkind as Jira where
// clients go wrong, so that a connector bug shows up as a failing test.
//
//	f := jiratest.NewServer(t, &jiratest.Options{TimeZone: "America/Los_Angeles", IndexLag: time.Minute})
//	f.Seed(100, 30)
//	conn, _ := jira.New(jira.Config{BaseURL: f.URL, Email: f.Email(), APIToken: f.Token()})
//
// # What is modelled, and where it comes from
//
// Sources: the Jira Cloud platform REST API v3 OpenAPI document
// (swagger-v3.v3.json, December 2025), the JSM REST API reference, Atlassian
// changelog CHANGE-2046 (search deprecation), developer.atlassian.com's
// rate-limiting page and JRACLOUD-69262, the JQL reference
// (confluence.atlassian.com "JQL Date Time Formats"), Atlassian's secure
// admin webhooks announcement (February 2024), and jira.js issue #418 for
// the anonymous answers.
//
//   - Auth: HTTP Basic email:API token; OAuth 2.0 Bearer tokens under
//     /ex/jira/{cloudId} (Options.OAuthToken). Wrong or revoked credentials
//     are not refused: Jira serves the request as the anonymous user, with
//     X-Seraph-LoginReason: AUTHENTICATED_FAILED, so searches and bulk
//     fetches answer 200 with nothing in them (jira.js #418; the swagger's
//     "This operation can be accessed anonymously"). /myself and the JSM
//     API answer 401. Agents can have access to some projects only
//     (SetAccess, AddAgent).
//   - GET /rest/api/3/myself with the user's profile timeZone, and
//     GET /rest/api/3/field with JSM's "Request Type"
//     (com.atlassian.servicedesk:vp-origin) and "Request participants"
//     (com.atlassian.servicedesk:sd-request-participants) custom fields,
//     whose ids differ per site.
//   - GET /rest/servicedeskapi/servicedesk, paged by start and limit
//     (JSM REST reference).
//   - The enhanced search, GET and POST /rest/api/3/search/jql (swagger):
//     fields default to id only; maxResults defaults to 50 and is cut to
//     100 when fields other than id or key are asked for (the swagger's "may
//     return fewer items per page where a large number of fields are
//     requested"; 100 is what Jira Cloud answers, reported by clients) and to
//     5000 for ids only; nextPageToken and isLast, the token bound to its
//     query and valid seven days; unknown body fields such as startAt are
//     refused with "Invalid request payload" (community reports of the
//     migration). The token continues after the last issue of the previous
//     page, so changes between pages do not shift them (how Jira's opaque
//     token behaves is not documented). Search finds issues through an index
//     that shows a change only IndexLag after it ("Recent updates might not
//     be immediately visible", swagger) and reads the fields of what it finds
//     from the issue as it is now. Deleted issues are never found.
//   - The old GET and POST /rest/api/3/search (and /rest/api/2/search)
//     answer 410 Gone pointing to /rest/api/3/search/jql (CHANGE-2046).
//   - JQL (jql.go): the clauses a connector sends, refusing everything else
//     with a 400 in Jira's words, as Jira refuses what it does not know;
//     unbounded queries refused; at most seven ORDER BY fields. Date
//     literals are read in the user's profile time zone, to the minute
//     (Atlassian's JQL date formats; the zone is the documented pitfall); a
//     wall time named twice by a daylight-saving change is read as the later
//     instant unless Options.AmbiguousEarlier (Jira's choice is not
//     documented, so the fake takes the one that loses changes for a naive
//     client). Every search request reads its JQL again, in the zone the
//     profile has then, also when it continues a query with a page token.
//     Datetimes are written "2006-01-02T15:04:05.000+0000", in UTC whatever
//     the profile's zone, as clients observe (Airbyte's Jira source, PR
//     48395): answers do not show the zone literals are read in.
//   - POST /rest/api/3/issue/bulkfetch, at most 100 ids or keys, issues in
//     ascending id order, missing and invisible ones left out (swagger).
//   - GET /rest/api/3/issue/{idOrKey}/comment, startAt and maxResults (at
//     most 100), orderBy created; the comment field of search and bulk
//     fetch holds only the first Options.SearchComments (20) comments with
//     the total (the exact number Jira embeds is not documented). Bodies
//     are Atlassian Document Format; JSM internal notes have jsdPublic
//     false (swagger's Comment).
//   - Rate limits (Options.RateLimit per RateWindow, on the fake's clock):
//     429 with Retry-After in seconds, X-RateLimit-Reset as an ISO minute,
//     X-RateLimit-Limit, X-RateLimit-Remaining and RateLimit-Reason:
//     jira-burst-based; X-RateLimit-NearLimit: true when less than a fifth
//     remains (rate-limiting page, JRACLOUD-69262). RateLimited builds the
//     same 429 as a fault. EarlyRetries counts requests that came before a
//     429's wait was over.
//   - Faults (fakeapi.Fault): 5xx, 429, delays, bodies cut short, complete
//     bodies of broken JSON (Status 200 with Body), HTML pages; an address
//     outside /rest/ answers with the HTML page of a site that does not
//     exist.
//   - Mutators that stamp changes on the fake's clock: CreateIssue,
//     UpdateIssue, MoveIssue (the key changes, the id stays), AddComment,
//     DeleteIssue, SetTimeZone, RevokeToken, SetIndexLag; Seed for a varied
//     desk.
//   - Webhook deliveries as admin webhooks send them (Webhook, Delivery):
//     webhookEvent, timestamp in unix milliseconds, the acting user, the
//     issue in its REST v2 representation (wiki markup bodies), a slim issue
//     and the comment for comment events; X-Hub-Signature: sha256=<hex
//     HMAC-SHA256 of the body> when a secret is set,
//     X-Atlassian-Webhook-Identifier the same on every retry,
//     X-Atlassian-Webhook-Retry on retries, X-Atlassian-Webhook-Flow
//     (Atlassian's webhook documentation; hookdeck's Jira guide).
//
// The fake embeds the shared fake base, so it has the same clock (Now,
// SetNow, Advance, and Sleep for the client under test, which waits a
// Retry-After on the fake's clock), faults (InjectFault) and request log
// (Requests, RequestCount) as every ticketsync fake.
package jiratest
