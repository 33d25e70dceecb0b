-- KPI tiles in constant time.
--
-- The patients and high-volume tiles counted distinct pseudonyms over the per-patient
-- summary, which grows with the client's patients (0.16 of a procedures scan at 3M
-- procedures). This histogram stores, per client, how many patients have exactly n own
-- encounters (summed over datasets, by pseudonym). The tiles then sum a few hundred rows
-- at most, and the high-volume tile still follows the current high_volume_min_encounters
-- setting without a refresh.
CREATE TABLE uhc_reporting.client_patient_histogram (
    client_id   integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    encounters  bigint NOT NULL,
    patients    bigint NOT NULL,
    PRIMARY KEY (client_id, encounters)
);
ALTER TABLE uhc_reporting.client_patient_histogram OWNER TO uhc_reporting_owner;
REVOKE ALL ON uhc_reporting.client_patient_histogram FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON uhc_reporting.client_patient_histogram TO uhc_reporting_loader;
GRANT SELECT ON uhc_reporting.client_patient_histogram TO uhc_reporting_internal;

-- The same forced row-level security as the other client tables.
ALTER TABLE uhc_reporting.client_patient_histogram ENABLE ROW LEVEL SECURITY;
ALTER TABLE uhc_reporting.client_patient_histogram FORCE ROW LEVEL SECURITY;
CREATE POLICY client_read ON uhc_reporting.client_patient_histogram FOR SELECT TO uhc_reporting_owner
USING (client_id = ANY (ARRAY(
    SELECT c.client_id FROM uhc_reporting.clients c
     WHERE pg_catalog.pg_has_role(CURRENT_USER, 'uhc_reporting_internal', 'MEMBER')
        OR pg_catalog.pg_has_role(CURRENT_USER, c.group_role, 'MEMBER'))));
CREATE POLICY internal_read ON uhc_reporting.client_patient_histogram FOR SELECT
    TO uhc_reporting_internal USING (true);
CREATE POLICY loader_write ON uhc_reporting.client_patient_histogram FOR ALL
    TO uhc_reporting_loader USING (true) WITH CHECK (true);

-- Recomputes the histogram of every client from the per-patient summary. A patient's
-- encounters may span datasets, so a one-dataset refresh recomputes it all. That reads
-- one row per client, dataset and patient, far fewer than the procedures.
CREATE FUNCTION uhc_reporting.refresh_patient_histogram() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM uhc_reporting.client_patient_histogram;
    INSERT INTO uhc_reporting.client_patient_histogram (client_id, encounters, patients)
    SELECT p.client_id, p.encounters, count(*)
      FROM (SELECT s.client_id, s.patient_pseudonym, sum(s.encounters)::bigint AS encounters
              FROM uhc_reporting.client_patient_summary s
             GROUP BY s.client_id, s.patient_pseudonym) p
     GROUP BY p.client_id, p.encounters;
END
$$;
REVOKE ALL ON FUNCTION uhc_reporting.refresh_patient_histogram() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION uhc_reporting.refresh_patient_histogram() TO uhc_reporting_loader;

CREATE OR REPLACE FUNCTION uhc_reporting.refresh(only_dataset_id integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Two concurrent refreshes would both delete and re-insert the same rows, so the
    -- second waits for the first to commit instead of failing on a duplicate key.
    PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('uhc_reporting.refresh'));

    PERFORM uhc_reporting.analyze_refresh_inputs('source');
    PERFORM uhc_reporting.refresh_classification(only_dataset_id);
    PERFORM uhc_reporting.refresh_pseudonyms(only_dataset_id);
    PERFORM uhc_reporting.analyze_refresh_inputs('intermediate');
    PERFORM uhc_reporting.refresh_client_rows(only_dataset_id);
    PERFORM uhc_reporting.refresh_summaries(only_dataset_id);
    PERFORM uhc_reporting.refresh_patient_histogram();

    UPDATE uhc_reporting.refresh_state
       SET last_refresh = pg_catalog.now(),
           stale_since = CASE WHEN only_dataset_id IS NULL THEN NULL ELSE stale_since END,
           stale_reason = CASE WHEN only_dataset_id IS NULL THEN NULL ELSE stale_reason END;
END
$$;

DROP VIEW uhc_reporting_client.kpi_tiles;
-- Each source is read once: the month summary for three tiles, the histogram for two,
-- and the suppressed outside_care_monthly view for the two member tiles.
CREATE VIEW uhc_reporting_client.kpi_tiles AS
WITH month_totals AS (
    SELECT coalesce(sum(s.encounters), 0)::bigint AS encounters,
           coalesce(sum(s.procedures), 0)::bigint AS procedures,
           coalesce(sum(s.total_base_cost), 0)::numeric(16,2) AS total_base_cost
      FROM uhc_reporting.client_month_summary s
), patient_totals AS (
    SELECT coalesce(sum(h.patients), 0)::bigint AS patients,
           coalesce(sum(h.patients) FILTER (
               WHERE h.encounters >= (SELECT st.value::integer FROM uhc_reporting.settings st
                                       WHERE st.name = 'high_volume_min_encounters')), 0)::bigint
               AS high_volume_patients
      FROM uhc_reporting.client_patient_histogram h
), outside_totals AS (
    SELECT coalesce(sum(o.procedures) FILTER (WHERE o.coverage = 'uninsured'), 0)::bigint AS uninsured,
           coalesce(sum(o.procedures) FILTER (WHERE o.coverage = 'other payer'), 0)::bigint AS other_payer
      FROM uhc_reporting_client.outside_care_monthly o
)
SELECT m.encounters AS total_encounters,
       m.procedures AS total_procedures,
       p.patients,
       m.total_base_cost AS total_procedure_base_cost,
       p.high_volume_patients,
       o.uninsured AS member_uninsured_procedures,
       o.other_payer AS member_other_payer_procedures
  FROM month_totals m, patient_totals p, outside_totals o;

ALTER VIEW uhc_reporting_client.kpi_tiles OWNER TO uhc_reporting_owner;
REVOKE ALL ON uhc_reporting_client.kpi_tiles FROM PUBLIC;
GRANT SELECT ON uhc_reporting_client.kpi_tiles TO uhc_reporting_clients, uhc_reporting_internal;

-- Fill the histogram from the summaries that the upgrade already holds.
SELECT uhc_reporting.refresh_patient_histogram();
