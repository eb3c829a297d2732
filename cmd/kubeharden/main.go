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
	adviseHugePages(os.Getenv)
	tuneGC(os.Getenv, gcSettingsFor)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "kubeharden:", ee.msg)
		}
		os.Exit(ee.code)
	default:
		fmt.Fprintln(os.Stderr, "kubeharden:", err)
		os.Exit(2)
	}
}
