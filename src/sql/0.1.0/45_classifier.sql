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
