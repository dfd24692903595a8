#!/usr/bin/env bash
# A throwaway PostgreSQL server for the SQL store's tests.
#
#   bash .ci/postgres.sh run -- python3 -m pytest -q
#
# Installs the server from the system packages when initdb is missing
# (Debian: apt-get), and psycopg 3 from PyPI when Python cannot import it;
# makes a cluster in a temporary folder, owned by an unprivileged user when
# run as root (the server refuses to run as root); starts it on a Unix
# socket in that folder only (no TCP port); runs the command with the
# server's address in A3S_TEST_POSTGRES_DSN; stops the server and removes
# the folder at the end, also when the command or a step fails.
set -euo pipefail

usage() { echo "usage: bash .ci/postgres.sh run -- COMMAND [ARG...]" >&2; exit 2; }
[[ $# -ge 2 && $1 == run && $2 == -- ]] || usage
shift 2
[[ $# -ge 1 ]] || usage

log() { echo "postgres.sh: $*" >&2; }

find_bin() {  # the folder holding initdb and pg_ctl, or nothing
  local dir
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x $dir/initdb && -x $dir/pg_ctl ]] && { echo "$dir"; return; }
  done
}

install_server() {
  [[ $(id -u) -eq 0 ]] || { log "initdb is missing and installing it needs root"; exit 1; }
  log "installing PostgreSQL from the system packages"
  # Debian's package would make and start a cluster of its own: not wanted here.
  mkdir -p /etc/postgresql-common
  [[ -e /etc/postgresql-common/createcluster.conf ]] ||
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

BIN=$(find_bin)
if [[ -z $BIN ]]; then
  install_server
  BIN=$(find_bin)
  [[ -n $BIN ]] || { log "no initdb after installing postgresql"; exit 1; }
fi

if ! python3 -c "import psycopg" 2>/dev/null; then
  log "installing psycopg 3"
  python3 -m pip install --quiet --disable-pip-version-check "psycopg[binary]"
fi

# Run server commands as an unprivileged user when we are root.
AS=()
if [[ $(id -u) -eq 0 ]]; then
  if id postgres >/dev/null 2>&1; then USER_NAME=postgres; else USER_NAME=nobody; fi
  RUNUSER=$(command -v runuser || echo /usr/sbin/runuser)  # root's PATH may lack /usr/sbin
  AS=("$RUNUSER" -u "$USER_NAME" --)
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/a3s-pg.XXXXXX")
[[ ${#AS[@]} -eq 0 ]] || chown "$USER_NAME" "$DIR"
chmod 700 "$DIR"

cleanup() {
  local status=$?
  if [[ -f $DIR/data/postmaster.pid ]]; then
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 ||
      log "pg_ctl stop failed; see $DIR/server.log"
  fi
  [[ $status -eq 0 ]] || { log "server log:"; tail -n 20 "$DIR/server.log" >&2 2>/dev/null || true; }
  rm -rf "$DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U a3s --auth=trust --encoding=UTF8 --locale=C \
  >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
  -o "-c listen_addresses='' -k $DIR -c max_connections=100 -c fsync=on" >/dev/null

export A3S_TEST_POSTGRES_DSN="postgresql://a3s@/postgres?host=$DIR"
log "server up at $A3S_TEST_POSTGRES_DSN"
"$@"
