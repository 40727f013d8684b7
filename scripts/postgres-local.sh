#!/usr/bin/env bash
# Run a throwaway PostgreSQL server on 127.0.0.1 for development and tests.
#
# Usage:
#   scripts/postgres-local.sh start    # prints "url=postgresql://postgres@127.0.0.1:PORT/ecomstream" as its last stdout line
#   scripts/postgres-local.sh stop     # pg_ctl stop -m fast; exit 0 if not running
#   scripts/postgres-local.sh restart  # stop + start, same port and data
#   scripts/postgres-local.sh status   # exit 0 and print the url line if running, exit 3 if not
#   scripts/postgres-local.sh psql ARGS...  # psql connected to the ecomstream database
#   scripts/postgres-local.sh clean    # stop and delete the state dir
#
# If no server binaries are found (/usr/lib/postgresql/*/bin or initdb/pg_ctl on
# PATH) and we are root, PostgreSQL is installed from Debian's packages.
# As root the server runs as the `postgres` system user (created if missing).
#
# Environment:
#   ECOMSTREAM_PG_DIR  state dir (default: $REPO/.cache/pg-run)
#   PG_PORT            force the port (default: reuse the stored one, else a free port)
#   PG_DATABASE        database to create (default: ecomstream)
#   PG_START_TIMEOUT   seconds to wait for readiness (default 60)
#
# Progress and errors go to stderr; stdout carries only the url line.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${ECOMSTREAM_PG_DIR:-$REPO/.cache/pg-run}"
HOST=127.0.0.1
DB="${PG_DATABASE:-ecomstream}"
SUPERUSER=postgres # database role created by initdb (independent of the OS user)
START_TIMEOUT="${PG_START_TIMEOUT:-60}"

log() { echo "postgres-local: $*" >&2; }
die() { echo "postgres-local: ERROR: $*" >&2; exit 1; }

