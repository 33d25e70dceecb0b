-- One pgbench transaction of a Tableau dashboard, run as a client's login. pgbench sets
-- :payer to that client's payer name. Every row the client sees must be its own, or the
-- script divides by zero and pgbench reports the client as failed. pgbench replaces
-- :payer inside the quotes too, because it substitutes variables as plain text.
SELECT count(*) AS foreign_rows FROM uhc_reporting_client.procedure_export
 WHERE payer_name <> ':payer' \gset
\if :foreign_rows > 0
SELECT 1 / 0 AS another_clients_rows_seen;
\endif
SELECT * FROM uhc_reporting_client.kpi_tiles;
SELECT * FROM uhc_reporting_client.procedure_group_volume ORDER BY procedure_group;
SELECT * FROM uhc_reporting_client.monthly_volume_last_12 ORDER BY month;
SELECT count(*) AS own_encounters FROM uhc_reporting_client.monthly_volume;
