#!/usr/bin/env bash
# Benchmark: the care API through the gateway, each figure against a baseline measured in the
# same run on the same cluster.
#
#   details: GET /api/user/clientDetails/:id (a staff session; its access record committed
#            before each answer)  vs  GET /api/v1/clients/:id (an API key), random known clients
#   export:  GET /api/user/client/list/export of N clients (default 1,000,000; streamed CSV)
#            vs  psql's COPY (SELECT the same columns of the same rows) TO STDOUT WITH CSV
#
# The N clients are written straight into the search read model (one statement; creating a
# million through the command service is the create benchmark's business) for the benchmark's
# company, with care sections, so both GETs and both exports read the same rows.
# Release builds, LOG_LEVEL=warning, free loopback ports, everything stopped on exit. Not a
# test: it never fails on a number.
#
# usage: Tests/Benchmarks/care.sh [seconds=10] [connections=40] [clients=1000000]
#   BENCH_CARE_PHASES="details export" (the default) runs both; "export" the export alone.
#   BENCH_DETAILS_ROUNDS=N (default 3): the two GETs measured N times, alternating (v1, care,
#   v1, care...), so a change in the machine's load during the run falls on both; the ratio
#   reported is the median of the rounds' ratios (one round's ratio varied from 0.41 to 0.61
#   between runs of the same code on this 2-core machine).
#   BENCH_EXPORT_ROUNDS=N (default 1) runs the export N times after one COPY, each with the
#   CPU time each part spent per exported row (gateway, search projection, PostgreSQL);
#   with BENCH_PG_STATEMENTS=1 also the statements' time per exported row. BENCH_PERF=PREFIX
#   BENCH_PERF_RUN="export-1" BENCH_PERF_SERVICE=search-projection profiles round 1 (lib/stack.sh);
#   BENCH_PERF_RUN="v1 care" profiles the two GETs of round 1 ("v1-2 care-2": round 2). Each
#   GET prints its parts' CPU per answer (and with BENCH_PG_STATEMENTS=1 its statements' time
#   per answer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
seconds="${1:-10}"
connections="${2:-40}"
clients="${3:-1000000}"
phases="${BENCH_CARE_PHASES:-details export}"
export_rounds="${BENCH_EXPORT_ROUNDS:-1}"
details_rounds="${BENCH_DETAILS_ROUNDS:-3}"
lua="$root/Tests/Benchmarks/lua"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
start_stack


company="$(psql_gateway "SELECT id FROM companies WHERE name = 'Bench Ltd'")"
admin_password="bench-admin-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ADMIN_PASSWORD="$admin_password" DATABASE_URL="$(pg_url clientele_gateway)" "$bin/clientctl" create-admin --email root@bench.test >/dev/null
token="$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"root@bench.test\",\"password\":\"$admin_password\"}" \
    "$gateway/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"

echo "== seeding $clients care clients into the search read model"
seed_start="$(date +%s.%N)"
psql_search "SET statement_timeout = 0;
INSERT INTO clients (id, tenant_id, version, created_at, updated_at, deleted, number, has_joined, submission_count,
                     name, email, phone, status, care)
SELECT gen_random_uuid(), '$company'::uuid, 1, now() - make_interval(secs => i), now(), false, i, false, 0,
       'Jane Smith' || i, 'client' || i || '@example.com', '+614' || lpad((i % 100000000)::text, 8, '0'), 'active',
       jsonb_build_object('personalInfo', jsonb_build_object('firstName', 'Jane', 'lastName', 'Smith' || i,
                                                             'dateOfBirth', '1990-01-01', 'gender', 'female'),
                          'address', jsonb_build_object('street', i || ' Main St', 'suburb', 'Melbourne', 'state', 'VIC',
                                                        'postcode', '3000'),
                          'ndisDetails', jsonb_build_object('ndisNumber', (430000000 + i)::text, 'planStartDate', '2024-01-01',
                                                            'planEndDate', '2024-12-31'),
                          'medicalInfo', jsonb_build_object('allergies', jsonb_build_array('Peanuts')))
