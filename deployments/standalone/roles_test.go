package standalone_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/deployments/standalone"
	"github.com/switchboard-gw/switchboard/shared/config"
)

// Every variable the README documents is read by config.Load: a documented
// variable that no binary loads is a lie.
func TestEveryDocumentedVariableIsLoaded(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	documented := regexp.MustCompile("`(SWITCHBOARD_[A-Z0-9_]+)`").FindAllStringSubmatch(section, -1)
	if len(documented) == 0 {
		t.Fatal("no variables found in the Configuration section")
	}
	loaded := map[string]bool{}
	ct := reflect.TypeFor[config.Config]()
	for i := range ct.NumField() {
		if name := ct.Field(i).Tag.Get("env"); name != "" {
			loaded[name] = true
		}
	}
	for _, m := range documented {
		if !loaded[m[1]] {
			t.Errorf("README documents %s but config.Config does not load it", m[1])
		}
	}
}

// The standalone gives each of its parts the values the separate binaries
// would read from the same environment: the worker's reconnect pacing, the
// scheduler's interval, the api's address and keys.
func TestStandaloneRolesHonourTheEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"SWITCHBOARD_HTTP_ADDR":            "127.0.0.1:4321",
		"SWITCHBOARD_ADMIN_KEY":            "env-admin-key-0123456789",
		"SWITCHBOARD_TENANT_KEYS":          "acme:acme-env-key-0123456789",
		"SWITCHBOARD_SHARDS":               "12",
		"SWITCHBOARD_HEALTHCHECK_INTERVAL": "7m",
		"SWITCHBOARD_WA_SIMULATOR":         "127.0.0.1:5999",
		"SWITCHBOARD_WORKER_ID":            "w-env",
		"SWITCHBOARD_RECONNECT_RATE":       "1234.5",
		"SWITCHBOARD_RECONNECT_BURST":      "77",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := standalone.RoleConfigs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := r.Worker
	if w.ID != "w-env" || w.Shards != 12 || w.Simulator != "127.0.0.1:5999" || w.ReconnectRate != 1234.5 || w.ReconnectBurst != 77 {
		t.Errorf("worker config %+v does not carry the environment", w)
	}
	s := r.Scheduler
	if s.ID != "w-env" || s.Interval != 7*time.Minute || s.Shards != 12 {
		t.Errorf("scheduler config %+v does not carry the environment", s)
	}
	a := r.API
	if a.Addr != "127.0.0.1:4321" || a.AdminKey != "env-admin-key-0123456789" || a.TenantKeys["acme-env-key-0123456789"] != "acme" || a.Shards != 12 {
		t.Errorf("api config does not carry the environment: addr %q shards %d tenants %d", a.Addr, a.Shards, len(a.TenantKeys))
	}
}
