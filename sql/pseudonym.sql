-- Keyed patient pseudonyms with the test key file, which the test harness configures as
-- the single line "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f".
-- Every expected pseudonym and the fingerprint below were computed by
-- tests/harness/pseudonym_vectors.py (Python hmac and hashlib, not this extension).
-- Run it without arguments to print them again.

-- Returns the SQLSTATE and message of the error a statement raises, or "no error".
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- The key file has one key, version 1.
SELECT uhc_reporting.key_version() AS key_version;

-- Expected value from: tests/harness/pseudonym_vectors.py --key 0001...1f --fingerprint
SELECT uhc_reporting.key_fingerprint() = 'a862bcd4c6d3a6b6' AS fingerprint_matches;

-- Pseudonyms against the Python vectors, through the uuid and the text signatures.
SELECT v.client, v.patient,
       uhc_reporting.pseudonym(v.client, v.patient::uuid) = v.expected AS uuid_form_matches,
       uhc_reporting.pseudonym(v.client, v.patient) = v.expected AS text_form_matches,
       uhc_reporting.pseudonym(v.client, v.patient::uuid, 1) = v.expected AS version_1_matches
  FROM (VALUES
        ('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b', 'P1-36DANDE7D1V8Z0RT5SAWFRKZAJ'),
        ('UHC', '00000000-0000-0000-0000-000000000000', 'P1-3H2AZ0139CD72ZB5XAA7RS31PB'),
        ('UHC', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'P1-35QN80Q0WA9SGYGYQM0CQ3C6NN'),
        ('UHC', '123e4567-e89b-12d3-a456-426614174000', 'P1-3KHXGA0V0JMN7DCMG11TRWEQMK'),
        ('AETNA_2', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b', 'P1-27XAGHXXH5584S4499436NWCA6'),
        ('AETNA_2', '00000000-0000-0000-0000-000000000000', 'P1-1TB80FQ96BMFSCP77Y6ETBSPC5'),
        ('AETNA_2', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'P1-5M307MXXBCSZAS99ZJTRWP5J99'),
        ('AETNA_2', '123e4567-e89b-12d3-a456-426614174000', 'P1-7PHSS8GM6MBFFTW8AV2WDW3T63')
       ) AS v(client, patient, expected)
 ORDER BY v.client, v.patient;

-- Every spelling of one UUID gives the Python value.
SELECT s.spelling, uhc_reporting.pseudonym('UHC', s.spelling) = 'P1-36DANDE7D1V8Z0RT5SAWFRKZAJ' AS matches
  FROM (VALUES
        ('2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'),
        ('2B7A4A5E-9F1C-4C1E-8D3A-6F0B1E2D3C4B'),
        ('2b7A4a5E-9f1C-4c1E-8d3A-6f0B1e2D3c4B'),
        ('2b7a4a5e9f1c4c1e8d3a6f0b1e2d3c4b'),
        ('2B7A4A5E9F1C4C1E8D3A6F0B1E2D3C4B'),
        ('{2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b}'),
        ('{2B7A4A5E9F1C4C1E8D3A6F0B1E2D3C4B}')
       ) AS s(spelling);

-- Determinism: two calls in separate statements give the same text.
SELECT uhc_reporting.pseudonym('UHC', '123e4567-e89b-12d3-a456-426614174000'::uuid) AS first_call \gset
SELECT uhc_reporting.pseudonym('UHC', '123e4567-e89b-12d3-a456-426614174000'::uuid) = :'first_call' AS same_as_first_call;

-- Format and uniqueness over 20000 UUIDs, and no pseudonym shared between two clients.
SELECT count(*) AS patients,
       count(DISTINCT uhc_reporting.pseudonym('UHC', u)) AS distinct_uhc,
       count(DISTINCT uhc_reporting.pseudonym('AETNA_2', u)) AS distinct_aetna,
       bool_and(uhc_reporting.pseudonym('UHC', u) ~ '^P1-[0-9A-HJKMNP-TV-Z]{26}$') AS uhc_format_ok,
       bool_and(uhc_reporting.pseudonym('AETNA_2', u) ~ '^P1-[0-9A-HJKMNP-TV-Z]{26}$') AS aetna_format_ok,
       bool_and(uhc_reporting.pseudonym('UHC', u) <> uhc_reporting.pseudonym('AETNA_2', u)) AS clients_differ
  FROM (SELECT md5(i::text)::uuid AS u FROM generate_series(1, 20000) AS i) AS patients;

SELECT count(*) AS shared_between_clients
  FROM (SELECT uhc_reporting.pseudonym('UHC', md5(i::text)::uuid) AS p FROM generate_series(1, 20000) AS i) AS a
  JOIN (SELECT uhc_reporting.pseudonym('AETNA_2', md5(i::text)::uuid) AS p FROM generate_series(1, 20000) AS i) AS b
 USING (p);

-- NULL in, NULL out.
SELECT uhc_reporting.pseudonym(NULL, '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid) IS NULL AS null_client,
       uhc_reporting.pseudonym('UHC', NULL::uuid) IS NULL AS null_uuid,
       uhc_reporting.pseudonym('UHC', NULL::text) IS NULL AS null_text,
       uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid, NULL) IS NULL AS null_version;

-- Invalid patient text: SQLSTATE 22P02 with the 1-based position of the first bad
-- character, and never the value itself.
SELECT c.note, pg_temp.error_of(format('SELECT uhc_reporting.pseudonym(%L, %L::text)', 'UHC', c.patient)) AS error
  FROM (VALUES
        ('empty', ''),
        ('leading space', ' 2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'),
        ('trailing space', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b '),
        ('non-hex digit', '2b7a4a5g-9f1c-4c1e-8d3a-6f0b1e2d3c4b'),
        ('hyphen misplaced', '2b7a-4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'),
        ('hyphens mixed', '2b7a4a5e9f1c-4c1e-8d3a-6f0b1e2d3c4b'),
        ('too short', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4'),
        ('too long', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b00'),
        ('unclosed brace', '{2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'),
        ('unopened brace', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b}'),
        ('non-ASCII', '2b7aé4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'),
        ('name, not a UUID', 'Jane Doe')
       ) AS c(note, patient);

-- The same error shown in full, with its detail.
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4x');

-- Invalid client codes: SQLSTATE 22023.
SELECT c.code, pg_temp.error_of(format('SELECT uhc_reporting.pseudonym(%L, %L::uuid)', c.code,
                                       '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b')) AS error
  FROM (VALUES (''), ('U'), ('uhc'), ('1UHC'), ('_UHC'), ('UHC-2'), ('UHC '),
               ('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456')) AS c(code);
SELECT uhc_reporting.pseudonym('uhc', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid);

-- Key versions other than the ones in the file.
SELECT v.version, pg_temp.error_of(format('SELECT uhc_reporting.pseudonym(%L, %L::uuid, %s)', 'UHC',
                                          '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b', v.version)) AS error
  FROM (VALUES (2), (0), (-1), (2147483647)) AS v(version);

-- The functions are STABLE, STRICT and PARALLEL SAFE, and PUBLIC cannot execute them.
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'uhc_reporting'::regnamespace
   AND p.proname IN ('pseudonym', 'key_version', 'key_fingerprint')
 ORDER BY p.oid::regprocedure::text;

SELECT r.rolname,
       has_function_privilege(r.rolname, 'uhc_reporting.pseudonym(text, uuid)', 'EXECUTE') AS pseudonym_uuid,
       has_function_privilege(r.rolname, 'uhc_reporting.pseudonym(text, text)', 'EXECUTE') AS pseudonym_text,
       has_function_privilege(r.rolname, 'uhc_reporting.pseudonym(text, uuid, integer)', 'EXECUTE') AS pseudonym_version,
       has_function_privilege(r.rolname, 'uhc_reporting.key_version()', 'EXECUTE') AS key_version,
       has_function_privilege(r.rolname, 'uhc_reporting.key_fingerprint()', 'EXECUTE') AS key_fingerprint
  FROM (VALUES ('uhc_reporting_loader'), ('uhc_reporting_internal'), ('uhc_reporting_admin'),
               ('uhc_reporting_owner')) AS r(rolname)
 ORDER BY r.rolname;

-- The key file path is a server setting: only the configuration file can set it, and
-- only superusers can read it.
SELECT pg_temp.error_of('SET uhc_reporting.key_file = ''/tmp/other.keys''') AS session_set;
ALTER SYSTEM SET uhc_reporting.key_file = '/tmp/other.keys';
SELECT pg_temp.error_of('ALTER DATABASE ' || quote_ident(current_database()) ||
                        ' SET uhc_reporting.key_file = ''/tmp/other.keys''') AS alter_database;
SELECT name, context FROM pg_settings WHERE name = 'uhc_reporting.key_file';

BEGIN;
CREATE ROLE uhc_pseudonym_test_reader NOLOGIN;
SET LOCAL ROLE uhc_pseudonym_test_reader;
SELECT pg_temp.error_of('SHOW uhc_reporting.key_file') AS show_as_non_superuser;
SELECT count(*) AS visible_in_pg_settings FROM pg_settings WHERE name = 'uhc_reporting.key_file';
ROLLBACK;
