package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/imgorigin/imgorigin/internal/proc"
	"github.com/imgorigin/imgorigin/internal/s3test"
	"github.com/imgorigin/imgorigin/internal/tools"
)

// startServers runs versitygw (internal/s3test) and the devserver, built from this checkout and
// pointed at it, both with their output in dir. base is the devserver's URL.
func startServers(ctx context.Context, dir string) (srv *s3test.Server, dev *child, base string, err error) {
	vlog, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return nil, nil, "", err
	}
	srv, err = s3test.Launch(ctx, filepath.Join(dir, "s3"), vlog)
	if err != nil {
		return nil, nil, "", err
	}
	defer func() {
		if err != nil {
			srv.Stop()
		}
	}()
	root, err := tools.ModuleRoot()
	if err != nil {
		return nil, nil, "", err
	}
	bin := filepath.Join(dir, "devserver")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/devserver")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, nil, "", fmt.Errorf("go build ./cmd/devserver: %w", err)
	}
	addr, err := proc.FreePort()
	if err != nil {
		return nil, nil, "", err
	}
	dev, err = start(dir, "devserver", bin, []string{"-addr", addr}, append(srv.Env(), "AWS_EC2_METADATA_DISABLED=true"))
	if err != nil {
		return nil, nil, "", err
	}
	if err := proc.WaitPort(addr, 10*time.Second, dev.done); err != nil {
		dev.stop()
		return nil, nil, "", fmt.Errorf("devserver: %w (log in %s)", err, filepath.Join(dir, "devserver.log"))
	}
	return srv, dev, "http://" + addr, nil
}

// child is a process this program started and must end.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs a program with its output in dir/<name>.log.
func start(dir, name, bin string, args, env []string) (*child, error) {
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	proc.DieWithParent(cmd) // never outlive this program
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.done) }()
	return c, nil
}

// stop asks the process to end (SIGTERM) and kills it after 5 s.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}
