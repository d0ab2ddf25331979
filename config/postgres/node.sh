#!/usr/bin/env bash
# One PostgreSQL node of the HA cluster: the script both containers of every postgres pod run.
#
#   node.sh postgres   prepare the data directory, then run postgres in the foreground (prepare_data)
#                      - empty, a primary exists:            clone it and follow it (repmgr standby clone)
#                      - empty, node 1, every peer empty:    initdb and become the first primary
#                      - empty otherwise:                    say so on the port, and wait
#                      - a returning old primary:            pg_rewind to the new primary and follow it, or
#                                                            resume as primary once no peer can be newer
#                      - a standby:                          follow whichever node is primary now, or clone
#                                                            afresh if the WAL it needs is gone
#                      Data is only ever rewound, cloned over or wiped from a primary of the same cluster
#                      (system identifier) on the same or a later timeline.
#   node.sh repmgrd    register this node with repmgr and run repmgrd; register again when postgres restarts;
#                      fence this node when it is a primary that was replaced or is cut off (fence_check)
#   node.sh promote    repmgrd's promote_command: wait for the node's check to promote this standby (it points
#                      the other standbys at it first)
#   node.sh follow ID  repmgrd's follow_command: stream from node ID (SQL only: runs without the data directory)
#   node.sh ready      readiness: exit 0 for a primary or a streaming standby, and print the role
#   node.sh repmgrd-alive   liveness of the repmgrd container: repmgrd runs, or postgres is not up yet
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
# shellcheck source=sessions.sh
. "$CONFIG_DIR/sessions.sh"

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

# A field of this node's control file (pg_controldata), e.g. "Database system identifier".
control() {
  "$PG_BINDIR/pg_controldata" "$PGDATA" | awk -F': *' -v key="$1" '$1 == key { print $2 }'
}

# This node's timeline: that of its last checkpoint, or later if recovery was meant to reach a later one.
my_timeline() {
  local a b
  a=$(control "Latest checkpoint's TimeLineID") b=$(control "Min recovery ending loc's timeline")
  echo $(( a > b ? a : b ))
}

# A standby's timeline: that of its last restartpoint, or later if recovery was meant to reach a later one.
RECOVERY_TIMELINE="GREATEST((SELECT timeline_id FROM pg_control_checkpoint()), (SELECT min_recovery_end_timeline FROM pg_control_recovery()))"

# What a running peer is: "SYSTEM_ID ROLE TIMELINE" (ROLE p or s), or nothing when it does not answer.
PEER_STATE="SELECT system_identifier || CASE WHEN pg_is_in_recovery() THEN ' s ' || $RECOVERY_TIMELINE
  ELSE ' p ' || ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END FROM pg_control_system()"

# What is at a peer's address: its state (PEER_STATE) when it answers; "empty" when it says it has no data
# (an empty node waiting for a primary says so: empty_start); "refused" when nothing listens (its pod is
# there, but postgres is not running: stopped, in a restart back-off, cloning); "unknown" when it cannot be
# told (its name does not resolve, it times out, or it listens but refuses this login).
EMPTY_BANNER="todo-platform-node: empty"
reach() { # host:port
  local state out
  if state=$(sql_at "${1%:*}" "${1##*:}" "$PEER_STATE") && [ -n "$state" ]; then echo "$state"; return; fi
  if out=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && read -r -t 2 line <&3 && echo "$line"' "${1%:*}" "${1##*:}" 2>&1); then
    [ "$out" = "$EMPTY_BANNER" ] && echo empty || echo unknown
    return
  fi
  case "$out" in *"Connection refused"*) echo refused ;; *) echo unknown ;; esac
}

# While a node with an empty volume waits for a primary to clone, it answers on its port that it is empty:
# postgres-0 initialises a cluster only when every peer says so, never because nothing answers (a node with
# data may be stopped, in a restart back-off, or not resolving yet).
empty_start() {
  [ -z "${EMPTY_PID:-}" ] || return 0
  perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 16, ReuseAddr => 1)
      or die "node.sh: cannot listen on $ARGV[0]: $!\n"; while ($c = $s->accept) { print $c "$ARGV[1]\n"; close $c }' \
    "$PG_PORT" "$EMPTY_BANNER" &
  EMPTY_PID=$!
}

empty_stop() {
  [ -n "${EMPTY_PID:-}" ] || return 0
  kill "$EMPTY_PID" 2>/dev/null || true
  wait "$EMPTY_PID" 2>/dev/null || true
  EMPTY_PID=""
}

# Every peer's reach, one line each: "HOST:PORT STATE...".
survey_peers() ( # a subshell: its `wait` must not wait for a stand-in or repmgrd started by this shell
  for peer in $PEERS; do
    [ "$peer" = "$NODE_HOST:$PG_PORT" ] || echo "$peer $(reach "$peer")" &
  done
  wait
)

