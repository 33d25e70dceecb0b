-- Client management functions for uhc_reporting_admin.
--
-- They are SECURITY DEFINER functions owned by uhc_reporting_role_manager, the only role
-- of the extension with CREATEROLE, and they pin search_path with pg_temp last so that a
-- caller's temporary objects cannot capture a name. Each records its call in
-- uhc_reporting.client_audit. Client changes mark the summaries stale; run
-- uhc_reporting.refresh() afterwards so that the client's rows are recomputed.

-- Returns the client row for a code, or raises an error if there is none.
CREATE FUNCTION uhc_reporting.client_by_code(code text) RETURNS uhc_reporting.clients
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_client uhc_reporting.clients;
BEGIN
    SELECT * INTO found_client FROM uhc_reporting.clients c WHERE c.client_code = code;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'client "%" does not exist', code
            USING ERRCODE = 'undefined_object',
                  HINT = 'uhc_reporting.list_clients() lists the registered clients.';
    END IF;
    RETURN found_client;
END
$$;

-- Raises an error unless role_name is an existing role that may join a client: not a
-- superuser, not BYPASSRLS, not a predefined or uhc_reporting role, and not already a
-- member of another client's group role.
CREATE FUNCTION uhc_reporting.check_client_login(role_name name, for_client_id integer) RETURNS void
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

CREATE FUNCTION uhc_reporting.create_client(client_code text, display_name text,
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
        RAISE EXCEPTION 'invalid client code "%"', client_code
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

CREATE FUNCTION uhc_reporting.add_client_payer(client_code text, payer_name text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients := uhc_reporting.client_by_code(client_code);
BEGIN
    IF payer_name IS NULL OR btrim(payer_name) = '' THEN
        RAISE EXCEPTION 'payer name is empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO uhc_reporting.client_payers (client_id, payer_name)
    SELECT target.client_id, btrim(payer_name)
     WHERE NOT EXISTS (SELECT 1 FROM uhc_reporting.client_payers cp
                        WHERE cp.client_id = target.client_id
                          AND lower(cp.payer_name) = lower(btrim(add_client_payer.payer_name)));
    IF FOUND THEN
        INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
        VALUES ('add_client_payer', client_code, jsonb_build_object('payer_name', payer_name));
        PERFORM uhc_reporting.mark_summaries_stale('client payers changed');
    END IF;
END
$$;

CREATE FUNCTION uhc_reporting.remove_client_payer(client_code text, payer_name text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients := uhc_reporting.client_by_code(client_code);
BEGIN
    DELETE FROM uhc_reporting.client_payers cp
     WHERE cp.client_id = target.client_id
       AND lower(cp.payer_name) = lower(btrim(remove_client_payer.payer_name));
    IF FOUND THEN
        INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
        VALUES ('remove_client_payer', client_code, jsonb_build_object('payer_name', payer_name));
        PERFORM uhc_reporting.mark_summaries_stale('client payers changed');
    END IF;
END
$$;

CREATE FUNCTION uhc_reporting.grant_client_access(client_code text, login_role name) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients := uhc_reporting.client_by_code(client_code);
BEGIN
    PERFORM uhc_reporting.check_client_login(login_role, target.client_id);
    IF NOT pg_has_role(login_role, target.group_role, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', target.group_role, login_role);
    END IF;
    -- Advisory only: a client can SET statement_timeout itself in its session. It bounds
    -- runaway dashboard queries from a client that does not.
    EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', login_role, '5min');
    INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
    VALUES ('grant_client_access', client_code, jsonb_build_object('login_role', login_role));
END
$$;

CREATE FUNCTION uhc_reporting.revoke_client_access(client_code text, login_role name) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients := uhc_reporting.client_by_code(client_code);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = login_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', login_role
            USING ERRCODE = 'undefined_object';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                 JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                 JOIN pg_catalog.pg_roles r ON r.oid = m.member
                WHERE g.rolname = target.group_role AND r.rolname = login_role) THEN
        EXECUTE format('REVOKE %I FROM %I', target.group_role, login_role);
    END IF;
    INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
    VALUES ('revoke_client_access', client_code, jsonb_build_object('login_role', login_role));
END
$$;

CREATE FUNCTION uhc_reporting.drop_client(client_code text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target uhc_reporting.clients;
    member_name name;
BEGIN
    SELECT * INTO target FROM uhc_reporting.clients c WHERE c.client_code = drop_client.client_code;
    IF NOT FOUND THEN
        RAISE NOTICE 'client "%" does not exist, skipping', client_code;
        RETURN;
    END IF;
    FOR member_name IN
        SELECT r.rolname FROM pg_catalog.pg_auth_members m
          JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
          JOIN pg_catalog.pg_roles r ON r.oid = m.member
         WHERE g.rolname = target.group_role
    LOOP
        EXECUTE format('REVOKE %I FROM %I', target.group_role, member_name);
    END LOOP;
    -- The client's materialized rows go with it (ON DELETE CASCADE).
    DELETE FROM uhc_reporting.clients WHERE client_id = target.client_id;
    EXECUTE format('DROP ROLE %I', target.group_role);
    INSERT INTO uhc_reporting.client_audit (action, client_code, detail)
    VALUES ('drop_client', client_code, jsonb_build_object('group_role', target.group_role));
END
$$;

CREATE FUNCTION uhc_reporting.list_clients()
RETURNS TABLE (client_code text, display_name text, group_role name,
               payer_names text[], login_roles name[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.client_code, c.display_name, c.group_role,
           coalesce((SELECT array_agg(cp.payer_name ORDER BY cp.payer_name)
                       FROM uhc_reporting.client_payers cp
                      WHERE cp.client_id = c.client_id), '{}'),
           coalesce((SELECT array_agg(r.rolname ORDER BY r.rolname)
                       FROM pg_catalog.pg_auth_members m
                       JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                       JOIN pg_catalog.pg_roles r ON r.oid = m.member
                      WHERE g.rolname = c.group_role), '{}')
      FROM uhc_reporting.clients c
     ORDER BY c.client_code;
$$;

-- Drops this database's client group roles (uhc_reporting_client_<database oid>_<n>)
-- that no client uses any more, for example those left behind by DROP EXTENSION, which
-- cannot drop roles because roles belong to the whole cluster. Roles of other databases
-- are never touched. Returns the dropped role names.
CREATE FUNCTION uhc_reporting.drop_orphan_client_roles() RETURNS SETOF name
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
           AND NOT EXISTS (SELECT 1 FROM uhc_reporting.clients c WHERE c.group_role = r.rolname)
    LOOP
        EXECUTE format('DROP ROLE %I', orphan);
        INSERT INTO uhc_reporting.client_audit (action, detail)
        VALUES ('drop_orphan_client_role', jsonb_build_object('group_role', orphan));
        RETURN NEXT orphan;
    END LOOP;
END
$$;
