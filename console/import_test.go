package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
)

// upload posts a CSV file as the import form does.
func (e *env) upload(connector, name, content string) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("connector", connector)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+prefix+"/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.do(req)
}

// zendeskExport is a Zendesk ticket export with one bad row.
const zendeskExport = `Id,Subject,Status,Priority,Requester,Requester email,Assignee,Tags,Via,Created at,Updated at,Plan
101,Printer on fire,Open,Urgent,Ann Lee,ann@example.com,Bob,printer fire,Mail,2026-03-01 10:00:00,2026-03-02 11:00:00,gold
102,Password reset,Solved,Low,Cy Doe,cy@example.com,,login,Web form,2026-03-01 12:00:00,2026-03-01 13:00:00,free
103,Broken date,Open,Normal,Di,di@example.com,,,Mail,not a date,2026-03-01 13:00:00,free
104,Refund please,Pending,High,Ed Ko,ed@example.com,Bob,billing,Mail,2026-03-03 09:00:00,2026-03-03 09:30:00,gold
`

func TestImportPreviewThenImport(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	r := e.upload("acme", "export.csv", zendeskExport)
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, prefix+"/import/") {
		t.Fatalf("upload: %d %v %s", r.status, r.header, r.body)
	}
	page := e.follow(r)
	for _, want := range []string{
		`id="preset">zendesk<`, "4 rows: 3 would be imported, 1 skipped",
		"<td>101</td><td>Printer on fire</td><td>open", "Ann Lee ann@example.com", "printer, fire",
		"line 4: column &#34;Created at&#34;", // the row error the import would report
		`<option value="Subject" selected>Subject</option>`,
		"Kept as custom fields: Plan", "Import 3 tickets",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if n := e.store.Len("acme"); n != 0 {
		t.Fatalf("the preview stored %d tickets", n)
	}
	runs, _ := e.store.SyncRuns(context.Background(), "acme", 0)
	if len(runs) != 0 {
		t.Fatalf("the preview recorded a run: %+v", runs)
	}

	// Adjust the mapping: the Plan column becomes the channel... and the
	// subject is left out.
	q := url.Values{"mapped": {"1"}, "preset": {"zendesk"}}
	for _, f := range []string{"ID", "Status", "Priority", "Requester.Name", "Requester.Email", "Assignee.Name", "Tags", "CreatedAt", "UpdatedAt"} {
		q.Set("col."+f, map[string]string{"ID": "Id", "Requester.Name": "Requester", "Requester.Email": "Requester email", "Assignee.Name": "Assignee", "CreatedAt": "Created at", "UpdatedAt": "Updated at"}[f])
		if q.Get("col."+f) == "" {
			q.Set("col."+f, f)
		}
	}
	q.Set("col.Channel", "Plan")
	adjusted := e.get(strings.TrimPrefix(loc, prefix) + "?" + q.Encode())
	if !strings.Contains(adjusted.body, "<td>101</td><td></td>") || !strings.Contains(adjusted.body, `<option value="Plan" selected>Plan</option>`) {
		t.Fatalf("adjusted preview:\n%s", adjusted.body)
	}

	// Import with the adjusted mapping.
	form := url.Values{}
	for k, v := range q {
		form[k] = v
	}
	r = e.post(strings.TrimPrefix(loc, prefix), form)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != loc+"/status" {
		t.Fatalf("start import: %d %v", r.status, r.header)
	}
	var final response
	waitFor(t, "the import to finish", func() bool {
		final = e.get(strings.TrimPrefix(loc, prefix) + "/status")
		return strings.Contains(final.body, "finished")
	})
	for _, want := range []string{`<dd id="imported">3</dd>`, `<dd id="skipped">1</dd>`, "line 4"} {
		if !strings.Contains(final.body, want) {
			t.Errorf("report lacks %q:\n%s", want, final.body)
		}
	}
	tk, err := e.store.Ticket(context.Background(), "acme", "101")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Subject != "" || tk.Channel != "gold" || tk.Platform != "zendesk" || tk.Status != ticketsync.StatusOpen {
		t.Fatalf("stored ticket does not follow the mapping: %+v", tk)
	}
	hist := e.get("/connectors/acme")
	if !strings.Contains(hist.body, `data-label="Trigger">import`) {
		t.Error("the import is not in the history")
	}
	// Posting again does not import twice, and the preview now shows the
	// status.
	if r := e.post(strings.TrimPrefix(loc, prefix), form); r.header.Get("Location") != loc+"/status" {
		t.Fatalf("second start: %v", r.header)
	}
	if r := e.get(strings.TrimPrefix(loc, prefix)); r.status != http.StatusSeeOther {
		t.Fatalf("preview after import: %d", r.status)
	}
	runs, _ = e.store.SyncRuns(context.Background(), "acme", 0)
	if len(runs) != 1 {
		t.Fatalf("%d runs recorded, want 1 import", len(runs))
	}
}

