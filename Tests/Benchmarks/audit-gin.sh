#!/usr/bin/env bash
# Design measurement: what the care access audit's per-client index costs for a million-client
# export (200 access records of 5,000 client numbers each), written twice (the second time the
# keys exist), in a scratch cluster, against the alternatives:
#
#   pending:    GIN on client_numbers with its pending list, emptied by gin_clean_pending_list
#               every 40 records (the gateway's cleaner runs beside the writes; what an
#               export's records were written into until identity migration 16, and what
#               records of scattered numbers still are)
#   fastupdate: the same GIN index without a pending list (every entry inserted by the record's
#               own statement, which the export's page waits for)
#   side table: (client_number, record_id) rows with a B-tree key, filled by the record's statement
#   ranges:     as built for an export's pages (contiguous numbers only, as the export writes
#               them in number order): the numbers also as an int8multirange under a GiST
#               index, left out of the GIN index (its predicate), as identity migration 16
#               builds it; the ranges are made beforehand, as the gateway makes them
#
# each with records of random numbers (export pages in id order) and of contiguous numbers
# (pages in number order). Times are the statements' own (`clock_timestamp()` in a DO block).
# Not a test: it never fails on a number.
#
# usage: Tests/Benchmarks/audit-gin.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=lib/stack.sh
source "$root/Tests/Benchmarks/lib/stack.sh"
stack_init
start_postgres
q() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qAt "$@" 2>&1 | sed -n 's/^NOTICE:  /   /p'; }

q -c "CREATE TABLE pages_random AS SELECT (r - 1) / 5000 AS p, array_agg(n) AS nums
      FROM (SELECT n, row_number() OVER (ORDER BY random()) AS r FROM generate_series(1, 1000000) n) s GROUP BY 1;
      CREATE TABLE pages_contiguous AS SELECT (n - 1) / 5000 AS p, array_agg(n) AS nums,
                                              int8multirange(int8range(min(n), max(n) + 1)) AS ranges
      FROM generate_series(1, 1000000) n GROUP BY 1;"

# write LABEL VARIANT SETUP_SQL INSERT_SQL CLEAN_SQL: two rounds of 200 records.
write() {
    local label="$1" variant="$2" setup="$3" insert="$4" clean="$5"
    q -c "SET client_min_messages = warning; DROP TABLE IF EXISTS a, ac; $setup"
    for round in 1 2; do
        q -c "DO \$\$ DECLARE t0 timestamptz; tins interval := '0'; tclean interval := '0'; BEGIN
                FOR i IN 0..199 LOOP
                  t0 := clock_timestamp();
                  $insert;
                  tins := tins + (clock_timestamp() - t0);
                  IF i % 40 = 39 THEN t0 := clock_timestamp(); $clean; tclean := tclean + (clock_timestamp() - t0); END IF;
                END LOOP;
                RAISE NOTICE '%', format('%-12s %-10s round $round: inserts %s s, cleaning %s s', '$label', '$variant',
                                         round(extract(epoch FROM tins)::numeric, 2), round(extract(epoch FROM tclean)::numeric, 2));
              END \$\$;"
    done
}

table="CREATE TABLE a (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, client_numbers bigint[] NOT NULL)"
for variant in random contiguous; do
    write "pending" "$variant" "$table; CREATE INDEX a_gin ON a USING gin (client_numbers) WITH (gin_pending_list_limit = 16384)" \
        "INSERT INTO a (client_numbers) SELECT nums FROM pages_$variant WHERE p = i" "PERFORM gin_clean_pending_list('a_gin')"
    write "fastupdate" "$variant" "$table; CREATE INDEX a_gin ON a USING gin (client_numbers) WITH (fastupdate = off)" \
        "INSERT INTO a (client_numbers) SELECT nums FROM pages_$variant WHERE p = i" "NULL"
    write "side table" "$variant" \
        "$table; CREATE TABLE ac (client_number bigint NOT NULL, record_id bigint NOT NULL, PRIMARY KEY (client_number, record_id))" \
        "WITH rec AS (INSERT INTO a (client_numbers) SELECT nums FROM pages_$variant WHERE p = i RETURNING id, client_numbers)
         INSERT INTO ac SELECT unnest(client_numbers), id FROM rec" "NULL"
done
write "ranges" contiguous \
    "$table; ALTER TABLE a ADD COLUMN ranges int8multirange;
     CREATE INDEX a_gin ON a USING gin (client_numbers) WITH (gin_pending_list_limit = 16384) WHERE ranges IS NULL;
     CREATE INDEX a_gist ON a USING gist (ranges) WHERE ranges IS NOT NULL" \
    "INSERT INTO a (client_numbers, ranges) SELECT nums, ranges FROM pages_contiguous WHERE p = i" "PERFORM gin_clean_pending_list('a_gin')"
