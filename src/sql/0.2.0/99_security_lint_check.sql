-- Runs the security lint after every other piece of the upgrade, so that it sees every
-- object, and rejects the install or upgrade when the lint returns rows.
DO $security_lint$
DECLARE
    problems text;
BEGIN
    SELECT string_agg(format('%s: %s: %s', l.check_name, l.object, l.problem), E'\n'
                      ORDER BY l.check_name, l.object)
      INTO problems
      FROM uhc_reporting.security_lint() l;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'uhc_reporting security lint failed'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = problems,
                  HINT = 'Fix the listed objects, then run SELECT * FROM uhc_reporting.security_lint() until it returns no rows.';
    END IF;
END
$security_lint$;
