-- uhc_reporting install script, assembled from src/sql/*.sql in file-name order.
\echo Use "CREATE EXTENSION uhc_reporting" to load this file. \quit

-- The extension's objects live in two schemas. uhc_reporting (the extension schema) holds
-- the source tables, rules, registry and every internal object; clients never get USAGE
-- on it. uhc_reporting_client holds only the client reporting views.
CREATE SCHEMA uhc_reporting_client;
REVOKE ALL ON SCHEMA uhc_reporting FROM PUBLIC;
REVOKE ALL ON SCHEMA uhc_reporting_client FROM PUBLIC;
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
-- Source layer: the Synthea CSV files, one table each, typed. Column names are the CSV
-- header names in lower case, so that the loader maps a header to a column by name. The
-- few renames between Synthea releases are mapped by the loader:
--   procedures.DATE (2.x) -> start
--   payer_transitions.START_YEAR/END_YEAR (2.x, 3.0) -> start_date/end_date
--   payer_transitions.OWNERSHIP (2.x, 3.0) -> plan_ownership, OWNERNAME (3.0) -> owner_name
-- Columns added by later releases (patients.middle, fips, income; procedures.stop, system;
-- payers.ownership; payer_transitions.memberid, secondary_payer) are NULL when absent.
--
-- Several datasets may coexist, so every key starts with dataset_id: the same Synthea ids
-- appear in different runs (payer ids are derived from the payer name). Patient PII
-- (names, SSN, licence and passport numbers, addresses, birth dates) lives only here.

CREATE TABLE uhc_reporting.datasets (
    dataset_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_name   text NOT NULL UNIQUE
        CONSTRAINT datasets_name_check CHECK (dataset_name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    synthea_layout text NOT NULL
        CONSTRAINT datasets_layout_check CHECK (synthea_layout IN ('2.x', '3.0-3.2', '3.3+')),
    loaded_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    loaded_by      name NOT NULL DEFAULT CURRENT_USER,
    row_counts     jsonb
);
COMMENT ON TABLE uhc_reporting.datasets IS
    'One row per loaded folder of Synthea CSV files; loading a name again replaces its rows.';

CREATE TABLE uhc_reporting.payers (
    dataset_id               integer NOT NULL REFERENCES uhc_reporting.datasets ON DELETE CASCADE,
    id                       uuid NOT NULL,
    name                     text NOT NULL,
    ownership                text,
    address                  text,
    city                     text,
    state_headquartered      text,
    zip                      text,
    phone                    text,
    amount_covered           numeric,
    amount_uncovered         numeric,
    revenue                  numeric,
    covered_encounters       bigint,
    uncovered_encounters     bigint,
    covered_medications      bigint,
    uncovered_medications    bigint,
    covered_procedures       bigint,
    uncovered_procedures     bigint,
    covered_immunizations    bigint,
    uncovered_immunizations  bigint,
    unique_customers         bigint,
    qols_avg                 double precision,
    member_months            bigint,
    PRIMARY KEY (dataset_id, id)
);

CREATE TABLE uhc_reporting.organizations (
    dataset_id   integer NOT NULL REFERENCES uhc_reporting.datasets ON DELETE CASCADE,
    id           uuid NOT NULL,
    name         text NOT NULL,
    address      text,
    city         text,
    state        text,
    zip          text,
    lat          double precision,
    lon          double precision,
    phone        text,
    revenue      numeric,
    utilization  bigint,
    PRIMARY KEY (dataset_id, id)
);

CREATE TABLE uhc_reporting.patients (
    dataset_id           integer NOT NULL REFERENCES uhc_reporting.datasets ON DELETE CASCADE,
    id                   uuid NOT NULL,
    birthdate            date NOT NULL,
    deathdate            date,
    ssn                  text,
    drivers              text,
    passport             text,
    prefix               text,
    first                text,
    middle               text,
    last                 text,
    suffix               text,
    maiden               text,
    marital              text,
    race                 text,
    ethnicity            text,
    gender               text,
    birthplace           text,
    address              text,
    city                 text,
    state                text,
    county               text,
    fips                 text,
    zip                  text,
    lat                  double precision,
    lon                  double precision,
    healthcare_expenses  numeric,
    healthcare_coverage  numeric,
    income               numeric,
    PRIMARY KEY (dataset_id, id)
);

-- providers.csv is not loaded, so provider is a plain uuid without a foreign key.
CREATE TABLE uhc_reporting.encounters (
    dataset_id           integer NOT NULL REFERENCES uhc_reporting.datasets ON DELETE CASCADE,
    id                   uuid NOT NULL,
    start                timestamptz NOT NULL,
    stop                 timestamptz,
    patient              uuid NOT NULL,
    organization         uuid NOT NULL,
    provider             uuid,
    payer                uuid NOT NULL,
    encounterclass       text,
    code                 text,
    description          text,
    base_encounter_cost  numeric(14,2),
    total_claim_cost     numeric(14,2),
    payer_coverage       numeric(14,2),
    reasoncode           text,
    reasondescription    text,
    PRIMARY KEY (dataset_id, id),
    FOREIGN KEY (dataset_id, patient) REFERENCES uhc_reporting.patients (dataset_id, id),
    FOREIGN KEY (dataset_id, organization) REFERENCES uhc_reporting.organizations (dataset_id, id),
    FOREIGN KEY (dataset_id, payer) REFERENCES uhc_reporting.payers (dataset_id, id)
);
CREATE INDEX encounters_payer_idx ON uhc_reporting.encounters (dataset_id, payer);
CREATE INDEX encounters_patient_idx ON uhc_reporting.encounters (dataset_id, patient);

-- Synthea gives procedures no id, and the same code may repeat within one encounter, so
-- procedure_id is a surrogate key. source_line is the CSV line the row came from.
CREATE TABLE uhc_reporting.procedures (
    procedure_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id         integer NOT NULL REFERENCES uhc_reporting.datasets ON DELETE CASCADE,
    source_line        bigint NOT NULL,
    start              timestamptz NOT NULL,
    stop               timestamptz,
    patient            uuid NOT NULL,
    encounter          uuid NOT NULL,
    system             text,
    code               text NOT NULL,
    description        text,
    base_cost          numeric(14,2),
    reasoncode         text,
    reasondescription  text,
    FOREIGN KEY (dataset_id, patient) REFERENCES uhc_reporting.patients (dataset_id, id),
    FOREIGN KEY (dataset_id, encounter) REFERENCES uhc_reporting.encounters (dataset_id, id)
);
CREATE INDEX procedures_encounter_idx ON uhc_reporting.procedures (dataset_id, encounter);

CREATE TABLE uhc_reporting.payer_transitions (
    transition_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id        integer NOT NULL REFERENCES uhc_reporting.datasets ON DELETE CASCADE,
    source_line       bigint NOT NULL,
    patient           uuid NOT NULL,
    memberid          uuid,
    start_date        timestamptz NOT NULL,
    end_date          timestamptz,
    payer             uuid NOT NULL,
    secondary_payer   uuid,
    plan_ownership    text,
    owner_name        text,
    FOREIGN KEY (dataset_id, patient) REFERENCES uhc_reporting.patients (dataset_id, id),
    FOREIGN KEY (dataset_id, payer) REFERENCES uhc_reporting.payers (dataset_id, id)
);
CREATE INDEX payer_transitions_patient_idx ON uhc_reporting.payer_transitions (dataset_id, patient);
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
-- Procedure groups and the rules that assign them. Analysts edit both tables with plain
-- SQL. uhc_reporting.classify() compiles the enabled rules once per backend and uses a
-- change from the next statement on (see docs/classifier.md).

CREATE TABLE uhc_reporting.procedure_groups (
    group_name  text PRIMARY KEY
        CONSTRAINT procedure_groups_name_check CHECK (group_name ~ '[^[:space:]]'),
    description text NOT NULL
);
COMMENT ON TABLE uhc_reporting.procedure_groups IS
    'Procedure groups that rules may assign; the default group (setting default_group) is one of them.';

CREATE TABLE uhc_reporting.procedure_rules (
    rule_id    integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    pattern    text NOT NULL
        CONSTRAINT procedure_rules_pattern_check CHECK (pattern ~ '[^[:space:]]'),
    group_name text NOT NULL
        REFERENCES uhc_reporting.procedure_groups ON UPDATE CASCADE,
    priority   integer NOT NULL DEFAULT 100,
    match_kind text NOT NULL DEFAULT 'substring'
        CONSTRAINT procedure_rules_match_kind_check
        CHECK (match_kind IN ('substring', 'word', 'prefix', 'code')),
    enabled    boolean NOT NULL DEFAULT true,
    note       text,
    CONSTRAINT procedure_rules_code_check CHECK (match_kind <> 'code' OR pattern ~ '^[0-9]+$')
);
COMMENT ON TABLE uhc_reporting.procedure_rules IS
    'Rules mapping procedure descriptions or codes to groups. A matching code rule wins; '
    'otherwise the lowest priority wins, then the lowest rule_id.';

-- Two rules that differ only in letter case would always match together, so they are
-- duplicates. The same pattern under another match kind is a different rule.
CREATE UNIQUE INDEX procedure_rules_pattern_key
    ON uhc_reporting.procedure_rules (lower(pattern), match_kind);
CREATE INDEX procedure_rules_group_idx ON uhc_reporting.procedure_rules (group_name);

-- Rejects an invalid rule with a message that names the problem. The constraints above
-- enforce the same conditions when this trigger is disabled or loses a race.
CREATE FUNCTION uhc_reporting.procedure_rules_validate() RETURNS trigger
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
    SELECT r.rule_id INTO duplicate_id
      FROM uhc_reporting.procedure_rules r
     WHERE lower(r.pattern) = lower(NEW.pattern)
       AND r.match_kind = NEW.match_kind
       AND r.rule_id <> NEW.rule_id;
    IF FOUND THEN
        RAISE EXCEPTION 'procedure rule duplicates rule %', duplicate_id
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('Rule %s already matches %s pattern "%s", ignoring letter case.',
                                  duplicate_id, NEW.match_kind, lower(NEW.pattern)),
                  HINT = 'Update the existing rule instead.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER procedure_rules_validate
    BEFORE INSERT OR UPDATE ON uhc_reporting.procedure_rules
    FOR EACH ROW EXECUTE FUNCTION uhc_reporting.procedure_rules_validate();

-- Default groups and rules. The rules use general words rather than whole descriptions,
-- so that they also fit other Synthea releases (letter case, with or without the
-- "(procedure)" suffix, the dental module). Priorities put the most specific context
-- first: dialysis and dental before coordination and education, those before specialty
-- groups, and a bare "test" last.
INSERT INTO uhc_reporting.procedure_groups (group_name, description) VALUES
    ('Assessment', 'Assessments, evaluations, examinations and history taking'),
    ('Cardiology', 'Heart and blood vessel procedures'),
    ('Care coordination', 'Referrals, admissions, transfers, discharges, notifications and care planning'),
    ('Counseling and education', 'Counseling, patient education and guidance'),
    ('Dental', 'Dental and oral care'),
    ('Dialysis', 'Renal dialysis and related blood filtering'),
    ('Emergency and critical care', 'Resuscitation and intensive care'),
    ('Endoscopy', 'Endoscopic examinations such as colonoscopy'),
    ('Eye and ear care', 'Eye, vision and hearing procedures'),
    ('Imaging', 'X-ray, ultrasound, CT, MRI and other imaging'),
    ('Immunization and injection', 'Vaccinations, immunotherapy and injections'),
    ('Laboratory', 'Laboratory tests, cultures, assays and pathology'),
    ('Medication management', 'Medication reconciliation and review'),
    ('Mental health', 'Psychotherapy, psychiatry and behavioral therapy'),
    ('Neurology', 'Nervous system procedures such as EEG'),
    ('Nursing and supportive care', 'Nursing, hospice, palliative and supportive care'),
    ('Obstetrics and gynecology', 'Pregnancy, childbirth, contraception and gynecology'),
    ('Oncology', 'Chemotherapy and radiation therapy'),
    ('Orthopedics', 'Fractures, immobilization and joints'),
    ('Other', 'Procedures that no enabled rule matches'),
    ('Respiratory', 'Breathing, lung and airway procedures'),
    ('Screening', 'Screening tests and questionnaires'),
    ('Surgery', 'Operations, surgical steps and anesthesia'),
    ('Therapy and rehabilitation', 'Physical, occupational, speech and other therapy and rehabilitation'),
    ('Transfusion', 'Transfusion of blood and blood products');

INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name) VALUES
    -- Dental
    ('dental', 'substring', 10, 'Dental'),
    ('tooth', 'word', 10, 'Dental'),
    ('teeth', 'word', 10, 'Dental'),
    ('gingiv', 'substring', 10, 'Dental'),
    ('periodont', 'substring', 10, 'Dental'),
    ('fluoride', 'substring', 10, 'Dental'),
    -- Dialysis
    ('dialysis', 'substring', 10, 'Dialysis'),
    -- Care coordination
    ('referral', 'word', 15, 'Care coordination'),
    ('admission', 'word', 15, 'Care coordination'),
    ('transfer', 'word', 15, 'Care coordination'),
    ('notification', 'substring', 15, 'Care coordination'),
    ('scheduling', 'word', 15, 'Care coordination'),
    ('documentation', 'word', 15, 'Care coordination'),
    ('plan of care', 'substring', 15, 'Care coordination'),
    ('preparation', 'word', 15, 'Care coordination'),
    ('discharge', 'word', 36, 'Care coordination'),
    -- Counseling and education
    ('education', 'substring', 20, 'Counseling and education'),
    ('counsel', 'substring', 20, 'Counseling and education'),
    ('discussion', 'word', 20, 'Counseling and education'),
    ('guidance', 'word', 90, 'Counseling and education'),
    -- Obstetrics and gynecology
    ('fetal', 'substring', 25, 'Obstetrics and gynecology'),
    ('pregnan', 'substring', 25, 'Obstetrics and gynecology'),
    ('prenatal', 'substring', 25, 'Obstetrics and gynecology'),
    ('antenatal', 'substring', 25, 'Obstetrics and gynecology'),
    ('birth', 'substring', 25, 'Obstetrics and gynecology'),
    ('labor', 'word', 25, 'Obstetrics and gynecology'),
    ('delivery', 'word', 25, 'Obstetrics and gynecology'),
    ('cesarean', 'substring', 25, 'Obstetrics and gynecology'),
    ('episiotomy', 'substring', 25, 'Obstetrics and gynecology'),
    ('uterine', 'substring', 25, 'Obstetrics and gynecology'),
    ('contracept', 'substring', 25, 'Obstetrics and gynecology'),
    ('genital', 'substring', 25, 'Obstetrics and gynecology'),
    ('gynec', 'substring', 25, 'Obstetrics and gynecology'),
    ('obstetric', 'substring', 25, 'Obstetrics and gynecology'),
    ('pelvic', 'word', 25, 'Obstetrics and gynecology'),
    -- Screening
    ('screening', 'substring', 30, 'Screening'),
    ('screen', 'word', 30, 'Screening'),
    -- Assessment
    ('assessment', 'substring', 35, 'Assessment'),
    ('exercise test', 'substring', 35, 'Assessment'),
    ('evaluation', 'word', 80, 'Assessment'),
    ('examination', 'word', 80, 'Assessment'),
    ('exam', 'word', 80, 'Assessment'),
    ('review of systems', 'substring', 80, 'Assessment'),
    ('information gathering', 'substring', 80, 'Assessment'),
    -- Mental health
    ('psychotherap', 'substring', 40, 'Mental health'),
    ('psychiatr', 'substring', 40, 'Mental health'),
    ('behavioral', 'substring', 40, 'Mental health'),
    ('mental', 'word', 40, 'Mental health'),
    -- Oncology
    ('chemotherapy', 'substring', 42, 'Oncology'),
    ('radiation therapy', 'substring', 42, 'Oncology'),
    ('radiotherapy', 'substring', 42, 'Oncology'),
    -- Emergency and critical care
    ('resuscitat', 'substring', 44, 'Emergency and critical care'),
    ('icu', 'word', 44, 'Emergency and critical care'),
    ('intensive care', 'substring', 44, 'Emergency and critical care'),
    -- Immunization and injection
    ('vaccin', 'substring', 45, 'Immunization and injection'),
    ('immuniz', 'substring', 45, 'Immunization and injection'),
    ('immunotherapy', 'substring', 45, 'Immunization and injection'),
    ('injection', 'substring', 45, 'Immunization and injection'),
    -- Laboratory
    ('microscop', 'substring', 46, 'Laboratory'),
    ('culture', 'substring', 65, 'Laboratory'),
    ('antigen', 'substring', 65, 'Laboratory'),
    ('antibod', 'substring', 65, 'Laboratory'),
    ('assay', 'word', 65, 'Laboratory'),
    ('titer', 'substring', 65, 'Laboratory'),
    ('hemogram', 'substring', 65, 'Laboratory'),
    ('platelet', 'substring', 65, 'Laboratory'),
    ('smear', 'word', 65, 'Laboratory'),
    ('urin', 'substring', 65, 'Laboratory'),
    ('laboratory', 'substring', 65, 'Laboratory'),
    ('panel', 'word', 65, 'Laboratory'),
    ('typing', 'word', 65, 'Laboratory'),
    ('gene', 'word', 65, 'Laboratory'),
    ('patholog', 'substring', 65, 'Laboratory'),
    ('sputum', 'word', 65, 'Laboratory'),
    ('test', 'word', 90, 'Laboratory'),
    -- Surgery
    ('surgery', 'substring', 48, 'Surgery'),
    ('surgical', 'substring', 48, 'Surgery'),
    ('ectomy', 'substring', 48, 'Surgery'),
    ('otomy', 'substring', 48, 'Surgery'),
    ('ostomy', 'substring', 48, 'Surgery'),
    ('plasty', 'substring', 48, 'Surgery'),
    ('resection', 'word', 48, 'Surgery'),
    ('excision', 'word', 48, 'Surgery'),
    ('repair', 'substring', 48, 'Surgery'),
    ('suture', 'substring', 48, 'Surgery'),
    ('transplant', 'substring', 48, 'Surgery'),
    ('bypass', 'word', 48, 'Surgery'),
    ('anesthe', 'substring', 48, 'Surgery'),
    ('operative', 'substring', 48, 'Surgery'),
    ('biopsy', 'substring', 48, 'Surgery'),
    ('cannul', 'substring', 48, 'Surgery'),
    ('clamp', 'word', 48, 'Surgery'),
    ('ligation', 'word', 48, 'Surgery'),
    ('laparoscop', 'substring', 48, 'Surgery'),
    ('removal', 'word', 95, 'Surgery'),
    -- Imaging
    ('fluoroscop', 'substring', 49, 'Imaging'),
    ('x-ray', 'substring', 60, 'Imaging'),
    ('radiograph', 'substring', 60, 'Imaging'),
    ('ultrasound', 'substring', 60, 'Imaging'),
    ('sonograph', 'substring', 60, 'Imaging'),
    ('mammogra', 'substring', 60, 'Imaging'),
    ('tomograph', 'substring', 60, 'Imaging'),
    ('ct', 'word', 60, 'Imaging'),
    ('mri', 'word', 60, 'Imaging'),
    ('magnetic resonance', 'substring', 60, 'Imaging'),
    ('imaging', 'word', 60, 'Imaging'),
    ('scan', 'word', 60, 'Imaging'),
    -- Endoscopy
    ('oscop', 'substring', 50, 'Endoscopy'),
    -- Medication management
    ('medication', 'substring', 50, 'Medication management'),
    ('insulin', 'substring', 50, 'Medication management'),
    -- Respiratory
    ('respirat', 'substring', 52, 'Respiratory'),
    ('spirometr', 'substring', 52, 'Respiratory'),
    ('oxygen', 'substring', 52, 'Respiratory'),
    ('ventilat', 'substring', 52, 'Respiratory'),
    ('pulmonary', 'word', 52, 'Respiratory'),
    ('lung', 'word', 52, 'Respiratory'),
    ('intubat', 'substring', 52, 'Respiratory'),
    ('endotracheal', 'substring', 52, 'Respiratory'),
    ('bronch', 'substring', 52, 'Respiratory'),
    ('mask', 'word', 52, 'Respiratory'),
    ('prone position', 'substring', 52, 'Respiratory'),
    -- Cardiology
    ('cardi', 'substring', 55, 'Cardiology'),
    ('heart', 'word', 55, 'Cardiology'),
    ('coronary', 'substring', 55, 'Cardiology'),
    ('aort', 'substring', 55, 'Cardiology'),
    ('angiogra', 'substring', 55, 'Cardiology'),
    ('artery', 'word', 55, 'Cardiology'),
    ('vein', 'word', 55, 'Cardiology'),
    ('vascular', 'substring', 55, 'Cardiology'),
    ('ecg', 'word', 55, 'Cardiology'),
    -- Neurology
    ('electroencephalogra', 'substring', 56, 'Neurology'),
    ('eeg', 'word', 56, 'Neurology'),
    ('neurolog', 'substring', 56, 'Neurology'),
    -- Eye and ear care
    ('ophthalm', 'substring', 57, 'Eye and ear care'),
    ('eye', 'word', 57, 'Eye and ear care'),
    ('vision', 'word', 57, 'Eye and ear care'),
    ('hearing', 'substring', 57, 'Eye and ear care'),
    -- Nursing and supportive care
    ('hospice', 'substring', 57, 'Nursing and supportive care'),
    ('palliative', 'substring', 57, 'Nursing and supportive care'),
    ('nursing', 'word', 57, 'Nursing and supportive care'),
    ('observation', 'word', 57, 'Nursing and supportive care'),
    ('ancillary', 'substring', 57, 'Nursing and supportive care'),
    -- Therapy and rehabilitation
    ('rehabilitat', 'substring', 58, 'Therapy and rehabilitation'),
    ('therapy', 'substring', 58, 'Therapy and rehabilitation'),
    -- Orthopedics
    ('immobiliz', 'substring', 59, 'Orthopedics'),
    ('fracture', 'substring', 59, 'Orthopedics'),
    ('splint', 'word', 59, 'Orthopedics'),
    ('joint', 'word', 59, 'Orthopedics'),
    -- Transfusion
    ('transfus', 'substring', 62, 'Transfusion')
    ;

-- The native trigger function: queues a relcache invalidation of procedure_rules, which
-- makes every backend rebuild its compiled rules at its next statement.
CREATE FUNCTION uhc_reporting.procedure_rules_changed() RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'uhc_rules_changed';

-- Summaries computed with the old groups are stale after any rule or group change. The
-- function runs as its owner so that an analyst who edits rules need not be able to
-- write uhc_reporting.refresh_state.
CREATE FUNCTION uhc_reporting.procedure_rules_mark_stale() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM uhc_reporting.mark_summaries_stale('procedure rules changed');
    RETURN NULL;
END
$$;

-- Created after the default rows, so that installing the extension leaves the summaries
-- marked fresh.
CREATE TRIGGER procedure_rules_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON uhc_reporting.procedure_rules
    FOR EACH STATEMENT EXECUTE FUNCTION uhc_reporting.procedure_rules_changed();
CREATE TRIGGER procedure_rules_mark_stale
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON uhc_reporting.procedure_rules
    FOR EACH STATEMENT EXECUTE FUNCTION uhc_reporting.procedure_rules_mark_stale();
CREATE TRIGGER procedure_groups_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON uhc_reporting.procedure_groups
    FOR EACH STATEMENT EXECUTE FUNCTION uhc_reporting.procedure_rules_changed();
CREATE TRIGGER procedure_groups_mark_stale
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON uhc_reporting.procedure_groups
    FOR EACH STATEMENT EXECUTE FUNCTION uhc_reporting.procedure_rules_mark_stale();
-- The compiled rules include the default group, which lives in the settings table.
CREATE TRIGGER settings_classifier_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON uhc_reporting.settings
    FOR EACH STATEMENT EXECUTE FUNCTION uhc_reporting.procedure_rules_changed();

REVOKE ALL ON FUNCTION uhc_reporting.procedure_rules_validate(),
    uhc_reporting.procedure_rules_changed(),
    uhc_reporting.procedure_rules_mark_stale() FROM PUBLIC;
REVOKE ALL ON uhc_reporting.procedure_groups, uhc_reporting.procedure_rules FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON uhc_reporting.procedure_groups, uhc_reporting.procedure_rules
    TO uhc_reporting_internal, uhc_reporting_admin;
-- Keyed patient pseudonyms. The master keys live in the file named by the server setting
-- uhc_reporting.key_file, never in the database; docs/pseudonym.md gives the derivation.
-- The functions are STABLE, not IMMUTABLE, because their result depends on that file,
-- which a configuration reload can change.

CREATE FUNCTION uhc_reporting.pseudonym(client_code text, patient uuid) RETURNS text
AS 'MODULE_PATHNAME', 'uhc_pseudonym_uuid'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.pseudonym(text, uuid) IS
    'Pseudonym of a patient for a client, with the active key version: P<version>- and 26 base32 digits.';

-- The text form accepts upper or lower case, hyphens or none, and braces; it exists for
-- ids that arrive as text, e.g. straight from a CSV column.
CREATE FUNCTION uhc_reporting.pseudonym(client_code text, patient text) RETURNS text
AS 'MODULE_PATHNAME', 'uhc_pseudonym_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.pseudonym(text, text) IS
    'Pseudonym of a patient UUID given as text, for a client, with the active key version.';

-- An explicit key version maps old pseudonyms to new ones during a key rotation.
CREATE FUNCTION uhc_reporting.pseudonym(client_code text, patient uuid, key_version integer) RETURNS text
AS 'MODULE_PATHNAME', 'uhc_pseudonym_uuid_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.pseudonym(text, uuid, integer) IS
    'Pseudonym of a patient for a client with the given key version, for key rotation.';

-- The version and the fingerprint are the only facts about the key that SQL can see.
CREATE FUNCTION uhc_reporting.key_version() RETURNS integer
AS 'MODULE_PATHNAME', 'uhc_key_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.key_version() IS
    'Active (highest) version in the pseudonym key file.';

CREATE FUNCTION uhc_reporting.key_fingerprint() RETURNS text
AS 'MODULE_PATHNAME', 'uhc_key_fingerprint'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION uhc_reporting.key_fingerprint() IS
    'First 16 hex digits of HMAC-SHA256(active master key, ''uhc_reporting key fingerprint'').';

-- Clients never call these: refresh materializes pseudonyms into tables as the loader.
REVOKE EXECUTE ON FUNCTION
    uhc_reporting.pseudonym(text, uuid),
    uhc_reporting.pseudonym(text, text),
    uhc_reporting.pseudonym(text, uuid, integer),
    uhc_reporting.key_version(),
    uhc_reporting.key_fingerprint()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    uhc_reporting.pseudonym(text, uuid),
    uhc_reporting.pseudonym(text, text),
    uhc_reporting.pseudonym(text, uuid, integer)
    TO uhc_reporting_loader, uhc_reporting_internal;
GRANT EXECUTE ON FUNCTION
    uhc_reporting.key_version(),
    uhc_reporting.key_fingerprint()
    TO uhc_reporting_admin, uhc_reporting_internal, uhc_reporting_loader;
-- The native procedure classifier. The functions read the rules through a cache that
-- each backend builds once and rebuilds at the first statement after a rule change, so
-- they are STABLE: the result can change between statements, never within one.

-- Returns the group of a description, or the default group when no text rule matches.
CREATE FUNCTION uhc_reporting.classify(description text) RETURNS text
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'uhc_classify';

-- Returns the group of a procedure. A code rule equal to procedure_code wins over every
-- text rule. A NULL description with no matching code rule gives NULL.
CREATE FUNCTION uhc_reporting.classify(description text, procedure_code text) RETURNS text
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'uhc_classify_with_code';

-- Lists every enabled rule that matches, the winner first, with the reason it won or
-- lost. When no rule matches, one row gives the default group.
CREATE FUNCTION uhc_reporting.explain_classification(description text, procedure_code text DEFAULT NULL)
RETURNS TABLE (rule_id integer, pattern text, match_kind text, priority integer,
               group_name text, winner boolean, reason text)
LANGUAGE C STABLE PARALLEL SAFE ROWS 4
AS 'MODULE_PATHNAME', 'uhc_explain_classification';

-- Procedure rows per group and dataset, to check how well the rules cover the data. The
-- views read the default group from the settings table rather than through setting(),
-- because a function in a view needs EXECUTE by the querying role.
CREATE VIEW uhc_reporting.classification_coverage AS
WITH classified AS (
    SELECT p.dataset_id, uhc_reporting.classify(p.description, p.code) AS group_name
      FROM uhc_reporting.procedures p
)
SELECT c.dataset_id,
       c.group_name,
       count(*) AS procedure_rows,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY c.dataset_id), 2) AS percent_of_dataset,
       c.group_name IS NOT DISTINCT FROM d.value AS is_default_group
  FROM classified c
  LEFT JOIN uhc_reporting.settings d ON d.name = 'default_group'
 GROUP BY c.dataset_id, c.group_name, d.value;
COMMENT ON VIEW uhc_reporting.classification_coverage IS
    'Procedure rows per dataset and group under the current rules.';

-- The descriptions that fell to the default group, most frequent first: the candidates
-- for new rules.
CREATE VIEW uhc_reporting.unclassified_descriptions AS
SELECT p.description,
       count(*) AS procedure_rows,
       count(DISTINCT p.dataset_id) AS datasets,
       min(p.code) AS example_code
  FROM uhc_reporting.procedures p
 WHERE uhc_reporting.classify(p.description, p.code) =
       (SELECT s.value FROM uhc_reporting.settings s WHERE s.name = 'default_group')
 GROUP BY p.description
 ORDER BY count(*) DESC, p.description;
COMMENT ON VIEW uhc_reporting.unclassified_descriptions IS
    'Descriptions classified into the default group, most frequent first.';

REVOKE ALL ON FUNCTION uhc_reporting.classify(text),
    uhc_reporting.classify(text, text),
    uhc_reporting.explain_classification(text, text) FROM PUBLIC;
REVOKE ALL ON uhc_reporting.classification_coverage,
    uhc_reporting.unclassified_descriptions FROM PUBLIC;
GRANT EXECUTE ON FUNCTION uhc_reporting.classify(text),
    uhc_reporting.classify(text, text),
    uhc_reporting.explain_classification(text, text)
    TO uhc_reporting_internal, uhc_reporting_admin, uhc_reporting_loader;
GRANT SELECT ON uhc_reporting.classification_coverage,
    uhc_reporting.unclassified_descriptions
    TO uhc_reporting_internal, uhc_reporting_admin, uhc_reporting_loader;
-- Client registry. A client is an insurer the advocacy group reports to. Its code is
-- chosen at creation and never changes, because the client's pseudonym key is derived
-- from it. Its group role has a neutral name (uhc_reporting_client_<database oid>_<client_id>), since
-- every role can read pg_roles and no catalog may name a client.
CREATE TABLE uhc_reporting.clients (
    client_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_code   text NOT NULL UNIQUE
        CONSTRAINT clients_code_check CHECK (client_code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
    display_name  text NOT NULL
        CONSTRAINT clients_display_name_check CHECK (btrim(display_name) <> ''),
    group_role    name NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by    name NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE uhc_reporting.clients IS
    'Clients (insurers) with their immutable code and the group role their logins join.';

-- The payers whose encounters a client paid for, matched by payer name because Synthea
-- payer ids differ between releases. Matching ignores case.
CREATE TABLE uhc_reporting.client_payers (
    client_id   integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    payer_name  text NOT NULL
        CONSTRAINT client_payers_name_check CHECK (btrim(payer_name) <> ''),
    PRIMARY KEY (client_id, payer_name)
);
CREATE UNIQUE INDEX client_payers_lower_name_idx
    ON uhc_reporting.client_payers (client_id, lower(payer_name));

-- Who changed what in the registry and when. Clients cannot read it.
CREATE TABLE uhc_reporting.client_audit (
    audit_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor        name NOT NULL DEFAULT SESSION_USER,
    action       text NOT NULL,
    client_code  text,
    detail       jsonb
);
COMMENT ON TABLE uhc_reporting.client_audit IS
    'Audit trail of client management calls: session user, action, client and details.';
-- Staging and intermediate layers.
--
-- Staging views flatten the source tables into typed encounter and procedure rows with
-- UTC calendar dates and payer and organization names. Intermediate objects add the
-- procedure group, the coverage of each row seen from each client, and the pseudonym.
-- Raw patient and encounter ids stay in these internal objects.
--
-- What clients read is materialized into tables by uhc_reporting.refresh(). Only that
-- privileged path uses the pseudonym key and the rules, and no client query runs a
-- native function over other clients' rows. Tables, unlike materialized views, can
-- carry row-level security.
--
-- Definitions:
--   own rows     procedures and encounters whose encounter payer is one of the client's
--                payers (by name, ignoring case), whatever PAYER_COVERAGE says; a
--                secondary payer does not count.
--   members      patients who had one of the client's payers at any time, as the payer of
--                an encounter or of a payer transition.
--   coverage     of a row seen from a client: 'client-paid', 'uninsured' (the payer named
--                NO_INSURANCE) or 'other payer'.
--   dates        UTC calendar dates; months are UTC months (first day of the month).

CREATE VIEW uhc_reporting.stg_encounters AS
SELECT e.dataset_id,
       e.id AS encounter,
       e.patient,
       (e.start AT TIME ZONE 'UTC')::date AS encounter_date,
       e.encounterclass AS encounter_class,
       e.base_encounter_cost,
       e.payer AS payer_id,
       py.name AS payer_name,
       o.name AS organization_name
  FROM uhc_reporting.encounters e
  JOIN uhc_reporting.payers py ON py.dataset_id = e.dataset_id AND py.id = e.payer
  JOIN uhc_reporting.organizations o ON o.dataset_id = e.dataset_id AND o.id = e.organization;

CREATE VIEW uhc_reporting.stg_procedures AS
SELECT pr.procedure_id,
       pr.dataset_id,
       pr.encounter,
       pr.patient,
       (pr.start AT TIME ZONE 'UTC')::date AS procedure_date,
       pr.code AS procedure_code,
       pr.description AS procedure_description,
       pr.base_cost,
       e.payer_id,
       e.payer_name,
       e.organization_name,
       e.encounter_class
  FROM uhc_reporting.procedures pr
  JOIN uhc_reporting.stg_encounters e
    ON e.dataset_id = pr.dataset_id AND e.encounter = pr.encounter;

-- Intermediate: the procedure group of every procedure, computed by refresh() with the
-- native classifier. Storing it means a rule change costs one refresh, not a
-- classification per dashboard query.
CREATE TABLE uhc_reporting.procedure_classification (
    procedure_id     bigint PRIMARY KEY REFERENCES uhc_reporting.procedures ON DELETE CASCADE,
    dataset_id       integer NOT NULL,
    procedure_group  text NOT NULL
);
CREATE INDEX procedure_classification_dataset_idx
    ON uhc_reporting.procedure_classification (dataset_id);

-- Intermediate: which payers belong to which client, resolved to payer ids per dataset.
CREATE VIEW uhc_reporting.int_client_payers AS
SELECT c.client_id, c.client_code, py.dataset_id, py.id AS payer_id, py.name AS payer_name
  FROM uhc_reporting.clients c
  JOIN uhc_reporting.client_payers cp ON cp.client_id = c.client_id
  JOIN uhc_reporting.payers py ON lower(py.name) = lower(cp.payer_name);

-- Intermediate: the members of each client.
CREATE VIEW uhc_reporting.int_client_members AS
SELECT cp.client_id, e.dataset_id, e.patient
  FROM uhc_reporting.int_client_payers cp
  JOIN uhc_reporting.encounters e ON e.dataset_id = cp.dataset_id AND e.payer = cp.payer_id
UNION
SELECT cp.client_id, t.dataset_id, t.patient
  FROM uhc_reporting.int_client_payers cp
  JOIN uhc_reporting.payer_transitions t ON t.dataset_id = cp.dataset_id AND t.payer = cp.payer_id;

-- Intermediate: every procedure of every client's members, with its coverage seen from
-- that client and its group. Raw patient ids stay here.
CREATE VIEW uhc_reporting.int_client_procedures AS
SELECT m.client_id,
       p.procedure_id,
       p.dataset_id,
       p.encounter,
       p.patient,
       p.procedure_date,
       p.procedure_code,
       p.procedure_description,
       p.base_cost,
       p.payer_name,
       p.organization_name,
       g.procedure_group,
       CASE
           WHEN EXISTS (SELECT 1 FROM uhc_reporting.int_client_payers cp
                         WHERE cp.client_id = m.client_id AND cp.dataset_id = p.dataset_id
                           AND cp.payer_id = p.payer_id) THEN 'client-paid'
           WHEN p.payer_name = 'NO_INSURANCE' THEN 'uninsured'
           ELSE 'other payer'
       END AS coverage
  FROM uhc_reporting.int_client_members m
  JOIN uhc_reporting.stg_procedures p ON p.dataset_id = m.dataset_id AND p.patient = m.patient
  JOIN uhc_reporting.procedure_classification g ON g.procedure_id = p.procedure_id;

-- Intermediate: the pseudonym of every member of every client, computed once per
-- (client, patient) by refresh_pseudonyms() with the key of that client. The client rows
-- below copy it, so the key is used once per patient and not once per row. Clients
-- never read this table.
CREATE TABLE uhc_reporting.client_patient_pseudonyms (
    client_id          integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id         integer NOT NULL,
    patient            uuid NOT NULL,
    patient_pseudonym  text NOT NULL,
    PRIMARY KEY (client_id, dataset_id, patient)
);
CREATE INDEX client_patient_pseudonyms_dataset_idx
    ON uhc_reporting.client_patient_pseudonyms (dataset_id);

-- Materialized client rows. Each table carries client_id first in its primary key, so
-- the row-level-security filter on client_id is an index condition and a client's scan
-- never reads another client's rows.

-- Own procedures at row grain, pseudonymized with the key of the client that paid.
CREATE TABLE uhc_reporting.client_procedure_rows (
    client_id              integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    procedure_id           bigint NOT NULL,
    dataset_id             integer NOT NULL,
    encounter              uuid NOT NULL,
    patient_pseudonym      text NOT NULL,
    procedure_group        text NOT NULL,
    procedure_code         text NOT NULL,
    procedure_description  text,
    base_cost              numeric(14,2),
    procedure_date         date NOT NULL,
    procedure_month        date NOT NULL,
    organization_name      text,
    payer_name             text NOT NULL,
    PRIMARY KEY (client_id, procedure_id)
);
CREATE INDEX client_procedure_rows_dataset_idx
    ON uhc_reporting.client_procedure_rows (dataset_id);

-- Own encounters, so that encounters without procedures count too.
CREATE TABLE uhc_reporting.client_encounter_rows (
    client_id            integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id           integer NOT NULL,
    encounter            uuid NOT NULL,
    patient_pseudonym    text NOT NULL,
    encounter_date       date NOT NULL,
    encounter_month      date NOT NULL,
    encounter_class      text,
    base_encounter_cost  numeric(14,2),
    PRIMARY KEY (client_id, dataset_id, encounter)
);
CREATE INDEX client_encounter_rows_dataset_idx
    ON uhc_reporting.client_encounter_rows (dataset_id);

-- Members' procedures outside the client's own rows, as counts per month, procedure
-- group and coverage: never as rows, because a live connection lets Tableau count rows.
CREATE TABLE uhc_reporting.client_outside_summary (
    client_id        integer NOT NULL REFERENCES uhc_reporting.clients ON DELETE CASCADE,
    dataset_id       integer NOT NULL,
    month            date NOT NULL,
    procedure_group  text NOT NULL,
    coverage         text NOT NULL CHECK (coverage IN ('uninsured', 'other payer')),
    procedures       bigint NOT NULL,
    encounters       bigint NOT NULL,
    patients         bigint NOT NULL,
    PRIMARY KEY (client_id, dataset_id, month, procedure_group, coverage)
);
CREATE INDEX client_outside_summary_dataset_idx
    ON uhc_reporting.client_outside_summary (dataset_id);
-- Refresh of the intermediate and materialized client tables.
--
-- refresh() recomputes the procedure groups, the pseudonyms and every client's
-- materialized rows for one dataset, or for all datasets when called with NULL, in the
-- caller's transaction: readers keep their snapshot of the old rows until it commits. It
-- runs as uhc_reporting_loader, the only role besides superusers that may compute
-- pseudonyms and write client rows. The loader calls it for the dataset it loaded. Call
-- it with NULL after a rule change or a change of a client's payers:
-- uhc_reporting.refresh_state shows whether one is due.
--
-- Each step is a function of its own, so that a later version can replace one step
-- (for example how pseudonyms are assigned) without rewriting the others. The steps run
-- with the caller's rights and only refresh() may call them.

-- Updates the planner statistics of the tables a refresh step reads. Right after a load
-- the new rows have none, and the planner then joins them with nested loops: measured on
-- an 11,742-procedure dataset, the client rows step took 87 s without statistics and
-- 0.07 s with them. ANALYZE needs the table owner, so this runs as uhc_reporting_owner,
-- and it analyzes a fixed list only.
CREATE FUNCTION uhc_reporting.analyze_refresh_inputs(stage text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CASE stage
    WHEN 'source' THEN
        ANALYZE uhc_reporting.payers, uhc_reporting.organizations, uhc_reporting.patients,
                uhc_reporting.encounters, uhc_reporting.procedures, uhc_reporting.payer_transitions,
                uhc_reporting.clients, uhc_reporting.client_payers;
    WHEN 'intermediate' THEN
        ANALYZE uhc_reporting.procedure_classification, uhc_reporting.client_patient_pseudonyms;
    ELSE
        RAISE EXCEPTION 'unrecognized refresh stage "%"', stage
            USING ERRCODE = 'invalid_parameter_value';
    END CASE;
END
$$;

CREATE FUNCTION uhc_reporting.refresh_classification(only_dataset_id integer) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    default_group text := uhc_reporting.setting('default_group');
BEGIN
    DELETE FROM uhc_reporting.procedure_classification g
     WHERE only_dataset_id IS NULL OR g.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.procedure_classification (procedure_id, dataset_id, procedure_group)
    SELECT pr.procedure_id, pr.dataset_id,
           coalesce(uhc_reporting.classify(pr.description, pr.code), default_group)
      FROM uhc_reporting.procedures pr
     WHERE only_dataset_id IS NULL OR pr.dataset_id = only_dataset_id;
END
$$;

-- Gives every member of every client the keyed HMAC pseudonym of that client.
CREATE FUNCTION uhc_reporting.refresh_pseudonyms(only_dataset_id integer) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM uhc_reporting.client_patient_pseudonyms p
     WHERE only_dataset_id IS NULL OR p.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_patient_pseudonyms (client_id, dataset_id, patient, patient_pseudonym)
    SELECT m.client_id, m.dataset_id, m.patient, uhc_reporting.pseudonym(c.client_code, m.patient)
      FROM uhc_reporting.int_client_members m
      JOIN uhc_reporting.clients c ON c.client_id = m.client_id
     WHERE only_dataset_id IS NULL OR m.dataset_id = only_dataset_id;
END
$$;

CREATE FUNCTION uhc_reporting.refresh_client_rows(only_dataset_id integer) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM uhc_reporting.client_procedure_rows r
     WHERE only_dataset_id IS NULL OR r.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_procedure_rows
           (client_id, procedure_id, dataset_id, encounter, patient_pseudonym, procedure_group,
            procedure_code, procedure_description, base_cost, procedure_date, procedure_month,
            organization_name, payer_name)
    SELECT cp.client_id, p.procedure_id, p.dataset_id, p.encounter, ps.patient_pseudonym,
           g.procedure_group, p.procedure_code, p.procedure_description, p.base_cost,
           p.procedure_date, date_trunc('month', p.procedure_date)::date,
           p.organization_name, p.payer_name
      FROM uhc_reporting.stg_procedures p
      JOIN uhc_reporting.int_client_payers cp
        ON cp.dataset_id = p.dataset_id AND cp.payer_id = p.payer_id
      JOIN uhc_reporting.procedure_classification g ON g.procedure_id = p.procedure_id
      JOIN uhc_reporting.client_patient_pseudonyms ps
        ON ps.client_id = cp.client_id AND ps.dataset_id = p.dataset_id AND ps.patient = p.patient
     WHERE only_dataset_id IS NULL OR p.dataset_id = only_dataset_id;

    DELETE FROM uhc_reporting.client_encounter_rows r
     WHERE only_dataset_id IS NULL OR r.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_encounter_rows
           (client_id, dataset_id, encounter, patient_pseudonym, encounter_date,
            encounter_month, encounter_class, base_encounter_cost)
    SELECT cp.client_id, e.dataset_id, e.encounter, ps.patient_pseudonym,
           e.encounter_date, date_trunc('month', e.encounter_date)::date,
           e.encounter_class, e.base_encounter_cost
      FROM uhc_reporting.stg_encounters e
      JOIN uhc_reporting.int_client_payers cp
        ON cp.dataset_id = e.dataset_id AND cp.payer_id = e.payer_id
      JOIN uhc_reporting.client_patient_pseudonyms ps
        ON ps.client_id = cp.client_id AND ps.dataset_id = e.dataset_id AND ps.patient = e.patient
     WHERE only_dataset_id IS NULL OR e.dataset_id = only_dataset_id;
END
$$;

CREATE FUNCTION uhc_reporting.refresh_summaries(only_dataset_id integer) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM uhc_reporting.client_outside_summary s
     WHERE only_dataset_id IS NULL OR s.dataset_id = only_dataset_id;
    INSERT INTO uhc_reporting.client_outside_summary
           (client_id, dataset_id, month, procedure_group, coverage, procedures, encounters, patients)
    SELECT p.client_id, p.dataset_id, date_trunc('month', p.procedure_date)::date,
           p.procedure_group, p.coverage,
           count(*), count(DISTINCT p.encounter), count(DISTINCT p.patient)
      FROM uhc_reporting.int_client_procedures p
     WHERE p.coverage <> 'client-paid'
       AND (only_dataset_id IS NULL OR p.dataset_id = only_dataset_id)
     GROUP BY 1, 2, 3, 4, 5;
END
$$;

CREATE FUNCTION uhc_reporting.refresh(only_dataset_id integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Two concurrent refreshes would both delete and re-insert the same rows, so the
    -- second waits for the first to commit instead of failing on a duplicate key.
    PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('uhc_reporting.refresh'));

    PERFORM uhc_reporting.analyze_refresh_inputs('source');
    PERFORM uhc_reporting.refresh_classification(only_dataset_id);
    PERFORM uhc_reporting.refresh_pseudonyms(only_dataset_id);
    PERFORM uhc_reporting.analyze_refresh_inputs('intermediate');
    PERFORM uhc_reporting.refresh_client_rows(only_dataset_id);
    PERFORM uhc_reporting.refresh_summaries(only_dataset_id);

    UPDATE uhc_reporting.refresh_state
       SET last_refresh = pg_catalog.now(),
           stale_since = CASE WHEN only_dataset_id IS NULL THEN NULL ELSE stale_since END,
           stale_reason = CASE WHEN only_dataset_id IS NULL THEN NULL ELSE stale_reason END;
END
$$;
-- Client reporting views, the only objects a client role can read.
--
-- They are ordinary views owned by uhc_reporting_owner, so a client needs no privilege on
-- the tables beneath them. The tables FORCE row-level security with policies on the
-- invoking role (CURRENT_USER is still the client inside a view), so each client sees
-- its own rows only. No view calls a function: everything a client reads was computed by
-- refresh(). Counts are bigint and money numeric(16,2), so that Tableau maps each column
-- to one type.

CREATE VIEW uhc_reporting_client.procedure_export AS
SELECT r.procedure_group,
       r.procedure_code,
       r.procedure_description,
       r.base_cost,
       r.procedure_date,
       r.procedure_month,
       r.organization_name,
       r.payer_name,
       r.patient_pseudonym
  FROM uhc_reporting.client_procedure_rows r;
COMMENT ON VIEW uhc_reporting_client.procedure_export IS
    'One row per procedure paid by the client, with the patient pseudonymized. Export it '
    'ordered by procedure_description, procedure_date DESC, patient_pseudonym.';

CREATE VIEW uhc_reporting_client.procedure_volume AS
SELECT r.procedure_code,
       r.procedure_description,
       r.procedure_group,
       count(*)::bigint AS procedures,
       count(DISTINCT r.encounter)::bigint AS encounters,
       coalesce(sum(r.base_cost), 0)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_procedure_rows r
 GROUP BY r.procedure_code, r.procedure_description, r.procedure_group;
COMMENT ON VIEW uhc_reporting_client.procedure_volume IS
    'Procedures, encounters and total base cost per procedure code and description.';

CREATE VIEW uhc_reporting_client.procedure_group_volume AS
SELECT r.procedure_group,
       count(DISTINCT r.encounter)::bigint AS encounters,
       count(*)::bigint AS procedures,
       count(DISTINCT r.patient_pseudonym)::bigint AS patients,
       coalesce(sum(r.base_cost), 0)::numeric(16,2) AS total_base_cost
  FROM uhc_reporting.client_procedure_rows r
 GROUP BY r.procedure_group;
COMMENT ON VIEW uhc_reporting_client.procedure_group_volume IS
    'Encounters, procedures, patients and total base cost per procedure group (bar chart).';

CREATE VIEW uhc_reporting_client.monthly_volume AS
WITH encounters AS (
    SELECT e.encounter_month AS month, count(*)::bigint AS encounters,
           count(DISTINCT e.patient_pseudonym)::bigint AS patients
      FROM uhc_reporting.client_encounter_rows e
     GROUP BY e.encounter_month
), procedures AS (
    SELECT r.procedure_month AS month, count(*)::bigint AS procedures,
           coalesce(sum(r.base_cost), 0)::numeric(16,2) AS total_base_cost
      FROM uhc_reporting.client_procedure_rows r
     GROUP BY r.procedure_month
)
SELECT coalesce(e.month, p.month) AS month,
       coalesce(e.encounters, 0)::bigint AS encounters,
       coalesce(e.patients, 0)::bigint AS patients,
       coalesce(p.procedures, 0)::bigint AS procedures,
       coalesce(p.total_base_cost, 0)::numeric(16,2) AS total_base_cost
  FROM encounters e
  FULL JOIN procedures p ON p.month = e.month;
COMMENT ON VIEW uhc_reporting_client.monthly_volume IS
    'Own encounters, patients, procedures and base cost per UTC month (first day of month).';

CREATE VIEW uhc_reporting_client.monthly_volume_last_12 AS
WITH latest AS (
    SELECT max(e.encounter_month) AS month FROM uhc_reporting.client_encounter_rows e
), months AS (
    SELECT g.month::date AS month
      FROM latest,
           generate_series(latest.month - interval '11 months', latest.month, interval '1 month') AS g(month)
)
SELECT m.month,
       coalesce(v.encounters, 0)::bigint AS encounters,
       coalesce(v.patients, 0)::bigint AS patients,
       coalesce(v.procedures, 0)::bigint AS procedures,
       coalesce(v.total_base_cost, 0)::numeric(16,2) AS total_base_cost
  FROM months m
  LEFT JOIN uhc_reporting_client.monthly_volume v ON v.month = m.month;
COMMENT ON VIEW uhc_reporting_client.monthly_volume_last_12 IS
    'The 12 months ending with the latest month of own encounters, months without any as 0.';

CREATE VIEW uhc_reporting_client.high_volume_patients AS
SELECT e.patient_pseudonym,
       count(*)::bigint AS encounters,
       min(e.encounter_date) AS first_encounter_date,
       max(e.encounter_date) AS last_encounter_date
  FROM uhc_reporting.client_encounter_rows e
 GROUP BY e.patient_pseudonym
HAVING count(*) >= (SELECT s.value::integer FROM uhc_reporting.settings s
                     WHERE s.name = 'high_volume_min_encounters');
COMMENT ON VIEW uhc_reporting_client.high_volume_patients IS
    'Members with at least the configured number of own encounters (setting '
    'high_volume_min_encounters).';

CREATE VIEW uhc_reporting_client.outside_care_monthly AS
SELECT s.month,
       s.procedure_group,
       s.coverage,
       sum(s.procedures)::bigint AS procedures,
       sum(s.encounters)::bigint AS encounters,
       sum(s.patients)::bigint AS patients
  FROM uhc_reporting.client_outside_summary s
 GROUP BY s.month, s.procedure_group, s.coverage;
COMMENT ON VIEW uhc_reporting_client.outside_care_monthly IS
    'Counts of members'' procedures paid by another payer or uninsured, per month, '
    'procedure group and coverage. Counts only: no rows outside the client''s own.';

CREATE VIEW uhc_reporting_client.kpi_tiles AS
SELECT (SELECT count(*) FROM uhc_reporting.client_encounter_rows)::bigint AS total_encounters,
       (SELECT count(*) FROM uhc_reporting.client_procedure_rows)::bigint AS total_procedures,
       (SELECT count(DISTINCT e.patient_pseudonym)
          FROM uhc_reporting.client_encounter_rows e)::bigint AS patients,
       (SELECT coalesce(sum(r.base_cost), 0)
          FROM uhc_reporting.client_procedure_rows r)::numeric(16,2) AS total_procedure_base_cost,
       (SELECT count(*) FROM uhc_reporting_client.high_volume_patients)::bigint AS high_volume_patients,
       (SELECT coalesce(sum(s.procedures), 0) FROM uhc_reporting.client_outside_summary s
         WHERE s.coverage = 'uninsured')::bigint AS member_uninsured_procedures,
       (SELECT coalesce(sum(s.procedures), 0) FROM uhc_reporting.client_outside_summary s
         WHERE s.coverage = 'other payer')::bigint AS member_other_payer_procedures;
COMMENT ON VIEW uhc_reporting_client.kpi_tiles IS
    'One row of headline figures: own encounters, procedures, patients and base cost, '
    'high-volume patients, and members'' procedures that were uninsured or paid by others.';
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
