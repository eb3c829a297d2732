package scan

import (
	"encoding/json"
	"fmt"
	"io"
)

// A Baseline is the findings a repository has accepted as they stand: a
// JSON report of an earlier scan. Findings in it are reported as
// suppressed and never fail a build; anything new does.
type Baseline struct {
	// Name is the file it was read from, for the justification.
	Name string
	keys map[string]bool
	// accepted and stale are the counts of the last Apply.
	accepted, stale int
}

// ReadBaseline reads a baseline from a JSON report (kubeharden scan
// --format json).
func ReadBaseline(name string, r io.Reader) (*Baseline, error) {
	var rep struct {
		Findings *[]struct {
			Rule        string `json:"rule"`
			Fingerprint string `json:"fingerprint"`
			Folded      []struct {
				Rule        string `json:"rule"`
				Fingerprint string `json:"fingerprint"`
			} `json:"folded"`
		} `json:"findings"`
	}
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", name, err)
	}
	if rep.Findings == nil {
		return nil, fmt.Errorf("baseline %s: not a kubeharden JSON report (no findings list)", name)
	}
	b := &Baseline{Name: name, keys: map[string]bool{}}
	for _, f := range *rep.Findings {
		if f.Rule == "" || f.Fingerprint == "" {
			return nil, fmt.Errorf("baseline %s: a finding without rule or fingerprint", name)
		}
		b.keys[f.Rule+"/"+f.Fingerprint] = true
		for _, p := range f.Folded {
			b.keys[p.Rule+"/"+p.Fingerprint] = true
		}
	}
	return b, nil
}

// Apply marks the findings the baseline holds as accepted, and returns how
// many it accepted and how many of its entries no finding matched (fixed
// since, or changed). A finding with parts of other rules is accepted when
// the baseline holds each: a rule new on the object is news.
func (b *Baseline) Apply(fs []Finding) (accepted, stale int) {
	seen := map[string]bool{}
	for i, f := range fs {
		keys := []string{f.Rule + "/" + f.Fingerprint}
		for _, p := range f.Folded {
			keys = append(keys, p.Rule+"/"+p.Fingerprint)
		}
		all := true
		for _, k := range keys {
			if b.keys[k] {
				seen[k] = true
			} else {
				all = false
			}
		}
		if !all {
			continue
		}
		if f.Suppressed == nil {
			fs[i].Suppressed = &Suppression{Kind: "baseline", Justification: "accepted in the baseline " + b.Name}
			accepted++
		}
	}
	b.accepted, b.stale = accepted, len(b.keys)-len(seen)
	return b.accepted, b.stale
}

// Counts returns how many findings the last Apply (the last scan given
// the baseline) accepted, and how many of its entries no finding matched.
func (b *Baseline) Counts() (accepted, stale int) { return b.accepted, b.stale }