func TestImportStatusShowsProgressWhileRunning(t *testing.T) {
	e := newEnv(t, nil)
	var b strings.Builder
	b.WriteString("id,subject,updated\n")
	for i := range 20000 {
		b.WriteString(itoa(i + 1))
		b.WriteString(",Subject number ")
		b.WriteString(itoa(i))
		b.WriteString(",2026-01-02T03:04:05Z\n")
	}
	loc := e.upload("big", "big.csv", b.String()).header.Get("Location")
	r := e.post(strings.TrimPrefix(loc, prefix), url.Values{})
	if r.status != 303 {
		t.Fatalf("%d", r.status)
	}
	st := e.get(strings.TrimPrefix(loc, prefix) + "/status")
	if !strings.Contains(st.body, "finished") {
		if !strings.Contains(st.body, `<meta http-equiv="refresh" content="1">`) || !strings.Contains(st.body, "<progress") {
			t.Fatalf("running import without progress:\n%s", st.body)
		}
	}
	waitFor(t, "the import", func() bool {
		return strings.Contains(e.get(strings.TrimPrefix(loc, prefix)+"/status").body, `<dd id="imported">20000</dd>`)
	})
	if n := e.store.Len("big"); n != 20000 {
		t.Fatalf("%d stored", n)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestUploadsAreBounded(t *testing.T) {
	e := newEnv(t, func(o *console.Options) { o.MaxUploadBytes = 1 << 10 })
	big := "id,subject\n" + strings.Repeat("1,aaaaaaaaaaaaaaaaaaaaaaaa\n", 200)
	r := e.upload("acme", "big.csv", big)
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "larger than") {
		t.Fatalf("oversized upload: %d %s", r.status, r.body)
	}
	// A form post is bounded too.
	r = e.post("/connect/zendesk", url.Values{"id": {strings.Repeat("a", 100<<10)}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("oversized form: %d", r.status)
	}
	// A small file passes.
	if r := e.upload("acme", "small.csv", "id,subject\n1,a\n"); r.status != http.StatusSeeOther {
		t.Fatalf("small upload: %d %s", r.status, r.body)
	}
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.upload("bad id/", "a.csv", "id\n1\n"); r.status != 422 || !strings.Contains(r.body, "Connector id") {
		t.Errorf("bad connector id: %d", r.status)
	}
	if r := e.upload("acme", "a.csv", ""); r.status != 422 || !strings.Contains(r.body, "not empty") {
		t.Errorf("empty file: %d", r.status)
	}
	if r := e.post("/import", url.Values{"connector": {"acme"}}); r.status != 400 {
		t.Errorf("not multipart: %d", r.status)
	}
	// A file that is not CSV says why in the preview, and cannot be
	// imported.
	page := e.follow(e.upload("acme", "a.json", `{"tickets": [1, 2]}`))
	if !strings.Contains(page.body, "cannot be imported as mapped") || !strings.Contains(page.body, "disabled") {
		t.Errorf("non-CSV preview:\n%s", page.body)
	}
}
