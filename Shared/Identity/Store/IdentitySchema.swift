import Postgres

/// The gateway's identity tables: companies (tenants) and their API keys.
///
/// API keys are stored only as SHA-256 digests (`key_hash`, unique, the lookup path) with a
/// short display prefix; the key itself is shown once when issued and never stored.
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
    ]
}
