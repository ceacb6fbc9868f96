package proc

import (
	"os/exec"
	"syscall"
)

// DieWithParent has the kernel kill the child when this process dies, even by SIGKILL.
func DieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
