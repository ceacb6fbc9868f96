# The two commands a user needs: `make run` (the local server on http://127.0.0.1:8080/) and
# `make test`. Every target installs what it needs and skips what is already there.
SHELL := /bin/bash
GOBIN := $(shell go env GOPATH)/bin
export PATH := $(PATH):$(GOBIN)
include tools.env # the pinned version of every tool (read by scripts and tests too)
ADDR ?= 127.0.0.1:8080

# libvips: third_party/vips/build.sh builds it once into a cache folder named by its pinned
# versions (a few minutes on the first run), and every target compiles and links against it.
# The rpath makes each binary load that libvips, never Debian's libvips.so.42 of the same soname;
# CGO_LDFLAGS is also part of Go's build cache key, so nothing built against another libvips is
# reused. The same two lines by hand: eval "$$(bash third_party/vips/build.sh env)".
VIPS_PREFIX := $(shell bash third_party/vips/build.sh prefix)
export PKG_CONFIG_PATH := $(VIPS_PREFIX)/lib/pkgconfig
export CGO_LDFLAGS := -Wl,-rpath,$(VIPS_PREFIX)/lib -Wl,--disable-new-dtags

.PHONY: run test build bench load lint package e2e tf-check tools deps

## run: the local server over testdata/ (originals in testdata/originals, variants in testdata/cache)
run: deps
	go run ./cmd/devserver -addr $(ADDR) -dir testdata

## test: lint, unit and integration tests (real libvips, real versitygw), the Lambda package in an
## empty root through aws-lambda-rie (on x86_64 only: the package is built from this machine's
## x86_64 libvips; elsewhere it says that it skips it), and the Terraform checks
test: tools lint
	@if [ "$$(uname -m)" = x86_64 ]; then $(MAKE) --no-print-directory package; else \
	  echo "make test: NOT testing the Lambda package (make package builds x86_64 zips and runs on x86_64 only; this is $$(uname -m))"; fi
	go test -count=1 -timeout 25m ./...
	bash terraform/check.sh

## build: the three binaries into build/
build: deps
	go build -trimpath -o build/ ./cmd/...

## package: build/origin.zip and build/prewarm.zip for Lambda (provided.al2023)
package: deps
	bash .ci/package.sh

## e2e: only the empty-root Lambda proof
e2e: tools package
	go test -count=1 -v ./cmd/lambdae2e

## tf-check: terraform fmt, tflint, tfsec and the wiring test
tf-check:
	bash terraform/check.sh

## bench: Go benchmarks of the imaging pipeline, the peer benchmark with the project in it, and
## the ratio table of docs/PERFORMANCE.md (about 15 minutes; raw output in build/bench/)
bench: deps
	bash .ci/bench.sh

## load: 30 s load test on loopback against versitygw (prints req/s, p50/p99, peak memory)
load: tools
	go run ./cmd/loadtest -duration 30s

## lint: gofmt, go vet, and go.mod/go.sum as `go mod tidy` leaves them
lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	@go mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

## deps: libvips built from pinned sources (third_party/vips), reused once built
deps:
	@bash third_party/vips/build.sh >/dev/null

## tools: what the tests run against, at the versions tools.env pins: versitygw (S3) and a static
## aws-lambda-rie (internal/tools finds them, or builds them with CGO_ENABLED=0 into the user's cache),
## and node (Debian's nodejs), which runs the CloudFront Function's tests (go test ./edge)
tools: deps
	@command -v node >/dev/null || { \
	  echo "installing nodejs (apt)"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq nodejs >/dev/null; }
	@go run ./internal/tools/install versitygw aws-lambda-rie
