-- Ownership, privileges and row-level security. This piece runs last, after every
-- object exists.

-- Objects created by CREATE EXTENSION belong to the installing superuser, who skips every
-- policy, so a view owned by it would show every client's rows. Tables, views and
-- sequences go to uhc_reporting_owner, which is subject to the forced policies below.
DO $ownership$
DECLARE
    rel record;
BEGIN
    FOR rel IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('uhc_reporting', 'uhc_reporting_client')
           AND c.relkind IN ('r', 'v', 'p')
    LOOP
        -- Sequences owned by identity columns follow their table.
        EXECUTE format('ALTER TABLE %s OWNER TO uhc_reporting_owner', rel.name);
    END LOOP;
END
$ownership$;

-- SECURITY DEFINER functions run as a role that has exactly the rights they need.
ALTER FUNCTION uhc_reporting.refresh(integer) OWNER TO uhc_reporting_loader;
ALTER FUNCTION uhc_reporting.analyze_refresh_inputs(text) OWNER TO uhc_reporting_owner;
ALTER FUNCTION uhc_reporting.create_client(text, text, text[]) OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.add_client_payer(text, text) OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.remove_client_payer(text, text) OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.grant_client_access(text, name) OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.revoke_client_access(text, name) OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.drop_client(text) OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.list_clients() OWNER TO uhc_reporting_role_manager;
ALTER FUNCTION uhc_reporting.drop_orphan_client_roles() OWNER TO uhc_reporting_role_manager;
DO $loading$
BEGIN
    IF to_regprocedure('uhc_reporting.begin_dataset_load(text,text)') IS NOT NULL THEN
        ALTER FUNCTION uhc_reporting.begin_dataset_load(text, text) OWNER TO uhc_reporting_loader;
        ALTER FUNCTION uhc_reporting.finish_dataset_load(integer) OWNER TO uhc_reporting_loader;
    END IF;
END
$loading$;

-- Nothing is executable by PUBLIC; each role gets what it needs.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA uhc_reporting FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA uhc_reporting FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA uhc_reporting_client FROM PUBLIC;

-- The loader writes source tables and, through refresh(), the intermediate and client
-- tables.
GRANT SELECT, INSERT, UPDATE, DELETE ON
    uhc_reporting.datasets, uhc_reporting.payers, uhc_reporting.organizations,
    uhc_reporting.patients, uhc_reporting.encounters, uhc_reporting.procedures,
    uhc_reporting.payer_transitions, uhc_reporting.procedure_classification,
    uhc_reporting.client_patient_pseudonyms, uhc_reporting.client_procedure_rows,
    uhc_reporting.client_encounter_rows,
    uhc_reporting.client_outside_summary, uhc_reporting.refresh_state
    TO uhc_reporting_loader;
GRANT SELECT ON uhc_reporting.clients, uhc_reporting.client_payers, uhc_reporting.settings,
    uhc_reporting.stg_encounters, uhc_reporting.stg_procedures,
    uhc_reporting.int_client_payers, uhc_reporting.int_client_members,
    uhc_reporting.int_client_procedures
    TO uhc_reporting_loader;
GRANT EXECUTE ON FUNCTION uhc_reporting.setting(text), uhc_reporting.refresh(integer),
    uhc_reporting.refresh_classification(integer), uhc_reporting.refresh_pseudonyms(integer),
    uhc_reporting.refresh_client_rows(integer), uhc_reporting.refresh_summaries(integer),
    uhc_reporting.analyze_refresh_inputs(text)
    TO uhc_reporting_loader;

-- The role manager keeps the registry and its audit trail.
GRANT SELECT, INSERT, UPDATE, DELETE ON uhc_reporting.clients, uhc_reporting.client_payers
    TO uhc_reporting_role_manager;
GRANT INSERT ON uhc_reporting.client_audit TO uhc_reporting_role_manager;
GRANT SELECT, UPDATE ON uhc_reporting.refresh_state TO uhc_reporting_role_manager;
GRANT EXECUTE ON FUNCTION uhc_reporting.client_by_code(text),
    uhc_reporting.check_client_login(name, integer),
    uhc_reporting.mark_summaries_stale(text),
    uhc_reporting.add_client_payer(text, text)
    TO uhc_reporting_role_manager;

-- Admins manage clients and start refreshes, and read the registry and its audit trail.
GRANT EXECUTE ON FUNCTION uhc_reporting.create_client(text, text, text[]),
    uhc_reporting.add_client_payer(text, text), uhc_reporting.remove_client_payer(text, text),
    uhc_reporting.grant_client_access(text, name), uhc_reporting.revoke_client_access(text, name),
    uhc_reporting.drop_client(text), uhc_reporting.list_clients(),
    uhc_reporting.drop_orphan_client_roles(), uhc_reporting.refresh(integer)
    TO uhc_reporting_admin;
GRANT SELECT ON uhc_reporting.clients, uhc_reporting.client_payers, uhc_reporting.client_audit,
    uhc_reporting.refresh_state, uhc_reporting.datasets, uhc_reporting.settings
    TO uhc_reporting_admin;

-- Internal analysts read every table and view, and the client views for every client.
GRANT SELECT ON ALL TABLES IN SCHEMA uhc_reporting TO uhc_reporting_internal;
GRANT SELECT ON ALL TABLES IN SCHEMA uhc_reporting_client TO uhc_reporting_internal;
GRANT EXECUTE ON FUNCTION uhc_reporting.setting(text) TO uhc_reporting_internal;

-- Clients read the client views and nothing else.
GRANT USAGE ON SCHEMA uhc_reporting_client TO uhc_reporting_clients;
GRANT SELECT ON ALL TABLES IN SCHEMA uhc_reporting_client TO uhc_reporting_clients;

-- Row-level security on every table that holds client rows. FORCE makes the policies
-- bind the owner too, which is the owner of the client views. Policies key on
-- membership of CURRENT_USER, which inside a view is still the invoking client, and
-- read the client registry, so no policy expression names a client. The subquery runs
-- once per statement, so client_id = ANY (...) is an index condition.
DO $policies$
DECLARE
    client_table text;
BEGIN
    FOREACH client_table IN ARRAY ARRAY['client_patient_pseudonyms', 'client_procedure_rows',
                                        'client_encounter_rows', 'client_outside_summary']
    LOOP
        EXECUTE format('ALTER TABLE uhc_reporting.%I ENABLE ROW LEVEL SECURITY', client_table);
        EXECUTE format('ALTER TABLE uhc_reporting.%I FORCE ROW LEVEL SECURITY', client_table);
        EXECUTE format($policy$
            CREATE POLICY client_read ON uhc_reporting.%I FOR SELECT TO uhc_reporting_owner
            USING (client_id = ANY (ARRAY(
                SELECT c.client_id FROM uhc_reporting.clients c
                 WHERE pg_catalog.pg_has_role(CURRENT_USER, 'uhc_reporting_internal', 'MEMBER')
                    OR pg_catalog.pg_has_role(CURRENT_USER, c.group_role, 'MEMBER'))))
            $policy$, client_table);
        EXECUTE format('CREATE POLICY internal_read ON uhc_reporting.%I FOR SELECT '
                       'TO uhc_reporting_internal USING (true)', client_table);
        EXECUTE format('CREATE POLICY loader_write ON uhc_reporting.%I FOR ALL '
                       'TO uhc_reporting_loader USING (true) WITH CHECK (true)', client_table);
    END LOOP;
END
$policies$;
