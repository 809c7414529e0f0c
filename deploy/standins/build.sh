#!/usr/bin/env bash
# Stand-ins for the official base images (python, node, postgres, redis), made from Debian
# 13 packages, because no registry serves images on the machines this project is tested on.
# See README.md here. Prints the four image names as `NAME=image` lines (PYTHON_IMAGE=...),
# ready for `docker compose --env-file`. Idempotent: an image that exists is kept, and the
# debootstrap of Debian is cached as a tarball, so a warm call takes a second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${LAYERFORGE_STANDIN_CACHE:-/var/cache/layerforge-standins}"
# The Debian mirror this machine's apt uses (deb.debian.org when none is configured).
mirror="${DEBIAN_MIRROR:-$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' \
  /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | awk '{print $2; exit}' || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
# The CA bundle this machine trusts: package registries are reached through it.
ca="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
tag=trixie
base="layerforge-standin/debian:$tag"

log() { echo "standins: $*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

if ! have "$base"; then
  tarball="$cache/debian-$tag-minbase.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >&2
    log "debootstrap of Debian $tag from $mirror (once; cached in $tarball)"
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase --include=ca-certificates "$tag" "$root" "$mirror" >&2
    # slim, as Debian's -slim images: no documentation, manual pages or translations
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/locale/*' >"$root/etc/dpkg/dpkg.cfg.d/docker-slim"
    find "$root"/usr/share/doc -type f ! -name copyright -delete
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
    mkdir -p "$cache"
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    trap - EXIT
  fi
  log "importing $tarball as $base"
  docker import -c 'CMD ["bash"]' "$tarball" "$base" >/dev/null
fi

# The build context: the Dockerfiles here, plus this machine's CA bundle.
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$here"/*.Dockerfile "$here"/*-entrypoint.sh "$context"/
cp "$ca" "$context/ca-bundle.crt"
for kind in python node postgres redis; do
  image="layerforge-standin/$kind:$tag"
  # An image is rebuilt when its recipe (or the CA bundle) changed since it was built.
  recipe="$(cat "$context/$kind.Dockerfile" "$context"/ca-bundle.crt \
    $(ls "$context/$kind-entrypoint.sh" 2>/dev/null) | sha256sum | cut -c1-16)"
  built="$(docker image inspect -f '{{index .Config.Labels "layerforge.recipe"}}' "$image" \
    2>/dev/null || true)"
  if [ "$built" != "$recipe" ]; then
    log "building $image"
    docker build -q --build-arg BASE="$base" --label "layerforge.recipe=$recipe" \
      -t "$image" -f "$context/$kind.Dockerfile" "$context" >/dev/null
  fi
  echo "$(echo "$kind" | tr a-z A-Z)_IMAGE=$image"
done
