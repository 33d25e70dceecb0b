-- Client registry, client views and row-level security on a small synthetic dataset
-- whose expected figures are worked out by hand in the comments below.
--
-- Payers: UnitedHealthcare (UHC), Aetna (AETNA), Medicare, NO_INSURANCE.
-- Encounters (patient, payer, UTC start) and their procedures (base cost):
--   e1 pat1 UnitedHealthcare 2024-01-15  screening 100.00, reconciliation 50.00
--   e2 pat1 UnitedHealthcare 2024-03-31T23:30Z  chest X-ray 200.00 (a UTC March date)
--   e3 pat1 NO_INSURANCE     2024-02-10  extraction 300.00
--   e4 pat2 Aetna            2024-01-20  screening 100.00
--   e5 pat3 UnitedHealthcare 2024-02-01  no procedure
--   e6 pat3 Aetna            2024-02-02  hemodialysis 500.00
--   e7 pat4 NO_INSURANCE     2024-02-03  screening 10.00
--   e8 pat2 Medicare         2024-04-01  colonoscopy 800.00
-- UHC: own encounters e1 e2 e5 (3), own procedures 3, base cost 350.00, patients 2;
--      members pat1 pat3; outside rows: e3 uninsured (1), e6 other payer (1).
-- AETNA: own encounters e4 e6 (2), own procedures 2, base cost 600.00, patients 2;
--      members pat2 pat3 (pat3 through a payer transition too); outside: e8 other payer (1).
-- pat4 is nobody's member, so e7 reaches no client.

\set ON_ERROR_STOP 0
SET client_min_messages = warning;

INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout) VALUES ('regress', '3.3+');
INSERT INTO uhc_reporting.payers (dataset_id, id, name)
SELECT d.dataset_id, v.id::uuid, v.name
  FROM uhc_reporting.datasets d,
       (VALUES ('00000000-0000-4000-8000-0000000000a1', 'UnitedHealthcare'),
               ('00000000-0000-4000-8000-0000000000a2', 'Aetna'),
               ('00000000-0000-4000-8000-0000000000a3', 'Medicare'),
               ('00000000-0000-4000-8000-0000000000a4', 'NO_INSURANCE')) AS v(id, name)
 WHERE d.dataset_name = 'regress';
INSERT INTO uhc_reporting.organizations (dataset_id, id, name)
SELECT dataset_id, '00000000-0000-4000-8000-0000000000b1', 'Riverside Clinic'
  FROM uhc_reporting.datasets WHERE dataset_name = 'regress';
INSERT INTO uhc_reporting.patients (dataset_id, id, birthdate, ssn, first, last)
SELECT d.dataset_id, v.id::uuid, '1970-01-01', '999-00-000' || v.n, 'Test' || v.n, 'Patient' || v.n
  FROM uhc_reporting.datasets d,
       (VALUES (1, '00000000-0000-4000-8000-0000000000c1'), (2, '00000000-0000-4000-8000-0000000000c2'),
               (3, '00000000-0000-4000-8000-0000000000c3'), (4, '00000000-0000-4000-8000-0000000000c4')) AS v(n, id)
 WHERE d.dataset_name = 'regress';
INSERT INTO uhc_reporting.encounters (dataset_id, id, start, patient, organization, payer, encounterclass, base_encounter_cost)
SELECT d.dataset_id, ('00000000-0000-4000-8000-0000000000e' || v.n)::uuid, v.start::timestamptz,
       ('00000000-0000-4000-8000-0000000000c' || v.patient)::uuid,
       '00000000-0000-4000-8000-0000000000b1',
       ('00000000-0000-4000-8000-0000000000a' || v.payer)::uuid, 'ambulatory', 75.00
  FROM uhc_reporting.datasets d,
       (VALUES (1, 1, 1, '2024-01-15T10:00:00Z'), (2, 1, 1, '2024-03-31T23:30:00Z'),
               (3, 1, 4, '2024-02-10T09:00:00Z'), (4, 2, 2, '2024-01-20T09:00:00Z'),
               (5, 3, 1, '2024-02-01T09:00:00Z'), (6, 3, 2, '2024-02-02T09:00:00Z'),
               (7, 4, 4, '2024-02-03T09:00:00Z'), (8, 2, 3, '2024-04-01T09:00:00Z')) AS v(n, patient, payer, start)
 WHERE d.dataset_name = 'regress';
