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

// prepareDataDir creates dir 0700 and tightens what this user owns in it
// (the dir itself included): directories to 0700, files to 0600 (SQLite
// files of older versions were 0644, a dir made by mkdir is 0755). A data
// dir that other users can read and that this user cannot tighten (owned by
// someone else) is refused.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, dataDirMode); err != nil {
		return fmt.Errorf("standalone: data dir: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("standalone: data dir: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o007 != 0 && !ownedByUs(st) {
		return fmt.Errorf("%w: %s has mode %04o; it is owned by another user: run switchboard as its owner or `chmod 700 %s` (and check who read it)",
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
