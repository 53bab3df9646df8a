package csvimport_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// zendeskHeader is the 30 columns of a Zendesk ticket export.
const zendeskHeader = "Summation column,Id,Requester,Requester id,Requester external id,Requester email," +
	"Requester domain,Submitter,Assignee,Group,Subject,Tags,Status,Priority,Via,Ticket type," +
	"Created at,Updated at,Assigned at,Organization,Due date,Initially assigned at,Solved at," +
	"Resolution time,Satisfaction Score,Group stations,Assignee stations,Reopens,Replies," +
	"First reply time in minutes\n"

var (
	genStatuses   = []string{"New", "Open", "Pending", "Hold", "Solved", "Closed"}
	genPriorities = []string{"Low", "Normal", "High", "Urgent", ""}
	genVia        = []string{"Mail", "Web form", "Chat", "API", "Phone call (incoming)"}
	genAgents     = []string{"Oskar Lind", "Priya Menon", "", "Hana Kobayashi"}
)

// exportReader generates a Zendesk-like export of n rows as it is read,
// without holding it: each row is made when the previous one was consumed.
// pad adds that many bytes of text to each row's subject.
type exportReader struct {
	n, row int
	pad    string
	buf    bytes.Buffer
}

func newExport(n, pad int) *exportReader {
	r := &exportReader{n: n, pad: strings.Repeat("x", pad)}
	r.buf.WriteString(zendeskHeader)
	return r
}

func (r *exportReader) Read(p []byte) (int, error) {
	for r.buf.Len() < len(p) && r.row < r.n {
		r.writeRow(r.row)
		r.row++
	}
	if r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return r.buf.Read(p)
}

func (r *exportReader) writeRow(i int) {
	day, hour, min := 1+i%28, i%24, i%60
	fmt.Fprintf(&r.buf, ",%d,Customer %d,%d,,customer%d@example.com,example.com,Customer %d,%s,Tier %d,"+
		"\"Order %d, item %d: %s\",billing vip t%d,%s,%s,%s,Incident,"+
		"2024-03-%02d %02d:%02d:10 +0100,2024-04-%02d %02d:%02d:44 +0100,2024-03-%02d %02d:%02d:30 +0100,"+
		"Org %d,,2024-03-%02d %02d:%02d:30 +0100,,%d,Unoffered,%d,%d,0,%d,%d\n",
		100000+i, i%5000, 3000000+i%5000, i%5000, i%5000, genAgents[i%len(genAgents)], i%3,
		i, i%7, r.pad, i%10, genStatuses[i%len(genStatuses)], genPriorities[i%len(genPriorities)], genVia[i%len(genVia)],
		day, hour, min, day, hour, min, day, hour, min,
		i%300, day, hour, min, i%90, i%3, i%2, i%9, i%120)
}

// export returns a generated export of n rows.
func export(n, pad int) []byte {
	b, err := io.ReadAll(newExport(n, pad))
	if err != nil {
		panic(err)
	}
	return b
}
