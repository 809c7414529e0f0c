#!/bin/sh
# As the official redis image: `redis-server ...` runs as `redis`, protected mode off
# (the container's network is the boundary), every address bound.
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  chown -R redis:redis /data 2>/dev/null || true
  exec setpriv --reuid=redis --regid=redis --init-groups \
    redis-server --protected-mode no --bind '* -::*' --dir /data "$@"
fi
exec "$@"
