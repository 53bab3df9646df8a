package console_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
)

// TestFormHintsQuoteThePackageDocs checks that each platform's form says
// what its package documentation says, word for word, so that the two
// cannot drift apart.
func TestFormHintsQuoteThePackageDocs(t *testing.T) {
	for _, p := range console.DefaultPlatforms() {
		form := p.Form
		t.Run(form.Platform, func(t *testing.T) {
			docs := packageComments(t, filepath.Join("..", form.Platform))
			if len(form.Fields) == 0 || len(p.Modes) == 0 {
				t.Fatalf("form without fields or modes: %+v %v", form, p.Modes)
			}
			for _, f := range form.Fields {
				if f.Hint == "" || f.Label == "" {
					t.Errorf("%s: no label or hint", f.Name)
					continue
				}
				if !strings.Contains(docs, squash(f.Hint)) {
					t.Errorf("%s: the hint %q is not in the package's documentation", f.Name, f.Hint)
				}
			}
			secret := false
			for _, f := range form.Fields {
				secret = secret || f.Secret
			}
			if !secret {
				t.Error("no field is marked secret")
			}
		})
	}
}

// packageComments returns every comment of the package in dir, its
// whitespace squashed.
func packageComments(t *testing.T, dir string) string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") || e.Name() == "form.go" {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, cg := range f.Comments {
			b.WriteString(cg.Text())
			b.WriteString(" ")
		}
	}
	return squash(b.String())
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestDefaultPlatformsModes(t *testing.T) {
	want := map[string][]ticketsync.Mode{
		"zendesk":     {ticketsync.ModeBoth, ticketsync.ModePoll, ticketsync.ModeWebhook},
		"hubspot":     {ticketsync.ModeBoth, ticketsync.ModePoll, ticketsync.ModeWebhook},
		"freshdesk":   {ticketsync.ModeBoth, ticketsync.ModePoll, ticketsync.ModeWebhook},
		"jira":        {ticketsync.ModeBoth, ticketsync.ModePoll, ticketsync.ModeWebhook},
		"intercom":    {ticketsync.ModeBoth, ticketsync.ModePoll, ticketsync.ModeWebhook},
		"webhookpush": {ticketsync.ModeWebhook},
	}
	if n := len(console.DefaultPlatforms()); n != len(want) {
		t.Errorf("%d default platforms, want %d", n, len(want))
	}
	for _, p := range console.DefaultPlatforms() {
		if got := p.Modes; !equalModes(got, want[p.Form.Platform]) {
			t.Errorf("%s: modes %v, want %v", p.Form.Platform, got, want[p.Form.Platform])
		}
	}
}

func equalModes(a, b []ticketsync.Mode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPlatformOfSetsSliceFields(t *testing.T) {
	var push console.Platform
	for _, p := range console.DefaultPlatforms() {
		if p.Form.Platform == "webhookpush" {
			push = p
		}
	}
	if _, err := push.New(map[string]string{"Platform": "helpscout"}); err == nil {
		t.Fatal("webhookpush built without any secret")
	}
	c, err := push.New(map[string]string{"Platform": "helpscout", "HMACSecrets": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Platform() != "helpscout" {
		t.Fatalf("platform %q", c.Platform())
	}
}
