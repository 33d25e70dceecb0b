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