FROM generate_series(1, $clients) AS i;
" >/dev/null
# Every row's hint bits set and the visibility map filled before anything reads them: otherwise
# the first reader (the COPY baseline) pays for setting them and the export after it does not.
PGOPTIONS="-c statement_timeout=0" psql_search "VACUUM (ANALYZE) clients" >/dev/null
echo "   $(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$seed_start" "$(date +%s.%N)") s"
psql_search "SELECT id FROM clients WHERE tenant_id = '$company' ORDER BY random() LIMIT 5000" >"$work/uuids.txt"
psql_search "SELECT number FROM clients WHERE tenant_id = '$company' ORDER BY random() LIMIT 5000" >"$work/numbers.txt"

# get NAME IDS PATH_PREFIX TOKEN: prints "<requests/s> <p99 ms> <lua line>".
get() {
    TOKEN="$4" IDS="$2" PATH_PREFIX="$3" wrk -t2 -c"$connections" -d2s -s "$lua/get-care-clients.lua" "$gateway/" >/dev/null
    local before
    perf_start "$1"
    pg_statements_reset
    before="$(cpu_sample)"
    TOKEN="$4" IDS="$2" PATH_PREFIX="$3" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$lua/get-care-clients.lua" "$gateway/" \
        >"$work/$1.txt"
    perf_stop
    cpu_report "$before" "$(cpu_sample)" "$seconds" "$(awk '/requests in/ {print $1}' "$work/$1.txt")" >"$work/$1-cpu.txt"
    pg_statements_report "$(awk '/requests in/ {print $1}' "$work/$1.txt")" >>"$work/$1-cpu.txt"
    if ! grep -q '^lua: ok [0-9]* other 0$' "$work/$1.txt"; then
        { echo "   not every answer was 200; the last warnings and errors of the gateway and the search projection:"
          { grep -h '"level":"\(warning\|error\)"' "$work/gateway.log" "$work/search-projection.log" || true; } \
              | tail -n 8 | cut -c1-300 | sed 's/^/     /'
        } >>"$work/$1-cpu.txt"
    fi
    python3 - "$work/$1.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M).group(1)
value, unit = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)\b", text, re.M).groups()
lua = re.search(r"^lua: (.*)$", text, re.M).group(1)
print(rps, round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 3), lua.replace(" ", "_"))
PY
}
if [[ " $phases " == *" details "* ]]; then
    audit_before="$(psql_gateway "SELECT count(*) FROM care_access_log")"
    answers=0
    ratios=()
    for round in $(seq 1 "$details_rounds"); do
        suffix="$([ "$round" -eq 1 ] || echo "-$round")"
        echo "== round $round of $details_rounds: GET /api/v1/clients/:id (wrk -t2 -c$connections -d${seconds}s)"
        read -r v1_rps v1_p99 v1_lua < <(get "v1$suffix" "$work/uuids.txt" /api/v1/clients/ "$API_KEY")
        echo "   $v1_rps requests/s, p99 $v1_p99 ms ($v1_lua)"
        cat "$work/v1$suffix-cpu.txt"
        echo "== round $round of $details_rounds: GET /api/user/clientDetails/:id (wrk -t2 -c$connections -d${seconds}s)"
        read -r care_rps care_p99 care_lua < <(get "care$suffix" "$work/numbers.txt" /api/user/clientDetails/ "$token")
        echo "   $care_rps requests/s, p99 $care_p99 ms ($care_lua)"
        cat "$work/care$suffix-cpu.txt"
        answers=$((answers + $(awk '/requests in/ {print $1}' "$work/care$suffix.txt")))
        ratios+=("$(ratio "$care_rps" "$v1_rps")")
        echo "   round $round: care details vs /api/v1 ${ratios[-1]}"
    done
    details_ratio="$(python3 -c "import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:])), 3))" "${ratios[@]}")"
    audit_after="$(psql_gateway "SELECT count(*) FROM care_access_log")"
    echo "   access records written: $((audit_after - audit_before)) (care answers measured: $answers, warm-ups included in the records)"
