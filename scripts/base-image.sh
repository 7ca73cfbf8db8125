#!/usr/bin/env bash
# Makes the local base image for `make image` and prints its name on stdout.
#
# Why: machines of this project reach no image registry, only Debian's package mirror and npm's. The
# Dockerfile defaults to node:20-slim; here we make an equivalent from parts we can reach: a minimal
# Debian from the mirror apt is configured with (debootstrap), this machine's node and npm, and this
# machine's extra CA certificates (npm ci inside the build goes through the same TLS interception as
# the host). The result is passed to `podman build --build-arg BASE_IMAGE=…`.
#
# Idempotent and cached: the image tag is a hash of everything that goes into it (this script, the
# Debian suite and mirror, node and npm versions, the CA certificates), so a second run is a lookup.
# The debootstrapped tree is also kept as a tarball under $SHOAL_CACHE_DIR, so a new node version
# does not cost another debootstrap.
#
#   scripts/base-image.sh            build if needed, print e.g. localhost/shoal-base:3f2a…
#   scripts/base-image.sh --force    rebuild even if the image exists
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=podman-env.sh
. "$here/podman-env.sh"

force=0
[ "${1:-}" = --force ] && force=1
cache_dir="${SHOAL_CACHE_DIR:-/var/cache/shoal}"
repo="localhost/shoal-base"

log() { echo "base-image: $*" >&2; }
die() { echo "base-image: $*" >&2; exit 1; }

# The Debian mirror and suite this machine's apt uses, read at run time (deb822 .sources or the
# one-line format). Only the main archive, not -security or -updates.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")"
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }' "$f")"
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  return 1
}

mirror="$(debian_mirror)" || die "no Debian mirror in /etc/apt/sources.list*"
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
node_bin="$(command -v node)" || die "node is not installed"
node_bin="$(readlink -f "$node_bin")"
npm_dir="$(npm root -g 2>/dev/null)/npm"
[ -f "$npm_dir/bin/npm-cli.js" ] || die "npm not found at $npm_dir"
certs=(/usr/local/share/ca-certificates/*.crt)
[ -e "${certs[0]}" ] || certs=()

tag="$(
  {
    cat "$0"; echo "$mirror $suite"; "$node_bin" --version
    node "$npm_dir/bin/npm-cli.js" --version 2>/dev/null
    [ ${#certs[@]} -gt 0 ] && cat "${certs[@]}"
  } | sha256sum | cut -c1-16
)"
image="$repo:$tag"

if [ "$force" = 0 ] && podman image exists "$image"; then
  log "cached $image"
  podman tag "$image" "$repo:latest"
  echo "$image"
  exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
[ "$(id -u)" = 0 ] || die "debootstrap needs root"

mkdir -p "$cache_dir/debs"
# ca-certificates: for npm ci in a build stage. libatomic1: rocksdb-native's prebuilt addon links it.
# libjemalloc2: the daemon's allocator (bin/with-jemalloc). Nothing else beyond minbase: node is copied in.
include=ca-certificates,libatomic1,libjemalloc2
rootfs_tar="$cache_dir/debootstrap-$suite-$(echo "$mirror $include" | sha256sum | cut -c1-8).tar"
work="$(mktemp -d /var/tmp/shoal-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/root"

t0=$SECONDS
if [ -f "$rootfs_tar" ] && [ "$force" = 0 ]; then
  log "using cached debootstrap tree $rootfs_tar"
  mkdir -p "$root"
  tar -C "$root" -xf "$rootfs_tar"
else
  log "debootstrap $suite from $mirror (minbase)"
  debootstrap --variant=minbase --include="$include" --cache-dir="$cache_dir/debs" \
    "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  # Trim what a container never reads: package lists, docs, man pages, non-English locales.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
  find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'en*' -exec rm -rf {} + 2>/dev/null || true
  tar -C "$root" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  log "debootstrap took $((SECONDS - t0)) s"
fi

# This machine's extra CA certificates, trusted by the system store and by node.
if [ ${#certs[@]} -gt 0 ]; then
  cp "${certs[@]}" "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in the base"
fi

# node and npm, as node:20-slim lays them out (/usr/local/bin, /usr/local/lib/node_modules).
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/local/bin/node --version >/dev/null || die "the copied node does not run in the base"

tar -C "$root" -cf "$work/rootfs.tar" .
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  --message "shoal local base: Debian $suite minbase + node $("$node_bin" --version)" \
  "$work/rootfs.tar" "$image" >/dev/null
podman tag "$image" "$repo:latest"
# Older bases (an earlier node or script) are no longer used by anything we build.
podman images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -v -e ":$tag\$" -e ':latest$' \
  | xargs -r podman rmi >/dev/null 2>&1 || true
log "made $image in $((SECONDS - t0)) s ($(podman image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
echo "$image"
