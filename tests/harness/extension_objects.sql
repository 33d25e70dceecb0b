-- Lists what the installed uhc_reporting extension consists of, one line per fact in a
-- stable order, so that two databases can be compared with diff. The lines cover member
-- objects with owners and ACLs, columns and column ACLs, constraints, indexes, triggers,
-- policies, row-level security, view and function definitions, comments and the tables
-- that pg_dump dumps. No line contains an OID or a database name.
\pset format unaligned
\pset tuples_only on
\pset footer off

WITH ext AS (
    SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'uhc_reporting'
), members AS (
    SELECT d.classid, d.objid
      FROM pg_catalog.pg_depend d, ext
     WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass
       AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT 'member|' || pg_catalog.pg_describe_object(m.classid, m.objid, 0) || '|owner=' ||
       coalesce(pg_catalog.pg_get_userbyid(coalesce(c.relowner, p.proowner, t.typowner, n.nspowner)), '-') ||
       '|acl=' || coalesce(coalesce(c.relacl, p.proacl, t.typacl, n.nspacl)::text, '-') ||
       '|' || coalesce('kind=' || c.relkind::text || ' rls=' || c.relrowsecurity || ' force=' || c.relforcerowsecurity, '') ||
       coalesce('volatile=' || p.provolatile::text || ' strict=' || p.proisstrict || ' definer=' || p.prosecdef ||
                ' parallel=' || p.proparallel::text || ' config=' || coalesce(p.proconfig::text, '-') ||
                ' body=' || pg_catalog.md5(coalesce(p.prosrc, '') || coalesce(p.probin, '')), '')
  FROM members m
  LEFT JOIN pg_catalog.pg_class c ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid
  LEFT JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid
  LEFT JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::regclass AND t.oid = m.objid
  LEFT JOIN pg_catalog.pg_namespace n ON m.classid = 'pg_catalog.pg_namespace'::regclass AND n.oid = m.objid
 ORDER BY 1;

-- Columns of member tables and views, by name, with type, nullability, default and ACL.
SELECT 'column|' || c.oid::regclass::text || '.' || a.attname || '|' ||
       pg_catalog.format_type(a.atttypid, a.atttypmod) || '|notnull=' || a.attnotnull ||
       '|identity=' || a.attidentity::text || '|default=' ||
       coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '-') ||
       '|acl=' || coalesce(a.attacl::text, '-')
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
 WHERE c.relnamespace IN ('uhc_reporting'::regnamespace, 'uhc_reporting_client'::regnamespace)
 ORDER BY 1;

SELECT 'constraint|' || co.conrelid::regclass::text || '|' || co.conname || '|' ||
       pg_catalog.pg_get_constraintdef(co.oid)
  FROM pg_catalog.pg_constraint co
 WHERE co.connamespace = 'uhc_reporting'::regnamespace
 ORDER BY 1;

SELECT 'index|' || i.schemaname || '.' || i.indexname || '|' || i.indexdef
  FROM pg_catalog.pg_indexes i
 WHERE i.schemaname IN ('uhc_reporting', 'uhc_reporting_client')
 ORDER BY 1;

SELECT 'trigger|' || tg.tgrelid::regclass::text || '|' || tg.tgname || '|enabled=' || tg.tgenabled::text ||
       '|' || pg_catalog.pg_get_triggerdef(tg.oid)
  FROM pg_catalog.pg_trigger tg
  JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
 WHERE NOT tg.tgisinternal
   AND c.relnamespace IN ('uhc_reporting'::regnamespace, 'uhc_reporting_client'::regnamespace)
 ORDER BY 1;

SELECT 'policy|' || po.schemaname || '.' || po.tablename || '|' || po.policyname || '|' ||
       po.permissive || '|' || po.roles::text || '|' || po.cmd || '|' ||
       coalesce(po.qual, '-') || '|' || coalesce(po.with_check, '-')
  FROM pg_catalog.pg_policies po
 WHERE po.schemaname IN ('uhc_reporting', 'uhc_reporting_client')
 ORDER BY 1;

SELECT 'view|' || c.oid::regclass::text || '|' || pg_catalog.md5(pg_catalog.pg_get_viewdef(c.oid))
  FROM pg_catalog.pg_class c
 WHERE c.relkind = 'v'
   AND c.relnamespace IN ('uhc_reporting'::regnamespace, 'uhc_reporting_client'::regnamespace)
 ORDER BY 1;

SELECT 'comment|' || pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid) || '|' ||
       pg_catalog.md5(d.description)
  FROM pg_catalog.pg_description d
  JOIN pg_catalog.pg_depend dep ON dep.classid = d.classoid AND dep.objid = d.objoid
       AND dep.refclassid = 'pg_catalog.pg_extension'::regclass AND dep.deptype = 'e'
  JOIN pg_catalog.pg_extension e ON e.oid = dep.refobjid AND e.extname = 'uhc_reporting'
 ORDER BY 1;

SELECT 'config_dump|' || cfg.relid::regclass::text || '|' || cfg.condition
  FROM pg_catalog.pg_extension e,
       LATERAL unnest(e.extconfig, e.extcondition) AS cfg(relid, condition)
 WHERE e.extname = 'uhc_reporting'
 ORDER BY 1;
