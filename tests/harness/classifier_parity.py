#!/usr/bin/python3
"""Check uhc_reporting.classify() against a plain SQL expression built from the rules.

usage: classifier_parity.py HOST PORT DBNAME

The expression is a CASE over lower(description) with one branch per run of
consecutive rules (in winner order) that assign the same group. Code rules come first.
Substring and prefix rules become LIKE with %, _ and \\ escaped. Word rules become a
regular expression with the same word-character class: ASCII letters and digits, and
every non-ASCII character. It is evaluated on the server next to classify(), for

  * every procedure row of the real Synthea datasets (../shared/data/synthea,
    or $UHC_SHARED_DATA), read here and copied into a table, and
  * $UHC_PARITY_ROWS random strings (default 1,000,000) that mix rule patterns with
    case changes, non-ASCII letters, word boundaries, %, _ and spaces.

Extra rules of every match kind are added for the run inside a transaction that is
rolled back, so the database is left as it was. The role is $PGUSER, or postgres; it
must be able to write uhc_reporting.procedure_rules and create a table in public.

Prints "N passed, N failed" and exits non-zero on any mismatch, after printing a few.
"""

import csv
import io
import os
import random
import sys

import psycopg2

# A word character is an ASCII letter or digit or any non-ASCII character, so a
# non-word character is any ASCII character that is not a letter or digit.
NON_WORD_CLASS = r"[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]"

# Rules of the kinds and characters that the default rules lack.
EXTRA_RULES = [
    ("73761001", "code", 500, "Surgery"),
    ("430193006", "code", 500, "Laboratory"),
    ("renal", "prefix", 5, "Transfusion"),
    ("  ultra", "prefix", 5, "Dental"),
    ("PLAIN", "prefix", 70, "Surgery"),
    ("50%", "substring", 8, "Oncology"),
    ("a_b", "substring", 8, "Neurology"),
    ("back\\slash", "substring", 8, "Neurology"),
    ("échographie", "word", 8, "Cardiology"),
    ("straße", "substring", 8, "Orthopedics"),
    ("x-", "word", 9, "Imaging"),
    ("-ray", "word", 9, "Oncology"),
    ("Σ", "word", 9, "Respiratory"),
    ("ǆ", "substring", 9, "Eye and ear care"),
]

NON_ASCII = ["é", "É", "ß", "Ä", "ä", "ǅ", "Ǆ", "Σ", "σ", "ς", "İ", "ı", "Ω", "ø", "ﬁ", "ŉ", "中", "😀"]
SEPARATORS = [" ", "  ", "-", "/", "(", ")", "_", "%", ",", ".", "'", "\\", "\t"]
CODES = ["73761001", "430193006", "7376100", "1", ""]


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def like_escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def regex_escape(text):
    # In an ARE, a backslash before a non-alphanumeric character makes it literal.
    return "".join("\\" + ch if ch.isascii() and not ch.isalnum() else ch for ch in text)


def is_word_char(ch):
    return not ch.isascii() or ch.isalnum()


def word_regex(pattern):
    before = "(^|" + NON_WORD_CLASS + ")" if is_word_char(pattern[0]) else ""
    after = "($|" + NON_WORD_CLASS + ")" if is_word_char(pattern[-1]) else ""
    return "(" + before + regex_escape(pattern) + after + ")"


def text_condition(kind, lowered):
    if kind == "substring":
        return "l LIKE " + sql_literal("%" + like_escape(lowered) + "%")
    if kind == "prefix":
        return "ltrim(l) LIKE " + sql_literal(like_escape(lowered) + "%")
    raise ValueError(kind)


def build_expression(rules, default_group):
    """Return the SQL CASE over columns c (code) and l (lower(description))."""
    branches = []
    for rule_id, lowered, kind, group in rules:
        if kind == "code":
            branches.append("WHEN c = " + sql_literal(lowered) + " THEN " + sql_literal(group))
    branches.append("WHEN l IS NULL THEN NULL")

    # Consecutive text rules with the same group form one branch: whichever of them
    # matches first, the group is the same. This keeps the number of distinct regular
    # expressions below the server's cache of compiled expressions.
    runs = []
    for rule_id, lowered, kind, group in rules:
        if kind == "code":
            continue
        if runs and runs[-1][0] == group:
            runs[-1][1].append((kind, lowered))
        else:
            runs.append((group, [(kind, lowered)]))
    for group, members in runs:
        conditions = [text_condition(k, p) for k, p in members if k != "word"]
        words = [word_regex(p) for k, p in members if k == "word"]
        if words:
            conditions.append("l ~ " + sql_literal("|".join(words)))
        branches.append("WHEN " + " OR ".join(conditions) + " THEN " + sql_literal(group))
    return "CASE " + "\n  ".join(branches) + "\n  ELSE " + sql_literal(default_group) + " END"


def random_case(text, rng):
    return "".join(ch.upper() if rng.random() < 0.3 else ch for ch in text)


def random_description(rng, patterns):
    parts = []
    if rng.random() < 0.1:
        parts.append(" " * rng.randint(1, 3))
    for _ in range(rng.randint(0, 6)):
        choice = rng.random()
        if choice < 0.35:
            parts.append(random_case(rng.choice(patterns), rng))
        elif choice < 0.55:
            parts.append(rng.choice(NON_ASCII))
        elif choice < 0.75:
            parts.append(rng.choice(SEPARATORS))
        else:
            letters = "abcdeiorstxyz0123456789"
            parts.append("".join(rng.choice(letters) for _ in range(rng.randint(1, 5))))
        if rng.random() < 0.5:
            parts.append(" ")
    return "".join(parts)


