package jira_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
	"github.com/ticketsync/ticketsync/memstore"
)

// A connector for a Jira Service Management site, here the fake, synced
// into a Store. With a real site, set Subdomain instead of BaseURL and an
// API token from id.atlassian.com.
func Example() {
	site := jiratest.New(nil)
	defer site.Close()
	customer := site.AddUser(jiratest.User{DisplayName: "Carla Customer", Email: "carla@example.com", Customer: true})
	issue := site.CreateIssue(jiratest.Issue{
		Summary: "VPN drops every hour", Description: jiratest.Doc("Since Monday.", "On the office network only."),
		Status: "Waiting for customer", Priority: "High", Reporter: customer, RequestType: "Report a system problem",
		Comments: []jiratest.Comment{{Body: jiratest.Doc("Which VPN client version?"), Public: true},
			{Body: jiratest.Doc("Probably the new firewall rule."), Public: false}},
	})

	conn, err := jira.New(jira.Config{
		BaseURL:  site.URL, // Subdomain: "acme" for https://acme.atlassian.net
		Email:    site.Email(),
		APIToken: site.Token(),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := conn.Test(ctx); err != nil {
		panic(err)
	}
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	if err := syncer.Add("acme-jira", conn, ticketsync.ModePoll); err != nil {
		panic(err)
	}
	run, err := syncer.SyncNow(ctx, "acme-jira")
	if err != nil {
		panic(err)
	}
	t, _ := store.Ticket(ctx, "acme-jira", strconv.FormatInt(issue.ID, 10))
	fmt.Println(run.Status, run.Tickets)
	fmt.Println(t.Fields["key"], t.Subject)
	fmt.Println(t.Status, t.RawStatus, t.Priority, t.Requester.Name, t.Fields["requestType"])
	fmt.Printf("%q\n", t.Description)
	for _, c := range t.Comments {
		fmt.Println(c.Public, c.Body)
	}
	// Output:
	// succeeded 1
	// SUP-1 VPN drops every hour
	// pending Waiting for customer high Carla Customer Report a system problem
	// "Since Monday.\n\nOn the office network only."
	// true Which VPN client version?
	// false Probably the new firewall rule.
}

// Descriptions and comments come as Atlassian Document Format.
func ExampleADFText() {
	doc := []byte(`{"type":"doc","version":1,"content":[
	  {"type":"paragraph","content":[{"type":"text","text":"Hi "},{"type":"mention","attrs":{"id":"5b10","text":"@Mia"}},
	    {"type":"text","text":", the export fails:"}]},
	  {"type":"orderedList","content":[
	    {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"open Reports"}]}]},
	    {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"click "},{"type":"text","text":"Export","marks":[{"type":"code"}]}]}]}]},
	  {"type":"codeBlock","attrs":{"language":"text"},"content":[{"type":"text","text":"ERROR 500\nrequest id 7f3a"}]},
	  {"type":"table","content":[
	    {"type":"tableRow","content":[{"type":"tableHeader","content":[{"type":"paragraph","content":[{"type":"text","text":"Browser"}]}]},
	      {"type":"tableHeader","content":[{"type":"paragraph","content":[{"type":"text","text":"Works"}]}]}]},
	    {"type":"tableRow","content":[{"type":"tableCell","content":[{"type":"paragraph","content":[{"type":"text","text":"Firefox"}]}]},
	      {"type":"tableCell","content":[{"type":"paragraph","content":[{"type":"text","text":"no"}]}]}]}]}
	]}`)
	text, err := jira.ADFText(doc)
	if err != nil {
		panic(err)
	}
	fmt.Println(text)
	// Output:
	// Hi @Mia, the export fails:
	//
	// 1. open Reports
	// 2. click Export
	//
	// ERROR 500
	// request id 7f3a
	//
	// Browser | Works
	// Firefox | no
}
