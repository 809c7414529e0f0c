#!/usr/bin/env bash
# A Docker Engine with the Compose and Buildx plugins, on a Debian machine with no registry
# of images (see README.md here): Debian's docker.io package, dockerd started in the
# background when none answers (log: /var/log/layerforge-dockerd.log), and the plugins
# taken from Debian 13's docker-compose and docker-buildx packages. Installing needs root;
# exits 3 with the reason when the engine cannot be had (not root); any other failure is an error.
set -euo pipefail
plugins="${DOCKER_CLI_PLUGINS:-/usr/local/lib/docker/cli-plugins}"
[ "$(id -u)" = 0 ] || plugins="$HOME/.docker/cli-plugins"
mirror="$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' \
  /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | awk '{print $2; exit}' || true)"
mirror="${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"

log() { echo "engine: $*" >&2; }
need_root() { [ "$(id -u)" = 0 ] || { log "$1 needs root"; exit 3; }; }

if ! command -v dockerd >/dev/null; then
  need_root "installing docker.io"
  log "installing Debian's docker.io"
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2
fi
if ! docker info >/dev/null 2>&1; then
  need_root "starting dockerd"
  log "starting dockerd (log: /var/log/layerforge-dockerd.log)"
  nohup dockerd >/var/log/layerforge-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see its log"; exit 1; }
fi

# The plugins: Debian 13's packages, downloaded with a throw-away apt state (the host keeps
# its own sources), unpacked into the CLI's plugin folder.
missing=()
docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
docker buildx version >/dev/null 2>&1 || missing+=(docker-buildx)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from Debian 13 ($mirror) into $plugins"
  state="$(mktemp -d)"
  trap 'rm -rf "$state"' EXIT
  mkdir -p "$state/lists/partial" "$state/debs" "$plugins"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
    >"$state/sources.list"
  opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=-
    -o "Dir::State::Lists=$state/lists" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -q >&2
  (cd "$state/debs" && apt-get "${opts[@]}" download "${missing[@]}" >&2)
  for deb in "$state"/debs/*.deb; do dpkg-deb -x "$deb" "$state/root"; done
  install -m 755 "$state"/root/usr/libexec/docker/cli-plugins/* "$plugins/"
fi
docker compose version >&2