find_bindir() {
  local d
  # newest major version first
  for d in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -t/ -k5 -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    d="$(dirname "$(readlink -f "$(command -v initdb)")")"
    if [[ -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
  fi
  return 1
}

ensure_server() {
  if BIN="$(find_bindir)"; then return 0; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "no PostgreSQL server binaries found: installing Debian's postgresql package"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN="$(find_bindir)" || die "postgresql installed but initdb/pg_ctl still not found"
  else
    die "PostgreSQL server binaries not found: install them (e.g. sudo apt-get install postgresql)"
  fi
}

# The OS user the server runs as: postgres refuses to run as root.
setup_user() {
  if [[ $(id -u) -ne 0 ]]; then RUNAS=(); OSUSER="$(id -un)"; return 0; fi
  OSUSER=postgres
  if ! id -u "$OSUSER" >/dev/null 2>&1; then
    log "creating system user $OSUSER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$OSUSER"
  fi
  RUNAS=(runuser -u "$OSUSER" --)
}

as_owner() { "${RUNAS[@]}" "$@"; }

# Where the cluster lives. Normally $STATE/run; if the server's OS user cannot
# reach $STATE (e.g. a checkout under /root), a directory under /tmp is used
# and recorded in $STATE/rundir.
choose_rundir() {
  if [[ -s "$STATE/rundir" ]]; then RUN="$(cat "$STATE/rundir")"; fi
  if [[ -z "${RUN:-}" ]]; then
    RUN="$STATE/run"
    if [[ ${#RUNAS[@]} -gt 0 ]] && ! as_owner test -x "$STATE"; then
      RUN="/tmp/ecomstream-pg-$(printf %s "$STATE" | md5sum | cut -c1-12)"
      log "$OSUSER cannot reach $STATE; keeping the cluster in $RUN"
    fi
    echo "$RUN" >"$STATE/rundir"
  fi
  DATA="$RUN/data"
  SOCK="$RUN/sock"
  LOGFILE="$RUN/postgres.log"
  mkdir -p "$RUN" "$SOCK"
  if [[ ${#RUNAS[@]} -gt 0 ]]; then chown "$OSUSER" "$RUN" "$SOCK"; chmod 700 "$RUN"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

running() { [[ -f "$DATA/PG_VERSION" ]] && as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

url() { echo "url=postgresql://$SUPERUSER@$HOST:$(cat "$STATE/port")/$DB"; }

wait_ready() {
  local port="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if "$BIN/pg_isready" -q -h "$HOST" -p "$port" -d postgres -U "$SUPERUSER" \
      && "$BIN/psql" -X -q -h "$HOST" -p "$port" -U "$SUPERUSER" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
      return 0
    fi
    if ! running; then
      tail -n 40 "$LOGFILE" >&2 2>/dev/null || true
      die "server is not running"
    fi
    sleep 0.2
  done
  tail -n 40 "$LOGFILE" >&2 2>/dev/null || true
  die "server did not accept connections on $HOST:$port within ${START_TIMEOUT}s"
}

ensure_db() {
  local port="$1" exists
  exists="$("$BIN/psql" -X -h "$HOST" -p "$port" -U "$SUPERUSER" -d postgres -tAc \
    "select 1 from pg_database where datname = '$DB'")"
  if [[ "$exists" != 1 ]]; then
    log "creating database $DB"
    "$BIN/createdb" -h "$HOST" -p "$port" -U "$SUPERUSER" "$DB"
  fi
}

prepare() {
  command -v python3 >/dev/null 2>&1 || die "python3 is required (port picking)"
  ensure_server
  setup_user
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock 9
  choose_rundir
}

start() {
  prepare
  local port
  if running; then
    port="$(cat "$STATE/port")"
    wait_ready "$port"
    ensure_db "$port"
    exec 9>&-
    url
    return 0
  fi
  if [[ -n "${PG_PORT:-}" ]]; then port="$PG_PORT"
  elif [[ -s "$STATE/port" ]]; then port="$(cat "$STATE/port")"
  else port="$(free_port)"; fi
  port_free "$port" || die "port $HOST:$port is in use by another process (set PG_PORT, or '$0 clean')"
  echo "$port" >"$STATE/port"

  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initdb $DATA ($("$BIN/postgres" --version), OS user $OSUSER)"
    rm -rf "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U "$SUPERUSER" --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$RUN/initdb.log" 2>&1 || { cat "$RUN/initdb.log" >&2; die "initdb failed"; }
    as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# ---- scripts/postgres-local.sh (test server) ----
listen_addresses = '$HOST'
unix_socket_directories = '$SOCK'
shared_buffers = 64MB
max_connections = 200
max_wal_size = 256MB
log_min_messages = warning
log_min_error_statement = error
log_line_prefix = '%m [%p] '
EOF
  fi

  log "starting PostgreSQL on $HOST:$port, data in $DATA"
  # -w: pg_ctl itself waits; then we still check with pg_isready + psql.
  # The server must not inherit the lock fd.
  as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$LOGFILE" -w -t "$START_TIMEOUT" \
    -o "-p $port -h $HOST -k $SOCK" >"$RUN/pg_ctl.out" 2>&1 9>&- \
    || { cat "$RUN/pg_ctl.out" >&2; tail -n 40 "$LOGFILE" >&2 2>/dev/null || true; die "pg_ctl start failed"; }
  wait_ready "$port"
  ensure_db "$port"
  exec 9>&-
  url
}

stop() {
  if [[ ! -d "$STATE" ]]; then log "not running"; return 0; fi
  prepare
  if running; then
    as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >&2
  else
    log "not running"
  fi
  exec 9>&-
}

status() {
  [[ -d "$STATE" ]] || { log "not running"; return 3; }
  prepare
  if running; then url; return 0; fi
  log "not running"
  return 3
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  psql)
    prepare; exec 9>&-
    running || die "not running"
    exec "$BIN/psql" -X -h "$HOST" -p "$(cat "$STATE/port")" -U "$SUPERUSER" -d "$DB" "$@" ;;
  clean)
    stop
    if [[ -s "$STATE/rundir" ]]; then rm -rf "$(cat "$STATE/rundir")"; fi
    rm -rf "$STATE"; log "removed $STATE" ;;
  *) echo "usage: $0 {start|stop|restart|status|psql ARGS|clean}" >&2; exit 2 ;;
esac
