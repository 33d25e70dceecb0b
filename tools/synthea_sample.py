#!/usr/bin/python3
"""Generate a synthetic Synthea-style CSV sample in the 2.x, 3.1 or 3.3 column layout.

Writes patients, encounters, procedures, payers, organizations and payer_transitions
CSV files the way Synthea's CSV exporter does: a header row, LF line ends, no quoting,
an empty field for NULL and UTC timestamps such as 2020-01-31T08:15:00Z. The same
arguments always produce byte-identical files.

Every person, id and number is invented. Names carry numeric suffixes and SSNs use the
invalid 999 area, as in Synthea. A patient gets about 40 encounters and about 100
procedures over the simulated years, so 10,000 patients give roughly 1M procedures;
--procedures-target generates patients until a procedure count is reached.

Usage: synthea_sample.py --layout 3.1 --patients 300 --seed 1 --out /tmp/sample
"""

import argparse
import datetime
import os
import random
import sys
import uuid

LAYOUTS = ("2.x", "3.1", "3.3")

# Last simulated day. Encounters start on or before it, and coverage periods may end up
# to 300 days later, as they do in Synthea output.
SIMULATION_END = datetime.date(2024, 6, 30)

HEADERS = {
    "patients": {
        "2.x": "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,LAST,SUFFIX,MAIDEN,"
               "MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,ZIP,LAT,LON,"
               "HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE",
        "3.1": "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,LAST,SUFFIX,MAIDEN,"
               "MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,FIPS,ZIP,LAT,"
               "LON,HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE,INCOME",
        "3.3": "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,MIDDLE,LAST,SUFFIX,"
               "MAIDEN,MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,FIPS,"
               "ZIP,LAT,LON,HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE,INCOME",
    },
    "encounters": {
        layout: "Id,START,STOP,PATIENT,ORGANIZATION,PROVIDER,PAYER,ENCOUNTERCLASS,CODE,"
                "DESCRIPTION,BASE_ENCOUNTER_COST,TOTAL_CLAIM_COST,PAYER_COVERAGE,REASONCODE,"
                "REASONDESCRIPTION"
        for layout in LAYOUTS
    },
    "procedures": {
        "2.x": "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,BASE_COST,REASONCODE,REASONDESCRIPTION",
        "3.1": "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION,BASE_COST,REASONCODE,"
               "REASONDESCRIPTION",
        "3.3": "START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION,BASE_COST,REASONCODE,"
               "REASONDESCRIPTION",
    },
    "payers": {
        "2.x": "Id,NAME,ADDRESS,CITY,STATE_HEADQUARTERED,ZIP,PHONE,AMOUNT_COVERED,"
               "AMOUNT_UNCOVERED,REVENUE,COVERED_ENCOUNTERS,UNCOVERED_ENCOUNTERS,"
               "COVERED_MEDICATIONS,UNCOVERED_MEDICATIONS,COVERED_PROCEDURES,"
               "UNCOVERED_PROCEDURES,COVERED_IMMUNIZATIONS,UNCOVERED_IMMUNIZATIONS,"
               "UNIQUE_CUSTOMERS,QOLS_AVG,MEMBER_MONTHS",
        "3.1": "Id,NAME,OWNERSHIP,ADDRESS,CITY,STATE_HEADQUARTERED,ZIP,PHONE,AMOUNT_COVERED,"
               "AMOUNT_UNCOVERED,REVENUE,COVERED_ENCOUNTERS,UNCOVERED_ENCOUNTERS,"
               "COVERED_MEDICATIONS,UNCOVERED_MEDICATIONS,COVERED_PROCEDURES,"
               "UNCOVERED_PROCEDURES,COVERED_IMMUNIZATIONS,UNCOVERED_IMMUNIZATIONS,"
               "UNIQUE_CUSTOMERS,QOLS_AVG,MEMBER_MONTHS",
    },
    "organizations": {
        layout: "Id,NAME,ADDRESS,CITY,STATE,ZIP,LAT,LON,PHONE,REVENUE,UTILIZATION"
        for layout in LAYOUTS
    },
    "payer_transitions": {
        "2.x": "PATIENT,START_YEAR,END_YEAR,PAYER,OWNERSHIP",
        "3.1": "PATIENT,MEMBERID,START_DATE,END_DATE,PAYER,SECONDARY_PAYER,PLAN_OWNERSHIP,"
               "OWNER_NAME",
    },
}
HEADERS["payers"]["3.3"] = HEADERS["payers"]["3.1"]
HEADERS["payer_transitions"]["3.3"] = HEADERS["payer_transitions"]["3.1"]

