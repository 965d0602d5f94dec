#!/usr/bin/env bash
# test-image.sh: build the tiny local image utopia-test/busybox:latest that the agent's Docker
# tests run, with `docker import` from Debian's static busybox (no registry needed).
# Uses the DOCKER_HOST of the environment. Does nothing if the image already exists in this
# version (the label utopia.test-image; bump it when the tool list changes).
set -euo pipefail

image="utopia-test/busybox:latest"
version="2"
current() {
  docker image inspect -f '{{index .Config.Labels "utopia.test-image"}}' "$image" 2> /dev/null || true
}
if [ "$(current)" = "$version" ]; then
  echo "$image exists"
  exit 0
fi

# Serialize concurrent runs (test files start in parallel). The lock lives in the checkout's
# ignored .cache, not the temp dir, so a run leaves nothing behind there.
lockdir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache"
mkdir -p "$lockdir"
exec 9> "$lockdir/utopia-test-image.lock"
flock 9
if [ "$(current)" = "$version" ]; then
  echo "$image exists"
  exit 0
fi

is_static() {
  local out
  out="$(ldd "$1" 2>&1 || true)"
  [[ "$out" == *"not a dynamic"* ]]
}
busybox=""
for candidate in /bin/busybox /usr/bin/busybox; do
  if [ -x "$candidate" ] && is_static "$candidate"; then
    busybox="$candidate"
    break
  fi
done
if [ -z "$busybox" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "a static busybox is needed: install busybox-static" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq busybox-static >&2
  busybox=/bin/busybox
  is_static "$busybox" || { echo "$busybox is not static" >&2; exit 1; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/etc"
cp "$busybox" "$work/rootfs/bin/busybox"
# yes, head and sleep make a log spewer (logs tests); stty reads a terminal's size (exec tests).
for tool in sh sleep echo cat ls env true false printf kill ps wc head tail id pwd date yes stty tr; do
  ln -s busybox "$work/rootfs/bin/$tool"
done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
  --change "LABEL utopia.test-image=$version" "$work/rootfs.tar" "$image" > /dev/null
echo "$image built"
