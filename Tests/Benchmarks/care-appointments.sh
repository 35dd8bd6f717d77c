#!/usr/bin/env bash
# Benchmark: the care API's appointment reads through the gateway (targets from issue 22).
#
#   month:   GET /api/appointment/appointmentListsClient/:clientId?startDate=&endDate= — one
#            client's appointments of one month out of 10,000 (about 150 a month over five and a
#            half years, five carers), as the super-admin           target: p99 <= 20 ms
#   carer:   GET /api/appointment/getClientList/healthCarerId/:id — a health carer's client
#            list over 1,000 clients (three appointments each), as the carer itself
#                                                                   target: p99 <= 20 ms
#
# Each answer includes its access record, committed before it goes (the care access audit).
# The clients and appointments are written straight into the search read model (one statement
# each, and the carers' lists `care_carer_clients` from them as the projection keeps them;
# booking them through the command service is not what is measured), the carers are real
# users made through the API. Release builds, LOG_LEVEL=warning, free loopback ports,
# everything stopped on exit. Not a test: it never fails on a number.
#
# Each run prints each process's CPU per answer; BENCH_PG_STATEMENTS=1 adds the statements
# that took the most time during it (pg_stat_statements), each with its time per answer.
# BENCH_GATEWAY_SQL runs on the gateway's database once the data is seeded (to measure an
# alternative, e.g. "ALTER TABLE care_access_log ALTER client_ids SET STORAGE EXTENDED").
#
# usage: Tests/Benchmarks/care-appointments.sh [seconds=10] [connections=8]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
seconds="${1:-10}"
connections="${2:-8}"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
start_stack

json_field() { python3 -c 'import json, sys; value = json.load(sys.stdin); [value := value[int(k) if k.isdigit() else k] for k in sys.argv[1].split(".")]; print(value)' "$1"; }

company="$(psql_gateway "SELECT id FROM companies WHERE name = 'Bench Ltd'")"
password="bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ADMIN_PASSWORD="$password" DATABASE_URL="$(pg_url clientele_gateway)" "$bin/clientctl" create-admin --email root@bench.test >/dev/null
login() { curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$password\"}" "$gateway/api/auth/login" | json_field token; }
token="$(login root@bench.test)"
carer() { # carer NAME: a new health carer of the company; prints its id
    curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1@bench.test\",\"name\":\"$1\",\"password\":\"$password\",\"roles\":[\"health-carer\"],\"companies\":[\"$company\"]}" \
        "$gateway/api/users" | json_field data.id
}
carers=()
for index in 1 2 3 4 5; do carers+=("$(carer "carer$index")"); done
busy="$(carer busy-carer)"
busy_token="$(login busy-carer@bench.test)"

echo "== seeding 1,001 care clients, 10,000 appointments of one client and 3,000 of one carer"
carer_array="ARRAY['${carers[0]}','${carers[1]}','${carers[2]}','${carers[3]}','${carers[4]}']::uuid[]"
psql_search "SET statement_timeout = 0;
INSERT INTO clients (id, tenant_id, version, created_at, updated_at, deleted, number, has_joined, submission_count, name, status, care)
SELECT gen_random_uuid(), '$company'::uuid, 1, now(), now(), false, i, false, 0, 'Jane Smith' || i, 'active',
       jsonb_build_object('personalInfo', jsonb_build_object('firstName', 'Jane', 'lastName', 'Smith' || i),
                          'ndisDetails', jsonb_build_object('ndisNumber', (430000000 + i)::text))
FROM generate_series(1, 1001) AS i;
INSERT INTO care_appointments (id, client_id, tenant_id, carer_id, starts_at, ends_at, service_type, status, version)
SELECT gen_random_uuid(), c.id, c.tenant_id, ($carer_array)[i % 5 + 1],
       timestamptz '2023-12-31 21:00Z' + make_interval(days => i / 5, hours => (i % 5) * 2),
       timestamptz '2023-12-31 22:00Z' + make_interval(days => i / 5, hours => (i % 5) * 2),
       'Support Work', CASE WHEN i % 7 = 0 THEN 'completed' ELSE 'scheduled' END, 2 + i
FROM generate_series(0, 9999) AS i, clients c WHERE c.number = 1001;
INSERT INTO care_appointments (id, client_id, tenant_id, carer_id, starts_at, ends_at, service_type, status, version)
SELECT gen_random_uuid(), c.id, c.tenant_id, '$busy'::uuid,
       timestamptz '2026-01-05 22:00Z' + make_interval(days => c.number::int * 3 + k),
       timestamptz '2026-01-05 23:00Z' + make_interval(days => c.number::int * 3 + k), 'Support Work', 'scheduled', 2 + k
