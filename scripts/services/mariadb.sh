#!/usr/bin/env bash
# Starts or stops a throw-away MariaDB server in DIR, on a free loopback port (again on the same port
# and data when DIR was started before).
#   scripts/services/mariadb.sh start DIR   prints UTOPIA_TEST_MYSQL_URL=mysql://root@127.0.0.1:PORT/
#   scripts/services/mariadb.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}

find_mysqld() {
  for c in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

case "$cmd" in
start)
  if ! find_mysqld >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      echo "mariadb.sh: installing mariadb-server" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null) >&2
    else
      echo "mariadb.sh: MariaDB is not installed; install mariadb-server (or run as root)" >&2
      exit 1
    fi
  fi
  mysqld=$(find_mysqld)
  # A DIR that was started before keeps its data and its port, so a test can stop MariaDB and
  # start it again under clients that hold the URL.
  if [ ! -d "$dir/data/mysql" ]; then
    mkdir -p "$dir/data"
    install_db=$(command -v mariadb-install-db || command -v mysql_install_db)
    "$install_db" --datadir="$dir/data" --user="$(id -un)" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
  fi
  if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(free_port); echo "$port" >"$dir/port"; fi
  "$mysqld" --no-defaults --datadir="$dir/data" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --user="$(id -un)" \
    --skip-name-resolve --innodb-buffer-pool-size=128M --max-connections=500 \
    --innodb-flush-log-at-trx-commit=2 --log-error="$dir/error.log" >/dev/null 2>&1 &
  client=$(command -v mariadb || command -v mysql)
  for _ in $(seq 1 100); do
    if "$client" --protocol=socket -S "$dir/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1; then
      "$client" --protocol=socket -S "$dir/mysqld.sock" -uroot -e \
        "CREATE USER IF NOT EXISTS 'utopia'@'127.0.0.1' IDENTIFIED BY 'utopia-test'; GRANT ALL ON *.* TO 'utopia'@'127.0.0.1'; FLUSH PRIVILEGES;"
      echo "UTOPIA_TEST_MYSQL_URL=mysql://utopia:utopia-test@127.0.0.1:$port/"
      exit 0
    fi
    sleep 0.2
  done
  echo "mariadb.sh: MariaDB did not start; log:" >&2
  tail -20 "$dir/error.log" >&2 || true
  exit 1
  ;;
stop)
  if [ -f "$dir/mysqld.pid" ]; then
    kill "$(cat "$dir/mysqld.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -f "$dir/mysqld.pid" ] || break; sleep 0.2; done
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
