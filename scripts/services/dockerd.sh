#!/usr/bin/env bash
# dockerd.sh: start or stop a private Docker Engine for the agent's tests.
#
#   scripts/services/dockerd.sh start <dir>   # prints DOCKER_HOST=unix://<dir>/docker.sock
#   scripts/services/dockerd.sh stop <dir>
#
# If a Docker Engine already answers (`docker info` with the current DOCKER_HOST), it is reused and
# its DOCKER_HOST is printed. Otherwise dockerd is installed (Debian's docker.io, as root) if
# missing and started without iptables or a bridge (containers use network "none" or "host"), with
# all its state under <dir>.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop <dir>" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"
sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"

ping_sock() {
  # curl may be absent; the docker CLI ships with docker.io.
  DOCKER_HOST="unix://$1" docker info > /dev/null 2>&1
}

start() {
  # Serialize concurrent starts on one <dir>: a second dockerd would fight over the data root.
  exec 9> "$dir/start.lock"
  flock -w 120 9 || { echo "dockerd.sh: another start holds $dir/start.lock" >&2; exit 1; }
  if [ -n "${DOCKER_HOST:-}" ] && docker info > /dev/null 2>&1; then
    echo "DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  if [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && ping_sock /var/run/docker.sock; then
    echo "DOCKER_HOST=unix:///var/run/docker.sock"
    return 0
  fi
  if [ -S "$sock" ] && ping_sock "$sock"; then
    echo "DOCKER_HOST=unix://$sock"
    return 0
  fi
  if ! command -v dockerd > /dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "dockerd is not installed and this is not root: install docker.io first" >&2
      exit 1
    fi
    echo "installing docker.io ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq docker.io >&2
  fi
  mkdir -p "$dir/docker" "$dir/exec"
  rm -f "$sock"
  nohup dockerd --iptables=false --ip6tables=false --bridge=none \
    --data-root "$dir/docker" --exec-root "$dir/exec" --pidfile "$pidfile" \
    -H "unix://$sock" > "$dir/dockerd.log" 2>&1 < /dev/null 9>&- &
  for _ in $(seq 1 120); do
    if [ -S "$sock" ] && ping_sock "$sock"; then
      echo "DOCKER_HOST=unix://$sock"
      return 0
    fi
    sleep 0.5
  done
  echo "dockerd did not answer within 60 s; last log lines:" >&2
  tail -n 20 "$dir/dockerd.log" >&2 || true
  exit 1
}

stop() {
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  kill "$pid" 2> /dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2> /dev/null || return 0
    sleep 0.5
  done
  echo "dockerd ($pid) did not stop within 30 s; killing it" >&2
  kill -9 "$pid" 2> /dev/null || true
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
