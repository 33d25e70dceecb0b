-- Comments on every client view and column. The JDBC and ODBC drivers return them as
-- remarks, so Tableau shows them as field descriptions. This piece runs after every
-- other one, so that it comments each view in its final form.

COMMENT ON VIEW uhc_reporting_client.procedure_export IS
    'One row per procedure paid by the client, with the patient pseudonymized. Export it '
    'ordered by procedure_description, procedure_date DESC, patient_pseudonym.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.procedure_group IS
    'Procedure group assigned by the classification rules.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.procedure_code IS
    'SNOMED CT code of the procedure.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.procedure_description IS
    'Description of the procedure as recorded.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.base_cost IS
    'Base cost of the procedure in US dollars.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.procedure_date IS
    'UTC calendar date on which the procedure started.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.procedure_month IS
    'UTC month of the procedure, as the first day of that month.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.organization_name IS
    'Name of the organization where the encounter took place.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.payer_name IS
    'Name of the client''s payer that paid the encounter.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export.patient_pseudonym IS
    'Keyed pseudonym of the patient, stable for this client and different for others.';

COMMENT ON VIEW uhc_reporting_client.procedure_export_csv IS
    'The rows of procedure_export for spreadsheets: a text cell that starts with =, +, -, @, '
    'a tab or a carriage return gets a leading single quote. Tableau reads procedure_export.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.procedure_group IS
    'Procedure group, prefixed with a single quote when it starts like a formula.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.procedure_code IS
    'SNOMED CT code, prefixed with a single quote when it starts like a formula.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.procedure_description IS
    'Procedure description, prefixed with a single quote when it starts like a formula.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.base_cost IS
    'Base cost of the procedure in US dollars.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.procedure_date IS
    'UTC calendar date on which the procedure started.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.procedure_month IS
    'UTC month of the procedure, as the first day of that month.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.organization_name IS
    'Organization name, prefixed with a single quote when it starts like a formula.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.payer_name IS
    'Payer name, prefixed with a single quote when it starts like a formula.';
COMMENT ON COLUMN uhc_reporting_client.procedure_export_csv.patient_pseudonym IS
    'Keyed pseudonym of the patient, stable for this client and different for others.';

COMMENT ON VIEW uhc_reporting_client.procedure_volume IS
    'Own procedures, encounters and total base cost per procedure code and description.';
COMMENT ON COLUMN uhc_reporting_client.procedure_volume.procedure_code IS
    'SNOMED CT code of the procedure.';
COMMENT ON COLUMN uhc_reporting_client.procedure_volume.procedure_description IS
    'Description of the procedure as recorded.';
COMMENT ON COLUMN uhc_reporting_client.procedure_volume.procedure_group IS
    'Procedure group assigned by the classification rules.';
COMMENT ON COLUMN uhc_reporting_client.procedure_volume.procedures IS
    'Number of own procedures.';
COMMENT ON COLUMN uhc_reporting_client.procedure_volume.encounters IS
    'Number of own encounters with at least one such procedure.';
COMMENT ON COLUMN uhc_reporting_client.procedure_volume.total_base_cost IS
    'Sum of the base costs in US dollars.';

COMMENT ON VIEW uhc_reporting_client.procedure_group_volume IS
    'Own encounters, procedures, patients and total base cost per procedure group (bar chart).';
COMMENT ON COLUMN uhc_reporting_client.procedure_group_volume.procedure_group IS
    'Procedure group assigned by the classification rules.';
COMMENT ON COLUMN uhc_reporting_client.procedure_group_volume.encounters IS
    'Number of own encounters with at least one procedure of the group.';
COMMENT ON COLUMN uhc_reporting_client.procedure_group_volume.procedures IS
    'Number of own procedures of the group.';
COMMENT ON COLUMN uhc_reporting_client.procedure_group_volume.patients IS
    'Number of patients with an own procedure of the group.';
COMMENT ON COLUMN uhc_reporting_client.procedure_group_volume.total_base_cost IS
    'Sum of the base costs in US dollars.';

COMMENT ON VIEW uhc_reporting_client.monthly_volume IS
    'Own encounters, patients, procedures and base cost per UTC month (first day of month).';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume.month IS
    'UTC month, as the first day of that month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume.encounters IS
    'Number of own encounters that started in the month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume.patients IS
    'Number of patients with an own encounter in the month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume.procedures IS
    'Number of own procedures that started in the month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume.total_base_cost IS
    'Sum of the base costs of those procedures in US dollars.';

