#!/bin/sh
# PgPool-II: the script of the PgPool pods.
#   pgpool.sh run        write pool_passwd and pcp.conf from the environment (the Secret), then run pgpool
#   pgpool.sh ready      readiness: a query through pgpool as the check user answers
#   pgpool.sh failback   the pod's second container: keep pgpool's view of the nodes true (below), every second
#   pgpool.sh alive      liveness: pgpool has a primary, or no node is one (restarting pgpool could not help)
#   pgpool.sh failback-alive   liveness and readiness of the failback container: its loop ran within a minute
# Environment: CONFIG_DIR (pgpool.conf, pool_hba.conf), RUN_DIR (writable, shared by the pod's containers),
#              PORT, PCP_PORT, APP_USER, APP_PASSWORD, CHECK_USER, CHECK_PASSWORD.
set -eu
: "${CONFIG_DIR:?}" "${RUN_DIR:?}" "${PORT:?}" "${PCP_PORT:?}" "${APP_USER:?}" "${APP_PASSWORD:?}" "${CHECK_USER:?}" "${CHECK_PASSWORD:?}"
export PCPPASSFILE="$RUN_DIR/.pcppass" PGPASSWORD="$CHECK_PASSWORD" PGCONNECT_TIMEOUT=2

log() { echo "pgpool.sh: $*" >&2; }

# pgpool's view of the nodes, one line each in node order: "ID HOST PORT STATUS ROLE" (STATUS 1 waiting,
# 2 up, 3 down). Over PCP on the pod's socket: answered from shared memory, even while pgpool is busy.
pool_nodes() {
  timeout 5 pcp_node_info -h "$RUN_DIR" -p "$PCP_PORT" -U "$CHECK_USER" -w | awk '{ print NR - 1, $1, $2, $3, $7 }'
}

# What a node says of itself, asked directly: "p TIMELINE" for a primary, "s SENDER_HOST" for a streaming
# standby ("s -" when not streaming), nothing when it does not answer within 3 s.
node_state() { # host port
  timeout 3 psql -h "$1" -p "$2" -U "$CHECK_USER" -d postgres -XAtq -F ' ' -c "SELECT CASE WHEN pg_is_in_recovery()
      THEN 's ' || COALESCE((SELECT sender_host FROM pg_stat_wal_receiver WHERE status = 'streaming'), '-')
      ELSE 'p ' || ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END" 2>/dev/null || true
}

# Every node's view of pgpool and of itself, asked in parallel: "ID HOST PORT STATUS ROLE STATE...".
survey() {
  local nodes
  nodes=$(pool_nodes) || return 1
  echo "$nodes" | {
    while read -r id host port status role; do
      echo "$id $host $port $status $role $(node_state "$host" "$port")" &
    done
    wait
  }
}

# The true primary: of the nodes answering as primary, the one on the latest timeline (a promotion always
# starts a new one; an old primary that missed it is being fenced by its own node). Prints "ID HOST".
true_primary() { # survey
  echo "$1" | awk '$6 == "p" { print $7, $1, $2 }' | sort -k1,1nr -k2,2n | awk 'NR == 1 { print $2, $3 }'
}

pcp() { # command node-id
  timeout 10 "pcp_$1" -h "$RUN_DIR" -p "$PCP_PORT" -U "$CHECK_USER" -w -n "$2" >/dev/null && log "$1 node $2"
}

# What pgpool 4.3 does not do by itself, with sr_check_period = 0 (see pgpool.conf: its replication check
# worker blocks every failover for as long as a frozen node stays frozen):
#   - pgpool routes writes to a node that is not the true primary (an old primary that is still reachable,
#     e.g. through a one-sided partition): detach it, and pgpool's failover finds the true one;
#   - the true primary is detached (a stall of a few seconds that ended without a promotion, or a failover
#     search that ended before the promotion): attach it, and pgpool's failback makes it the primary again;
#   - a detached node now streams from the true primary (a restarted standby, a rejoined old primary):
#     attach it again (what auto_failback would do).
failback() {
  ( umask 077; printf '*:*:%s:%s\n' "$CHECK_USER" "$CHECK_PASSWORD" > "$PCPPASSFILE" )
  trap 'exit 0' INT TERM
  nodes="" primary="" id="" host=""
  while true; do
    sleep 1
    touch "$RUN_DIR/failback.beat"
    nodes=$(survey 2>/dev/null) || continue
    primary=$(true_primary "$nodes")
    [ -n "$primary" ] || continue
    id=${primary%% *} host=${primary#* }
    echo "$nodes" | while read -r n h _ status role state sender; do
      if [ "$n" = "$id" ]; then
        [ "$status" = 3 ] && pcp attach_node "$n"
      elif [ "$role" = primary ] && [ "$status" != 3 ] && [ "$state" = p ]; then
        log "pgpool routes writes to node $n, the true primary is node $id ($host): detaching node $n"
        pcp detach_node "$n"
      elif [ "$status" = 3 ] && [ "$state" = s ] && [ "$sender" = "$host" ]; then
        pcp attach_node "$n"
      fi
    done || true
    if ! echo "$nodes" | awk -v id="$id" '$1 == id && $5 == "primary" { found = 1 } END { exit !found }'; then
      # Attached but not pgpool's primary (its search ended before the promotion): make it the primary.
      echo "$nodes" | awk -v id="$id" '$1 == id && $4 != 3 { found = 1 } END { exit !found }' \
        && pcp promote_node "$id"
    fi
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
    nodes=$(survey) || { log "PCP does not answer"; exit 1; }
    echo "$nodes" | awk '$5 == "primary" && $4 != 3 { found = 1 } END { exit !found }' && exit 0
    primary=$(true_primary "$nodes")
    [ -z "$primary" ] || { log "no primary in pgpool, but node ${primary} is one"; exit 1; }
    ;;
  *) echo "usage: pgpool.sh run|ready|failback|failback-alive|alive" >&2; exit 2 ;;
esac