fi

echo "== COPY (SELECT ...) TO STDOUT WITH CSV of the $clients rows"
copy_start="$(date +%s.%N)"
psql -h 127.0.0.1 -p "$pg_port" -U postgres -d clientele_search -qc \
    "COPY (SELECT number, care #>> '{personalInfo,firstName}', care #>> '{personalInfo,lastName}', email, ndis_number, status,
                  plan_manager, support_coordinator FROM clients WHERE tenant_id = '$company' AND NOT deleted ORDER BY number, id)
     TO STDOUT WITH CSV HEADER" >"$work/copy.csv"
copy_end="$(date +%s.%N)"
copy_s="$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$copy_start" "$copy_end")"
echo "   $copy_s s, $(($(wc -l <"$work/copy.csv") - 1)) rows"

if [[ " $phases " == *" export "* ]]; then
    for round in $(seq 1 "$export_rounds"); do
        echo "== GET /api/user/client/list/export of the $clients clients (round $round of $export_rounds)"
        records_before="$(psql_gateway "SELECT count(*) FROM care_access_log")"
        pg_statements_reset
        perf_start "export-$round"
        cpu_before="$(cpu_sample)"
        read -r export_s export_bytes < <(curl -fsS -o "$work/export.csv" -w '%{time_total} %{size_download}\n' \
            -H "Authorization: Bearer $token" "$gateway/api/user/client/list/export?companyId=$company")
        cpu_after="$(cpu_sample)"
        perf_stop
        export_rows="$(($(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig'))))" "$work/export.csv") - 1))"
        echo "   $export_s s, $export_rows rows, $export_bytes bytes, $(($(psql_gateway "SELECT count(*) FROM care_access_log") - records_before)) access records; gateway peak RSS $(awk '/VmHWM/ {print $2, $3}' "/proc/${svc_pid[gateway]}/status")"
        python3 - "$cpu_before" "$cpu_after" "$(getconf CLK_TCK)" "$export_rows" "$export_s" <<'PY'
import sys
def load(text): return {l.split()[0]: int(l.split()[1]) for l in text.strip().splitlines()}
before, after, hz, rows, seconds = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
parts = ["gateway", "search-projection", "postgres"]
print("   cpu per row: " + ", ".join(f"{p} {(after[p] - before[p]) / hz / rows * 1e6:.2f} us" for p in parts)
      + "; cores: " + ", ".join(f"{p} {(after[p] - before[p]) / hz / seconds:.2f}" for p in parts))
PY
        export_rate="$(python3 -c "import sys; print(round(int(sys.argv[1]) / float(sys.argv[2])))" "$export_rows" "$export_s")"
        copy_rate="$(python3 -c "import sys; print(round(int(sys.argv[1]) / float(sys.argv[2])))" "$clients" "$copy_s")"
        echo "   export rows vs COPY TO STDOUT rows: $export_rate/s against $copy_rate/s: $(ratio "$export_rate" "$copy_rate") (target >= 0.3)"
        pg_statements_report "$export_rows"
    done
fi

echo
echo "== summary (one run, $(nproc) cores; wrk -t2 -c$connections, ${seconds} s each)"
printf '%-52s %12s %9s %12s %8s  %s\n' "measurement" "per second" "p99 ms" "baseline/s" "ratio" "target"
if [[ " $phases " == *" details "* ]]; then
    printf '%-52s %12s %9s %12s %8s  %s\n' "GET care details (with audit) vs GET /api/v1" "$care_rps" "$care_p99" "$v1_rps" \
        "$details_ratio" "ratio >= 0.5"
    echo "   (per second and p99: the last round; ratio: the median of the rounds' ratios: ${ratios[*]})"
fi
if [[ " $phases " == *" export "* ]]; then
    printf '%-52s %12s %9s %12s %8s  %s\n' "export rows vs COPY TO STDOUT rows (last round)" "$export_rate" "" "$copy_rate" \
        "$(ratio "$export_rate" "$copy_rate")" "ratio >= 0.3"
fi
