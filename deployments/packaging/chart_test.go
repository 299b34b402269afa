package packaging

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// helmModule is the pinned helm, built from the Go module proxy, so that a
// fresh machine needs nothing installed by hand.
const helmModule = "helm.sh/helm/v3/cmd/helm@v3.22.0"

// workerDrain bounds a worker's hand-off of all its shards on SIGTERM
// (worker/cmd/switchboard-worker: drainTimeout).
const workerDrain = 60 * time.Second

var (
	helmOnce sync.Once
	helmBin  string
	helmErr  error
)

// helm runs the pinned helm with its state in a temporary home.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	helmOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-helm-")
		if err != nil {
			helmErr = err
			return
		}
		cmd := exec.Command("go", "install", helmModule)
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOWORK=off")
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			helmErr = errors.New("go install " + helmModule + ": " + err.Error() + "\n" + string(b))
			return
		}
		helmBin = filepath.Join(dir, "helm")
	})
	if helmErr != nil {
		t.Fatal(helmErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, helmBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "HELM_CACHE_HOME="+home+"/cache",
		"HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func chartDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "deployments", "helm", "switchboard")
}

func productionValues(t *testing.T) string {
	return filepath.Join(repoRoot(t), "deployments", "helm", "values-production.yaml")
}

func TestChartLint(t *testing.T) {
	helm(t, "lint", "--strict", chartDir(t))
	helm(t, "lint", "--strict", chartDir(t), "-f", productionValues(t))
}

// object is one rendered Kubernetes object.
type object map[string]any

func (o object) kind() string { return str(o["kind"]) }
func (o object) name() string { return str(get(o, "metadata", "name")) }

func render(t *testing.T, args ...string) []object {
	t.Helper()
	out := helm(t, append([]string{"template", "sb", chartDir(t)}, args...)...)
	dec := yaml.NewDecoder(strings.NewReader(out))
	var objs []object
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered YAML does not parse: %v", err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

func TestChartDefaults(t *testing.T) {
	objs := render(t, "--set", "secrets.masterKey=c2VjcmV0LW1hc3Rlci1rZXktdmFsdWUtMDEyMzQ1Njc4OQ==",
		"--set", "secrets.adminKey=sb_admin_value_in_a_secret")
	checkChart(t, objs, map[string]int{"api": 0, "worker": 3, "scheduler": 2})
	for _, o := range objs {
		if o.kind() == "ConfigMap" {
			b, _ := yaml.Marshal(o)
			for _, secret := range []string{"sb_admin_value_in_a_secret", "c2VjcmV0LW1hc3Rlci1rZXktdmFsdWUtMDEyMzQ1Njc4OQ", "postgres://"} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("ConfigMap %s inlines a secret value (%q)", o.name(), secret)
				}
			}
		}
	}
	if image := firstImage(t, objs); image != "ghcr.io/switchboard-gw/switchboard:"+chartAppVersion(t) {
		t.Errorf("image %q is not tagged with Chart.appVersion %s", image, chartAppVersion(t))
	}
}

func TestChartProduction(t *testing.T) {
	objs := render(t, "-f", productionValues(t))
	checkChart(t, objs, map[string]int{"api": 0, "worker": 6, "scheduler": 2})
	for _, o := range objs {
		if o.kind() == "Secret" {
			t.Errorf("with existingSecret the chart must not render Secret %s", o.name())
		}
	}
	monitors := 0
	for _, o := range objs {
		if o.kind() == "ServiceMonitor" {
			monitors++
		}
	}
	if monitors != 3 {
		t.Errorf("%d ServiceMonitors, want one per role", monitors)
	}
}

