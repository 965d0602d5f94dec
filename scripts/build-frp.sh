#!/usr/bin/env bash
# Builds the pinned frp release (frps + frpc) into .cache/frp/<version>/ and prints that folder.
#
# frp cannot be fetched with `go install …@version` (its go.mod has a replace directive), and no
# registry ships its binaries, so tools/frp is a tiny main module that requires frp and repeats
# the replace line; we `go build` frp's commands from there. The version is whatever tools/frp/go.mod
# pins: upgrading frp means editing that file (and `go mod tidy`), nothing here.
#
# Usage: scripts/build-frp.sh            # stdout: the bin dir (only line); progress on stderr
# Env:   FRP_CACHE_DIR  parent of the <version>/ folders (default: <repo>/.cache/frp)
#        FRP_FORCE=1    rebuild even when both binaries exist
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod_dir="$root/tools/frp"
version="$(awk '($1 == "require" && $2 == "github.com/fatedier/frp") { print $3 }
                ($1 == "github.com/fatedier/frp") { print $2 }' "$mod_dir/go.mod" | head -n 1)"
if [[ -z "$version" ]]; then
  echo "build-frp: cannot find the frp version in $mod_dir/go.mod" >&2
  exit 1
fi
cache_dir="${FRP_CACHE_DIR:-$root/.cache/frp}"
bin_dir="$cache_dir/$version"

have_binaries() { [[ -x "$bin_dir/frps" && -x "$bin_dir/frpc" ]]; }

# The fast path needs no Go at all, so machines with prebuilt binaries never touch the toolchain.
if [[ "${FRP_FORCE:-0}" != 1 ]] && have_binaries; then
  echo "$bin_dir"
  exit 0
fi

mkdir -p "$cache_dir"
# Test files run in parallel and may all ask for frp at once: one builds, the others wait.
exec 9>"$cache_dir/.build.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ "${FRP_FORCE:-0}" != 1 ]] && have_binaries; then
  echo "$bin_dir"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-frp: Go (>= 1.25, see $mod_dir/go.mod) is needed to build frp $version" >&2
  exit 1
fi

cd "$mod_dir"
echo "build-frp: downloading frp $version and its dependencies" >&2
go mod download github.com/fatedier/frp
src_dir="$(go list -m -f '{{.Dir}}' github.com/fatedier/frp)"

# Since v0.67 the dashboard assets (web/*/dist) are git-ignored, so the module zip lacks them and
# //go:embed would fail; frp's own Makefile switches to the noweb stubs in that case.
tags_suffix=''
if [[ ! -d "$src_dir/web/frps/dist" || ! -d "$src_dir/web/frpc/dist" ]]; then
  tags_suffix=',noweb'
fi

# Build into a scratch folder and move it in place, so an interrupted build never looks complete.
tmp_dir="$(mktemp -d "$cache_dir/.build-$version.XXXXXX")"
trap 'rm -rf "$tmp_dir"' EXIT
for cmd in frps frpc; do
  echo "build-frp: building $cmd $version (tags $cmd$tags_suffix)" >&2
  # The frps/frpc tags drop the other side's plugins, as upstream's Makefile does.
  CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags '-s -w' -tags "$cmd$tags_suffix" \
    -o "$tmp_dir/$cmd" "github.com/fatedier/frp/cmd/$cmd"
done
"$tmp_dir/frps" -v >&2

mkdir -p "$bin_dir"
mv -f "$tmp_dir/frps" "$tmp_dir/frpc" "$bin_dir/"
echo "$bin_dir"
