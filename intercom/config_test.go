package intercom_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ticketsync/ticketsync/intercom"
)

func TestNewValidatesConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  intercom.Config
		want string // in the error; "" means valid
	}{
		{"token only", intercom.Config{AccessToken: "tok"}, ""},
		{"token source", intercom.Config{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})}, ""},
		{"EU, lower case", intercom.Config{AccessToken: "tok", Region: "eu"}, ""},
		{"pinned version", intercom.Config{AccessToken: "tok", APIVersion: "2.11"}, ""},
		{"no credentials", intercom.Config{}, "Config.AccessToken"},
		{"two credentials", intercom.Config{AccessToken: "tok", TokenSource: oauth2.StaticTokenSource(&oauth2.Token{})}, "only one credential"},
		{"token with a line break", intercom.Config{AccessToken: "tok\n"}, "line breaks"},
		{"unknown region", intercom.Config{AccessToken: "tok", Region: "Mars"}, `"US", "EU" or "AU"`},
		{"old version", intercom.Config{AccessToken: "tok", APIVersion: "1.4"}, "2.11 to 2.16"},
		{"base URL with a query", intercom.Config{AccessToken: "tok", BaseURL: "https://proxy.example/?token=x"}, "must not hold credentials or a query"},
		{"relative base URL", intercom.Config{AccessToken: "tok", BaseURL: "api.intercom.io"}, "absolute"},
		{"concurrency", intercom.Config{AccessToken: "tok", Concurrency: 1000}, "Config.Concurrency"},
		{"empty rotated secret", intercom.Config{AccessToken: "tok", ClientSecret: "a", ClientSecrets: []string{""}}, "Config.ClientSecrets[0]"},
		{"start before 1970", intercom.Config{AccessToken: "tok", StartTime: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}, "before 1970"},
	}
	for _, tc := range cases {
		_, err := intercom.New(tc.cfg)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: New = %v, want no error", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: New = %v, want an error saying %q", tc.name, err, tc.want)
		case err != nil && !strings.HasPrefix(err.Error(), "intercom: "):
			t.Errorf("%s: error %q does not start with the package", tc.name, err)
		}
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	cfg := intercom.Config{AccessToken: "dG9rOnNlY3JldC10b2tlbg==", ClientSecret: "client-secret-1", ClientSecrets: []string{"client-secret-0"},
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "oauth-access-token"}), Region: "EU"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg)
	out := fmt.Sprintf("%v %+v %#v %s %q %x", cfg, cfg, cfg, cfg, cfg, cfg) + cfg.String() + logged.String()
	for _, secret := range []string{"dG9rOnNlY3JldC10b2tlbg==", "client-secret-1", "client-secret-0", "oauth-access-token"} {
		if strings.Contains(out, secret) {
			t.Errorf("a printed Config holds %q", secret)
		}
	}
	if !strings.Contains(out, `Region: "EU"`) || !strings.Contains(out, "[redacted]") {
		t.Errorf("a printed Config does not show its settings: %s", cfg)
	}
	c, err := intercom.New(intercom.Config{AccessToken: "dG9rOnNlY3JldC10b2tlbg=="})
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "dG9rOnNlY3JldC10b2tlbg==") {
		t.Errorf("a printed Connector holds the token: %s", s)
	}
}
