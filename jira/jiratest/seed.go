package jiratest

import (
	"fmt"
	"time"
)

// Seed fills the site with n issues in the "SUP" service desk, one a
// minute of the fake's clock, as a varied help desk holds them: every
// status of Statuses and every priority, reporters that are JSM customers
// (some hiding their email), request types and participants, labels, and
// comments public and internal (every issue has one; every tenth has
// commentsEach more, past what search embeds when commentsEach is large).
// It is deterministic and returns the issues created.
func (s *Server) Seed(n, commentsEach int) []Issue {
	statuses := []string{"Waiting for support", "In Progress", "Waiting for customer", "Resolved", "Closed",
		"Canceled", "To Do", "Escalated", "Open", "Done", "Pending", "Work in progress"}
	customers := []string{
		s.AddUser(User{DisplayName: "Carla Customer", Email: "carla@example.com", Customer: true}),
		s.AddUser(User{DisplayName: "Hans Hidden", Email: "hans@example.com", Customer: true, HideEmail: true}),
		s.AddUser(User{DisplayName: "Priya Patel", Email: "priya@example.com", Customer: true, TimeZone: "Asia/Kolkata"}),
	}
	prios := append([]string{""}, Priorities...)
	out := make([]Issue, 0, n)
	for i := range n {
		in := Issue{
			Summary:     fmt.Sprintf("Request %d", i+1),
			Description: Doc(fmt.Sprintf("Customer request number %d.", i+1), "Steps to reproduce follow."),
			Status:      statuses[i%len(statuses)],
			Priority:    prios[i%len(prios)],
			Reporter:    customers[i%len(customers)],
			Labels:      []string{fmt.Sprintf("area-%d", i%4)},
			Comments:    []Comment{{Author: customers[i%len(customers)], Body: Doc("Any news?"), Public: true}},
		}
		if i%3 != 0 {
			in.Assignee = s.Me().AccountID
		}
		if i%2 == 0 {
			in.RequestType = "Get IT help"
			in.Participants = []string{customers[(i+1)%len(customers)]}
		}
		is := s.CreateIssue(in)
		if i%10 == 9 {
			for j := range commentsEach {
				s.AddComment(is.ID, Comment{Body: Doc(fmt.Sprintf("Update %d", j+1)), Public: j%2 == 0})
			}
			is, _ = s.Issue(is.ID)
		}
		out = append(out, is)
		s.Advance(time.Minute)
	}
	return out
}