# The default US payer set of Synthea: name, ownership, headquarters (2.x only), and the
# weight of choosing the payer for one coverage period of a person under 65.
PAYERS = [
    ("Medicare", "GOVERNMENT", ("7500 Security Blvd", "Baltimore", "MD", "21244", "1-800-633-4227"), 0),
    ("Medicaid", "GOVERNMENT", ("7500 Security Blvd", "Baltimore", "MD", "21244", "1-877-267-2323"), 12),
    ("Dual Eligible", "GOVERNMENT", ("7500 Security Blvd", "Baltimore", "MD", "21244", "1-877-267-2323"), 1),
    ("Humana", "PRIVATE", ("500 West Main St", "Louisville", "KY", "40018", "1-844-330-7799"), 6),
    ("Blue Cross Blue Shield", "PRIVATE", ("Michigan Ave", "Chicago", "IL", "60007", "1-800-262-2583"), 10),
    ("UnitedHealthcare", "PRIVATE", ("9800 Healthcare Lane", "Minnetonka", "MN", "55436", "1-888-545-5205"), 22),
    ("Aetna", "PRIVATE", ("151 Farmington Ave", "Hartford", "CT", "06156", "1-800-872-3862"), 9),
    ("Cigna Health", "PRIVATE", ("900 Cottage Grove Rd", "Bloomfield", "CT", "06002", "1-800-997-1654"), 7),
    ("Anthem", "PRIVATE", ("220 Virginia Ave", "Indianapolis", "IN", "46204", "1-800-331-1476"), 8),
    ("NO_INSURANCE", "NO_INSURANCE", ("", "", "", "", ""), 25),
]

# Fixed namespace so that payer and organization ids depend only on the name, as the
# name-derived (version 3) ids of Synthea do.
ID_NAMESPACE = uuid.UUID("6f1c9a52-3c1e-4a59-9d7e-2b8f0c4e5a11")

# Facility name stems. Each is combined with two of ORG_KINDS and placed in one of PLACES.
ORG_STEMS = [
    "MERCY", "SAINT LUKE'S", "RIVERSIDE", "LAKEVIEW", "VALLEY", "PINE RIDGE", "HARBOR",
    "MEADOWBROOK", "CEDAR HILL", "NORTHGATE", "SOUTHSHORE", "WESTFIELD", "GREENWOOD",
    "MAPLE GROVE", "SUMMIT", "PRAIRIE", "BAYSIDE", "HIGHLAND", "OAKWOOD", "FAIRVIEW",
    "SILVER LAKE", "EASTSIDE", "WILLOW CREEK", "STONEBRIDGE",
]
ORG_KINDS = ["GENERAL HOSPITAL", "MEDICAL CENTER", "FAMILY PRACTICE", "URGENT CARE",
             "COMMUNITY HEALTH CENTER", "PEDIATRICS  LLC"]

# City, county, county FIPS, ZIP prefix, latitude, longitude.
PLACES = [
    ("Springfield", "Hampden County", "25013", "011", 42.10, -72.59),
    ("Worcester", "Worcester County", "25027", "016", 42.26, -71.80),
    ("Lowell", "Middlesex County", "25017", "018", 42.63, -71.32),
    ("Cambridge", "Middlesex County", "25017", "021", 42.37, -71.11),
    ("Quincy", "Norfolk County", "25021", "021", 42.25, -71.00),
    ("Brockton", "Plymouth County", "25023", "023", 42.08, -71.02),
    ("Pittsfield", "Berkshire County", "25003", "012", 42.45, -73.25),
    ("Salem", "Essex County", "25009", "019", 42.52, -70.90),
    ("Barnstable", "Barnstable County", "25001", "026", 41.70, -70.30),
    ("Framingham", "Middlesex County", "25017", "017", 42.28, -71.42),
]

FIRST_NAMES_F = ["Alice", "Maria", "Yesenia", "Danyelle", "Shanna", "Lucía", "Gwen", "Nadia",
                 "Rosalind", "Tamika", "Ingrid", "Mei", "Hope", "Cora", "Zoë", "Marisol"]
FIRST_NAMES_M = ["Freeman", "Cole", "Lou", "Jeromy", "Damon", "José", "Tristan", "Omar",
                 "Elias", "Wilbur", "Kenji", "Roscoe", "Andrés", "Milo", "Desmond", "Hank"]
LAST_NAMES = ["Kessler", "Gleason", "Little", "Hilll", "O'Keefe", "Von", "Schmitt", "Núñez",
              "Bartoletti", "Okuneva", "Runolfsdottir", "Wehner", "Pfannerstill", "Crona",
              "Ledner", "Mraz", "Dickens", "Halvorson", "Kuhic", "Zulauf"]
STREETS = ["Adams Row", "Kohler Camp", "Kunde Burg", "Blanda Parade", "Hickle Way",
           "Gutmann Street", "Feest Ramp", "Lind Gateway", "Orchard Path", "Mill Road"]
RACES = [("white", 70), ("black", 9), ("asian", 7), ("native", 1),
         ("hawaiian", 1), ("other", 3)]

# Encounter classes with weight, SNOMED code, description, cost range (min, max) and the
# mean number of procedures. The last four classes exist only in the 3.x layouts.
ENCOUNTER_CLASSES = [
    ("wellness", 24, "162673000", "General examination of patient (procedure)", (100, 180), 4.5),
    ("ambulatory", 34, "185347001", "Encounter for problem (procedure)", (70, 140), 2.0),
    ("outpatient", 16, "185349003", "Encounter for check up (procedure)", (70, 140), 2.0),
    ("urgentcare", 8, "702927004", "Urgent care clinic (environment)", (120, 200), 1.2),
    ("emergency", 6, "50849002", "Emergency room admission (procedure)", (900, 1800), 2.5),
    ("inpatient", 4, "32485007", "Hospital admission (procedure)", (2500, 9000), 3.5),
    ("virtual", 3, "185317003", "Telephone encounter (procedure)", (40, 90), 0.5),
    ("home", 2, "439708006", "Home visit (procedure)", (90, 200), 1.5),
    ("snf", 1, "449411000124106", "Admission to skilled nursing facility (procedure)", (3000, 12000), 4.0),
    ("hospice", 1, "305336008", "Admission to hospice (procedure)", (1500, 6000), 3.0),
]

