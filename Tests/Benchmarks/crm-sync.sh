#!/usr/bin/env bash
# Benchmark: crm-sync sending N client changes (default 100,000) over C companies (default
# 1,000) to the fake CRM answering every call after 5 ms, against a plain loop posting the
# same batches to the same fake, as many calls at once, in the same run. Target: the sync
# reaches at least 0.5 of the loop's rate.
#
#   sync:     N client.created events over C companies are written into the command
#             service's event store with SQL (seed-clients.sql's profiles) and put on the log
#             by `clientctl republish`; crm-sync applies them into crm_contacts while every
#             company's sync is saved but disabled. Then every company is enabled at once (SQL,
#             and one PUT through crm-sync's internal route so it loads the settings) and the
#             clock runs until the fake holds N contacts: the backfill of N changes, loaded,
#             batched (100 per call, one call per company at a time, CRM_MAX_CONCURRENT_CALLS
#             at once) and acknowledged into crm_contacts.
#   baseline: the upsert calls the sync made (their bodies, read back from the fake) are posted
#             again to the same fake by a Python loop with as many keep-alive connections as
#             crm-sync's CRM_MAX_CONCURRENT_CALLS, each posting its share one after another.
#
# Release builds, LOG_LEVEL=warning, free loopback ports; everything is stopped on exit. Not a
# test: it never fails on a number. Service settings can be given through the environment
# (e.g. CRM_MAX_CONCURRENT_CALLS=32).
#
# usage: Tests/Benchmarks/crm-sync.sh [changes=100000] [companies=1000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
changes="${1:-100000}"
companies="${2:-1000}"
concurrency="${CRM_MAX_CONCURRENT_CALLS:-16}"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
stack_build
stack_init
start_postgres
create_databases clientele_commands clientele_crm
start_broker
psql_db() { local db="$1"; shift; psql -h 127.0.0.1 -p "$pg_port" -U postgres -d "$db" -qAt -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
seconds_since() { python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 3))" "$1"; }

# The fake CRM, 5 ms per answer.
"$bin/FakeCRMServer" --latency-ms 5 >"$work/fake-crm.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    fake="$(sed -n 's/^fake CRM listening at //p' "$work/fake-crm.log" | tail -n 1)"
    [ -n "$fake" ] && break
    sleep 0.1
done
[ -n "$fake" ] || { echo "error: the fake CRM did not start" >&2; cat "$work/fake-crm.log" >&2; exit 1; }

declare -A port
for name in command-service crm-sync; do port[$name]="$(free_port)"; done
start_service command-service "${port[command-service]}" DATABASE_URL="$(pg_url clientele_commands)"
start_service crm-sync "${port[crm-sync]}" DATABASE_URL="$(pg_url clientele_crm)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" \
    CRM_SECRET_KEY="$(head -c 32 /dev/urandom | base64 | tr -d '\n')" CRM_ALLOW_INSECURE=1 CRM_ALLOW_PRIVATE_ADDRESSES=1 \
    CRM_MAX_CONCURRENT_CALLS="$concurrency"
crm="http://127.0.0.1:${port[crm-sync]}"

echo "== writing $changes client.created events over $companies companies into the event store (SQL)"
psql_db clientele_commands -v n="$changes" -v companies="$companies" <<'SQL'
INSERT INTO events (event_id, stream_id, stream_version, tenant_id, type, schema_version, occurred_at,
                    actor_kind, actor_id, correlation_id, data)
SELECT gen_random_uuid(), gen_random_uuid(), 1, md5('crm-bench-company-' || (i % :companies))::uuid, 'client.created', 2,
       now(), 'system', 'crm-bench', 'crm-bench-seed',
       jsonb_build_object('number', i, 'profile', jsonb_build_object(
           'name', 'Client Number ' || i, 'email', 'client' || i || '@example.com', 'phone', '+1 555 ' || lpad(i::text, 7, '0'),
           'status', (ARRAY['active', 'active', 'inactive', 'trial'])[1 + i % 4], 'companyName', 'Company ' || (i % 5000),
           'jobTitle', 'Engineer', 'industry', 'Technology', 'website', 'https://example.com/' || i,
           'location', 'City ' || (i % 100) || ', Germany'))
