package scan

import (
	"context"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/render"
)

func TestParseKubeVersion(t *testing.T) {
	for in, want := range map[string]int{"1.30": 30, "v1.37": 37, "v1.29.4": 29, "1.31.0-rc.1": 31} {
		if got, err := ParseKubeVersion(in); err != nil || got != want {
			t.Errorf("ParseKubeVersion(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2.0", "v1", "1.x", "stable"} {
		if _, err := ParseKubeVersion(in); err == nil {
			t.Errorf("ParseKubeVersion(%q): no error", in)
		}
	}
	if got := targetMinor(&Config{}); got != newestMinor {
		t.Errorf("default target 1.%d, want the newest the table knows, 1.%d", got, newestMinor)
	}
}

// TestEndOfSupportClock judges the same configuration on two days.
func TestEndOfSupportClock(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	objs, _ := render.Parse("kubeadm.yaml", []byte("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.35.2\n"))
	set := &render.Set{Objects: objs}
	for day, want := range map[string]int{"2026-11-25": 0, "2027-02-28": 1, "2027-03-01": 1, "2027-02-27": 0} {
		d, _ := time.Parse(time.DateOnly, day)
		now = func() time.Time { return d.Add(13 * time.Hour) }
		fs, err := Run(context.Background(), set, []*Check{UnsupportedVersion}, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != want {
			t.Errorf("on %s: %d findings, want %d", day, len(fs), want)
		}
	}
}

// TestFlagForms reads the spellings of flags a command line can hold.
func TestFlagForms(t *testing.T) {
	items := []string{"--a=1", "--b", "2", "--profiling", "--c=", "-d=x", "--e"}
	paths := []string{"0", "1", "2", "3", "4", "5", "6"}
	got := parseFlags(items, paths)
	want := map[string]flagArg{"a": {"1", "0"}, "b": {"2", "2"}, "profiling": {"true", "3"}, "c": {"", "4"}, "d": {"x", "5"}, "e": {"", "6"}}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
	for _, c := range []struct {
		items   []string
		image   string
		command bool
		comp    string
	}{
		{[]string{"/usr/local/bin/kube-apiserver", "--x=1"}, "", true, apiServer},
		{[]string{"hyperkube", "apiserver"}, "", true, apiServer},
		{[]string{"--name=etcd0"}, "quay.io/coreos/etcd:v3.5.0", false, etcdServer},
		{[]string{"--name=etcd0"}, "quay.io/coreos/etcd:v3.5.0", true, ""},
		{[]string{"sh", "-c", "kube-apiserver --x"}, "", true, ""},
		{nil, "registry.k8s.io/kube-scheduler-amd64:v1.37.0", false, schedulerBin},
	} {
		if comp, _ := componentOf(c.items, c.image, c.command); comp != c.comp {
			t.Errorf("componentOf(%q, %q) = %q, want %q", c.items, c.image, comp, c.comp)
		}
	}
}