# Procedure vocabulary written for this generator in the style of Synthea's SNOMED CT
# procedures: code, description, base cost range in dollars. Grouped by the encounter
# classes that mostly carry them.
PROCEDURES_WELLNESS = [
    ("171207006", "Depression screening (procedure)", 300, 700),
    ("454711000124102", "Depression screening using Patient Health Questionnaire Two-Item score (procedure)", 300, 700),
    ("715252007", "Depression screening using Patient Health Questionnaire Nine Item score (procedure)", 300, 700),
    ("430193006", "Medication reconciliation (procedure)", 300, 700),
    ("710824005", "Assessment of health and social care needs (procedure)", 300, 600),
    ("428211000124100", "Assessment of substance use (procedure)", 300, 600),
    ("710841007", "Assessment of anxiety (procedure)", 300, 600),
    ("763302001", "Assessment using Alcohol Use Disorders Identification Test - Consumption (procedure)", 300, 600),
    ("713106006", "Screening for drug abuse (procedure)", 300, 600),
    ("866148006", "Screening for domestic abuse (procedure)", 300, 600),
    ("762993000", "Assessment using Morse Fall Scale (procedure)", 300, 600),
    ("868187001", "Assessment using Car  Relax  Alone  Forget  Friends  Trouble Screening Test (procedure)", 300, 600),
    ("386516004", "Anticipatory guidance (procedure)", 200, 500),
    ("5880005", "Physical examination procedure (procedure)", 300, 700),
    ("104091002", "Hemogram  automated  with RBC  WBC  Hgb  Hct  Indices  Platelet count  and manual WBC differential", 60, 160),
    ("252160004", "Standard pregnancy test", 40, 120),
    ("395123002", "Urine screening test for diabetes", 40, 120),
    ("167271000", "Urine protein test", 40, 120),
    ("117010004", "Urine culture", 60, 150),
    ("127783003", "Spirometry (procedure)", 200, 500),
    ("28163009", "Skin test for tuberculosis  Tine test (procedure)", 50, 150),
    ("73761001", "Colonoscopy (procedure)", 8000, 14000),
    ("90226004", "Cytopathology procedure  preparation of smear  genital source", 200, 600),
    ("24623002", "Screening mammography (procedure)", 300, 800),
    ("71651007", "Mammography (procedure)", 300, 800),
    ("268556000", "Urine screening for glucose", 40, 120),
    ("104375008", "Hepatitis C antibody  confirmatory test", 80, 200),
    ("31676001", "Human immunodeficiency virus antigen test", 80, 200),
    ("310861008", "Chlamydia antigen test", 80, 200),
    ("165829005", "Gonorrhea infection titer test (procedure)", 80, 200),
    ("269828009", "Syphilis infectious titer test (procedure)", 80, 200),
    ("169690007", "Rubella screening", 80, 200),
    ("47758006", "Hepatitis B Surface Antigen Measurement", 80, 200),
    ("44608003", "Blood group typing (procedure)", 60, 160),
    ("104326007", "Measurement of Varicella-zoster virus antibody", 80, 200),
    ("117015009", "Throat culture (procedure)", 60, 150),
    ("33879002", "Administration of vaccine to produce active immunity (procedure)", 100, 200),
    ("399014008", "Administration of diphtheria  pertussis  and tetanus vaccine", 100, 200),
    ("183460006", "Obstetric emergency hospital admission", 1500, 4000),
    ("171231001", "Dental screening (procedure)", 200, 500),
    ("410006001", "Digital examination of rectum (procedure)", 100, 300),
    ("36228007", "Ophthalmic examination and evaluation (procedure)", 150, 400),
    ("16310003", "Ultrasonography of abdomen (procedure)", 300, 900),
    ("185087000", "Notifications (procedure)", 50, 150),
    ("413473000", "Counseling about alcohol consumption (procedure)", 200, 500),
]
PROCEDURES_AMBULATORY = [
    ("265764009", "Renal dialysis (procedure)", 1000, 2500),
    ("228557008", "Cognitive and behavioral therapy (regime/therapy)", 9000, 16000),
    ("229064008", "Movement therapy (regime/therapy)", 400, 900),
    ("91251008", "Physical therapy procedure (regime/therapy)", 400, 900),
    ("84478008", "Occupational therapy (regime/therapy)", 400, 900),
    ("52052004", "Rehabilitation therapy (regime/therapy)", 400, 900),
    ("180256009", "Subcutaneous immunotherapy", 300, 700),
    ("76601001", "Intramuscular injection", 100, 300),
    ("410401003", "Nursing care/supplementary surveillance (regime/therapy)", 300, 900),
    ("409023009", "Professional / ancillary services care (regime/therapy)", 300, 900),
    ("274804006", "Evaluation of uterine fundal height", 50, 150),
    ("225158009", "Auscultation of the fetal heart", 50, 150),
    ("169230002", "Ultrasound scan for fetal viability", 300, 900),
    ("271442007", "Fetal anatomy study", 300, 900),
    ("275833003", "AFP test - antenatal", 100, 300),
    ("443529005", "Detection of chromosomal aneuploidy in prenatal amniotic fluid specimen using fluorescence in situ hybridization screening technique (procedure)", 600, 1500),
    ("118001005", "Streptococcus pneumoniae group B antigen assay", 100, 300),
    ("65200003", "Insertion of intrauterine contraceptive device", 800, 1500),
    ("68254000", "Removal of intrauterine device", 400, 900),
    ("33195004", "External beam radiation therapy procedure (procedure)", 8000, 15000),
    ("367336001", "Chemotherapy (procedure)", 5000, 12000),
    ("703423002", "Combined chemotherapy and radiation therapy (procedure)", 9000, 18000),
    ("73761001", "Colonoscopy", 8000, 14000),
    ("274031008", "Rectal polypectomy", 3000, 7000),
    ("76164006", "Biopsy of colon", 2000, 5000),
    ("85548006", "Episiotomy", 800, 2000),
    ("66348005", "Childbirth", 6000, 12000),
    ("11466000", "Cesarean section", 9000, 18000),
    ("44608003", "Blood group typing", 60, 160),
    ("88039007", "Cardiac catheterization (procedure)", 9000, 20000),
    ("232717009", "Coronary artery bypass grafting (procedure)", 25000, 60000),
    ("415070008", "Percutaneous coronary intervention (procedure)", 15000, 35000),
    ("241055006", "Mammogram - symptomatic (procedure)", 300, 800),
    ("287664005", "Bilateral tubal ligation", 3000, 7000),
    ("22523008", "Vasectomy", 1500, 4000),
    ("80146002", "Appendectomy", 8000, 16000),
    ("6025007", "Laparoscopic appendectomy", 9000, 18000),
    ("45595009", "Laparoscopic cholecystectomy (procedure)", 9000, 18000),
    ("112790001", "Nasal sinus endoscopy (procedure)", 800, 2000),
    ("85351004", "Knee replacement (procedure)", 20000, 40000),
    ("52734007", "Total replacement of hip (procedure)", 20000, 40000),
    ("609588000", "Total knee replacement (procedure)", 20000, 40000),
    ("301807007", "Allergy screening test (procedure)", 200, 500),
    ("395142003", "Allergy screening test", 200, 500),
    ("29303009", "Electrocardiographic procedure (procedure)", 200, 600),
    ("698354004", "Magnetic resonance imaging for measurement of brain volume (procedure)", 1000, 2500),
    ("312681000", "Bone density scan (procedure)", 300, 800),
    ("14768001", "Peritoneal dialysis (procedure)", 1000, 2500),
    ("1225002", "Upper arm X-ray", 150, 400),
    ("74016001", "Mammography  unilateral (procedure)", 300, 800),
    ("1015401000000102", "Sleep study (procedure)", 1500, 3500),
    ("386394001", "Pregnancy termination care (regime/therapy)", 800, 2000),
    ("714812005", "Induced termination of pregnancy", 800, 2000),
    ("90407005", "Evaluation of psychiatric state of patient (procedure)", 300, 800),
    ("225337009", "Suicide risk assessment (procedure)", 300, 800),
    ("1260009003", "Teleconsultation with patient for mental health review (procedure)", 200, 500),
]
PROCEDURES_DENTAL = [
    ("234723000", "Dental surgical procedure (procedure)", 1500, 4000),
    ("68334000", "Dental prophylaxis (procedure)", 150, 400),
    ("234131003", "Dental care (regime/therapy)", 150, 400),
    ("6736007", "Removal of dental plaque (procedure)", 150, 400),
    ("66308002", "Dental cleaning (procedure)", 150, 400),
    ("18946005", "Placement of dental sealant (procedure)", 100, 300),
    ("65546002", "Extraction of wisdom tooth", 500, 1500),
    ("173291009", "Simple extraction of tooth (procedure)", 300, 900),
    ("79833000", "Root canal therapy (procedure)", 900, 2000),
    ("128334009", "Gingivectomy or gingivoplasty  per tooth", 400, 1000),
    ("1234004", "Gingivoplasty (procedure)", 400, 1000),
    ("234815004", "Periodontal scaling and root planing (procedure)", 300, 900),
    ("110468005", "Dental radiograph (procedure)", 80, 250),
    ("241046008", "Periapical radiograph (procedure)", 80, 250),
    ("1270046006", "Intraoral photography (procedure)", 50, 150),
    ("703672001", "Application of fluoride varnish (procedure)", 50, 150),
    ("244030007", "Topical application of fluoride (procedure)", 50, 150),
    ("266710008", "Dental filling (procedure)", 200, 600),
    ("4210003", "Placement of dental crown (procedure)", 900, 2000),
    ("103697008", "Patient referral for dental care (procedure)", 50, 150),
]
PROCEDURES_EMERGENCY = [
    ("399208008", "Plain chest X-ray (procedure)", 150, 400),
    ("371908008", "Oxygen administration by mask (procedure)", 200, 500),
    ("431182000", "Placing subject in prone position (procedure)", 100, 300),
    ("182813001", "Emergency treatment (procedure)", 800, 2000),
    ("43075005", "Partial resection of colon", 15000, 30000),
    ("168594001", "Clavicle X-ray", 150, 400),
    ("74400008", "Bilateral X-ray of knees (procedure)", 150, 400),
    ("19490002", "Sprain of wrist", 200, 600),
    ("305428000", "Admission to orthopedic department", 1500, 4000),
    ("447365002", "Insertion of endotracheal tube (procedure)", 800, 2000),
    ("26906007", "Intubation", 800, 2000),
    ("243085009", "Oxygen administration by nasal cannula (procedure)", 200, 500),
    ("392021009", "Lumpectomy of breast (procedure)", 6000, 12000),
    ("36969009", "Placement of stent in coronary artery", 15000, 30000),
    ("18286008", "Catheter ablation of tissue of heart", 15000, 30000),
    ("40701008", "Echocardiography (procedure)", 500, 1500),
    ("34068001", "Heart valve replacement", 30000, 70000),
    ("418824004", "Thrombolytic therapy (procedure)", 5000, 10000),
    ("265286008", "Puncture of artery (procedure)", 200, 600),
    ("386661006", "Fever (finding)", 100, 300),
    ("410620009", "Suture open wound (procedure)", 300, 800),
    ("274474001", "Bone immobilization", 400, 1000),
    ("62013009", "Ambulating patient (procedure)", 100, 300),
    ("303653007", "Computed tomography of head", 800, 2000),
    ("169069000", "Computed tomography of chest and abdomen", 900, 2200),
    ("418891003", "Computed tomography of chest and abdomen (procedure)", 900, 2200),
    ("241615005", "Magnetic resonance imaging of breast (procedure)", 1000, 2500),
    ("168731009", "Chest X-ray", 150, 400),
    ("399208008", "Plain chest X-ray", 150, 400),
    ("67629009", "Mechanical ventilation (regime/therapy)", 4000, 10000),
    ("1015401000000102", "Admission to intensive care unit (procedure)", 8000, 20000),
    ("116762002", "Administration of blood product (procedure)", 800, 2000),
    ("180325003", "Electrical cardioversion", 2000, 5000),
    ("429609002", "Lung volume reduction surgery (procedure)", 20000, 45000),
    ("265764009", "Hemodialysis (procedure)", 1000, 2500),
]
PROCEDURES_LONG_TERM = [
    ("385763009", "Hospice care (regime/therapy)", 300, 900),
    ("410401003", "Nursing care/supplementary surveillance (regime/therapy)", 300, 900),
    ("409023009", "Professional / ancillary services care (regime/therapy)", 300, 900),
    ("715861001", "Skilled nursing facility care (regime/therapy)", 400, 1200),
    ("91251008", "Physical therapy procedure", 400, 900),
    ("183856001", "Referral to hospice service (procedure)", 100, 300),
    ("225358003", "Wound care (regime/therapy)", 200, 600),
    ("61746007", "Taking patient vital signs (procedure)", 50, 150),
    ("225386006", "Palliative care (regime/therapy)", 300, 900),
    ("308283009", "Discharge from hospital (procedure)", 100, 300),
    ("370789001", "Development of individualized plan of care (procedure)", 200, 500),
    ("1240461000000109", "Measurement of SARS-CoV-2 antibody (procedure)", 80, 200),
    ("183450002", "Admission to burn unit (procedure)", 9000, 20000),
    ("305340004", "Admission to long stay hospital (procedure)", 3000, 9000),
    ("302497006", "Hemodialysis via arteriovenous fistula (procedure)", 1000, 2500),
    ("71181003", "Appendectomy (procedure)", 8000, 16000),
]
PROCEDURES_BY_CLASS = {
    "wellness": PROCEDURES_WELLNESS + PROCEDURES_DENTAL[:8],
    "ambulatory": PROCEDURES_AMBULATORY + PROCEDURES_DENTAL,
    "outpatient": PROCEDURES_AMBULATORY + PROCEDURES_WELLNESS[:20],
    "urgentcare": PROCEDURES_EMERGENCY[:12] + PROCEDURES_WELLNESS[10:20],
    "emergency": PROCEDURES_EMERGENCY,
    "inpatient": PROCEDURES_EMERGENCY + PROCEDURES_LONG_TERM[:6],
    "virtual": PROCEDURES_WELLNESS[:12],
    "home": PROCEDURES_LONG_TERM + PROCEDURES_WELLNESS[:4],
    "snf": PROCEDURES_LONG_TERM,
    "hospice": PROCEDURES_LONG_TERM,
}

