#!/usr/bin/env bash
# Static checks of the Terraform module, runnable without an AWS account or provider downloads:
#   terraform fmt -check   (tools.env's TERRAFORM_VERSION, the oldest version versions.tf allows)
#   tflint                 (built-in Terraform language rules only; nothing is downloaded)
#   tfsec                  (fails on HIGH or CRITICAL; accepted findings carry an inline
#                           #tfsec:ignore:<rule> with the reason above it)
#   go test ./terraform/...  (wiring_test.go: the module against handler/config and the build)
# Missing tools are installed with `go install` into $(go env GOPATH)/bin (or GOBIN).
# Exits non-zero if any step fails; every step runs so one run shows every problem.
#
# Usage: bash terraform/check.sh     (from anywhere; `make tf-check` calls it)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

# TERRAFORM_VERSION, TFLINT_VERSION, TFSEC_VERSION: tools.env pins them; the environment may
# override each.
while IFS='=' read -r k v; do
	case "$k" in TERRAFORM_VERSION | TFLINT_VERSION | TFSEC_VERSION) [ -n "${!k:-}" ] || export "$k=$v" ;; esac
done <tools.env

BIN="$(go env GOBIN)"
[ -n "$BIN" ] || BIN="$(go env GOPATH)/bin"
export PATH="$BIN:$PATH"
# Nothing here needs a CLI config; a TF_CLI_CONFIG_FILE pointing at a missing file only warns.
[ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ -f "$TF_CLI_CONFIG_FILE" ] || unset TF_CLI_CONFIG_FILE
export CHECKPOINT_DISABLE=1 # no version check calls from terraform

# ensure NAME MODULE VERSION: install MODULE@VERSION unless $BIN/NAME was built from exactly that
# module version (read from the binary's build info; tfsec's --version does not say).
ensure() {
	local name="$1" module="$2" version="$3" pkg="${4:-$2}"
	if [ -x "$BIN/$name" ] && go version -m "$BIN/$name" 2>/dev/null |
		awk -v m="$module" -v v="$version" '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'; then
		return 0
	fi
	echo "--> installing $pkg@$version"
	GOFLAGS=-buildvcs=false go install "$pkg@$version"
}

failed=()
step() {
	local title="$1"
	shift
	echo "==> $title"
	if "$@"; then
		echo "    ok"
	else
		echo "    FAILED: $title"
		failed+=("$title")
	fi
}

step "terraform ${TERRAFORM_VERSION}" ensure terraform github.com/hashicorp/terraform "v${TERRAFORM_VERSION}"
step "tflint ${TFLINT_VERSION}" ensure tflint github.com/terraform-linters/tflint "${TFLINT_VERSION}"
step "tfsec ${TFSEC_VERSION}" ensure tfsec github.com/aquasecurity/tfsec "${TFSEC_VERSION}" github.com/aquasecurity/tfsec/cmd/tfsec

step "terraform fmt -check" "$BIN/terraform" fmt -check -recursive -diff terraform

# --chdir makes tflint read terraform/.tflint.hcl; the built-in "terraform" ruleset needs no
# `tflint --init`, so no plugin download is attempted.
step "tflint" "$BIN/tflint" --chdir=terraform --format=compact

step "tfsec (HIGH and CRITICAL fail)" "$BIN/tfsec" terraform --minimum-severity HIGH --no-color --concise-output --exclude-downloaded-modules

step "go test ./terraform/..." go test -count=1 ./terraform/...

if [ "${#failed[@]}" -gt 0 ]; then
	echo "terraform checks FAILED: ${failed[*]}"
	exit 1
fi
echo "terraform checks passed"
