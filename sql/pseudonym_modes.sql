-- Pseudonym modes, per-client key versions, rotation functions and re-identification,
-- with the test key file of the harness (one line, version 1, key bytes 0x00 to 0x1f).
--
-- Data: dataset pm_regress with patients f001, f002, f003, each with one encounter paid
-- by "PM Alpha" and one procedure; dataset pm_regress_2 contains patient f001 again, as a
-- reload would.
-- Clients PM_HMAC, PM_OTHER and PM_TOKEN all pay through "PM Alpha", so each has the
-- same three members. The expected HMAC pseudonyms were computed by
-- tests/harness/pseudonym_vectors.py (Python hmac and hashlib, not this extension):
--   pseudonym_vectors.py --key 0001...1f --version 1 PM_HMAC <uuid> ...
--   PM_HMAC  f001 P1-1M3D3FE5AQNRF00V6J14Z1DVK0  PM_OTHER f001 P1-0J5E85Q8SVM2H76355BZ4V0D1T
--   PM_HMAC  f002 P1-5SPMWYZC63BPTDJQDBXMPZTW4E  PM_OTHER f002 P1-06AMM5RPYHYVGCB4MHQ2WMBCF3
--   PM_HMAC  f003 P1-3CKH8VP27S9DW0MTF9DR1GFJ87  PM_OTHER f003 P1-7EJ3KJAMG928A8J8A3NHG4CFWD

SET client_min_messages = warning;

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

INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout)
VALUES ('pm_regress', '3.3+'), ('pm_regress_2', '3.3+');
INSERT INTO uhc_reporting.payers (dataset_id, id, name)
SELECT dataset_id, '00000000-0000-4000-8000-00000000f0a1', 'PM Alpha'
  FROM uhc_reporting.datasets WHERE dataset_name IN ('pm_regress', 'pm_regress_2');
INSERT INTO uhc_reporting.organizations (dataset_id, id, name)
SELECT dataset_id, '00000000-0000-4000-8000-00000000f0b1', 'PM Clinic'
  FROM uhc_reporting.datasets WHERE dataset_name IN ('pm_regress', 'pm_regress_2');
INSERT INTO uhc_reporting.patients (dataset_id, id, birthdate, ssn, first, last)
SELECT d.dataset_id, ('00000000-0000-4000-8000-00000000f00' || v.n)::uuid, '1970-01-01',
       '999-01-000' || v.n, 'Test' || v.n, 'Patient' || v.n
  FROM uhc_reporting.datasets d, (VALUES (1), (2), (3)) AS v(n)
 WHERE d.dataset_name = 'pm_regress' OR (d.dataset_name = 'pm_regress_2' AND v.n = 1);
INSERT INTO uhc_reporting.encounters (dataset_id, id, start, patient, organization, payer, encounterclass, base_encounter_cost)
SELECT p.dataset_id, ('00000000-0000-4000-8000-00000000fe0' || right(p.id::text, 1))::uuid,
       '2024-01-15T10:00:00Z', p.id, '00000000-0000-4000-8000-00000000f0b1',
       '00000000-0000-4000-8000-00000000f0a1', 'ambulatory', 75.00
  FROM uhc_reporting.patients p
  JOIN uhc_reporting.datasets d ON d.dataset_id = p.dataset_id
 WHERE d.dataset_name IN ('pm_regress', 'pm_regress_2');
INSERT INTO uhc_reporting.procedures (dataset_id, source_line, start, patient, encounter, code, description, base_cost)
SELECT e.dataset_id, row_number() OVER (PARTITION BY e.dataset_id ORDER BY e.id) + 1, e.start, e.patient, e.id,
       '171207006', 'Depression screening (procedure)', 100.00
  FROM uhc_reporting.encounters e
  JOIN uhc_reporting.datasets d ON d.dataset_id = e.dataset_id
 WHERE d.dataset_name IN ('pm_regress', 'pm_regress_2');

CREATE ROLE regress_pm_admin NOLOGIN IN ROLE uhc_reporting_admin;
CREATE ROLE regress_pm_internal NOLOGIN IN ROLE uhc_reporting_internal;
CREATE ROLE regress_pm_client LOGIN;

-- New clients: mode hmac and the active key version by default.
SET ROLE regress_pm_admin;
SELECT uhc_reporting.create_client('PM_HMAC', 'PM HMAC', ARRAY['PM Alpha']) IS NOT NULL AS created;
SELECT uhc_reporting.create_client('PM_OTHER', 'PM Other', ARRAY['PM Alpha']) IS NOT NULL AS created;
SELECT uhc_reporting.create_client('PM_TOKEN', 'PM Token', ARRAY['PM Alpha']) IS NOT NULL AS created;
SELECT client_code, pseudonym_mode, key_version FROM uhc_reporting.clients
 WHERE client_code LIKE 'PM\_%' ORDER BY client_code;

