#!/usr/bin/env bash
# test-image.sh: build the tiny local image utopia-test/busybox:latest that the agent's Docker
# tests run, with `docker import` from Debian's static busybox (no registry needed).
# Uses the DOCKER_HOST of the environment. Does nothing if the image already exists.
set -euo pipefail

image="utopia-test/busybox:latest"
if docker image inspect "$image" > /dev/null 2>&1; then
  echo "$image exists"
  exit 0
fi

# Serialize concurrent runs (test files start in parallel).
lockdir="${TMPDIR:-/tmp}"
exec 9> "$lockdir/utopia-test-image.lock"
flock 9
if docker image inspect "$image" > /dev/null 2>&1; then
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
for tool in sh sleep echo cat ls env true false printf kill ps wc head tail id pwd date; do
  ln -s busybox "$work/rootfs/bin/$tool"
done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$work/rootfs.tar" "$image" > /dev/null
echo "$image built"
