-- The export's first page in export order without sorting the client's rows.
--
-- The policies filter client_id = ANY (ARRAY(...)), which may hold several ids, so the
-- planner cannot read the export index (client_id, procedure_description, procedure_date
-- DESC, patient_pseudonym) in order and sorts every row of the client instead. This view
-- adds an equality on the one client of the invoking login, which makes client_id a
-- constant for the planner, so ORDER BY ... LIMIT reads the index in order. A UNION ALL
-- branch for internal analysts would make the planner sort both branches again, so this
-- view shows the login's own client only: internal analysts read the same columns from
-- uhc_reporting.client_procedure_rows. The policies still apply, so the equality can
-- only narrow what a login sees.
DROP VIEW uhc_reporting_client.procedure_export;

CREATE VIEW uhc_reporting_client.procedure_export AS
SELECT r.procedure_group, r.procedure_code, r.procedure_description, r.base_cost,
       r.procedure_date, r.procedure_month, r.organization_name, r.payer_name,
       r.patient_pseudonym
  FROM uhc_reporting.client_procedure_rows r
 -- grant_client_access() gives a login one client only. LIMIT 1 keeps a login that a DBA
 -- added to two group roles by hand (or a superuser) to one client instead of an error.
 WHERE r.client_id = (SELECT c.client_id FROM uhc_reporting.clients c
                       WHERE pg_catalog.pg_has_role(CURRENT_USER, c.group_role, 'MEMBER')
                       ORDER BY c.client_id LIMIT 1);

ALTER VIEW uhc_reporting_client.procedure_export OWNER TO uhc_reporting_owner;
REVOKE ALL ON uhc_reporting_client.procedure_export FROM PUBLIC;
GRANT SELECT ON uhc_reporting_client.procedure_export
    TO uhc_reporting_clients, uhc_reporting_internal;
