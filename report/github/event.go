package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// An Event is what kubeharden reads of the event that started a workflow
// run: its name (GITHUB_EVENT_NAME) and, from its payload
// (GITHUB_EVENT_PATH), the pull request it is about.
type Event struct {
	Name string
	// Number is the pull request's (pull_request.number, else number).
	Number int
	// Head is the pull request's head commit (pull_request.head.sha): on
	// pull_request events GITHUB_SHA is a merge commit. Base is the commit
	// it merges into (pull_request.base.sha).
	Head, Base string
	// ChangedFiles is the pull request's count of changed files, nil when
	// the payload has none.
	ChangedFiles *int
}

// A payload is the part of an event's payload an Event holds.
type payload struct {
	Number      int `json:"number"`
	PullRequest struct {
		Number int `json:"number"`
		Head   struct {
			SHA string `json:"sha"`
		} `json:"head"`
		Base struct {
			SHA string `json:"sha"`
		} `json:"base"`
		ChangedFiles *int `json:"changed_files"`
	} `json:"pull_request"`
}

// ReadEvent reads the event's name and its payload.
func ReadEvent(getenv func(string) string) (Event, error) {
	ev := Event{Name: getenv("GITHUB_EVENT_NAME")}
	data, err := os.ReadFile(getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return ev, fmt.Errorf("reading the event payload: %w", err)
	}
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return ev, fmt.Errorf("reading the event payload: %w", err)
	}
	ev.Number = p.PullRequest.Number
	if ev.Number == 0 {
		ev.Number = p.Number
	}
	ev.Head, ev.Base, ev.ChangedFiles = p.PullRequest.Head.SHA, p.PullRequest.Base.SHA, p.PullRequest.ChangedFiles
	return ev, nil
}

// IsPullRequest reports whether an event name is a pull request's.
func IsPullRequest(name string) bool {
	return name == "pull_request" || name == "pull_request_target"
}

// PullRequest reads the pull request a run is about; ok is false on other
// events, whose payload is not read.
func PullRequest(getenv func(string) string) (ev Event, ok bool, err error) {
	if !IsPullRequest(getenv("GITHUB_EVENT_NAME")) {
		return Event{}, false, nil
	}
	if ev, err = ReadEvent(getenv); err != nil {
		return Event{}, false, err
	}
	if ev.Number == 0 || ev.Head == "" {
		return Event{}, false, errors.New("the event payload names no pull request number and head commit")
	}
	return ev, true, nil
}

// HeadSHA is the commit a person reads: the pull request's head when the
// payload names one, else GITHUB_SHA.
func HeadSHA(getenv func(string) string) string {
	if getenv("GITHUB_EVENT_PATH") != "" {
		if ev, err := ReadEvent(getenv); err == nil && ev.Head != "" {
			return ev.Head
		}
	}
	return getenv("GITHUB_SHA")
}
