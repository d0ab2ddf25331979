#!/usr/bin/env bash
# PgPool-II: the script of the PgPool pods.
#   pgpool.sh run        write pool_passwd and pcp.conf from the environment (the Secret), then run pgpool
#   pgpool.sh ready      readiness: a query through pgpool as the check user answers
#   pgpool.sh failback   the pod's second container: keep pgpool's view of the nodes true (below), every second
#   pgpool.sh alive      liveness: pgpool has a primary, or no node is one (restarting pgpool could not help);
#                        from the failback container's last survey when it is fresh
#   pgpool.sh failback-alive   liveness and readiness of the failback container: its loop ran within a minute
# Environment: CONFIG_DIR (pgpool.conf, pool_hba.conf), RUN_DIR (writable, shared by the pod's containers),
#              PORT, PCP_PORT, APP_USER, APP_PASSWORD, CHECK_USER, CHECK_PASSWORD.
set -eu
: "${CONFIG_DIR:?}" "${RUN_DIR:?}" "${PORT:?}" "${PCP_PORT:?}" "${APP_USER:?}" "${APP_PASSWORD:?}" "${CHECK_USER:?}" "${CHECK_PASSWORD:?}"
export PCPPASSFILE="$RUN_DIR/.pcppass" PGPASSWORD="$CHECK_PASSWORD" PGCONNECT_TIMEOUT=2
# shellcheck source=../postgres/sessions.sh
. "$CONFIG_DIR/sessions.sh"

log() { echo "$EPOCHREALTIME pgpool.sh: $*" >&2; } # the wall clock: the fault tests print these lines

# pgpool's view of the nodes, one line each in node order: "ID HOST PORT STATUS ROLE" (STATUS 1 waiting,
# 2 up, 3 down). Over PCP on the pod's socket. Not free: pgpool 4.3 answers it after pinging every backend
# itself (PQping, for its pg_status column), each with pgpool's connect_timeout, so a frozen or cut-off node
# holds it 2 s, and each call forks a backend on every node.
pool_nodes() { # into POOL_NODES, and when into POOL_NODES_AT (microseconds)
  local out i=0 f
  out=$(timeout 5 pcp_node_info -h "$RUN_DIR" -p "$PCP_PORT" -U "$CHECK_USER" -w) || return 1
  POOL_NODES=""
  while read -r -a f; do
    [ "${#f[@]}" -gt 0 ] || continue
    [ "${#f[@]}" -lt 7 ] || POOL_NODES+="$i ${f[0]} ${f[1]} ${f[2]} ${f[6]}"$'\n'
    i=$(( i + 1 ))
  done <<< "$out"
  POOL_NODES=${POOL_NODES%$'\n'} POOL_NODES_AT=${EPOCHREALTIME/[.,]/}
}

# What a node says of itself, asked directly: "p TIMELINE" for a primary, "s SENDER_HOST" for a streaming
# standby ("s -" when not streaming), nothing when it does not answer within 3 s.
NODE_STATE="SELECT CASE WHEN pg_is_in_recovery()
  THEN 's ' || COALESCE((SELECT sender_host FROM pg_stat_wal_receiver WHERE status = 'streaming'), '-')
  ELSE 'p ' || ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END"
node_state() { # host port
  timeout 3 psql -h "$1" -p "$2" -U "$CHECK_USER" -d postgres -XAtqc "$NODE_STATE" 2>/dev/null || true
}

# Every node's view of pgpool and of itself, asked in parallel: "ID HOST PORT STATUS ROLE STATE...".
survey() {
  pool_nodes || return 1
  echo "$POOL_NODES" | {
    while read -r id host port status role; do
      echo "$id $host $port $status $role $(node_state "$host" "$port")" &
    done
    wait
  }
}

# The same into SURVEY, through sessions kept from one second to the next (sessions.sh): the failback loop's.
survey_kept() { # microseconds to wait for the answers, oldest view of pgpool's to reuse (microseconds)
  local id host port status role deadline
  if [ -z "${POOL_NODES:-}" ] || [ $(( ${EPOCHREALTIME/[.,]/} - POOL_NODES_AT )) -gt "$2" ]; then
    : > "$RUN_DIR/view.at" # stamped before it is asked: a status write racing the question makes it newer
    pool_nodes || return 1
  fi
  # A node that answers later counts as silent this pass. Nothing here acts on silence alone: a primary is
  # let go of only once another node answers as the primary on a later timeline.
  deadline=$(( ${EPOCHREALTIME/[.,]/} + $1 ))
  while read -r id host port status role; do
    session_ask "$host:$port" "host=$host port=$port user=$CHECK_USER dbname=postgres application_name=pgpool.sh" "$NODE_STATE"
  done <<< "$POOL_NODES"
  SURVEY=""
  while read -r id host port status role; do
    session_answer "$host:$port" "$deadline" || ANSWER=""
    case "$ANSWER" in *ERROR*) ANSWER="" ;; esac
    SURVEY+="$id $host $port $status $role $ANSWER"$'\n'
  done <<< "$POOL_NODES"
  SURVEY=${SURVEY%$'\n'}
}

