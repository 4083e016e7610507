# popi-go build and test entry points. `make test` is what CI runs.
GO ?= go
PKGS := ./...

.PHONY: test test-go test-paths test-race test-arm64 test-soak vet check-generate bench fuzz fuzz-long soak

test: check-generate vet test-go test-paths test-race test-arm64 test-soak

# The generated kernel files (assembly, constants, per-ISA wrappers) must be what
# `go generate ./kernels` writes: fails if regenerating changes anything under kernels/
# (on a clean checkout: if `git status --porcelain` is no longer empty).
check-generate:
	@before=$$(git status --porcelain -- kernels; git diff -- kernels | cksum); \
	$(GO) generate ./kernels || exit 1; \
	after=$$(git status --porcelain -- kernels; git diff -- kernels | cksum); \
	if [ "$$before" != "$$after" ]; then \
		echo "check-generate: go generate ./kernels changed files under kernels/ (a generated file"; \
		echo "edited by hand, or a generator changed without regenerating); see git status"; exit 1; \
	fi

vet:
	CGO_ENABLED=0 $(GO) build ./...
	$(GO) vet $(PKGS)
	GOARCH=arm64 $(GO) vet ./kernels/... ./tensor/...

test-go:
	$(GO) test -count=1 -timeout 20m $(PKGS)

# Every kernel dispatch path is exercised on this machine.
test-paths:
	POPI_KERNELS=generic $(GO) test -count=1 ./kernels/... ./tensor/...
	POPI_KERNELS=avx2 $(GO) test -count=1 ./kernels/...
	POPI_KERNELS=avx2 $(GO) test -count=1 -short ./nn/... ./llama/...
	POPI_KERNELS=generic $(GO) test -count=1 -short ./nn/... ./llama/...
	$(GO) test -count=1 -tags purego ./kernels/...

test-race:
	$(GO) test -count=1 -race -short ./kernels/... ./tensor/...

# NEON kernels really executed under qemu-user when qemu-aarch64 is installed (in kernels/,
# as go test would, so testdata/ resolves).
test-arm64:
	@if command -v qemu-aarch64 >/dev/null 2>&1; then \
		GOARCH=arm64 $(GO) test -c -o /tmp/popi-kernels-arm64.test ./kernels && \
		(cd kernels && qemu-aarch64 /tmp/popi-kernels-arm64.test -test.short -test.count=1); \
	else echo "qemu-aarch64 not installed: arm64 kernels compiled and vetted only"; fi

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./kernels/... ./llama/...

# Every Fuzz target in turn, 30 s each with minimization bounded to 5 s; prints a table of
# executions and results (FUZZING.md records one). fuzz-long: 10 minutes per target.
fuzz:
	scripts/fuzz.sh 30s 5s

fuzz-long:
	scripts/fuzz.sh 10m 30s

# SIGKILL cmd/train at random moments on a tiny config and check the resumed run ends as an
# uninterrupted one (identical final models, one metrics row per (phase, step)).
# test-soak is the short form (2 kills, under a minute); soak the full one (10 kills).
test-soak:
	scripts/soak_kill.sh 2

soak:
	scripts/soak_kill.sh 10