# Whether a primary may be used as the source of a rewind, a clone over this node's data or a follow: the same
# cluster (system identifier), and not behind this node (its timeline). Anything else is logged and waited out:
# data is never rewound, cloned over or wiped from another cluster or an older primary.
usable_source() { # host:port
  local sysid role tl
  read -r sysid role tl <<< "$(reach "$1")"
  if [ "$sysid" != "$(control 'Database system identifier')" ]; then
    log "NOT using $1: it is another cluster (system identifier ${sysid:-unknown}, this node's $(control 'Database system identifier'))"
    return 1
  fi
  if [ "${tl:-0}" -lt "$(my_timeline)" ]; then
    log "NOT using $1: it is on timeline $tl, behind this node's $(my_timeline) (it is an old primary, and fences itself)"
    return 1
  fi
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
  # --config-file: the crash recovery pg_rewind runs first must keep WAL as the server does (wal_keep_size);
  # with the defaults of the data directory's own file it removed the WAL the rewind then needed (measured).
  local out rc=0
  out=$("$PG_BINDIR/pg_rewind" --target-pgdata="$PGDATA" --config-file="$RUN_DIR/postgresql.conf" \
      --source-server="host=${1%:*} port=${1##*:} user=repmgr dbname=repmgr connect_timeout=2" 2>&1) || rc=$?
  printf '%s\n' "$out" >&2
  [ "$rc" = 0 ] || return 1
  # A node here was a primary, or could not stream: on the primary's own timeline it parted from it on that
  # timeline (two standbys promoted at once onto the same number, and this one, or the one it streamed from,
  # yielded). pg_rewind compares timeline histories only, finds them equal, rewinds nothing, and the node then
  # waited for good in recovery on WAL the primary never wrote (measured). Only a fresh clone brings it back.
  case "$out" in *"on the same timeline"*) log "on the same timeline as $1 but parted from it: not rewindable"; return 1 ;; esac
  follow "$1"
}

# Whether the standby's next WAL is gone from the primary (it was away longer than the WAL kept there): it
# could only loop on "requested WAL segment has already been removed", and needs a fresh clone.
wal_gone() { # host:port of the primary
  local redo
  redo=$(control "Latest checkpoint's REDO location")
  [ "$(sql_at "${1%:*}" "${1##*:}" "SELECT substr(pg_walfile_name('$redo'), 9) < (SELECT min(substr(name, 9))
      FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}\$')")" = t ]
}

# A node with data that may not start as what it was yet (a former primary waiting for its peers) runs
# meanwhile as a read-only standby with no upstream, on its usual address: its peers see that it exists, which
# cluster it belongs to and how far it got. Were it silent, an empty postgres-0 could take "nothing answers"
# for "no cluster exists". The former-primary file keeps what it was across a crash meanwhile; repmgrd waits
# while the announcing file exists (it must not elect or register this stand-in).
STAND_IN=todo-platform-stand-in
former_primary() {
  [ ! -f "$PGDATA/rewinding-standby" ] && { [ ! -f "$PGDATA/standby.signal" ] || [ -f "$PGDATA/former-primary" ]; }
}

announce_start() {
  [ -z "${ANNOUNCE_PID:-}" ] || return 0
  touch "$PGDATA/former-primary" "$RUN_DIR/announcing"
  touch "$PGDATA/standby.signal"
  # Only its peers (as repmgr) may connect: PgPool must not route reads to it, nor repmgr count it as a candidate.
  printf 'local all all trust\nhost repmgr repmgr %s scram-sha-256\n' "$CLIENT_NETWORK" > "$RUN_DIR/pg_hba.stand-in.conf"
  "$PG_BINDIR/postgres" -D "$PGDATA" -c config_file="$RUN_DIR/postgresql.conf" -c primary_conninfo= \
    -c hba_file="$RUN_DIR/pg_hba.stand-in.conf" -c cluster_name="$STAND_IN" &
  ANNOUNCE_PID=$!
  log "waiting as a read-only stand-in (pid $ANNOUNCE_PID)"
}

announce_stop() {
  if [ -n "${ANNOUNCE_PID:-}" ]; then
    kill -INT "$ANNOUNCE_PID" 2>/dev/null || true
    wait "$ANNOUNCE_PID" || true
    ANNOUNCE_PID=""
  fi
  rm -f "$RUN_DIR/announcing"
}

# Whether every peer says it is empty: then no cluster exists yet, and postgres-0 initialises it.
every_peer_empty() {
  survey_peers | awk '$2 != "empty" { other = 1 } END { exit other }'
}

# A former primary may start as primary again only when no peer could be the newer primary: every peer
# answers (or says it is empty), none is on a later timeline, and FENCE_SECONDS have passed since this
# container started (well over repmgrd's few seconds to notice a dead primary and promote).
may_resume() {
  local peer sysid role tl mine
  mine=$(my_timeline)
  while read -r peer sysid role tl; do
    case "$sysid" in
      unknown|refused) log "$peer does not answer ($sysid): waiting (it may be the newer primary)"; return 1 ;;
      empty) ;;
      *) if [ "$sysid" = "$(control 'Database system identifier')" ] && [ "${tl:-0}" -gt "$mine" ]; then
           log "$peer is on timeline $tl, this node on $mine: waiting for the newer primary"; return 1
         fi ;;
    esac
  done <<< "$(survey_peers)"
  [ "$(date +%s)" -ge "$FENCE_DEADLINE" ]
}

