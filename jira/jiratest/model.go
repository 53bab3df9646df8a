package jiratest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is a Jira user: an agent or a JSM customer.
type User struct {
	AccountID   string
	DisplayName string
	Email       string
	// HideEmail leaves emailAddress out, as a user's privacy settings do.
	HideEmail bool
	// Customer marks a JSM customer (accountType "customer").
	Customer bool
	TimeZone string
}

// Project is a Jira project; ServiceDesk ones are listed by the JSM API.
type Project struct {
	ID            string
	Key           string
	Name          string
	ServiceDesk   bool
	ServiceDeskID string
}

// Issue is an issue as the fake holds it. Description and comment bodies
// are ADF documents (see Doc).
type Issue struct {
	ID           int64
	Key          string
	Project      string // project key
	Summary      string
	Description  json.RawMessage
	Status       string // a name of Statuses
	Priority     string // Highest, High, Medium, Low, Lowest or ""
	IssueType    string
	RequestType  string // JSM request type name, "" for none
	Reporter     string // account ids
	Assignee     string
	Participants []string
	Labels       []string
	Created      time.Time
	Updated      time.Time
	Comments     []Comment
}

// Comment is a comment on an issue. Public false is a JSM internal note.
type Comment struct {
	ID      int64
	Author  string
	Body    json.RawMessage
	Public  bool
	Created time.Time
	Updated time.Time
}

// issue is an issue with the versions the search index holds.
type issue struct {
	cur      *Issue
	versions []version // oldest first
}

// version is what the index holds of an issue from VisibleAt on.
type version struct {
	snap      Issue
	visibleAt time.Time
}

// Statuses is the fake's workflow: status names and their categories, as a
// JSM service project's default workflow has them.
var Statuses = map[string]string{
	"Open": "new", "To Do": "new", "Waiting for support": "new",
	"In Progress": "indeterminate", "Waiting for customer": "indeterminate", "Pending": "indeterminate",
	"Escalated": "indeterminate", "Work in progress": "indeterminate",
	"Resolved": "done", "Closed": "done", "Canceled": "done", "Done": "done",
}

// statusIDs are the statuses' ids.
var statusIDs = map[string]int{
	"Open": 1, "To Do": 10000, "Waiting for support": 10001, "In Progress": 3, "Waiting for customer": 10002,
	"Pending": 10003, "Escalated": 10004, "Work in progress": 10005, "Resolved": 5, "Closed": 6,
	"Canceled": 10006, "Done": 10007,
}

// Priorities are Jira's default priority names, highest first.
var Priorities = []string{"Highest", "High", "Medium", "Low", "Lowest"}

// Email and Token return the accepted Basic credentials.
func (s *Server) Email() string { return s.opts.Email }

// Token returns the accepted API token.
func (s *Server) Token() string { return s.opts.Token }

// CloudID returns the site's cloud id, for OAuth requests.
func (s *Server) CloudID() string { return s.opts.CloudID }

// Me returns the user the credentials belong to.
func (s *Server) Me() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.me
}

// SetIndexLag sets how long changes made from now on take to show in
// search.
func (s *Server) SetIndexLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = d
}

// SetTimeZone changes the user's profile time zone, as the user can at any
// time.
func (s *Server) SetTimeZone(name string) error {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zone, s.zoneName, s.me.TimeZone = loc, name, name
	return nil
}

// RevokeToken makes the API token invalid, as when it expires: requests
// with it are then served as the anonymous user.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// SetAccess limits the projects the user may browse to keys (none at
// all when keys is empty), as a missing project role does.
func (s *Server) SetAccess(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agents[0].visible = keySet(keys)
}

// SetAccessAll lets the user browse every project again.
func (s *Server) SetAccessAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agents[0].visible = nil
}

// AddAgent adds a user with API credentials of its own (email and token)
// who may browse only the projects given (none when empty), and returns
// its account id: valid credentials without the access a sync needs.
func (s *Server) AddAgent(u User, token string, projects ...string) string {
	id := s.AddUser(u)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agents = append(s.agents, &agent{user: s.users[id], email: u.Email, token: token, visible: keySet(projects)})
	return id
}

func keySet(keys []string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// AddProject adds a project; a service desk project gets a service desk id.
func (s *Server) AddProject(key, name string, serviceDesk bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Project{ID: strconv.Itoa(10000 + len(s.projects)), Key: key, Name: name, ServiceDesk: serviceDesk}
	if serviceDesk {
		n := 0
		for _, q := range s.projects {
			if q.ServiceDesk {
				n++
			}
		}
		p.ServiceDeskID = strconv.Itoa(n + 1)
	}
	s.projects = append(s.projects, p)
}

// AddUser adds a user (an agent or a customer) and returns its account id.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.AccountID == "" {
		u.AccountID = fmt.Sprintf("qm:%08x-fake-%d", len(s.users)+1, len(s.users)+1)
	}
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	s.users[u.AccountID] = &u
	return u.AccountID
}

