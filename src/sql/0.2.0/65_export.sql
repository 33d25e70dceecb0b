-- The export for spreadsheets. procedure_export keeps every value exact for Tableau, and
-- this view returns the same rows with a single quote (') before each text cell that a
-- spreadsheet would run as a formula: a cell that starts with =, +, -, @, a tab or a
-- carriage return. A spreadsheet shows such a cell as text, and a reader
-- recovers the stored value by removing the first character. Numbers and dates are
-- left as they are, because their text forms are data, not formulas.
CREATE VIEW uhc_reporting_client.procedure_export_csv AS
SELECT CASE WHEN left(r.procedure_group, 1) IN ('=', '+', '-', '@', E'\t', E'\r')
            THEN '''' || r.procedure_group ELSE r.procedure_group END AS procedure_group,
       CASE WHEN left(r.procedure_code, 1) IN ('=', '+', '-', '@', E'\t', E'\r')
            THEN '''' || r.procedure_code ELSE r.procedure_code END AS procedure_code,
       CASE WHEN left(r.procedure_description, 1) IN ('=', '+', '-', '@', E'\t', E'\r')
            THEN '''' || r.procedure_description ELSE r.procedure_description END
           AS procedure_description,
       r.base_cost,
       r.procedure_date,
       r.procedure_month,
       CASE WHEN left(r.organization_name, 1) IN ('=', '+', '-', '@', E'\t', E'\r')
            THEN '''' || r.organization_name ELSE r.organization_name END AS organization_name,
       CASE WHEN left(r.payer_name, 1) IN ('=', '+', '-', '@', E'\t', E'\r')
            THEN '''' || r.payer_name ELSE r.payer_name END AS payer_name,
       r.patient_pseudonym
  FROM uhc_reporting.client_procedure_rows r;

ALTER VIEW uhc_reporting_client.procedure_export_csv OWNER TO uhc_reporting_owner;
REVOKE ALL ON uhc_reporting_client.procedure_export_csv FROM PUBLIC;
GRANT SELECT ON uhc_reporting_client.procedure_export_csv
    TO uhc_reporting_clients, uhc_reporting_internal;