# Gets the data directory ready to start postgres as what it should be; fails when it must wait.
prepare_data() {
  local primary
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if primary=$(find_primary); then empty_stop; clone_from "$primary"; return 0; fi
    if [ "$NODE_ID" = 1 ] && every_peer_empty; then empty_stop; init_primary; return 0; fi
    log "waiting for a primary to clone"
    empty_start
    return 1
  fi
  if primary=$(find_primary) && usable_source "$primary"; then
    if former_primary; then
      announce_stop
      if ! rejoin "$primary"; then
        usable_source "$primary" || return 1
        log "rewind failed: cloning afresh"
        clone_from "$primary"
      fi
      rm -f "$PGDATA/former-primary"
    elif wal_gone "$primary"; then
      log "the WAL this standby needs is gone from $primary: cloning afresh"
      clone_from "$primary"
    elif [ -f "$RUN_DIR/not-streaming" ]; then
      # It could not stream from the primary (wal_check stopped it): it has WAL the primary's timeline does not
      # (it got it from an old primary in its last moments). Rewound like an old primary, or cloned afresh.
      log "this standby could not stream from $primary: rewinding it onto $primary"
      touch "$PGDATA/rewinding-standby"
      rm -f "$PGDATA/standby.signal"
      if ! rejoin "$primary"; then
        usable_source "$primary" || return 1
        log "rewind failed: cloning afresh"
        clone_from "$primary"
      fi
      rm -f "$PGDATA/rewinding-standby" "$RUN_DIR/not-streaming"
    else
      follow "$primary"
    fi
    return 0
  fi
  # A standby with no usable primary starts and waits for one (repmgrd elects among the standbys).
  former_primary || return 0
  # A former primary (its container crashed and kubelet restarted it, or its pod came back): the standbys'
  # repmgrd may be promoting one of them right now, so it must not simply start as primary: that is how two
  # primaries happen.
  if may_resume; then
    log "no peer was promoted and none is ahead: resuming as primary"
    announce_stop
    rm -f "$PGDATA/standby.signal" "$PGDATA/former-primary"
    return 0
  fi
  announce_start
  return 1
}

run_postgres() {
  render
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  # The volume is this pod's alone and this container is new, so a postmaster.pid found now was left by a
  # postmaster that died with the container before this one. Left in place it names a PID that in this new PID
  # namespace may be alive (this script, PID 1): pg_rewind's single-user recovery would take it for a running
  # server and fail.
  rm -f "$PGDATA/postmaster.pid" "$RUN_DIR/announcing"
  FENCE_DEADLINE=$(( $(date +%s) + ${FENCE_SECONDS:-10} ))
  trap 'announce_stop; empty_stop; exit 130' INT TERM
  until prepare_data; do sleep 2; done
  log "starting postgres"
  # Not exec'd: kubelet stops a container with SIGTERM, postgres's *smart* shutdown, which waits for every
  # session to end, and PgPool's pooled sessions never do: every pod deletion (a drain, a rollout, a lost volume)
  # took the whole grace period and ended in SIGKILL (measured: 60 s, while the pod's peers waited for it).
  # SIGTERM is passed on as SIGINT, the fast shutdown: sessions end, a checkpoint is written, postgres exits.
  "$PG_BINDIR/postgres" -D "$PGDATA" -c config_file="$RUN_DIR/postgresql.conf" &
  POSTMASTER_PID=$!
  trap 'kill -INT "$POSTMASTER_PID" 2>/dev/null || true' INT TERM
  wait_for_exit "$POSTMASTER_PID"
}

# Waits until the process exits (a trapped signal interrupts `wait`: wait again), and exits with its status.
wait_for_exit() { # pid
  local rc
  while true; do
    rc=0
    wait "$1" || rc=$?
    kill -0 "$1" 2>/dev/null || exit "$rc"
  done
}

# What `repmgr standby promote` records, written directly: `repmgr primary register` fails while the old
# primary in the metadata does not answer (measured), and with stale metadata the next election goes wrong.
# Committed locally, as repmgr commits its own metadata: a primary without a synchronous standby (two standbys
# promoted at once, this one without followers) waited here for good, and with it the check loop whose fence
# would have stopped it (the likely cause of a CI run with no single primary for 6 minutes: RELIABILITY.md).
record_primary() {
  psql -h "$RUN_DIR" -p "$PG_PORT" -U postgres -d repmgr -XAtq -v ON_ERROR_STOP=1 -v id="$NODE_ID" <<'SQL'
BEGIN;
SET LOCAL synchronous_commit = local;
UPDATE repmgr.nodes SET active = false WHERE type = 'primary' AND active AND node_id <> :id;
UPDATE repmgr.nodes SET type = 'primary', upstream_node_id = NULL, active = true WHERE node_id = :id;
COMMIT;
SQL
}

