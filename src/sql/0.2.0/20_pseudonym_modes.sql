-- Pseudonym modes, per-client key versions and re-identification.
--
-- A client is in one of two pseudonym modes. In 'hmac' mode (the default) its pseudonyms
-- are the keyed HMAC of docs/pseudonym.md, with the key version stored on the client.
-- In 'token' mode each (client, patient) pair gets a random token that refresh assigns
-- once and keeps in uhc_reporting.client_patient_tokens. Only uhc_reporting_internal can
-- turn a pseudonym back into a patient, through uhc_reporting.reidentify(), and every
-- such call is recorded.

-- Owns the SECURITY DEFINER functions that read patients next to their pseudonyms:
-- reidentify() and client_has_assigned_pseudonyms(). Nobody logs in as it or is a member.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'uhc_reporting_reidentifier') THEN
        CREATE ROLE uhc_reporting_reidentifier NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
    END IF;
END
$roles$;
GRANT USAGE ON SCHEMA uhc_reporting TO uhc_reporting_reidentifier;

-- Fingerprint of one key version, so that two servers can compare a new key before any
-- client switches to it. Raises 42704 when the version is not in the key file.
CREATE FUNCTION uhc_reporting.key_fingerprint(key_version integer) RETURNS text
AS 'MODULE_PATHNAME', 'uhc_key_fingerprint_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.key_fingerprint(integer) IS
    'First 16 hex digits of HMAC-SHA256(master key of the version, ''uhc_reporting key fingerprint'').';

-- A new random token: "T1-" and 26 Crockford base32 digits of 128 bits from OpenSSL's
-- RAND_bytes. Only refresh calls it, as the loader.
CREATE FUNCTION uhc_reporting.new_pseudonym_token() RETURNS text
AS 'MODULE_PATHNAME', 'uhc_new_pseudonym_token'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION uhc_reporting.new_pseudonym_token() IS
    'New random pseudonym token: T1- and 26 base32 digits of 128 random bits.';

-- The mode and the key version of each client. A client created before this version
-- keeps the key version its stored pseudonyms carry, so the upgrade changes none of
-- them. Only a client without stored pseudonyms gets the active version, which needs a
-- readable key file.
ALTER TABLE uhc_reporting.clients
    ADD COLUMN pseudonym_mode text NOT NULL DEFAULT 'hmac'
        CONSTRAINT clients_pseudonym_mode_check CHECK (pseudonym_mode IN ('hmac', 'token')),
    ADD COLUMN key_version integer
        CONSTRAINT clients_key_version_check CHECK (key_version > 0);
UPDATE uhc_reporting.clients c
   SET key_version = coalesce(
           (SELECT max(substring(p.patient_pseudonym FROM '^P([0-9]+)-')::integer)
              FROM uhc_reporting.client_patient_pseudonyms p
             WHERE p.client_id = c.client_id),
           uhc_reporting.key_version());
-- create_client runs as uhc_reporting_role_manager, so that role evaluates the default.
ALTER TABLE uhc_reporting.clients
    ALTER COLUMN key_version SET DEFAULT uhc_reporting.key_version(),
    ALTER COLUMN key_version SET NOT NULL;
COMMENT ON COLUMN uhc_reporting.clients.pseudonym_mode IS
    'hmac: keyed HMAC pseudonyms; token: random tokens from client_patient_tokens.';
COMMENT ON COLUMN uhc_reporting.clients.key_version IS
    'Key version of the client''s HMAC pseudonyms; the active version when the client was created.';

