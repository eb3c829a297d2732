package scan

import (
	"context"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/render"
)

// TestRealworldGroupAdminIsNotClusterAdmin: kubeflow's dex ClusterRole
// grants every verb on every resource of dex.coreos.com only. It is
// reported as wildcards naming that group, and neither the role, its
// binding nor the dex Deployment is called admin-equivalent.
func TestRealworldGroupAdminIsNotClusterAdmin(t *testing.T) {
	dir := corpus + "/realworld/kubeflow-manifests/common/dex"
	set, err := render.Load(context.Background(), []string{"."}, render.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Run(context.Background(), set, All, Config{})
	if err != nil {
		t.Fatal(err)
	}
	wildcards := 0
	for _, f := range fs {
		switch f.Rule {
		case RBACWildcardAdmin.ID, ClusterAdminBinding.ID, WorkloadAdminSA.ID:
			t.Errorf("%s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message)
		case RBACWildcard.ID:
			if strings.Contains(f.Message, `"dex"`) && strings.Contains(f.Message, `API group "dex.coreos.com"`) {
				wildcards++
			}
		}
	}
	if wildcards != 2 {
		t.Errorf("want the dex role's resources and verbs wildcards reported, naming dex.coreos.com; got %d", wildcards)
	}
}
