-- Roles. Roles are cluster-wide, so a second database that installs the extension reuses
-- them; each is created only when missing. All of them are NOLOGIN: a DBA creates login
-- roles and makes them members through the client functions.
DO $roles$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            -- Owns the tables and the client views. It is neither a superuser nor
            -- BYPASSRLS, and the tables FORCE row-level security, so the views it owns
            -- see only what the policies allow the invoking client.
            ('uhc_reporting_owner'),
            -- Writes source tables and the materialized client rows: the loader and the
            -- refresh functions run as this role.
            ('uhc_reporting_loader'),
            -- Internal analysts of the advocacy group: every client's rows.
            ('uhc_reporting_internal'),
            -- Manages clients through SECURITY DEFINER functions, without CREATEROLE.
            ('uhc_reporting_admin'),
            -- Parent of every client group role; holds SELECT on the client views.
            ('uhc_reporting_clients')
        ) AS v(rolname)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.rolname) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB', r.rolname);
        END IF;
    END LOOP;

    -- Owns the SECURITY DEFINER client functions, which create client group roles and
    -- grant memberships. CREATEROLE stays on this role, which nobody can log in as or
    -- SET ROLE to, instead of on uhc_reporting_admin: in PostgreSQL 15 a CREATEROLE role
    -- can grant itself pg_read_server_files and so read the pseudonym key file.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'uhc_reporting_role_manager') THEN
        CREATE ROLE uhc_reporting_role_manager NOLOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE NOCREATEDB;
    END IF;
END
$roles$;

ALTER SCHEMA uhc_reporting OWNER TO uhc_reporting_owner;
ALTER SCHEMA uhc_reporting_client OWNER TO uhc_reporting_owner;
GRANT USAGE ON SCHEMA uhc_reporting
    TO uhc_reporting_loader, uhc_reporting_internal, uhc_reporting_admin, uhc_reporting_role_manager;
GRANT USAGE ON SCHEMA uhc_reporting_client TO uhc_reporting_internal;
