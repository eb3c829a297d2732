package scan

import "time"

// SetClock replaces the clock end of support is judged by and returns
// the previous one.
func SetClock(f func() time.Time) func() time.Time {
	old := now
	now = f
	return old
}
