#!/usr/bin/env bash
# Runs the whole system on this machine: a private PostgreSQL cluster (data kept in
# .local/postgres, so it survives restarts), a Kafka-protocol broker (Tansu, in memory),
# and every Clientele service. Prints the gateway URL; Ctrl-C stops everything it started,
# in order (the gateway first, PostgreSQL last).
#
# Every process is supervised (deploy/local/supervise.sh): one that exits is started again
# with a capped exponential backoff, as compose's `restart: unless-stopped` would, and each
# restart is a line in this terminal. A process that cannot start (exit status 78, a
# configuration error) stops everything, with its last log lines. Pids are in .local/pids.
#
# Settings (environment): GATEWAY_PORT (8080), CLIENTELE_PG_PORT (55432),
# CLIENTELE_KAFKA_PORT (59092), CLIENTELE_BUILD (release|debug), CRM_FAKE (1: a fake CRM for crm-sync), and every service variable
# in docs/configuration.md (Service variables).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
state="$root/.local"
pg_port="${CLIENTELE_PG_PORT:-55432}"
kafka_port="${CLIENTELE_KAFKA_PORT:-59092}"
gateway_port="${GATEWAY_PORT:-8080}"
build="${CLIENTELE_BUILD:-release}"
pg_bin=/usr/lib/postgresql/15/bin

./deploy/local/install-dependencies.sh
export LD_LIBRARY_PATH="$state/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "building ($build)..."
mkdir -p "$state/logs"
if ! swift build -c "$build" >"$state/logs/build.log" 2>&1; then
    tail -n 40 "$state/logs/build.log" >&2
    echo "error: the build failed; the whole log is in .local/logs/build.log" >&2
    exit 1
fi
bin="$(swift build -c "$build" --show-bin-path)"

# shellcheck source=supervise.sh
source "$root/deploy/local/supervise.sh"
supervise_dir="$state/pids"
stop_all() { # exit status
    trap '' INT TERM
    trap - EXIT
    echo
    echo "stopping..."
    supervise_stop_all
    echo "stopped."
    exit "${1:-0}"
}
trap 'stop_all 0' INT TERM
trap 'stop_all 1' EXIT

# PostgreSQL refuses to run as root: run it as the postgres user on a directory it owns.
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# --- PostgreSQL: a private cluster in .local/postgres -------------------------------------
mkdir -p "$state/postgres"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$state/postgres"
    if ! runuser -u postgres -- test -w "$state/postgres"; then
        echo "error: the postgres user cannot reach $state/postgres (a parent directory is not searchable by it);" >&2
        echo "       clone the project somewhere world-searchable, such as /work or /srv." >&2
        exit 1
    fi
fi
if [ ! -s "$state/postgres/password" ]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$state/postgres/password"
fi
chmod 600 "$state/postgres/password"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$state/postgres/password"
pg_password="$(cat "$state/postgres/password")"
if [ ! -f "$state/postgres/data/PG_VERSION" ]; then
    echo "creating the PostgreSQL cluster in .local/postgres/data"
    as_postgres "$pg_bin/initdb" -D "$state/postgres/data" -U postgres --auth=scram-sha-256 \
        --pwfile="$state/postgres/password" -E UTF8 --locale=C.UTF-8 >"$state/logs/initdb.log"
fi
mkdir -p "$state/postgres/run"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$state/postgres/run"
if as_postgres "$pg_bin/pg_ctl" -D "$state/postgres/data" status >/dev/null 2>&1; then
    echo "error: the PostgreSQL cluster in .local/postgres/data is already running (another run.sh?)." >&2
    echo "       If nothing else uses it: runuser -u postgres -- $pg_bin/pg_ctl -D $state/postgres/data stop" >&2
    exit 1
fi
# In the foreground, under supervision (setpriv runs it as the postgres user without a
# process in between, so its pid is the postmaster's).
pg_command=("$pg_bin/postgres" -D "$state/postgres/data" -p "$pg_port" -c listen_addresses=127.0.0.1 -k "$state/postgres/run")
[ "$(id -u)" -eq 0 ] && pg_command=(setpriv --reuid=postgres --regid=postgres --init-groups "${pg_command[@]}")
supervise postgres "$state/logs/postgres.log" INT "${pg_command[@]}"
for _ in $(seq 1 600); do
    pg_isready -q -h 127.0.0.1 -p "$pg_port" && break
    supervise_alive || exit 1
    sleep 0.1
