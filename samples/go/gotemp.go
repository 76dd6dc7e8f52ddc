// gotemp: the files a Go program makes and lists, for profiles that do not drift.
//
// Run as `gotemp DIR` (an existing directory), it:
//   - makes a temp file with os.CreateTemp("", "upload-*"): /tmp/upload-<random uint32 in
//     decimal>, opened O_RDWR|O_CREATE|O_EXCL with mode 0600; writes it and removes it;
//   - makes a temp directory with os.MkdirTemp("", "work-*") (mkdir 0700), writes a file in it,
//     lists it with os.ReadDir and removes it all;
//   - lists DIR with os.ReadDir, which opens it O_RDONLY|O_CLOEXEC, without O_DIRECTORY, and
//     reads it with getdents64.
//
// test/test_apparmor.cpp records it twice: the profiles must diff clean, the AppArmor profiles
// be the same, with `/tmp/upload-*` for the temp file and `DIR/` (a directory rule) for DIR.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotemp:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gotemp DIR")
		os.Exit(2)
	}
	f, err := os.CreateTemp("", "upload-*")
	check(err)
	_, err = f.WriteString("data\n")
	check(err)
	check(f.Close())
	check(os.Remove(f.Name()))

	work, err := os.MkdirTemp("", "work-*")
	check(err)
	check(os.WriteFile(filepath.Join(work, "out.json"), []byte("{}\n"), 0o644))
	entries, err := os.ReadDir(work)
	check(err)
	if len(entries) != 1 {
		check(fmt.Errorf("%s: %d entries", work, len(entries)))
	}
	check(os.RemoveAll(work))

	_, err = os.ReadDir(os.Args[1])
	check(err)
	fmt.Println("gotemp ok")
}
