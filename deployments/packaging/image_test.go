package packaging

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// imageBinaries are the binaries the image ships in /usr/local/bin.
var imageBinaries = []string{
	"switchboard", "switchboard-api", "switchboard-worker", "switchboard-scheduler", "switchboard-probe", "wasim",
}

// buildImageBinaries runs the Dockerfile's build step (scripts/build-static.sh)
// into a temporary directory: where no container runtime runs, this is the
// image's content.
func buildImageBinaries(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(repoRoot(t), "scripts", "build-static.sh"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-static.sh: %v\n%s", err, b)
	}
	return out
}

func TestDockerfileUsesTheBuildScript(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "deployments", "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{
		"scripts/build-static.sh /out",            // the same build as the test's
		"FROM gcr.io/distroless/static",           // CA certificates, no libc needed
		"COPY --from=build /out/ /usr/local/bin/", // every binary
		"USER 65532:65532",                        // non-root
		"SWITCHBOARD_DATA_DIR=/data",              // the data dir
		`CMD ["switchboard"]`,                     // standalone by default
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, bin := range imageBinaries {
		script, _ := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "build-static.sh"))
		if !strings.Contains(string(script), " "+bin+"\n") {
			t.Errorf("build-static.sh does not build %s", bin)
		}
	}
}

func TestImageBinaries(t *testing.T) {
	dir := buildImageBinaries(t)
	for _, bin := range imageBinaries {
		if err := checkStatic(filepath.Join(dir, bin)); err != nil {
			t.Errorf("%s: %v", bin, err)
		}
	}

	t.Run("worker needs NATS", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "switchboard-worker"))
		cmd.Env = []string{} // an empty environment
		cmd.Dir = t.TempDir()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("want exit status 1, got %v (stderr %q)", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "SWITCHBOARD_NATS_URL is required") {
			t.Errorf("stderr %q does not say SWITCHBOARD_NATS_URL is required", stderr.String())
		}
	})

	t.Run("standalone serves livez", func(t *testing.T) {
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(dir, "switchboard"))
		// Nothing but the listen address: the data dir is ./data under a
		// temporary working directory, the admin key is generated there.
		cmd.Env = []string{"SWITCHBOARD_HTTP_ADDR=" + addr}
		cmd.Dir = t.TempDir()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}()
		if err := waitOK(ctx, "http://"+addr+"/livez", 60*time.Second); err != nil {
			t.Fatalf("%v\noutput:\n%s", err, out.String())
		}
		if _, err := os.Stat(filepath.Join(cmd.Dir, "data")); err != nil {
			t.Errorf("no data dir created under the working directory: %v", err)
		}
	})
}

// checkStatic reports an ELF file that needs a dynamic loader or libraries.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("has a program interpreter (dynamically linked)")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		return fmt.Errorf("needs shared libraries %v", libs)
	}
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitOK polls url until it answers 200 or the deadline passes.
func waitOK(ctx context.Context, url string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ok within %v: %v", url, within, last)
		case <-tick.C:
		}
	}
}
