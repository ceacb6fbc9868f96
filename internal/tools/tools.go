// Package tools finds the programs the tests run (versitygw, aws-lambda-rie) at the version
// pinned in the repository's tools.env, and installs that version when it is missing.
//
// A binary counts when its Go build information names the pinned package and version and says
// CGO_ENABLED=0 (so that it is statically linked and runs in an empty root too). Binaries on
// PATH, in GOBIN and in GOPATH/bin are looked at first; else `go install` builds the pinned
// version into the user's cache folder, so that an install never replaces someone's own copy.
package tools

import (
	"bufio"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Pin is one tool of tools.env.
type Pin struct {
	Name    string // the binary: versitygw
	Pkg     string // the package go install builds
	Version string
}

// Versions reads tools.env from the module's root: KEY=VALUE lines, # comments.
func Versions() (map[string]string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, "tools.env"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("tools.env: %q is not KEY=VALUE", line)
		}
		vars[k] = v
	}
	return vars, sc.Err()
}

// Pinned is the pin of the named binary: NAME_PKG and NAME_VERSION in tools.env, NAME in
// upper case with dashes as underscores.
func Pinned(name string) (Pin, error) {
	vars, err := Versions()
	if err != nil {
		return Pin{}, err
	}
	key := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	p := Pin{Name: name, Pkg: vars[key+"_PKG"], Version: vars[key+"_VERSION"]}
	if p.Pkg == "" || p.Version == "" {
		return Pin{}, fmt.Errorf("tools.env has no %s_PKG and %s_VERSION", key, key)
	}
	return p, nil
}

// Binary returns the path of the named tool at its pinned version, installing it if needed.
func Binary(name string) (string, error) {
	p, err := Pinned(name)
	if err != nil {
		return "", err
	}
	own, err := p.cacheDir()
	if err != nil {
		return "", err
	}
	candidates := []string{filepath.Join(own, name)}
	if path, err := exec.LookPath(name); err == nil {
		candidates = append(candidates, path)
	}
	for _, d := range goBinDirs() {
		candidates = append(candidates, filepath.Join(d, name))
	}
	for _, c := range candidates {
		if p.Matches(c) == nil {
			return c, nil
		}
	}
	return p.install(own)
}

// Matches says why the binary at path is not the pinned build (nil when it is).
func (p Pin) Matches(path string) error {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return err
	}
	if bi.Path != p.Pkg || bi.Main.Version != p.Version {
		return fmt.Errorf("%s is %s@%s, want %s@%s", path, bi.Path, bi.Main.Version, p.Pkg, p.Version)
	}
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" && s.Value == "0" {
			return nil
		}
	}
	return fmt.Errorf("%s was not built with CGO_ENABLED=0", path)
}

// install builds the pinned version into a new folder and renames it into place, so that tests
// installing at the same time never see a half-written binary.
func (p Pin) install(own string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(own), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(own), ".install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", p.Pkg+"@"+p.Version)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+tmp, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %v\n%s", p.Pkg, p.Version, err, out)
	}
	if err := os.Rename(tmp, own); err != nil && p.Matches(filepath.Join(own, p.Name)) != nil {
		return "", err // not one that another install put there first
	}
	return filepath.Join(own, p.Name), nil
}

func (p Pin) cacheDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "imgorigin", "tools", p.Name+"@"+p.Version), nil
}

// goBinDirs are GOBIN and every GOPATH's bin.
func goBinDirs() []string {
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	var dirs []string
	if len(lines) == 2 {
		if lines[0] != "" {
			dirs = append(dirs, lines[0])
		}
		for _, p := range filepath.SplitList(lines[1]) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	return dirs
}

// ModuleRoot is the folder of the module's go.mod (the repository's root).
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the module (go env GOMOD is empty)")
	}
	return filepath.Dir(mod), nil
}
