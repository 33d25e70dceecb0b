-- Fixes to client management and rule validation found by testing 0.1.0.
--
-- grant_client_access() refused superusers and BYPASSRLS roles but accepted members of
-- roles that see more than one client or can read the key file. drop_orphan_client_roles()
-- matched role names only. create_client() repeated an arbitrarily long code in its
-- error. The rules trigger looked for duplicates with a cached plan that scanned the whole
-- table.

CREATE OR REPLACE FUNCTION uhc_reporting.check_client_login(role_name name, for_client_id integer) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    login pg_catalog.pg_roles;
    other_client text;
BEGIN
    SELECT * INTO login FROM pg_catalog.pg_roles r WHERE r.rolname = role_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', role_name
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create the login role first, for example CREATE ROLE name LOGIN, and set its password with psql''s \password.';
    END IF;
    IF login.rolsuper OR login.rolbypassrls THEN
        RAISE EXCEPTION 'role "%" cannot be given client access because it bypasses row-level security', role_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a login role without SUPERUSER and BYPASSRLS.';
    END IF;
    IF role_name LIKE 'pg\_%' OR role_name LIKE 'uhc\_reporting\_%' THEN
        RAISE EXCEPTION 'role "%" is a predefined or uhc_reporting role', role_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Grant client access to a login role created for that client.';
    END IF;
    -- A member of these roles sees more than one client (internal analysts, loaders),
    -- can manage clients (admins), or can read the key file from the server's disk.
    IF pg_has_role(role_name, 'uhc_reporting_internal', 'MEMBER')
       OR pg_has_role(role_name, 'uhc_reporting_loader', 'MEMBER')
       OR pg_has_role(role_name, 'uhc_reporting_admin', 'MEMBER')
       OR pg_has_role(role_name, 'uhc_reporting_owner', 'MEMBER')
       OR pg_has_role(role_name, 'pg_read_server_files', 'MEMBER')
       OR pg_has_role(role_name, 'pg_write_server_files', 'MEMBER')
       OR pg_has_role(role_name, 'pg_execute_server_program', 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot be given client access because it has wider rights', role_name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The role is a member of an internal, loader, admin or owner role of uhc_reporting, or of a role that reads or writes server files.',
                  HINT = 'Use a login role created for that client only.';
    END IF;
    SELECT c.client_code INTO other_client
      FROM uhc_reporting.clients c
     WHERE c.client_id <> for_client_id
       AND pg_has_role(role_name, c.group_role, 'MEMBER')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'role "%" already has access to another client', role_name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The role is a member of the group role of client "%s".', other_client),
                  HINT = 'Use one login role per client.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION uhc_reporting.create_client(client_code text, display_name text,
                                            payer_names text[] DEFAULT '{}')
RETURNS name
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    existing uhc_reporting.clients;
    new_id integer;
    new_role name;
    payer text;
BEGIN
    IF client_code IS NULL OR client_code !~ '^[A-Z][A-Z0-9_]{1,31}$' THEN
        RAISE EXCEPTION 'invalid client code "%"', left(client_code, 40)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A client code is 2 to 32 characters: an upper-case letter, then upper-case letters, digits or underscores. It cannot change later.';
    END IF;
    IF display_name IS NULL OR btrim(display_name) = '' THEN
        RAISE EXCEPTION 'display name of client "%" is empty', client_code
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(payer_names) AS p(name) WHERE p.name IS NULL OR btrim(p.name) = '') THEN
        RAISE EXCEPTION 'payer names of client "%" contain an empty name', client_code
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT * INTO existing FROM uhc_reporting.clients c WHERE c.client_code = create_client.client_code;
    IF FOUND THEN
        IF existing.display_name <> create_client.display_name THEN
            RAISE EXCEPTION 'client "%" already exists with another display name', client_code
                USING ERRCODE = 'duplicate_object',
                      HINT = 'Use another client code, or drop the client first.';
        END IF;
        -- Calling create_client again with the same arguments changes nothing.
        FOREACH payer IN ARRAY payer_names LOOP
            PERFORM uhc_reporting.add_client_payer(client_code, payer);
        END LOOP;
        RETURN existing.group_role;
    END IF;

    INSERT INTO uhc_reporting.clients (client_code, display_name, group_role)
    VALUES (client_code, display_name, '')
    RETURNING client_id INTO new_id;
    -- Roles belong to the whole cluster, so the name carries this database's OID: two
    -- databases that use the extension never pick the same role name.
    new_role := format('uhc_reporting_client_%s_%s',
                       (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database()),
                       new_id);
    UPDATE uhc_reporting.clients SET group_role = new_role WHERE client_id = new_id;

    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = new_role) THEN
        RAISE EXCEPTION 'role "%" already exists', new_role
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'A client group role of another database or an earlier install was left behind.',
                  HINT = 'Drop that role, or run uhc_reporting.drop_orphan_client_roles() in the database that created it.';
    END IF;
    EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB', new_role);
    EXECUTE format('GRANT uhc_reporting_clients TO %I', new_role);
    -- The comment marks the role as made here, so that drop_orphan_client_roles() never
    -- drops a role that a DBA made with a similar name. It names no client.
    EXECUTE format('COMMENT ON ROLE %I IS %L', new_role, 'uhc_reporting client group role');

    INSERT INTO uhc_reporting.client_payers (client_id, payer_name)
    SELECT DISTINCT new_id, btrim(p.name) FROM unnest(payer_names) AS p(name);

    INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
    VALUES ('create_client', client_code,
            jsonb_build_object('display_name', display_name, 'payer_names', payer_names,
                               'group_role', new_role));
    PERFORM uhc_reporting.mark_summaries_stale('client created');
    RETURN new_role;