def csv_field(value):
    # Unquoted empty is NULL in CSV mode; a quoted field is always a string.
    return "" if value is None else '"' + value.replace('"', '""') + '"'


def copy_rows(cur, table, rows):
    buffer = io.StringIO()
    for description, code in rows:
        buffer.write(csv_field(description) + "," + csv_field(code) + "\n")
    buffer.seek(0)
    cur.copy_expert("COPY " + table + " (d, c) FROM STDIN WITH (FORMAT csv)", buffer)


def read_synthea_rows(data_dir):
    rows = []
    for name in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, name, "procedures.csv")
        if not os.path.isfile(path):
            continue
        with open(path, newline="", encoding="utf-8") as f:
            for record in csv.DictReader(f):
                rows.append((record["DESCRIPTION"] or None, record["CODE"] or None))
    return rows


def compare(cur, table, expression, label):
    """Return (passed, failed) for one table, printing a few mismatches."""
    cur.execute(
        "SELECT d, c, expected, actual, actual_one_argument FROM ("
        " SELECT d, c, " + expression + " AS expected,"
        "        uhc_reporting.classify(d, c) AS actual,"
        "        CASE WHEN c IS NULL THEN uhc_reporting.classify(d) END AS actual_one_argument"
        "   FROM (SELECT d, c, lower(d) AS l FROM " + table + ") s) x"
        " WHERE expected IS DISTINCT FROM actual"
        "    OR (c IS NULL AND expected IS DISTINCT FROM actual_one_argument)"
        " LIMIT 1000")
    mismatches = cur.fetchall()
    cur.execute("SELECT count(*) FROM " + table)
    total = cur.fetchone()[0]
    failed = len(mismatches)
    if failed:
        cur.execute(
            "SELECT count(*) FROM (SELECT d, c, lower(d) AS l FROM " + table + ") s"
            " WHERE " + expression + " IS DISTINCT FROM uhc_reporting.classify(d, c)"
            "    OR (c IS NULL AND " + expression + " IS DISTINCT FROM uhc_reporting.classify(d))")
        failed = cur.fetchone()[0]
    for d, c, expected, actual, one in mismatches[:5]:
        print(f"  mismatch ({label}): description={d!r} code={c!r} "
              f"sql={expected!r} classify={actual!r} classify(d)={one!r}")
    print(f"{label}: {total - failed} passed, {failed} failed")
    return total - failed, failed


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    host, port, dbname = sys.argv[1:]
    row_count = int(os.environ.get("UHC_PARITY_ROWS", "1000000"))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    data_dir = os.environ.get("UHC_SHARED_DATA", os.path.join(repo, "..", "shared", "data", "synthea"))

    conn = psycopg2.connect(host=host, port=port, dbname=dbname,
                            user=os.environ.get("PGUSER", "postgres"))
    cur = conn.cursor()
    table = f"public.uhc_parity_{os.getpid()}"
    try:
        cur.execute("SET max_parallel_workers_per_gather = 2")
        # An extra rule that the table already has is skipped; the test uses whichever.
        cur.executemany(
            "INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name, note)"
            " SELECT %(p)s, %(k)s, %(pr)s, %(g)s, 'parity test' WHERE NOT EXISTS ("
            "   SELECT 1 FROM uhc_reporting.procedure_rules r"
            "    WHERE lower(r.pattern) = lower(%(p)s) AND r.match_kind = %(k)s)",
            [{"p": p, "k": k, "pr": pr, "g": g} for p, k, pr, g in EXTRA_RULES])
        cur.execute(
            "SELECT rule_id, lower(pattern), match_kind, group_name"
            "  FROM uhc_reporting.procedure_rules WHERE enabled ORDER BY priority, rule_id")
        rules = cur.fetchall()
        cur.execute("SELECT value FROM uhc_reporting.settings WHERE name = 'default_group'")
        default_group = cur.fetchone()[0]
        expression = build_expression(rules, default_group)

        cur.execute(f"CREATE TABLE {table} (d text, c text)")
        passed = failed = 0

        synthea_rows = read_synthea_rows(data_dir)
        if not synthea_rows:
            print(f"no procedures.csv found under {data_dir}", file=sys.stderr)
            return 2
        copy_rows(cur, table, synthea_rows)
        p, f = compare(cur, table, expression, "Synthea procedure rows")
        passed += p
        failed += f

        cur.execute(f"TRUNCATE {table}")
        rng = random.Random(20240601)
        patterns = [lowered for _, lowered, kind, _ in rules if kind != "code"]
        patterns += [p for p, _, _, _ in EXTRA_RULES]
        batch = []
        for i in range(row_count):
            description = None if rng.random() < 0.01 else random_description(rng, patterns)
            code = rng.choice(CODES) if rng.random() < 0.2 else None
            batch.append((description, code))
            if len(batch) == 100000:
                copy_rows(cur, table, batch)
                batch = []
        copy_rows(cur, table, batch)
        cur.execute(f"ANALYZE {table}")
        p, f = compare(cur, table, expression, "random strings")
        passed += p
        failed += f
    finally:
        conn.rollback()
        conn.close()

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