register() {
  local role
  # Bounded: a primary that froze after answering holds repmgr's query for good (it has no timeout of its own),
  # and with it the checks that run beside repmgrd.
  until role=$(sql_at "$NODE_HOST" "$PG_PORT" 'SELECT CASE WHEN pg_is_in_recovery() THEN $$standby$$ ELSE $$primary$$ END') \
      && { timeout 20 "$PG_BINDIR/repmgr" -f "$REPMGR_CONF" "$role" register --force --log-level=WARNING \
        || { [ "$role" = primary ] && record_primary; }; }; do
    log "registering failed: retrying"; sleep 2
  done
  log "registered as $role"
}

# The repmgrd container: the loop below runs as a job, and this shell (PID 1, which kubelet signals) only waits
# for it. A trapped signal interrupts `wait` at once, but not a foreground command: with the loop in the
# foreground, a stop waited for whatever it was doing (a promotion's pg_promote may take a minute, repmgr on a
# frozen primary has no timeout), and a pod deletion took its whole 60 s grace period (seen in CI, in the lost
# volume test, while the primary was frozen). The loop's own children go with the container.
run_repmgrd() {
  render
  repmgrd_loop &
  local loop=$!
  trap 'kill -KILL "$loop" 2>/dev/null; stop_repmgrd "$(cat "$RUN_DIR/repmgrd.pid" 2>/dev/null)"; exit 0' INT TERM
  wait_for_exit "$loop"
}

# Runs repmgrd, and registers the node again (with its new upstream) whenever the postmaster restarts: a
# rewound old primary is a standby now, and repmgrd alone would leave it without an upstream, unable to
# follow or be promoted. Beside it, every second, the fence of a running primary (fence_check).
repmgrd_loop() {
  local pid="" started
  while true; do
    rm -f "$RUN_DIR/repmgrd.pid"
    # Over TCP as repmgr, as repmgr connects: true only once the node is really up (not while bootstrapping).
    until [ ! -f "$RUN_DIR/announcing" ] && started=$(sql_at "$NODE_HOST" "$PG_PORT" 'SELECT pg_postmaster_start_time()') \
        && [ -n "$started" ]; do
      sleep 1
    done
    register
    "$PG_BINDIR/repmgrd" -f "$REPMGR_CONF" --daemonize=false --pid-file="$RUN_DIR/repmgrd.pid" &
    pid=$!
    SILENT_CHECKS=0 NEXT_TICK=""
    pause_on "$RUN_DIR/check.wake"
    while kill -0 "$pid" 2>/dev/null; do
      tick
      local_state || continue
      fence_check
      if [ "$LOCAL_STARTED" != "$started" ]; then
        log "postgres restarted: registering again"
        stop_repmgrd "$pid"; wait "$pid" || true
      fi
    done
    pid=""
  done
}

# This node as the local session sees it, once a tick: LOCAL_ROLE (t: in recovery, f: a primary), LOCAL_STARTED
# (the postmaster's start time), LOCAL_STAND_IN (t while it waits as a stand-in), LOCAL_TIMELINE (a primary's
# current timeline), LOCAL_SYSID. Fails, with LOCAL_ROLE empty, when postgres does not answer within 2 s.
local_state() {
  LOCAL_ROLE="" LOCAL_STARTED="" LOCAL_STAND_IN="" LOCAL_TIMELINE="" LOCAL_SYSID=""
  local_query "SELECT pg_is_in_recovery(), pg_postmaster_start_time(), current_setting('cluster_name') = '$STAND_IN',
      CASE WHEN NOT pg_is_in_recovery() THEN $CURRENT_TIMELINE END, system_identifier FROM pg_control_system()" 2 \
    || return 1
  IFS='|' read -r LOCAL_ROLE LOCAL_STARTED LOCAL_STAND_IN LOCAL_TIMELINE LOCAL_SYSID <<< "$ANSWER"
  [ -n "$LOCAL_ROLE" ]
}

# Asks every peer (but those named after the deadline) one question on its session, all at once, and reads the
# answers by the deadline into PEER_RC (as session_answer returns) and PEER_ANSWER. A session that ended (its
# connection was lost: the peer restarted, or ended the backend) is opened and asked again, once, after the
# others were read (those retries all at once too): a dead peer's retry must not eat a live peer's second.
declare -A PEER_RC=() PEER_ANSWER=()
ask_peers() { # sql deadline [peer to skip...]
  local sql=$1 deadline=$2 peer rc again=""
  shift 2
  PEER_RC=() PEER_ANSWER=()
  for peer in $PEERS; do
    [ "$peer" = "$NODE_HOST:$PG_PORT" ] || [[ " $* " == *" $peer "* ]] \
      || session_ask "$peer" "host=${peer%:*} port=${peer##*:} $PEER_LOGIN" "$sql"
  done
  for peer in $PEERS; do
    if [ "$peer" = "$NODE_HOST:$PG_PORT" ] || [[ " $* " == *" $peer "* ]]; then continue; fi
    rc=0
    session_answer "$peer" "$deadline" || rc=$?
    if [ "$rc" = 1 ] && [ -z "${SESSION_FRESH[$peer]}" ]; then again+=" $peer"; continue; fi
    PEER_RC[$peer]=$rc PEER_ANSWER[$peer]=$ANSWER
  done
  for peer in $again; do session_ask "$peer" "host=${peer%:*} port=${peer##*:} $PEER_LOGIN" "$sql"; done
  for peer in $again; do
    rc=0
    session_answer "$peer" "$deadline" || rc=$?
    PEER_RC[$peer]=$rc PEER_ANSWER[$peer]=$ANSWER
  done
}

