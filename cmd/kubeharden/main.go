// Command kubeharden scans Kubernetes configuration against the hardening
// checklist.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
)

func main() {
	// Kustomize prints notes through the standard logger; the report says
	// what matters, and CI logs stay quiet.
	log.SetOutput(io.Discard)
	stdout, stderr := isolateStdio()
	adviseHugePages(os.Getenv)
	tuneGC(os.Getenv, gcSettingsFor)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, stdout, stderr)
	stop()
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(stderr, "kubeharden:", ee.msg)
		}
		os.Exit(ee.code)
	default:
		fmt.Fprintln(stderr, "kubeharden:", err)
		os.Exit(2)
	}
}

// isolateStdio returns the process's standard output and error, for
// kubeharden's own writes, and points os.Stdout and os.Stderr, which
// libraries print to, at the null device. kustomize prints a note to
// os.Stderr for every kustomization that uses a deprecated field (unlocated,
// once a build, the same note many times over in a repository of
// overlays), and on a GitHub runner a line of standard output that starts
// with "::" is a command, whoever wrote it: nothing but the report may
// reach it. A panic still reaches the terminal: the runtime writes it to
// file descriptor 2 itself.
func isolateStdio() (stdout, stderr *os.File) {
	stdout, stderr = os.Stdout, os.Stderr
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = null, null
	}
	return stdout, stderr
}
