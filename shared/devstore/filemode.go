package devstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// sqliteFileMode is the mode of SQLite's files: device keys are secrets.
// SQLite creates the -wal and -shm files with the database file's mode, so
// creating the database file first (or fixing an existing one) covers them.
const sqliteFileMode = 0o600

// privateSQLiteFiles creates the SQLite database file at path with mode 0600
// when it does not exist yet, and tightens an existing database and its
// -wal, -shm and -journal files to 0600 (files written by older versions
// were 0644). Its directory is created 0700 when missing.
func privateSQLiteFiles(path string) error {
	if path == ":memory:" || path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("devstore: sqlite dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, sqliteFileMode)
	if err != nil {
		return fmt.Errorf("devstore: create sqlite file: %w", err)
	}
	_ = f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("devstore: sqlite file: %w", err)
		}
		if st.Mode().Perm()&^sqliteFileMode != 0 {
			if err := os.Chmod(p, sqliteFileMode); err != nil {
				return fmt.Errorf("devstore: tighten %s: %w", filepath.Base(p), err)
			}
		}
	}
	return nil
}
