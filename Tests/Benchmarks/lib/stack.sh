# Shared by the benchmark scripts: start a throwaway PostgreSQL cluster, the broker and
# Clientele services on free loopback ports, and stop them all on exit.
# Source it after setting `root`; call `stack_init` first.

# Installs what is missing and builds the release executables (all, or only product $1);
# sets bin. Run before stack_init.
stack_build() {
    "$root/deploy/local/install-dependencies.sh"
    swift build -c release ${1:+--product "$1"} >/dev/null
    bin="$(swift build -c release --show-bin-path)"
}

stack_init() {
    work="$(mktemp -d /tmp/clientele-bench-XXXXXX)"
    chmod 755 "$work"
    pids=()
    pg_bin=/usr/lib/postgresql/15/bin
    pg_data=""
    trap stack_cleanup EXIT
    export LD_LIBRARY_PATH="$root/.local/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    # One partition, as deploy/local/run.sh runs it: the in-memory broker's fetch cost grows
    # with the batches each fetched partition holds, and faster with more partitions
    # (measured: docs/performance.md, design measurements).
    export EVENTS_TOPIC_PARTITIONS="${EVENTS_TOPIC_PARTITIONS:-1}"
    export INTERNAL_TOKEN="bench-internal-token-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    # The command service's master key (it refuses to start without one).
    export DATA_MASTER_KEY="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
    JWT_KEYS="bench1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
    export JWT_KEYS
}

stack_cleanup() {
    for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$pg_data" ]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    if [ -n "${BENCH_KEEP_LOGS:-}" ]; then
        mkdir -p "$BENCH_KEEP_LOGS"
        find "$work" -maxdepth 2 \( -name '*.log' -o -name '*.txt' -o -name '*.cpu' \) -exec cp {} "$BENCH_KEEP_LOGS/" \; 2>/dev/null || true
    fi
    rm -rf "$work"
}

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts PostgreSQL (trust auth on loopback, durable settings left at their defaults);
# sets pg_port and defines pg_url DB. BENCH_PG_STATEMENTS=1 loads pg_stat_statements, for
# pg_statements_reset / pg_statements_report; BENCH_PG_OPTIONS adds server options (e.g.
# "-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=5ms").
start_postgres() {
    local extra="${BENCH_PG_OPTIONS:-}"
    [ "${BENCH_PG_STATEMENTS:-0}" = 1 ] && extra="$extra -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
    pg_port="$(free_port)"
    pg_data="$work/pg"
    mkdir -p "$pg_data" "$work/pgrun"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pg_data" "$work/pgrun"
    as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pgrun/server.log" -w -t 60 \
        -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $work/pgrun -c max_connections=300 $extra" start >/dev/null
    if [ "${BENCH_PG_STATEMENTS:-0}" = 1 ]; then
        psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE EXTENSION pg_stat_statements"
    fi
}

# With BENCH_PG_STATEMENTS=1: forgets the statements' counters so far.
pg_statements_reset() {
    [ "${BENCH_PG_STATEMENTS:-0}" = 1 ] || return 0
    psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
}

# pg_statements_report UNITS: with BENCH_PG_STATEMENTS=1, the statements that took the most
# time since the last reset, per database, with their time per UNITS (e.g. per create).
pg_statements_report() {
    [ "${BENCH_PG_STATEMENTS:-0}" = 1 ] || return 0
    psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -P pager=off -F ' | ' -Atc "
        SELECT d.datname, s.calls, round(s.total_exec_time::numeric, 1) AS total_ms,
               round((s.total_exec_time * 1000 / greatest($1, 1))::numeric, 1) AS us_per_unit,
               left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110)
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        ORDER BY s.total_exec_time DESC LIMIT 15" | sed 's/^/   /'
}
pg_url() { echo "postgresql://postgres@127.0.0.1:$pg_port/$1"; }
create_database() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE $1"; }
# create_databases DB...: one database each.
create_databases() { local db; for db in "$@"; do create_database "$db"; done; }