# Who is primary in a survey, without starting a process:
#   TRUE_ID, TRUE_HOST, TRUE_STATUS  the true primary: of the nodes answering as primary, the one on the latest
#                                    timeline, the lowest id on a tie (a promotion always starts a new one; an
#                                    old primary that missed it is being fenced by its own node); empty if none
#   WRITES, WRITES_STATE             the node pgpool routes writes to (not detached), and what it answered;
#                                    empty if none
primaries() { # survey
  local n h status role state rest tl=-1
  TRUE_ID="" TRUE_HOST="" TRUE_STATUS="" WRITES="" WRITES_STATE=""
  while read -r n h _ status role state rest; do
    if [ "$state" = p ] && [ "${rest:-0}" -gt "$tl" ] 2>/dev/null; then TRUE_ID=$n TRUE_HOST=$h TRUE_STATUS=$status tl=${rest:-0}; fi
    if [ "$role" = primary ] && [ "$status" != 3 ]; then WRITES=$n WRITES_STATE=$state; fi
  done <<< "$1"
}

pcp() { # command node-id; pgpool's view is asked afresh after it
  POOL_NODES_AT=0
  timeout 10 "pcp_$1" -h "$RUN_DIR" -p "$PCP_PORT" -U "$CHECK_USER" -w -n "$2" >/dev/null && log "$1 node $2"
}

# What pgpool 4.3 does not do by itself, with sr_check_period = 0 (see pgpool.conf: its replication check
# worker blocks every failover for as long as a frozen node stays frozen):
#   - pgpool routes writes to a node that is not the true primary (an old primary that is still reachable,
#     e.g. through a one-sided partition, or a frozen or cut-off one that stays silent while a standby was
#     promoted): detach it, and pgpool's failover finds the true one. This, not pgpool's health check, is what
#     lets go of a frozen primary soon after the promotion: the health check is lenient (pgpool.conf),
#     because on a starved machine a strict one dropped healthy nodes;
#   - the true primary is detached (a stall of a few seconds that ended without a promotion, or a failover
#     search that ended before the promotion): attach it, and pgpool's failback makes it the primary again;
#   - a detached node now streams from the true primary (a restarted standby, a rejoined old primary):
#     attach it again (what auto_failback would do).
failback() {
  mkdir -p "$RUN_DIR" # the pgpool container may not have made it yet (this container then exited at its start)
  ( umask 077; printf '*:*:%s:%s\n' "$CHECK_USER" "$CHECK_PASSWORD" > "$PCPPASSFILE" )
  trap 'exit 0' INT TERM
  local n h status role state rest id host writes writes_state="p" wait_us reuse_us settled_us=0
  # Every second, each node given 1 s to answer, with pgpool's view asked afresh (one pcp_node_info). While
  # the node pgpool writes to does not answer as a primary (frozen, cut off, demoted), every 0.1 s, each node
  # given 0.3 s, and pgpool's view reused for up to 10 s: what is looked for then is another node answering as
  # the primary, which a healthy node does at once. Waiting on the silent node each pass (1 s for its answer,
  # 2 s in pcp_node_info's ping of it) kept writes out 0.5-1.3 s longer after a promotion (measured: freeze,
  # partition). A view that went stale meanwhile (pgpool's own health check detached the node) costs one
  # change that fails; after any change pgpool's view is asked afresh.
  # Once settled (pgpool writes to the true primary, which answers as one, and no change was made), pgpool's
  # view is reused for up to 10 s too: only pgpool's failover and failback change it, and pgpool writes its
  # status file (pgpool_status, in RUN_DIR) whenever it detaches or attaches a node, which asks afresh on the
  # next pass. Asking every second cost about 37 ms of CPU a call (a PCP process and a ping of every node,
  # each a new backend): 0.07 of a core for two PgPool pods doing nothing.
  while true; do
    if [ "$writes_state" = p ]; then
      pause 1000000; wait_us=1000000 reuse_us=$settled_us
      [ ! "$RUN_DIR/pgpool_status" -nt "$RUN_DIR/view.at" ] || reuse_us=0
    else pause 100000; wait_us=300000 reuse_us=10000000; fi
    : > "$RUN_DIR/failback.beat"
    writes_state="p" settled_us=0
    survey_kept "$wait_us" "$reuse_us" 2>/dev/null || continue
    # For the liveness probe (alive): this second's survey, stamped, instead of a survey of its own.
    printf '%s\n%s\n' "$EPOCHSECONDS" "$SURVEY" > "$RUN_DIR/survey"
    primaries "$SURVEY"
    id=$TRUE_ID host=$TRUE_HOST writes=$WRITES
    [ -z "$writes" ] || writes_state=$WRITES_STATE
    [ -n "$id" ] || continue
    # First what routes writes, one change a pass (each restarts every pgpool child, about 1.5 s on a busy
    # node): an old primary pgpool still writes to is detached (pgpool's own search then finds the true one);
    # else the true primary is attached, or made pgpool's primary when its search ended without one. The
    # standbys only once that is done (measured: an attach before the primary's promote_node kept writes out
    # 5 s longer).
    if [ -n "$writes" ] && [ "$writes" != "$id" ]; then
      log "pgpool routes writes to node $writes, the true primary is node $id ($host): detaching node $writes"
      pcp detach_node "$writes" || true
      continue
    fi
    if [ "$TRUE_STATUS" = 3 ]; then pcp attach_node "$id" || true; continue; fi
    if [ -z "$writes" ]; then pcp promote_node "$id" || true; continue; fi
    [ "$writes_state" != p ] || settled_us=10000000 # an attach below asks afresh anyway (pcp)
    while read -r n h _ status role state rest; do
      if [ "$status" = 3 ] && [ "$state" = s ] && [ "$rest" = "$host" ]; then pcp attach_node "$n" || true; fi
    done <<< "$SURVEY"
  done
}

