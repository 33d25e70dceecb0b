-- The dashboard views, now over the summary tables that refresh_summaries() fills.
--
-- Their names, columns and types stay as in 0.1.0. Each sums its summary table over
-- datasets and casts every aggregate back to bigint or numeric(16,2), because sum()
-- widens both to unconstrained numeric, which Tableau maps to a floating-point type.
-- Distinct counts of encounters and patients are per dataset and added up (see
-- 50_summary_tables.sql), except the KPI patient count and the high-volume patients,
-- which group by pseudonym across datasets as before.

DROP VIEW uhc_reporting_client.kpi_tiles;
DROP VIEW uhc_reporting_client.monthly_volume_last_12;
DROP VIEW uhc_reporting_client.monthly_volume;
DROP VIEW uhc_reporting_client.high_volume_patients;
DROP VIEW uhc_reporting_client.procedure_group_volume;
DROP VIEW uhc_reporting_client.procedure_volume;

CREATE VIEW uhc_reporting_client.procedure_volume AS
SELECT s.procedure_code,
       s.procedure_description,
       s.procedure_group,
       sum(s.procedures)::bigint AS procedures,
       sum(s.encounters)::bigint AS encounters,
       sum(s.total_base_cost)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_code_summary s
 GROUP BY s.procedure_code, s.procedure_description, s.procedure_group;

CREATE VIEW uhc_reporting_client.procedure_group_volume AS
SELECT s.procedure_group,
       sum(s.encounters)::bigint AS encounters,
       sum(s.procedures)::bigint AS procedures,
       sum(s.patients)::bigint AS patients,
       sum(s.total_base_cost)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_group_summary s
 GROUP BY s.procedure_group;

CREATE VIEW uhc_reporting_client.monthly_volume AS
SELECT s.month,
       sum(s.encounters)::bigint AS encounters,
       sum(s.patients)::bigint AS patients,
       sum(s.procedures)::bigint AS procedures,
       sum(s.total_base_cost)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_month_summary s
 GROUP BY s.month;

-- Twelve months ending with the latest month that has an own encounter. The series is
-- built from a date plus intervals, which gives timestamp without time zone, so the
-- session TimeZone cannot shift a month.
CREATE VIEW uhc_reporting_client.monthly_volume_last_12 AS
WITH latest AS (
    SELECT max(s.month) AS month
      FROM uhc_reporting.client_month_summary s
     WHERE s.encounters > 0
), months AS (
    SELECT g.month::date AS month
      FROM latest,
           generate_series(latest.month - interval '11 months', latest.month::timestamp,
                           interval '1 month') AS g(month)
)
SELECT m.month,
       coalesce(v.encounters, 0)::bigint AS encounters,
       coalesce(v.patients, 0)::bigint AS patients,
       coalesce(v.procedures, 0)::bigint AS procedures,
       coalesce(v.total_base_cost, 0)::numeric(16,2) AS total_base_cost
  FROM months m
  LEFT JOIN uhc_reporting_client.monthly_volume v ON v.month = m.month;

CREATE VIEW uhc_reporting_client.monthly_group_volume AS
SELECT s.month,
       s.procedure_group,
       sum(s.encounters)::bigint AS encounters,
       sum(s.procedures)::bigint AS procedures,
       sum(s.total_base_cost)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_month_group_summary s
 GROUP BY s.month, s.procedure_group;

CREATE VIEW uhc_reporting_client.high_volume_patients AS
SELECT s.patient_pseudonym,
       sum(s.encounters)::bigint AS encounters,
       min(s.first_encounter_date) AS first_encounter_date,
       max(s.last_encounter_date) AS last_encounter_date
  FROM uhc_reporting.client_patient_summary s
 GROUP BY s.patient_pseudonym
HAVING sum(s.encounters) >= (SELECT st.value::integer FROM uhc_reporting.settings st
                              WHERE st.name = 'high_volume_min_encounters');

-- The member_* tiles sum the outside_care_monthly view, not its table, so that they
-- show no more than the view's cells do.
-- 68_kpi_histogram.sql replaces this view so that the patient tiles read a histogram.
CREATE VIEW uhc_reporting_client.kpi_tiles AS
SELECT (SELECT coalesce(sum(s.encounters), 0)
          FROM uhc_reporting.client_month_summary s)::bigint AS total_encounters,
       (SELECT coalesce(sum(s.procedures), 0)
          FROM uhc_reporting.client_month_summary s)::bigint AS total_procedures,
       (SELECT count(DISTINCT p.patient_pseudonym)
          FROM uhc_reporting.client_patient_summary p)::bigint AS patients,
       (SELECT coalesce(sum(s.total_base_cost), 0)
          FROM uhc_reporting.client_month_summary s)::numeric(16,2) AS total_procedure_base_cost,
       (SELECT count(*) FROM uhc_reporting_client.high_volume_patients)::bigint AS high_volume_patients,
       (SELECT coalesce(sum(o.procedures), 0) FROM uhc_reporting_client.outside_care_monthly o
         WHERE o.coverage = 'uninsured')::bigint AS member_uninsured_procedures,
       (SELECT coalesce(sum(o.procedures), 0) FROM uhc_reporting_client.outside_care_monthly o
         WHERE o.coverage = 'other payer')::bigint AS member_other_payer_procedures;

DO $dashboard_views$
DECLARE
    view_name text;
BEGIN
    FOREACH view_name IN ARRAY ARRAY['procedure_volume', 'procedure_group_volume', 'monthly_volume',
                                     'monthly_volume_last_12', 'monthly_group_volume',
                                     'high_volume_patients', 'kpi_tiles']
    LOOP
        EXECUTE format('ALTER VIEW uhc_reporting_client.%I OWNER TO uhc_reporting_owner', view_name);
        EXECUTE format('REVOKE ALL ON uhc_reporting_client.%I FROM PUBLIC', view_name);
        EXECUTE format('GRANT SELECT ON uhc_reporting_client.%I '
                       'TO uhc_reporting_clients, uhc_reporting_internal', view_name);
    END LOOP;
END
$dashboard_views$;
