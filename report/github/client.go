package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// Timeout is how long a review (or the listing of a diff) may take, and
// maxRateLimitWait how long one rate-limited request may wait for GitHub
// before the review is given up: a scan's job should not stall on
// comments that the annotations and the job summary already make.
const (
	Timeout          = 3 * time.Minute
	maxRateLimitWait = 60 * time.Second
	rateLimitRetries = 2
)

// Sleep waits before a rate-limited request is sent again, until the
// context ends: the default of ClientOptions.Sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Failure says why a call to GitHub failed (a review not posted, a diff
// not listed), and whether that is to
// be expected (a notice) or a problem (a warning), with the token taken
// out: GitHub's error messages, which go-github quotes, can echo it.
func Failure(err error, token string) (notice bool, why string) {
	notice, why = failureReason(err)
	return notice, RedactToken(why, token)
}

// RedactToken replaces the token in a text bound for the log.
func RedactToken(s, token string) string {
	if len(token) < 4 {
		return s
	}
	return strings.ReplaceAll(s, token, "***")
}

func failureReason(err error) (notice bool, why string) {
	var (
		abuse *gogithub.AbuseRateLimitError
		rate  *gogithub.RateLimitError
		resp  *gogithub.ErrorResponse
	)
	switch {
	case errors.As(err, &abuse):
		wait := ""
		if abuse.RetryAfter != nil {
			wait = ", retry after " + abuse.RetryAfter.Round(time.Second).String()
		}
		return false, fmt.Sprintf("GitHub's secondary rate limit (403%s; kubeharden retries %d times, waiting at most %s)", wait, rateLimitRetries, maxRateLimitWait)
	case errors.As(err, &rate):
		return false, fmt.Sprintf("the token's rate limit is spent until %s", rate.Rate.Reset.Time.UTC().Format(time.RFC3339))
	case errors.As(err, &resp) && resp.Response != nil:
		code := resp.Response.StatusCode
		switch code {
		case http.StatusForbidden, http.StatusNotFound:
			return true, fmt.Sprintf("the token may not review this pull request (%d %s): the workflow must grant pull-requests: write, and pull requests from forks get a read-only token", code, resp.Message)
		case http.StatusUnauthorized:
			return false, fmt.Sprintf("GitHub refused the token (401 %s)", resp.Message)
		case http.StatusTooManyRequests:
			wait := ""
			if v := resp.Response.Header.Get("Retry-After"); v != "" {
				wait = ", retry after " + v + "s"
			}
			return false, fmt.Sprintf("GitHub's rate limit (429%s; kubeharden retries %d times, waiting at most %s)", wait, rateLimitRetries, maxRateLimitWait)
		}
	case errors.Is(err, context.DeadlineExceeded):
		return false, fmt.Sprintf("GitHub did not answer within %s", Timeout)
	}
	return false, err.Error()
}

// ClientOptions are how a client reaches GitHub and what it waits with.
type ClientOptions struct {
	// APIURL is GITHUB_API_URL; "" is https://api.github.com.
	APIURL, Token, UserAgent string
	// Log, when set, says which requests were rate-limited and retried.
	Log io.Writer
	// Sleep waits before a retry (Sleep when nil) and Now reads the clock
	// for GitHub's reset times (time.Now when nil); tests replace both.
	Sleep func(context.Context, time.Duration) error
	Now   func() time.Time
}

// NewClient builds the API client at GITHUB_API_URL as the runner sets it
// (https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise
// Server), used as given: go-github's WithEnterpriseURLs would append
// api/v3/ to any host not named api.*. Rate-limited requests are retried
// below go-github (retryTransport).
func NewClient(o ClientOptions) (*gogithub.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = 30 * time.Second
	rt := &retryTransport{base: transport, log: o.Log, sleep: o.Sleep, now: o.Now}
	if rt.sleep == nil {
		rt.sleep = Sleep
	}
	if rt.now == nil {
		rt.now = time.Now
	}
	hc := &http.Client{Transport: rt}
	c := gogithub.NewClient(hc).WithAuthToken(o.Token)
	if apiURL := o.APIURL; apiURL != "" {
		u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL", apiURL)
		}
		c.BaseURL = u
	}
	c.UserAgent = o.UserAgent
	return c, nil
}

// A retryTransport sends a request again when GitHub rate-limits it (429,
// or 403 for a secondary or spent primary limit) and asks for a short
// wait. It works below go-github on purpose: after a secondary limit
// go-github refuses every later call itself until the reset time, by the
// wall clock, so retries must happen before it sees the response. A
// response it does not retry goes up unchanged.
type retryTransport struct {
	base  http.RoundTripper
	log   io.Writer
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if err != nil || attempt == rateLimitRetries || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		wait, limited := rateLimitWait(resp, t.now())
		if !limited || wait > maxRateLimitWait {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if t.log != nil {
			fmt.Fprintf(t.log, "kubeharden: GitHub rate-limited %s %s (%d); retrying in %s\n", req.Method, req.URL.Path, resp.StatusCode, wait)
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		next := req.Clone(req.Context())
		if req.GetBody != nil {
			if next.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		req = next
	}
}

// rateLimitWait reports whether a response is GitHub's rate limit and how
// long it asks to wait: Retry-After, else the X-RateLimit-Reset time, else
// the minute GitHub's documentation says to wait at least.
func rateLimitWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusForbidden:
		if resp.Header.Get("X-RateLimit-Remaining") != "0" {
			data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(data))
			if err != nil {
				return 0, false
			}
			var body struct {
				Message          string `json:"message"`
				DocumentationURL string `json:"documentation_url"`
			}
			json.Unmarshal(data, &body)
			if !strings.HasSuffix(body.DocumentationURL, "secondary-rate-limits") && !strings.HasSuffix(body.DocumentationURL, "#abuse-rate-limits") &&
				!strings.Contains(strings.ToLower(body.Message), "secondary rate limit") {
				return 0, false
			}
		}
	default:
		return 0, false
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			return max(time.Duration(s)*time.Second, 0), true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), 0), true
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now), 0), true
		}
	}
	return time.Minute, true
}
