-- A load and a concurrent refresh() could deadlock: the load deleted rows and analyzed
-- the source tables before it waited for the refresh lock, and a refresh analyzed and
-- deleted in the other order. begin_dataset_load() now takes the refresh lock first, so
-- a load and a refresh run one after the other.

CREATE OR REPLACE FUNCTION uhc_reporting.begin_dataset_load(dataset_name text, layout text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id integer;
BEGIN
    IF dataset_name IS NULL OR layout IS NULL THEN
        RAISE EXCEPTION 'dataset name and layout must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;

    -- Two loads of the same name queue here. Each statement below takes a new snapshot,
    -- so the second load deletes what the first committed instead of failing on the
    -- unique name.
    PERFORM pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtext('uhc_reporting.dataset_load'),
        pg_catalog.hashtext(dataset_name));

    -- A load then waits for any running refresh, and refreshes wait for the load, before
    -- either takes a lock on the tables. Taken any later, the load's deletes and ANALYZE
    -- and a concurrent refresh's ANALYZE and deletes could wait for each other.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('uhc_reporting.refresh'));

    DELETE FROM uhc_reporting.datasets d WHERE d.dataset_name = begin_dataset_load.dataset_name;

    INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout)
    VALUES (begin_dataset_load.dataset_name, layout)
    RETURNING dataset_id INTO new_id;
    RETURN new_id;
END
$$;
