-- Shared by the benchmark scripts: :n client.created events (schema version 2) for tenant
-- :'tenant', written straight into the command service's event store, with varied statuses,
-- plans, account types, providers, locations, companies and industries mixed by hashint4 so
-- filters combine; the public numbers 1..:n, and the number sequence moved past them.
-- usage: psql -v ON_ERROR_STOP=1 -v n=N -v tenant=UUID -v actor=NAME -f seed-clients.sql
INSERT INTO events (event_id, stream_id, stream_version, tenant_id, type, schema_version, occurred_at,
                    actor_kind, actor_id, correlation_id, data)
SELECT gen_random_uuid(), gen_random_uuid(), 1, :'tenant'::uuid, 'client.created', 2,
       now() - (i % 120) * interval '1 day' - (i % 86400) * interval '1 second',
       'system', :'actor', :'actor' || '-seed',
       jsonb_build_object('number', i, 'profile', jsonb_build_object(
           'name', 'Client ' || i,
           'displayName', 'Client ' || i,
           'email', 'client' || i || '@' || (ARRAY['example.com', 'acme.io', 'corp.net', 'mail.org'])[1 + i % 4],
           'status', (ARRAY['active', 'active', 'active', 'inactive', 'suspended', 'trial'])[1 + (hashint4(i) & 65535) % 6],
           'plan', (ARRAY['free', 'free', 'standard', 'premium'])[1 + (hashint4(i + 1000000007) & 65535) % 4],
           'accountType', (ARRAY['individual', 'business', 'enterprise'])[1 + (hashint4(i + 2000000011) & 65535) % 3],
           'provider', (ARRAY['google', 'github', 'email'])[1 + (hashint4(-i) & 65535) % 3],
           'companyName', 'Company ' || (i % 5000),
           'industry', (ARRAY['Technology', 'Finance', 'Health', 'Retail', 'Education'])[1 + (hashint4(i + 7) & 65535) % 5],
           'location', 'City ' || (i % 100) || ', ' || (ARRAY['United States', 'India', 'Germany', 'Brazil', 'Japan'])[1 + (hashint4(i + 13) & 65535) % 5]))
FROM generate_series(1, :n) AS i;
SELECT setval('client_numbers', :n) AS seeded \gset
