#!/usr/bin/env bash
# `make image`: builds the shoal image with podman on a machine that reaches no image registry.
# Makes (or finds in its cache) the local base with scripts/base-image.sh and passes it as BASE_IMAGE;
# podman's layer cache keeps the npm ci stages until package.json or the lockfile change.
#
#   SHOAL_IMAGE=localhost/shoal:latest   the tag to build
#   BASE_IMAGE=…                         use this base instead of making one (e.g. node:20-slim where
#                                        a registry is reachable)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/podman-env.sh

image="${SHOAL_IMAGE:-localhost/shoal:latest}"
t0=$SECONDS
base="${BASE_IMAGE:-$(scripts/base-image.sh)}"
t1=$SECONDS
# --format docker: the OCI format has no HEALTHCHECK, and podman drops it with a warning.
podman build --pull=never --format docker --layers --build-arg BASE_IMAGE="$base" -t "$image" . >&2
t2=$SECONDS
# Each build whose lockfile changed leaves its stages behind (~600 MB): they are the layer cache, so
# keep a day's worth and drop older ones.
podman image prune -f --filter until=24h >/dev/null 2>&1 || true
size="$(podman image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
echo "image: $image ($size; base $base) — base $((t1 - t0)) s, build $((t2 - t1)) s" >&2
