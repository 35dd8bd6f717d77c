import Foundation
import Postgres
import Projection

/// The stats read model's tables, plus the projection's offsets and rebuild state
/// (`ProjectionSchema`).
///
/// - `stats_clients`: one small row per client with just what its counters depend on
///   (status, plan, account type, provider, country, company, industry, submissions, the
///   day it was created and the day of its last activity) and the stream version applied,
///   so an event knows what to take away before it adds. A deleted client stays as a
///   tombstone (id, tenant, version) so older events cannot bring it back.
/// - `stats_counts`: live clients per (tenant, fixed dimension, value)
///   (`StatsDimension.fixed`), `stats_top_counts` the same for the dimensions answered as top
///   lists (`StatsDimension.listed`); rows at 0 are removed, and a count below 0 fails the
///   batch (`ClientStatsProjection`; not a CHECK, which PostgreSQL tests on the row an upsert
///   proposes, before adding). `value` compares byte-wise (`COLLATE "C"`), so values group
///   exactly as written and ties sort the same everywhere. Only `stats_top_counts` has an
///   index on `count`, `(tenant, dimension, count DESC, value)`, which makes a tenant's top
///   values an index scan; its updates each add index entries. `stats_counts` has none but
///   its primary key, so the rows every event touches (`total`, `status`, `plan`,
///   `account_type`, and their all-tenants sums) are HOT-updated (`fillfactor` leaves room
///   on their page): no index entries, and no chain of dead versions for the upsert's key
///   lookup to walk. (PostgreSQL decides HOT per table, from the columns any of its indexes
///   covers, partial ones included: one table for both kinds cannot have both.)
/// - `stats_days`: live clients per (tenant, `StatsDayKind`, UTC day), so a week or month
///   is at most 31 rows per tenant.
///
/// Counters are also kept under the tenant `allTenants` (the nil UUID), the sum over every
/// tenant, so a question about all tenants costs what one tenant's does.
public enum StatsSchema {
    /// The tenant id under which every counter's sum over all tenants is kept.
    public static let allTenants = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    public static let migrations: [Migration] = ProjectionSchema.migrations + [
        Migration(version: 100, name: "stats read model: client state, counters, days", sql: """
        CREATE TABLE stats_clients (
            id               UUID PRIMARY KEY,
            tenant_id        UUID NOT NULL,
            version          BIGINT NOT NULL CHECK (version > 0),
            deleted          BOOLEAN NOT NULL DEFAULT false,
            status           TEXT,
            plan             TEXT,
            account_type     TEXT,
            provider         TEXT,
            country          TEXT,
            company          TEXT,
            industry         TEXT,
            submissions      BIGINT NOT NULL DEFAULT 0 CHECK (submissions >= 0),
            created_day      DATE,
            last_active_day  DATE,
            CHECK (deleted OR (status IS NOT NULL AND created_day IS NOT NULL)),
            CHECK (NOT deleted OR (status IS NULL AND plan IS NULL AND account_type IS NULL AND provider IS NULL
                                   AND country IS NULL AND company IS NULL AND industry IS NULL AND submissions = 0
                                   AND created_day IS NULL AND last_active_day IS NULL))
        );
        CREATE TABLE stats_counts (
            tenant_id  UUID NOT NULL,
            dimension  TEXT NOT NULL,
            value      TEXT COLLATE "C" NOT NULL,
            count      BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, dimension, value)
        ) WITH (fillfactor = 70);
        CREATE INDEX stats_counts_top ON stats_counts (tenant_id, dimension, count DESC, value)
            WHERE dimension IN ('provider', 'country', 'company', 'industry');
        CREATE TABLE stats_days (
            tenant_id  UUID NOT NULL,
            kind       TEXT NOT NULL CHECK (kind IN ('created', 'active')),
            day        DATE NOT NULL,
            count      BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, kind, day)
        ) WITH (fillfactor = 70);
        """),
        // `stats_counts_top` indexed `count`: PostgreSQL takes HOT updates off every row of a
        // table one of whose indexes (partial or not) covers a column the update changes, so
        // each counter update added index entries and the hot rows' upserts walked ever
        // longer chains of dead versions until a vacuum. The listed dimensions move to their
        // own table, with that index; `stats_counts` keeps the fixed ones, with no index on
        // `count`. A rebuild's shadow tables (made from the first schema, if one is running)
        // are split the same way, so it resumes where it was.
        Migration(version: 101, name: "stats read model: top-list counters in their own table", sql: """
        CREATE TABLE stats_top_counts (
            tenant_id  UUID NOT NULL,
            dimension  TEXT NOT NULL CHECK (dimension IN ('provider', 'country', 'company', 'industry')),
            value      TEXT COLLATE "C" NOT NULL,
            count      BIGINT NOT NULL,
            PRIMARY KEY (tenant_id, dimension, value)
        ) WITH (fillfactor = 90);
        CREATE INDEX stats_top_counts_top ON stats_top_counts (tenant_id, dimension, count DESC, value);
        DO $$
        DECLARE
            listed CONSTANT TEXT[] := ARRAY['provider', 'country', 'company', 'industry'];
            suffix TEXT;
            other_index REGCLASS;
        BEGIN
            FOREACH suffix IN ARRAY ARRAY['', '_rebuild'] LOOP
                CONTINUE WHEN to_regclass('stats_counts' || suffix) IS NULL;
                IF suffix <> '' THEN
                    EXECUTE format('DROP TABLE IF EXISTS %I', 'stats_top_counts' || suffix);
                    EXECUTE format('CREATE TABLE %I (LIKE stats_top_counts INCLUDING ALL) WITH (fillfactor = 90)',
                                   'stats_top_counts' || suffix);
                END IF;
                EXECUTE format('INSERT INTO %I (tenant_id, dimension, value, count) '
                               'SELECT tenant_id, dimension, value, count FROM %I WHERE dimension = ANY ($1)',
                               'stats_top_counts' || suffix, 'stats_counts' || suffix) USING listed;
                EXECUTE format('DELETE FROM %I WHERE dimension = ANY ($1)', 'stats_counts' || suffix) USING listed;
                FOR other_index IN SELECT indexrelid::regclass FROM pg_index
                                   WHERE indrelid = ('stats_counts' || suffix)::regclass AND NOT indisprimary LOOP
                    EXECUTE format('DROP INDEX %s', other_index);
                END LOOP;
                EXECUTE format('ALTER TABLE %I ADD CHECK (dimension IN (''total'', ''status'', ''plan'', ''account_type''))',
                               'stats_counts' || suffix);
            END LOOP;
        END
        $$;
        """),
        // The counted values are parts of primary keys (B-tree entries of at most about 2,700
        // bytes). A longer one would fail its whole batch with SQLSTATE 54000; these checks
        // refuse the client's state row itself (SQLSTATE 23514), in the live tables and a
        // rebuild's shadow alike (made `LIKE` them), so the projection parks that one stream.
        // The APIs accept far less (`ClientFieldLimits`). NOT VALID: existing rows fit already.
        Migration(version: 102, name: "stats read model: byte limits of counted values", sql: """
        DO $$
        DECLARE
            suffix TEXT;
        BEGIN
            FOREACH suffix IN ARRAY ARRAY['', '_rebuild'] LOOP
                CONTINUE WHEN to_regclass('stats_clients' || suffix) IS NULL;
                EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (octet_length(status) <= 1700 '
                    'AND octet_length(plan) <= 1700 AND octet_length(account_type) <= 1700 AND octet_length(provider) <= 1700 '
                    'AND octet_length(country) <= 1700 AND octet_length(company) <= 1700 AND octet_length(industry) <= 1700) NOT VALID',
                    'stats_clients' || suffix, 'stats_clients' || suffix || '_value_bytes');
            END LOOP;
        END
        $$;
        """),
    ]
}
