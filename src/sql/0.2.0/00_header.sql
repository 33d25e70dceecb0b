-- uhc_reporting upgrade from 0.1.0 to 0.2.0, assembled from src/sql/0.2.0/*.sql in
-- file-name order.
\echo Use "ALTER EXTENSION uhc_reporting UPDATE TO '0.2.0'" to load this file. \quit
