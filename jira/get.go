package jira

import (
	"context"
	"slices"
	"strconv"

	"github.com/ticketsync/ticketsync"
)

// bulkFetchLimit is the most issues POST /rest/api/3/issue/bulkfetch
// returns per request.
const bulkFetchLimit = 100

// GetTickets returns the issues with the given ids, as complete as Fetch
// returns them: one POST /rest/api/3/issue/bulkfetch per 100 ids, plus the
// comment pages of issues with more comments than the bulk fetch returns.
// An issue that does not exist (deleted) or that the user cannot see, one
// outside Config.Projects (when set), and an id that is not a numeric issue
// id, is left out of the result; Config.JQL is not applied. Deleted issues
// are never returned as tombstones: Jira keeps nothing of them.
func (c *Connector) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	var valid []string
	for _, id := range ids {
		if n, err := strconv.ParseUint(id, 10, 63); err == nil && n > 0 && !slices.Contains(valid, id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	const op = "get issues by id"
	cf, err := c.customFieldIDs(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	var out []ticketsync.Ticket
	for chunk := range slices.Chunk(valid, bulkFetchLimit) {
		var resp wireBulkFetchResponse
		req := wireBulkFetchRequest{IssueIDsOrKeys: chunk, Fields: cf.issueFields()}
		if _, err := c.post(ctx, "/rest/api/3/issue/bulkfetch", req, &resp); err != nil {
			return nil, wrap(op, err)
		}
		if len(resp.IssueErrors) > 0 {
			// Jira could not load these now (a retriable error): the
			// caller must not take them for deleted.
			e := resp.IssueErrors[0]
			return nil, &ticketsync.APIError{Platform: Platform, Op: op, StatusCode: 503, Method: "POST",
				Path: "/rest/api/3/issue/bulkfetch", Message: "issue " + e.ID + ": " + e.ErrorMessage}
		}
		issues := make([]*wireIssue, 0, len(resp.Issues))
		for i := range resp.Issues {
			is := &resp.Issues[i]
			if is.Fields == nil || !slices.Contains(chunk, is.ID) {
				continue // asked by id, answered for a moved key: not ours
			}
			if len(c.cfg.projects) > 0 && (is.Fields.Project == nil || !slices.Contains(c.cfg.projects, is.Fields.Project.Key)) {
				continue // outside Config.Projects: a poll would not sync it either
			}
			issues = append(issues, is)
		}
		tickets, err := c.complete(ctx, issues, cf)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, tickets...)
	}
	return out, nil
}
