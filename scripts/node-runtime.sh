#!/usr/bin/env bash
# Usage: scripts/node-runtime.sh [ARCH]   (ARCH: x64 | arm64; default x64)
# Prints the path of the pinned Node runtime (package.json "config.nodeRuntime") for linux-ARCH,
# unpacking it first from the npm registry package node-linux-ARCH into a cache directory when missing.
# Only npm's own client talks to the registry (npm pack), so a filled npm cache works offline.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
arch="${1:-x64}"
version="$(sed -n 's/^ *"nodeRuntime": *"\([^"]*\)".*/\1/p' "$root/package.json")"
[ -n "$version" ] || { echo "node-runtime: no config.nodeRuntime in package.json" >&2; exit 1; }
cache="${KASMCTL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kasmctl-build}/node-v$version-linux-$arch"
if [ ! -x "$cache/bin/node" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent --prefer-offline "node-linux-$arch@$version" >/dev/null)
  # The package also has headers and docs; a runtime needs the binary and its licence.
  tar -xzf "$work"/node-linux-"$arch"-"$version".tgz -C "$work" package/bin/node package/LICENSE
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache.partial" && mv "$work/package" "$cache.partial" && mv "$cache.partial" "$cache"
fi
echo "$cache/bin/node"
