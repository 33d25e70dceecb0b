-- Every error path of the native functions that a session with a valid key file can
-- reach. Each error reaches psql as a top-level ERROR, the next line prints its SQLSTATE,
-- and :check then shows that the same backend (same pid, so no crash and no reconnect)
-- still runs a query that calls both native functions. The key file errors need a
-- cluster without a usable key: tests/stages/60_native_errors_no_key.sh covers them.
-- Not reachable from SQL: the OpenSSL failure paths and the internal check that
-- explain_classification() agrees with classify().

SET client_min_messages = warning;
SELECT pg_backend_pid() AS start_pid \gset
\set check 'SELECT pg_backend_pid() = :start_pid AS same_backend, uhc_reporting.classify(''Colonoscopy'') AS colonoscopy_group, uhc_reporting.pseudonym(''UHC'', ''2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b''::uuid) = ''P1-36DANDE7D1V8Z0RT5SAWFRKZAJ'' AS pseudonym_matches;'

-- pseudonym(): invalid client code, 22023.
SELECT uhc_reporting.pseudonym('uhc', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid);
\echo :LAST_ERROR_SQLSTATE
:check
SELECT uhc_reporting.pseudonym('U', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b');
\echo :LAST_ERROR_SQLSTATE
:check
SELECT uhc_reporting.pseudonym(repeat('A', 33), '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid, 1);
\echo :LAST_ERROR_SQLSTATE
:check

-- pseudonym(text, text): invalid patient UUID text, 22P02, unexpected character and
-- unexpected end.
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4x');
\echo :LAST_ERROR_SQLSTATE
:check
SELECT uhc_reporting.pseudonym('UHC', '{2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b');
\echo :LAST_ERROR_SQLSTATE
:check
SELECT uhc_reporting.pseudonym('UHC', ''::text);
\echo :LAST_ERROR_SQLSTATE
:check

-- pseudonym(text, uuid, integer): a version that is not positive (22023), and one that
-- is not in the key file (42704).
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid, 0);
\echo :LAST_ERROR_SQLSTATE
:check
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid, -2147483648);
\echo :LAST_ERROR_SQLSTATE
:check
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid, 2);
\echo :LAST_ERROR_SQLSTATE
:check

-- An error in the middle of a set: the first rows were computed, the failing row aborts
-- the statement, and the next statement works.
SELECT uhc_reporting.pseudonym('UHC', p)
  FROM (VALUES ('00000000-0000-0000-0000-000000000000'), ('not a uuid')) AS v(p);
\echo :LAST_ERROR_SQLSTATE
:check

-- classify() and explain_classification() while the rules table is missing, 42P01. The
-- rename is rolled back, and the classifier must rebuild from the restored table.
BEGIN;
ALTER TABLE uhc_reporting.procedure_rules RENAME TO procedure_rules_hidden;
SELECT uhc_reporting.classify('Colonoscopy');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:check
BEGIN;
ALTER TABLE uhc_reporting.procedure_rules RENAME TO procedure_rules_hidden;
SELECT * FROM uhc_reporting.explain_classification('Colonoscopy');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:check

-- The default_group setting is missing, 42704.
BEGIN;
DELETE FROM uhc_reporting.settings WHERE name = 'default_group';
SELECT uhc_reporting.classify('Colonoscopy', '73761001');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:check

-- A match kind that the constraints would reject, written with them switched off,
-- XX001 (data corrupted).
BEGIN;
ALTER TABLE uhc_reporting.procedure_rules DISABLE TRIGGER procedure_rules_validate;
ALTER TABLE uhc_reporting.procedure_rules DROP CONSTRAINT procedure_rules_match_kind_check;
INSERT INTO uhc_reporting.procedure_rules (pattern, group_name, match_kind)
VALUES ('zzz', 'Other', 'regex');
SELECT uhc_reporting.classify('Colonoscopy');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:check

-- An empty pattern, which the core rejects as an invalid rule, XX000. Terse, because the
-- detail counts the rules, which later versions may add to.
\set VERBOSITY terse
BEGIN;
ALTER TABLE uhc_reporting.procedure_rules DISABLE TRIGGER procedure_rules_validate;
ALTER TABLE uhc_reporting.procedure_rules DROP CONSTRAINT procedure_rules_pattern_check;
INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('', 'Other');
SELECT uhc_reporting.classify('Colonoscopy');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:check

-- A NULL pattern in an enabled rule, XX000 (an internal error: the column is NOT NULL).
BEGIN;
ALTER TABLE uhc_reporting.procedure_rules DISABLE TRIGGER procedure_rules_validate;
ALTER TABLE uhc_reporting.procedure_rules ALTER COLUMN pattern DROP NOT NULL;
INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES (NULL, 'Other');
SELECT uhc_reporting.classify('Colonoscopy');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:check

-- Rules too large for the automaton, 54000. The limit is 2^28 transition table entries:
-- 66 distinct pattern bytes plus one class for all others allow about 4.0 million
-- pattern bytes, so 4.6 million fail before any table is allocated. The unique index on
-- lower(pattern) cannot hold such a value, so it is dropped inside the transaction.
BEGIN;
DROP INDEX uhc_reporting.procedure_rules_pattern_key;
INSERT INTO uhc_reporting.procedure_rules (pattern, group_name)
VALUES (repeat('abcdefghijklmnopqrstuvwxyz0123456789 .,;:-+*/()[]{}<>=!?#$%&@^_~|''"', 70000), 'Other');
SELECT uhc_reporting.classify('Colonoscopy');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:check
\set VERBOSITY default

-- The trigger function fired as a BEFORE ROW trigger, 39P01.
CREATE TEMP TABLE wrong_trigger_target (x integer);
CREATE TRIGGER wrong_kind BEFORE INSERT ON wrong_trigger_target
    FOR EACH ROW EXECUTE FUNCTION uhc_reporting.procedure_rules_changed();
INSERT INTO wrong_trigger_target VALUES (1);
\echo :LAST_ERROR_SQLSTATE
:check
-- Called directly as a plain function, 39P01 as well.
SELECT uhc_reporting.procedure_rules_changed();
\echo :LAST_ERROR_SQLSTATE
:check
DROP TABLE wrong_trigger_target;

-- After all of the above, the session is still the one that started.
SELECT pg_backend_pid() = :start_pid AS same_backend_at_end;
