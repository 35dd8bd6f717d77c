#!/usr/bin/env bash
# Benchmark: the admin clients API at scale (default 1,000,000 clients in one company),
# against a PostgreSQL baseline measured in the same run on the same cluster.
#
#   GET /api/admin/clients/stats                                  (target: p99 <= 20 ms)
#   GET /api/admin/clients/advanced-search, three filters and a sort (target: p99 <= 50 ms)
#   baseline: pgbench -S -M prepared -c 8 -j 2 on the same cluster (ratio printed)
#
# The clients are real events: one client.created per client is written straight into the
# command service's event store with SQL (generate_series; varied statuses, plans, account
# types, providers, locations, companies, industries, mixed by hashint4 so filters combine),
# `clientctl republish` puts them on the
# log, and the search and stats projections build their read models from it as they would in
# production. The time that takes is printed too. The caller is an admin of the company
# (lists and stats scoped to it). Release builds, LOG_LEVEL=warning, free loopback ports;
# everything is stopped on exit. Not a test: it never fails on a number.
#
# usage: Tests/Benchmarks/admin-scale.sh [clients=1000000] [seconds=10] [connections=8]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
clients="${1:-1000000}"
seconds="${2:-10}"
connections="${3:-8}"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
stack_build
stack_init
start_postgres
create_databases clientele_commands clientele_search clientele_stats clientele_documents clientele_gateway pgbench_baseline
start_broker
psql_db() { local db="$1"; shift; psql -h 127.0.0.1 -p "$pg_port" -U postgres -d "$db" -qAt "$@"; }

declare -A port
for name in command-service search-projection stats-projection document-store gateway; do port[$name]="$(free_port)"; done
admin_email="bench-root@clientele.test"
admin_password="bench-password-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_service command-service "${port[command-service]}" DATABASE_URL="$(pg_url clientele_commands)"
start_service search-projection "${port[search-projection]}" DATABASE_URL="$(pg_url clientele_search)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
start_service stats-projection "${port[stats-projection]}" DATABASE_URL="$(pg_url clientele_stats)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
start_service document-store "${port[document-store]}" DATABASE_URL="$(pg_url clientele_documents)" DOCUMENT_DIRECTORY="$work/documents"
start_service gateway "${port[gateway]}" DATABASE_URL="$(pg_url clientele_gateway)" RATE_LIMIT_REQUESTS=0 \
    ADMIN_EMAIL="$admin_email" ADMIN_PASSWORD="$admin_password" SESSION_COOKIE_SECURE=false \
    COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" SEARCH_SERVICE_URL="http://127.0.0.1:${port[search-projection]}" \
    STATS_SERVICE_URL="http://127.0.0.1:${port[stats-projection]}" DOCUMENT_SERVICE_URL="http://127.0.0.1:${port[document-store]}"
gateway="http://127.0.0.1:${port[gateway]}"

login() {
    curl -fsS "$gateway/api/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$2\"}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
root_token="$(login "$admin_email" "$admin_password")"
company="$(curl -fsS "$gateway/api/companies" -H "Authorization: Bearer $root_token" -H 'Content-Type: application/json' \
    -d '{"name":"Scale Ltd"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')"
curl -fsS "$gateway/api/users" -H "Authorization: Bearer $root_token" -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench-admin@clientele.test\",\"name\":\"Bench Admin\",\"password\":\"$admin_password\",\"roles\":[\"admin\"],\"companies\":[\"$company\"]}" >/dev/null
token="$(login bench-admin@clientele.test "$admin_password")"

echo "== writing $clients client.created events into the event store (SQL)"
seed_start="$(date +%s.%N)"
psql_db clientele_commands -v ON_ERROR_STOP=1 -v n="$clients" -v tenant="$company" -v actor=admin-scale \
    -f "$root/Tests/Benchmarks/lib/seed-clients.sql"
seed_end="$(date +%s.%N)"
echo "   $(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$seed_start" "$seed_end") s"

echo "== clientctl republish (the store onto the log) and both projections catching up"
replay_start="$(date +%s.%N)"
INTERNAL_TOKEN="$INTERNAL_TOKEN" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" \
    "$bin/clientctl" republish >"$work/republish.txt" 2>&1 || { cat "$work/republish.txt"; exit 1; }
