// Command testgen writes the generated manifest tree of package testgen
// into a directory, for scripts/bench to time the kubeharden binary on it:
//
//	go run ./internal/testgen/cmd/testgen -n 2000 -seed 1 DIR
//
// It prints the number of files and bytes written.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kubeharden/kubeharden/internal/testgen"
)

func main() {
	n := flag.Int("n", 2000, "number of files")
	seed := flag.Int64("seed", 1, "seed: the same n and seed write the same files")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: testgen [-n files] [-seed seed] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *n < 0 {
		flag.Usage()
		os.Exit(2)
	}
	size, err := testgen.Tree(flag.Arg(0), *n, *seed)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d files, %d bytes\n", *n, size)
}
