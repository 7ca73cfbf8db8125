#!/usr/bin/env bash
# podman as shoal's build and cluster test use it. Source it (`. scripts/podman-env.sh`) to get
# CONTAINERS_CONF set to scripts/podman/containers.conf; run it to check the machine:
#
#   scripts/podman-env.sh install   install podman and what it needs from Debian (root, idempotent)
#   scripts/podman-env.sh check     exit 0 if podman can run a container here, else print why, exit 1
#
# `check` needs an image to run: it makes the local base (scripts/base-image.sh) if there is none.
__shoal_podman_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$__shoal_podman_dir/podman/containers.conf}"

# Debian packages: podman itself, the runtime and network stack our containers.conf selects, and
# debootstrap for the base image. No fuse-overlayfs: as root, podman uses the kernel's overlay.
# slirp4netns and uidmap serve rootless podman only.
SHOAL_PODMAN_PACKAGES=(podman runc conmon netavark aardvark-dns iptables catatonit slirp4netns uidmap
  debootstrap ca-certificates)

shoal_podman_install() {
  local missing=() p
  for p in "${SHOAL_PODMAN_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || { echo "podman-env: need root to install ${missing[*]}" >&2; return 1; }
  echo "podman-env: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Another apt may hold the lock (a shared machine): wait for it rather than fail.
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Why podman cannot run containers here, or nothing. Runs one throwaway container from the base.
shoal_podman_check() {
  command -v podman >/dev/null || { echo "podman is not installed"; return 1; }
  podman info >/dev/null 2>&1 || { echo "podman info fails: $(podman info 2>&1 | tail -1)"; return 1; }
  local base out
  base="$("$__shoal_podman_dir/base-image.sh" 2>/dev/null)" || { echo "the local base image could not be made (scripts/base-image.sh)"; return 1; }
  out="$(podman run --rm --pull=never "$base" node -e 'console.log("ok")' 2>&1)" \
    || { echo "podman run fails: $(echo "$out" | tail -1)"; return 1; }
  [ "$out" = ok ] || { echo "podman run printed: $out"; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-check}" in
    install) shoal_podman_install ;;
    check) why="$(shoal_podman_check)" || { echo "podman-env: cannot run containers: $why" >&2; exit 1; } ;;
    *) echo "usage: $0 install|check" >&2; exit 2 ;;
  esac
fi
