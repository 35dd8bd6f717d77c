import Postgres
import Projection

/// The search read model's tables: `clients`, one denormalized row per client, plus the
/// projection's offsets and rebuild state (`ProjectionSchema`).
///
/// A deleted client stays as a tombstone holding only `id`, `tenant_id`, `version` and
/// `deleted`: its personal data is gone, and its version still stops older events from
/// bringing it back.
///
/// Indexes, for a million clients: for each sort field a btree on `(tenant_id, field, id)`
/// over live rows, so a tenant's page in either direction is an index range scan with `id`
/// as the stable tiebreak; and pg_trgm GIN indexes on `lower()` of name, email and phone
/// for case-insensitive substring search (`ILIKE '%text%'`). For the leads API: a unique
/// index on the public `number`, a GIN index on the assigned agents' numbers
/// (`agent_ids @> ARRAY[n]`), and `(created_at, id)` for lists across several tenants. For
/// the admin API: sorts by company, submissions and display name, the email domain, trigram
/// searches of company, location and industry, and `(tenant, status, plan, account type)` (the
/// last two as generated columns with their defaults) so the advanced search's count over
/// those filters is an index-only scan, which an expression index over the defaults cannot
/// give (measured at a million clients in one tenant: docs/performance.md, design
/// measurements).
public enum SearchSchema {
    /// The live table's name; a rebuild fills `shadowTable` and renames it to this.
    public static let table = "clients"
    public static let shadowTable = "clients_rebuild"
    /// The care appointments' table, and its rebuild shadow (promoted with `shadowTable`).
    public static let appointmentsTable = "care_appointments"
    public static let appointmentsShadowTable = "care_appointments_rebuild"
    /// Each carer's clients with the appointment counts and names its list shows, and its
    /// rebuild shadow (promoted with `shadowTable`).
    public static let carerClientsTable = "care_carer_clients"
    public static let carerClientsShadowTable = "care_carer_clients_rebuild"

