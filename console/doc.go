// Package console is an embeddable admin page for a host's support
// settings: the connectors of a ticketsync.Syncer with their state and sync
// history, "Connect a platform" with Test & Connect, and CSV import with a
// preview. A host mounts it under a prefix of its choosing, as it would
// net/http/pprof:
//
//	mux.Handle("/admin/support/", console.Handler(syncer, store, &console.Options{
//		Authorize: func(r *http.Request) bool { return isSupportAdmin(r) },
//		Prefix:    "/admin/support",
//	}))
//
// # Pages
//
// Connectors lists every connector with its platform, mode, state (idle,
// running, retrying with the next attempt, failed with the last error,
// paused), last success and the tickets its last run stored, with Sync now,
// Pause or Resume, and Remove (after a confirmation page).
//
// Connect a platform shows a form per Platform, built from the platform
// package's ticketsync.Form (zendesk.Form, hubspot.Form, webhookpush.Form):
// the Config fields a person fills in, each with the package's hint where to
// find it, and the mode choice. Test & Connect builds the connector, calls
// its Test, and shows the error in place; on success it saves the
// connection (Options.Connections), adds the connector to the Syncer, and
// shows its webhook URL and the platform's webhook set-up steps, with a form
// for the webhook secret that exists only once the webhook does.
//
// A connector's page has its sync history, newest first and paged, and a
// chart of the tickets synced and the failed runs per day, drawn as SVG on
// the server.
//
// It also asks "Why is a ticket missing or stale?": a ticket id leads to
// /connectors/{id}/explain?ticket=T, a link a person can share, which shows
// ticketsync.Syncer.Explain for it: the one-line conclusion first, then the
// platform's copy and the Store's, the fields in which they differ, the
// connector's cursors and whether the platform's copy is beyond them, the
// runs that could have delivered it with their errors, whether it is
// deleted or merged on the platform, the last webhook delivery naming it,
// and the next run. Explaining makes one platform request and changes
// nothing. When the Store is wrong, a separate "Repair: store the
// platform's copy now" button posts to /connectors/{id}/repair, which calls
// Syncer.Repair and shows the explanation again.
//
// Import CSV uploads a file (at most Options.MaxUploadBytes), then shows
// the preset package csvimport detected, the column mapping, and the first
// rows as they would be stored with the row errors the import would report,
// by running the import into a store that keeps nothing. A person adjusts
// the mapping and imports; the import runs in the background, and its page
// shows the progress and then the report.
//
// # Adding a platform
//
// A platform is a Form and a constructor. PlatformOf makes one from a
// platform package's Form and New, setting the Config fields the form names
// from the form's values:
//
//	console.PlatformOf(freshdesk.Form(), freshdesk.New, nil)
//
// The third argument sets what the form does not ask, such as a BaseURL or
// an HTTPClient. A host may also fill in a Platform itself, for a connector
// of its own.
//
// # Security
//
// The console is an admin surface and never authenticates anyone by itself:
// Options.Authorize decides for every request, and without it the console
// refuses every request. Every POST from another origin is refused with 403
// (http.CrossOriginProtection, which reads Sec-Fetch-Site and Origin);
// Options.TrustedOrigins names other origins allowed to post. Every answer
// carries a Content-Security-Policy without inline script and with
// frame-ancestors 'none', X-Content-Type-Options: nosniff, X-Frame-Options:
// DENY and Cache-Control: no-store. Pages are html/template, so every value
// is escaped; redirects carry message codes, never text. Uploads and forms
// are bounded. A value typed in a secret field is never shown back, also
// after a failed Test, never logged, and removed from any error before the
// error is shown.
//
// The pages work without JavaScript; a small script only adds a Copy
// button and moves the focus to an error.
package console
