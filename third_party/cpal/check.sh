#!/usr/bin/env bash
# Proves that crate/ is exactly the published cpal package plus the *.patch files beside it, in order.
# Needs the pristine package: from cargo's registry cache, fetched into it by cargo when absent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/crate/Cargo.toml" | head -n1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find_pristine() { ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cpal-"$version" 2>/dev/null | head -n1 || true; }
pristine=$(find_pristine)
if [[ -z $pristine ]]; then
  # A throwaway crate that depends on exactly this version makes cargo fetch it into the cache.
  cargo init --quiet --lib --name fetch_cpal "$work/fetch"
  (cd "$work/fetch" && cargo add --quiet "cpal@=$version" && cargo fetch --quiet)
  pristine=$(find_pristine)
fi
cp -a "$pristine" "$work/patched"
rm -f "$work/patched/.cargo-ok"
for p in "$here"/*.patch; do
  patch -s -p1 -d "$work/patched" <"$p"
done
diff -r "$work/patched" "$here/crate" && echo "third_party/cpal: crate/ = cpal $version + $(ls "$here"/*.patch | wc -l) patch(es)"