republished="$(date +%s.%N)"
stats_total() {
    curl -fsS "$gateway/api/admin/clients/stats" -H "Authorization: Bearer $token" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["overview"]["totalClients"])' 2>/dev/null || echo 0
}
for tick in $(seq 1 3600); do
    search_rows="$(psql_db clientele_search -c "SELECT count(*) FROM clients")"
    stats_rows="$(stats_total)"
    [ "$search_rows" -ge "$clients" ] && [ "$stats_rows" -ge "$clients" ] && break
    [ $((tick % 30)) -eq 0 ] && echo "   ... search $search_rows, stats $stats_rows of $clients"
    if [ "$tick" -eq 3600 ]; then echo "error: the read models did not complete within an hour" >&2; exit 1; fi
    sleep 1
done
replay_end="$(date +%s.%N)"
python3 - "$replay_start" "$republished" "$replay_end" "$clients" <<'PY'
import sys
start, republished, end, n = map(float, sys.argv[1:])
print(f"   republish {republished - start:.1f} s; both read models complete after {end - start:.1f} s "
      f"({n / (end - start):.0f} events/s end to end)")
PY
# Measure the steady state: what autovacuum reaches shortly after a bulk load (the counters'
# rows were each updated up to a million times by the load).
psql_db clientele_search -c "VACUUM ANALYZE" >/dev/null
psql_db clientele_stats -c "VACUUM ANALYZE" >/dev/null

search_path="/api/admin/clients/advanced-search?status=active&plan=premium&accountType=business&sortBy=totalSubmissions&sortOrder=desc&limit=20"
echo "== sample answers"
curl -fsS "$gateway/api/admin/clients/stats" -H "Authorization: Bearer $token" | head -c 400; echo
curl -fsS "$gateway$search_path" -H "Authorization: Bearer $token" | python3 -c \
    'import json,sys; d=json.load(sys.stdin)["data"]; print("   advanced search:", d["pagination"], d["searchMetadata"])'

echo "== GET /api/admin/clients/stats (wrk -t2 -c$connections -d${seconds}s)"
wrk -t2 -c"$connections" -d2s -H "Authorization: Bearer $token" "$gateway/api/admin/clients/stats" >/dev/null
read -r stats_rps stats_p99 < <(wrk_measure "$gateway/api/admin/clients/stats" -t2 -c"$connections" -d"${seconds}s" \
    -H "Authorization: Bearer $token")
echo "   $stats_rps requests/s, p99 $stats_p99 ms"

echo "== GET advanced search: status, plan, accountType, sorted by totalSubmissions (wrk -t2 -c$connections -d${seconds}s)"
wrk -t2 -c"$connections" -d2s -H "Authorization: Bearer $token" "$gateway$search_path" >/dev/null
read -r search_rps search_p99 < <(wrk_measure "$gateway$search_path" -t2 -c"$connections" -d"${seconds}s" \
    -H "Authorization: Bearer $token")
echo "   $search_rps requests/s, p99 $search_p99 ms"

echo "== pgbench -S -M prepared -c 8 -j 2 -T $seconds (baseline)"
pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -i -s 10 -q pgbench_baseline >"$work/pgbench-init.txt" 2>&1
pgbench -h 127.0.0.1 -p "$pg_port" -U postgres -S -M prepared -c 8 -j 2 -T "$seconds" pgbench_baseline >"$work/pgbench-S.txt" 2>&1
select_tps="$(awk '/^tps = / {print $3; exit}' "$work/pgbench-S.txt")"
echo "   $select_tps tps"

echo
echo "== summary (one run, $(nproc) cores, $clients clients in one company; wrk -t2 -c$connections, ${seconds} s each)"
printf '%-52s %12s %9s %12s %8s  %s\n' "measurement" "per second" "p99 ms" "baseline/s" "ratio" "target"
printf '%-52s %12s %9s %12s %8s  %s\n' "GET /api/admin/clients/stats vs pgbench -S" "$stats_rps" "$stats_p99" "$select_tps" \
    "$(ratio "$stats_rps" "$select_tps")" "p99 <= 20 ms"
printf '%-52s %12s %9s %12s %8s  %s\n' "advanced search (3 filters + sort) vs pgbench -S" "$search_rps" "$search_p99" "$select_tps" \
    "$(ratio "$search_rps" "$select_tps")" "p99 <= 50 ms"