END
$$;

CREATE OR REPLACE FUNCTION uhc_reporting.drop_orphan_client_roles() RETURNS SETOF name
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    orphan name;
BEGIN
    FOR orphan IN
        SELECT r.rolname FROM pg_catalog.pg_roles r
         WHERE r.rolname LIKE format('uhc\_reporting\_client\_%s\_%%',
                                     (SELECT d.oid FROM pg_catalog.pg_database d
                                       WHERE d.datname = current_database()))
           AND NOT r.rolcanlogin
           AND pg_catalog.shobj_description(r.oid, 'pg_authid') = 'uhc_reporting client group role'
           AND NOT EXISTS (SELECT 1 FROM uhc_reporting.clients c WHERE c.group_role = r.rolname)
    LOOP
        EXECUTE format('DROP ROLE %I', orphan);
        INSERT INTO uhc_reporting.client_audit (action, detail)
        VALUES ('drop_orphan_client_role', jsonb_build_object('group_role', orphan));
        RETURN NEXT orphan;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION uhc_reporting.procedure_rules_validate() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    duplicate_id integer;
BEGIN
    IF NEW.pattern = '' THEN
        RAISE EXCEPTION 'procedure rule pattern is empty'
            USING ERRCODE = 'check_violation',
                  HINT = 'Give the text or the procedure code that the rule should match.';
    END IF;
    IF NEW.pattern !~ '[^[:space:]]' THEN
        RAISE EXCEPTION 'procedure rule pattern "%" contains only whitespace', NEW.pattern
            USING ERRCODE = 'check_violation',
                  HINT = 'Give the text or the procedure code that the rule should match.';
    END IF;
    IF NEW.match_kind NOT IN ('substring', 'word', 'prefix', 'code') THEN
        RAISE EXCEPTION 'invalid match kind "%" for procedure rule', NEW.match_kind
            USING ERRCODE = 'check_violation',
                  HINT = 'Use substring, word, prefix or code.';
    END IF;
    IF NEW.match_kind = 'code' AND NEW.pattern !~ '^[0-9]+$' THEN
        RAISE EXCEPTION 'code rule pattern "%" is not a procedure code', NEW.pattern
            USING ERRCODE = 'check_violation',
                  DETAIL = 'A code rule pattern must consist of digits only.',
                  HINT = 'Use a text match kind for descriptions.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM uhc_reporting.procedure_groups g
                    WHERE g.group_name = NEW.group_name) THEN
        RAISE EXCEPTION 'procedure group "%" does not exist', NEW.group_name
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Insert the group into uhc_reporting.procedure_groups first.';
    END IF;
    -- Dynamic SQL is planned for each row. A cached plan made while the table held a few
    -- rules scans the whole table, which made a bulk insert of n rules cost n squared.
    EXECUTE 'SELECT r.rule_id FROM uhc_reporting.procedure_rules r
              WHERE lower(r.pattern) = lower($1) AND r.match_kind = $2 AND r.rule_id <> $3
              LIMIT 1'
       INTO duplicate_id
      USING NEW.pattern, NEW.match_kind, NEW.rule_id;
    IF duplicate_id IS NOT NULL THEN
        RAISE EXCEPTION 'procedure rule duplicates rule %', duplicate_id
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('Rule %s already matches %s pattern "%s", ignoring letter case.',
                                  duplicate_id, NEW.match_kind, lower(NEW.pattern)),
                  HINT = 'Update the existing rule instead.';
    END IF;
    RETURN NEW;
END
$$;

-- Group roles made by 0.1.0 get the marker comment too.
DO $mark_roles$
DECLARE
    role_name name;
BEGIN
    FOR role_name IN SELECT c.group_role FROM uhc_reporting.clients c LOOP
        EXECUTE format('COMMENT ON ROLE %I IS %L', role_name, 'uhc_reporting client group role');
    END LOOP;
END
$mark_roles$;
