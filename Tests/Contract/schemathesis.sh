#!/usr/bin/env bash
# The contract check: runs schemathesis (pinned, from PyPI, into .local/schemathesis) with all
# its checks and every phase against /openapi.json of a Clientele stack this script starts
# (the debug build, a private PostgreSQL and broker on free ports), with a super-admin
# session for the staff APIs and an API key for /api/v1. Any finding fails the run.
#
# Settings and exclusions are in Tests/Contract/schemathesis.toml.in, each with its reason;
# Tests/Contract/hooks.py points the cases meant to be valid at records that exist. The
# placeholder routes of APIs not built yet (GatewayRoutes.placeholders, 501 to everything)
# are not in the document, so schemathesis never calls them.
# CLIENTELE_CONTRACT_EXAMPLES (default 25: about 2 minutes here) is the examples per operation
# and phase; generation is deterministic (the same cases every run). CLIENTELE_CONTRACT_LOGS
# names a directory to keep the services' logs, the report and the document in. Extra
# arguments go to `st run`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
schemathesis_version=4.32.5

"$root/deploy/local/install-dependencies.sh"
venv="$root/.local/schemathesis"
if [ "$("$venv/bin/st" --version 2>/dev/null | awk '{print $NF}')" != "$schemathesis_version" ]; then
    echo "installing schemathesis $schemathesis_version into .local/schemathesis"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

# The same flags as deploy/local/test.sh, so that after it this builds nothing.
swift build --build-tests -Xswiftc -warnings-as-errors | tail -n 1
bin="$(swift build --show-bin-path)"

# shellcheck source=../Benchmarks/lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
stack_init
start_postgres
create_databases clientele_commands clientele_search clientele_stats clientele_documents clientele_gateway clientele_crm
start_broker
declare -A port
for name in command-service search-projection stats-projection document-store crm-sync gateway; do port[$name]="$(free_port)"; done
start_service command-service "${port[command-service]}" DATABASE_URL="$(pg_url clientele_commands)"
start_service search-projection "${port[search-projection]}" DATABASE_URL="$(pg_url clientele_search)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
start_service stats-projection "${port[stats-projection]}" DATABASE_URL="$(pg_url clientele_stats)" COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
start_service document-store "${port[document-store]}" DATABASE_URL="$(pg_url clientele_documents)" DOCUMENT_DIRECTORY="$work/documents" \
    COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
# crm-sync with a key to seal the companies' CRM tokens, as run.sh gives it (the CRM settings
# routes answer 503 without one). What differs from a user's crm-sync, and why:
# CRM_ALLOW_PRIVATE_ADDRESSES, so that valid settings cases can name a host that resolves on
# a machine without DNS (loopback; hooks.py).
start_service crm-sync "${port[crm-sync]}" DATABASE_URL="$(pg_url clientele_crm)" CRM_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
    CRM_ALLOW_PRIVATE_ADDRESSES=1 COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}"
admin_email=contract-admin@clientele.test
admin_password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
# What differs from a user's gateway, and why: RATE_LIMIT_REQUESTS is far above the default
# 600 per minute (the run sends thousands of requests as one key and one user; the limiter
# stays on, so its headers are checked), and the login throttle's limits are far above
# theirs (the fuzzer fails hundreds of logins from one address; 429 is declared either way).
start_service gateway "${port[gateway]}" DATABASE_URL="$(pg_url clientele_gateway)" \
    ADMIN_EMAIL="$admin_email" ADMIN_PASSWORD="$admin_password" SESSION_COOKIE_SECURE=false \
    RATE_LIMIT_REQUESTS=1000000 RATE_LIMIT_WINDOW_SECONDS=60 \
    LOGIN_MAX_FAILURES=1000 LOGIN_MAX_FAILURES_PER_ACCOUNT=100000 LOGIN_MAX_FAILURES_PER_ADDRESS=100000 \
    COMMAND_SERVICE_URL="http://127.0.0.1:${port[command-service]}" SEARCH_SERVICE_URL="http://127.0.0.1:${port[search-projection]}" \
    STATS_SERVICE_URL="http://127.0.0.1:${port[stats-projection]}" DOCUMENT_SERVICE_URL="http://127.0.0.1:${port[document-store]}" \
    CRM_SYNC_URL="http://127.0.0.1:${port[crm-sync]}"
gateway="http://127.0.0.1:${port[gateway]}"

# The records the run's requests refer to (hooks.py names them): a company with an API key,
# an agent user of that company (a lead's `agents` must name one), a spare user and key that
# requests aimed at the run's own credentials go to instead, a lead with a passport and a
# care document for the document routes, a care client for the care routes, and a health
# carer for the appointments.
DATABASE_URL="$(pg_url clientele_gateway)" "$bin/clientctl" company create "Contract Ltd" >/dev/null
API_KEY="$(DATABASE_URL="$(pg_url clientele_gateway)" "$bin/clientctl" api-key issue --company "Contract Ltd" | awk 'END {print $NF}')"
json_field() { python3 -c 'import json, sys; value = json.load(sys.stdin); [value := value[int(k) if k.isdigit() else k] for k in sys.argv[1].split(".")]; print(value)' "$1"; }
staff() { # staff METHOD PATH [JSON]: the super-admin's call, its answer's body
    curl -fsS -X "$1" -H "Authorization: Bearer $session" -H 'Content-Type: application/json' ${3:+-d "$3"} "$gateway$2"
}
login="$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" \
    "$gateway/api/auth/login")"
