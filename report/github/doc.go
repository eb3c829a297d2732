// Package github holds what kubeharden does with GitHub: the Actions
// annotations, job summary and outputs; the event payload; the API client
// with its retries, rate-limit waits and error classification; a pull
// request's diff; the review planner and publisher; a base commit's
// archive. It writes reports of package report, whose findings name files
// from the repository root already (report.Report.Rebase).
package github
