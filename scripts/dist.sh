#!/usr/bin/env bash
# npm run dist [-- ARCH...]   (ARCH: x64, arm64; default both)
#
# Self-contained builds of kasmctl for Kasm hosts without Node, into release/:
#   kasmctl-VERSION-linux-ARCH.tar.xz   kasmctl-VERSION-linux-ARCH/{bin/kasmctl, lib/node, lib/kasmctl, ...}
#   kasmctl_VERSION_DEBARCH.deb         /usr/lib/kasmctl (that tree), /usr/bin/kasmctl, bash completion, man page
# Each holds the pinned Node runtime (package.json config.nodeRuntime, from the npm registry package
# node-linux-ARCH), the npm package as `npm pack` makes it (prepack builds it), and its production
# dependencies at the versions of the lockfile. Everything comes through npm from the registry or
# npm's cache: with a filled cache this builds offline. The dependencies are plain JavaScript, so
# one node_modules serves every architecture.
# DIST_XZ_LEVEL (default 6) trades size for time: CI, which only runs the result, uses 1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x64 arm64)
version="$(node -p 'require("./package.json").version')"
out="$root/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

step() { printf 'dist: %s\n' "$*" >&2; }

step "npm pack (builds dist/ and the manifest)"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
app="$work/app"
mkdir -p "$app"
tar -xzf "$work/$tarball" -C "$app" --strip-components=1
step "production dependencies from the lockfile"
(cd "$app" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
rm -f "$app/npm-shrinkwrap.json"

step "bash completion and man page"
completion="$work/kasmctl.bash"
node "$app/bin/run.js" autocomplete bash >"$completion"
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" \
  node scripts/man-page.mjs node "$app/bin/run.js" | gzip -9n >"$work/kasmctl.1.gz"

# The tree both the archive and the .deb ship: a launcher that uses the bundled Node only.
assemble() { # DIR ARCH
  local dir="$1" node
  node="$(scripts/node-runtime.sh "$2")"
  mkdir -p "$dir/bin" "$dir/lib/node/bin"
  cp -a "$app" "$dir/lib/kasmctl"
  cp "$node" "$dir/lib/node/bin/node"
  cp "$(dirname "$node")/../LICENSE" "$dir/lib/node/LICENSE"
  cp LICENSE README.md "$dir/"
  cat >"$dir/bin/kasmctl" <<'LAUNCHER'
#!/bin/sh
# kasmctl with its own Node runtime: nothing outside this tree is used, whatever node is on PATH.
here="$(dirname "$(readlink -f "$0")")"
# How kasmctl names itself to others (the command in `backup cron` lines): this launcher, not run.js.
case "$0" in /*) KASMCTL_LAUNCHER="$0" ;; *) KASMCTL_LAUNCHER="$PWD/$0" ;; esac
export KASMCTL_LAUNCHER
exec "$here/../lib/node/bin/node" "$here/../lib/kasmctl/bin/run.js" "$@"
LAUNCHER
  chmod 755 "$dir/bin/kasmctl"
}

built=()
for arch in "${arches[@]}"; do
  case "$arch" in
    x64) debarch=amd64 ;;
    arm64) debarch=arm64 ;;
    *) echo "dist: unknown architecture $arch (use x64 or arm64)" >&2; exit 64 ;;
  esac

  name="kasmctl-$version-linux-$arch"
  step "$name.tar.xz"
  assemble "$work/$name" "$arch"
  tar -C "$work" --owner=0 --group=0 --sort=name -cf - "$name" | xz -T0 "-${DIST_XZ_LEVEL:-6}" >"$out/$name.tar.xz"
  built+=("$name.tar.xz")

  deb="kasmctl_${version}_$debarch.deb"
  step "$deb"
  pkg="$work/deb-$arch"
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/lib" "$pkg/usr/bin" "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/kasmctl"
  mv "$work/$name" "$pkg/usr/lib/kasmctl"
  ln -s ../lib/kasmctl/bin/kasmctl "$pkg/usr/bin/kasmctl"
  cp "$completion" "$pkg/usr/share/bash-completion/completions/kasmctl"
  cp "$work/kasmctl.1.gz" "$pkg/usr/share/man/man1/kasmctl.1.gz"
  cp LICENSE "$pkg/usr/share/doc/kasmctl/copyright"
  cat >"$pkg/DEBIAN/control" <<CONTROL
Package: kasmctl
Version: $version
Architecture: $debarch
Maintainer: kasmctl maintainers <maintainers@kasmctl.invalid>
Installed-Size: $(du -sk "$pkg/usr" | cut -f1)
Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1
Recommends: postgresql-client, zstd, openssh-client, curl
Section: admin
Priority: optional
Homepage: https://github.com/kasmctl/kasmctl
Description: operator's command line for Kasm Workspaces
 Zones, hosts, agents, health, database maintenance and backups for Kasm
 Workspaces, with its own Node.js runtime in /usr/lib/kasmctl.
CONTROL
  dpkg-deb --root-owner-group -Zxz "-z${DIST_XZ_LEVEL:-6}" --build "$pkg" "$out/$deb" >/dev/null
  built+=("$deb")
done

cd "$out"
# Every build of this version here, also those of an earlier run for the other architecture.
sha256sum kasmctl-"$version"-linux-*.tar.xz kasmctl_"$version"_*.deb >SHA256SUMS
for file in "${built[@]}"; do
  printf '%-40s %8s  sha256 %s\n' "$file" "$(du -h "$file" | cut -f1)" "$(sha256sum "$file" | cut -d' ' -f1)"
done
echo "dist: in $out (SHA256SUMS beside them)" >&2
