# Supervision of the local stack's processes, sourced by deploy/local/run.sh and by the fault
# suite (Tests/Faults/run.sh). Each process runs under a restart loop of its own, as compose's
# `restart: unless-stopped` would run it:
#
#   supervise NAME LOG STOP_SIGNAL COMMAND...  starts COMMAND (output appended to LOG) under a
#                                              loop; its pid is kept in $supervise_dir/NAME.pid
#   supervise_stop_all                         stops the loops, last started first, each process
#                                              waited for before the next is asked to stop
#   supervise_watch                            blocks until a loop gives up (then returns 1)
#   supervise_alive                            whether every loop still runs
#
# A process that exits, whatever the cause (a crash, `kill -9`, even status 0), is started again
# after 1 s, then 2, 4, 8, 16 and at most 30 s while it keeps exiting; one that ran 30 s is
# healthy again, and its next restart waits 1 s. Each restart is one line on standard error:
#
#     12:03:04 search-projection exited (signal 9); restarting in 1 s
#
# A process that cannot start is not restarted in a loop: exit status 78 (EX_CONFIG: the
# services' configuration error), or 5 exits in a row each within 10 s of its start (a port
# taken, a broken installation), ends its loop with the process's last log lines, and
# supervise_watch returns so the caller can stop everything.
#
# Each process runs in a session of its own (setsid): the terminal's Ctrl-C reaches only the
# caller, which stops the processes in order. STOP_SIGNAL is what stopping sends (TERM for the
# services and the broker, INT for PostgreSQL's fast shutdown).
#
# Set supervise_dir (where the pid files go) before the first call.

supervise_loops=()

supervise_backoff_max=30       # seconds between restarts, at most
supervise_healthy_after=30     # seconds of running after which the backoff starts again at 1 s
supervise_quick_exit=10        # an exit within this many seconds of the start counts as failing to start
supervise_quick_exits_max=5    # that many in a row and the loop gives up

supervise() { # NAME LOG STOP_SIGNAL COMMAND...
    mkdir -p "$supervise_dir"
    : >"$2"
    supervise_loop "$@" &
    supervise_loops+=($!)
}

# The loop of one process, in a subshell of its own. Stopping it (TERM) forwards STOP_SIGNAL to
# the process and waits for it to exit.
supervise_loop() {
    set +e
    local name="$1" log="$2" stop_signal="$3"; shift 3
    local child="" sleeper="" stopping=0 delay=1 quick=0 started status how ran
    # The terminal's Ctrl-C is the caller's to handle (it stops the loops in order), not this loop's.
    trap '' INT QUIT
    trap 'stopping=1; [ -n "$child" ] && kill -s "$stop_signal" "$child" 2>/dev/null; [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null' TERM
    while [ "$stopping" = 0 ]; do
        started=$SECONDS
        setsid "$@" >>"$log" 2>&1 </dev/null &
        child=$!
        [ "$stopping" = 1 ] && kill -s "$stop_signal" "$child" 2>/dev/null   # asked to stop while starting it
        echo "$child" >"$supervise_dir/$name.pid"
        while :; do
            wait "$child" 2>/dev/null; status=$?   # (2>/dev/null: no "Killed" line from bash)
            # A signal to this loop interrupts `wait` while the process still runs: wait again.
            kill -0 "$child" 2>/dev/null || break
        done
        child=""
        rm -f "$supervise_dir/$name.pid"
        [ "$stopping" = 1 ] && break
        if ((status > 128)); then how="signal $((status - 128))"; else how="status $status"; fi
        ran=$((SECONDS - started))
        if ((ran < supervise_quick_exit)); then quick=$((quick + 1)); else quick=0; fi
        if ((status == 78)) || ((quick >= supervise_quick_exits_max)); then
            if ((status == 78)); then
                echo "error: $name exited with status 78 (a configuration error); not restarting it. Its last log lines ($log):" >&2
            else
                echo "error: $name exited $quick times in a row within ${supervise_quick_exit} s of starting (last: $how); not restarting it. Its last log lines ($log):" >&2
            fi
            tail -n 20 "$log" >&2
            exit 78
        fi
        ((ran >= supervise_healthy_after)) && delay=1
        echo "$(date +%H:%M:%S) $name exited ($how); restarting in $delay s" >&2
        sleep "$delay" &
        sleeper=$!
        wait "$sleeper"
        sleeper=""
        delay=$((delay * 2 > supervise_backoff_max ? supervise_backoff_max : delay * 2))
    done
}

supervise_stop_all() {
    local i
    for ((i = ${#supervise_loops[@]} - 1; i >= 0; i--)); do
        kill -TERM "${supervise_loops[$i]}" 2>/dev/null || continue
        wait "${supervise_loops[$i]}" 2>/dev/null || true
    done
}

supervise_watch() {
    wait -n "${supervise_loops[@]}" || true
    return 1
}

supervise_alive() {
    local loop
    for loop in "${supervise_loops[@]}"; do kill -0 "$loop" 2>/dev/null || return 1; done
}
