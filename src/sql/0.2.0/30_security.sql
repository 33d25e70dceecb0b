-- Client security hardening: small-cell suppression of the counts about members outside
-- a client's own rows, the server version check and the catalog lint. The lint runs
-- at the end of the upgrade, in 99_security_lint_check.sql, after every piece.
--
-- TEMP stays granted to PUBLIC, so Tableau can create its temporary tables. That is
-- safe because the client tables' policies are security-barrier quals: PostgreSQL
-- evaluates them before any function in a client's WHERE clause that is not LEAKPROOF,
-- and only a superuser can mark a function LEAKPROOF. tests/stages/50_attack_suite.sh
-- shows that a temporary function that prints each row it is given only receives the
-- client's own rows, and security_lint() reports any LEAKPROOF function outside
-- pg_catalog.

-- Small-cell suppression threshold. A count from 1 to threshold - 1 is shown as NULL.
INSERT INTO uhc_reporting.settings (name, value, description) VALUES
    ('small_cell_threshold', '11',
     'Counts about members outside the client''s own rows from 1 to this value minus 1 '
     'are shown as NULL with a *_suppressed flag; 1 turns suppression off.');
ALTER TABLE uhc_reporting.settings ADD CONSTRAINT settings_small_cell_threshold_check
    CHECK (name <> 'small_cell_threshold' OR value ~ '^[1-9][0-9]{0,5}$');

-- The grain of suppression is one cell: month x procedure group x coverage, summed over
-- datasets. Every other figure about members outside own rows that a client can read
-- (the member_* columns of kpi_tiles) is a sum of these suppressed cells, so no
-- subtraction of a shown total and shown cells reveals a suppressed cell. Within a cell
-- patients <= encounters <= procedures, so a shown count never bounds a suppressed one
-- more tightly than the threshold does. A missing setting row falls back to 11.
DROP VIEW uhc_reporting_client.outside_care_monthly;
CREATE VIEW uhc_reporting_client.outside_care_monthly AS
WITH cells AS (
    SELECT s.month,
           s.procedure_group,
           s.coverage,
           sum(s.procedures)::bigint AS procedures,
           sum(s.encounters)::bigint AS encounters,
           sum(s.patients)::bigint AS patients
      FROM uhc_reporting.client_outside_summary s
     GROUP BY s.month, s.procedure_group, s.coverage
), threshold AS (
    SELECT coalesce((SELECT st.value::integer FROM uhc_reporting.settings st
                      WHERE st.name = 'small_cell_threshold'), 11) AS min_count
)
SELECT c.month,
       c.procedure_group,
       c.coverage,
       CASE WHEN c.procedures BETWEEN 1 AND t.min_count - 1 THEN NULL
            ELSE c.procedures END::bigint AS procedures,
       CASE WHEN c.encounters BETWEEN 1 AND t.min_count - 1 THEN NULL
            ELSE c.encounters END::bigint AS encounters,
       CASE WHEN c.patients BETWEEN 1 AND t.min_count - 1 THEN NULL
            ELSE c.patients END::bigint AS patients,
       (c.procedures BETWEEN 1 AND t.min_count - 1) AS procedures_suppressed,
       (c.encounters BETWEEN 1 AND t.min_count - 1) AS encounters_suppressed,
       (c.patients BETWEEN 1 AND t.min_count - 1) AS patients_suppressed
  FROM cells c
 CROSS JOIN threshold t;
ALTER VIEW uhc_reporting_client.outside_care_monthly OWNER TO uhc_reporting_owner;
REVOKE ALL ON uhc_reporting_client.outside_care_monthly FROM PUBLIC;
GRANT SELECT ON uhc_reporting_client.outside_care_monthly
    TO uhc_reporting_clients, uhc_reporting_internal;
COMMENT ON VIEW uhc_reporting_client.outside_care_monthly IS
    'Counts of members'' procedures paid by another payer or uninsured, per month, '
    'procedure group and coverage. Counts from 1 to small_cell_threshold - 1 are NULL '
    'with the matching *_suppressed flag set.';

-- Returns the security fixes that a PostgreSQL server of this version_num (the
-- server_version_num setting, for example 150008 for 15.8) lacks, one message each, or
-- an empty array. Only 15.x minor releases are known, so any other major version gets
-- one message saying so.
CREATE FUNCTION uhc_reporting.server_version_warnings(version_num integer) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN version_num / 10000 <> 15 THEN
            ARRAY[format('PostgreSQL %s.%s is not a 15.x release, so its security fixes were not checked',
                         version_num / 10000, version_num % 10000)]
        ELSE array_remove(ARRAY[
            CASE WHEN version_num < 150009 THEN
                format('PostgreSQL 15.%s lacks the fix for CVE-2024-10976 (15.9): a cached plan of a '
                       'subquery or CTE over a row-level security table can apply another role''s '
                       'policies', version_num % 10000)
            END,
            CASE WHEN version_num < 150014 THEN
                format('PostgreSQL 15.%s lacks the fix for CVE-2025-8713 (15.14): leaky operators can '
                       'read optimizer statistics of rows hidden by row-level security',
                       version_num % 10000)
            END,
            CASE WHEN version_num < 150019 THEN
                format('PostgreSQL 15.%s lacks the fix of 15.19 that invalidates role-dependent cached '
                       'plans after role membership or attribute changes (CVE-2026-14666): a cached '
                       'plan can keep the row-level security of before the change', version_num % 10000)
            END], NULL)
    END;
$$;
REVOKE ALL ON FUNCTION uhc_reporting.server_version_warnings(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION uhc_reporting.server_version_warnings(integer)
    TO uhc_reporting_admin, uhc_reporting_internal, uhc_reporting_loader;

DO $version_check$
DECLARE
    message text;
BEGIN
    FOREACH message IN ARRAY uhc_reporting.server_version_warnings(
            pg_catalog.current_setting('server_version_num')::integer)
    LOOP
        RAISE WARNING '%', message
            USING HINT = 'Upgrade the server to the latest 15.x minor release before clients connect.';
    END LOOP;
END
$version_check$;
