package tools

import (
	"os"
	"strings"
	"testing"
)

func TestPinnedReadsToolsEnv(t *testing.T) {
	for _, name := range []string{"versitygw", "aws-lambda-rie"} {
		p, err := Pinned(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Pkg, "github.com/") || !strings.HasPrefix(p.Version, "v") || strings.ContainsAny(p.Version, " @") {
			t.Errorf("%s: %+v", name, p)
		}
	}
	if _, err := Pinned("no-such-tool"); err == nil {
		t.Error("a tool tools.env does not name has a pin")
	}
}

// A binary that is not the pinned build is refused, with the reason.
func TestMatchesRefusesAnotherBuild(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := Pin{Name: "versitygw", Pkg: "github.com/versity/versitygw/cmd/versitygw", Version: "v0.0.1"}
	if err := p.Matches(self); err == nil || !strings.Contains(err.Error(), "want "+p.Pkg+"@v0.0.1") {
		t.Errorf("the test binary matches the versitygw pin: %v", err)
	}
	if err := p.Matches(os.DevNull); err == nil {
		t.Error("/dev/null matches")
	}
}