INSERT INTO uhc_reporting.procedures (dataset_id, source_line, start, patient, encounter, code, description, base_cost)
SELECT d.dataset_id, v.line, e.start, e.patient, e.id, v.code, v.description, v.cost
  FROM uhc_reporting.datasets d
  JOIN uhc_reporting.encounters e ON e.dataset_id = d.dataset_id
  JOIN (VALUES (2, 1, '171207006', 'Depression screening (procedure)', 100.00),
               (3, 1, '430193006', 'Medication reconciliation (procedure)', 50.00),
               (4, 2, '399208008', 'Plain chest X-ray (procedure)', 200.00),
               (5, 3, '65546002', 'Extraction of tooth (procedure)', 300.00),
               (6, 4, '171207006', 'Depression screening (procedure)', 100.00),
               (7, 6, '302497006', 'Hemodialysis (procedure)', 500.00),
               (8, 7, '171207006', 'Depression screening (procedure)', 10.00),
               (9, 8, '73761001', 'Colonoscopy (procedure)', 800.00)) AS v(line, encounter, code, description, cost)
    ON e.id = ('00000000-0000-4000-8000-0000000000e' || v.encounter)::uuid
 WHERE d.dataset_name = 'regress';
INSERT INTO uhc_reporting.payer_transitions (dataset_id, source_line, patient, start_date, payer)
SELECT dataset_id, 2, '00000000-0000-4000-8000-0000000000c3', '2020-01-01', '00000000-0000-4000-8000-0000000000a2'
  FROM uhc_reporting.datasets WHERE dataset_name = 'regress';