COMMENT ON VIEW uhc_reporting_client.monthly_volume_last_12 IS
    'The 12 months ending with the latest month of own encounters, months without any as 0.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume_last_12.month IS
    'UTC month, as the first day of that month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume_last_12.encounters IS
    'Number of own encounters that started in the month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume_last_12.patients IS
    'Number of patients with an own encounter in the month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume_last_12.procedures IS
    'Number of own procedures that started in the month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_volume_last_12.total_base_cost IS
    'Sum of the base costs of those procedures in US dollars.';

COMMENT ON VIEW uhc_reporting_client.monthly_group_volume IS
    'Own encounters, procedures and base cost per UTC month and procedure group, for charts '
    'filtered by date range and group.';
COMMENT ON COLUMN uhc_reporting_client.monthly_group_volume.month IS
    'UTC month, as the first day of that month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_group_volume.procedure_group IS
    'Procedure group assigned by the classification rules.';
COMMENT ON COLUMN uhc_reporting_client.monthly_group_volume.encounters IS
    'Number of own encounters with a procedure of the group in the month. An encounter with '
    'procedures of two groups counts in both.';
COMMENT ON COLUMN uhc_reporting_client.monthly_group_volume.procedures IS
    'Number of own procedures of the group that started in the month.';
COMMENT ON COLUMN uhc_reporting_client.monthly_group_volume.total_base_cost IS
    'Sum of the base costs of those procedures in US dollars.';

COMMENT ON VIEW uhc_reporting_client.high_volume_patients IS
    'Patients with at least the configured number of own encounters (setting '
    'high_volume_min_encounters).';
COMMENT ON COLUMN uhc_reporting_client.high_volume_patients.patient_pseudonym IS
    'Keyed pseudonym of the patient, stable for this client and different for others.';
COMMENT ON COLUMN uhc_reporting_client.high_volume_patients.encounters IS
    'Number of own encounters of the patient.';
COMMENT ON COLUMN uhc_reporting_client.high_volume_patients.first_encounter_date IS
    'UTC date of the patient''s first own encounter.';
COMMENT ON COLUMN uhc_reporting_client.high_volume_patients.last_encounter_date IS
    'UTC date of the patient''s latest own encounter.';

COMMENT ON VIEW uhc_reporting_client.outside_care_monthly IS
    'Counts of members'' procedures paid by another payer or uninsured, per month, '
    'procedure group and coverage. Counts from 1 to small_cell_threshold - 1 are NULL '
    'with the matching *_suppressed flag set.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.month IS
    'UTC month, as the first day of that month.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.procedure_group IS
    'Procedure group assigned by the classification rules.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.coverage IS
    'Coverage of the procedures: uninsured or other payer.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.procedures IS
    'Number of members'' procedures with this coverage, or NULL when suppressed.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.encounters IS
    'Number of members'' encounters with such a procedure, or NULL when suppressed.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.patients IS
    'Number of members with such a procedure, or NULL when suppressed.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.procedures_suppressed IS
    'True when procedures is NULL because the count is below small_cell_threshold.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.encounters_suppressed IS
    'True when encounters is NULL because the count is below small_cell_threshold.';
COMMENT ON COLUMN uhc_reporting_client.outside_care_monthly.patients_suppressed IS
    'True when patients is NULL because the count is below small_cell_threshold.';

COMMENT ON VIEW uhc_reporting_client.kpi_tiles IS
    'One row of headline figures: own encounters, procedures, patients and base cost, '
    'high-volume patients, and members'' procedures that were uninsured or paid by others.';
COMMENT ON COLUMN uhc_reporting_client.kpi_tiles.total_encounters IS
    'Number of own encounters.';
COMMENT ON COLUMN uhc_reporting_client.kpi_tiles.total_procedures IS
    'Number of own procedures.';
COMMENT ON COLUMN uhc_reporting_client.kpi_tiles.patients IS
    'Number of distinct patients with an own encounter.';
COMMENT ON COLUMN uhc_reporting_client.kpi_tiles.total_procedure_base_cost IS
    'Sum of the base costs of own procedures in US dollars.';
COMMENT ON COLUMN uhc_reporting_client.kpi_tiles.high_volume_patients IS
    'Number of rows of high_volume_patients.';
COMMENT ON COLUMN uhc_reporting_client.kpi_tiles.member_uninsured_procedures IS
    'Sum of outside_care_monthly.procedures over the uninsured cells that it shows.';
COMMENT ON COLUMN uhc_reporting_client.kpi_tiles.member_other_payer_procedures IS
    'Sum of outside_care_monthly.procedures over the other-payer cells that it shows.';
