#!/usr/bin/env bash
# One PostgreSQL node of the HA cluster: the script both containers of every postgres pod run.
#
#   node.sh postgres   prepare the data directory, then run postgres in the foreground
#                      - empty, no primary anywhere, node 1:  initdb and become the primary
#                      - empty, a primary exists:             clone it and follow it (repmgr standby clone)
#                      - a returning old primary:             pg_rewind to the new primary and follow it
#                      - a standby:                           follow whichever node is primary now
#   node.sh repmgrd    register this node with repmgr and run repmgrd; register again when postgres restarts
#   node.sh promote    repmgrd's promote_command: promote this standby, then point the other standbys at it
#   node.sh follow ID  repmgrd's follow_command: stream from node ID (SQL only: runs without the data directory)
#   node.sh ready      readiness: exit 0 for a primary or a streaming standby, and print the role
#   node.sh repmgrd-alive   liveness of the repmgrd container: its repmgrd process is running
#
# Environment: NODE_NAME, NODE_ID (default: NODE_NAME's trailing number + 1), NODE_HOST, PG_PORT, PGDATA,
# CONFIG_DIR (this script's directory of templates), RUN_DIR (writable), PEERS (host:port of every node),
# LISTEN_ADDRESSES, CLIENT_NETWORK, SYNCHRONOUS_STANDBY_NAMES, PG_BINDIR, and the passwords
# POSTGRES_PASSWORD, REPMGR_PASSWORD, APP_USER, APP_PASSWORD, APP_DATABASE, PGPOOL_USER, PGPOOL_PASSWORD.
set -euo pipefail

: "${NODE_NAME:?}" "${NODE_HOST:?}" "${PG_PORT:?}" "${PGDATA:?}" "${RUN_DIR:?}" "${PEERS:?}"
: "${CONFIG_DIR:=$(cd "$(dirname "$0")" && pwd)}"
: "${PG_BINDIR:=/usr/lib/postgresql/15/bin}"
: "${LISTEN_ADDRESSES:=*}" "${CLIENT_NETWORK:=0.0.0.0/0}" "${SYNCHRONOUS_STANDBY_NAMES:=}"
: "${NODE_ID:=$(( ${NODE_NAME##*[!0-9]} + 1 ))}"
export NODE_ID CONFIG_DIR PG_BINDIR LISTEN_ADDRESSES CLIENT_NETWORK SYNCHRONOUS_STANDBY_NAMES
export PGPASSFILE="$RUN_DIR/.pgpass" PGCONNECT_TIMEOUT=2
REPMGR_CONF="$RUN_DIR/repmgr.conf"

log() { echo "node.sh[$NODE_NAME]: $*" >&2; }
# Stop promptly when asked while waiting in a loop (once postgres or repmgrd is exec'd, they handle signals).
trap 'exit 130' INT TERM

# Renders the templates with this node's environment into RUN_DIR (${NAME} -> value).
render() {
  mkdir -p "$RUN_DIR"
  local file
  for file in postgresql.conf pg_hba.conf repmgr.conf; do
    perl -pe 's/\$\{([A-Z_]+)\}/exists $ENV{$1} ? $ENV{$1} : die "node.sh: $1 is not set\n"/ge' \
      "$CONFIG_DIR/$file" > "$RUN_DIR/$file"
  done
  ( umask 077; printf '*:*:*:repmgr:%s\n*:*:*:postgres:%s\n' "$REPMGR_PASSWORD" "$POSTGRES_PASSWORD" > "$PGPASSFILE" )
}

sql_at() { # host port sql: one value, as repmgr over TCP
  psql -h "$1" -p "$2" -U repmgr -d repmgr -XAtq -c "$3" 2>/dev/null
}

local_sql() {
  psql -h "$RUN_DIR" -p "$PG_PORT" -U postgres -d postgres -XAtq -c "$1"
}

