package packaging

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose parses and validates a compose file against the compose
// specification's schema, as `docker compose config` does.
func loadCompose(t *testing.T, file string) *types.Project {
	t.Helper()
	path := filepath.Join(repoRoot(t), "deployments", "compose", file)
	opts, err := cli.NewProjectOptions([]string{path},
		cli.WithEnv([]string{"SWITCHBOARD_ADMIN_KEY=test-admin-key-0123456789"}),
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("%s does not parse: %v", file, err)
	}
	return p
}

func TestComposeCluster(t *testing.T) {
	p := loadCompose(t, "compose.yaml")
	want := map[string]string{ // service → command
		"api-1": "switchboard-api", "api-2": "switchboard-api",
		"worker-1": "switchboard-worker", "worker-2": "switchboard-worker", "worker-3": "switchboard-worker",
		"scheduler-1": "switchboard-scheduler", "scheduler-2": "switchboard-scheduler",
	}
	for _, n := range []string{"nats-1", "nats-2", "nats-3", "postgres", "gateway"} {
		if _, ok := p.Services[n]; !ok {
			t.Errorf("service %s missing", n)
		}
	}
	var used []string
	for name, cmd := range want {
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("service %s missing", name)
			continue
		}
		if len(s.Command) == 0 || s.Command[0] != cmd {
			t.Errorf("%s runs %v, want %s", name, s.Command, cmd)
		}
		if s.HealthCheck == nil || !strings.Contains(strings.Join(s.HealthCheck.Test, " "), "/readyz") {
			t.Errorf("%s: no /readyz health check", name)
		}
		if s.Environment["SWITCHBOARD_REPLICAS"] == nil || *s.Environment["SWITCHBOARD_REPLICAS"] != "3" {
			t.Errorf("%s: SWITCHBOARD_REPLICAS is not 3", name)
		}
		if strings.HasPrefix(name, "worker") {
			if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= 60*time.Second {
				t.Errorf("%s: stop_grace_period %v is not longer than the 60 s drain", name, s.StopGracePeriod)
			}
			if id := s.Environment["SWITCHBOARD_WORKER_ID"]; id == nil || *id != name {
				t.Errorf("%s: SWITCHBOARD_WORKER_ID is not the service name", name)
			}
		}
		for k := range s.Environment {
			used = append(used, k)
		}
	}
	if gw := p.Services["gateway"]; len(gw.Ports) != 1 {
		t.Errorf("gateway publishes %d ports, want the one api port", len(gw.Ports))
	}
	if m := undocumented(t, used); len(m) > 0 {
		t.Errorf("compose.yaml uses variables the README does not document: %v", m)
	}
}

func TestComposeStandalone(t *testing.T) {
	p := loadCompose(t, "standalone.yaml")
	s, ok := p.Services["switchboard"]
	if !ok || len(p.Services) != 1 {
		t.Fatalf("want one service named switchboard, got %v", p.ServiceNames())
	}
	if len(s.Volumes) != 1 || s.Volumes[0].Type != types.VolumeTypeVolume || s.Volumes[0].Target != "/data" {
		t.Errorf("want a named volume on /data, got %+v", s.Volumes)
	}
	var used []string
	for k := range s.Environment {
		used = append(used, k)
	}
	if m := undocumented(t, used); len(m) > 0 {
		t.Errorf("standalone.yaml uses variables the README does not document: %v", m)
	}
}
