package config_test

import (
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/shared/config"
	"github.com/switchboard-gw/switchboard/shared/secretbox"
)

func TestEventRetentionEnv(t *testing.T) {
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.EventRetention != 24*time.Hour || c.Bus().EventRetention != 24*time.Hour {
		t.Fatalf("default retention = %v", c.EventRetention)
	}
	t.Setenv("SWITCHBOARD_EVENT_RETENTION", "36h")
	if c, err = config.Load(); err != nil || c.Bus().EventRetention != 36*time.Hour {
		t.Fatalf("retention 36h = %v, %v", c.EventRetention, err)
	}
	for _, bad := range []string{"10s", "-1h", "soon"} {
		t.Setenv("SWITCHBOARD_EVENT_RETENTION", bad)
		if _, err := config.Load(); err == nil {
			t.Errorf("SWITCHBOARD_EVENT_RETENTION=%q accepted", bad)
		}
	}
}

func TestMasterKeyEnv(t *testing.T) {
	cur, _ := secretbox.GenerateKey()
	old, _ := secretbox.GenerateKey()
	t.Setenv("SWITCHBOARD_MASTER_KEY", cur)
	t.Setenv("SWITCHBOARD_MASTER_KEY_PREVIOUS", old)
	c, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if box, err := secretbox.New(c.SecretBox()); err != nil || !box.Enabled() {
		t.Fatalf("box from env: %v", err)
	}
	t.Setenv("SWITCHBOARD_MASTER_KEY", "c2hvcnQ=")
	if _, err := config.Load(); err == nil {
		t.Fatal("a 5-byte master key was accepted")
	}
}
