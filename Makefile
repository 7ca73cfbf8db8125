# shoal — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json

.PHONY: all build run test test-unit test-integration test-faults clean bench image test-cluster clean-cluster

all: build

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NODE_MODULES)
	npx tsc -p tsconfig.json
	@chmod +x dist/src/main.js dist/cli/ctl.js

# One node on embedded defaults: DATA_PATH=./data, dashboard on 8888, NFS on 2049 (12049 when not
# root, since ports below 1024 need root). Any SHOAL_* variable in the environment wins.
run: build
	DATA_PATH=$${DATA_PATH:-./data} SHOAL_NFS_PORT=$${SHOAL_NFS_PORT:-$$([ "$$(id -u)" = 0 ] && echo 2049 || echo 12049)} \
	  bin/shoal daemon

test: build
	node scripts/test.mjs

test-unit: build
	node scripts/test.mjs unit

test-integration: build
	node scripts/test.mjs integration

# The long fault tests (10 SIGKILL runs, 2+1 partitions, 10,000 files…): tens of minutes.
test-faults: build
	node scripts/test.mjs faults

bench: build
	npm run bench

clean:
	rm -rf dist

# The container image, built with podman from a locally made base (no image registry needed):
# scripts/image.sh, scripts/base-image.sh. SHOAL_IMAGE names the tag; BASE_IMAGE overrides the base.
SHOAL_IMAGE ?= localhost/shoal:latest
export SHOAL_IMAGE

image:
	scripts/podman-env.sh install
	scripts/image.sh

# Three containers on a podman network with a private DHT bootstrap, plus a sidekick and an app
# container (test/cluster/). Cleans up what it made; `make clean-cluster` removes leftovers of a
# run that was killed.
test-cluster: image build
	. scripts/podman-env.sh && node scripts/test.mjs dist/test/cluster

clean-cluster:
	. scripts/podman-env.sh && podman rm -f $$(podman ps -aq --filter label=shoal.test=cluster) 2>/dev/null; \
	  podman network rm $$(podman network ls -q --filter label=shoal.test=cluster) 2>/dev/null; \
	  rm -rf /var/tmp/shoal-ct-*; true
