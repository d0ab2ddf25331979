# Long-lived psql sessions for checks that run every second (sourced by node.sh and pgpool.sh; bash).
#
# A check that starts a psql every second starts a backend every second too (over TCP with SCRAM for another
# node): node.sh's checks did about fifteen of each a second per node, and on a busy 2-core node that starved the
# checks themselves (measured: backend start-up and psql were half the CPU of a starting prod stack). A session is
# one psql, kept, reading questions from a FIFO and writing answers to another; each question ends with a
# numbered marker, so a late answer to an earlier question (from a server that stalled) is told apart from the
# current one. A session whose psql exited (connection refused, failed or lost) is opened again by the next
# question; one that has not answered for STALE_US is killed and opened again (a frozen server, or a cut-off one
# whose connection hangs). Needs RUN_DIR (writable, for the FIFOs).
declare -A SESSION_PID=() SESSION_IN=() SESSION_OUT=() SESSION_ASKED=() SESSION_ANSWERED=() SESSION_FRESH=() SESSION_OWNER=()
SESSION_SEQ=0 STALE_US=3000000

session_open() { # key conninfo
  local fifo="$RUN_DIR/session.$1" in out
  rm -f "$fifo.in" "$fifo.out"
  mkfifo -m 600 "$fifo.in" "$fifo.out"
  psql "$2" -XAtq <"$fifo.in" >"$fifo.out" 2>&1 &
  SESSION_PID[$1]=$!
  # The output is opened read-only: it returns once psql has opened both FIFOs (they can go then), and the
  # session's end shows as end-of-file.
  exec {in}<>"$fifo.in" {out}<"$fifo.out"
  rm -f "$fifo.in" "$fifo.out"
  SESSION_IN[$1]=$in SESSION_OUT[$1]=$out SESSION_ASKED[$1]="" SESSION_ANSWERED[$1]=${EPOCHREALTIME/[.,]/}
  SESSION_OWNER[$1]=$BASHPID
}

session_close() { # key
  [ -n "${SESSION_PID[$1]:-}" ] || return 0
  local in=${SESSION_IN[$1]} out=${SESSION_OUT[$1]}
  kill -KILL "${SESSION_PID[$1]}" 2>/dev/null || true
  wait "${SESSION_PID[$1]}" 2>/dev/null || true
  exec {in}>&- {out}<&-
  unset "SESSION_PID[$1]"
}

# Closes the sessions this (sub)shell opened: a subshell's psql would outlive it, holding a connection.
session_close_own() {
  local key
  for key in "${!SESSION_PID[@]}"; do
    [ "${SESSION_OWNER[$key]}" != "$BASHPID" ] || session_close "$key"
  done
}

# Asks a session (opened when needed) one question; session_answer reads the answer.
session_ask() { # key conninfo sql
  local now=${EPOCHREALTIME/[.,]/}
  if [ -n "${SESSION_PID[$1]:-}" ] && [ -n "${SESSION_ASKED[$1]}" ] && [ $(( now - ${SESSION_ANSWERED[$1]} )) -gt "$STALE_US" ]; then
    session_close "$1"
  fi
  SESSION_FRESH[$1]=""
  [ -n "${SESSION_PID[$1]:-}" ] || { session_open "$1" "$2"; SESSION_FRESH[$1]=y; }
  # The marker names this shell too: a subshell (node.sh's promotion) may ask the same sessions, and a late
  # answer it left behind must not pass for an answer to this shell's question of the same number.
  SESSION_SEQ=$(( SESSION_SEQ + 1 ))
  SESSION_ASKED[$1]=$BASHPID.$SESSION_SEQ
  printf '%s;\n\\echo @@%s\n' "$3" "${SESSION_ASKED[$1]}" >&"${SESSION_IN[$1]}" 2>/dev/null || true
}

# Reads the answer to the session's last question until the deadline (microseconds) into ANSWER. Returns 0 when
# it came, 1 when the session ended (ANSWER: what psql said, e.g. "Connection refused"), 2 at the deadline.
session_answer() { # key deadline
  local line left out="" rc
  ANSWER=""
  [ -n "${SESSION_PID[$1]:-}" ] || return 1
  while true; do
    # Past the deadline, what has arrived is still read (1 ms): an answer that came while another session was
    # being read is not lost.
    left=$(( $2 - ${EPOCHREALTIME/[.,]/} ))
    [ "$left" -gt 1000 ] || left=1000
    rc=0
    seconds "$left"
    read -r -t "$SECONDS_ARG" -u "${SESSION_OUT[$1]}" line || rc=$?
    if [ "$rc" -gt 128 ]; then return 2; fi
    if [ "$rc" -ne 0 ]; then
      ANSWER=$out
      session_close "$1"
      return 1
    fi
    case "$line" in
      "@@${SESSION_ASKED[$1]}")
        ANSWER=${out%$'\n'} SESSION_ASKED[$1]="" SESSION_ANSWERED[$1]=${EPOCHREALTIME/[.,]/}
        return 0 ;;
      @@*) out="" ;; # the end of an earlier question's late answer
      *) out+="$line"$'\n' ;;
    esac
  done
}

# The answer to the question just asked (session_ask), as session_answer reads it; but a session that was open
# before the question and ended (its connection was lost: the server restarted, or ended the backend) is opened
# again once and asked again: it answers what the server is now.
session_collect() { # key conninfo sql deadline
  local rc=0
  session_answer "$1" "$4" || rc=$?
  if [ "$rc" = 1 ] && [ -z "${SESSION_FRESH[$1]}" ]; then
    rc=0
    session_ask "$1" "$2" "$3"
    session_answer "$1" "$4" || rc=$?
  fi
  return "$rc"
}

# One question, answered by the deadline (session_collect).
session_query() { # key conninfo sql deadline
  session_ask "$1" "$2" "$3"
  session_collect "$@"
}

# Microseconds as read -t's seconds, into SECONDS_ARG (without a subshell: each fork counts in a loop that runs
# every second).
seconds() { # microseconds
  printf -v SECONDS_ARG '%d.%06d' $(( $1 / 1000000 )) $(( $1 % 1000000 ))
}

# Waits, like sleep, without starting a process: a read that times out on a FIFO nobody writes to, or that
# another process ends early (wake) when the FIFO has a name (pause_on).
pause() { # microseconds
  if [ -z "${PAUSE_FD:-}" ]; then
    pause_on "$RUN_DIR/pause.$$"
    rm -f "$RUN_DIR/pause.$$"
  fi
  seconds "$1"
  read -r -t "$SECONDS_ARG" -u "$PAUSE_FD" _ || true
}

pause_on() { # path: pause on a FIFO of this name from now on
  [ -z "${PAUSE_FD:-}" ] || exec {PAUSE_FD}<&-
  rm -f "$1" && mkfifo -m 600 "$1"
  exec {PAUSE_FD}<>"$1"
}

wake() { # path: ends the pause of the process that paused on it (pause_on), if any
  local fd
  [ -p "$1" ] || return 0
  exec {fd}<>"$1" && echo >&"$fd"
  exec {fd}>&-
}