-- The re-identification table of token mode. A token is assigned once per client and
-- patient and never replaced, so it survives refreshes and reloads of the patient's
-- dataset. Its rows go only when the client is dropped. Whoever reads this table, or a
-- backup of it, can turn every token back into a patient.
CREATE TABLE uhc_reporting.client_patient_tokens (
    client_id    integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    patient      uuid NOT NULL,
    token        text NOT NULL UNIQUE
        CONSTRAINT client_patient_tokens_token_check CHECK (token ~ '^T1-[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
    assigned_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (client_id, patient)
);
ALTER TABLE uhc_reporting.client_patient_tokens OWNER TO uhc_reporting_owner;
COMMENT ON TABLE uhc_reporting.client_patient_tokens IS
    'Random pseudonym tokens of token-mode clients: the re-identification table. Protect every copy.';

-- One row per completed reidentify() call. It contains neither the pseudonym nor the
-- patient, so reading it re-identifies no one.
CREATE TABLE uhc_reporting.reidentify_audit (
    audit_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor          name NOT NULL DEFAULT SESSION_USER,
    client_code    text NOT NULL,
    patient_found  boolean NOT NULL
);
ALTER TABLE uhc_reporting.reidentify_audit OWNER TO uhc_reporting_owner;
COMMENT ON TABLE uhc_reporting.reidentify_audit IS
    'Audit trail of reidentify(): session user, time, client and whether a patient was found.';

-- Gives every member of every client its pseudonym: a token in token mode, otherwise
-- the keyed HMAC with the client's key version. Runs only inside refresh(), as the
-- loader, so no client query ever assigns a token or touches a key.
CREATE OR REPLACE FUNCTION uhc_reporting.refresh_pseudonyms(only_dataset_id integer) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Members of token-mode clients without a token get one. Existing tokens stay, so
    -- a patient keeps its token across refreshes and reloads.
    INSERT INTO uhc_reporting.client_patient_tokens (client_id, patient, token)
    SELECT s.client_id, s.patient, uhc_reporting.new_pseudonym_token()
      FROM (SELECT DISTINCT m.client_id, m.patient
              FROM uhc_reporting.int_client_members m
              JOIN uhc_reporting.clients c ON c.client_id = m.client_id
             WHERE c.pseudonym_mode = 'token'
               AND (only_dataset_id IS NULL OR m.dataset_id = only_dataset_id)) AS s
     WHERE NOT EXISTS (SELECT 1 FROM uhc_reporting.client_patient_tokens t
                        WHERE t.client_id = s.client_id AND t.patient = s.patient);

    DELETE FROM uhc_reporting.client_patient_pseudonyms p
     WHERE only_dataset_id IS NULL OR p.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_patient_pseudonyms (client_id, dataset_id, patient, patient_pseudonym)
    SELECT m.client_id, m.dataset_id, m.patient,
           CASE c.pseudonym_mode
               WHEN 'token' THEN t.token
               ELSE uhc_reporting.pseudonym(c.client_code, m.patient, c.key_version)
           END
      FROM uhc_reporting.int_client_members m
      JOIN uhc_reporting.clients c ON c.client_id = m.client_id
      LEFT JOIN uhc_reporting.client_patient_tokens t
        ON t.client_id = m.client_id AND t.patient = m.patient
     WHERE only_dataset_id IS NULL OR m.dataset_id = only_dataset_id;
END
$$;

-- Returns whether a client has stored pseudonyms or tokens. set_client_pseudonym_mode
-- needs to know, but its owner must not read those tables, so this function reads them
-- for it and returns only the boolean.
CREATE FUNCTION uhc_reporting.client_has_assigned_pseudonyms(for_client_id integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM uhc_reporting.client_patient_pseudonyms p
                    WHERE p.client_id = for_client_id)
        OR EXISTS (SELECT 1 FROM uhc_reporting.client_patient_tokens t
                    WHERE t.client_id = for_client_id)
$$;

-- Sets a client's pseudonym mode. Allowed only while the client has no stored
-- pseudonyms or tokens, that is between create_client and its first refresh, because
-- a change would give every patient of the client a new pseudonym.
CREATE FUNCTION uhc_reporting.set_client_pseudonym_mode(client_code text, mode text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients := uhc_reporting.client_by_code(client_code);
BEGIN
    IF mode IS NULL OR mode NOT IN ('hmac', 'token') THEN
        RAISE EXCEPTION 'invalid pseudonym mode "%"', mode
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The pseudonym modes are "hmac" and "token".';
    END IF;
    IF target.pseudonym_mode = mode THEN
        RETURN;
    END IF;
    IF uhc_reporting.client_has_assigned_pseudonyms(target.client_id) THEN
        RAISE EXCEPTION 'client "%" already has pseudonyms', client_code
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A new mode would give every patient of the client a new pseudonym.',
                  HINT = 'Set the pseudonym mode right after create_client, before the first refresh.';
    END IF;
    UPDATE uhc_reporting.clients SET pseudonym_mode = mode WHERE client_id = target.client_id;
    INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
    VALUES ('set_client_pseudonym_mode', client_code,
            jsonb_build_object('from', target.pseudonym_mode, 'to', mode));
    PERFORM uhc_reporting.mark_summaries_stale('client pseudonym mode changed');
END
$$;

-- Switches a client's HMAC pseudonyms to another key version, which must be in the key
-- file. The client's stored pseudonyms change at the next refresh. Going back to an
-- older version is allowed, so a rotation can be undone. Tokens do not depend on the
-- key, so a token-mode client keeps its tokens.
CREATE FUNCTION uhc_reporting.set_client_key_version(client_code text, key_version integer) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients := uhc_reporting.client_by_code(client_code);
BEGIN
    IF key_version IS NULL THEN
        RAISE EXCEPTION 'key version is NULL'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'uhc_reporting.key_version() returns the active key version.';
    END IF;
    -- Raises 22023 for a version below 1 and 42704 for one missing from the key file.
    PERFORM uhc_reporting.key_fingerprint(key_version);
    IF target.key_version = key_version THEN
        RETURN;
    END IF;
    UPDATE uhc_reporting.clients SET key_version = set_client_key_version.key_version
     WHERE client_id = target.client_id;
    INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
    VALUES ('set_client_key_version', client_code,
            jsonb_build_object('from', target.key_version, 'to', key_version));
    PERFORM uhc_reporting.mark_summaries_stale('client key version changed');
END
$$;

-- Pairs each member's pseudonym under one key version with its pseudonym under another,
-- so that an analyst can join a client's history across a rotation. to_version defaults
-- to the client's current version. It returns no patient ids, and it runs with the
-- caller's rights, because uhc_reporting_internal may compute these pseudonyms anyway.
CREATE FUNCTION uhc_reporting.pseudonym_mapping(client_code text, from_version integer,
                                                to_version integer DEFAULT NULL)
RETURNS TABLE (old_pseudonym text, new_pseudonym text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients;
    target_version integer;
BEGIN
    SELECT * INTO target FROM uhc_reporting.clients c WHERE c.client_code = pseudonym_mapping.client_code;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'client "%" does not exist', client_code
            USING ERRCODE = 'undefined_object';
    END IF;
    IF target.pseudonym_mode = 'token' THEN
        RAISE EXCEPTION 'client "%" uses pseudonym tokens', client_code
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Tokens do not depend on the key version, so a rotation does not change them.';
    END IF;
    IF from_version IS NULL THEN
        RAISE EXCEPTION 'key version is NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    target_version := coalesce(to_version, target.key_version);
    RETURN QUERY
    SELECT uhc_reporting.pseudonym(target.client_code, m.patient, from_version),
           uhc_reporting.pseudonym(target.client_code, m.patient, target_version)
      FROM (SELECT DISTINCT cm.patient FROM uhc_reporting.int_client_members cm
             WHERE cm.client_id = target.client_id) AS m
     ORDER BY 1;
END
$$;

-- Returns the patient behind a client's pseudonym, or NULL when no current member of
-- the client has it. A "P<version>-" pseudonym is recomputed with that key version over
-- the client's members, so pseudonyms of an earlier version still resolve while that
-- version is in the key file. A "T1-" token is looked up in client_patient_tokens. Each
-- completed call adds a row to reidentify_audit. A call that fails leaves no row,
-- because the error rolls the insert back, but the server log records the error.
CREATE FUNCTION uhc_reporting.reidentify(client_code text, pseudonym text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients;
    normalized text := upper(pseudonym);
    tagged_version bigint;
    found_patient uuid;
BEGIN
    IF client_code IS NULL OR pseudonym IS NULL THEN
        RAISE EXCEPTION 'client code and pseudonym must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO target FROM uhc_reporting.clients c WHERE c.client_code = reidentify.client_code;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'client "%" does not exist', client_code
            USING ERRCODE = 'undefined_object';
    END IF;

    IF normalized ~ '^P[1-9][0-9]{0,9}-[0-7][0-9A-HJKMNP-TV-Z]{25}$' THEN
        tagged_version := substring(normalized FROM '^P([0-9]+)-')::bigint;
        IF tagged_version > 2147483647 THEN
            RAISE EXCEPTION 'invalid input syntax for pseudonym: key version out of range'
                USING ERRCODE = 'invalid_text_representation';
        END IF;
        SELECT m.patient INTO found_patient
          FROM (SELECT DISTINCT cm.patient FROM uhc_reporting.int_client_members cm
                 WHERE cm.client_id = target.client_id) AS m
         WHERE uhc_reporting.pseudonym(target.client_code, m.patient, tagged_version::integer) = normalized
         LIMIT 1;
    ELSIF normalized ~ '^T1-[0-7][0-9A-HJKMNP-TV-Z]{25}$' THEN
        SELECT t.patient INTO found_patient
          FROM uhc_reporting.client_patient_tokens t
         WHERE t.client_id = target.client_id AND t.token = normalized;
    ELSE
        -- The value is not repeated in the message, since it may be a patient id typed
        -- into the wrong field.
        RAISE EXCEPTION 'invalid input syntax for pseudonym'
            USING ERRCODE = 'invalid_text_representation',
                  DETAIL = 'A pseudonym is P<key version>- or T1- followed by 26 Crockford base32 digits.';
    END IF;

    INSERT INTO uhc_reporting.reidentify_audit (client_code, patient_found)
    VALUES (target.client_code, found_patient IS NOT NULL);
    RETURN found_patient;
END
$$;

-- Owners of the SECURITY DEFINER functions.
ALTER FUNCTION uhc_reporting.client_has_assigned_pseudonyms(integer) OWNER TO uhc_reporting_reidentifier;
ALTER FUNCTION uhc_reporting.reidentify(text, text) OWNER TO uhc_reporting_reidentifier;
ALTER FUNCTION uhc_reporting.set_client_pseudonym_mode(text, text) OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.set_client_key_version(text, integer) OWNER TO uhc_reporting_role_manager;

REVOKE ALL ON FUNCTION
    uhc_reporting.key_fingerprint(integer),
    uhc_reporting.new_pseudonym_token(),
    uhc_reporting.client_has_assigned_pseudonyms(integer),
    uhc_reporting.set_client_pseudonym_mode(text, text),
    uhc_reporting.set_client_key_version(text, integer),
    uhc_reporting.pseudonym_mapping(text, integer, integer),
    uhc_reporting.reidentify(text, text)
    FROM PUBLIC;
REVOKE ALL ON uhc_reporting.client_patient_tokens, uhc_reporting.reidentify_audit FROM PUBLIC;

-- The loader assigns tokens during refresh.
GRANT EXECUTE ON FUNCTION uhc_reporting.new_pseudonym_token() TO uhc_reporting_loader;
GRANT SELECT, INSERT ON uhc_reporting.client_patient_tokens TO uhc_reporting_loader;

-- The role manager evaluates the key_version default in create_client and checks
-- versions and stored pseudonyms in the two setters.
GRANT EXECUTE ON FUNCTION uhc_reporting.key_version(),
    uhc_reporting.key_fingerprint(integer),
    uhc_reporting.client_has_assigned_pseudonyms(integer)
    TO uhc_reporting_role_manager;

-- Admins compare key fingerprints, choose modes and key versions, and read the audit
-- trail of re-identification (who, when, which client).
GRANT EXECUTE ON FUNCTION uhc_reporting.key_fingerprint(integer),
    uhc_reporting.set_client_pseudonym_mode(text, text),
    uhc_reporting.set_client_key_version(text, integer)
    TO uhc_reporting_admin;
GRANT SELECT ON uhc_reporting.reidentify_audit TO uhc_reporting_admin;

-- Internal analysts map pseudonyms across a rotation and re-identify through the
-- audited function. They get no direct read of the token table.
GRANT EXECUTE ON FUNCTION uhc_reporting.key_fingerprint(integer),
    uhc_reporting.pseudonym_mapping(text, integer, integer),
    uhc_reporting.reidentify(text, text)
    TO uhc_reporting_internal;
GRANT SELECT ON uhc_reporting.reidentify_audit TO uhc_reporting_internal;
GRANT EXECUTE ON FUNCTION uhc_reporting.key_fingerprint(integer) TO uhc_reporting_loader;

-- What the re-identifier's functions read and write.
GRANT SELECT ON uhc_reporting.clients, uhc_reporting.int_client_members,
    uhc_reporting.client_patient_tokens, uhc_reporting.client_patient_pseudonyms
    TO uhc_reporting_reidentifier;
GRANT INSERT ON uhc_reporting.reidentify_audit TO uhc_reporting_reidentifier;
GRANT EXECUTE ON FUNCTION uhc_reporting.pseudonym(text, uuid, integer) TO uhc_reporting_reidentifier;

-- Row-level security. The token table has no policy for uhc_reporting_owner, which owns
-- the client views, and none for internal analysts: only refresh (as the loader) and the
-- re-identifier's functions read it, so no view can ever show a token table row.
ALTER TABLE uhc_reporting.client_patient_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE uhc_reporting.client_patient_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY loader_write ON uhc_reporting.client_patient_tokens FOR ALL
    TO uhc_reporting_loader USING (true) WITH CHECK (true);
CREATE POLICY reidentifier_read ON uhc_reporting.client_patient_tokens FOR SELECT
    TO uhc_reporting_reidentifier USING (true);
CREATE POLICY reidentifier_read ON uhc_reporting.client_patient_pseudonyms FOR SELECT
    TO uhc_reporting_reidentifier USING (true);
