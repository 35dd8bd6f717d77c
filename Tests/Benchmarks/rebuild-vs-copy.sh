#!/usr/bin/env bash
# Benchmark: rebuilding the search read model from the events log (`clientctl rebuild
# search`), against a plain COPY plus upsert of the same rows into the same PostgreSQL,
# measured in the same run. Target: the rebuild reaches at least 0.3 of the baseline's rate.
#
#   rebuild:  N client.created events (default 1,000,000) are written into the command
#             service's event store with SQL (as Tests/Benchmarks/admin-scale.sh does), sealed
#             and put on the log by `clientctl privacy encrypt-history`; the live search
#             projection applies them.
#             Then `clientctl rebuild search` replays the whole log into the shadow table and
#             swaps it in. Timed from the rebuild's start to its swap (`projection_rebuilds`
#             started_at .. finished_at, the swap's transaction), so the shadow's index builds
#             and the swap are included; events/s = events applied / that time.
#   baseline: the rows the rebuild produces (the read model's columns, exported from the live
#             table, so the same data) are COPYed into a temporary staging table, then
#             `INSERT INTO copy_target SELECT ... FROM staging ON CONFLICT (id) DO UPDATE ...`
#             (the projection's own version guard), in one transaction; rows/s = N / that time.
#             `copy_target` is created `LIKE clients INCLUDING ALL`: it carries every index,
#             constraint and generated column of the read model's table, so both sides write
#             the same rows into the same table definition (an index-less target would measure a
#             different table). The staging table is a temporary table without indexes, as a
#             bulk loader would use.
#
# Both run against the same cluster, one after the other (baseline first), with nothing else
# loading it. Release builds, LOG_LEVEL=warning, free loopback ports; everything is stopped on
# exit. Not a test: it never fails on a number. Service settings can be given through the
# environment (e.g. PROJECTION_BATCH_SIZE=2000). BENCH_PERF=FILE records a `perf` profile of
# the search projection for the first 20 s of the rebuild into FILE.
#
# usage: Tests/Benchmarks/rebuild-vs-copy.sh [events=1000000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
events="${1:-1000000}"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
stack_build
stack_init
start_postgres
create_databases clientele_commands clientele_search
start_broker
psql_db() { local db="$1"; shift; psql -h 127.0.0.1 -p "$pg_port" -U postgres -d "$db" -qAt -v ON_ERROR_STOP=1 "$@"; }
seconds_since() { python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 2))" "$1"; }

declare -A port
for name in command-service search-projection; do port[$name]="$(free_port)"; done
start_service command-service "${port[command-service]}" DATABASE_URL="$(pg_url clientele_commands)"
# LOG_LEVEL=info for the rebuild's own lines (the time its index builds took).
start_service search-projection "${port[search-projection]}" DATABASE_URL="$(pg_url clientele_search)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" LOG_LEVEL=info
search_pid="${pids[-1]}"
tenant="$(python3 -c 'import uuid; print(uuid.uuid4())')"

echo "== writing $events client.created events into the event store (SQL)"
psql_db clientele_commands -v ON_ERROR_STOP=1 -v n="$events" -v tenant="$tenant" -v actor=rebuild-vs-copy \
    -f "$root/Tests/Benchmarks/lib/seed-clients.sql"

# The events are stored as before sealing existed: `clientctl privacy encrypt-history` seals
# them (each client's personal fields under its own key) and republishes, so the projection
# and the rebuild read sealed events, as they do in use.
echo "== clientctl privacy encrypt-history (seals the events, then republishes), and the live search projection applying the log"
start="$(date +%s.%N)"
INTERNAL_TOKEN="$INTERNAL_TOKEN" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" \
    "$bin/clientctl" privacy encrypt-history >"$work/republish.txt" 2>&1 || { cat "$work/republish.txt"; exit 1; }
tail -n 1 "$work/republish.txt" | sed 's/^/   /'
for tick in $(seq 1 1800); do
    applied="$(psql_db clientele_search -c "SELECT coalesce(sum(next_offset), 0) FROM projection_offsets WHERE projection = 'search'")"
    [ "$applied" -ge "$events" ] && break
    [ $((tick % 15)) -eq 0 ] && echo "   ... $applied of $events"
    if [ "$tick" -eq 1800 ]; then echo "error: the live projection did not catch up within an hour" >&2; exit 1; fi
    sleep 2
done
echo "   $(seconds_since "$start") s"
rows="$(psql_db clientele_search -c "SELECT count(*) FROM clients")"
[ "$rows" -eq "$events" ] || { echo "error: $rows rows in clients, expected $events" >&2; exit 1; }
psql_db clientele_search -c "VACUUM ANALYZE clients" >/dev/null