    public static let migrations: [Migration] = ProjectionSchema.migrations + [
        Migration(version: 100, name: "search read model: clients", sql: """
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE TABLE clients (
            id          UUID PRIMARY KEY,
            tenant_id   UUID NOT NULL,
            name        TEXT,
            email       TEXT,
            phone       TEXT,
            notes       TEXT,
            status      TEXT,
            version     BIGINT NOT NULL CHECK (version > 0),
            created_at  TIMESTAMPTZ,
            updated_at  TIMESTAMPTZ,
            deleted     BOOLEAN NOT NULL DEFAULT false,
            CHECK (deleted OR (status IS NOT NULL AND created_at IS NOT NULL AND updated_at IS NOT NULL)),
            CHECK (NOT deleted OR (name IS NULL AND email IS NULL AND phone IS NULL AND notes IS NULL
                                   AND status IS NULL AND created_at IS NULL AND updated_at IS NULL))
        );
        CREATE INDEX clients_by_tenant_name ON clients (tenant_id, name, id) WHERE NOT deleted;
        CREATE INDEX clients_by_tenant_email ON clients (tenant_id, email, id) WHERE NOT deleted;
        CREATE INDEX clients_by_tenant_phone ON clients (tenant_id, phone, id) WHERE NOT deleted;
        CREATE INDEX clients_by_tenant_status ON clients (tenant_id, status, id) WHERE NOT deleted;
        CREATE INDEX clients_by_tenant_created ON clients (tenant_id, created_at, id) WHERE NOT deleted;
        CREATE INDEX clients_by_tenant_updated ON clients (tenant_id, updated_at, id) WHERE NOT deleted;
        CREATE INDEX clients_name_trgm ON clients USING gin (lower(name) gin_trgm_ops) WHERE NOT deleted;
        CREATE INDEX clients_email_trgm ON clients USING gin (lower(email) gin_trgm_ops) WHERE NOT deleted;
        CREATE INDEX clients_phone_trgm ON clients USING gin (lower(phone) gin_trgm_ops) WHERE NOT deleted;
        """),
        Migration(version: 101, name: "search read model: leads fields", sql: """
        ALTER TABLE clients
            ADD COLUMN number      BIGINT,
            ADD COLUMN address     TEXT,
            ADD COLUMN source      TEXT,
            ADD COLUMN agents      JSONB,
            ADD COLUMN agent_ids   BIGINT[],
            ADD COLUMN created_by  TEXT,
            ADD COLUMN has_joined  BOOLEAN NOT NULL DEFAULT false,
            ADD CHECK (NOT deleted OR (number IS NULL AND address IS NULL AND source IS NULL AND agents IS NULL
                                       AND agent_ids IS NULL AND created_by IS NULL));
        CREATE UNIQUE INDEX clients_by_number ON clients (number);
        CREATE INDEX clients_by_agent ON clients USING gin (agent_ids) WHERE NOT deleted;
        CREATE INDEX clients_by_created ON clients (created_at, id) WHERE NOT deleted;
        """),
        Migration(version: 102, name: "search read model: admin profile and activity", sql: """
        ALTER TABLE clients
            ADD COLUMN display_name        TEXT,
            ADD COLUMN username            TEXT,
            ADD COLUMN bio                 TEXT,
            ADD COLUMN job_title           TEXT,
            ADD COLUMN company_name        TEXT,
            ADD COLUMN industry            TEXT,
            ADD COLUMN website             TEXT,
            ADD COLUMN location            TEXT,
            ADD COLUMN account_type        TEXT,
            ADD COLUMN plan                TEXT,
            ADD COLUMN provider            TEXT,
            ADD COLUMN email_verified      BOOLEAN,
            ADD COLUMN two_factor_enabled  BOOLEAN,
            ADD COLUMN avatar              TEXT,
            ADD COLUMN last_active_at      TIMESTAMPTZ,
            ADD COLUMN submission_count    BIGINT NOT NULL DEFAULT 0,
            ADD CHECK (NOT deleted OR (display_name IS NULL AND username IS NULL AND bio IS NULL AND job_title IS NULL
                                       AND company_name IS NULL AND industry IS NULL AND website IS NULL
                                       AND location IS NULL AND account_type IS NULL AND plan IS NULL
                                       AND provider IS NULL AND email_verified IS NULL AND two_factor_enabled IS NULL
                                       AND avatar IS NULL AND last_active_at IS NULL AND submission_count = 0));
        CREATE INDEX clients_by_tenant_company ON clients (tenant_id, company_name, id) WHERE NOT deleted;
        CREATE INDEX clients_by_tenant_submissions ON clients (tenant_id, submission_count, id) WHERE NOT deleted;
        CREATE INDEX clients_by_tenant_display_name ON clients (tenant_id, display_name, id) WHERE NOT deleted;
        CREATE INDEX clients_by_email_domain ON clients (tenant_id, lower(split_part(email, '@', 2))) WHERE NOT deleted;
        CREATE INDEX clients_display_name_trgm ON clients USING gin (lower(display_name) gin_trgm_ops) WHERE NOT deleted;
        CREATE INDEX clients_company_trgm ON clients USING gin (lower(company_name) gin_trgm_ops) WHERE NOT deleted;
        CREATE INDEX clients_location_trgm ON clients USING gin (lower(location) gin_trgm_ops) WHERE NOT deleted;
        CREATE INDEX clients_industry_trgm ON clients USING gin (lower(industry) gin_trgm_ops) WHERE NOT deleted;
        """),
        // Applied migrations never change (MigrationRunner refuses a changed one): the admin
        // search's segment index came after 102 was in use.
        Migration(version: 103, name: "search read model: effective plan and account type", sql: """
        -- The plan and account type a filter compares (none counts as free / individual), as
        -- plain columns: an index over them answers the advanced search's counts with an
        -- index-only scan (an expression index cannot), and ANALYZE keeps their statistics.
        ALTER TABLE clients
            ADD COLUMN plan_effective TEXT GENERATED ALWAYS AS (coalesce(plan, 'free')) STORED,
            ADD COLUMN account_type_effective TEXT GENERATED ALWAYS AS (coalesce(account_type, 'individual')) STORED;
        CREATE INDEX clients_by_tenant_segment ON clients (tenant_id, status, plan_effective, account_type_effective)
            WHERE NOT deleted;
        """),
        // A B-tree index entry holds at most about 2,700 bytes: a longer value in an indexed
        // column fails its whole batch with SQLSTATE 54000, and only when the index exists
        // (a rebuild's shadow builds its indexes after the bulk load). These checks refuse such
        // a row itself, in the live table and the shadow alike (it is made `LIKE` the live
        // one), with SQLSTATE 23514, so the projection parks that one stream at once. `email`
        // is held lower: the domain index stores `lower()` of it, and lower-casing can grow a
        // string by half. The APIs accept far less (`ClientFieldLimits`); these bound what
        // the tables can hold whatever an event carries. NOT VALID: existing rows all fit
        // their indexes already, and need no scan.
        Migration(version: 104, name: "search read model: byte limits of indexed columns", sql: """
        DO $$
        DECLARE
            target TEXT;
        BEGIN
            FOREACH target IN ARRAY ARRAY['clients', 'clients_rebuild'] LOOP
                CONTINUE WHEN to_regclass(target) IS NULL;
                EXECUTE format('ALTER TABLE %I '
                    'ADD CONSTRAINT %I CHECK (octet_length(name) <= 2600 AND octet_length(phone) <= 2600 '
                    '    AND octet_length(status) <= 2600 AND octet_length(company_name) <= 2600 '
                    '    AND octet_length(display_name) <= 2600 AND octet_length(email) <= 1700) NOT VALID',
                    target, target || '_indexed_bytes');
            END LOOP;
        END
        $$;
        """),
        // The client's documents (the log's `client.document_*` events), as the JSON array
        // `ClientColumns.write(_:into:)` writes; null when none, and for a tombstone. Added to
        // a rebuild's shadow too when one exists, as 104 does.
        Migration(version: 105, name: "search read model: documents", sql: """
        DO $$
        DECLARE
            target TEXT;
        BEGIN
            FOREACH target IN ARRAY ARRAY['clients', 'clients_rebuild'] LOOP
                CONTINUE WHEN to_regclass(target) IS NULL;
                EXECUTE format('ALTER TABLE %I ADD COLUMN documents JSONB, '
                    'ADD CONSTRAINT %I CHECK (NOT deleted OR documents IS NULL)', target, target || '_tombstone_documents');
            END LOOP;
        END
        $$;
        """),
        // The care API's sections (`CareProfile`'s JSON; null without them, and for a
        // tombstone), with the three it filters by as generated columns: the NDIS number
        // (exact match, and searched with the names and email), the plan manager and the
        // support coordinator (a coordinator's or plan manager's own clients). Generated
        // columns come along into a rebuild's shadow (`LIKE … INCLUDING ALL`).
        Migration(version: 106, name: "search read model: care sections", sql: """
        DO $$
        DECLARE
            target TEXT;
        BEGIN
            FOREACH target IN ARRAY ARRAY['clients', 'clients_rebuild'] LOOP
                CONTINUE WHEN to_regclass(target) IS NULL;
                EXECUTE format('ALTER TABLE %I ADD COLUMN care JSONB, '
                    'ADD COLUMN ndis_number TEXT GENERATED ALWAYS AS (care #>> ''{ndisDetails,ndisNumber}'') STORED, '
                    'ADD COLUMN plan_manager TEXT GENERATED ALWAYS AS (care #>> ''{ndisDetails,planManager}'') STORED, '
                    'ADD COLUMN support_coordinator TEXT GENERATED ALWAYS AS (care #>> ''{ndisDetails,supportCoordinator}'') STORED, '
                    'ADD CONSTRAINT %I CHECK (NOT deleted OR care IS NULL), '
                    'ADD CONSTRAINT %I CHECK (octet_length(ndis_number) <= 64 AND octet_length(plan_manager) <= 64 '
                    '    AND octet_length(support_coordinator) <= 64)',
                    target, target || '_tombstone_care', target || '_care_bytes');
            END LOOP;
        END
        $$;
        CREATE INDEX clients_by_tenant_ndis ON clients (tenant_id, ndis_number, id) WHERE NOT deleted AND ndis_number IS NOT NULL;
        CREATE INDEX clients_by_tenant_plan_manager ON clients (tenant_id, plan_manager, id)
            WHERE NOT deleted AND plan_manager IS NOT NULL;
        CREATE INDEX clients_by_tenant_coordinator ON clients (tenant_id, support_coordinator, id)
            WHERE NOT deleted AND support_coordinator IS NOT NULL;
        CREATE INDEX clients_ndis_trgm ON clients USING gin (ndis_number gin_trgm_ops) WHERE NOT deleted AND ndis_number IS NOT NULL;
        """),
        // The workspace API's fields: the stored contact methods and custom fields (what the
        // profile holds, null when unset), and, derived from the contact methods the API shows
        // (`ClientProfile.contactMethods`, so a client of another API counts its email and
        // phone), their types for the `contactType` filter and their values, one a line, for
        // `q`. Existing rows get the derived columns from their email and phone here; rows
        // written from now on get them from the projection. Added to a rebuild's shadow too,
        // as 104 and 106 do. None is under a B-tree index (GIN and trigram only), so no byte limit.
        Migration(version: 107, name: "search read model: contact methods and custom fields", sql: """
        DO $$
        DECLARE
            target TEXT;
        BEGIN
            FOREACH target IN ARRAY ARRAY['clients', 'clients_rebuild'] LOOP
                CONTINUE WHEN to_regclass(target) IS NULL;
                EXECUTE format('ALTER TABLE %I ADD COLUMN contact_methods JSONB, ADD COLUMN custom_fields JSONB, '
                    'ADD COLUMN contact_types TEXT[], ADD COLUMN contact_text TEXT, '
                    'ADD CONSTRAINT %I CHECK (NOT deleted OR (contact_methods IS NULL AND custom_fields IS NULL '
                    '    AND contact_types IS NULL AND contact_text IS NULL))', target, target || '_tombstone_workspace');
                EXECUTE format('UPDATE %I SET '
                    'contact_types = array_remove(ARRAY[CASE WHEN email !~ ''^[[:space:]]*$'' THEN ''email'' END, '
                    '    CASE WHEN phone !~ ''^[[:space:]]*$'' THEN ''phone'' END], NULL), '
                    'contact_text = nullif(concat_ws(chr(10), CASE WHEN email !~ ''^[[:space:]]*$'' THEN email END, '
                    '    CASE WHEN phone !~ ''^[[:space:]]*$'' THEN phone END), '''') '
                    'WHERE NOT deleted', target);
            END LOOP;
        END
        $$;
        CREATE INDEX clients_by_contact_type ON clients USING gin (contact_types) WHERE NOT deleted;
        CREATE INDEX clients_by_custom_fields ON clients USING gin (custom_fields jsonb_path_ops) WHERE NOT deleted;
        CREATE INDEX clients_contact_text_trgm ON clients USING gin (lower(contact_text) gin_trgm_ops) WHERE NOT deleted;
        """),
        // The care API's goals (with their tasks and history) and medications: the read
        // model's document `CareRecordsDocument` writes (null without any, and for a
        // tombstone), read with the rest of the client. Appointments, thousands per client,
        // get a table of their own, written in the same transaction from the same events: a
        // client's month is a range scan of (client_id, starts_at), a carer's clients one of
        // (carer_id, tenant_id, client_id); `version` is the client stream's version that last
        // changed the appointment, so an older write never overwrites a newer one. A goal's or
        // medication's client is found by containment through the GIN index of `care_records`.
        Migration(version: 108, name: "search read model: care goals, medications and appointments", sql: """
        DO $$
        DECLARE
            target TEXT;
        BEGIN
            FOREACH target IN ARRAY ARRAY['clients', 'clients_rebuild'] LOOP
                CONTINUE WHEN to_regclass(target) IS NULL;
                EXECUTE format('ALTER TABLE %I ADD COLUMN care_records JSONB, '
                    'ADD CONSTRAINT %I CHECK (NOT deleted OR care_records IS NULL)', target, target || '_tombstone_care_records');
            END LOOP;
        END
        $$;
        CREATE TABLE care_appointments (
            id            UUID PRIMARY KEY,
            client_id     UUID NOT NULL,
            tenant_id     UUID NOT NULL,
            carer_id      UUID NOT NULL,
            starts_at     TIMESTAMPTZ NOT NULL,
            ends_at       TIMESTAMPTZ NOT NULL,
            service_type  TEXT NOT NULL,
            status        TEXT NOT NULL,
            version       BIGINT NOT NULL
        );
        CREATE INDEX care_appointments_by_client ON care_appointments (client_id, starts_at, id);
        CREATE INDEX care_appointments_by_carer ON care_appointments (carer_id, tenant_id, client_id);
        CREATE INDEX clients_by_care_record ON clients USING gin (care_records jsonb_path_ops) WHERE care_records IS NOT NULL;
        """),
        // A health carer's client list, kept by the projection in the batch's transaction
        // (`ClientSearchProjection.writeCarerClients`): one row per carer and live client with
        // how many of the client's appointments the carer has (any status, as the list always
        // counted them) and what the list shows of the client, copied from `clients` as it
        // holds them (number, name, the care section's first and last name). Reading a carer's
        // thousand clients from it took 0.45 ms against 1.62 ms grouping the appointments and
        // joining the names (docs/performance.md, design measurements). No row for a deleted
        // or erased client (removed with its appointments). Filled here from the appointments
        // and clients held now, and, when a rebuild is under way, its shadow from theirs.
        Migration(version: 109, name: "search read model: carers' client lists", sql: """
        CREATE TABLE care_carer_clients (
            carer_id           UUID NOT NULL,
            client_id          UUID NOT NULL,
            tenant_id          UUID NOT NULL,
            number             BIGINT,
            name               TEXT,
            first_name         TEXT,
            last_name          TEXT,
            appointment_count  BIGINT NOT NULL CHECK (appointment_count > 0),
            PRIMARY KEY (carer_id, client_id)
        );
        CREATE INDEX care_carer_clients_by_client ON care_carer_clients (client_id);
        DO $$
        DECLARE
            target TEXT[];
        BEGIN
            FOREACH target SLICE 1 IN ARRAY ARRAY[['care_carer_clients', 'clients', 'care_appointments'],
                                                  ['care_carer_clients_rebuild', 'clients_rebuild', 'care_appointments_rebuild']] LOOP
                CONTINUE WHEN to_regclass(target[2]) IS NULL OR to_regclass(target[3]) IS NULL;
                IF to_regclass(target[1]) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I (LIKE care_carer_clients INCLUDING ALL)', target[1]);
                END IF;
                EXECUTE format('INSERT INTO %I (carer_id, client_id, tenant_id, number, name, first_name, last_name, appointment_count) '
                    'SELECT n.carer_id, c.id, c.tenant_id, c.number, c.name, c.care #>> ''{personalInfo,firstName}'', '
                    '       c.care #>> ''{personalInfo,lastName}'', n.count '
                    'FROM (SELECT carer_id, client_id, tenant_id, count(*) AS count FROM %I '
                    '      GROUP BY carer_id, client_id, tenant_id) AS n '
                    'JOIN %I c ON c.id = n.client_id AND c.tenant_id = n.tenant_id AND NOT c.deleted',
                    target[1], target[3], target[2]);
            END LOOP;
        END
        $$;
        """),
    ]
}