-- The mode: invalid values, an unknown client, then token mode for PM_TOKEN.
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_pseudonym_mode('PM_TOKEN', 'random')$$) AS bad_mode;
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_pseudonym_mode('PM_TOKEN', NULL)$$) AS null_mode;
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_pseudonym_mode('PM_NOBODY', 'token')$$) AS unknown_client;
SELECT uhc_reporting.set_client_pseudonym_mode('PM_TOKEN', 'token');
SELECT uhc_reporting.grant_client_access('PM_HMAC', 'regress_pm_client');
SELECT uhc_reporting.refresh();
RESET ROLE;

-- HMAC mode: the stored pseudonyms are the Python values, in both datasets.
SELECT c.client_code, d.dataset_name, p.patient, p.patient_pseudonym = v.expected AS matches_python
  FROM uhc_reporting.client_patient_pseudonyms p
  JOIN uhc_reporting.clients c ON c.client_id = p.client_id
  JOIN uhc_reporting.datasets d ON d.dataset_id = p.dataset_id
  JOIN (VALUES ('PM_HMAC', '00000000-0000-4000-8000-00000000f001'::uuid, 'P1-1M3D3FE5AQNRF00V6J14Z1DVK0'),
               ('PM_HMAC', '00000000-0000-4000-8000-00000000f002'::uuid, 'P1-5SPMWYZC63BPTDJQDBXMPZTW4E'),
               ('PM_HMAC', '00000000-0000-4000-8000-00000000f003'::uuid, 'P1-3CKH8VP27S9DW0MTF9DR1GFJ87'),
               ('PM_OTHER', '00000000-0000-4000-8000-00000000f001'::uuid, 'P1-0J5E85Q8SVM2H76355BZ4V0D1T'),
               ('PM_OTHER', '00000000-0000-4000-8000-00000000f002'::uuid, 'P1-06AMM5RPYHYVGCB4MHQ2WMBCF3'),
               ('PM_OTHER', '00000000-0000-4000-8000-00000000f003'::uuid, 'P1-7EJ3KJAMG928A8J8A3NHG4CFWD')
       ) AS v(client_code, patient, expected)
    ON v.client_code = c.client_code AND v.patient = p.patient
 ORDER BY c.client_code, d.dataset_name, p.patient;

-- Token mode: one token per patient in the token format, the same token for patient
-- f001 in both datasets, and every token in the mapping table.
SELECT d.dataset_name, p.patient, p.patient_pseudonym ~ '^T1-[0-7][0-9A-HJKMNP-TV-Z]{25}$' AS token_format
  FROM uhc_reporting.client_patient_pseudonyms p
  JOIN uhc_reporting.clients c ON c.client_id = p.client_id
  JOIN uhc_reporting.datasets d ON d.dataset_id = p.dataset_id
 WHERE c.client_code = 'PM_TOKEN'
 ORDER BY d.dataset_name, p.patient;
SELECT count(DISTINCT p.patient_pseudonym) AS distinct_tokens,
       count(DISTINCT p.patient) AS patients,
       bool_and(t.token = p.patient_pseudonym) AS stored_tokens_match
  FROM uhc_reporting.client_patient_pseudonyms p
  JOIN uhc_reporting.clients c ON c.client_id = p.client_id
  JOIN uhc_reporting.client_patient_tokens t ON t.client_id = p.client_id AND t.patient = p.patient
 WHERE c.client_code = 'PM_TOKEN';

-- Unlinkability: no pseudonym or token is shared between two clients.
SELECT count(*) AS shared_pseudonyms
  FROM uhc_reporting.client_patient_pseudonyms a
  JOIN uhc_reporting.client_patient_pseudonyms b
    ON a.patient_pseudonym = b.patient_pseudonym AND a.client_id <> b.client_id
 WHERE a.client_id IN (SELECT client_id FROM uhc_reporting.clients WHERE client_code LIKE 'PM\_%');

-- Determinism: the pseudonyms and tokens survive two more refreshes and a new session.
CREATE TABLE public.pm_saved AS
SELECT p.client_id, p.dataset_id, p.patient, p.patient_pseudonym
  FROM uhc_reporting.client_patient_pseudonyms p
  JOIN uhc_reporting.clients c ON c.client_id = p.client_id
 WHERE c.client_code LIKE 'PM\_%';
SELECT uhc_reporting.refresh();
SELECT uhc_reporting.refresh((SELECT dataset_id FROM uhc_reporting.datasets WHERE dataset_name = 'pm_regress'));
\c
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT count(*) AS saved,
       count(*) FILTER (WHERE s.patient_pseudonym = p.patient_pseudonym) AS unchanged
  FROM public.pm_saved s
  LEFT JOIN uhc_reporting.client_patient_pseudonyms p
    ON p.client_id = s.client_id AND p.dataset_id = s.dataset_id AND p.patient = s.patient;
