# Sourced by scripts: a private PostgreSQL 15 on 127.0.0.1, in a temporary
# folder, on a free port; `private_pg_start` sets PG_CONNINFO, and an EXIT trap
# (set by the caller) must call `private_pg_stop`. As root, the server runs as
# the `postgres` user, which owns the folder.
PG_BIN=/usr/lib/postgresql/15/bin

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

private_pg_start() {
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/radbridge-pg.XXXXXX")
  PG_PORT=$(free_port)
  [[ $(id -u) -eq 0 ]] && chown postgres: "$PG_DIR"
  as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U radbridge --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR" start >/dev/null
  as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U radbridge radbridge
  PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=radbridge user=radbridge"
}

private_pg_stop() {
  [[ -n ${PG_DIR:-} && -d $PG_DIR ]] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}

private_psql() {
  psql -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U radbridge -d radbridge -c "$1"
}
