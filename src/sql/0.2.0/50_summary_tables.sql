-- Summary tables behind the dashboard views.
--
-- The KPI tiles, the bar chart and the monthly line chart read these small tables
-- instead of grouping the client rows on every query. A chart query then reads a few
-- hundred rows of its own client, however many procedures are loaded. They are tables,
-- not materialized views, because only tables carry row-level security.
--
-- Every table is keyed by (client_id, dataset_id, ...), so that refresh_summaries() can
-- replace the rows of one reloaded dataset without touching the others. The views sum
-- over datasets. Distinct counts (encounters, patients) are therefore per dataset and
-- added up: a patient or encounter id that appears in two datasets counts once in each,
-- as the source tables key them by (dataset_id, id).

-- Own procedures per procedure code, description and group.
CREATE TABLE uhc_reporting.client_code_summary (
    client_id              integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id             integer NOT NULL,
    procedure_code         text NOT NULL,
    procedure_description  text,
    procedure_group        text NOT NULL,
    procedures             bigint NOT NULL,
    encounters             bigint NOT NULL,
    total_base_cost        numeric(16,2) NOT NULL
);
CREATE INDEX client_code_summary_client_idx
    ON uhc_reporting.client_code_summary (client_id, dataset_id);

-- Own procedures per procedure group (the bar chart), with distinct patients.
CREATE TABLE uhc_reporting.client_group_summary (
    client_id        integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id       integer NOT NULL,
    procedure_group  text NOT NULL,
    encounters       bigint NOT NULL,
    procedures       bigint NOT NULL,
    patients         bigint NOT NULL,
    total_base_cost  numeric(16,2) NOT NULL,
    PRIMARY KEY (client_id, dataset_id, procedure_group)
);

-- Own procedures per UTC month and procedure group, so that a chart can filter by date
-- range and group at once. It has no patient count, because Tableau sums a measure over
-- the months of a range and distinct patients do not add up that way.
CREATE TABLE uhc_reporting.client_month_group_summary (
    client_id        integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id       integer NOT NULL,
    month            date NOT NULL,
    procedure_group  text NOT NULL,
    encounters       bigint NOT NULL,
    procedures       bigint NOT NULL,
    total_base_cost  numeric(16,2) NOT NULL,
    PRIMARY KEY (client_id, dataset_id, month, procedure_group)
);

-- Own encounters and procedures per UTC month (the line chart). A month appears when it
-- has an own encounter or an own procedure.
CREATE TABLE uhc_reporting.client_month_summary (
    client_id        integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id       integer NOT NULL,
    month            date NOT NULL,
    encounters       bigint NOT NULL,
    patients         bigint NOT NULL,
    procedures       bigint NOT NULL,
    total_base_cost  numeric(16,2) NOT NULL,
    PRIMARY KEY (client_id, dataset_id, month)
);

-- Own encounters per pseudonymized patient, for the high-volume patients and the
-- patient count of the KPI tiles.
CREATE TABLE uhc_reporting.client_patient_summary (
    client_id             integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id            integer NOT NULL,
    patient_pseudonym     text NOT NULL,
    encounters            bigint NOT NULL,
    first_encounter_date  date NOT NULL,
    last_encounter_date   date NOT NULL,
    PRIMARY KEY (client_id, dataset_id, patient_pseudonym)
);

-- The first page of the export sorts one client's rows by these keys. With client_id
-- first, a client's rows are one range of this index, already in export order.
-- The policies alone do not let the planner use it in order. 67_export_first_page.sql
-- explains why, and how procedure_export does.
CREATE INDEX client_procedure_rows_export_idx
    ON uhc_reporting.client_procedure_rows
       (client_id, procedure_description, procedure_date DESC, patient_pseudonym);

DO $summary_tables$
DECLARE
    summary_table text;
BEGIN
    FOREACH summary_table IN ARRAY ARRAY['client_code_summary', 'client_group_summary',
                                         'client_month_group_summary', 'client_month_summary',
                                         'client_patient_summary']
    LOOP
        EXECUTE format('ALTER TABLE uhc_reporting.%I OWNER TO uhc_reporting_owner', summary_table);
        EXECUTE format('REVOKE ALL ON uhc_reporting.%I FROM PUBLIC', summary_table);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON uhc_reporting.%I '
                       'TO uhc_reporting_loader', summary_table);
        EXECUTE format('GRANT SELECT ON uhc_reporting.%I TO uhc_reporting_internal', summary_table);

        -- The same row-level security as the other client tables: forced, so that it
        -- binds the owner of the client views too, and keyed on membership of
        -- CURRENT_USER in the client's group role.
        EXECUTE format('ALTER TABLE uhc_reporting.%I ENABLE ROW LEVEL SECURITY', summary_table);
        EXECUTE format('ALTER TABLE uhc_reporting.%I FORCE ROW LEVEL SECURITY', summary_table);
        EXECUTE format($policy$
            CREATE POLICY client_read ON uhc_reporting.%I FOR SELECT TO uhc_reporting_owner
            USING (client_id = ANY (ARRAY(
                SELECT c.client_id FROM uhc_reporting.clients c
                 WHERE pg_catalog.pg_has_role(CURRENT_USER, 'uhc_reporting_internal', 'MEMBER')
                    OR pg_catalog.pg_has_role(CURRENT_USER, c.group_role, 'MEMBER'))))
            $policy$, summary_table);
        EXECUTE format('CREATE POLICY internal_read ON uhc_reporting.%I FOR SELECT '
                       'TO uhc_reporting_internal USING (true)', summary_table);
        EXECUTE format('CREATE POLICY loader_write ON uhc_reporting.%I FOR ALL '
                       'TO uhc_reporting_loader USING (true) WITH CHECK (true)', summary_table);
    END LOOP;
END
$summary_tables$;
