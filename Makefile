# Build targets for `sam build` (Metadata: BuildMethod: makefile). SAM runs
# build-<LogicalId> with ARTIFACTS_DIR set; each target builds one function
# from the single module, for Lambda's provided.al2023 runtime.
#
# GOARCH is arm64, as the template's Architectures says; the local cloud's
# process runtime builds the very same targets for the host with
# `make GOARCH=$(go env GOARCH) build-<LogicalId> ARTIFACTS_DIR=...`.
# nodynamic: the HEIC/AVIF decoder modules must never dlopen a system
# libheif/libavif through purego; thumbnail runs their WebAssembly builds
# only (see thumbnail/wasm.go), and the tag leaves the purego code out.
GOARCH ?= arm64
GO_LAMBDA = GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 go build -trimpath -tags lambda.norpc,nodynamic -ldflags="-s -w"

build-StartFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./lambdas/start

build-ConvertFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./lambdas/convert

build-StatusFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./lambdas/status

build-WebSocketFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./lambdas/websocket

build-SweepFunction:
	$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./lambdas/sweep

.PHONY: build-StartFunction build-ConvertFunction build-StatusFunction build-WebSocketFunction build-SweepFunction
