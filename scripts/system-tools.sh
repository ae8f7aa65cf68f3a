#!/usr/bin/env bash
# The system programs the test suite and `npm run dist` use for real, and the Debian packages that
# provide them: the one list that .ci/run installs from and the suite checks before mocha starts.
# Prints "PACKAGE<TAB>what is missing" for each package missing (nothing when all are there).
set -uo pipefail
has() { command -v "$1" >/dev/null 2>&1; }
check() { # PACKAGE WHAT TEST...
  local package="$1" what="$2"
  shift 2
  "$@" >/dev/null 2>&1 || printf '%s\t%s\n' "$package" "$what"
}
check postgresql 'PostgreSQL server (initdb, postgres)' sh -c 'ls /usr/lib/postgresql/*/bin/initdb || test -x "${KASMCTL_PG_BIN:-/nonexistent}/initdb"'
check postgresql-client 'pg_dump, pg_restore, psql' sh -c 'command -v pg_dump && command -v pg_restore && command -v psql'
check openssh-server sshd test -x /usr/sbin/sshd
check openssh-client ssh has ssh
check cron crontab has crontab
check tmux tmux has tmux
check zstd zstd has zstd
check openssl openssl has openssl
check curl curl has curl
check git git has git
check xz-utils xz has xz
check python3-prometheus-client 'the Prometheus Python client (OpenMetrics parser)' /usr/bin/python3 -c 'import prometheus_client.openmetrics.parser'
check zsh 'zsh (its completion of kasmctl is tested)' has zsh