# Conditions used as REASONCODE/REASONDESCRIPTION of encounters and procedures.
REASONS = [
    ("44054006", "Diabetes mellitus type 2 (disorder)"),
    ("59621000", "Essential hypertension (disorder)"),
    ("195662009", "Acute viral pharyngitis (disorder)"),
    ("10509002", "Acute bronchitis (disorder)"),
    ("444814009", "Viral sinusitis (disorder)"),
    ("40055000", "Chronic sinusitis (disorder)"),
    ("433144002", "Chronic kidney disease stage 3 (disorder)"),
    ("46177005", "End-stage renal disease (disorder)"),
    ("72892002", "Normal pregnancy"),
    ("370143000", "Major depressive disorder (disorder)"),
    ("36971009", "Sinusitis (disorder)"),
    ("195967001", "Asthma (disorder)"),
    ("13645005", "Chronic obstructive bronchitis (disorder)"),
    ("254837009", "Malignant neoplasm of breast (disorder)"),
    ("363406005", "Malignant neoplasm of colon"),
    ("53741008", "Coronary heart disease (disorder)"),
    ("22298006", "Myocardial infarction (disorder)"),
    ("230690007", "Cerebrovascular accident (disorder)"),
    ("15777000", "Prediabetes"),
    ("80394007", "Hyperglycemia (disorder)"),
    ("18718003", "Gingival disease (disorder)"),
    ("109570002", "Primary dental caries (disorder)"),
    ("239873007", "Osteoarthritis of knee"),
    ("65966004", "Fracture of forearm"),
    ("62106007", "Concussion with no loss of consciousness"),
    ("840539006", "COVID-19"),
]


