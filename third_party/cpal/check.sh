#!/usr/bin/env bash
# Proves that crate/ is exactly the published cpal package plus patches/*.patch, in order.
# Needs the pristine package: from ~/.cargo/registry if present, else
# fetched with `curl` from crates.io's static download URL.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/crate/Cargo.toml" | head -n1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pristine=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cpal-"$version" 2>/dev/null | head -n1 || true)
if [[ -z $pristine ]]; then
  curl -fsSL "https://static.crates.io/crates/cpal/cpal-$version.crate" | tar -xz -C "$work"
  pristine="$work/cpal-$version"
fi
cp -a "$pristine" "$work/patched"
rm -f "$work/patched/.cargo-ok"
for p in "$here"/patches/*.patch; do
  patch -s -p1 -d "$work/patched" <"$p"
done
diff -r "$work/patched" "$here/crate" && echo "third_party/cpal: crate/ = cpal $version + $(ls "$here"/patches | wc -l) patch(es)"
