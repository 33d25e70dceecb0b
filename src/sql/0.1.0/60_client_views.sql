-- Client reporting views, the only objects a client role can read.
--
-- They are ordinary views owned by uhc_reporting_owner, so a client needs no privilege on
-- the tables beneath them. The tables FORCE row-level security with policies on the
-- invoking role (CURRENT_USER is still the client inside a view), so each client sees
-- its own rows only. No view calls a function: everything a client reads was computed by
-- refresh(). Counts are bigint and money numeric(16,2), so that Tableau maps each column
-- to one type.

CREATE VIEW uhc_reporting_client.procedure_export AS
SELECT r.procedure_group,
       r.procedure_code,
       r.procedure_description,
       r.base_cost,
       r.procedure_date,
       r.procedure_month,
       r.organization_name,
       r.payer_name,
       r.patient_pseudonym
  FROM uhc_reporting.client_procedure_rows r;
COMMENT ON VIEW uhc_reporting_client.procedure_export IS
    'One row per procedure paid by the client, with the patient pseudonymized. Export it '
    'ordered by procedure_description, procedure_date DESC, patient_pseudonym.';

CREATE VIEW uhc_reporting_client.procedure_volume AS
SELECT r.procedure_code,
       r.procedure_description,
       r.procedure_group,
       count(*)::bigint AS procedures,
       count(DISTINCT r.encounter)::bigint AS encounters,
       coalesce(sum(r.base_cost), 0)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_procedure_rows r
 GROUP BY r.procedure_code, r.procedure_description, r.procedure_group;
COMMENT ON VIEW uhc_reporting_client.procedure_volume IS
    'Procedures, encounters and total base cost per procedure code and description.';

CREATE VIEW uhc_reporting_client.procedure_group_volume AS
SELECT r.procedure_group,
       count(DISTINCT r.encounter)::bigint AS encounters,
       count(*)::bigint AS procedures,
       count(DISTINCT r.patient_pseudonym)::bigint AS patients,
       coalesce(sum(r.base_cost), 0)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_procedure_rows r
 GROUP BY r.procedure_group;
COMMENT ON VIEW uhc_reporting_client.procedure_group_volume IS
    'Encounters, procedures, patients and total base cost per procedure group (bar chart).';

CREATE VIEW uhc_reporting_client.monthly_volume AS
WITH encounters AS (
    SELECT e.encounter_month AS month, count(*)::bigint AS encounters,
           count(DISTINCT e.patient_pseudonym)::bigint AS patients
      FROM uhc_reporting.client_encounter_rows e
     GROUP BY e.encounter_month
), procedures AS (
    SELECT r.procedure_month AS month, count(*)::bigint AS procedures,
           coalesce(sum(r.base_cost), 0)::numeric(16,2) AS total_base_cost
      FROM uhc_reporting.client_procedure_rows r
     GROUP BY r.procedure_month
)
SELECT coalesce(e.month, p.month) AS month,
       coalesce(e.encounters, 0)::bigint AS encounters,
       coalesce(e.patients, 0)::bigint AS patients,
       coalesce(p.procedures, 0)::bigint AS procedures,
       coalesce(p.total_base_cost, 0)::numeric(16,2) AS total_base_cost
  FROM encounters e
  FULL JOIN procedures p ON p.month = e.month;
COMMENT ON VIEW uhc_reporting_client.monthly_volume IS
    'Own encounters, patients, procedures and base cost per UTC month (first day of month).';

CREATE VIEW uhc_reporting_client.monthly_volume_last_12 AS
WITH latest AS (
    SELECT max(e.encounter_month) AS month FROM uhc_reporting.client_encounter_rows e
), months AS (
    SELECT g.month::date AS month
      FROM latest,
           generate_series(latest.month - interval '11 months', latest.month, interval '1 month') AS g(month)
)
SELECT m.month,
       coalesce(v.encounters, 0)::bigint AS encounters,
       coalesce(v.patients, 0)::bigint AS patients,
       coalesce(v.procedures, 0)::bigint AS procedures,
       coalesce(v.total_base_cost, 0)::numeric(16,2) AS total_base_cost
  FROM months m
  LEFT JOIN uhc_reporting_client.monthly_volume v ON v.month = m.month;
COMMENT ON VIEW uhc_reporting_client.monthly_volume_last_12 IS
    'The 12 months ending with the latest month of own encounters, months without any as 0.';

CREATE VIEW uhc_reporting_client.high_volume_patients AS
SELECT e.patient_pseudonym,
       count(*)::bigint AS encounters,
       min(e.encounter_date) AS first_encounter_date,
       max(e.encounter_date) AS last_encounter_date
  FROM uhc_reporting.client_encounter_rows e
 GROUP BY e.patient_pseudonym
HAVING count(*) >= (SELECT s.value::integer FROM uhc_reporting.settings s
                     WHERE s.name = 'high_volume_min_encounters');
COMMENT ON VIEW uhc_reporting_client.high_volume_patients IS
    'Members with at least the configured number of own encounters (setting '
    'high_volume_min_encounters).';

CREATE VIEW uhc_reporting_client.outside_care_monthly AS
SELECT s.month,
       s.procedure_group,
       s.coverage,
       sum(s.procedures)::bigint AS procedures,
       sum(s.encounters)::bigint AS encounters,
       sum(s.patients)::bigint AS patients
  FROM uhc_reporting.client_outside_summary s
 GROUP BY s.month, s.procedure_group, s.coverage;
COMMENT ON VIEW uhc_reporting_client.outside_care_monthly IS
    'Counts of members'' procedures paid by another payer or uninsured, per month, '
    'procedure group and coverage. Counts only: no rows outside the client''s own.';

CREATE VIEW uhc_reporting_client.kpi_tiles AS
SELECT (SELECT count(*) FROM uhc_reporting.client_encounter_rows)::bigint AS total_encounters,
       (SELECT count(*) FROM uhc_reporting.client_procedure_rows)::bigint AS total_procedures,
       (SELECT count(DISTINCT e.patient_pseudonym)
          FROM uhc_reporting.client_encounter_rows e)::bigint AS patients,
       (SELECT coalesce(sum(r.base_cost), 0)
          FROM uhc_reporting.client_procedure_rows r)::numeric(16,2) AS total_procedure_base_cost,
       (SELECT count(*) FROM uhc_reporting_client.high_volume_patients)::bigint AS high_volume_patients,
       (SELECT coalesce(sum(s.procedures), 0) FROM uhc_reporting.client_outside_summary s
         WHERE s.coverage = 'uninsured')::bigint AS member_uninsured_procedures,
       (SELECT coalesce(sum(s.procedures), 0) FROM uhc_reporting.client_outside_summary s
         WHERE s.coverage = 'other payer')::bigint AS member_other_payer_procedures;
COMMENT ON VIEW uhc_reporting_client.kpi_tiles IS
    'One row of headline figures: own encounters, procedures, patients and base cost, '
    'high-volume patients, and members'' procedures that were uninsured or paid by others.';
