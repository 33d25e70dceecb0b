-- Settings that change what a client sees live in this table, not in configuration
-- parameters: a client session could SET a placeholder parameter of a library that its
-- backend has not loaded, but it cannot write this table. Only a superuser writes it.
CREATE TABLE uhc_reporting.settings (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    description text NOT NULL
);
COMMENT ON TABLE uhc_reporting.settings IS
    'Deployment settings that change client-visible results; superuser-only writes.';

INSERT INTO uhc_reporting.settings (name, value, description) VALUES
    ('default_group', 'Other',
     'Procedure group given to a description that no enabled rule matches.'),
    ('high_volume_min_encounters', '4',
     'A member with at least this many own encounters counts as a high-volume patient.');

-- Returns a setting's value, or raises an error naming the missing setting.
CREATE FUNCTION uhc_reporting.setting(setting_name text) RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result text;
BEGIN
    SELECT s.value INTO result FROM uhc_reporting.settings s WHERE s.name = setting_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'uhc_reporting setting "%" does not exist', setting_name
            USING ERRCODE = 'undefined_object',
                  HINT = 'Reinstall the extension, or insert the setting into uhc_reporting.settings.';
    END IF;
    RETURN result;
END
$$;

-- Summaries computed from procedure groups go stale when a rule changes. The refresh
-- functions clear the flag; uhc_reporting.refresh_status() shows it.
CREATE TABLE uhc_reporting.refresh_state (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    stale_since    timestamptz,
    stale_reason   text,
    last_refresh   timestamptz
);
INSERT INTO uhc_reporting.refresh_state DEFAULT VALUES;

CREATE FUNCTION uhc_reporting.mark_summaries_stale(reason text) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE uhc_reporting.refresh_state
       SET stale_since = coalesce(stale_since, pg_catalog.now()),
           stale_reason = reason;
$$;
