package main

import "strings"

// actionInputs maps the action's inputs (action.yml) to scan flags; the
// runner passes them as INPUT_<NAME> with the name upper-cased and its
// hyphens kept.
var actionInputs = []struct{ input, flag string }{
	{"fail-on", "--fail-on"},
	{"sarif-file", "--sarif"},
	{"category", "--category"},
	{"pss-version", "--pss-version"},
	{"allowed-registries", "--allowed-registries"},
	{"config", "--config"},
	{"pr-review", "--github-review"},
	{"review-filter", "--review-filter"},
	{"fail-scope", "--fail-scope"},
	{"helm-dependencies", "--helm-dependencies"},
}

// actionToken is the token of the action's github-token input. It never
// goes on the scan's command line.
func actionToken(getenv func(string) string) string {
	return firstNonEmpty(strings.TrimSpace(getenv("INPUT_GITHUB-TOKEN")), getenv("GITHUB_TOKEN"))
}

// actionArgs builds the scan command line of the GitHub Action entrypoint.
func actionArgs(getenv func(string) string) []string {
	input := func(name string) string {
		return strings.TrimSpace(getenv("INPUT_" + strings.ToUpper(name)))
	}
	var args []string
	for _, in := range actionInputs {
		if v := input(in.input); v != "" {
			args = append(args, in.flag+"="+v)
		}
	}
	args = append(args, "--")
	paths := strings.Fields(input("path"))
	if len(paths) == 0 {
		paths = []string{"."}
	}
	return append(args, paths...)
}
