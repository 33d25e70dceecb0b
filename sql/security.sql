-- Server version check with synthetic version numbers, the security lint of the
-- regression database, the suppression threshold setting and the columns of
-- outside_care_monthly.

-- The fixes each version lacks: 15.9 fixed CVE-2024-10976, 15.14 CVE-2025-8713 and
-- 15.19 CVE-2026-14666.
SELECT v AS version_num,
       cardinality(w) AS warnings,
       array_to_string(w, ' | ') LIKE '%CVE-2024-10976%' AS lacks_15_9,
       array_to_string(w, ' | ') LIKE '%CVE-2025-8713%' AS lacks_15_14,
       array_to_string(w, ' | ') LIKE '%CVE-2026-14666%' AS lacks_15_19
  FROM unnest(ARRAY[150000, 150008, 150009, 150013, 150014, 150018, 150019, 150020, 159999]) AS v,
       uhc_reporting.server_version_warnings(v) AS w
 ORDER BY v;
SELECT (uhc_reporting.server_version_warnings(150008))[1] AS first_warning;
SELECT uhc_reporting.server_version_warnings(160004);
SELECT uhc_reporting.server_version_warnings(140013);
SELECT uhc_reporting.server_version_warnings(NULL) IS NULL AS null_for_null;

-- The regression database passes the lint.
SELECT * FROM uhc_reporting.security_lint();

-- The threshold is 11, and only a positive integer can replace it.
SELECT value FROM uhc_reporting.settings WHERE name = 'small_cell_threshold';
UPDATE uhc_reporting.settings SET value = '0' WHERE name = 'small_cell_threshold';
UPDATE uhc_reporting.settings SET value = 'eleven' WHERE name = 'small_cell_threshold';

-- outside_care_monthly keeps its columns and adds one flag per count.
SELECT attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute
 WHERE attrelid = 'uhc_reporting_client.outside_care_monthly'::regclass AND attnum > 0
 ORDER BY attnum;
