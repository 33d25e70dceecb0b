-- Dataset loading. tools/uhc-load validates every CSV row on the client, then runs one
-- transaction: begin_dataset_load, a client-side COPY per source table in dependency
-- order, finish_dataset_load, COMMIT. A failed load rolls back as a whole, so the previous
-- load of the same name stays.

-- Deletes any dataset named dataset_name (its rows go with it through ON DELETE CASCADE)
-- and creates a fresh datasets row. Returns the new dataset_id.
CREATE FUNCTION uhc_reporting.begin_dataset_load(dataset_name text, layout text)
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

    DELETE FROM uhc_reporting.datasets d WHERE d.dataset_name = begin_dataset_load.dataset_name;

    INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout)
    VALUES (begin_dataset_load.dataset_name, layout)
    RETURNING dataset_id INTO new_id;
    RETURN new_id;
END
$$;

-- Runs ANALYZE on the source tables. After a load into tables whose statistics describe
-- them as empty, deleting a dataset of 100,000 procedures took 8 minutes instead of half a
-- second (PostgreSQL 15, 2 cores), and the refresh slows down the same way. PostgreSQL 15
-- lets only a table's owner or a superuser ANALYZE, so this SECURITY DEFINER function keeps
-- the installing superuser as owner. It takes no arguments and only analyzes fixed tables.
CREATE FUNCTION uhc_reporting.analyze_source_tables()
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    source_table record;
    not_analyzed text[] := '{}';
BEGIN
    FOR source_table IN
        SELECT c.oid::regclass AS name, pg_catalog.pg_has_role(c.relowner, 'USAGE') AS can_analyze
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = 'uhc_reporting'::regnamespace
           AND c.relname IN ('datasets', 'payers', 'organizations', 'patients', 'encounters',
                             'procedures', 'payer_transitions')
         ORDER BY c.relname
    LOOP
        IF source_table.can_analyze THEN
            EXECUTE pg_catalog.format('ANALYZE %s', source_table.name);
        ELSE
            not_analyzed := not_analyzed || source_table.name::text;
        END IF;
    END LOOP;
    IF pg_catalog.cardinality(not_analyzed) > 0 THEN
        RAISE WARNING 'could not analyze %, their statistics stay stale',
                pg_catalog.array_to_string(not_analyzed, ', ')
            USING HINT = 'Make the owner of uhc_reporting.analyze_source_tables() a superuser or '
                         'a member of the owner of the source tables, so that reloads and '
                         'refreshes keep fast query plans.';
    END IF;
END
$$;

-- Stores the row count of every source table in datasets.row_counts, analyzes the source
-- tables, then runs uhc_reporting.refresh(dataset_id) when that function is installed.
-- Returns the counts.
CREATE FUNCTION uhc_reporting.finish_dataset_load(dataset_id integer)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    counts jsonb;
BEGIN
    PERFORM 1 FROM uhc_reporting.datasets d
     WHERE d.dataset_id = finish_dataset_load.dataset_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dataset % does not exist', finish_dataset_load.dataset_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'Call uhc_reporting.begin_dataset_load() first, in the same transaction.';
    END IF;

    SELECT pg_catalog.jsonb_build_object(
        'payers', (SELECT count(*) FROM uhc_reporting.payers t
                    WHERE t.dataset_id = finish_dataset_load.dataset_id),
        'organizations', (SELECT count(*) FROM uhc_reporting.organizations t
                           WHERE t.dataset_id = finish_dataset_load.dataset_id),
        'patients', (SELECT count(*) FROM uhc_reporting.patients t
                      WHERE t.dataset_id = finish_dataset_load.dataset_id),
        'encounters', (SELECT count(*) FROM uhc_reporting.encounters t
                        WHERE t.dataset_id = finish_dataset_load.dataset_id),
        'procedures', (SELECT count(*) FROM uhc_reporting.procedures t
                        WHERE t.dataset_id = finish_dataset_load.dataset_id),
        'payer_transitions', (SELECT count(*) FROM uhc_reporting.payer_transitions t
                               WHERE t.dataset_id = finish_dataset_load.dataset_id))
      INTO counts;

    UPDATE uhc_reporting.datasets d
       SET row_counts = counts
     WHERE d.dataset_id = finish_dataset_load.dataset_id;

    -- Fresh statistics keep the plans of the refresh below, and of the foreign key checks
    -- that run when this dataset is replaced, from treating the tables as empty.
    PERFORM uhc_reporting.analyze_source_tables();

    -- The refresh function belongs to a later part of the install script, and a
    -- deployment may run without it, so it is looked up and called dynamically.
    IF pg_catalog.to_regprocedure('uhc_reporting.refresh(integer)') IS NOT NULL THEN
        EXECUTE 'SELECT uhc_reporting.refresh($1)' USING finish_dataset_load.dataset_id;
    END IF;

    RETURN counts;
END
$$;

REVOKE ALL ON FUNCTION uhc_reporting.begin_dataset_load(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION uhc_reporting.finish_dataset_load(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION uhc_reporting.analyze_source_tables() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION uhc_reporting.begin_dataset_load(text, text) TO uhc_reporting_loader;
GRANT EXECUTE ON FUNCTION uhc_reporting.finish_dataset_load(integer) TO uhc_reporting_loader;
GRANT EXECUTE ON FUNCTION uhc_reporting.analyze_source_tables() TO uhc_reporting_loader;

-- The loader COPYs into the source tables as its own role, so it needs INSERT there.
-- SELECT and DELETE let a loader role inspect and remove a dataset's rows.
GRANT SELECT, INSERT, DELETE ON
    uhc_reporting.datasets,
    uhc_reporting.payers,
    uhc_reporting.organizations,
    uhc_reporting.patients,
    uhc_reporting.encounters,
    uhc_reporting.procedures,
    uhc_reporting.payer_transitions
TO uhc_reporting_loader;
-- finish_dataset_load() stores the row counts, and it may run as a loader role.
GRANT UPDATE (row_counts) ON uhc_reporting.datasets TO uhc_reporting_loader;
GRANT USAGE ON SEQUENCE
    uhc_reporting.datasets_dataset_id_seq,
    uhc_reporting.procedures_procedure_id_seq,
    uhc_reporting.payer_transitions_transition_id_seq
TO uhc_reporting_loader;

-- Replacing a dataset deletes its rows, and every deleted patient, organization or payer
-- row makes PostgreSQL look up referencing rows by the foreign key columns. Without these
-- indexes each lookup scans all of the dataset's procedures, encounters or coverage rows:
-- deleting a dataset of 100,000 procedures took 9.4 s without them and 0.5 s with them.
CREATE INDEX procedures_patient_idx ON uhc_reporting.procedures (dataset_id, patient);
CREATE INDEX encounters_organization_idx ON uhc_reporting.encounters (dataset_id, organization);
CREATE INDEX payer_transitions_payer_idx ON uhc_reporting.payer_transitions (dataset_id, payer);