session="$(echo "$login" | json_field token)"
ADMIN_ID="$(echo "$login" | json_field user.id)"
companies="$(staff GET /api/companies)"
COMPANY_ID="$(echo "$companies" | json_field data.0.id)"
COMPANY_NUMBER="$(echo "$companies" | json_field data.0.number)"
agent() { # agent NAME: a new agent user of the company, its answer's body
    staff POST /api/users "{\"email\":\"$1@clientele.test\",\"name\":\"$1\",\"password\":\"$admin_password\",\"roles\":[\"agent\"],\"companies\":[\"$COMPANY_ID\"]}"
}
agent_user="$(agent contract-agent)"
AGENT_ID="$(echo "$agent_user" | json_field data.id)"
AGENT_NUMBER="$(echo "$agent_user" | json_field data.number)"
SPARE_USER_ID="$(agent contract-spare | json_field data.id)"
API_KEY_ID="$(staff GET /api/api-keys | json_field data.0.id)"
SPARE_KEY_ID="$(staff POST /api/api-keys "{\"companyId\":\"$COMPANY_ID\"}" | json_field data.id)"
# A lead with a passport and a care document, which valid upload and download cases name.
staff POST /api/clients "{\"name\":\"Contract Lead\",\"email\":\"contract-lead@clientele.test\",\"company\":$COMPANY_NUMBER}" >/dev/null
LEAD_NUMBER="$(staff GET '/api/clients?page=1' | json_field leads.0.id)"
upload() { # upload PATH FORM...: the super-admin's multipart upload, its answer's body
    local path="$1"
    shift
    curl -fsS -H "Authorization: Bearer $session" "$@" "$gateway$path"
}
printf '%%PDF-1.4\n%% contract passport\n' >"$work/passport.pdf"
printf 'Contract care notes.\n' >"$work/notes.txt"
upload "/api/clients/passport/$LEAD_NUMBER" -F "passport=@$work/passport.pdf" >/dev/null
CARE_DOCUMENT_ID="$(upload /api/document/upload -F "clientId=$LEAD_NUMBER" -F documentType=report -F "file=@$work/notes.txt" |
    json_field data.id)"
# A care client (with its care sections), which valid care detail and update cases name.
CARE_CLIENT_NUMBER="$(staff POST /api/clientDetails/create "{\"companyId\":\"$COMPANY_ID\",\"personalInfo\":{\"firstName\":\"Contract\",\"lastName\":\"Care\"},\"ndisDetails\":{\"ndisNumber\":\"430000001\"}}" |
    json_field data.id)"
export API_KEY COMPANY_ID COMPANY_NUMBER AGENT_ID AGENT_NUMBER ADMIN_ID SPARE_USER_ID API_KEY_ID SPARE_KEY_ID INTERNAL_TOKEN
# A health carer of the company, whom valid appointment cases book.
CARER_ID="$(staff POST /api/users "{\"email\":\"contract-carer@clientele.test\",\"name\":\"Contract Carer\",\"password\":\"$admin_password\",\"roles\":[\"health-carer\"],\"companies\":[\"$COMPANY_ID\"]}" |
    json_field data.id)"
# A goal with a task, a medication and an appointment of the care client, which valid cases
# of the routes naming one by `{id}` (`{taskId}`) name.
GOAL="$(staff POST /api/goal/create "{\"clientId\":\"$CARE_CLIENT_NUMBER\",\"title\":\"Contract goal\"}")"
GOAL_ID="$(echo "$GOAL" | json_field data.id)"
TASK_ID="$(staff POST "/api/goal/$GOAL_ID/tasks" '{"title":"Contract task"}' | json_field data.tasks.0.id)"
MEDICATION_ID="$(staff POST /api/medication/create "{\"clientId\":\"$CARE_CLIENT_NUMBER\",\"medicineName\":\"Contract\",\"dose\":\"1\",\"frequency\":\"Daily\",\"startDate\":\"2000-01-01\"}" |
    json_field data.id)"
APPOINTMENT_ID="$(staff POST /api/appointment/create "{\"clientId\":\"$CARE_CLIENT_NUMBER\",\"healthCarerId\":\"$CARER_ID\",\"date\":\"2030-01-01\",\"startTime\":\"09:00\",\"endTime\":\"10:00\",\"serviceType\":\"Contract\"}" |
    json_field data.id)"
export LEAD_NUMBER CARE_DOCUMENT_ID CARE_CLIENT_NUMBER CARER_ID GOAL_ID TASK_ID MEDICATION_ID APPOINTMENT_ID
export CONTRACT_ADMIN_EMAIL="$admin_email" CONTRACT_ADMIN_PASSWORD="$admin_password"
export CONTRACT_HOOKS="$root/Tests/Contract/hooks.py"
python3 -c 'import os, string, sys; sys.stdout.write(string.Template(sys.stdin.read()).substitute(os.environ))' \
    <"$root/Tests/Contract/schemathesis.toml.in" >"$work/schemathesis.toml"

started=$SECONDS
status=0
# Run from the scratch directory: schemathesis keeps its example database in the working directory.
(cd "$work" && "$venv/bin/st" --config-file "$work/schemathesis.toml" run "$gateway/openapi.json" \
    --checks all --phases examples,coverage,fuzzing,stateful --generation-deterministic \
    --max-examples "${CLIENTELE_CONTRACT_EXAMPLES:-25}" \
    --no-color --report junit --report-dir "$work/report" "$@") || status=$?
echo "schemathesis: exit $status after $((SECONDS - started)) s"
if [ -n "${CLIENTELE_CONTRACT_LOGS:-}" ]; then
    mkdir -p "$CLIENTELE_CONTRACT_LOGS"
    cp -r "$work"/*.log "$work/report" "$CLIENTELE_CONTRACT_LOGS/" 2>/dev/null || true
    curl -fsS "$gateway/openapi.json" >"$CLIENTELE_CONTRACT_LOGS/openapi.json" || true
fi
exit "$status"
