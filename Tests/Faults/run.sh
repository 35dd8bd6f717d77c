#!/usr/bin/env bash
# The fault suite: under a steady mixed load through every built API, from several companies,
# it injects faults one at a time into a supervised local stack and checks that nothing was
# lost or doubled. Prints one table (fault, writes acknowledged, lost, doubled, time to recover,
# errors callers saw) and exits 1 on any finding. See README, "The fault suite".
#
# The stack is the local one (PostgreSQL in the foreground, the broker and every service, each
# under deploy/local/supervise.sh as deploy/local/run.sh runs them) on free loopback ports in a
# throwaway directory; the faults and the checks are Tests/Faults/lib/faults.py.
#
# usage: Tests/Faults/run.sh [--short] [FAULT...]
#   --short   CI's form: a few faults, no seeded events, the debug build test.sh made
#   FAULT     run only these (names as in the table: gateway-kill, postgres-freeze, ...)
# Environment: FAULTS_BUILD (release, or debug: the build `deploy/local/test.sh` made; default
# release, debug with --short), FAULTS_SEED_EVENTS (events written into the store before the
# load, so the broker-restart fault republishes that many; default 100000, 0 with --short),
# FAULTS_KEEP_LOGS=DIR (keeps every log and the suite's records there).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
short=0
faults=()
for arg in "$@"; do
    case "$arg" in
        --short) short=1 ;;
        -*) echo "usage: Tests/Faults/run.sh [--short] [FAULT...]" >&2; exit 2 ;;
        *) faults+=("$arg") ;;
    esac
done
if [ "$short" = 1 ]; then build="${FAULTS_BUILD:-debug}"; seed="${FAULTS_SEED_EVENTS:-0}"
else build="${FAULTS_BUILD:-release}"; seed="${FAULTS_SEED_EVENTS:-100000}"; fi

# shellcheck source=../Benchmarks/lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
# shellcheck source=../../deploy/local/supervise.sh
source "$root/deploy/local/supervise.sh"

"$root/deploy/local/install-dependencies.sh"
export LD_LIBRARY_PATH="$root/.local/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "building ($build)..."
if [ "$build" = debug ]; then
    swift build --build-tests -Xswiftc -warnings-as-errors >/dev/null   # what deploy/local/test.sh builds
    bin="$(swift build --show-bin-path)"
else
    swift build -c release >/dev/null
    bin="$(swift build -c release --show-bin-path)"
fi

stack_init
trap faults_cleanup EXIT
supervise_dir="$work/pids"
mkdir -p "$work/logs"
documents_fs=""
faults_cleanup() {
    trap '' INT TERM
    supervise_stop_all
    if [ -n "$documents_fs" ]; then umount "$documents_fs" 2>/dev/null || umount -l "$documents_fs" 2>/dev/null || true; fi
    if [ -n "${FAULTS_KEEP_LOGS:-}" ]; then
        mkdir -p "$FAULTS_KEEP_LOGS"
        cp -r "$work/logs/." "$FAULTS_KEEP_LOGS/"
    fi
    rm -rf "$work"
}
trap 'exit 130' INT TERM

# --- PostgreSQL in the foreground, supervised (as run.sh runs it; trust auth on loopback) ---
pg_port="$(free_port)"
pg_data="$work/pg"
mkdir -p "$pg_data" "$work/pgrun"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pg_data" "$work/pgrun"
as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
pg_command=("$pg_bin/postgres" -D "$pg_data" -p "$pg_port" -c listen_addresses=127.0.0.1 -k "$work/pgrun" -c max_connections=300)
[ "$(id -u)" -eq 0 ] && pg_command=(setpriv --reuid=postgres --regid=postgres --init-groups "${pg_command[@]}")
supervise postgres "$work/logs/postgres.log" INT "${pg_command[@]}"
for _ in $(seq 1 600); do pg_isready -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.1; done
create_databases clientele_commands clientele_search clientele_stats clientele_documents clientele_gateway clientele_crm

# --- The broker and the services, each supervised --------------------------------------------
kafka_port="$(free_port)"
supervise broker "$work/logs/broker.log" TERM "$root/.local/bin/tansu" broker --listener-url "tcp://127.0.0.1:$kafka_port" \
    --advertised-listener-url "tcp://127.0.0.1:$kafka_port" --storage-engine memory://tansu/
for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$kafka_port") 2>/dev/null && break; sleep 0.1; done
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port"
export KAFKA_MESSAGE_TIMEOUT_MS="${KAFKA_MESSAGE_TIMEOUT_MS:-5000}"   # as deploy/local/run.sh sets it

admin_email="faults-root@clientele.test"
admin_password="faults-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
declare -A port
for name in command-service search-projection stats-projection document-store crm-sync gateway; do port[$name]="$(free_port)"; done
service() { # name [VAR=value...]
    local name="$1"; shift
    supervise "$name" "$work/logs/$name.log" TERM env HTTP_PORT="${port[$name]}" "$@" "$bin/$name"
}
service command-service DATABASE_URL="$(pg_url clientele_commands)"
service search-projection DATABASE_URL="$(pg_url clientele_search)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
service stats-projection DATABASE_URL="$(pg_url clientele_stats)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
# The document store's directory is a 64 MiB tmpfs of its own where the machine allows a mount
# (root), so the disk-full fault fills it without touching the machine's disks; otherwise that
# fault is reported as not run.
mkdir -p "$work/documents"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64m,mode=0700 clientele-fault-documents "$work/documents" 2>/dev/null; then
    documents_fs="$work/documents"
fi
service document-store DATABASE_URL="$(pg_url clientele_documents)" DOCUMENT_DIRECTORY="$work/documents" \
    COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
service crm-sync DATABASE_URL="$(pg_url clientele_crm)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
service gateway DATABASE_URL="$(pg_url clientele_gateway)" RATE_LIMIT_REQUESTS=0 SESSION_COOKIE_SECURE=false \
    ADMIN_EMAIL="$admin_email" ADMIN_PASSWORD="$admin_password" \
    COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" SEARCH_SERVICE_URL="http://127.0.0.1:${port[search-projection]}" \
    STATS_SERVICE_URL="http://127.0.0.1:${port[stats-projection]}" DOCUMENT_SERVICE_URL="http://127.0.0.1:${port[document-store]}"
for name in command-service search-projection stats-projection document-store crm-sync gateway; do
    ready=0
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:${port[$name]}/readyz" >/dev/null 2>&1 && { ready=1; break; }
        supervise_alive || break
        sleep 0.2
    done
    if [ "$ready" = 0 ]; then echo "error: $name did not become ready:" >&2; tail -n 20 "$work/logs/$name.log" >&2; exit 1; fi
done
echo "stack ready: PostgreSQL :$pg_port, broker :$kafka_port, gateway :${port[gateway]} ($work)"

# --- The suite ---------------------------------------------------------------------------------
ports_json="{"
for name in "${!port[@]}"; do ports_json+="\"$name\": ${port[$name]}, "; done
ports_json+="\"postgres\": $pg_port, \"broker\": $kafka_port}"
suite_args=(--work "$work" --bin "$bin" --ports "$ports_json" --admin-email "$admin_email" --seed-events "$seed")
[ "$short" = 1 ] && suite_args+=(--short)
[ -n "$documents_fs" ] && suite_args+=(--documents-fs "$documents_fs")
status=0
FAULTS_ADMIN_PASSWORD="$admin_password" python3 -B "$root/Tests/Faults/lib/faults.py" "${suite_args[@]}" "${faults[@]}" || status=$?
exit "$status"