-- Invalid calls are rejected with a clear error.
SELECT uhc_reporting.create_client('uhc', 'UnitedHealthcare', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.create_client('UHC', '  ', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.create_client('UHC', 'UnitedHealthcare', ARRAY['']);

SELECT uhc_reporting.create_client('UHC', 'UnitedHealthcare', ARRAY['UnitedHealthcare']) IS NOT NULL AS created;
SELECT uhc_reporting.create_client('AETNA', 'Aetna', ARRAY['aetna']) IS NOT NULL AS created;
-- The same call again changes nothing; another display name for the code is an error.
SELECT count(*) AS clients_before FROM uhc_reporting.clients;
SELECT uhc_reporting.create_client('UHC', 'UnitedHealthcare', ARRAY['UnitedHealthcare']) = group_role AS same_role
  FROM uhc_reporting.clients WHERE client_code = 'UHC';
SELECT count(*) AS clients_after FROM uhc_reporting.clients;
SELECT uhc_reporting.create_client('UHC', 'United', ARRAY['UnitedHealthcare']);

-- Group roles have neutral names: nothing every role can read names a client.
SELECT client_code, group_role ~ '^uhc_reporting_client_[0-9]+_[0-9]+$' AS neutral_role FROM uhc_reporting.clients ORDER BY 1;

CREATE ROLE regress_login_a LOGIN;
CREATE ROLE regress_login_b LOGIN;
CREATE ROLE regress_super SUPERUSER;
SELECT uhc_reporting.grant_client_access('UHC', 'regress_login_a');
SELECT uhc_reporting.grant_client_access('AETNA', 'regress_login_b');
SELECT uhc_reporting.grant_client_access('UHC', 'regress_no_such_role');
SELECT uhc_reporting.grant_client_access('UHC', 'regress_super');
SELECT uhc_reporting.grant_client_access('UHC', 'regress_login_b');
SELECT uhc_reporting.grant_client_access('NOPE', 'regress_login_a');

-- Every count here is below the small-cell threshold. The hand-computed figures above are
-- unsuppressed counts, so suppression is turned off for this test (a threshold of 1
-- suppresses nothing); its own test covers suppression.
UPDATE uhc_reporting.settings SET value = '1' WHERE name = 'small_cell_threshold';
UPDATE uhc_reporting.settings SET value = '2' WHERE name = 'high_volume_min_encounters';
-- Logins with wider rights are refused: they would see more than one client or could
-- read the key file.
CREATE ROLE regress_login_admin LOGIN IN ROLE uhc_reporting_admin;
CREATE ROLE regress_login_files LOGIN IN ROLE pg_read_server_files;
SELECT uhc_reporting.grant_client_access('UHC', 'regress_login_admin');
SELECT uhc_reporting.grant_client_access('UHC', 'regress_login_files');
-- An over-long invalid code is cut to 40 characters in the message.
SELECT uhc_reporting.create_client(repeat('x', 100), 'Long', '{}');
-- Group roles carry the marker that drop_orphan_client_roles() requires; a DBA's role
-- with a matching name but without the marker is left alone.
SELECT count(*) AS marked_group_roles FROM uhc_reporting.clients c JOIN pg_roles r ON r.rolname = c.group_role
 WHERE shobj_description(r.oid, 'pg_authid') = 'uhc_reporting client group role';
DO $$ BEGIN
    EXECUTE format('CREATE ROLE %I NOLOGIN', 'uhc_reporting_client_'
                   || (SELECT oid FROM pg_database WHERE datname = current_database()) || '_999');
END $$;
SELECT count(*) AS orphans_dropped FROM uhc_reporting.drop_orphan_client_roles();
DO $$ BEGIN
    EXECUTE format('DROP ROLE %I', 'uhc_reporting_client_'
                   || (SELECT oid FROM pg_database WHERE datname = current_database()) || '_999');
END $$;
DROP ROLE regress_login_admin, regress_login_files;

SELECT stale_reason IS NOT NULL AS stale_before_refresh FROM uhc_reporting.refresh_state;
SELECT uhc_reporting.refresh();
SELECT stale_reason IS NULL AS fresh_after_refresh FROM uhc_reporting.refresh_state;

-- UHC's login sees UHC's figures only.
SET ROLE regress_login_a;
SELECT total_encounters, total_procedures, patients, total_procedure_base_cost,
       high_volume_patients, member_uninsured_procedures, member_other_payer_procedures
  FROM uhc_reporting_client.kpi_tiles;
SELECT procedure_description, procedure_date, base_cost, payer_name,
       patient_pseudonym ~ '^P1-[0-9A-HJKMNP-TV-Z]{26}$' AS pseudonym_format
  FROM uhc_reporting_client.procedure_export
 ORDER BY procedure_description, procedure_date DESC, patient_pseudonym;
SELECT month, encounters, patients, procedures, total_base_cost
  FROM uhc_reporting_client.monthly_volume ORDER BY month;
SELECT count(*) AS months, min(month) AS first_month, max(month) AS last_month,
       sum(encounters) AS encounters
  FROM uhc_reporting_client.monthly_volume_last_12;
SELECT month, coverage, procedures, encounters, patients
  FROM uhc_reporting_client.outside_care_monthly ORDER BY month, coverage;
SELECT encounters FROM uhc_reporting_client.high_volume_patients;
-- Everything beneath the views is refused.
SELECT count(*) FROM uhc_reporting.patients;
SELECT count(*) FROM uhc_reporting.client_procedure_rows;
SELECT * FROM uhc_reporting.clients;
SELECT uhc_reporting.refresh();
SELECT uhc_reporting.create_client('EVIL', 'Evil', ARRAY['Aetna']);
RESET ROLE;

-- The high-volume tile follows the setting without a refresh: at 3 own encounters
-- neither pat1 (2) nor pat3 (1) counts.
UPDATE uhc_reporting.settings SET value = '3' WHERE name = 'high_volume_min_encounters';
SET ROLE regress_login_a;
SELECT high_volume_patients, patients FROM uhc_reporting_client.kpi_tiles;
RESET ROLE;
UPDATE uhc_reporting.settings SET value = '2' WHERE name = 'high_volume_min_encounters';
-- Aetna's login sees Aetna's figures only, and other pseudonyms for the shared patient.
SET ROLE regress_login_b;
SELECT total_encounters, total_procedures, patients, total_procedure_base_cost,
       member_uninsured_procedures, member_other_payer_procedures
  FROM uhc_reporting_client.kpi_tiles;
SELECT procedure_description, payer_name FROM uhc_reporting_client.procedure_export ORDER BY 1;
RESET ROLE;
SELECT count(*) AS shared_pseudonyms
  FROM uhc_reporting.client_encounter_rows a
  JOIN uhc_reporting.client_encounter_rows b ON a.patient_pseudonym = b.patient_pseudonym
 WHERE a.client_id <> b.client_id;

-- A revoked login reads nothing any more.
SELECT uhc_reporting.revoke_client_access('UHC', 'regress_login_a');
SELECT uhc_reporting.revoke_client_access('UHC', 'regress_login_a');
SET ROLE regress_login_a;
SELECT count(*) FROM uhc_reporting_client.procedure_export;
RESET ROLE;

SELECT client_code, display_name, payer_names, login_roles FROM uhc_reporting.list_clients();

-- Dropping a client removes its role and its rows; the audit trail records every change.
SELECT uhc_reporting.drop_client('AETNA');
SELECT uhc_reporting.drop_client('AETNA');
SELECT count(*) AS aetna_rows FROM uhc_reporting.client_procedure_rows r
 WHERE NOT EXISTS (SELECT 1 FROM uhc_reporting.clients c WHERE c.client_id = r.client_id);
SELECT action, client_code, actor = session_user AS by_session_user
  FROM uhc_reporting.client_audit ORDER BY audit_id;

SELECT uhc_reporting.drop_client('UHC');
SELECT count(*) AS client_group_roles FROM pg_roles
 WHERE rolname LIKE 'uhc\_reporting\_client\_' || (SELECT oid FROM pg_database WHERE datname = current_database()) || '\_%';
DROP ROLE regress_login_a, regress_login_b, regress_super;
DELETE FROM uhc_reporting.datasets WHERE dataset_name = 'regress';
UPDATE uhc_reporting.settings SET value = '4' WHERE name = 'high_volume_min_encounters';
UPDATE uhc_reporting.settings SET value = '11' WHERE name = 'small_cell_threshold';
