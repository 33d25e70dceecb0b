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
