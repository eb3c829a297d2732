package github

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// TestRateLimitWait: which responses are GitHub's rate limits, and the
// wait each asks for.
func TestRateLimitWait(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	resp := func(code int, body string, h ...string) *http.Response {
		r := &http.Response{StatusCode: code, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		return r
	}
	for _, c := range []struct {
		name    string
		resp    *http.Response
		wait    time.Duration
		limited bool
	}{
		{"429 retry-after", resp(429, "", "Retry-After", "5"), 5 * time.Second, true},
		{"429 retry-after date", resp(429, "", "Retry-After", now.Add(7*time.Second).Format(http.TimeFormat)), 7 * time.Second, true},
		{"429 bare", resp(429, ""), time.Minute, true},
		{"403 primary spent", resp(403, "", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", fmt.Sprint(now.Add(30*time.Second).Unix())), 30 * time.Second, true},
		{"403 secondary", resp(403, `{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`), time.Minute, true},
		{"403 permission", resp(403, `{"message":"Resource not accessible by integration"}`), 0, false},
		{"200", resp(200, ""), 0, false},
	} {
		wait, limited := rateLimitWait(c.resp, now)
		if wait != c.wait || limited != c.limited {
			t.Errorf("%s: wait %s limited %v, want %s %v", c.name, wait, limited, c.wait, c.limited)
		}
	}
	// A body read to classify a 403 is still there for go-github.
	r := resp(403, `{"message":"Resource not accessible by integration"}`)
	rateLimitWait(r, now)
	if b, _ := io.ReadAll(r.Body); !strings.Contains(string(b), "not accessible") {
		t.Errorf("body after classification: %q", b)
	}
}

// TestClientRetries: the client retries rate-limited requests at most
// rateLimitRetries times, through the sleep it is given, and not when the
// wait asked is too long.
func TestClientRetries(t *testing.T) {
	for _, c := range []struct {
		name       string
		retryAfter string
		limited    int // responses rate-limited before a 200
		calls      int
		ok         bool
	}{
		{"one limit", "2", 1, 2, true},
		{"always limited", "2", 10, rateLimitRetries + 1, false},
		{"too long a wait", "3600", 1, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if calls <= c.limited {
					w.Header().Set("Retry-After", c.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = fmt.Fprint(w, `{"login":"octocat"}`)
			}))
			defer srv.Close()
			var waits []time.Duration
			var log strings.Builder
			client, err := NewClient(ClientOptions{APIURL: srv.URL, Token: "t0ken-secret", UserAgent: "test", Log: &log,
				Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = client.Users.Get(context.Background(), "")
			if (err == nil) != c.ok || calls != c.calls || len(waits) != c.calls-1 {
				t.Errorf("err %v, %d calls, waits %v", err, calls, waits)
			}
			for _, w := range waits {
				if w != 2*time.Second {
					t.Errorf("waited %s, want Retry-After's 2s", w)
				}
			}
		})
	}
	if _, err := NewClient(ClientOptions{APIURL: "ftp://example.com"}); err == nil {
		t.Error("an ftp API URL accepted")
	}
}

// TestFailure: why a call failed, a notice when that is to be expected
// (a read-only token), with the token taken out.
func TestFailure(t *testing.T) {
	const token = "ghs_0123456789abcdef"
	errResp := func(code int, msg string) error {
		return &gogithub.ErrorResponse{Response: &http.Response{StatusCode: code, Header: http.Header{}}, Message: msg}
	}
	for _, c := range []struct {
		err    error
		notice bool
		want   string
	}{
		{errResp(403, "Resource not accessible by integration"), true, "pull-requests: write"},
		{errResp(404, "Not Found"), true, "forks get a read-only token"},
		{errResp(401, "Bad credentials "+token), false, "GitHub refused the token (401 Bad credentials ***)"},
		{errResp(429, "slow down"), false, "GitHub's rate limit (429; kubeharden retries 2 times"},
		{context.DeadlineExceeded, false, "GitHub did not answer within 3m0s"},
		{fmt.Errorf("dial tcp: token %s", token), false, "dial tcp: token ***"},
	} {
		notice, why := Failure(c.err, token)
		if notice != c.notice || !strings.Contains(why, c.want) || strings.Contains(why, token) {
			t.Errorf("%v: notice %v, %q; want %v, %q", c.err, notice, why, c.notice, c.want)
		}
	}
	if got := RedactToken("abc", "ab"); got != "abc" {
		t.Errorf("a token shorter than 4 characters redacted: %q", got)
	}
}