def name_uuid(kind, name):
    """Return a name-derived uuid, so that the same name gets the same id in every run."""
    return str(uuid.uuid3(ID_NAMESPACE, kind + ":" + name))


class Generator:
    """Streams one sample to the CSV files of a folder."""

    def __init__(self, layout, seed, out_dir):
        self.layout = layout
        self.rng = random.Random(seed)
        self.out_dir = out_dir
        self.day_cache = {}
        self.payer_ids = [name_uuid("payer", p[0]) for p in PAYERS]
        self.no_insurance = len(PAYERS) - 1
        self.medicare = 0
        self.private_weights = [p[3] for p in PAYERS]
        # Per payer: covered/uncovered encounters and procedures, members, member months.
        self.payer_stats = [[0] * 8 for _ in PAYERS]
        self.organizations = self._make_organizations()
        self.org_utilization = [0] * len(self.organizations)
        classes = ENCOUNTER_CLASSES if layout != "2.x" else ENCOUNTER_CLASSES[:6]
        self.classes = classes
        self.class_weights = [c[1] for c in classes]
        self.procedures_written = 0
        self.encounters_written = 0

    # -- helpers ---------------------------------------------------------------------

    def uuid4(self):
        """Return a random-looking uuid drawn from the seeded generator."""
        bits = self.rng.getrandbits(128)
        text = "%032x" % bits
        return "%s-%s-%s-%s-%s" % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])

    def day(self, ordinal):
        """Return the YYYY-MM-DD text of a proleptic Gregorian ordinal, cached."""
        text = self.day_cache.get(ordinal)
        if text is None:
            text = datetime.date.fromordinal(ordinal).isoformat()
            self.day_cache[ordinal] = text
        return text

    def timestamp(self, seconds):
        """Format seconds since 0001-01-01 as a Synthea UTC timestamp."""
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return "%sT%02d:%02d:%02dZ" % (self.day(days + 1), hours, minutes, secs)

    def _make_organizations(self):
        rng = self.rng
        organizations = []
        for index, stem in enumerate(ORG_STEMS):
            for kind in (ORG_KINDS[index % len(ORG_KINDS)], ORG_KINDS[(index + 2) % len(ORG_KINDS)]):
                place = PLACES[(index * 7 + len(kind)) % len(PLACES)]
                name = "%s %s" % (stem, kind)
                organizations.append({
                    "id": name_uuid("organization", name),
                    "name": name,
                    "address": "%d %s STREET" % (rng.randint(10, 2999), stem.split()[0]),
                    "city": place[0].upper(),
                    "zip": place[3] + "%02d" % rng.randint(0, 99),
                    "lat": place[4] + rng.uniform(-0.05, 0.05),
                    "lon": place[5] + rng.uniform(-0.05, 0.05),
                    "phone": "%d%07d" % (rng.choice((413, 508, 617, 781, 978)), rng.randint(0, 9999999)),
                })
        return organizations

    # -- one patient -----------------------------------------------------------------

    def patient(self, files):
        """Write one patient with their coverage periods, encounters and procedures."""
        rng = self.rng
        layout = self.layout
        patient_id = self.uuid4()
        gender = "F" if rng.random() < 0.51 else "M"
        end_ordinal = SIMULATION_END.toordinal()
        age_days = int(rng.triangular(200, 95 * 365, 40 * 365))
        birth_ordinal = end_ordinal - age_days
        deceased = rng.random() < 0.1
        last_ordinal = end_ordinal - rng.randint(0, 2000) if deceased else end_ordinal
        if last_ordinal <= birth_ordinal + 30:
            last_ordinal = birth_ordinal + 30
        adult = age_days >= 18 * 365

        first = rng.choice(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M) + str(rng.randint(1, 999))
        last = rng.choice(LAST_NAMES) + str(rng.randint(1, 999))
        middle = ""
        if rng.random() < 0.4:
            middle = rng.choice(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M) + str(rng.randint(1, 999))
        place = rng.choice(PLACES)
        birth_place = rng.choice(PLACES)
        marital = rng.choice(("M", "S", "D", "W") if layout != "2.x" else ("M", "S")) if adult else ""
        race = rng.choices([r[0] for r in RACES], [r[1] for r in RACES])[0]
        ethnicity = "hispanic" if rng.random() < 0.12 else "nonhispanic"
        zip_code = "" if rng.random() < 0.1 else place[3] + "%02d" % rng.randint(0, 99)
        expenses = rng.uniform(2000, 1500000)
        coverage = rng.uniform(0, 900000)

        columns = [
            patient_id,
            self.day(birth_ordinal),
            self.day(last_ordinal) if deceased else "",
            "999-%02d-%04d" % (rng.randint(10, 99), rng.randint(0, 9999)),
            "S99%06d" % rng.randint(0, 999999) if adult else "",
            "X%08dX" % rng.randint(0, 99999999) if adult and rng.random() < 0.7 else "",
            (("Mrs." if marital == "M" else "Ms.") if gender == "F" else "Mr.") if adult else "",
            first,
        ]
        if layout == "3.3":
            columns.append(middle)
        columns += [
            last,
            "PhD" if adult and rng.random() < 0.01 else "",
            rng.choice(LAST_NAMES) + str(rng.randint(1, 999)) if gender == "F" and marital == "M" else "",
            marital, race, ethnicity, gender,
            "%s  Massachusetts  US" % birth_place[0],
            "%d %s%s" % (rng.randint(1, 999), rng.choice(STREETS),
                         " Unit %d" % rng.randint(1, 99) if rng.random() < 0.3 else ""),
            place[0], "Massachusetts", place[1],
        ]
        if layout != "2.x":
            columns.append(place[2] if rng.random() < 0.93 else "")
        columns += [
            zip_code,
            repr(place[4] + rng.uniform(-0.08, 0.08)),
            repr(place[5] + rng.uniform(-0.08, 0.08)),
            "%.2f" % expenses,
            "%.2f" % coverage,
        ]
        if layout != "2.x":
            columns.append(str(rng.randint(12000, 250000)))
        files["patients"].append(",".join(columns))

        periods = self.coverage_periods(patient_id, first, last, birth_ordinal, last_ordinal, files)
        self.encounters(patient_id, birth_ordinal, last_ordinal, periods, files)

    def coverage_periods(self, patient_id, first, last, birth_ordinal, last_ordinal, files):
        """Write payer_transitions rows and return (start, end, payer index) periods."""
        rng = self.rng
        layout = self.layout
        periods = []
        # Coverage history starts at birth but at most 20 years back, which keeps the
        # file near 20 rows per patient while covering every encounter.
        start = max(birth_ordinal, last_ordinal - 20 * 365)
        member_id = self.uuid4()
        payer = None
        while start < last_ordinal:
            length = rng.randint(300, 1500) if layout == "2.x" else rng.randint(360, 370)
            end = min(start + length, last_ordinal + rng.randint(0, 300))
            age_years = (start - birth_ordinal) // 365
            if payer is None or rng.random() < 0.15:
                if age_years >= 65:
                    payer = self.medicare if rng.random() < 0.8 else self.no_insurance
                else:
                    payer = rng.choices(range(len(PAYERS)), self.private_weights)[0]
                member_id = self.uuid4()
            periods.append((start, end, payer))
            self.payer_stats[payer][6] += 1
            self.payer_stats[payer][7] += max(1, (end - start) // 30)

            ownership = "Guardian" if age_years < 18 else rng.choice(("Self", "Self", "Spouse"))
            if layout == "2.x":
                row = "%s,%s,%s,%s,%s" % (patient_id, self.day(start)[:4], self.day(end)[:4],
                                          self.payer_ids[payer], ownership)
            else:
                insured = payer != self.no_insurance
                secondary = self.payer_ids[self.medicare + 2] if insured and age_years >= 65 and rng.random() < 0.2 else ""
                row = "%s,%s,%s,%s,%s,%s,%s,%s" % (
                    patient_id,
                    member_id if insured else "",
                    self.timestamp((start - 1) * 86400 + 27000),
                    self.timestamp((end - 1) * 86400 + 27000),
                    self.payer_ids[payer],
                    secondary,
                    ownership if insured else "",
                    "%s %s" % (first, last) if insured else "")
            files["payer_transitions"].append(row)
            start = end
        return periods

    def encounters(self, patient_id, birth_ordinal, last_ordinal, periods, files):
        """Write the encounters of one patient and the procedures of each encounter."""
        rng = self.rng
        layout = self.layout
        # Records are dense in the last ten years, as in Synthea output.
        window_start = max(birth_ordinal, last_ordinal - 10 * 365)
        count = max(1, int(rng.gauss(40, 12)))
        days = sorted(rng.randint(window_start, last_ordinal) for _ in range(count))
        organization = rng.randrange(len(self.organizations))
        provider = name_uuid("provider", "%d:%d" % (organization, rng.randint(0, 4)))
        period_index = 0
        encounter_rows = files["encounters"]
        procedure_rows = files["procedures"]
        system = "http://snomed.info/sct,"
        for day in days:
            while period_index + 1 < len(periods) and periods[period_index][1] <= day:
                period_index += 1
            payer = periods[period_index][2] if periods else self.no_insurance
            klass = rng.choices(self.classes, self.class_weights)[0]
            if rng.random() < 0.2:
                organization = rng.randrange(len(self.organizations))
            self.org_utilization[organization] += 1
            start = (day - 1) * 86400 + rng.randint(6 * 3600, 18 * 3600)
            duration = 900 if klass[0] not in ("inpatient", "snf", "hospice") else rng.randint(1, 30) * 86400
            encounter_id = self.uuid4()

            procedure_count = int(rng.expovariate(1.0 / klass[5]) + 0.5) if klass[5] else 0
            vocabulary = PROCEDURES_BY_CLASS[klass[0]]
            reason_code = reason_text = ""
            if klass[0] not in ("wellness",) and rng.random() < 0.45:
                reason_code, reason_text = rng.choice(REASONS)
            line_cost = 0.0
            moment = start
            for _ in range(procedure_count):
                code, description, low, high = rng.choice(vocabulary)
                cost = rng.uniform(low, high)
                line_cost += cost
                stop = moment + 900
                procedure_reason = ("%s,%s" % (reason_code, reason_text)) if reason_code and rng.random() < 0.6 else ","
                if layout == "2.x":
                    procedure_rows.append("%s,%s,%s,%s,%s,%.2f,%s" % (
                        self.timestamp(moment), patient_id, encounter_id, code, description,
                        cost, procedure_reason))
                else:
                    procedure_rows.append("%s,%s,%s,%s,%s%s,%s,%.2f,%s" % (
                        self.timestamp(moment), self.timestamp(stop), patient_id, encounter_id,
                        system if layout == "3.3" else "", code, description, cost,
                        procedure_reason))
                moment = stop
            self.procedures_written += procedure_count

            base_cost = rng.uniform(*klass[4])
            total = base_cost + line_cost
            insured = payer != self.no_insurance
            coverage = total * rng.uniform(0.5, 0.95) if insured and rng.random() > 0.12 else 0.0
            stats = self.payer_stats[payer]
            stats[0 if insured else 1] += 1
            stats[2 if insured else 3] += procedure_count
            stats[4] += coverage
            stats[5] += total - coverage
            encounter_rows.append("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.2f,%.2f,%.2f,%s,%s" % (
                encounter_id, self.timestamp(start), self.timestamp(start + duration), patient_id,
                self.organizations[organization]["id"], provider, self.payer_ids[payer],
                klass[0], klass[2], klass[3], base_cost, total, coverage, reason_code,
                reason_text))
            self.encounters_written += 1

    # -- whole sample ----------------------------------------------------------------

    def run(self, patients, procedures_target):
        """Write the whole sample; stop at the patient or the procedure count."""
        names = ("patients", "encounters", "procedures", "payer_transitions")
        handles = {}
        for name in names:
            handle = open(os.path.join(self.out_dir, name + ".csv"), "w", encoding="utf-8", newline="\n")
            handle.write(HEADERS[name][self.layout] + "\n")
            handles[name] = handle
        buffers = {name: [] for name in names}
        written = 0
        while True:
            if procedures_target is not None:
                if self.procedures_written >= procedures_target:
                    break
            elif written >= patients:
                break
            self.patient(buffers)
            written += 1
            # Flush in batches so that memory stays flat at any scale.
            if len(buffers["procedures"]) > 20000 or written % 200 == 0:
                self.flush(buffers, handles)
        self.flush(buffers, handles)
        for handle in handles.values():
            handle.close()
        self.write_payers()
        self.write_organizations()
        return written

    @staticmethod
    def flush(buffers, handles):
        for name, rows in buffers.items():
            if rows:
                handles[name].write("\n".join(rows))
                handles[name].write("\n")
                rows.clear()

    def write_payers(self):
        rng = self.rng
        rows = [HEADERS["payers"][self.layout]]
        for index, (name, ownership, headquarters, _) in enumerate(PAYERS):
            stats = self.payer_stats[index]
            columns = [self.payer_ids[index], name]
            if self.layout != "2.x":
                columns.append(ownership)
                columns += ["", "", "", "", ""]
            else:
                columns += list(headquarters)
            members = stats[6]
            columns += [
                "%.2f" % stats[4], "%.2f" % stats[5],
                "%.2f" % (0 if name == "NO_INSURANCE" else members * rng.uniform(300, 900)),
                str(stats[0]), str(stats[1]),
                str(rng.randint(0, stats[0] * 2 + 1)) if stats[0] else "0", "0",
                str(stats[2]), str(stats[3]),
                str(stats[0] // 3), str(stats[1] // 3),
                str(members),
                repr(rng.uniform(0.6, 0.98)) if members else "0.0",
                str(stats[7]),
            ]
            rows.append(",".join(columns))
        self.write_small("payers", rows)

    def write_organizations(self):
        rows = [HEADERS["organizations"][self.layout]]
        for index, org in enumerate(self.organizations):
            rows.append("%s,%s,%s,%s,MA,%s,%r,%r,%s,%s,%d" % (
                org["id"], org["name"], org["address"], org["city"], org["zip"], org["lat"],
                org["lon"], org["phone"], "0.0" if self.layout != "2.x" else "%.2f" % (self.org_utilization[index] * 85.5),
                self.org_utilization[index]))
        self.write_small("organizations", rows)

    def write_small(self, name, rows):
        with open(os.path.join(self.out_dir, name + ".csv"), "w", encoding="utf-8", newline="\n") as handle:
            handle.write("\n".join(rows) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Generate a deterministic synthetic Synthea-style CSV sample.")
    parser.add_argument("--layout", choices=LAYOUTS, required=True,
                        help="Synthea CSV column layout to write")
    parser.add_argument("--patients", type=int, default=300,
                        help="number of patients (default 300, the demo scale; about 100 procedures each)")
    parser.add_argument("--procedures-target", type=int, default=None, metavar="N",
                        help="generate patients until at least N procedures are written (overrides --patients)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", required=True, help="output folder, created when missing")
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error("--patients must be at least 1")
    if args.procedures_target is not None and args.procedures_target < 1:
        parser.error("--procedures-target must be at least 1")

    os.makedirs(args.out, exist_ok=True)
    generator = Generator(args.layout, args.seed, args.out)
    patients = generator.run(args.patients, args.procedures_target)
    print("wrote %d patients, %d encounters, %d procedures to %s (layout %s)" % (
        patients, generator.encounters_written, generator.procedures_written, args.out,
        args.layout), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
