-- Catalog lint of the client security model. Client roles are uhc_reporting_clients and
-- every role that is a member of it, directly or through other roles.

-- Returns one row per violation of the client security model in this database, or no
-- rows when all is well. The upgrade script and the tests run it. It reads only
-- catalogs and the client registry, with the caller's rights.
CREATE FUNCTION uhc_reporting.security_lint()
RETURNS TABLE (check_name text, object text, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $lint$
WITH RECURSIVE client_roles(oid) AS (
    SELECT r.oid FROM pg_roles r WHERE r.rolname = 'uhc_reporting_clients'
    UNION
    SELECT m.member FROM pg_auth_members m JOIN client_roles c ON m.roleid = c.oid
), clients AS (
    SELECT r.oid, r.rolname, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
           r.rolreplication, r.rolcanlogin
      FROM pg_roles r JOIN client_roles c ON c.oid = r.oid
), user_namespaces AS (
    SELECT n.oid, n.nspname, n.nspowner FROM pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND n.nspname !~ '^pg_(toast_)?temp_'
), user_relations AS (
    SELECT c.oid, c.relkind, c.relowner, c.relrowsecurity, c.relforcerowsecurity,
           n.nspname, c.oid::regclass::text AS relation
      FROM pg_class c JOIN user_namespaces n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
), extension_functions AS (
    SELECT p.oid, p.prosecdef, p.proconfig, p.oid::regprocedure::text AS function
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('uhc_reporting', 'uhc_reporting_client')
), client_group_roles AS (
    SELECT cl.client_id, cl.group_role FROM uhc_reporting.clients cl
), search_terms AS (
    -- Client codes, display names and payer names, as case-insensitive whole-word
    -- patterns in which an underscore counts as a space.
    -- NOTE: a code that is also a word of unrelated names is reported too, for example
    -- code UHC and a database named uhc_loader.
    SELECT DISTINCT t.term,
           '\m' || regexp_replace(replace(t.term, '_', ' '), '([.^$*+?(){}|\[\]\\])', '\\\1', 'g') || '\M'
               AS pattern
      FROM (SELECT cl.client_code AS term FROM uhc_reporting.clients cl
            UNION ALL SELECT cl.display_name FROM uhc_reporting.clients cl
            UNION ALL SELECT cp.payer_name FROM uhc_reporting.client_payers cp) t
     WHERE btrim(t.term) <> ''
), catalog_texts(kind, object, body) AS (
    -- Catalog text that every role can read. Objects with an OID below 16384 are built
    -- into PostgreSQL and are skipped.
    SELECT 'role name', r.rolname::text, r.rolname::text FROM pg_roles r
    UNION ALL
    SELECT 'database name', d.datname::text, d.datname::text FROM pg_database d
    UNION ALL
    SELECT 'schema name', n.nspname::text, n.nspname::text FROM user_namespaces n
    UNION ALL
    SELECT 'relation name', c.oid::regclass::text, c.relname::text
      FROM pg_class c JOIN user_namespaces n ON n.oid = c.relnamespace
    UNION ALL
    SELECT 'column name', a.attrelid::regclass::text || '.' || a.attname, a.attname::text
      FROM pg_attribute a JOIN user_relations r ON r.oid = a.attrelid
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    -- The body of a C function is its symbol in the extension's library, a fixed name.
    SELECT 'function', p.oid::regprocedure::text,
           p.proname || ' ' || CASE WHEN l.lanname = 'c' THEN '' ELSE coalesce(p.prosrc, '') END
      FROM pg_proc p
      JOIN user_namespaces n ON n.oid = p.pronamespace
      JOIN pg_language l ON l.oid = p.prolang
    UNION ALL
    SELECT 'comment', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
      FROM pg_description d WHERE d.objoid >= 16384
    UNION ALL
    SELECT 'comment', pg_describe_object(d.classoid, d.objoid, 0), d.description
      FROM pg_shdescription d WHERE d.objoid >= 16384
    UNION ALL
    SELECT 'policy', p.schemaname || '.' || p.tablename || ' ' || p.policyname,
           concat_ws(' ', p.policyname, p.qual, p.with_check)
      FROM pg_policies p
    UNION ALL
    SELECT 'view definition', v.schemaname || '.' || v.viewname, v.definition
      FROM pg_views v WHERE v.schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'view definition', v.schemaname || '.' || v.matviewname, v.definition
      FROM pg_matviews v
    UNION ALL
    SELECT 'role setting', coalesce(s.setrole::regrole::text, 'all roles'),
           array_to_string(s.setconfig, ' ')
      FROM pg_db_role_setting s
)
-- Tables that hold client rows: every table with a client_id column except the
-- registry itself.
SELECT 'client_table_rls', r.relation,
       'table has client rows but row-level security is not enabled and forced'
  FROM user_relations r
 WHERE r.relkind IN ('r', 'p')
   AND r.nspname IN ('uhc_reporting', 'uhc_reporting_client')
   AND r.relation NOT IN ('uhc_reporting.clients', 'uhc_reporting.client_payers')
   AND EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = r.oid AND a.attname = 'client_id' AND NOT a.attisdropped)
   AND NOT (r.relrowsecurity AND r.relforcerowsecurity)

