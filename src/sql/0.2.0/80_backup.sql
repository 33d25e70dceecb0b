-- Backup and restore. pg_dump writes only CREATE EXTENSION for an extension's objects,
-- and the rows of the tables and sequences marked with pg_extension_config_dump. Every
-- table of the extension that exists at this point is marked, so that a dump restores
-- the rules, settings, clients, audit trail, loaded data and the materialized client
-- rows without a reload or a refresh. refresh_state is left out: it describes the
-- database it lives in, and its singleton row would collide with the restored install's.
-- A table created by a later upgrade piece must call pg_extension_config_dump itself.
--
-- Rows that the install script inserted (default rules, groups and settings) would
-- collide with the same rows inserted again by CREATE EXTENSION during a restore. They
-- carry the transaction id of the CREATE EXTENSION or ALTER EXTENSION ... UPDATE that
-- last wrote the pg_extension row, so the dump filter leaves out every row with that
-- xmin. An analyst's change to a default row gives it a new xmin, so the changed row is
-- dumped, and the triggers below let it replace the default row at restore time.
-- NOTE: xmin is 32 bits wide. After 2^32 transactions an analyst's row could by chance
-- share the install's xmin and be left out of the dump.

DO $config_dump$
DECLARE
    member record;
BEGIN
    FOR member IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_class c ON c.oid = d.objid
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
         WHERE d.classid = 'pg_catalog.pg_class'::regclass
           AND d.refclassid = 'pg_catalog.pg_extension'::regclass
           AND d.deptype = 'e'
           AND e.extname = 'uhc_reporting'
           AND c.relkind IN ('r', 'S')
           AND c.oid <> 'uhc_reporting.refresh_state'::regclass
         ORDER BY c.relname
    LOOP
        IF member.relkind = 'S' THEN
            PERFORM pg_catalog.pg_extension_config_dump(member.name, '');
        ELSE
            PERFORM pg_catalog.pg_extension_config_dump(member.name,
                'WHERE xmin OPERATOR(pg_catalog.<>) (SELECT e.xmin FROM pg_catalog.pg_extension e'
                ' WHERE e.extname OPERATOR(pg_catalog.=) ''uhc_reporting'')');
        END IF;
    END LOOP;
END
$config_dump$;

-- BEFORE INSERT row trigger on the tables with install defaults. An inserted row whose
-- key matches an unchanged install default updates that row instead, and the insert is
-- skipped. This is how a restore brings back an analyst's change to a default rule,
-- group or setting. A key that matches a changed row still raises unique_violation.
CREATE FUNCTION uhc_reporting.replace_install_default() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    install_xmin xid := (SELECT e.xmin FROM pg_catalog.pg_extension e
                          WHERE e.extname = 'uhc_reporting');
BEGIN
    IF TG_TABLE_NAME = 'settings' THEN
        UPDATE uhc_reporting.settings s
           SET value = NEW.value, description = NEW.description
         WHERE s.name = NEW.name AND s.xmin = install_xmin;
    ELSIF TG_TABLE_NAME = 'procedure_groups' THEN
        UPDATE uhc_reporting.procedure_groups g
           SET description = NEW.description
         WHERE g.group_name = NEW.group_name AND g.xmin = install_xmin;
    ELSIF TG_TABLE_NAME = 'procedure_rules' THEN
        UPDATE uhc_reporting.procedure_rules r
           SET pattern = NEW.pattern, group_name = NEW.group_name, priority = NEW.priority,
               match_kind = NEW.match_kind, enabled = NEW.enabled, note = NEW.note
         WHERE r.rule_id = NEW.rule_id AND r.xmin = install_xmin;
    ELSE
        RAISE EXCEPTION 'replace_install_default() is not defined for table "%"', TG_TABLE_NAME
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

-- The names sort before procedure_rules_validate, so the rule check runs on the UPDATE
-- above (or on the insert when nothing was replaced), not on a row that is skipped.
CREATE TRIGGER settings_replace_install_default
    BEFORE INSERT ON uhc_reporting.settings
    FOR EACH ROW EXECUTE FUNCTION uhc_reporting.replace_install_default();
CREATE TRIGGER procedure_groups_replace_install_default
    BEFORE INSERT ON uhc_reporting.procedure_groups
    FOR EACH ROW EXECUTE FUNCTION uhc_reporting.replace_install_default();
CREATE TRIGGER procedure_rules_replace_install_default
    BEFORE INSERT ON uhc_reporting.procedure_rules
    FOR EACH ROW EXECUTE FUNCTION uhc_reporting.replace_install_default();

-- Only the trigger runs it. PostgreSQL checks EXECUTE when a trigger is created, not
-- when it fires, so nobody needs the privilege.
REVOKE ALL ON FUNCTION uhc_reporting.replace_install_default() FROM PUBLIC;
