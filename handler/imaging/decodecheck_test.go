package imaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pinnedVersion is VIPS_VERSION from third_party/vips/versions.env.
func pinnedVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "third_party", "vips", "versions.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VIPS_VERSION="); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("versions.env has no VIPS_VERSION")
	return ""
}

// mappedFrom is the folder each shared library of this process was loaded from, by soname
// prefix (libvips.so.42, libheif.so.1, ...).
func mappedFrom(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dirs := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		p := fields[5]
		dirs[filepath.Base(p)] = filepath.Dir(p)
	}
	return dirs
}

// The process runs the libvips of third_party/vips (Debian's has the same soname,
// libvips.so.42, and a test binary that picked it up through a stale build cache or a missing
// rpath would otherwise pass silently with the old version), and that libvips runs the libheif
// beside it, not Debian's older one.
func TestLibvipsIsThePinnedBuild(t *testing.T) {
	newResizer()
	want := pinnedVersion(t)
	if got := libvipsVersion(); got != want {
		t.Fatalf("running libvips %s, want %s (third_party/vips/versions.env): link through make, or eval \"$(bash third_party/vips/build.sh env)\"", got, want)
	}
	var vipsDir, heifDir string
	for name, dir := range mappedFrom(t) {
		switch {
		case strings.HasPrefix(name, "libvips.so.42"):
			vipsDir = dir
		case strings.HasPrefix(name, "libheif.so.1"):
			heifDir = dir
		}
	}
	if vipsDir == "" || heifDir == "" {
		t.Fatalf("libvips mapped from %q, libheif from %q: want both", vipsDir, heifDir)
	}
	if heifDir != vipsDir || strings.HasPrefix(vipsDir, "/usr/") || strings.HasPrefix(vipsDir, "/lib") {
		t.Errorf("libvips from %s, libheif from %s: want both from the build's lib/", vipsDir, heifDir)
	}
	// heif.c points libheif at the plugins beside libvips unless the environment says otherwise.
	if p := heifPluginPath(); os.Getenv("LIBHEIF_PLUGIN_PATH") == "" && p != filepath.Join(vipsDir, "heif-plugins") {
		t.Errorf("LIBHEIF_PLUGIN_PATH=%q, want %s", p, filepath.Join(vipsDir, "heif-plugins"))
	}
}

// The HEIC and AVIF codecs decode (the start-up probe passes), and without them the process
// refuses to start, naming the plugin folder, instead of answering every HEIC with a 422.
func TestDecoderCheck(t *testing.T) {
	if os.Getenv("IMAGING_DECODER_CHECK_CHILD") == "1" {
		newResizer() // panics if a codec is missing
		return
	}
	newResizer()
	if err := checkDecoders(); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDecoderCheck$", "-test.count=1")
	cmd.Env = append(os.Environ(), "IMAGING_DECODER_CHECK_CHILD=1", "LIBHEIF_PLUGIN_PATH="+empty)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("started with no HEIF plugins (LIBHEIF_PLUGIN_PATH=%s):\n%s", empty, out)
	}
	if !strings.Contains(string(out), "cannot decode HEIC") || !strings.Contains(string(out), empty) {
		t.Errorf("want a panic naming HEIC and %s, got:\n%s", empty, out)
	}
}

// The start-up probe's cost, part of every cold start (decoding both 64x64 images; the plugins
// are already loaded by then, libheif loads them when libvips starts).
func BenchmarkCheckDecoders(b *testing.B) {
	newResizer()
	for _, p := range probes {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if err := checkDecoder(p.name, p.src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
