package report

import (
	"strconv"
	"unicode/utf16"
)

// LineHashes computes GitHub code scanning's primaryLocationLineHash for
// every line of text, as its upload action does when a SARIF file lacks
// one: a rolling hash (base 37, mod 2^64) over the 100 characters, blanks
// and tabs left out and CR/CRLF read as LF, that start at the line. The
// value is unpadded hex and ":N", N counting earlier lines with the same
// hash. The result is indexed by 1-based line; index 0 is unused.
//
// Characters are UTF-16 code units, as JavaScript's charCodeAt gives them.
func LineHashes(text string) []string {
	const (
		block = 100
		mod   = 37
		eof   = 65535
	)
	var firstMod uint64 = 1
	for i := 0; i < block; i++ {
		firstMod *= mod
	}
	var (
		window      [block]uint64
		lineNumbers [block]int
		hash        uint64
		index       int
		lineNumber  int
		lineStart   = true
		prevCR      bool
		counts      = map[uint64]int{}
		out         = []string{""}
	)
	for i := range lineNumbers {
		lineNumbers[i] = -1
	}
	emit := func() {
		counts[hash]++
		line := lineNumbers[index]
		for len(out) <= line {
			out = append(out, "")
		}
		out[line] = strconv.FormatUint(hash, 16) + ":" + strconv.Itoa(counts[hash])
		lineNumbers[index] = -1
	}
	update := func(c uint64) {
		begin := window[index]
		window[index] = c
		hash = mod*hash + c - firstMod*begin
		index = (index + 1) % block
	}
	process := func(c uint64) {
		if c == ' ' || c == '\t' || (prevCR && c == '\n') {
			prevCR = false
			return
		}
		if c == '\r' {
			c = '\n'
			prevCR = true
		} else {
			prevCR = false
		}
		if lineNumbers[index] != -1 {
			emit()
		}
		if lineStart {
			lineStart = false
			lineNumber++
			lineNumbers[index] = lineNumber
		}
		if c == '\n' {
			lineStart = true
		}
		update(c)
	}
	for _, u := range utf16.Encode([]rune(text)) {
		process(uint64(u))
	}
	process(eof)
	for i := 0; i < block; i++ {
		if lineNumbers[index] != -1 {
			emit()
		}
		update(0)
	}
	return out
}
