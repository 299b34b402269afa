package config_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/config"
)

// TestLoadDefaults reads an environment with no SWITCHBOARD_ variable.
func TestLoadDefaults(t *testing.T) {
	clearEnv(t)
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "" || c.DataDir != "./data" || c.Shards != 64 || c.Replicas != 1 ||
		c.HealthcheckInterval != 15*time.Minute || c.LogLevel != "info" || c.LogFormat != "" ||
		c.MetricsAddr != config.DefaultMetricsAddr || c.SimWSAddr != "127.0.0.1:3998" || c.SimControlAddr != "127.0.0.1:3999" {
		t.Fatalf("defaults = %+v", c)
	}
	if c.WorkerID == "" {
		t.Fatal("no default worker id")
	}
}

// TestLoadReadsEnvironment sets every variable Load parses into a field.
func TestLoadReadsEnvironment(t *testing.T) {
	clearEnv(t)
	for k, v := range map[string]string{
		"SWITCHBOARD_HTTP_ADDR": "127.0.0.1:4000", "SWITCHBOARD_NATS_URL": "nats://n:4222",
		"SWITCHBOARD_DATABASE_URL": "sqlite:/tmp/x.db", "SWITCHBOARD_DATA_DIR": "/var/lib/sb",
		"SWITCHBOARD_ADMIN_KEY": "admin-key-0123456789", "SWITCHBOARD_TENANT_KEYS": "a:tenant-key-0123456789", "SWITCHBOARD_SHARDS": "8",
		"SWITCHBOARD_REPLICAS": "3", "SWITCHBOARD_HEALTHCHECK_INTERVAL": "1m", "SWITCHBOARD_WA_SIMULATOR": "127.0.0.1:9",
		"SWITCHBOARD_WORKER_ID": "w-1", "SWITCHBOARD_LOG_LEVEL": "debug", "SWITCHBOARD_LOG_FORMAT": "console",
		"SWITCHBOARD_RECONNECT_RATE": "12.5", "SWITCHBOARD_RECONNECT_BURST": "4", "SWITCHBOARD_METRICS_ADDR": "127.0.0.1:9191",
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE": "true", "SWITCHBOARD_WEBHOOK_ALLOW_CIDRS": "10.20.0.0/16",
		"SWITCHBOARD_DEAD_LETTER_RETENTION": "24h", "SWITCHBOARD_MEMORY_LIMIT": "2GiB", "SWITCHBOARD_PPROF_ADDR": "127.0.0.1:6060",
	} {
		t.Setenv(k, v)
	}
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		HTTPAddr: "127.0.0.1:4000", NATSURL: "nats://n:4222", DatabaseURL: "sqlite:/tmp/x.db", DataDir: "/var/lib/sb",
		AdminKey: "admin-key-0123456789", TenantKeys: "a:tenant-key-0123456789", Shards: 8, Replicas: 3, HealthcheckInterval: time.Minute,
		WASimulator: "127.0.0.1:9", SimWSAddr: "127.0.0.1:3998", SimControlAddr: "127.0.0.1:3999",
		WorkerID: "w-1", LogLevel: "debug", LogFormat: "console", ReconnectRate: 12.5, ReconnectBurst: 4,
		MetricsAddr: "127.0.0.1:9191", WebhookAllowPrivate: true, WebhookAllowCIDRs: "10.20.0.0/16",
		DeadLetterRetention: 24 * time.Hour, MemoryLimit: "2GiB", PprofAddr: "127.0.0.1:6060",
		UsageInterval: time.Hour, EventRetention: 24 * time.Hour,
		RateLimit: 50, AuthFailLimit: 30, SessionConnectInterval: 10 * time.Second,
	}
	want.MasterKeyPrevious = c.MasterKeyPrevious // unset: nil or empty, either is fine
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Load() =\n%+v\nwant\n%+v", c, want)
	}
}

// TestSchedulerMetricsAddrAlias keeps the scheduler's older variable
// working; SWITCHBOARD_METRICS_ADDR wins when both are set.
func TestSchedulerMetricsAddrAlias(t *testing.T) {
	clearEnv(t)
	t.Setenv("SWITCHBOARD_SCHEDULER_METRICS_ADDR", "127.0.0.1:9300")
	c, err := config.Load()
	if err != nil || c.MetricsAddr != "127.0.0.1:9300" {
		t.Fatalf("alias: %q, %v", c.MetricsAddr, err)
	}
	t.Setenv("SWITCHBOARD_METRICS_ADDR", "127.0.0.1:9400")
	c, err = config.Load()
	if err != nil || c.MetricsAddr != "127.0.0.1:9400" {
		t.Fatalf("both set: %q, %v", c.MetricsAddr, err)
	}
}

// TestLoadRefuses names the variable of each bad value.
func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"SWITCHBOARD_SHARDS", "0", "SWITCHBOARD_SHARDS"},
		{"SWITCHBOARD_SHARDS", "4097", "SWITCHBOARD_SHARDS"},
		{"SWITCHBOARD_SHARDS", "many", "SWITCHBOARD_SHARDS"},
		{"SWITCHBOARD_REPLICAS", "0", "SWITCHBOARD_REPLICAS"},
		{"SWITCHBOARD_REPLICAS", "6", "SWITCHBOARD_REPLICAS"},
		{"SWITCHBOARD_HEALTHCHECK_INTERVAL", "0s", "SWITCHBOARD_HEALTHCHECK_INTERVAL"},
		{"SWITCHBOARD_HEALTHCHECK_INTERVAL", "-1m", "SWITCHBOARD_HEALTHCHECK_INTERVAL"},
		{"SWITCHBOARD_HEALTHCHECK_INTERVAL", "soon", "SWITCHBOARD_HEALTHCHECK_INTERVAL"},
		{"SWITCHBOARD_RECONNECT_RATE", "-1", "SWITCHBOARD_RECONNECT_RATE"},
		{"SWITCHBOARD_RECONNECT_BURST", "-2", "SWITCHBOARD_RECONNECT_BURST"},
		{"SWITCHBOARD_LOG_LEVEL", "loud", "SWITCHBOARD_LOG_LEVEL"},
		{"SWITCHBOARD_LOG_FORMAT", "xml", "SWITCHBOARD_LOG_FORMAT"},
		{"SWITCHBOARD_TENANT_KEYS", "acme", "SWITCHBOARD_TENANT_KEYS"},
		{"SWITCHBOARD_TENANT_KEYS", "acme:", "SWITCHBOARD_TENANT_KEYS"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tc.key, tc.value)
			_, err := config.Load()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load() error = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// clearEnv unsets every SWITCHBOARD_ variable for the test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"HTTP_ADDR", "NATS_URL", "DATABASE_URL", "DATA_DIR", "ADMIN_KEY", "TENANT_KEYS", "SHARDS", "REPLICAS",
		"HEALTHCHECK_INTERVAL", "WA_SIMULATOR", "SIM_WS_ADDR", "SIM_CONTROL_ADDR", "WORKER_ID", "LOG_LEVEL",
		"LOG_FORMAT", "RECONNECT_RATE", "RECONNECT_BURST", "METRICS_ADDR", "SCHEDULER_METRICS_ADDR",
		"WEBHOOK_ALLOW_PRIVATE", "WEBHOOK_ALLOW_CIDRS", "DEAD_LETTER_RETENTION", "MEMORY_LIMIT", "PPROF_ADDR",
	} {
		t.Setenv("SWITCHBOARD_"+k, "")
	}
}
