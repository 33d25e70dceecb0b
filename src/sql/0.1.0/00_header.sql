-- uhc_reporting install script, assembled from src/sql/*.sql in file-name order.
\echo Use "CREATE EXTENSION uhc_reporting" to load this file. \quit

-- The extension's objects live in two schemas. uhc_reporting (the extension schema) holds
-- the source tables, rules, registry and every internal object; clients never get USAGE
-- on it. uhc_reporting_client holds only the client reporting views.
CREATE SCHEMA uhc_reporting_client;
REVOKE ALL ON SCHEMA uhc_reporting FROM PUBLIC;
REVOKE ALL ON SCHEMA uhc_reporting_client FROM PUBLIC;