done
pg_isready -q -h 127.0.0.1 -p "$pg_port" || { echo "error: PostgreSQL did not start; see .local/logs/postgres.log" >&2; exit 1; }
pg_url() { echo "postgresql://postgres:${pg_password}@127.0.0.1:${pg_port}/$1"; }
for db in clientele_commands clientele_search clientele_stats clientele_documents clientele_gateway clientele_crm; do
    PGPASSWORD="$pg_password" psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
        PGPASSWORD="$pg_password" psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE $db" 
done
echo "PostgreSQL: 127.0.0.1:$pg_port (data in .local/postgres/data)"

# --- The broker: Tansu, memory storage (its log is gone when it stops) ---------------------
supervise broker "$state/logs/broker.log" TERM "$state/bin/tansu" broker --listener-url "tcp://127.0.0.1:$kafka_port" \
    --advertised-listener-url "tcp://127.0.0.1:$kafka_port" --storage-engine memory://tansu/
for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$kafka_port") 2>/dev/null && break; sleep 0.1; done
echo "Kafka-protocol broker: 127.0.0.1:$kafka_port"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port"
# One partition on one machine: each projection runs one consumer anyway, and this broker's
# fetches cost more the more batches each fetched partition holds (docs/performance.md).
export EVENTS_TOPIC_PARTITIONS="${EVENTS_TOPIC_PARTITIONS:-1}"
# A producer connected when this broker restarts can stall until its messages time out; only
# then does the relay notice the lost log and republish (README, Recovering from a lost broker
# log). 5 s instead of librdkafka's 30 s keeps that recovery within seconds (Tests/Faults times it).
export KAFKA_MESSAGE_TIMEOUT_MS="${KAFKA_MESSAGE_TIMEOUT_MS:-5000}"

# --- Services ------------------------------------------------------------------------------
admin_file="$state/admin-credentials"
if [ ! -s "$admin_file" ]; then
    printf 'ADMIN_EMAIL=admin@clientele.local\nADMIN_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >"$admin_file"
    chmod 600 "$admin_file"
fi
# shellcheck disable=SC1090
source "$admin_file"
export ADMIN_EMAIL ADMIN_PASSWORD
# The shared secret internal calls carry (X-Internal-Token), kept across runs.
token_file="$state/internal-token"
if [ ! -s "$token_file" ]; then
    head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$token_file"
    chmod 600 "$token_file"
fi
INTERNAL_TOKEN="$(cat "$token_file")"
export INTERNAL_TOKEN
# The gateway's session signing key (JWT_KEYS, kid:base64secret), kept across runs so logins
# survive a restart. To rotate: put a new kid:secret in front, drop the old one after JWT_TTL_SECONDS.
jwt_file="$state/jwt-keys"
if [ ! -s "$jwt_file" ]; then
    printf 'local1:%s' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >"$jwt_file"
    chmod 600 "$jwt_file"
fi
JWT_KEYS="$(cat "$jwt_file")"
export JWT_KEYS

# The key that seals the companies' CRM access tokens (CRM_SECRET_KEY), kept across runs so
# the stored tokens stay readable.
crm_key_file="$state/crm-secret-key"
if [ ! -s "$crm_key_file" ]; then
    head -c 32 /dev/urandom | base64 | tr -d '\n' >"$crm_key_file"
    chmod 600 "$crm_key_file"
fi

# The command service's master key (DATA_MASTER_KEY), which wraps every client's data key;
# kept across runs, or no stored client's personal data could be read again.
data_key_file="$state/data-master-key"
if [ ! -s "$data_key_file" ]; then
    head -c 32 /dev/urandom | base64 | tr -d '\n' >"$data_key_file"
    chmod 600 "$data_key_file"
fi

start_service() { # name port [VAR=value...]
    local name="$1" port="$2"; shift 2
    supervise "$name" "$state/logs/$name.log" TERM env HTTP_PORT="$port" "$@" "$bin/$name"
}
start_service command-service 8181 DATABASE_URL="$(pg_url clientele_commands)" DATA_MASTER_KEY="$(cat "$data_key_file")"
start_service search-projection 8182 DATABASE_URL="$(pg_url clientele_search)" COMMAND_SERVICE_URL=http://127.0.0.1:8181
start_service stats-projection 8183 DATABASE_URL="$(pg_url clientele_stats)" COMMAND_SERVICE_URL=http://127.0.0.1:8181
start_service document-store 8184 DATABASE_URL="$(pg_url clientele_documents)" DOCUMENT_DIRECTORY="$state/documents" \
    COMMAND_SERVICE_URL=http://127.0.0.1:8181
