#!/usr/bin/env bash
# A local deployment of the kb app for many cities: PostgreSQL, two Streamlit replicas, haproxy with sticky sessions.
#
#   deploy/cluster.sh start|stop|status|url
#
# Everything listens on 127.0.0.1: PostgreSQL on $KB_PG_PORT (55532), the replicas on $KB_APP_PORTS (8611 8612), the
# proxy on $KB_PROXY_PORT (8610). State (pid files, logs, the cluster's data directory, the generated proxy config)
# lives in $KB_CLUSTER_DIR (default: data/cluster of this checkout, which git ignores). `start` initialises the
# PostgreSQL cluster on first use (user and database `kb`, trust on 127.0.0.1 only: a throwaway local cluster; a real
# server uses a password from a file, see README), runs `kb ingest` once, starts the replicas and the proxy and
# waits until each answers its health check; `stop` stops them all by their pid files (each replica in its own
# process group, so no child outlives it); `status` says what runs, exit 0 only when everything does.
#
# Set KB_DB to use another shared database instead of the local PostgreSQL cluster (e.g. one SQLite file for all
# replicas on this machine: KB_DB=/srv/kb/kb.sqlite); then no cluster is started. Other settings: KB_PYTHON (the
# interpreter with kb installed; default .venv/bin/python of this checkout, else python3), KB_MODEL,
# KB_SOLUTIONS_DIR (passed on to ingest and the replicas), KB_CLUSTER_PGDATA (the cluster's data directory, default
# $KB_CLUSTER_DIR/pg; as root it is owned by the `postgres` user, so every directory above it must be enterable by
# that user), KB_PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${KB_CLUSTER_DIR:-$ROOT/data/cluster}"
PG_BIN="${KB_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_PORT="${KB_PG_PORT:-55532}"
PGDATA_DIR="${KB_CLUSTER_PGDATA:-$DIR/pg}"
APP_PORTS="${KB_APP_PORTS:-8611 8612}"
PROXY_PORT="${KB_PROXY_PORT:-8610}"
HOST=127.0.0.1
PG_URL="postgresql+psycopg://kb@$HOST:$PG_PORT/kb"
if [[ -n "${KB_PYTHON:-}" ]]; then PY="$KB_PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"
else PY=python3; fi
RUN="$DIR/run"
LOGS="$DIR/logs"

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

shared_db() { if [[ -n "${KB_DB:-}" ]]; then printf '%s' "$KB_DB"; else printf '%s' "$PG_URL"; fi; }
use_pg() { [[ -z "${KB_DB:-}" ]]; }