FROM clients c, generate_series(0, 2) AS k WHERE c.number <= 1000 AND c.tenant_id = '$company'::uuid;
INSERT INTO care_carer_clients (carer_id, client_id, tenant_id, number, name, first_name, last_name, appointment_count)
SELECT n.carer_id, c.id, c.tenant_id, c.number, c.name, c.care #>> '{personalInfo,firstName}', c.care #>> '{personalInfo,lastName}', n.count
FROM (SELECT carer_id, client_id, tenant_id, count(*) AS count FROM care_appointments GROUP BY carer_id, client_id, tenant_id) AS n
JOIN clients c ON c.id = n.client_id AND c.tenant_id = n.tenant_id AND NOT c.deleted;
ANALYZE clients; ANALYZE care_appointments; ANALYZE care_carer_clients;" >/dev/null
if [ -n "${BENCH_GATEWAY_SQL:-}" ]; then psql_gateway "$BENCH_GATEWAY_SQL" >/dev/null; fi
month="$(curl -fsS -H "Authorization: Bearer $token" \
    "$gateway/api/appointment/appointmentListsClient/1001?startDate=2026-03-01&endDate=2026-03-31" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]))')"
listed="$(curl -fsS -H "Authorization: Bearer $busy_token" "$gateway/api/appointment/getClientList/healthCarerId/$busy" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]))')"
echo "   one month: $month appointments; the carer's list: $listed clients"
# The read model's own time for each answer's query (the search projection's statements).
explain() { psql_search "EXPLAIN (ANALYZE, FORMAT JSON) $1" | python3 -c 'import json, sys; print(round(json.load(sys.stdin)[0]["Execution Time"], 2))'; }
month_sql_ms="$(explain "SELECT id, client_id, carer_id, starts_at, ends_at, service_type, status FROM care_appointments
    WHERE client_id = (SELECT id FROM clients WHERE number = 1001) AND tenant_id = '$company'
      AND starts_at >= '2026-02-28 13:00Z' AND starts_at < '2026-03-31 13:00Z' ORDER BY starts_at, id LIMIT 1000")"
carer_sql_ms="$(explain "SELECT client_id, number, name, first_name, last_name, appointment_count FROM care_carer_clients
    WHERE carer_id = '$busy' AND tenant_id = ANY(ARRAY['$company']::uuid[]) ORDER BY number, client_id")"
echo "   query execution: month $month_sql_ms ms, carer list $carer_sql_ms ms"

run() { # run NAME TOKEN PATH: warms up, then measures; prints "<requests/s> <p99 ms>"
    wrk -t2 -c"$connections" -d2s -H "Authorization: Bearer $2" "$gateway$3" >/dev/null
    pg_statements_reset
    wrk_run "$1" "$gateway$3" -t2 -c"$connections" -d"${seconds}s" -H "Authorization: Bearer $2"
}
# statements NAME: with BENCH_PG_STATEMENTS=1, the run's statements, time per answer (after `run`
# has ended: it runs in a process substitution).
statements() { pg_statements_report "$(awk '/requests in/ {print $1}' "$work/$1.txt")"; }
echo "== GET one month of a client's appointments (wrk -t2 -c$connections -d${seconds}s)"
read -r month_rps month_p99 < <(run month "$token" "/api/appointment/appointmentListsClient/1001?startDate=2026-03-01&endDate=2026-03-31")
echo "   $month_rps requests/s, p99 $month_p99 ms"
cat "$work/month.cpu"
statements month
echo "== GET a carer's client list of 1,000 (wrk -t2 -c$connections -d${seconds}s)"
read -r carer_rps carer_p99 < <(run carer "$busy_token" "/api/appointment/getClientList/healthCarerId/$busy")
echo "   $carer_rps requests/s, p99 $carer_p99 ms"
cat "$work/carer.cpu"
statements carer

echo
echo "== summary (one run, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c$connections, ${seconds} s each)"
printf '%-64s %12s %9s  %s\n' "measurement" "per second" "p99 ms" "target"
printf '%-64s %12s %9s  %s\n' "a client's month ($month of 10,000 appointments)" "$month_rps" "$month_p99" "p99 <= 20 ms"
printf '%-64s %12s %9s  %s\n' "a carer's client list ($listed clients)" "$carer_rps" "$carer_p99" "p99 <= 20 ms"
echo "read model query execution: month $month_sql_ms ms, carer list $carer_sql_ms ms"