case "${1:-}" in
  run)
    mkdir -p "$RUN_DIR"
    umask 077
    # Clear-text entries (TEXT prefix) let pgpool answer SCRAM for these users and log in to the backends.
    printf '%s:TEXT%s\n%s:TEXT%s\n' "$APP_USER" "$APP_PASSWORD" "$CHECK_USER" "$CHECK_PASSWORD" > "$RUN_DIR/pool_passwd"
    # PCP, on the pod's socket only, for the failback container and the liveness probe.
    printf '%s:%s\n' "$CHECK_USER" "$(pg_md5 "$CHECK_PASSWORD")" > "$RUN_DIR/pcp.conf"
    # RUN_DIR is an emptyDir: it outlives this container. A pid file left there by the container before this
    # one (OOM kill, liveness restart, SIGKILL after the grace period) names a PID that in this new PID
    # namespace may be alive (PID 1 is this script), and pgpool would refuse to start for good. Only this
    # container runs pgpool in the pod, so a pid file found at its start is always stale.
    rm -f "$RUN_DIR/pgpool.pid"
    # -D: forget the previous container's idea of which backends are down (pgpool_status); the health checks
    # find out again within a second.
    # Not exec'd: kubelet stops a container with SIGTERM, pgpool's *smart* shutdown, which waits for every client
    # to disconnect, and the services' pooled connections never do: each pod deletion took the whole grace
    # period and ended in SIGKILL (measured). SIGTERM is passed on as SIGINT, the fast shutdown: the clients'
    # connections close and they reconnect through the Service to the other PgPool pods.
    pgpool -n -D -f "$CONFIG_DIR/pgpool.conf" -a "$CONFIG_DIR/pool_hba.conf" -F "$RUN_DIR/pcp.conf" &
    pid=$!
    trap 'kill -INT "$pid" 2>/dev/null || true' INT TERM
    # A trapped signal interrupts `wait`: wait again until pgpool has exited, then exit with its status.
    while true; do
      rc=0
      wait "$pid" || rc=$?
      kill -0 "$pid" 2>/dev/null || exit "$rc"
    done
    ;;
  ready)
    PGCONNECT_TIMEOUT=2 psql -h 127.0.0.1 -p "$PORT" -U "$CHECK_USER" -d postgres -XAtq -c 'SELECT 1' >/dev/null
    ;;
  failback) failback ;;
  failback-alive) [ -n "$(find "$RUN_DIR/failback.beat" -mmin -1 2>/dev/null)" ] ;;
  alive)
    # The failback container's survey when it is at most 10 s old (it asks every second over kept sessions); a
    # survey of its own otherwise: a pcp call and a new connection to every node each time.
    content="" nodes=""
    IFS= read -r -d "" content 2>/dev/null < "$RUN_DIR/survey" || true
    if [ -n "$content" ] && [ $(( EPOCHSECONDS - ${content%%$'\n'*} )) -le 10 ] 2>/dev/null; then
      nodes=${content#*$'\n'}
    else
      nodes=$(survey) || { log "PCP does not answer"; exit 1; }
    fi
    primaries "$nodes"
    [ -z "$WRITES" ] || exit 0
    [ -z "$TRUE_ID" ] || { log "no primary in pgpool, but node $TRUE_ID $TRUE_HOST is one"; exit 1; }
    ;;
  *) echo "usage: pgpool.sh run|ready|failback|failback-alive|alive" >&2; exit 2 ;;
esac
