package incremental

// Restart starts the current query over from its From, dropping the
// platform's page token and the query's page and result counts; what was
// delivered is still remembered, so the re-read delivers only what is new.
// A connector calls it instead of Next when the pages it read cannot be
// trusted to continue: Jira reads a JQL date literal in the user's profile
// time zone, and when that zone changes under a query, the query must be
// written again from the same point.
func (w *Window) Restart() {
	w.st.Page, w.st.Pages, w.st.Results = "", 0, 0
}