# Starts the broker; sets kafka_port and exports KAFKA_BOOTSTRAP_SERVERS.
start_broker() {
    kafka_port="$(free_port)"
    "$root/.local/bin/tansu" broker --listener-url "tcp://127.0.0.1:$kafka_port" \
        --advertised-listener-url "tcp://127.0.0.1:$kafka_port" --storage-engine memory://tansu/ >"$work/broker.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$kafka_port") 2>/dev/null && break; sleep 0.1; done
    export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port"
}

# start_service NAME PORT [VAR=value...]: starts a release executable and waits for /readyz.
start_service() {
    local name="$1" port="$2"; shift 2
    env HTTP_PORT="$port" LOG_LEVEL=warning "$@" "$bin/$name" >"$work/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "error: $name did not become ready:" >&2
    tail -n 20 "$work/$name.log" >&2
    return 1
}

# wrk_measure URL [wrk args...]: prints "<requests/s> <p99 ms>".
wrk_measure() {
    local url="$1"; shift
    local out rps p99
    out="$(wrk "$@" --latency "$url")"
    echo "$out" >>"$work/wrk.txt"
    rps="$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
    p99="$(python3 -c "import sys,re; v=sys.argv[1]; m=re.match(r'([0-9.]+)(us|ms|s)', v); f={'us':0.001,'ms':1,'s':1000}[m.group(2)]; print(round(float(m.group(1))*f, 3))" "$p99")"
    echo "$rps $p99"
}

# start_clientele: every service on free ports, the gateway last (rate limit far above what
# wrk reaches, so the limiter stays on the measured path without refusing), and one company
# with an API key. Extra arguments go to the search projection's environment. Sets the
# arrays `port` and `svc_pid` (by service name; `svc_pid[broker]` too, when the broker was
# started just before), `gateway` (its base URL) and exports API_KEY.
start_clientele() {
    declare -gA port svc_pid
    svc_pid[broker]="${pids[-1]}"
    local name
    for name in command-service search-projection stats-projection document-store gateway; do port[$name]="$(free_port)"; done
    start_service command-service "${port[command-service]}" DATABASE_URL="$(pg_url clientele_commands)"
    svc_pid[command-service]="${pids[-1]}"
    start_service search-projection "${port[search-projection]}" DATABASE_URL="$(pg_url clientele_search)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" "$@"
    svc_pid[search-projection]="${pids[-1]}"
    start_service stats-projection "${port[stats-projection]}" DATABASE_URL="$(pg_url clientele_stats)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
    svc_pid[stats-projection]="${pids[-1]}"
    start_service document-store "${port[document-store]}" DATABASE_URL="$(pg_url clientele_documents)" DOCUMENT_DIRECTORY="$work/documents" \
        COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
    svc_pid[document-store]="${pids[-1]}"
    start_service gateway "${port[gateway]}" DATABASE_URL="$(pg_url clientele_gateway)" \
        RATE_LIMIT_REQUESTS=1000000 RATE_LIMIT_WINDOW_SECONDS=1 \
        COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" SEARCH_SERVICE_URL="http://127.0.0.1:${port[search-projection]}" \
        STATS_SERVICE_URL="http://127.0.0.1:${port[stats-projection]}" DOCUMENT_SERVICE_URL="http://127.0.0.1:${port[document-store]}"
    svc_pid[gateway]="${pids[-1]}"
    gateway="http://127.0.0.1:${port[gateway]}"
    DATABASE_URL="$(pg_url clientele_gateway)" "$bin/clientctl" company create "Bench Ltd" >/dev/null
    API_KEY="$(DATABASE_URL="$(pg_url clientele_gateway)" "$bin/clientctl" api-key issue --company "Bench Ltd" | awk 'END {print $NF}')"
    export API_KEY
}

# The whole stack as most benchmarks run it: the release build, PostgreSQL with the services'
# databases, the broker and every service (`start_clientele`, given "$@").
start_stack() {
    stack_build
    stack_init
    start_postgres
    create_databases clientele_commands clientele_search clientele_stats clientele_documents clientele_gateway
    start_broker
    start_clientele "$@"
}

# One value from a query on the gateway's or the search projection's database.
psql_gateway() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d clientele_gateway -tAc "$1"; }
psql_search() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d clientele_search -tAc "$1"; }

