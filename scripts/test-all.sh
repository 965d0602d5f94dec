#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a laptop: installs what is missing, starts throw-away
# service instances (MariaDB, dockerd) in a temporary directory on free ports, runs every test
# against SQLite and MariaDB, then Schemathesis against a real server, and stops the services.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/utopia-test-all.XXXXXX")
cleanup() {
  set +e
  bash scripts/services/dockerd.sh stop "$work/docker" >/dev/null 2>&1
  bash scripts/services/mariadb.sh stop "$work/mariadb" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

echo "== npm dependencies"
npm ci --no-audit --no-fund

echo "== build, lint"
npm run build
npm run lint

echo "== frp (pinned build, cached under .cache/frp)"
bash scripts/build-frp.sh >/dev/null

echo "== MariaDB"
eval "export $(bash scripts/services/mariadb.sh start "$work/mariadb")"

echo "== Docker Engine"
eval "export $(bash scripts/services/dockerd.sh start "$work/docker" | tail -n 1)"
bash scripts/services/test-image.sh

echo "== tests (SQLite and MariaDB)"
export UTOPIA_TEST_DATABASES=sqlite,mysql
npm test

echo "== Schemathesis (pinned, venv under .cache; as a user and as the admin)"
bash scripts/schemathesis.sh
