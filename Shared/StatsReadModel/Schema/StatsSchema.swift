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
/// - `stats_counts`: live clients per (tenant, dimension, value) (`StatsDimension`); rows
///   at 0 are removed, and a count below 0 fails the batch (`ClientStatsProjection`; not a
///   CHECK, which PostgreSQL tests on the row an upsert proposes, before adding). `value` compares byte-wise (`COLLATE "C"`), so values group exactly
///   as written and ties sort the same everywhere. `(tenant, dimension, count DESC, value)`
///   makes a tenant's top values an index scan; it covers only the listed dimensions, so
///   the rows every event touches (`total`, `status`, `plan`, `account_type`, and the
///   all-tenants sums) are updated in place (HOT, with `fillfactor` leaving room) instead of
///   adding index entries on each event.
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
    ]
}