# Every peer's state (PEER_STATE) within 1 s into PEER_STATES, one line each: "HOST:PORT STATE..."; STATE is
# "refused" when it answered without it (nothing listens, or it refused the login), "unknown" when it stayed
# silent (cut off, frozen, not resolving).
glance_peers() {
  local peer
  ask_peers "$PEER_STATE" $(( ${EPOCHREALTIME/[.,]/} + 1000000 ))
  PEER_STATES=""
  for peer in $PEERS; do
    [ "$peer" = "$NODE_HOST:$PG_PORT" ] && continue
    case "${PEER_RC[$peer]}:${PEER_ANSWER[$peer]}" in
      0:*ERROR*) PEER_STATES+="$peer unknown"$'\n' ;;
      0:?*) PEER_STATES+="$peer ${PEER_ANSWER[$peer]}"$'\n' ;;
      1:*refused*|1:*FATAL*) PEER_STATES+="$peer refused"$'\n' ;;
      *) PEER_STATES+="$peer unknown"$'\n' ;;
    esac
  done
  PEER_STATES=${PEER_STATES%$'\n'}
}

PEER_LOGIN="user=repmgr dbname=repmgr application_name=node.sh"
LOCAL_LOGIN="host=$RUN_DIR port=$PG_PORT user=postgres dbname=postgres application_name=node.sh"

# A query on this node's own session into ANSWER (one value, or fields split by |); fails on an error, or when
# no answer came within the seconds given (default 5).
local_query() { # sql [seconds]
  session_query local "$LOCAL_LOGIN" "$1" $(( ${EPOCHREALTIME/[.,]/} + ${2:-5} * 1000000 )) || return 1
  case "$ANSWER" in *ERROR:*|*FATAL:*) return 1 ;; esac
}

# Waits for the next whole second since the last tick, not a second after the work: a check that waited out a
# silent peer's 1 s timeout must not wait another second before the next (a freeze is noticed in 2 s, not 4).
tick() {
  local now=${EPOCHREALTIME/[.,]/} left
  NEXT_TICK=$(( ${NEXT_TICK:-$now} + 1000000 ))
  left=$(( NEXT_TICK - now ))
  if [ "$left" -le 0 ]; then NEXT_TICK=$now; return 0; fi
  pause "$left"
}