# Prints host:port of a node (other than this one) that is a primary now, if any.
find_primary() {
  local peer
  for peer in $PEERS; do
    [ "$peer" = "$NODE_HOST:$PG_PORT" ] && continue
    if [ "$(sql_at "${peer%:*}" "${peer##*:}" 'SELECT pg_is_in_recovery()')" = "f" ]; then
      echo "$peer"
      return 0
    fi
  done
  return 1
}

my_timeline() {
  "$PG_BINDIR/pg_controldata" "$PGDATA" | awk -F: '/Latest checkpoint.s TimeLineID/ {gsub(/ /, "", $2); print $2}'
}

# The highest timeline of the peers; fails unless every peer answers (an unreachable peer may be a newer
# primary: it never counts as "behind").
peers_timeline() {
  local peer tl max=0
  for peer in $PEERS; do
    [ "$peer" = "$NODE_HOST:$PG_PORT" ] && continue
    tl=$(sql_at "${peer%:*}" "${peer##*:}" 'SELECT timeline_id FROM pg_control_checkpoint()') && [ -n "$tl" ] || return 1
    [ "$tl" -gt "$max" ] && max=$tl
  done
  echo "$max"
}

init_primary() {
  log "initialising a new cluster as its first primary"
  "$PG_BINDIR/initdb" -D "$PGDATA" -U postgres --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --data-checksums >/dev/null
  # Bootstrap on the socket only, without waiting for synchronous standbys that do not exist yet.
  "$PG_BINDIR/pg_ctl" -D "$PGDATA" -w -t 60 -l "$RUN_DIR/bootstrap.log" start \
    -o "-c config_file=$RUN_DIR/postgresql.conf -c listen_addresses= -c synchronous_standby_names=" >/dev/null
  psql -h "$RUN_DIR" -p "$PG_PORT" -U postgres -d postgres -Xq -v ON_ERROR_STOP=1 \
    -v repmgr_pw="$REPMGR_PASSWORD" -v app_user="$APP_USER" -v app_pw="$APP_PASSWORD" \
    -v app_db="$APP_DATABASE" -v pgpool_user="$PGPOOL_USER" -v pgpool_pw="$PGPOOL_PASSWORD" <<'SQL'
CREATE ROLE repmgr LOGIN SUPERUSER REPLICATION PASSWORD :'repmgr_pw';
CREATE DATABASE repmgr OWNER repmgr;
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_pw';
CREATE DATABASE :"app_db" OWNER :"app_user";
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
-- PgPool's health and replication checks: read-only monitoring rights, nothing else.
CREATE ROLE :"pgpool_user" LOGIN PASSWORD :'pgpool_pw' IN ROLE pg_monitor;
SQL
  "$PG_BINDIR/pg_ctl" -D "$PGDATA" -w -t 60 -m fast stop >/dev/null
}

# repmgr's node id of a peer (host:port): its pod name's number + 1, as NODE_ID is derived.
node_id_of() {
  local name=${1%%.*}
  echo $(( ${name##*[!0-9]} + 1 ))
}

clone_from() { # host:port
  log "cloning ${1} and following it"
  # Retried: the primary may not be registered with repmgr yet (its repmgrd side registers it). The upstream is
  # named: repmgr's metadata may still call the old primary (maybe this very node) the primary.
  until rm -rf "${PGDATA:?}"/* 2>/dev/null; "$PG_BINDIR/repmgr" -f "$REPMGR_CONF" -h "${1%:*}" -p "${1##*:}" \
      -U repmgr -d repmgr standby clone --force --fast-checkpoint --upstream-node-id="$(node_id_of "$1")" \
      --log-level=WARNING; do
    log "clone of $1 failed: retrying"; sleep 2
  done
}

# Points an existing standby (or a rewound old primary) at the current primary.
follow() { # host:port
  "$PG_BINDIR/repmgr" -f "$REPMGR_CONF" -h "${1%:*}" -p "${1##*:}" -U repmgr -d repmgr \
    standby clone --replication-conf-only --force --upstream-node-id="$(node_id_of "$1")" --log-level=WARNING
}

rejoin() { # host:port
  log "a primary is already running at $1: rewinding this old primary to follow it"
  # A freshly promoted primary must checkpoint first or the rewound node may not start.
  sql_at "${1%:*}" "${1##*:}" 'CHECKPOINT' >/dev/null || true
  "$PG_BINDIR/pg_rewind" --target-pgdata="$PGDATA" \
      --source-server="host=${1%:*} port=${1##*:} user=repmgr dbname=repmgr connect_timeout=2" >&2 \
    && follow "$1"
}

run_postgres() {
  render
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  # The volume is this pod's alone and this container is new, so a postmaster.pid found now was left by a
  # postmaster that died with the container before this one. Left in place it names PID 1, which in this PID
  # namespace is this script: pg_rewind's single-user recovery would take it for a running server and fail.
  rm -f "$PGDATA/postmaster.pid"
  local primary
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until primary=$(find_primary) || [ "$NODE_ID" = 1 ]; do
      log "waiting for a primary to clone"; sleep 2
    done
    if [ -n "${primary:-}" ]; then clone_from "$primary"; else init_primary; fi
  elif primary=$(find_primary); then
    if [ -f "$PGDATA/standby.signal" ]; then
      follow "$primary"
    else
      rejoin "$primary" || { log "rewind failed: cloning afresh"; clone_from "$primary"; }
    fi
  elif [ ! -f "$PGDATA/standby.signal" ]; then
    # A former primary: its container crashed and kubelet restarted it at once, or its pod came back. The
    # standbys' repmgrd may be promoting one of them right now, so it must not simply start as primary (that
    # is how two primaries happen). It waits until a promotion has had every chance to happen
    # (FENCE_SECONDS, well over repmgrd's few seconds to notice and promote): if a peer is primary by then it
    # rejoins it as a standby; it starts as primary only when every peer answers, none is primary and none
    # is on a later timeline.
    local mine theirs deadline=$(( $(date +%s) + ${FENCE_SECONDS:-10} ))
    mine=$(my_timeline)
    while true; do
      if primary=$(find_primary); then
        rejoin "$primary" || { log "rewind failed: cloning afresh"; clone_from "$primary"; }
        break
      fi
      if theirs=$(peers_timeline); then
        if [ "$theirs" -gt "$mine" ]; then
          log "a peer is on timeline $theirs, this node on $mine: waiting for the newer primary"
        elif [ "$(date +%s)" -ge "$deadline" ]; then
          log "no peer was promoted and none is ahead: resuming as primary"
          break
        fi
      else
        log "not every peer answers: waiting (an unreachable peer may be the new primary)"
      fi
      sleep 1
    done
  fi
  log "starting postgres"
  exec "$PG_BINDIR/postgres" -D "$PGDATA" -c config_file="$RUN_DIR/postgresql.conf"
}

register() {
  local role
  until role=$(sql_at "$NODE_HOST" "$PG_PORT" 'SELECT CASE WHEN pg_is_in_recovery() THEN $$standby$$ ELSE $$primary$$ END') \
      && "$PG_BINDIR/repmgr" -f "$REPMGR_CONF" "$role" register --force --log-level=WARNING; do
    log "registering failed: retrying"; sleep 2
  done
  log "registered as $role"
}

# Runs repmgrd, and registers the node again (with its new upstream) whenever the postmaster restarts: a
# rewound old primary is a standby now, and repmgrd alone would leave it without an upstream, unable to
# follow or be promoted.
run_repmgrd() {
  render
  local pid="" started now
  trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait; exit 0' INT TERM
  while true; do
    # Over TCP as repmgr, as repmgr connects: true only once the node is really up (not while bootstrapping).
    until started=$(sql_at "$NODE_HOST" "$PG_PORT" 'SELECT pg_postmaster_start_time()') && [ -n "$started" ]; do
      sleep 1
    done
    register
    "$PG_BINDIR/repmgrd" -f "$REPMGR_CONF" --daemonize=false --pid-file="$RUN_DIR/repmgrd.pid" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      sleep 1
      now=$(sql_at "$NODE_HOST" "$PG_PORT" 'SELECT pg_postmaster_start_time()') || continue
      if [ -n "$now" ] && [ "$now" != "$started" ]; then
        log "postgres restarted: registering again"
        kill -TERM "$pid" 2>/dev/null; wait "$pid" || true
      fi
    done
    pid=""
  done
}

# Promotes this standby (repmgr keeps its metadata right), then points every other standby straight at it:
# what `repmgr standby follow` does on PostgreSQL 13+ (primary_conninfo, then a reload). With synchronous
# replication the new primary's first commit waits for a standby, and this saves repmgrd's notification round
# (up to a second); repmgrd's own follow still runs afterwards and finds the standby already attached.
promote() {
  "$PG_BINDIR/repmgr" -f "$REPMGR_CONF" standby promote --log-level=INFO
  local peer
  for peer in $PEERS; do
    # In parallel: the dead old primary is among the peers, and must not hold up the others.
    [ "$peer" = "$NODE_HOST:$PG_PORT" ] || repoint "$peer" &
  done
  wait
}

# repmgrd's follow_command: stream from node ID from now on. It runs in the repmgrd container, which has
# neither the data directory nor the postmaster's PID namespace, so it does what `repmgr standby follow`
# does on PostgreSQL 13+ through SQL only: primary_conninfo, a reload (the standby follows the new timeline
# by itself), and the node's repmgr record with its new upstream.
follow_node() { # node id
  local peer
  peer=$(printf '%s\n' $PEERS | sed -n "${1}p")
  [ -n "$peer" ] || { log "follow: no node $1 among the peers"; return 1; }
  local_sql "ALTER SYSTEM SET primary_conninfo = 'host=${peer%:*} port=${peer##*:} user=repmgr application_name=$NODE_NAME connect_timeout=2'" >/dev/null
  local_sql "SELECT pg_reload_conf()" >/dev/null
  "$PG_BINDIR/repmgr" -f "$REPMGR_CONF" standby register --force --upstream-node-id="$1" --log-level=WARNING
  log "now following node $1 ($peer)"
}

repoint() { # host:port of a standby: stream from this node from now on
  local conninfo
  conninfo=$(psql -h "${1%:*}" -p "${1##*:}" -U postgres -d postgres -XAtq \
    -c "SELECT setting FROM pg_settings WHERE name = 'primary_conninfo' AND pg_is_in_recovery()" 2>/dev/null) \
    && [ -n "$conninfo" ] || return 0
  conninfo=$(NEW_HOST="$NODE_HOST" NEW_PORT="$PG_PORT" perl -pe \
    's/\bhost=\S+/host=$ENV{NEW_HOST}/; s/\bport=\S+/port=$ENV{NEW_PORT}/; s/\x27/\x27\x27/g' <<< "$conninfo")
  if psql -h "${1%:*}" -p "${1##*:}" -U postgres -d postgres -XAtq \
      -c "ALTER SYSTEM SET primary_conninfo = '$conninfo'" -c "SELECT pg_reload_conf()" >/dev/null 2>&1; then
    log "the standby at $1 now streams from this new primary"
  fi
}

ready() {
  local role
  role=$(local_sql "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 'primary'
           WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 'standby'
           ELSE 'standby-not-streaming' END")
  echo "$role"
  [ "$role" = primary ] || [ "$role" = standby ]
}

case "${1:-}" in
  postgres) run_postgres ;;
  repmgrd) run_repmgrd ;;
  promote) promote ;;
  follow) follow_node "${2:?node id}" ;;
  ready) ready ;;
  repmgrd-alive) pid=$(cat "$RUN_DIR/repmgrd.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" ;;
  *) echo "usage: node.sh postgres|repmgrd|promote|follow ID|ready|repmgrd-alive" >&2; exit 2 ;;
esac