as_postgres() {  # initdb and the server refuse to run as root: run them as the postgres user then
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

healthy() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

wait_for() {  # wait_for URL SECONDS WHAT LOG
  local url="$1" secs="$2" what="$3" log="$4" i
  for ((i = 0; i < secs * 2; i++)); do
    healthy "$url" && return 0
    sleep 0.5
  done
  say "--- last lines of $log"; tail -n 30 "$log" >&2 || true
  die "$what did not answer $url within ${secs}s"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" 2>/dev/null; }

start_pg() {
  [[ -x "$PG_BIN/initdb" ]] || die "no PostgreSQL server binaries in $PG_BIN (apt-get install postgresql-15, or set KB_PG_BIN)"
  if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
    mkdir -p "$PGDATA_DIR"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$PGDATA_DIR"
    chmod 700 "$PGDATA_DIR"
    as_postgres test -w "$PGDATA_DIR" || die "the postgres user cannot write $PGDATA_DIR (set KB_CLUSTER_PGDATA to a directory it can reach)"
    say "initialising a PostgreSQL cluster in $PGDATA_DIR"
    as_postgres "$PG_BIN/initdb" -D "$PGDATA_DIR" -U kb --auth-local=trust --auth-host=trust -E UTF8 \
      --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 || { tail -n 20 "$LOGS/initdb.log" >&2; die "initdb failed"; }
  fi
  if pg_ready; then
    say "PostgreSQL already answers on $HOST:$PG_PORT"
  else
    touch "$LOGS/postgres.log"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$LOGS/postgres.log"
    as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOGS/postgres.log" -w -t 60 \
      -o "-h $HOST -p $PG_PORT -k $PGDATA_DIR -c listen_addresses=$HOST" start >/dev/null \
      || { tail -n 20 "$LOGS/postgres.log" >&2; die "PostgreSQL did not start"; }
  fi
  if ! "$PG_BIN/psql" -h "$HOST" -p "$PG_PORT" -U kb -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'kb'" | grep -q 1; then
    "$PG_BIN/createdb" -h "$HOST" -p "$PG_PORT" -U kb -E UTF8 -T template0 kb
  fi
  say "PostgreSQL: $PG_URL"
}

stop_pg() {
  if [[ -f "$PGDATA_DIR/postmaster.pid" ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    say "stopped PostgreSQL"
  fi
}

app_env() {  # the environment every replica and the ingest share
  export KB_DB
  KB_DB="$(shared_db)"
  export HF_HUB_OFFLINE=1 PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  export STREAMLIT_SERVER_COOKIE_SECRET
  STREAMLIT_SERVER_COOKIE_SECRET="$(cat "$RUN/cookie_secret")"  # one secret: a replica accepts another's xsrf token
  export KB_DATA_DIR="$DIR/data"
}

ingest() {
  say "kb ingest into $(shared_db)"
  (app_env; cd "$ROOT" && "$PY" -m kb.cli ingest >"$LOGS/ingest.log" 2>&1) \
    || { tail -n 20 "$LOGS/ingest.log" >&2; die "kb ingest failed (log: $LOGS/ingest.log)"; }
}

start_app() {  # start_app PORT
  local port="$1" pidf="$RUN/app-$1.pid" log="$LOGS/app-$1.log"
  if alive "$pidf"; then say "replica on :$port already runs (pid $(cat "$pidf"))"; return; fi
  (
    app_env
    cd "$ROOT"
    exec setsid "$PY" -m streamlit run app.py --server.address "$HOST" --server.port "$port" \
      --server.headless true --server.fileWatcherType none --browser.gatherUsageStats false >"$log" 2>&1 </dev/null
  ) &
  echo $! >"$pidf"
}

proxy_config() {
  local servers="" port
  for port in $APP_PORTS; do
    servers+="    server app$port $HOST:$port check cookie app$port"$'\n'
  done
  KB_PROXY_BIND="$HOST:$PROXY_PORT" KB_PROXY_SERVERS="$servers" \
    envsubst '${KB_PROXY_BIND} ${KB_PROXY_SERVERS}' <"$ROOT/deploy/haproxy.cfg.in" >"$RUN/haproxy.cfg"
}

start_proxy() {
  command -v haproxy >/dev/null || die "haproxy is not installed (apt-get install -y haproxy)"
  if alive "$RUN/haproxy.pid"; then say "proxy already runs (pid $(cat "$RUN/haproxy.pid"))"; return; fi
  proxy_config
  haproxy -c -q -f "$RUN/haproxy.cfg" || die "the generated $RUN/haproxy.cfg is invalid"
  haproxy -D -f "$RUN/haproxy.cfg" -p "$RUN/haproxy.pid" >>"$LOGS/haproxy.log" 2>&1
}

stop_pidfile() {  # stop_pidfile FILE WHAT: TERM the process group, KILL after 15 s
  local f="$1" what="$2" pid i
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    say "stopped $what (pid $pid)"
  fi
  rm -f "$f"
}

cmd_start() {
  mkdir -p "$RUN" "$LOGS" "$DIR/data"
  [[ -s "$RUN/cookie_secret" ]] || (umask 077; "$PY" -c 'import secrets; print(secrets.token_hex(32))' >"$RUN/cookie_secret")
  if use_pg; then start_pg; else say "shared database: $KB_DB (no PostgreSQL cluster started)"; fi
  ingest
  local port
  for port in $APP_PORTS; do start_app "$port"; done
  for port in $APP_PORTS; do
    wait_for "http://$HOST:$port/_stcore/health" 120 "the replica on :$port" "$LOGS/app-$port.log"
    say "replica: http://$HOST:$port (pid $(cat "$RUN/app-$port.pid"))"
  done
  start_proxy
  wait_for "http://$HOST:$PROXY_PORT/_stcore/health" 30 "the proxy" "$LOGS/haproxy.log"
  say "proxy: http://$HOST:$PROXY_PORT (sticky cookie SERVERID)"
}

cmd_stop() {
  stop_pidfile "$RUN/haproxy.pid" proxy
  local port f
  for f in "$RUN"/app-*.pid; do [[ -e "$f" ]] && stop_pidfile "$f" "replica $(basename "$f" .pid)"; done
  if use_pg; then stop_pg; fi
  return 0
}

cmd_status() {
  local ok=0 port
  if use_pg; then
    if pg_ready; then say "postgres  up    $HOST:$PG_PORT"; else say "postgres  down  $HOST:$PG_PORT"; ok=1; fi
  fi
  for port in $APP_PORTS; do
    if alive "$RUN/app-$port.pid" && healthy "http://$HOST:$port/_stcore/health"; then
      say "replica   up    http://$HOST:$port (pid $(cat "$RUN/app-$port.pid"))"
    else say "replica   down  http://$HOST:$port"; ok=1; fi
  done
  if alive "$RUN/haproxy.pid" && healthy "http://$HOST:$PROXY_PORT/_stcore/health"; then
    say "proxy     up    http://$HOST:$PROXY_PORT (pid $(cat "$RUN/haproxy.pid"))"
  else say "proxy     down  http://$HOST:$PROXY_PORT"; ok=1; fi
  return "$ok"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) printf 'http://%s:%s\n' "$HOST" "$PROXY_PORT" ;;
  *) say "usage: $0 start|stop|status|url"; exit 2 ;;
esac