# Stops repmgrd: SIGTERM, then SIGKILL after 2 s. repmgrd handles SIGTERM only between its calls, and a call to
# a frozen or cut-off peer has no timeout: a pod deletion then waited the whole grace period (measured: 53 s).
stop_repmgrd() { # pid
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || return 0
  local i
  for i in $(seq 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  log "repmgrd did not stop within 2 s: killing it"
  kill -KILL "$1" 2>/dev/null || true
}

# A running standby that does not stream, checked every 10 s while a primary answers: if the WAL it needs
# next is gone from the primary (it was away longer than the primary keeps WAL), or it still does not stream
# after 30 s (it holds WAL of a timeline the primary does not have), it stops, and its restart clones afresh or
# rewinds it (prepare_data), instead of looping on "requested WAL segment has already been removed" or
# "new timeline forked off ... before current recovery point".
wal_check() {
  WAL_CHECKS=$(( ${WAL_CHECKS:-0} + 1 ))
  [ $(( WAL_CHECKS % 10 )) = 0 ] || return 0
  # On the sessions, and the primary from this tick's glance (primary_check): a new connection per question
  # delayed the next tick's check by a second or two on a busy node.
  local streaming lsn primary="" peer state role
  local_query "SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'), pg_last_wal_replay_lsn()" \
    || return 0
  IFS='|' read -r streaming lsn <<< "$ANSWER"
  if [ "$streaming" = t ]; then
    NOT_STREAMING=0
    return 0
  fi
  while read -r peer state role _; do
    if [ "$role" = p ]; then primary=$peer; break; fi
  done <<< "$PEER_STATES"
  [ -n "$primary" ] && [ -n "$lsn" ] || return 0
  NOT_STREAMING=$(( ${NOT_STREAMING:-0} + 1 ))
  if session_query "$primary" "host=${primary%:*} port=${primary##*:} $PEER_LOGIN" "SELECT substr(pg_walfile_name('$lsn'), 9)
      < (SELECT min(substr(name, 9)) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}\$')" $(( ${EPOCHREALTIME/[.,]/} + 2000000 )) \
      && [ "$ANSWER" = t ]; then
    log "the WAL this standby needs next (after $lsn) is gone from $primary: stopping, to clone afresh"
    stop_postmaster INT
  elif [ "$NOT_STREAMING" -ge 3 ]; then
    log "this standby has not streamed from $primary for 30 s: stopping, to rewind onto it"
    touch "$RUN_DIR/not-streaming"
    NOT_STREAMING=0
    stop_postmaster INT
  fi
}

# A standby's own check for a dead or frozen primary, every second beside repmgrd: when no peer is a primary, it
# runs the promotion (node.sh promote), whose veto lets only the best candidate through. When every peer
# answered (as a standby or a stand-in, or nothing listens at its address: a killed primary restarting) one
# check is enough; while a peer stays silent (frozen, cut off, or just slow) it takes 2 s, so a stall of the
# primary shorter than that promotes nobody. repmgrd notices the same by itself, but not always: during a
# freeze the elected candidate's repmgrd was seen to notice nothing for the whole 30 s (blocked on its
# connection to the frozen primary, which has no timeout), while the other standby waited for it.
# The promotion is told which peers were silent just now (SILENT_PEERS): it does not wait out their timeout again.
primary_check() {
  local peer state role silent=""
  glance_peers
  while read -r peer state role _; do
    if [ "$role" = p ]; then PRIMARY_MISSING=0; return 0; fi
    [ "$state" != unknown ] || silent+=" $peer"
  done <<< "$PEER_STATES"
  PRIMARY_MISSING=$(( ${PRIMARY_MISSING:-0} + 1 ))
  silent=${silent# }
  if [ -n "$silent" ]; then
    [ "$PRIMARY_MISSING" -ge 2 ] || return 0
    log "no peer has answered as a primary for 2 checks: trying to promote this standby"
  else
    log "every peer answered and none is a primary: trying to promote this standby"
  fi
  PRIMARY_MISSING=0
  SILENT_PEERS=$silent promote || true
}

# A running primary's timeline: that of the WAL it writes now (pg_control_checkpoint's lags a promotion).
CURRENT_TIMELINE="('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"

# The fence of a running primary. node.sh fences a primary when its container starts (run_postgres), but a
# primary that stays up while the others promote (frozen, or cut off, then back) never goes through that. So
# the repmgrd container checks every second, and stops the postmaster (immediate shutdown) when
#   - a peer is primary on a later timeline (a promotion happened while this node was frozen or cut off;
#     on the same timeline, two nodes promoted at once and the higher node id yields), or
#   - in a cluster of three or more, none of its peers has answered ISOLATION_CHECKS checks: it is on the
#     minority side of a partition, where the majority promotes. With synchronous replication it cannot
#     commit there anyway; stopping lets PgPool let go of it at once.
# The container's restart (kubelet's) then goes through run_postgres: it rejoins the new primary as a
# standby, or waits until the peers answer. In a cluster of two the isolation rule would stop the primary
# whenever its one standby dies, so there only the timeline rule holds (README, "HA guarantees").
fence_check() { # after local_state
  case "$LOCAL_ROLE" in
    f) ;;
    t) SILENT_CHECKS=0; [ -f "$RUN_DIR/announcing" ] || [ "$LOCAL_STAND_IN" = t ] || { primary_check; wal_check; }; return 0 ;;
    *) SILENT_CHECKS=0; return 0 ;;
  esac
  local mine=$LOCAL_TIMELINE sysid=$LOCAL_SYSID peer state role tl reason="" count=0 seen=0
  glance_peers
  while read -r peer state role tl; do
    count=$((count + 1))
    [ "$state" = unknown ] || seen=$((seen + 1))
    if [ "$state" = "$sysid" ] && [ "$role" = p ] && { [ "$tl" -gt "$mine" ] || { [ "$tl" = "$mine" ] && [ "$(node_id_of "$peer")" -lt "$NODE_ID" ]; }; }; then
      reason="$peer is primary on timeline $tl, this node on $mine"
    fi
  done <<< "$PEER_STATES"
  # Counted in checks, not seconds: a primary that was frozen must not count its freeze as silence.
  if [ "$seen" -gt 0 ]; then SILENT_CHECKS=0; else SILENT_CHECKS=$(( ${SILENT_CHECKS:-0} + 1 )); fi
  if [ -z "$reason" ] && [ "$count" -ge 2 ] && [ "$SILENT_CHECKS" -ge "${ISOLATION_CHECKS:-3}" ]; then
    reason="no peer has answered ${ISOLATION_CHECKS:-3} checks in a row: this node is cut off from the others"
  fi
  [ -n "$reason" ] || return 0
  log "fencing this primary: $reason; stopping postgres now (it restarts and rejoins as a standby)"
  stop_postmaster QUIT
}

# Sends the postmaster a signal (QUIT: immediate shutdown, INT: fast). It runs in the postgres container's PID
# namespace, not this one: the server itself signals it.
stop_postmaster() { # signal
  local_sql "DO \$\$BEGIN EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'kill -$1 '
      || split_part(pg_read_file('postmaster.pid'), E'\\n', 1)); END\$\$" >/dev/null 2>&1 || true
}

