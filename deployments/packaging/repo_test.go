package packaging

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// repoRoot is the repository's top directory (this package is two below).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root not found from %s: %v", root, err)
	}
	return root
}

// readmeVariables lists every SWITCHBOARD_* name the README documents.
func readmeVariables(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range envName.FindAllString(string(b), -1) {
		names[m] = true
	}
	return names
}

var envName = regexp.MustCompile(`SWITCHBOARD_[A-Z0-9_]*[A-Z0-9]`)

// undocumented returns the names in used that the README does not list.
func undocumented(t *testing.T, used []string) []string {
	t.Helper()
	doc := readmeVariables(t)
	var missing []string
	seen := map[string]bool{}
	for _, n := range used {
		if !doc[n] && !seen[n] {
			seen[n] = true
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	return missing
}