# CPU accounting: clock ticks of each service in `svc_pid`, of the PostgreSQL cluster
# (postmaster and its children) and of the whole machine (others share it), one per line.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_sample() {
    local name pm total child
    for name in "${!svc_pid[@]}"; do echo "$name $(ticks "${svc_pid[$name]}")"; done
    pm="$(head -n 1 "$pg_data/postmaster.pid")"
    total="$(ticks "$pm")"
    for child in $(ps --ppid "$pm" -o pid=); do total=$((total + $(ticks "$child"))); done
    echo "postgres $total"
    echo "machine $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat)"
    # Time the hypervisor ran something else while this machine's CPUs wanted to run (steal):
    # a round with much of it measured a slower machine, whatever the code did.
    echo "steal $(awk '/^cpu / {print $9}' /proc/stat)"
}

# service_metrics SERVICE: the service's /metrics text (Prometheus exposition).
service_metrics() {
    curl -sS -H "X-Internal-Token: $INTERNAL_TOKEN" "http://127.0.0.1:${port[$1]}/metrics"
}

# cpu_report BEFORE AFTER SECONDS [ANSWERS]: cores used by each part over the interval, and the
# cores the hypervisor took (steal); with ANSWERS, also each part's CPU milliseconds per answer.
cpu_report() {
    python3 - "$1" "$2" "$3" "$(getconf CLK_TCK)" "${4:-0}" <<'PY'
import sys
def load(text): return {l.split()[0]: int(l.split()[1]) for l in text.strip().splitlines()}
before, after, seconds, hz, answers = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
used = {k: (after[k] - before.get(k, 0)) / hz / seconds for k in after}
machine = used.pop("machine")
steal = used.pop("steal", 0.0)
parts = sorted(used.items(), key=lambda kv: -kv[1])
print("  cpu (cores of 2): " + ", ".join(f"{k} {v:.2f}" for k, v in parts)
      + f"; machine total {machine:.2f} (rest = wrk and other users {machine - sum(used.values()):.2f});"
      + f" taken by the host (steal) {steal:.2f}")
if answers:
    per = [(k, v * seconds * 1000 / answers) for k, v in parts if v * seconds * 1000 / answers >= 0.005]
    print(f"  cpu ms per answer ({answers} answers): " + ", ".join(f"{k} {v:.2f}" for k, v in per))
PY
}

# perf_start NAME / perf_stop: with BENCH_PERF=PREFIX and NAME among BENCH_PERF_RUN="NAME...",
# a `perf record -g` profile of BENCH_PERF_SERVICE (default gateway) from perf_start to
# perf_stop, into PREFIX-NAME; otherwise nothing.
perf_pid=""
perf_start() {
    perf_pid=""
    if [ -n "${BENCH_PERF:-}" ] && [[ " ${BENCH_PERF_RUN:-} " == *" $1 "* ]]; then
        perf record -F 999 -g -p "${svc_pid[${BENCH_PERF_SERVICE:-gateway}]}" -o "$BENCH_PERF-$1" >"$work/perf-$1.txt" 2>&1 &
        perf_pid=$!
    fi
}
perf_stop() {
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" 2>/dev/null || echo "perf ended early (see $work/perf-*.txt)" >&2
        wait "$perf_pid" || true
        perf_pid=""
    fi
}

# wrk_run NAME URL [wrk args...]: runs wrk for the caller's $seconds with CPU accounting; output kept in $work/NAME.txt;
# prints "<requests/s> <p99 ms>".
wrk_run() {
    local name="$1" url="$2"; shift 2
    local before after
    perf_start "$name"
    before="$(cpu_sample)"
    wrk "$@" --latency "$url" >"$work/$name.txt"
    after="$(cpu_sample)"
    perf_stop
    cpu_report "$before" "$after" "$seconds" "$(awk '/requests in/ {print $1}' "$work/$name.txt")" >"$work/$name.cpu"
    python3 - "$work/$name.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M).group(1)
value, unit = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)\b", text, re.M).groups()
print(rps, round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 3))
PY
}
# ratio A B: A / B to three places ("n/a" when B is 0).
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(round(a / b, 3) if b else 'n/a')" "$1" "$2"; }