// User returns a user by account id.
func (s *Server) User(accountID string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[accountID]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// CreateIssue creates an issue at the fake's clock and returns it. ID, Key,
// Created and Updated are set by the fake; Project defaults to "SUP",
// Status to "Waiting for support", IssueType to "Service Request", Reporter
// to the user. Comments given are added with increasing times.
func (s *Server) CreateIssue(in Issue) Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.Project == "" {
		in.Project = "SUP"
	}
	if in.Status == "" {
		in.Status = "Waiting for support"
	}
	if in.IssueType == "" {
		in.IssueType = "Service Request"
	}
	if in.Reporter == "" {
		in.Reporter = s.me.AccountID
	}
	s.nextIssue++
	s.nextKey[in.Project]++
	in.ID = s.nextIssue
	in.Key = in.Project + "-" + strconv.Itoa(s.nextKey[in.Project])
	in.Created, in.Updated = s.Now(), s.Now()
	comments := in.Comments
	in.Comments = nil
	for _, c := range comments {
		s.nextComm++
		c.ID = s.nextComm
		if c.Author == "" {
			c.Author = s.me.AccountID
		}
		c.Created, c.Updated = s.Now(), s.Now()
		in.Comments = append(in.Comments, c)
	}
	is := &issue{cur: cloneIssue(&in)}
	s.issues[in.ID] = is
	s.indexLocked(is)
	return *cloneIssue(&in)
}

// UpdateIssue changes an issue through fn and stamps it updated now. It
// returns false when there is no such issue. fn must not change ID, Key,
// Created or Comments.
func (s *Server) UpdateIssue(id int64, fn func(*Issue)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		return false
	}
	c := cloneIssue(is.cur)
	fn(c)
	c.ID, c.Key, c.Created, c.Comments = is.cur.ID, is.cur.Key, is.cur.Created, is.cur.Comments
	c.Updated = s.Now()
	is.cur = c
	s.indexLocked(is)
	return true
}

// MoveIssue moves an issue to another project: its key changes, its id
// stays.
func (s *Server) MoveIssue(id int64, project string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		return "", false
	}
	c := cloneIssue(is.cur)
	s.nextKey[project]++
	c.Project, c.Key, c.Updated = project, project+"-"+strconv.Itoa(s.nextKey[project]), s.Now()
	is.cur = c
	s.indexLocked(is)
	return c.Key, true
}

// AddComment adds a comment to an issue (which updates the issue) and
// returns the comment's id, or 0 when there is no such issue.
func (s *Server) AddComment(issueID int64, c Comment) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[issueID]
	if !ok {
		return 0
	}
	s.nextComm++
	c.ID = s.nextComm
	if c.Author == "" {
		c.Author = s.me.AccountID
	}
	c.Created, c.Updated = s.Now(), s.Now()
	cur := cloneIssue(is.cur)
	cur.Comments = append(cur.Comments, c)
	cur.Updated = s.Now()
	is.cur = cur
	s.indexLocked(is)
	return c.ID
}

// DeleteIssue deletes an issue. Search never shows it again, bulk fetch
// leaves it out, and its comment endpoint answers 404.
func (s *Server) DeleteIssue(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		return false
	}
	delete(s.issues, id)
	s.deleted[id] = is.cur
	return true
}

// Issue returns an issue as the fake holds it now.
func (s *Server) Issue(id int64) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[id]
	if !ok {
		return Issue{}, false
	}
	return *cloneIssue(is.cur), true
}

// IssueIDs returns the ids of the issues that exist, ascending.
func (s *Server) IssueIDs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.issues))
	for id := range s.issues {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// indexLocked records the issue's current state for search, visible after
// the lag.
func (s *Server) indexLocked(is *issue) {
	is.versions = append(is.versions, version{snap: *cloneIssue(is.cur), visibleAt: s.Now().Add(s.lag)})
}

// indexed returns what search sees of an issue now, or nil.
func (is *issue) indexed(now time.Time) *Issue {
	for i := len(is.versions) - 1; i >= 0; i-- {
		if !is.versions[i].visibleAt.After(now) {
			return &is.versions[i].snap
		}
	}
	return nil
}

func cloneIssue(in *Issue) *Issue {
	c := *in
	c.Labels = slices.Clone(in.Labels)
	c.Participants = slices.Clone(in.Participants)
	c.Comments = slices.Clone(in.Comments)
	c.Description = slices.Clone(in.Description)
	return &c
}

// Doc returns an ADF document holding paragraphs of plain text, one per
// argument.
func Doc(paragraphs ...string) json.RawMessage {
	type node struct {
		Type    string `json:"type"`
		Text    string `json:"text,omitempty"`
		Version int    `json:"version,omitempty"`
		Content []node `json:"content,omitempty"`
	}
	doc := node{Type: "doc", Version: 1, Content: []node{}}
	for _, p := range paragraphs {
		para := node{Type: "paragraph"}
		if p != "" {
			para.Content = []node{{Type: "text", Text: p}}
		}
		doc.Content = append(doc.Content, para)
	}
	b, _ := json.Marshal(doc)
	return b
}

// projectLocked returns a project by key or id, case-insensitively.
func (s *Server) projectLocked(ref string) *Project {
	for _, p := range s.projects {
		if strings.EqualFold(p.Key, ref) || p.ID == ref || strings.EqualFold(p.Name, ref) {
			return p
		}
	}
	return nil
}

// canBrowseLocked reports whether the principal may see a project.
func (s *Server) canBrowseLocked(who principal, key string) bool {
	if who.anon || who.agent == nil {
		return false
	}
	return who.agent.visible == nil || who.agent.visible[key]
}
