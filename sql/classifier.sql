-- Procedure classifier: rule validation, classify() on hand-picked descriptions,
-- explain_classification(), the default group, NULLs, and when a rule change becomes
-- visible. Each expected group is written next to its description, from the default
-- rules in src/sql/30_rules.sql, and every row compares it with classify().

\set ON_ERROR_STOP 0
SET client_min_messages = warning;

-- Every change is rolled back at the end, because the other tests share this database.
BEGIN;

-- Runs one statement and returns its SQLSTATE and message, or 'ok'.
CREATE FUNCTION pg_temp.try(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- Rule validation: the trigger's messages.
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('', 'Imaging')$$) AS empty_pattern;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('   ', 'Imaging')$$) AS whitespace_pattern;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('x-ray film', 'No such group')$$) AS unknown_group;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('X-RAY', 'Imaging')$$) AS duplicate_rule;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name, match_kind) VALUES ('x-ray', 'Imaging', 'word')$$) AS same_pattern_other_kind;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name, match_kind) VALUES ('7376 1001', 'Imaging', 'code')$$) AS code_with_space;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name, match_kind) VALUES ('abc', 'Imaging', 'regex')$$) AS unknown_kind;
SELECT pg_temp.try($$UPDATE uhc_reporting.procedure_rules SET pattern = 'DIALYSIS' WHERE pattern = 'x-ray'$$) AS update_to_duplicate;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES (NULL, 'Imaging')$$) AS null_pattern;

-- The same conditions hold without the trigger, through the constraints.
ALTER TABLE uhc_reporting.procedure_rules DISABLE TRIGGER procedure_rules_validate;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('  ', 'Imaging')$$) ~ '^23514: .*procedure_rules_pattern_check' AS blank_rejected_by_check;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('zz', 'No such group')$$) ~ '^23503: ' AS unknown_group_rejected_by_foreign_key;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('Dialysis', 'Imaging')$$) ~ '^23505: .*procedure_rules_pattern_key' AS duplicate_rejected_by_index;
SELECT pg_temp.try($$INSERT INTO uhc_reporting.procedure_rules (pattern, group_name, match_kind) VALUES ('1a', 'Imaging', 'code')$$) ~ '^23514: .*procedure_rules_code_check' AS letters_in_code_rejected_by_check;
ALTER TABLE uhc_reporting.procedure_rules ENABLE TRIGGER procedure_rules_validate;

-- Hand-picked descriptions under the default rules.
SELECT v.description, v.expected, uhc_reporting.classify(v.description) AS actual,
       uhc_reporting.classify(v.description) IS NOT DISTINCT FROM v.expected AS ok
  FROM (VALUES
    ('Renal dialysis (procedure)', 'Dialysis'),
    ('RENAL DIALYSIS', 'Dialysis'),
    ('Extraction of wisdom tooth', 'Dental'),
    ('Toothbrush instruction', 'Other'),               -- "tooth" is a word rule
    ('Medication Reconciliation (procedure)', 'Medication management'),
    ('Depression screening using Patient Health Questionnaire Two-Item score (procedure)', 'Screening'),
    ('Assessment of anxiety (procedure)', 'Assessment'),
    ('Auscultation of the fetal heart', 'Obstetrics and gynecology'),
    ('Plain chest X-ray (procedure)', 'Imaging'),
    ('Bone density scan (procedure)', 'Imaging'),
    ('Scanner calibration', 'Other'),                  -- "scan" is a word rule
    ('Colonoscopy', 'Endoscopy'),
    ('Fluoroscopic guidance', 'Imaging'),              -- fluoroscop outranks oscop
    ('Percutaneous mechanical thrombectomy of portal vein using fluoroscopic guidance', 'Surgery'),
    ('Hospice care (regime/therapy)', 'Nursing and supportive care'),
    ('Movement therapy (regime/therapy)', 'Therapy and rehabilitation'),
    ('Cognitive and behavioral therapy', 'Mental health'),
    ('Combined chemotherapy and radiation therapy (procedure)', 'Oncology'),
    ('Heart failure education (procedure)', 'Counseling and education'),
    ('Referral to cardiology service (procedure)', 'Care coordination'),
    ('Throat culture (procedure)', 'Laboratory'),
    ('Stair-climbing test (procedure)', 'Laboratory'),  -- only the bare "test" rule matches
    ('Something nobody wrote a rule for', 'Other'),
    ('', 'Other'),
    ('ÉCHOGRAPHIE CARDIAQUE', 'Cardiology'),           -- non-ASCII text, lowered by lower()
    ('Ultrasound ÄÖÜ', 'Imaging'),
    ('éscan', 'Other'),                                -- é is a word character
    ('é scan', 'Imaging')
  ) AS v(description, expected)
 ORDER BY v.description;

