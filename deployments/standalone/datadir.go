package standalone

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Modes of everything under the data dir: it holds device keys, the admin
// and master keys and the JetStream store.
const (
	dataDirMode  = 0o700
	dataFileMode = 0o600
)

// ErrDataDirExposed is returned for a data dir that other users can read.
var ErrDataDirExposed = errors.New("standalone: data dir is accessible to other users")

// prepareDataDir creates dir 0700, refuses one that others can access
// (mode o+rwx: whatever it held may already have been read; the operator
// must look and chmod it), and tightens what we own inside it: directories
// to 0700, files to 0600 (SQLite files of older versions were 0644).
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, dataDirMode); err != nil {
		return fmt.Errorf("standalone: data dir: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("standalone: data dir: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o007 != 0 {
		return fmt.Errorf("%w: %s has mode %04o; run `chmod 700 %s` (and check who read it) before starting",
			ErrDataDirExposed, dir, perm, dir)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("standalone: data dir: %w", err)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("standalone: data dir: %w", err)
		}
		if !ownedByUs(info) {
			return nil
		}
		want := fs.FileMode(dataFileMode)
		if d.IsDir() {
			want = dataDirMode
		}
		if info.Mode().Perm()&^want != 0 {
			if err := os.Chmod(path, info.Mode().Perm()&want); err != nil {
				return fmt.Errorf("standalone: tighten %s: %w", path, err)
			}
		}
		return nil
	})
}

// ownedByUs reports whether this process's user owns the file.
func ownedByUs(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