UNION ALL
-- A client's filter on a column can become an index condition. On an index that does
-- not lead with client_id, the policy's client_id condition is then a filter, and
-- EXPLAIN ANALYZE counts the other clients' rows that match the client's filter.
SELECT 'client_table_index', i.indexrelid::regclass::text,
       'index on a table with client rows does not lead with client_id but has a column '
       'that a client-readable view reads'
  FROM pg_index i
  JOIN user_relations r ON r.oid = i.indrelid
 WHERE r.relkind IN ('r', 'p')
   AND r.relation NOT IN ('uhc_reporting.clients', 'uhc_reporting.client_payers')
   AND EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = r.oid AND a.attname = 'client_id' AND NOT a.attisdropped)
   AND (SELECT a.attname FROM pg_attribute a
         WHERE a.attrelid = r.oid AND a.attnum = i.indkey[0]) IS DISTINCT FROM 'client_id'
   AND EXISTS (SELECT 1
                 FROM unnest(i.indkey::int2[]) AS k(attnum)
                 JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = r.oid
                                 AND d.refobjsubid = k.attnum AND d.classid = 'pg_rewrite'::regclass
                 JOIN pg_rewrite w ON w.oid = d.objid
                 JOIN clients cr ON has_table_privilege(cr.oid, w.ev_class, 'SELECT'))

UNION ALL
SELECT 'client_view_owner', r.relation,
       format('client-readable view is owned by %s, which %s', o.rolname,
              CASE WHEN o.rolsuper THEN 'is a superuser'
                   WHEN o.rolbypassrls THEN 'has BYPASSRLS'
                   ELSE 'owns a table whose row-level security is not forced' END)
  FROM user_relations r
  JOIN pg_roles o ON o.oid = r.relowner
 WHERE r.relkind = 'v'
   AND EXISTS (SELECT 1 FROM clients cr WHERE has_table_privilege(cr.oid, r.oid, 'SELECT'))
   AND (o.rolsuper OR o.rolbypassrls
        OR EXISTS (SELECT 1 FROM pg_class t
                    WHERE t.relowner = o.oid AND t.relrowsecurity AND NOT t.relforcerowsecurity))

UNION ALL
SELECT 'client_materialized_view', r.relation,
       'a client role can read this materialized view, which cannot have row-level security'
  FROM user_relations r
 WHERE r.relkind = 'm'
   AND EXISTS (SELECT 1 FROM clients cr WHERE has_table_privilege(cr.oid, r.oid, 'SELECT'))

UNION ALL
SELECT 'client_read_outside_views', r.relation,
       format('client role %s can read a relation outside schema uhc_reporting_client', cr.rolname)
  FROM user_relations r
  JOIN clients cr ON has_table_privilege(cr.oid, r.oid, 'SELECT')
 WHERE r.nspname <> 'uhc_reporting_client' AND r.relkind <> 'S'

UNION ALL
SELECT 'client_write', r.relation,
       format('client role %s has a write privilege on it', cr.rolname)
  FROM user_relations r
  JOIN clients cr ON CASE WHEN r.relkind = 'S'
                          THEN has_sequence_privilege(cr.oid, r.oid, 'USAGE, UPDATE')
                          ELSE has_table_privilege(cr.oid, r.oid,
                                   'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') END