# CRM_FAKE=1: a fake HubSpot (Tests/TestSupport/FakeCRM) on loopback, and crm-sync allowed to
# reach it (plain http, a loopback address); its URL is printed below.
crm_fake_url=""
crm_access=()
if [ "${CRM_FAKE:-0}" = 1 ]; then
    supervise fake-crm "$state/logs/fake-crm.log" TERM "$bin/FakeCRMServer" --latency-ms 5
    for _ in $(seq 1 100); do
        crm_fake_url="$(sed -n 's/^fake CRM listening at //p' "$state/logs/fake-crm.log" 2>/dev/null | tail -n 1)"
        [ -n "$crm_fake_url" ] && break
        sleep 0.1
    done
    [ -n "$crm_fake_url" ] || { echo "error: the fake CRM did not start; see .local/logs/fake-crm.log" >&2; exit 1; }
    crm_access=(CRM_ALLOW_INSECURE=1 CRM_ALLOW_PRIVATE_ADDRESSES=1)
fi
start_service crm-sync 8185 DATABASE_URL="$(pg_url clientele_crm)" CRM_SECRET_KEY="$(cat "$crm_key_file")" \
    COMMAND_SERVICE_URL=http://127.0.0.1:8181 "${crm_access[@]}"
start_service gateway "$gateway_port" COMMAND_SERVICE_URL=http://127.0.0.1:8181 SEARCH_SERVICE_URL=http://127.0.0.1:8182 \
    STATS_SERVICE_URL=http://127.0.0.1:8183 DOCUMENT_SERVICE_URL=http://127.0.0.1:8184 DATABASE_URL="$(pg_url clientele_gateway)" \
    SESSION_COOKIE_SECURE=false

for svc in command-service:8181 search-projection:8182 stats-projection:8183 document-store:8184 crm-sync:8185 gateway:$gateway_port; do
    name="${svc%%:*}"; port="${svc##*:}"
    ready=0
    for _ in $(seq 1 300); do
        if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
        supervise_alive || exit 1
        sleep 0.2
    done
    if [ "$ready" = 1 ]; then echo "  $name ready on 127.0.0.1:$port"; else
        echo "error: $name did not become ready; last lines of .local/logs/$name.log:" >&2
        tail -n 20 "$state/logs/$name.log" >&2
        exit 1
    fi
done
cat <<INFO

Clientele is running.
  Gateway:  http://127.0.0.1:$gateway_port   (try: curl http://127.0.0.1:$gateway_port/readyz)
  Log in:   staff: the first super-admin is $ADMIN_EMAIL / $ADMIN_PASSWORD
            (kept in .local/admin-credentials):
              curl -c cookies -H 'Content-Type: application/json' \\
                -d '{"email":"$ADMIN_EMAIL","password":"$ADMIN_PASSWORD"}' http://127.0.0.1:$gateway_port/api/auth/login
              curl -b cookies http://127.0.0.1:$gateway_port/api/auth/me
            the organization API (/api/v1/clients) takes API keys; make a company and a key:
              DATABASE_URL=$(pg_url clientele_gateway) $bin/clientctl company create NAME
              DATABASE_URL=$(pg_url clientele_gateway) $bin/clientctl api-key issue --company NAME
            then: curl -H "Authorization: Bearer ba_..." http://127.0.0.1:$gateway_port/api/v1/clients
  Logs:     .local/logs/<service>.log (JSON lines); a process that exits is restarted (noted here)
Press Ctrl-C to stop everything.
INFO
if [ -n "$crm_fake_url" ]; then
    cat <<INFO
  Fake CRM: $crm_fake_url (CRM_FAKE=1); point a company at it as its admin:
              curl -b cookies -X PUT -H 'Content-Type: application/json' \\
                -d '{"enabled":true,"baseUrl":"$crm_fake_url","accessToken":"any"}' http://127.0.0.1:$gateway_port/api/admin/crm
            what it holds: curl $crm_fake_url/__fake/stats
INFO
fi
supervise_watch || true
stop_all 1
