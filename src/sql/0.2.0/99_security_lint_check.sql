-- Runs the security lint after every other piece of the upgrade, so that it sees every
-- object. A problem that lets a client read what it must not rejects the install or
-- upgrade. A catalog name that matches a client's code or name only warns, because it
-- can match by chance (code UHC and a database named uhc_prod), and an upgrade that
-- fails on a name the DBA did not choose for that reason would block every later fix.
DO $security_lint$
DECLARE
    problems text;
    name_matches text;
BEGIN
    SELECT string_agg(format('%s: %s: %s', l.check_name, l.object, l.problem), E'\n'
                      ORDER BY l.check_name, l.object)
              FILTER (WHERE l.check_name <> 'catalog_names_client'),
           string_agg(format('%s: %s', l.object, l.problem), E'\n' ORDER BY l.object)
              FILTER (WHERE l.check_name = 'catalog_names_client')
      INTO problems, name_matches
      FROM uhc_reporting.security_lint() l;
    IF name_matches IS NOT NULL THEN
        RAISE WARNING 'catalog text that every role can read matches a client''s code or name'
            USING DETAIL = name_matches,
                  HINT = 'Rename the listed objects unless the match is by chance; SELECT * FROM uhc_reporting.security_lint() lists them again.';
    END IF;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'uhc_reporting security lint failed'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = problems,
                  HINT = 'Fix the listed objects, then run SELECT * FROM uhc_reporting.security_lint() until it returns no rows.';
    END IF;
END
$security_lint$;