# The read model's stored columns (generated ones are computed again on insert).
columns="$(psql_db clientele_search -c "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns
                                        WHERE table_name = 'clients' AND table_schema = 'public' AND is_generated = 'NEVER'")"
assignments="$(psql_db clientele_search -c "SELECT string_agg(column_name || ' = EXCLUDED.' || column_name, ', ' ORDER BY ordinal_position)
                                            FROM information_schema.columns WHERE table_name = 'clients' AND table_schema = 'public'
                                            AND is_generated = 'NEVER' AND column_name <> 'id'")"
psql_db clientele_search -c "\\copy (SELECT $columns FROM clients) TO '$work/rows.tsv'"

echo "== baseline: COPY of the $events rows into a staging table, then INSERT ... ON CONFLICT (id) DO UPDATE into a table like clients"
psql_db clientele_search -c "CREATE TABLE copy_target (LIKE clients INCLUDING ALL)"
psql_db clientele_search -c "CHECKPOINT"
start="$(date +%s.%N)"
psql_db clientele_search <<SQL
BEGIN;
CREATE TEMPORARY TABLE copy_staging ON COMMIT DROP AS SELECT $columns FROM clients WITH NO DATA;
\\copy copy_staging ($columns) FROM '$work/rows.tsv'
INSERT INTO copy_target ($columns) SELECT $columns FROM copy_staging
ON CONFLICT (id) DO UPDATE SET $assignments WHERE copy_target.version < EXCLUDED.version;
COMMIT;
SQL
baseline_seconds="$(seconds_since "$start")"
copied="$(psql_db clientele_search -c "SELECT count(*) FROM copy_target")"
echo "   $copied rows in $baseline_seconds s"
psql_db clientele_search -c "DROP TABLE copy_target"
psql_db clientele_search -c "CHECKPOINT"

echo "== clientctl rebuild search"
if [ -n "${BENCH_PERF:-}" ]; then
    perf record -F 999 -g -p "$search_pid" -o "$BENCH_PERF" -- sleep 20 >"$work/perf.txt" 2>&1 &
    perf_pid=$!
fi
cpu_before="$(awk '{print $14 + $15}' "/proc/$search_pid/stat")"
start="$(date +%s.%N)"
SEARCH_SERVICE_URL="http://127.0.0.1:${port[search-projection]}" INTERNAL_TOKEN="$INTERNAL_TOKEN" \
    "$bin/clientctl" rebuild search >"$work/rebuild.txt" 2>&1 || { cat "$work/rebuild.txt"; exit 1; }
clientctl_seconds="$(seconds_since "$start")"
cpu_after="$(awk '{print $14 + $15}' "/proc/$search_pid/stat")"
tail -n 1 "$work/rebuild.txt" | sed 's/^/   /'
read -r applied rebuild_seconds < <(psql_db clientele_search -F ' ' -c \
    "SELECT events_applied, round(extract(epoch FROM finished_at - started_at)::numeric, 2) FROM projection_rebuilds WHERE projection = 'search'")
projection_cpu="$(python3 -c "import os, sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / os.sysconf('SC_CLK_TCK'), 1))" "$cpu_before" "$cpu_after")"
index_seconds="$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if "rebuild completed the shadow" in line:
        print(json.loads(line).get("seconds", "?")); break
else: print("?")' "$work/search-projection.log")"
echo "   $applied events, start to swap $rebuild_seconds s (of which building the shadow's indexes $index_seconds s;" \
    "clientctl returned after $clientctl_seconds s); search projection CPU $projection_cpu s"
rows="$(psql_db clientele_search -c "SELECT count(*) FROM clients")"
[ "$rows" -eq "$events" ] || { echo "error: $rows rows after the rebuild, expected $events" >&2; exit 1; }
if [ -n "${perf_pid:-}" ]; then wait "$perf_pid" || true; fi

echo
echo "== summary (one run, $(nproc) cores, $events events)"
python3 - "$applied" "$rebuild_seconds" "$copied" "$baseline_seconds" <<'PY'
import sys
applied, rebuild_s, copied, baseline_s = map(float, sys.argv[1:])
rebuild, baseline = applied / rebuild_s, copied / baseline_s
print(f"   rebuild  {rebuild:10.0f} events/s ({applied:.0f} events, {rebuild_s:.1f} s start to swap)")
print(f"   baseline {baseline:10.0f} rows/s   ({copied:.0f} rows, {baseline_s:.1f} s COPY + upsert)")
print(f"   ratio    {rebuild / baseline:10.3f}          (target >= 0.3)")
PY