# Points every other standby at this one, promotes it, then records it in repmgr's metadata.
# Not `repmgr standby promote`: before promoting it connects to the old primary, and a frozen one holds it for
# the whole connect timeout (2 s, measured) while no node takes writes; afterwards it fails when the old
# primary does not answer (measured), and repmgrd then notifies no follower. The repointing is what `repmgr standby
# follow` does on PostgreSQL 13+ (primary_conninfo, then a reload): with synchronous replication the new
# primary's first commit waits for a standby, and this saves repmgrd's notification round; repmgrd's own
# follow still runs afterwards and finds the standby already attached.
# How far a standby's WAL goes: what it received (streaming) or replayed, whichever is further. Not
# COALESCE(received, replayed): a restarted standby's walreceiver reports the start of the segment it asks for
# (seen: two standbys at 0/6000000 whose WAL ended at 0/6094EE0 and 0/6095060; the one behind was promoted, and an
# acknowledged write was lost). Known only once the standby has replayed all the WAL it has on disk (it then
# streams, or waits for WAL): before that its replay position is short of it, and it counts as not answering.
WAL_END="GREATEST(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
WAL_KNOWN="(pg_last_wal_receive_lsn() IS NOT NULL OR EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'startup'
  AND wait_event IN ('RecoveryWalStream', 'RecoveryRetrieveRetryInterval')))"

# The node's check promotes through this: one promotion at a time (two at once each surveyed and repointed the
# peers, seen in a drain when repmgrd promoted too), a second one leaves it to the first (which may wait up to a
# minute for pg_promote); in a subshell, whose own sessions are closed at its end.
promote() {
  ( flock -n 9 || { log "a promotion is already running on this node"; exit 1; }
    trap session_close_own EXIT
    promote_now ) 9>"$RUN_DIR/promote.lock"
}

# repmgrd's promote_command. The node's own check (primary_check, every second beside repmgrd) promotes through
# its kept sessions; a promotion started here opened every connection afresh, which on a busy node took longer
# than the survey's 1 s: it found no majority, and held the lock the check's promotion then waited for (measured:
# 6 s more without a primary). So this waits for the check's decision instead, and succeeds once this node is
# the primary.
promote_requested() {
  local deadline=$(( $(date +%s) + 15 ))
  # repmgrd notices a killed primary within a moment (its connection breaks): the check runs now, not at its
  # next tick, up to a second later.
  wake "$RUN_DIR/check.wake"
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ "$(local_sql 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; then
      log "promoted (by the node's check)"
      return 0
    fi
    sleep 1
  done
  log "not promoted within 15 s: the node's check found a primary, a better candidate, or no majority"
  return 1
}

