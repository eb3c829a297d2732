package github

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadEvent: one parser gives the review, the fail scopes and the job
// summary what they read of a pull request's event.
func TestReadEvent(t *testing.T) {
	dir := t.TempDir()
	write := func(payload string) string {
		p := filepath.Join(dir, "event.json")
		if err := os.WriteFile(p, []byte(payload), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": "merge"}
	getenv := func(k string) string { return env[k] }

	env["GITHUB_EVENT_PATH"] = write(`{"number":7,"pull_request":{"head":{"sha":"h"},"base":{"sha":"b"},"changed_files":3}}`)
	ev, ok, err := PullRequest(getenv)
	if err != nil || !ok || ev.Number != 7 || ev.Head != "h" || ev.Base != "b" || ev.ChangedFiles == nil || *ev.ChangedFiles != 3 {
		t.Errorf("pull request: %+v %v %v", ev, ok, err)
	}
	if got := HeadSHA(getenv); got != "h" {
		t.Errorf("HeadSHA %q, want the pull request's head", got)
	}

	env["GITHUB_EVENT_PATH"] = write(`{"pull_request":{"number":8,"base":{"sha":"b"}}}`)
	if _, ok, err := PullRequest(getenv); err == nil || ok {
		t.Errorf("no head commit: ok %v, err %v", ok, err)
	}
	if ev, err := ReadEvent(getenv); err != nil || ev.Number != 8 || ev.Base != "b" || ev.ChangedFiles != nil {
		t.Errorf("ReadEvent: %+v %v", ev, err)
	}
	if got := HeadSHA(getenv); got != "merge" {
		t.Errorf("HeadSHA %q, want GITHUB_SHA", got)
	}

	env["GITHUB_EVENT_NAME"] = "push"
	env["GITHUB_EVENT_PATH"] = filepath.Join(dir, "missing.json")
	if _, ok, err := PullRequest(getenv); err != nil || ok {
		t.Errorf("push: ok %v, err %v", ok, err)
	}
	if _, err := ReadEvent(getenv); err == nil {
		t.Error("an unreadable payload read")
	}
}