UNION ALL
SELECT 'client_create', 'schema ' || n.nspname,
       format('client role %s has CREATE on it', cr.rolname)
  FROM pg_namespace n
  JOIN clients cr ON has_schema_privilege(cr.oid, n.oid, 'CREATE')
 WHERE n.nspname !~ '^pg_(toast_)?temp_'

UNION ALL
SELECT 'client_create', 'database ' || current_database(),
       format('client role %s has CREATE on it', cr.rolname)
  FROM clients cr
 WHERE has_database_privilege(cr.oid, current_database(), 'CREATE')

UNION ALL
SELECT 'client_owner', o.object, format('owned by client role %s', cr.rolname)
  FROM (SELECT c.relowner AS owner, c.oid::regclass::text AS object
          FROM pg_class c JOIN user_namespaces n ON n.oid = c.relnamespace
        UNION ALL
        SELECT p.proowner, p.oid::regprocedure::text
          FROM pg_proc p JOIN user_namespaces n ON n.oid = p.pronamespace
        UNION ALL
        SELECT t.typowner, t.oid::regtype::text
          FROM pg_type t JOIN user_namespaces n ON n.oid = t.typnamespace
        UNION ALL
        SELECT n.nspowner, 'schema ' || n.nspname FROM user_namespaces n
        UNION ALL
        SELECT d.datdba, 'database ' || d.datname FROM pg_database d
        UNION ALL
        SELECT l.lomowner, 'large object ' || l.oid FROM pg_largeobject_metadata l) o
  JOIN clients cr ON cr.oid = o.owner

UNION ALL
SELECT 'client_role_attributes', cr.rolname,
       'client role has SUPERUSER, BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION'
  FROM clients cr
 WHERE cr.rolsuper OR cr.rolbypassrls OR cr.rolcreaterole OR cr.rolcreatedb OR cr.rolreplication

UNION ALL
SELECT 'client_execute', f.function, format('client role %s can execute it', cr.rolname)
  FROM extension_functions f
  JOIN clients cr ON has_function_privilege(cr.oid, f.oid, 'EXECUTE')

UNION ALL
SELECT 'client_memberships', r.rolname, 'role is a member of the group roles of more than one client'
  FROM pg_roles r
 WHERE (SELECT count(*) FROM client_group_roles g
         WHERE pg_has_role(r.oid, g.group_role, 'MEMBER')) > 1
   AND NOT r.rolsuper

UNION ALL
SELECT 'client_statement_timeout', cr.rolname,
       'client login role has no statement_timeout default'
  FROM clients cr
 WHERE cr.rolcanlogin
   AND NOT EXISTS (SELECT 1 FROM pg_db_role_setting s
                    WHERE s.setrole = cr.oid
                      AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d
                                                 WHERE d.datname = current_database()))
                      AND EXISTS (SELECT 1 FROM unnest(s.setconfig) AS cfg(item)
                                   WHERE cfg.item LIKE 'statement\_timeout=%'))

UNION ALL
-- Clients keep TEMP, which is safe only while no user function can run below the
-- policies' quals, and only LEAKPROOF functions can.
SELECT 'client_temp_leakproof', p.oid::regprocedure::text,
       'function is LEAKPROOF, so a client''s filter could call it on rows that the policies hide'
  FROM pg_proc p JOIN user_namespaces n ON n.oid = p.pronamespace
 WHERE p.proleakproof

UNION ALL
SELECT 'security_definer_search_path', f.function,
       'SECURITY DEFINER function does not set search_path with pg_temp last'
  FROM extension_functions f
 WHERE f.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(f.proconfig) AS cfg(item)
                    WHERE cfg.item ~ '^search_path=.*pg_temp\s*$')

UNION ALL
SELECT 'catalog_names_client', t.kind || ' ' || t.object,
       'catalog text that every role can read names a client'
  FROM catalog_texts t
 WHERE EXISTS (SELECT 1 FROM search_terms s
                -- The extension's own name, also as an escaped LIKE pattern, is no client.
                -- The bracket keeps this function's own body from naming a client "UHC".
                WHERE replace(regexp_replace(t.body, '[u]hc\\?_reporting', '', 'gi'), '_', ' ') ~* s.pattern)
$lint$;
REVOKE ALL ON FUNCTION uhc_reporting.security_lint() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION uhc_reporting.security_lint()
    TO uhc_reporting_admin, uhc_reporting_internal;