// checkChart asserts what matters for a sharded, stateful fleet; replicas
// maps each role to its expected replica count (0: managed by an HPA).
func checkChart(t *testing.T, objs []object, replicas map[string]int) {
	t.Helper()
	pdbs := map[string]object{}
	workloads := map[string]object{}
	hpas := map[string]bool{}
	for _, o := range objs {
		role := str(get(o, "metadata", "labels", "app.kubernetes.io/component"))
		switch o.kind() {
		case "PodDisruptionBudget":
			pdbs[role] = o
		case "Deployment", "StatefulSet":
			workloads[role] = o
		case "HorizontalPodAutoscaler":
			hpas[role] = true
		}
	}
	for role, want := range replicas {
		w, ok := workloads[role]
		if !ok {
			t.Errorf("no workload for %s", role)
			continue
		}
		if _, ok := pdbs[role]; !ok {
			t.Errorf("no PodDisruptionBudget for %s", role)
		}
		if got := num(get(w, "spec", "replicas")); got != want {
			t.Errorf("%s replicas %d, want %d", role, got, want)
		}
		if want == 0 && !hpas[role] {
			t.Errorf("%s has no replica count and no HorizontalPodAutoscaler", role)
		}
		checkPod(t, role, get(w, "spec", "template", "spec"))
	}
	if w := workloads["worker"]; w != nil {
		if w.kind() != "StatefulSet" {
			t.Errorf("worker is a %s, want a StatefulSet", w.kind())
		}
		grace := time.Duration(num(get(w, "spec", "template", "spec", "terminationGracePeriodSeconds"))) * time.Second
		if grace <= workerDrain {
			t.Errorf("worker grace period %v is not longer than its drain (%v)", grace, workerDrain)
		}
		c := containers(get(w, "spec", "template", "spec"))[0]
		if get(c, "lifecycle", "preStop") == nil {
			t.Error("worker has no preStop hook")
		}
		if !hasEnvFromPodName(c, "SWITCHBOARD_WORKER_ID") {
			t.Error("worker's SWITCHBOARD_WORKER_ID is not the pod name")
		}
	}
	if p := pdbs["worker"]; p != nil && num(get(p, "spec", "maxUnavailable")) != 1 {
		t.Errorf("worker PDB maxUnavailable = %v, want 1", get(p, "spec", "maxUnavailable"))
	}
}

func checkPod(t *testing.T, role string, spec any) {
	t.Helper()
	if get(spec, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: pod is not runAsNonRoot", role)
	}
	for _, c := range containers(spec) {
		sc := get(c, "securityContext")
		if get(sc, "runAsNonRoot") != true || get(sc, "readOnlyRootFilesystem") != true ||
			get(sc, "allowPrivilegeEscalation") != false {
			t.Errorf("%s: container security context %v", role, sc)
		}
		if drop, _ := get(sc, "capabilities", "drop").([]any); len(drop) != 1 || drop[0] != "ALL" {
			t.Errorf("%s: capabilities not all dropped", role)
		}
		if str(get(c, "livenessProbe", "httpGet", "path")) != "/livez" {
			t.Errorf("%s: liveness probe is not /livez", role)
		}
		if str(get(c, "readinessProbe", "httpGet", "path")) != "/readyz" {
			t.Errorf("%s: readiness probe is not /readyz", role)
		}
		if get(c, "resources", "requests") == nil || get(c, "resources", "limits") == nil {
			t.Errorf("%s: no resource requests and limits", role)
		}
		for _, e := range list(get(c, "env")) {
			if n := str(get(e, "name")); isSecretName(n) && get(e, "valueFrom", "secretKeyRef") == nil {
				t.Errorf("%s: %s does not come from a Secret", role, n)
			}
		}
	}
}

func isSecretName(n string) bool {
	return n == "SWITCHBOARD_ADMIN_KEY" || n == "SWITCHBOARD_MASTER_KEY" || n == "SWITCHBOARD_DATABASE_URL"
}

func hasEnvFromPodName(c any, name string) bool {
	for _, e := range list(get(c, "env")) {
		if str(get(e, "name")) == name && str(get(e, "valueFrom", "fieldRef", "fieldPath")) == "metadata.name" {
			return true
		}
	}
	return false
}

func firstImage(t *testing.T, objs []object) string {
	t.Helper()
	for _, o := range objs {
		if o.kind() == "Deployment" || o.kind() == "StatefulSet" {
			return str(get(containers(get(o, "spec", "template", "spec"))[0], "image"))
		}
	}
	t.Fatal("no workload rendered")
	return ""
}

func chartAppVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir(t), "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		AppVersion string `yaml:"appVersion"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.AppVersion
}

func containers(spec any) []any { return list(get(spec, "containers")) }

// get walks nested maps; nil when a key is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			if o, isObj := v.(object); isObj {
				m = o
			} else {
				return nil
			}
		}
		v = m[k]
	}
	return v
}

func list(v any) []any { l, _ := v.([]any); return l }
func str(v any) string { s, _ := v.(string); return s }
func num(v any) int    { n, _ := v.(int); return n }