SELECT count(*) AS recomputed_in_new_session,
       count(*) FILTER (WHERE uhc_reporting.pseudonym(c.client_code, s.patient) = s.patient_pseudonym) AS equal
  FROM public.pm_saved s
  JOIN uhc_reporting.clients c ON c.client_id = s.client_id
 WHERE c.pseudonym_mode = 'hmac';

-- Once a client has pseudonyms its mode is fixed.
SET ROLE regress_pm_admin;
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_pseudonym_mode('PM_TOKEN', 'hmac')$$) AS token_to_hmac;
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_pseudonym_mode('PM_HMAC', 'token')$$) AS hmac_to_token;
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_pseudonym_mode('PM_HMAC', 'hmac')$$) AS same_mode;

-- Key versions: the file contains version 1 only. The fingerprint of version 1 is the
-- published one (pseudonym_vectors.py --key 0001...1f --fingerprint).
SELECT uhc_reporting.key_fingerprint(1) = 'a862bcd4c6d3a6b6' AS fingerprint_1_matches,
       uhc_reporting.key_fingerprint(1) = uhc_reporting.key_fingerprint() AS active_is_1;
SELECT v.version, pg_temp.error_of(format('SELECT uhc_reporting.set_client_key_version(%L, %s)', 'PM_HMAC', v.version)) AS error
  FROM (VALUES ('2'), ('0'), ('-1'), ('NULL'), ('1')) AS v(version);
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_key_version('PM_NOBODY', 1)$$) AS unknown_client;
SELECT client_code, key_version FROM uhc_reporting.clients WHERE client_code LIKE 'PM\_%' ORDER BY 1;
RESET ROLE;

-- The old-to-new mapping is for internal analysts. With one key version, old = new.
SET ROLE regress_pm_internal;
SELECT old_pseudonym, new_pseudonym, old_pseudonym = new_pseudonym AS same
  FROM uhc_reporting.pseudonym_mapping('PM_HMAC', 1);
SELECT pg_temp.error_of($$SELECT * FROM uhc_reporting.pseudonym_mapping('PM_HMAC', 1, 2)$$) AS missing_version;
SELECT pg_temp.error_of($$SELECT * FROM uhc_reporting.pseudonym_mapping('PM_TOKEN', 1)$$) AS token_client;
SELECT pg_temp.error_of($$SELECT * FROM uhc_reporting.pseudonym_mapping('PM_NOBODY', 1)$$) AS unknown_client;
RESET ROLE;
SET ROLE regress_pm_admin;
SELECT pg_temp.error_of($$SELECT * FROM uhc_reporting.pseudonym_mapping('PM_HMAC', 1)$$) AS admin_mapping;
RESET ROLE;

-- Re-identification by an internal analyst: an HMAC pseudonym in either case, a token,
-- a pseudonym of another client, an unknown token and invalid text.
SELECT p.patient_pseudonym AS pm_token_f002 FROM pm_saved p
  JOIN uhc_reporting.clients c ON c.client_id = p.client_id
 WHERE c.client_code = 'PM_TOKEN' AND p.patient = '00000000-0000-4000-8000-00000000f002'
 LIMIT 1 \gset
SET ROLE regress_pm_internal;
SELECT uhc_reporting.reidentify('PM_HMAC', 'P1-5SPMWYZC63BPTDJQDBXMPZTW4E') AS hmac_f002;
SELECT uhc_reporting.reidentify('PM_HMAC', 'p1-3ckh8vp27s9dw0mtf9dr1gfj87') AS lower_case_f003;
SELECT uhc_reporting.reidentify('PM_TOKEN', :'pm_token_f002') AS token_f002;
SELECT uhc_reporting.reidentify('PM_HMAC', 'P1-06AMM5RPYHYVGCB4MHQ2WMBCF3') AS other_clients_pseudonym;
SELECT uhc_reporting.reidentify('PM_OTHER', :'pm_token_f002') AS token_of_another_client;
SELECT uhc_reporting.reidentify('PM_TOKEN', 'T1-00000000000000000000000000') AS unknown_token;
SELECT c.input, pg_temp.error_of(format('SELECT uhc_reporting.reidentify(%L, %L)', 'PM_HMAC', c.input)) AS error
  FROM (VALUES ('00000000-0000-4000-8000-00000000f002'), ('P1-5SPMWYZC63BPTDJQDBXMPZTW4'),
               ('P0-5SPMWYZC63BPTDJQDBXMPZTW4E'), ('P1-USPMWYZC63BPTDJQDBXMPZTW4E'),
               ('P99999999999-5SPMWYZC63BPTDJQDBXMPZTW4E'), ('')) AS c(input);
