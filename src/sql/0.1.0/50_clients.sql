-- Client registry. A client is an insurer the advocacy group reports to. Its code is
-- chosen at creation and never changes, because the client's pseudonym key is derived
-- from it. Its group role has a neutral name (uhc_reporting_client_<database oid>_<client_id>), since
-- every role can read pg_roles and no catalog may name a client.
CREATE TABLE uhc_reporting.clients (
    client_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_code   text NOT NULL UNIQUE
        CONSTRAINT clients_code_check CHECK (client_code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
    display_name  text NOT NULL
        CONSTRAINT clients_display_name_check CHECK (btrim(display_name) <> ''),
    group_role    name NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by    name NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE uhc_reporting.clients IS
    'Clients (insurers) with their immutable code and the group role their logins join.';

-- The payers whose encounters a client paid for, matched by payer name because Synthea
-- payer ids differ between releases. Matching ignores case.
CREATE TABLE uhc_reporting.client_payers (
    client_id   integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    payer_name  text NOT NULL
        CONSTRAINT client_payers_name_check CHECK (btrim(payer_name) <> ''),
    PRIMARY KEY (client_id, payer_name)
);
CREATE UNIQUE INDEX client_payers_lower_name_idx
    ON uhc_reporting.client_payers (client_id, lower(payer_name));

-- Who changed what in the registry and when. Clients cannot read it.
CREATE TABLE uhc_reporting.client_audit (
    audit_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor        name NOT NULL DEFAULT SESSION_USER,
    action       text NOT NULL,
    client_code  text,
    detail       jsonb
);
COMMENT ON TABLE uhc_reporting.client_audit IS
    'Audit trail of client management calls: session user, action, client and details.';
