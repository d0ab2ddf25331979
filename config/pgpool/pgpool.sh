#!/bin/sh
# PgPool-II: the script of the PgPool pods.
#   pgpool.sh run     write pool_passwd from the environment (the Secret), then run pgpool in the foreground
#   pgpool.sh ready   readiness: a query through pgpool as the check user answers
# Environment: CONFIG_DIR (pgpool.conf, pool_hba.conf), RUN_DIR (writable), PORT,
#              APP_USER, APP_PASSWORD, CHECK_USER, CHECK_PASSWORD.
set -eu
: "${CONFIG_DIR:?}" "${RUN_DIR:?}" "${PORT:?}" "${APP_USER:?}" "${APP_PASSWORD:?}" "${CHECK_USER:?}" "${CHECK_PASSWORD:?}"

case "${1:-}" in
  run)
    mkdir -p "$RUN_DIR"
    umask 077
    # Clear-text entries (TEXT prefix) let pgpool answer SCRAM for these users and log in to the backends.
    printf '%s:TEXT%s\n%s:TEXT%s\n' "$APP_USER" "$APP_PASSWORD" "$CHECK_USER" "$CHECK_PASSWORD" > "$RUN_DIR/pool_passwd"
    : > "$RUN_DIR/pcp.conf"
    # RUN_DIR is an emptyDir: it outlives this container. A pid file left there by the container before this
    # one (OOM kill, liveness restart, SIGKILL after the grace period) names PID 1, which in this new PID
    # namespace is always alive (it is this script), and pgpool would refuse to start for good. Only this
    # container runs pgpool in the pod, so a pid file found at its start is always stale.
    rm -f "$RUN_DIR/pgpool.pid"
    # -D: forget the previous container's idea of which backends are down (pgpool_status); the health checks
    # find out again within a second.
    exec pgpool -n -D -f "$CONFIG_DIR/pgpool.conf" -a "$CONFIG_DIR/pool_hba.conf" -F "$RUN_DIR/pcp.conf"
    ;;
  ready)
    PGPASSWORD="$CHECK_PASSWORD" PGCONNECT_TIMEOUT=2 \
      psql -h 127.0.0.1 -p "$PORT" -U "$CHECK_USER" -d postgres -XAtq -c 'SELECT 1' >/dev/null
    ;;
  *) echo "usage: pgpool.sh run|ready" >&2; exit 2 ;;
esac