SELECT pg_temp.error_of($$SELECT uhc_reporting.reidentify('PM_HMAC', 'P2-5SPMWYZC63BPTDJQDBXMPZTW4E')$$) AS missing_version;
SELECT pg_temp.error_of($$SELECT uhc_reporting.reidentify('PM_NOBODY', 'P1-5SPMWYZC63BPTDJQDBXMPZTW4E')$$) AS unknown_client;
SELECT pg_temp.error_of($$SELECT uhc_reporting.reidentify(NULL, 'P1-5SPMWYZC63BPTDJQDBXMPZTW4E')$$) AS null_client;
-- Internal analysts read the audit trail, but not the token table.
SELECT client_code, patient_found, actor = session_user AS by_session_user
  FROM uhc_reporting.reidentify_audit ORDER BY audit_id;
SELECT pg_temp.error_of('SELECT count(*) FROM uhc_reporting.client_patient_tokens') AS internal_reads_tokens;
RESET ROLE;

-- The audit trail contains no patient id and no pseudonym: its columns are these.
SELECT attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute
 WHERE attrelid = 'uhc_reporting.reidentify_audit'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;

-- Refused for the admin role and a client login role: 42501, and no audit row.
SELECT count(*) AS audit_rows_before FROM uhc_reporting.reidentify_audit \gset
SET ROLE regress_pm_admin;
SELECT pg_temp.error_of($$SELECT uhc_reporting.reidentify('PM_HMAC', 'P1-5SPMWYZC63BPTDJQDBXMPZTW4E')$$) AS admin_reidentify;
SELECT pg_temp.error_of('SELECT count(*) FROM uhc_reporting.client_patient_tokens') AS admin_reads_tokens;
SELECT count(*) > 0 AS admin_reads_audit FROM uhc_reporting.reidentify_audit;
RESET ROLE;
SET ROLE regress_pm_client;
SELECT pg_temp.error_of($$SELECT uhc_reporting.reidentify('PM_HMAC', 'P1-5SPMWYZC63BPTDJQDBXMPZTW4E')$$) AS client_reidentify;
SELECT pg_temp.error_of($$SELECT * FROM uhc_reporting.pseudonym_mapping('PM_HMAC', 1)$$) AS client_mapping;
SELECT pg_temp.error_of('SELECT count(*) FROM uhc_reporting.client_patient_tokens') AS client_reads_tokens;
SELECT pg_temp.error_of('SELECT count(*) FROM uhc_reporting.reidentify_audit') AS client_reads_audit;
SELECT pg_temp.error_of('SELECT uhc_reporting.new_pseudonym_token()') AS client_makes_token;
SELECT pg_temp.error_of('SELECT uhc_reporting.key_fingerprint(1)') AS client_fingerprint;
SELECT pg_temp.error_of($$SELECT uhc_reporting.set_client_key_version('PM_HMAC', 1)$$) AS client_sets_version;
-- The client's own view shows its HMAC pseudonyms, never a token.
SELECT count(*) AS own_rows, bool_and(patient_pseudonym LIKE 'P1-%') AS hmac_pseudonyms
  FROM uhc_reporting_client.procedure_export;
RESET ROLE;
SELECT count(*) - :audit_rows_before AS audit_rows_added FROM uhc_reporting.reidentify_audit;

-- The owner of the client views sees no token, because no policy lets it.
SET ROLE uhc_reporting_owner;
SELECT count(*) AS tokens_visible_to_view_owner FROM uhc_reporting.client_patient_tokens;
RESET ROLE;

-- Privileges of the new functions.
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer, p.proowner::regrole AS owner,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'uhc_reporting'::regnamespace
   AND p.proname IN ('key_fingerprint', 'new_pseudonym_token', 'client_has_assigned_pseudonyms',
                     'set_client_pseudonym_mode', 'set_client_key_version', 'pseudonym_mapping',
                     'reidentify', 'refresh_pseudonyms')
 ORDER BY p.oid::regprocedure::text;

-- Cleanup, so that later tests see none of these rows.
SELECT uhc_reporting.drop_client('PM_HMAC'), uhc_reporting.drop_client('PM_OTHER'),
       uhc_reporting.drop_client('PM_TOKEN');
SELECT count(*) AS tokens_left FROM uhc_reporting.client_patient_tokens;
DROP TABLE public.pm_saved;
DELETE FROM uhc_reporting.client_audit WHERE client_code LIKE 'PM\_%';
DELETE FROM uhc_reporting.reidentify_audit WHERE client_code LIKE 'PM\_%';
DELETE FROM uhc_reporting.datasets WHERE dataset_name IN ('pm_regress', 'pm_regress_2');
DROP ROLE regress_pm_admin, regress_pm_internal, regress_pm_client;