FROM generate_series(1, :n) AS i;
SELECT setval('client_numbers', :n) AS seeded \gset
SQL
INTERNAL_TOKEN="$INTERNAL_TOKEN" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" \
    "$bin/clientctl" republish >"$work/republish.txt" 2>&1 || { cat "$work/republish.txt"; exit 1; }

echo "== saving $companies companies' CRM settings (disabled) and waiting for crm-sync to hold every client"
python3 - "$crm" "$INTERNAL_TOKEN" "$fake" "$companies" <<'PY'
import hashlib, json, sys, urllib.request, uuid
crm, token, fake, companies = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(companies):
    tenant = str(uuid.UUID(hashlib.md5(f"crm-bench-company-{i}".encode()).hexdigest()))
    body = json.dumps({"enabled": False, "baseUrl": fake, "accessToken": "bench-token"}).encode()
    request = urllib.request.Request(f"{crm}/v1/crm/companies/{tenant}", data=body, method="PUT",
                                     headers={"X-Internal-Token": token, "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
PY
for _ in $(seq 1 3000); do
    held="$(psql_db clientele_crm -c "SELECT count(*) FROM crm_contacts")"
    [ "$held" -ge "$changes" ] && break
    sleep 0.2
done
echo "   crm-sync holds $held clients"

echo "== sync: enabling every company; until the fake holds $changes contacts"
first_tenant="$(python3 -c 'import hashlib, uuid; print(uuid.UUID(hashlib.md5(b"crm-bench-company-0").hexdigest()))')"
start="$(now)"
psql_db clientele_crm -c "UPDATE crm_companies SET enabled = true"
curl -fsS -X PUT -H "X-Internal-Token: $INTERNAL_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"enabled\":true,\"baseUrl\":\"$fake\"}" "$crm/v1/crm/companies/$first_tenant" >/dev/null
for _ in $(seq 1 60000); do
    contacts="$(curl -fsS "$fake/__fake/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["contacts"])')"
    [ "$contacts" -ge "$changes" ] && break
    sleep 0.05
done
sync_seconds="$(seconds_since "$start")"
calls="$(curl -fsS "$fake/__fake/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["calls"])')"
echo "   $contacts contacts in $sync_seconds s ($calls calls)"

echo "== baseline: the same upsert bodies posted again by a plain loop, $concurrency connections"
loop_seconds="$(python3 - "$fake" "$concurrency" <<'PY'
import http.client, json, sys, threading, time, urllib.parse, urllib.request
fake, concurrency = sys.argv[1], int(sys.argv[2])
requests = json.load(urllib.request.urlopen(f"{fake}/__fake/requests"))
bodies = [json.dumps(r["body"]).encode() for r in requests if r["path"].endswith("/batch/upsert")]
host = urllib.parse.urlparse(fake)
def post(share):
    connection = http.client.HTTPConnection(host.hostname, host.port)
    for body in share:
        connection.request("POST", "/crm/v3/objects/contacts/batch/upsert", body,
                           {"Content-Type": "application/json", "Authorization": "Bearer bench-token"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
threads = [threading.Thread(target=post, args=(bodies[i::concurrency],)) for i in range(concurrency)]
start = time.time()
for thread in threads: thread.start()
for thread in threads: thread.join()
print(round(time.time() - start, 3))
PY
)"
python3 - "$changes" "$sync_seconds" "$loop_seconds" <<'PY'
import sys
changes, sync, loop = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"sync: {changes / sync:,.0f} changes/s ({sync} s); plain loop: {changes / loop:,.0f} changes/s ({loop} s); ratio {loop / sync:.2f} (target >= 0.5)")
PY