-- NULLs: classify(text) is strict; the two-argument form gives NULL only when no code
-- rule matches.
SELECT uhc_reporting.classify(NULL) IS NULL AS strict_null,
       uhc_reporting.classify(NULL, NULL) IS NULL AS both_null,
       uhc_reporting.classify(NULL, '73761001') IS NULL AS null_description_no_code_rule,
       uhc_reporting.classify('Colonoscopy', NULL) AS null_code;

-- Code rules win over every text rule, whatever their priority.
INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name, note)
VALUES ('73761001', 'code', 1000, 'Surgery', 'regression test');
SELECT uhc_reporting.classify('Colonoscopy', '73761001') AS by_code,
       uhc_reporting.classify('Colonoscopy', '99999') AS other_code,
       uhc_reporting.classify('Colonoscopy') AS without_code,
       uhc_reporting.classify(NULL, '73761001') AS null_description_by_code;

-- explain_classification lists every match, the winner first.
SELECT rule_id IS NOT NULL AS has_rule, pattern, match_kind, priority, group_name, winner, reason
  FROM uhc_reporting.explain_classification('Ultrasound scan for fetal viability');
SELECT pattern, match_kind, group_name, winner, reason
  FROM uhc_reporting.explain_classification('Colonoscopy', '73761001');
SELECT rule_id, pattern, group_name, winner, reason
  FROM uhc_reporting.explain_classification('Nothing matches this');
SELECT rule_id, group_name, winner, reason
  FROM uhc_reporting.explain_classification(NULL, '1');

-- Ties on priority go to the lower rule_id, and explain gives that reason.
INSERT INTO uhc_reporting.procedure_groups VALUES ('Regress A', 'test group'), ('Regress B', 'test group');
INSERT INTO uhc_reporting.procedure_rules (rule_id, pattern, match_kind, priority, group_name)
VALUES (9002, 'qqtie', 'substring', 7, 'Regress B'), (9001, 'qqt', 'prefix', 7, 'Regress A');
SELECT uhc_reporting.classify('qqtie') AS tie_winner;
SELECT rule_id, winner, reason FROM uhc_reporting.explain_classification('qqtie');

-- Match kinds through SQL: word boundaries, prefix after leading spaces, literal % and _.
INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name) VALUES
    ('qqword', 'word', 1, 'Regress A'),
    ('qqpre', 'prefix', 1, 'Regress A'),
    ('q%q', 'substring', 1, 'Regress A'),
    ('q_q', 'substring', 1, 'Regress B');
SELECT v.description, v.expected, uhc_reporting.classify(v.description) AS actual,
       uhc_reporting.classify(v.description) = v.expected AS ok
  FROM (VALUES
    ('a qqword b', 'Regress A'),
    ('a-qqword-b', 'Regress A'),
    ('qqwords', 'Other'),
    ('ßqqword', 'Other'),
    ('   QQPRE here', 'Regress A'),
    ('x qqpre', 'Other'),
    ('q%q', 'Regress A'),
    ('qxq', 'Other'),
    ('q_q', 'Regress B'),
    ('q q', 'Other')
  ) AS v(description, expected)
 ORDER BY v.description;

-- A disabled rule does not match.
UPDATE uhc_reporting.procedure_rules SET enabled = false WHERE pattern = 'qqword';
SELECT uhc_reporting.classify('a qqword b') AS disabled_rule;

-- A rule change is visible to the next statement of the same session...
SELECT uhc_reporting.classify('Zyxwv procedure') AS before_insert;
INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('zyxwv', 'Regress B');
SELECT uhc_reporting.classify('Zyxwv procedure') AS after_insert;
UPDATE uhc_reporting.procedure_groups SET group_name = 'Regress C' WHERE group_name = 'Regress B';
SELECT uhc_reporting.classify('Zyxwv procedure') AS after_group_rename;
SAVEPOINT before_delete;
DELETE FROM uhc_reporting.procedure_rules WHERE pattern = 'zyxwv';
SELECT uhc_reporting.classify('Zyxwv procedure') AS after_delete;
ROLLBACK TO SAVEPOINT before_delete;
SELECT uhc_reporting.classify('Zyxwv procedure') AS after_rollback;

-- ...but never within the statement that made it.
CREATE FUNCTION pg_temp.change_within_statement() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    before_change text := uhc_reporting.classify('Vutsr procedure');
BEGIN
    INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('vutsr', 'Regress A');
    RETURN before_change || ' / ' || uhc_reporting.classify('Vutsr procedure');
END
$$;
SELECT pg_temp.change_within_statement() AS same_statement;
SELECT uhc_reporting.classify('Vutsr procedure') AS next_statement;

-- The default group comes from the settings table.
UPDATE uhc_reporting.settings SET value = 'Regress A' WHERE name = 'default_group';
SELECT uhc_reporting.classify('Nothing matches this') AS new_default;
UPDATE uhc_reporting.settings SET value = 'Other' WHERE name = 'default_group';

