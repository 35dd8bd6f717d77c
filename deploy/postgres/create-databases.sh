#!/usr/bin/env bash
# Runs once in the official postgres image's /docker-entrypoint-initdb.d: one database and
# one login role per service, each role owning only its own database.
set -euo pipefail
create() { # database role password
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v db="$1" -v role="$2" -v password="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}
create clientele_commands command_service "$COMMAND_SERVICE_DB_PASSWORD"
create clientele_search search_projection "$SEARCH_PROJECTION_DB_PASSWORD"
create clientele_stats stats_projection "$STATS_PROJECTION_DB_PASSWORD"
create clientele_documents document_store "$DOCUMENT_STORE_DB_PASSWORD"
create clientele_gateway gateway "$GATEWAY_DB_PASSWORD"
create clientele_crm crm_sync "$CRM_SYNC_DB_PASSWORD"
