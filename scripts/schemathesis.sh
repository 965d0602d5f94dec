#!/usr/bin/env bash
# Property-based API tests: Schemathesis (pinned, in a venv under .cache) against a real
# utopia-server on SQLite in a temporary directory, with a local node of simulated GPUs. It runs
# every check (one is off for one operation: see scripts/schemathesis.toml) and every phase
# (examples, coverage, fuzzing, stateful) twice: as a normal user (created through the API) and as
# the admin. Any failure fails the script.
#   scripts/schemathesis.sh            needs a build (npm run build) and python3 (3.11+)
#   SCHEMATHESIS_EXAMPLES=N            examples per operation and phase (default 20: both runs
#                                      take about 1.5 minutes on 2 cores)
#   SCHEMATHESIS_SEED=N                seed (default fixed, so a failure replays)
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv=$PWD/.cache/schemathesis-venv
# Every check runs (Schemathesis' default; naming them with --checks all would override the file);
# scripts/schemathesis.toml switches one off for one operation, and says why.
config=$PWD/scripts/schemathesis.toml
examples=${SCHEMATHESIS_EXAMPLES:-20}
seed=${SCHEMATHESIS_SEED:-20240613}

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $version"; then
  echo "== Schemathesis $version (venv $venv)"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null) >&2
    else
      echo "schemathesis.sh: python3 cannot make a venv; install python3-venv" >&2
      exit 1
    fi
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
[ -f packages/server/dist/main.js ] && [ -f packages/agent/dist/main.js ] || npm run build

work=$(mktemp -d "${TMPDIR:-/tmp}/utopia-schemathesis.XXXXXX")
server_pid=
cleanup() {
  set +e
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
admin_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
# Watch streams end after 2 s (UTOPIA_WATCH_MAX_MS; clients resume), so Schemathesis, which reads
# a stream to its end, is not held by one. The HTTP proxy is on, so POST /api/gpu-claims/{id}/proxy-sessions answers as in production
# (off, it is a 503 by design, which not_a_server_error would report).
UTOPIA_WATCH_MAX_MS=2000 UTOPIA_DATA_DIR="$work/data" UTOPIA_HOST=127.0.0.1 UTOPIA_PORT=$port UTOPIA_PROXY_LISTEN=127.0.0.1:0 \
  UTOPIA_ADMIN_PASSWORD=$admin_password UTOPIA_LOG_LEVEL=warn \
  node scripts/start-local.mjs >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -sf "$base/readyz" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done

# token USER PASSWORD: logs in and prints the bearer token.
token() {
  curl -sf "$base/api/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
admin_token=$(token admin "$admin_password")
user_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
curl -sf "$base/api/users" -H "authorization: Bearer $admin_token" -H 'content-type: application/json' \
  -d "{\"username\":\"fuzz-user\",\"password\":\"$user_password\",\"role\":\"user\"}" >/dev/null
user_token=$(token fuzz-user "$user_password")

# run AS TOKEN [FILTER...]: one full Schemathesis run. One worker: with threads, CPython 3.11's
# ast.parse (which hypothesis calls) can fail with "AST constructor recursion depth mismatch"
# (python/cpython#106905), and on 2 cores a second worker is no faster.
run() {
  local who=$1 bearer=$2
  shift 2
  echo "== Schemathesis as $who (examples $examples, seed $seed)"
  # From the temporary directory: Schemathesis keeps its crash cache in ./.schemathesis.
  (cd "$work" && "$venv/bin/schemathesis" --config-file "$config" run "$base/api/openapi.json" \
    --header "Authorization: Bearer $bearer" \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$examples" \
    --seed "$seed" \
    --workers 1 \
    --request-timeout 30 \
    --no-color \
    "$@")
}
# Every operation says who may call it (x-access). The user runs the operations a user calls with
# a user's own rights (admin-only ones answer a user 403 before reading anything, which the RBAC
# test proves route by route); it runs first, since the admin's run may disable or re-password
# that user. The admin runs everything but the node agent's own route (a node credential only).
status=0
run user "$user_token" --include-by '/x-access == "user"' || status=1
run admin "$admin_token" --exclude-by '/x-access == "node"' || status=1
if [ "$status" != 0 ]; then
  echo "== server log (last 20 lines)" >&2
  tail -n 20 "$work/server.log" >&2
fi
exit "$status"
