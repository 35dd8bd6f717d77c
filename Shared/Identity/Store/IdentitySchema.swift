import Postgres

/// The gateway's identity tables: companies (tenants), their API keys, staff users with
/// their roles and companies, the role-to-permission mapping, revoked sessions and login
/// failures.
///
/// API keys are stored only as SHA-256 digests (`key_hash`, unique, the lookup path) with a
/// short display prefix; the key itself is shown once when issued and never stored.
/// Passwords are stored only as `PasswordHash` strings.
///
/// Roles and what they permit are data (`roles`, `permissions`, `role_permissions`), seeded
/// here: a later API adds a role or a permission with a migration, not with a code branch.
public enum IdentitySchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "companies and API keys", sql: """
        CREATE TABLE companies (
            id          UUID PRIMARY KEY,
            number      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
            name        TEXT NOT NULL,
            created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX companies_by_name ON companies (lower(name));
        CREATE TABLE api_keys (
            id           UUID PRIMARY KEY,
            company_id   UUID NOT NULL REFERENCES companies (id),
            key_hash     BYTEA NOT NULL UNIQUE CHECK (length(key_hash) = 32),
            prefix       TEXT NOT NULL,
            permissions  JSONB NOT NULL,
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
            revoked_at   TIMESTAMPTZ
        );
        CREATE INDEX api_keys_by_company ON api_keys (company_id);
        """),
        Migration(version: 2, name: "users, roles, permissions and sessions", sql: """
        CREATE TABLE roles (
            name        TEXT PRIMARY KEY,
            description TEXT NOT NULL
        );
        CREATE TABLE permissions (
            name        TEXT PRIMARY KEY,
            description TEXT NOT NULL
        );
        CREATE TABLE role_permissions (
            role        TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
            permission  TEXT NOT NULL REFERENCES permissions (name) ON DELETE CASCADE,
            PRIMARY KEY (role, permission)
        );
        INSERT INTO roles (name, description) VALUES
            ('super-admin', 'Everything, in every company'),
            ('admin', 'Users and clients of its own companies'),
            ('sales', 'Finds and works leads'),
            ('finance', 'Reads clients'),
            ('agent', 'Works the clients assigned to it');
        INSERT INTO permissions (name, description) VALUES
            ('clients.read', 'List and read clients'),
            ('clients.create', 'Create clients'),
            ('clients.update', 'Change clients'),
            ('clients.delete', 'Delete clients'),
            ('users.manage', 'Create and change users of the companies one belongs to'),
            ('companies.manage', 'Create and list companies; act in every company'),
            ('api_keys.manage', 'Issue, list and revoke API keys');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'clients.read'), ('super-admin', 'clients.create'), ('super-admin', 'clients.update'),
            ('super-admin', 'clients.delete'), ('super-admin', 'users.manage'), ('super-admin', 'companies.manage'),
            ('super-admin', 'api_keys.manage'),
            ('admin', 'clients.read'), ('admin', 'clients.create'), ('admin', 'clients.update'),
            ('admin', 'clients.delete'), ('admin', 'users.manage'),
            ('sales', 'clients.read'), ('sales', 'clients.create'), ('sales', 'clients.update'),
            ('finance', 'clients.read'),
            ('agent', 'clients.read'), ('agent', 'clients.update');
        CREATE TABLE users (
            id             UUID PRIMARY KEY,
            number         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
            email          TEXT NOT NULL,
            name           TEXT NOT NULL,
            password_hash  TEXT NOT NULL,
            active         BOOLEAN NOT NULL DEFAULT true,
            created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX users_by_email ON users (lower(email));
        CREATE TABLE user_roles (
            user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            role     TEXT NOT NULL REFERENCES roles (name),
            PRIMARY KEY (user_id, role)
        );
        CREATE INDEX user_roles_by_role ON user_roles (role);
        CREATE TABLE user_companies (
            user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            company_id  UUID NOT NULL REFERENCES companies (id),
            PRIMARY KEY (user_id, company_id)
        );
        CREATE INDEX user_companies_by_company ON user_companies (company_id);
        CREATE TABLE revoked_sessions (
            jti         UUID PRIMARY KEY,
            expires_at  TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE login_failures (
            key           TEXT PRIMARY KEY,
            failures      INTEGER NOT NULL,
            window_start  TIMESTAMPTZ NOT NULL
        );
        """),
        // The leads API's authorization matrix, as data: admin, sales and finance list, read
        // and change leads; an agent reads only the leads assigned to it. Super-admin and
        // admin also hold leads.read_assigned so they can grant the agent role (a grant needs
        // every permission of the role).
        Migration(version: 3, name: "leads permissions", sql: """
        INSERT INTO permissions (name, description) VALUES
            ('leads.read', 'List and read the leads of one''s companies'),
            ('leads.read_assigned', 'Read the leads one is assigned to'),
            ('leads.write', 'Create, change, disable leads and set their portal passwords');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'leads.read'), ('super-admin', 'leads.write'), ('super-admin', 'leads.read_assigned'),
            ('admin', 'leads.read'), ('admin', 'leads.write'), ('admin', 'leads.read_assigned'),
            ('sales', 'leads.read'), ('sales', 'leads.write'),
            ('finance', 'leads.read'), ('finance', 'leads.write'),
            ('agent', 'leads.read_assigned');
        """),
        // The admin clients API: super-admin (every company) and admin (its own companies).
        Migration(version: 4, name: "admin clients permission", sql: """
        INSERT INTO permissions (name, description) VALUES
            ('clients.admin', 'Use the admin clients API: profiles, bulk changes, statistics');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'clients.admin'), ('admin', 'clients.admin');
        """),
        // A user's session epoch: every session token carries the epoch it was issued in, and
        // a password change or a deactivation moves it on, which ends every earlier session.
        Migration(version: 5, name: "user session epochs", sql: """
        ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
        """),
        // The care API's client documents: super-admin (every company) and admin (its own
        // companies) until the care API's roles exist and are granted it too.
        Migration(version: 6, name: "care documents permission", sql: """
        INSERT INTO permissions (name, description) VALUES
            ('care.documents', 'Upload, list and download the care API''s client documents');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'care.documents'), ('admin', 'care.documents');
        """),
        // The care (NDIS) API's roles and permissions, as data. care.every_client lets a role
        // act on every care client of its companies; without it a role reaches only the clients
        // related to its user: a support coordinator those it coordinates, a plan manager those
        // it plan-manages, a health carer those it has appointments with (none until the
        // appointments exist). The care roles also get care.documents (the documents of the
        // clients they reach). Sales, finance and agent get nothing of the care API.
        Migration(version: 7, name: "care roles and permissions", sql: """
        INSERT INTO roles (name, description) VALUES
            ('support-coordinator', 'Reads and changes the care clients it coordinates, with their medical information'),
            ('plan-manager', 'Reads the care clients it plan-manages, without their medical information'),
            ('health-carer', 'Reads the care clients it has appointments with, with their medical information');
        INSERT INTO permissions (name, description) VALUES
            ('care.read', 'Read care clients: lists, profiles (without medical information)'),
            ('care.write', 'Create care clients, change their profiles and statuses'),
            ('care.medical.read', 'Read care clients'' medical information'),
            ('care.medical.write', 'Change care clients'' medical information'),
            ('care.export', 'Export the care client list'),
            ('care.audit.read', 'Read the care client access audit'),
            ('care.every_client', 'Reach every care client of one''s companies, not only those related to one');
        INSERT INTO role_permissions (role, permission)
        SELECT role, permission FROM (VALUES ('super-admin'), ('admin')) AS r(role),
            (VALUES ('care.read'), ('care.write'), ('care.medical.read'), ('care.medical.write'), ('care.export'),
                    ('care.audit.read'), ('care.every_client')) AS p(permission);
        INSERT INTO role_permissions (role, permission) VALUES
            ('support-coordinator', 'care.read'), ('support-coordinator', 'care.write'),
            ('support-coordinator', 'care.medical.read'), ('support-coordinator', 'care.documents'),
            ('plan-manager', 'care.read'), ('plan-manager', 'care.documents'),
            ('health-carer', 'care.read'), ('health-carer', 'care.medical.read'), ('health-carer', 'care.documents');
        """),
        // The care API's access audit ("log all client data access"): one row per read (or
        // denied read) of care clients, appended in groups (`CareAccessLog`), never changed or
        // deleted: a trigger refuses UPDATE, DELETE and TRUNCATE for every role.
        Migration(version: 8, name: "care access audit", sql: """
        CREATE TABLE care_access_log (
            id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at              TIMESTAMPTZ NOT NULL,
            user_id         UUID NOT NULL,
            roles           TEXT[] NOT NULL,
            company_id      UUID,
            client_ids      UUID[] NOT NULL,
            client_numbers  BIGINT[] NOT NULL,
            sections        TEXT[] NOT NULL,
            route           TEXT NOT NULL,
            request_id      TEXT,
            correlation_id  TEXT,
            outcome         TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied'))
        );
        CREATE INDEX care_access_log_by_client ON care_access_log USING gin (client_numbers);
        CREATE INDEX care_access_log_by_user ON care_access_log (user_id, id);
        CREATE INDEX care_access_log_by_time ON care_access_log (at, id);
        CREATE FUNCTION care_access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the care access audit is append-only';
        END
        $$;
        CREATE TRIGGER care_access_log_append_only BEFORE UPDATE OR DELETE ON care_access_log
            FOR EACH ROW EXECUTE FUNCTION care_access_log_is_append_only();
        CREATE TRIGGER care_access_log_no_truncate BEFORE TRUNCATE ON care_access_log
            FOR EACH STATEMENT EXECUTE FUNCTION care_access_log_is_append_only();
        """),
        // The workspace clients API, as data: super-admin and admin create, read, change and
        // delete clients and manage custom fields; sales create, read and change; finance and
        // agents read (an agent no longer holds clients.update, which nothing had used). And
        // each workspace's (company's) custom-field definitions: company configuration, kept
        // here beside roles and permissions, not in clients' events (a value is stored with
        // its type when written, so no read model or replay needs them). Keys are ASCII of at
        // most 64 bytes (`WorkspaceFieldLimits.isFieldKey`), so the key fits its B-tree.
        Migration(version: 9, name: "workspace clients permissions and custom fields", sql: """
        INSERT INTO permissions (name, description) VALUES
            ('custom_fields.manage', 'Define, change and delete a workspace''s custom fields');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'custom_fields.manage'), ('admin', 'custom_fields.manage');
        DELETE FROM role_permissions WHERE role = 'agent' AND permission = 'clients.update';
        CREATE TABLE custom_field_definitions (
            company_id  UUID NOT NULL REFERENCES companies (id),
            field_key   TEXT NOT NULL CHECK (octet_length(field_key) BETWEEN 1 AND 64),
            label       TEXT NOT NULL,
            type        TEXT NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'select', 'multiselect')),
            options     JSONB NOT NULL DEFAULT '[]',
            required    BOOLEAN NOT NULL DEFAULT false,
            created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (company_id, field_key)
        );
        """),
        // The time zone a company's care appointments are given and shown in (an IANA name;
        // `CompanyTimeZone`), stored in UTC. NDIS providers are Australian: Sydney by default.
        Migration(version: 10, name: "company time zone", sql: """
        ALTER TABLE companies ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Australia/Sydney'
            CHECK (octet_length(time_zone) BETWEEN 1 AND 64);
        """),
        // A client's erasure (privacy, issue 24): admins of the client's company, and
        // super-admins, who act in every company and hold every other clients permission.
        Migration(version: 11, name: "clients erase permission", sql: """
        INSERT INTO permissions (name, description) VALUES
            ('clients.erase', 'Erase a client: every trace of its data, in every store');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'clients.erase'), ('admin', 'clients.erase');
        """),
        // A client's own-data export (APP 12, `GET /api/admin/clients/:id/export`): everything
        // the system holds of one client in one document, so a permission of its own, granted
        // to the roles that administer clients.
        Migration(version: 12, name: "client export permission", sql: """
        INSERT INTO permissions (name, description) VALUES
            ('clients.export', 'Export everything held about one client (APP 12)');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'clients.export'), ('admin', 'clients.export');
        """),
        // A company's own settings (`PATCH /api/companies/:id`: its name and time zone):
        // changed by the company's admins for their own company, and by super-admins (who
        // hold `companies.manage` and act in every company).
        Migration(version: 13, name: "company settings permission", sql: """
        INSERT INTO permissions (name, description) VALUES
            ('companies.settings', 'Change one''s own company''s settings: its name and time zone');
        INSERT INTO role_permissions (role, permission) VALUES
            ('super-admin', 'companies.settings'), ('admin', 'companies.settings');
        """),
        // The care access audit's client arrays are stored uncompressed (out of line when
        // large, as before): a carer's list names a thousand clients, and compressing the
        // record's arrays was about half of PostgreSQL's time writing it (measured:
        // docs/performance.md, design measurements). Rows written before keep their form;
        // reads are unchanged.
        Migration(version: 14, name: "care access audit arrays uncompressed", sql: """
        ALTER TABLE care_access_log ALTER COLUMN client_ids SET STORAGE EXTERNAL,
                                    ALTER COLUMN client_numbers SET STORAGE EXTERNAL;
        """),
        // The audit's GIN index (`client_numbers`) takes a pending list of up to 16 MB (the
        // default is 4 MB): the gateway empties it every second in the background
        // (`GINPendingListCleaner`), and a carer's list of a thousand clients adds about 24 KB,
        // so at a few hundred lists a second 4 MB filled between two cleanings and the append
        // that found it full merged it before its answer went. The audit's reads scan the list
        // as they did (measured: docs/performance.md, design measurements).
        Migration(version: 15, name: "care access audit pending list", sql: """
        ALTER INDEX care_access_log_by_client SET (gin_pending_list_limit = 16384);
        """),
        // A record whose client numbers are mostly runs (an export's page, read in number
        // order) keeps them as ranges too (`client_number_ranges`, `CareAccessRecord.numberRanges`),
        // found through a GiST index by one entry per record; the GIN index then leaves it
        // out, so such a page adds no entry per client to the pending list, whose cleaning
        // was most of PostgreSQL's time in an export (measured: docs/performance.md, design
        // measurements). `client_numbers` keeps every number either way.
        Migration(version: 16, name: "care access audit number ranges", sql: """
        ALTER TABLE care_access_log ADD COLUMN client_number_ranges int8multirange;
        DROP INDEX care_access_log_by_client;
        CREATE INDEX care_access_log_by_client ON care_access_log USING gin (client_numbers)
            WITH (gin_pending_list_limit = 16384) WHERE client_number_ranges IS NULL;
        CREATE INDEX care_access_log_by_client_range ON care_access_log USING gist (client_number_ranges)
            WHERE client_number_ranges IS NOT NULL;
        """),
    ]
}
