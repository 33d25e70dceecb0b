-- Keyed patient pseudonyms. The master keys live in the file named by the server setting
-- uhc_reporting.key_file, never in the database; docs/pseudonym.md gives the derivation.
-- The functions are STABLE, not IMMUTABLE, because their result depends on that file,
-- which a configuration reload can change.

CREATE FUNCTION uhc_reporting.pseudonym(client_code text, patient uuid) RETURNS text
AS 'MODULE_PATHNAME', 'uhc_pseudonym_uuid'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.pseudonym(text, uuid) IS
    'Pseudonym of a patient for a client, with the active key version: P<version>- and 26 base32 digits.';

-- The text form accepts upper or lower case, hyphens or none, and braces; it exists for
-- ids that arrive as text, e.g. straight from a CSV column.
CREATE FUNCTION uhc_reporting.pseudonym(client_code text, patient text) RETURNS text
AS 'MODULE_PATHNAME', 'uhc_pseudonym_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.pseudonym(text, text) IS
    'Pseudonym of a patient UUID given as text, for a client, with the active key version.';

-- An explicit key version maps old pseudonyms to new ones during a key rotation.
CREATE FUNCTION uhc_reporting.pseudonym(client_code text, patient uuid, key_version integer) RETURNS text
AS 'MODULE_PATHNAME', 'uhc_pseudonym_uuid_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.pseudonym(text, uuid, integer) IS
    'Pseudonym of a patient for a client with the given key version, for key rotation.';

-- The version and the fingerprint are the only facts about the key that SQL can see.
CREATE FUNCTION uhc_reporting.key_version() RETURNS integer
AS 'MODULE_PATHNAME', 'uhc_key_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.key_version() IS
    'Active (highest) version in the pseudonym key file.';

CREATE FUNCTION uhc_reporting.key_fingerprint() RETURNS text
AS 'MODULE_PATHNAME', 'uhc_key_fingerprint'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.key_fingerprint() IS
    'First 16 hex digits of HMAC-SHA256(active master key, ''uhc_reporting key fingerprint'').';

-- Clients never call these: refresh materializes pseudonyms into tables as the loader.
REVOKE EXECUTE ON FUNCTION
    uhc_reporting.pseudonym(text, uuid),
    uhc_reporting.pseudonym(text, text),
    uhc_reporting.pseudonym(text, uuid, integer),
    uhc_reporting.key_version(),
    uhc_reporting.key_fingerprint()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    uhc_reporting.pseudonym(text, uuid),
    uhc_reporting.pseudonym(text, text),
    uhc_reporting.pseudonym(text, uuid, integer)
    TO uhc_reporting_loader, uhc_reporting_internal;
GRANT EXECUTE ON FUNCTION
    uhc_reporting.key_version(),
    uhc_reporting.key_fingerprint()
    TO uhc_reporting_admin, uhc_reporting_internal, uhc_reporting_loader;
