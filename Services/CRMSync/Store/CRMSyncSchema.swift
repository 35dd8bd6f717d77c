import Postgres
import Projection

/// crm-sync's own database: the projection tables (its offsets, stored in the transaction
/// that applies the events they cover), each client's mirror state, and each company's CRM
/// configuration.
///
/// `crm_contacts` holds one row per client of every company, synced or not (enabling sync
/// later backfills from it): the client's current profile, `version` (the last stream version
/// applied), `crm_version` (the last version that changed what the CRM holds: a creation, a
/// change of a mapped property, the deletion), and what the CRM acknowledged
/// (`synced_version`, `object_id`, `synced_at`). A row with `crm_version > synced_version`
/// is pending; `dead_version`/`dead_reason` mark a dead letter, which holds the client's
/// later changes back until an operator retries it.
enum CRMSyncSchema {
    static let migrations: [Migration] = ProjectionSchema.migrations + [
        Migration(version: 100, name: "crm contacts and companies", sql: """
        CREATE TABLE crm_contacts (
            id              UUID PRIMARY KEY,
            tenant_id       UUID NOT NULL,
            version         BIGINT NOT NULL CHECK (version > 0),
            profile         JSONB,
            deleted         BOOLEAN NOT NULL DEFAULT false,
            crm_version     BIGINT NOT NULL CHECK (crm_version > 0),
            synced_version  BIGINT NOT NULL DEFAULT 0,
            object_id       TEXT,
            attempts        INT NOT NULL DEFAULT 0,
            last_error      TEXT,
            dead_version    BIGINT,
            dead_reason     TEXT,
            synced_at       TIMESTAMPTZ
        );
        CREATE INDEX crm_contacts_pending ON crm_contacts (tenant_id, crm_version)
            WHERE crm_version > synced_version AND dead_version IS NULL;
        CREATE INDEX crm_contacts_dead ON crm_contacts (tenant_id) WHERE dead_version IS NOT NULL;
        CREATE TABLE crm_companies (
            tenant_id     UUID PRIMARY KEY,
            enabled       BOOLEAN NOT NULL,
            base_url      TEXT NOT NULL,
            token_sealed  BYTEA,
            updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        """),
        // An erased client (`client.erased`): its contact is gdpr-deleted, not archived, and once
        // the CRM acknowledged that, the command service's erasure receipt is told
        // (`erasure_reported`, so a receipt the command service could not take is told again).
        Migration(version: 101, name: "crm contacts: erasure", sql: """
        ALTER TABLE crm_contacts ADD COLUMN erased BOOLEAN NOT NULL DEFAULT false,
            ADD COLUMN erasure_reported BOOLEAN NOT NULL DEFAULT false;
        CREATE INDEX crm_contacts_erasure_unreported ON crm_contacts (id)
            WHERE erased AND NOT erasure_reported AND synced_version >= crm_version;
        """),
    ]
}
