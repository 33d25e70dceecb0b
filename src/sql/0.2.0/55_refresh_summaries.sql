-- refresh_summaries() recomputes the members' outside-care counts, as in 0.1.0, and now
-- also the dashboard summary tables, for one dataset or for all (NULL). It reads only
-- the materialized client rows of that dataset, which refresh_client_rows() has just
-- written in the same transaction, so reloading a small dataset costs in proportion to
-- its own rows.
CREATE OR REPLACE FUNCTION uhc_reporting.refresh_summaries(only_dataset_id integer) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM uhc_reporting.client_outside_summary s
     WHERE only_dataset_id IS NULL OR s.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_outside_summary
           (client_id, dataset_id, month, procedure_group, coverage, procedures, encounters, patients)
    SELECT p.client_id, p.dataset_id, date_trunc('month', p.procedure_date)::date,
           p.procedure_group, p.coverage,
           count(*), count(DISTINCT p.encounter), count(DISTINCT p.patient)
      FROM uhc_reporting.int_client_procedures p
     WHERE p.coverage <> 'client-paid'
       AND (only_dataset_id IS NULL OR p.dataset_id = only_dataset_id)
     GROUP BY 1, 2, 3, 4, 5;

    DELETE FROM uhc_reporting.client_code_summary s
     WHERE only_dataset_id IS NULL OR s.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_code_summary
           (client_id, dataset_id, procedure_code, procedure_description, procedure_group,
            procedures, encounters, total_base_cost)
    SELECT r.client_id, r.dataset_id, r.procedure_code, r.procedure_description, r.procedure_group,
           count(*), count(DISTINCT r.encounter), coalesce(sum(r.base_cost), 0)
      FROM uhc_reporting.client_procedure_rows r
     WHERE only_dataset_id IS NULL OR r.dataset_id = only_dataset_id
     GROUP BY 1, 2, 3, 4, 5;

    DELETE FROM uhc_reporting.client_group_summary s
     WHERE only_dataset_id IS NULL OR s.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_group_summary
           (client_id, dataset_id, procedure_group, encounters, procedures, patients, total_base_cost)
    SELECT r.client_id, r.dataset_id, r.procedure_group,
           count(DISTINCT r.encounter), count(*), count(DISTINCT r.patient_pseudonym),
           coalesce(sum(r.base_cost), 0)
      FROM uhc_reporting.client_procedure_rows r
     WHERE only_dataset_id IS NULL OR r.dataset_id = only_dataset_id
     GROUP BY 1, 2, 3;

    DELETE FROM uhc_reporting.client_month_group_summary s
     WHERE only_dataset_id IS NULL OR s.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_month_group_summary
           (client_id, dataset_id, month, procedure_group, encounters, procedures, total_base_cost)
    SELECT r.client_id, r.dataset_id, r.procedure_month, r.procedure_group,
           count(DISTINCT r.encounter), count(*), coalesce(sum(r.base_cost), 0)
      FROM uhc_reporting.client_procedure_rows r
     WHERE only_dataset_id IS NULL OR r.dataset_id = only_dataset_id
     GROUP BY 1, 2, 3, 4;

    -- Months come from encounters and from procedures, because a procedure can fall in
    -- another month than its encounter and an encounter can have no procedure.
    DELETE FROM uhc_reporting.client_month_summary s
     WHERE only_dataset_id IS NULL OR s.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_month_summary
           (client_id, dataset_id, month, encounters, patients, procedures, total_base_cost)
    WITH encounter_months AS (
        SELECT e.client_id, e.dataset_id, e.encounter_month AS month,
               count(*) AS encounters, count(DISTINCT e.patient_pseudonym) AS patients
          FROM uhc_reporting.client_encounter_rows e
         WHERE only_dataset_id IS NULL OR e.dataset_id = only_dataset_id
         GROUP BY 1, 2, 3
    ), procedure_months AS (
        SELECT r.client_id, r.dataset_id, r.procedure_month AS month,
               count(*) AS procedures, coalesce(sum(r.base_cost), 0) AS total_base_cost
          FROM uhc_reporting.client_procedure_rows r
         WHERE only_dataset_id IS NULL OR r.dataset_id = only_dataset_id
         GROUP BY 1, 2, 3
    )
    SELECT coalesce(e.client_id, p.client_id), coalesce(e.dataset_id, p.dataset_id),
           coalesce(e.month, p.month),
           coalesce(e.encounters, 0), coalesce(e.patients, 0),
           coalesce(p.procedures, 0), coalesce(p.total_base_cost, 0)
      FROM encounter_months e
      FULL JOIN procedure_months p
        ON p.client_id = e.client_id AND p.dataset_id = e.dataset_id AND p.month = e.month;

    DELETE FROM uhc_reporting.client_patient_summary s
     WHERE only_dataset_id IS NULL OR s.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_patient_summary
           (client_id, dataset_id, patient_pseudonym, encounters, first_encounter_date,
            last_encounter_date)
    SELECT e.client_id, e.dataset_id, e.patient_pseudonym,
           count(*), min(e.encounter_date), max(e.encounter_date)
      FROM uhc_reporting.client_encounter_rows e
     WHERE only_dataset_id IS NULL OR e.dataset_id = only_dataset_id
     GROUP BY 1, 2, 3;
END
$$;
