#!/usr/bin/env bash
# Runs a command on another Node.js major version, e.g. `bash scripts/with-node.sh 24 npm test`.
#
# That Node comes from the npm package node-linux-<arch>@MAJOR (cached under $cache/node/MAJOR,
# where cache is UTOPIA_CACHE_DIR or ~/.cache/utopia, so fresh clones on one machine share it).
# better-sqlite3 is a native module built for the Node that ran `npm ci`, so a build for the other
# Node's ABI is compiled from the package's own sources once (cached under $cache/better-sqlite3)
# and swapped into node_modules for the command only; the original build is put back afterwards,
# also when the command fails or is interrupted (after a kill -9, by the next run or `npm ci`), so
# the first Node keeps working.
set -euo pipefail
cd "$(dirname "$0")/.."

major=${1:?usage: with-node.sh MAJOR COMMAND [ARGS...]}
shift
[ "$#" -gt 0 ] || { echo "usage: with-node.sh MAJOR COMMAND [ARGS...]" >&2; exit 2; }

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "with-node: no node-linux build for $(uname -m)" >&2; exit 1 ;;
esac

cache=${UTOPIA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/utopia}

# 1. Node itself: the whole distribution (bin/node and the headers native modules build against).
prefix=$cache/node/$major
node_home=$prefix/node_modules/node-linux-$arch
if [ ! -x "$node_home/bin/node" ]; then
  echo "with-node: installing node-linux-$arch@$major into $prefix" >&2
  rm -rf "$prefix"
  npm install --prefix "$prefix" "node-linux-$arch@$major" \
    --no-save --no-package-lock --no-audit --no-fund --loglevel=error >&2
fi
node_bin=$node_home/bin

# 2. better-sqlite3 for that Node's ABI.
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
[ -f "$addon" ] || { echo "with-node: $addon missing; run npm ci first" >&2; exit 1; }
backup=$addon.first-node
# A run that was killed before it could restore leaves the backup: the original build is that one.
if [ -f "$backup" ]; then mv -f "$backup" "$addon"; fi
sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
abi=$("$node_bin/node" -p process.versions.modules)
cached=$cache/better-sqlite3/$sqlite_version-abi$abi/better_sqlite3.node
if [ ! -f "$cached" ]; then
  node_gyp=$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js
  [ -f "$node_gyp" ] || { echo "with-node: npm's node-gyp not found at $node_gyp" >&2; exit 1; }
  echo "with-node: compiling better-sqlite3 $sqlite_version for Node $major (ABI $abi), once" >&2
  src=$(mktemp -d "${TMPDIR:-/tmp}/utopia-better-sqlite3.XXXXXX")
  trap 'rm -rf "$src"' EXIT
  cp -R node_modules/better-sqlite3/. "$src/"
  rm -rf "$src/build"
  # --nodedir: headers of that Node (npm's own config may point node-gyp at the system Node's).
  (cd "$src" && PATH="$node_bin:$PATH" "$node_bin/node" "$node_gyp" rebuild --release \
    --nodedir="$node_home" >"$src.log" 2>&1) || { cat "$src.log" >&2; exit 1; }
  mkdir -p "$(dirname "$cached")"
  cp "$src/build/Release/better_sqlite3.node" "$cached.partial"
  mv -f "$cached.partial" "$cached"
  rm -rf "$src" "$src.log"
  trap - EXIT
fi

# 3. Swap the build in (copy, then rename: never rewrite a file another process may have mapped).
cp "$addon" "$backup"
restore() { mv -f "$backup" "$addon"; }
trap restore EXIT
trap 'exit 130' INT TERM
cp "$cached" "$addon.partial"
mv -f "$addon.partial" "$addon"

PATH="$node_bin:$PATH" "$@"