-- A rule or group change marks the summaries stale.
UPDATE uhc_reporting.refresh_state SET stale_since = NULL, stale_reason = NULL;
DELETE FROM uhc_reporting.procedure_rules WHERE pattern = 'vutsr';
SELECT stale_since IS NOT NULL AS stale, stale_reason FROM uhc_reporting.refresh_state;

-- explain agrees with classify on a set of descriptions with several matches each.
SELECT count(*) AS descriptions,
       count(*) FILTER (WHERE e.group_name IS NOT DISTINCT FROM uhc_reporting.classify(v.d, v.c)) AS agreeing
  FROM (VALUES ('Bone density scan (procedure)', NULL), ('Ultrasound scan for fetal viability', NULL),
               ('Colonoscopy', '73761001'), ('Heart failure education (procedure)', NULL),
               ('Removal of endotracheal tube (procedure)', NULL), ('nothing', NULL),
               ('Pulmonary catheterization with Swan-Ganz catheter (procedure)', NULL)) AS v(d, c)
  CROSS JOIN LATERAL uhc_reporting.explain_classification(v.d, v.c) e
 WHERE e.winner;

-- Coverage views over a small synthetic dataset: three procedure rows, one unmatched.
INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout) VALUES ('classifier', '3.3+');
INSERT INTO uhc_reporting.payers (dataset_id, id, name)
SELECT dataset_id, '00000000-0000-4000-8000-00000000c0a1', 'Payer' FROM uhc_reporting.datasets;
INSERT INTO uhc_reporting.organizations (dataset_id, id, name)
SELECT dataset_id, '00000000-0000-4000-8000-00000000c0b1', 'Clinic' FROM uhc_reporting.datasets;
INSERT INTO uhc_reporting.patients (dataset_id, id, birthdate)
SELECT dataset_id, '00000000-0000-4000-8000-00000000c0c1', '1980-01-01' FROM uhc_reporting.datasets;
INSERT INTO uhc_reporting.encounters (dataset_id, id, start, patient, organization, payer)
SELECT dataset_id, '00000000-0000-4000-8000-00000000c0d1', '2024-01-01', '00000000-0000-4000-8000-00000000c0c1',
       '00000000-0000-4000-8000-00000000c0b1', '00000000-0000-4000-8000-00000000c0a1'
  FROM uhc_reporting.datasets;
INSERT INTO uhc_reporting.procedures (dataset_id, source_line, start, patient, encounter, code, description)
SELECT d.dataset_id, v.line, '2024-01-01', '00000000-0000-4000-8000-00000000c0c1',
       '00000000-0000-4000-8000-00000000c0d1', v.code, v.description
  FROM uhc_reporting.datasets d,
       (VALUES (2, '265764009', 'Renal dialysis (procedure)'),
               (3, '265764009', 'Renal dialysis (procedure)'),
               (4, '1', 'Unmatched thing')) AS v(line, code, description);
SELECT group_name, procedure_rows, percent_of_dataset, is_default_group
  FROM uhc_reporting.classification_coverage ORDER BY group_name;
SELECT description, procedure_rows, datasets FROM uhc_reporting.unclassified_descriptions;

-- Privileges: analysts edit rules and classify; other roles get nothing.
CREATE ROLE regress_classifier_analyst IN ROLE uhc_reporting_internal;
CREATE ROLE regress_classifier_nobody;
GRANT USAGE ON SCHEMA uhc_reporting TO regress_classifier_nobody;
SET ROLE regress_classifier_analyst;
INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('analyst pattern', 'Regress A');
SELECT uhc_reporting.classify('An analyst pattern here') AS analyst_classify;
RESET ROLE;
SET ROLE regress_classifier_nobody;
SELECT pg_temp.try($$SELECT uhc_reporting.classify('x')$$) AS nobody_classify;
SELECT pg_temp.try($$SELECT 1 FROM uhc_reporting.procedure_rules$$) AS nobody_rules;
RESET ROLE;
REVOKE USAGE ON SCHEMA uhc_reporting FROM regress_classifier_nobody;
DROP ROLE regress_classifier_analyst;
DROP ROLE regress_classifier_nobody;

-- The trigger function refuses to run outside a statement-level AFTER trigger.
SELECT pg_temp.try($$SELECT uhc_reporting.procedure_rules_changed()$$) AS direct_call;
CREATE TABLE pg_temp.row_trigger_target (x int);
CREATE TRIGGER wrong_level AFTER INSERT ON pg_temp.row_trigger_target
    FOR EACH ROW EXECUTE FUNCTION uhc_reporting.procedure_rules_changed();
SELECT pg_temp.try($$INSERT INTO pg_temp.row_trigger_target VALUES (1)$$) AS row_level_call;

ROLLBACK;
