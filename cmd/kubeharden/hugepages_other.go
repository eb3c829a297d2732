//go:build !linux

package main

// adviseHugePages does nothing where transparent huge pages are Linux's.
func adviseHugePages(func(string) string) (stop func()) { return func() {} }