promote_now() {
  local recovery stand_in mine
  # Through the node's sessions (sessions.sh), as its checks ask: a psql per question took most of the
  # promotion's time on a busy node (measured: 5 s).
  local_query "SELECT pg_is_in_recovery(), current_setting('cluster_name') = '$STAND_IN',
      CASE WHEN $WAL_KNOWN THEN $WAL_END || ' ' || $RECOVERY_TIMELINE END" || { log "not promoting: this node does not answer"; return 1; }
  IFS='|' read -r recovery stand_in mine <<< "$ANSWER"
  [ "$recovery" = t ] || return 0
  # A waiting former primary (a stand-in) is never promoted: it is in recovery too, and its repmgrd container's
  # check loop ran on after its postgres container restarted (seen: a killed primary's stand-in promoted itself
  # beside the standby being promoted, two primaries on one timeline number, and its WAL could not be rewound).
  if [ "$stand_in" = t ]; then
    log "not promoting: this node is a waiting former primary (a stand-in)"
    return 1
  fi
  # Never a second primary, whatever repmgr's metadata says (after a few failovers in a row it has been found
  # stale, and two standbys each held an election of their own): this standby stays one if a peer answers as
  # a primary, or as a standby that has received more WAL (or as much, with a lower node id): that one is to be
  # primary. A waiting former primary (a stand-in) on a later timeline or with more WAL also keeps it one (as
  # much WAL too, without synchronous replication): it may hold acknowledged commits this node lacks. Without
  # synchronous replication it resumes after FENCE_SECONDS. With it every acknowledged commit is on a standby
  # too, but not necessarily on this one: only when every peer answered (so this node is the best standby of
  # all) is the stand-in passed over; while another standby is silent, that one may be the standby that has
  # them (seen: all nodes killed at once, the one standby up first promoted itself without the other's last
  # commit, and an acknowledged write was lost). (A standby's timeline here is its last restartpoint's, which
  # lags a timeline switch: it is not compared in that case.)
  # 1 s per peer, in parallel: a frozen old primary accepts the connection and never answers (a peer the
  # primary check found silent a moment ago, SILENT_PEERS, is not asked again).
  local peer id role lsn tl peers=0 seen=0 siblings="" survey="" silent=0 candidate
  [ -n "$mine" ] || { log "not promoting: this node is still replaying its own WAL"; return 1; }
  candidate="SELECT CASE WHEN NOT pg_is_in_recovery() THEN 'p' WHEN $WAL_KNOWN THEN CASE WHEN current_setting('cluster_name') = '$STAND_IN'
    THEN 'x ' ELSE 's ' END || $WAL_END || ' ' || $RECOVERY_TIMELINE ELSE '' END"
  # shellcheck disable=SC2086 # SILENT_PEERS: a list
  ask_peers "$candidate" $(( ${EPOCHREALTIME/[.,]/} + 1000000 )) ${SILENT_PEERS:-}
  for peer in $PEERS; do
    [ "$peer" = "$NODE_HOST:$PG_PORT" ] && continue
    ANSWER=""
    [ "${PEER_RC[$peer]:-}" != 0 ] || ANSWER=${PEER_ANSWER[$peer]}
    case "$ANSWER" in *ERROR:*) ANSWER="" ;; esac
    [ -n "$ANSWER" ] || silent=$(( silent + 1 ))
    survey+="$peer $ANSWER"$'\n'
  done
  survey=${survey%$'\n'}
  while read -r peer role lsn tl; do
    peers=$((peers + 1))
    [ -n "$role" ] || continue
    seen=$((seen + 1))
    [ "$role" != s ] || siblings="$siblings $peer"
    id=$(node_id_of "$peer")
    if [ "$role" = p ] || { local_query "SELECT CASE WHEN '$role' = 'x' THEN ('$SYNCHRONOUS_STANDBY_NAMES' = '' OR $silent > 0)
          AND ($tl > ${mine#* } OR ($tl = ${mine#* } AND '$lsn'::pg_lsn > '${mine% *}'::pg_lsn)
            OR ('$SYNCHRONOUS_STANDBY_NAMES' = '' AND $tl = ${mine#* } AND '$lsn'::pg_lsn = '${mine% *}'::pg_lsn))
        ELSE '$lsn'::pg_lsn > '${mine% *}'::pg_lsn OR ('$lsn'::pg_lsn = '${mine% *}'::pg_lsn AND $id < $NODE_ID) END" \
        && [ "$ANSWER" = t ]; }; then
      log "not promoting: $peer is a primary or a better candidate ($role $lsn ${tl:-}; this node $mine; $silent silent)"
      return 1
    fi
  done <<< "$survey"
  # Only with a majority (this node and at least half its peers): a standby cut off on its own must not
  # promote itself into a second primary. A cluster of two has no majority without both; it promotes alone.
  if [ "$peers" -ge 2 ] && [ $(( 2 * (seen + 1) )) -le $(( peers + 1 )) ]; then
    log "not promoting: only $seen of $peers peers answer, no majority"
    return 1
  fi
  # The other standbys stream from this node before it is promoted, not after: an old primary that was only
  # stalled and comes back must find no standby to confirm its commits (seen: a standby still attached to it
  # confirmed commits for a second after the promotion; they were acknowledged, then lost with its timeline).
  # From then on it can only confirm through this node, which keeps everything it received when promoted.
  for peer in $siblings; do repoint "$peer"; done
  local_query 'SELECT pg_promote(true, 60)' 65 && [ "$ANSWER" = t ] || { log "promotion failed"; return 1; }
  log "promoted"
  record_primary
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
  timeout 20 "$PG_BINDIR/repmgr" -f "$REPMGR_CONF" standby register --force --upstream-node-id="$1" --log-level=WARNING
  log "now following node $1 ($peer)"
}

repoint() { # host:port of a standby: stream from this node from now on (1 s at most: it answered a moment ago)
  # On the session the checks keep to it (repmgr is a superuser): new connections took a second each on a busy node.
  local login="host=${1%:*} port=${1##*:} $PEER_LOGIN" word conninfo=""
  session_query "$1" "$login" "SELECT setting FROM pg_settings WHERE name = 'primary_conninfo' AND pg_is_in_recovery()" \
    $(( ${EPOCHREALTIME/[.,]/} + 1000000 )) && [ -n "$ANSWER" ] && [[ "$ANSWER" != *ERROR:* ]] || return 0
  for word in $ANSWER; do
    case "$word" in host=*) word="host=$NODE_HOST" ;; port=*) word="port=$PG_PORT" ;; esac
    conninfo+="${conninfo:+ }$word"
  done
  session_query "$1" "$login" "ALTER SYSTEM SET primary_conninfo = '${conninfo//\'/\'\'}';
SELECT pg_reload_conf()" $(( ${EPOCHREALTIME/[.,]/} + 1000000 )) || return 0
  [[ "$ANSWER" == *ERROR:* ]] || log "the standby at $1 now streams from this node"
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
  promote) promote_requested ;;
  follow) follow_node "${2:?node id}" ;;
  ready) ready ;;
  # Alive while repmgrd runs, and while it waits for postgres (a clone may take 30 minutes, a fenced node
  # waits for its peers): killing this container then would only restart the wait.
  repmgrd-alive)
    pid=$(cat "$RUN_DIR/repmgrd.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && exit 0
    ! local_sql 'SELECT 1' >/dev/null 2>&1 ;;
  *) echo "usage: node.sh postgres|repmgrd|promote|follow ID|ready|repmgrd-alive" >&2; exit 2 ;;
esac
