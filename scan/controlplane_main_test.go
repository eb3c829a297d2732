package scan_test

import (
	"os"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/scan"
)

// fixtureDay is the day fixtures are judged on, so that a version the
// fixtures call supported does not expire under them.
var fixtureDay = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	scan.SetClock(func() time.Time { return fixtureDay })
	os.Exit(m.Run())
}
