#!/usr/bin/env bash
# Usage: test/dist/smoke.sh ARCHIVE.tar.xz PACKAGE.deb   (as root: it installs and removes the .deb)
#
# Runs the self-contained builds of `npm run dist` the way a Kasm host without Node would: in an
# empty environment (env -i) whose PATH has /usr/bin and /bin minus any node, npm or npx, so only
# the bundled runtime can run kasmctl. For the archive, then for the installed .deb:
# --version, sandbox up, zone list, health, backup create, sandbox down. Then dpkg -r.
set -euo pipefail
archive="$(readlink -f "$1")"
deb="$(readlink -f "$2")"
work="$(mktemp -d)"
installed=""
cleanup() {
  [ -z "$installed" ] || dpkg -r kasmctl >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# /usr/bin and /bin as links, without Node: this machine may have one there, a Kasm host does not.
nodeless_path() {
  rm -rf "$work/path" && mkdir -p "$work/path"
  for dir in /bin /usr/bin; do
    for tool in "$dir"/*; do
      case "${tool##*/}" in node | nodejs | npm | npx | corepack) continue ;; esac
      [ -e "$work/path/${tool##*/}" ] || ln -s "$tool" "$work/path/${tool##*/}"
    done
  done
}

# Each run in an empty environment with its own home, config, sandbox and caches.
bare() {
  env -i PATH="$work/path" HOME="$work/home" LANG=C.UTF-8 KASMCTL_CONFIG="$work/config.yaml" \
    KASMCTL_SANDBOX_DIR="$work/sandbox" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache" "$@"
}

scenario() { # LABEL KASMCTL
  local label="$1" kasmctl="$2"
  echo "smoke ($label): $kasmctl"
  if bare sh -c 'command -v node'; then echo "smoke: node is on the test PATH" >&2; exit 1; fi
  bare "$kasmctl" --version | tee "$work/version"
  grep -q "^kasmctl/$version linux-x64 node-v24\." "$work/version"
  bare "$kasmctl" sandbox up
  bare "$kasmctl" zone list
  # Graded on content, not speed: a busy CI machine must not turn latency into a failure.
  bare "$kasmctl" health --timeout 20s --warn-latency 10s --crit-latency 20s
  mkdir -m 700 "$work/backups"
  bare "$kasmctl" backup create --dest "$work/backups"
  ls "$work/backups"/kasm_db_sandbox_*
  # A cron line must run the launcher (with its own Node), not run.js (which needs node on PATH).
  bare "$kasmctl" backup cron --schedule '0 2 * * *' --dest "$work/backups" --print | tee "$work/cron"
  grep -q "kasmctl backup create " "$work/cron"
  if grep -q 'run\.js' "$work/cron"; then echo "smoke: the cron line runs run.js, which needs node on PATH" >&2; exit 1; fi
  bare "$kasmctl" sandbox down --purge --yes
  rm -rf "$work/backups" "$work/home" "$work/cache"
}

version="$(basename "$archive" | sed -n 's/^kasmctl-\(.*\)-linux-x64\.tar\.xz$/\1/p')"
[ -n "$version" ] || { echo "smoke: $archive is not a kasmctl-VERSION-linux-x64.tar.xz" >&2; exit 64; }
nodeless_path
mkdir -p "$work/unpacked"
tar -xJf "$archive" -C "$work/unpacked"
scenario archive "$work/unpacked/kasmctl-$version-linux-x64/bin/kasmctl"

installed=yes
dpkg -i "$deb"
nodeless_path
scenario deb kasmctl
test -f /usr/share/man/man1/kasmctl.1.gz && zcat /usr/share/man/man1/kasmctl.1.gz | grep -q '^\.SS kasmctl zone list'
bash -c 'source /usr/share/bash-completion/completions/kasmctl && complete -p kasmctl' | grep -q _kasmctl_complete
dpkg -r kasmctl
installed=""
if [ -e /usr/bin/kasmctl ] || [ -e /usr/lib/kasmctl ]; then echo "smoke: dpkg -r left files behind" >&2; exit 1; fi
echo "smoke: archive and .deb OK"
