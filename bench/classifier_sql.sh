#!/usr/bin/env bash
# SQL benchmark of uhc_reporting.classify() against the hand-written CASE chain of the
# same rules and against lower() alone.
#   usage: bench/classifier_sql.sh HOST PORT
# Creates (and finally drops) the database uhc_bench_classifier on a running server with
# the extension installed, as role $PGUSER or postgres, which must be a superuser.
#
# Table: $BENCH_ROWS rows (default 1,000,000) with $BENCH_DISTINCT distinct descriptions
# (default 100,000), built from rule patterns and filler words. Each figure is the
# median of 3 runs of SELECT count(expr) FROM t without parallel workers, minus the
# median of SELECT count(*) FROM t, divided by the row count: the cost expr adds per row.
# The CASE chain is about 300 times slower, so it runs on the first $BENCH_CHAIN_ROWS rows
# (default 100,000) in table t_chain, against that table's own count(*).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 HOST PORT" >&2
    exit 2
fi
host=$1
port=$2
rows=${BENCH_ROWS:-1000000}
distinct=${BENCH_DISTINCT:-100000}
chain_rows=${BENCH_CHAIN_ROWS:-100000}
database=uhc_bench_classifier
psql_base=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "${PGUSER:-postgres}")

"${psql_base[@]}" -d postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
trap '"${psql_base[@]}" -d postgres -c "DROP DATABASE IF EXISTS $database" >/dev/null' EXIT
db=("${psql_base[@]}" -d "$database")
"${db[@]}" -c "CREATE EXTENSION uhc_reporting"

# Descriptions: 2 to 6 words drawn from the rule patterns and a filler vocabulary,
# capitalized like Synthea's, half of them with the "(procedure)" suffix.
"${db[@]}" <<SQL
CREATE TABLE words AS
SELECT row_number() OVER () - 1 AS n, w
  FROM (SELECT DISTINCT pattern AS w FROM uhc_reporting.procedure_rules
        UNION
        SELECT unnest(string_to_array('of the and with for to by using left right upper lower '
            'patient general initial follow-up routine complete partial bilateral '
            'abdomen chest knee hand wrist blood skin tissue fluid care service unit '
            'level review plan session visit home clinic device', ' '))) v;
CREATE TABLE distinct_descriptions AS
SELECT k, initcap(string_agg(w.w, ' ' ORDER BY j))
          || CASE WHEN k % 2 = 0 THEN ' (procedure)' ELSE '' END AS description
  FROM generate_series(0, $distinct - 1) k,
       generate_series(1, 2 + k % 5) j,
       LATERAL (SELECT w FROM words
                 WHERE n = abs(hashint8(k * 10 + j)) % (SELECT count(*) FROM words)) w
 GROUP BY k;
CREATE TABLE t AS
SELECT d.description
  FROM generate_series(0, $rows - 1) i
  JOIN distinct_descriptions d ON d.k = i % $distinct;
CREATE TABLE t_chain AS SELECT description FROM t LIMIT $chain_rows;
VACUUM ANALYZE t;
VACUUM ANALYZE t_chain;
SQL

# Writes the CASE chain of the enabled rules, lower(description) in every branch, as
# analysts write it: LIKE for substring and prefix, a regular expression for word rules.
write_chain() {
    "${db[@]}" -At <<'SQL'
SELECT 'CASE ' || string_agg(
         'WHEN ' ||
         CASE r.match_kind
           WHEN 'substring' THEN 'lower(description) LIKE ' ||
                quote_literal('%' || replace(replace(replace(lower(r.pattern), '\', '\\'), '%', '\%'), '_', '\_') || '%')
           WHEN 'prefix' THEN 'ltrim(lower(description)) LIKE ' ||
                quote_literal(replace(replace(replace(lower(r.pattern), '\', '\\'), '%', '\%'), '_', '\_') || '%')
           WHEN 'word' THEN 'lower(description) ~ ' ||
                quote_literal(
                  CASE WHEN lower(r.pattern) ~ '^[a-z0-9]|^[^\x01-\x7f]' THEN '(^|[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f])' ELSE '' END
                  || regexp_replace(lower(r.pattern), '([^a-z0-9\x80-\uffff])', '\\\1', 'g')
                  || CASE WHEN lower(r.pattern) ~ '[a-z0-9]$|[^\x01-\x7f]$' THEN '($|[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f])' ELSE '' END)
         END || ' THEN ' || quote_literal(r.group_name),
         ' ' ORDER BY r.priority, r.rule_id)
       || ' ELSE ' || quote_literal((SELECT value FROM uhc_reporting.settings WHERE name = 'default_group')) || ' END'
  FROM uhc_reporting.procedure_rules r
 WHERE r.enabled AND r.match_kind <> 'code';
SQL
}

# Prints the median of 3 timed runs of SELECT count(expr) FROM table, in milliseconds.
time_expression() {
    local table=$1 expression=$2
    {
        echo "SET max_parallel_workers_per_gather = 0;"
        echo "SELECT count($expression) FROM $table;"    # warm-up: cache build, hint bits
        echo '\timing on'
        for _ in 1 2 3; do echo "SELECT count($expression) FROM $table;"; done
    } | "${db[@]}" -At 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n | sed -n 2p
}

per_row_ns() {
    awk -v t="$1" -v base="$2" -v n="$3" 'BEGIN { printf "%.0f", (t - base) * 1e6 / n }'
}

distinct_count=$("${db[@]}" -At -c "SELECT count(DISTINCT description) FROM t")
base_ms=$(time_expression t '*')
chain_base_ms=$(time_expression t_chain '*')
floor_ms=$(time_expression t 'lower(description)')
floor_ns=$(per_row_ns "$floor_ms" "$base_ms" "$rows")

# Prints one result line: label, median time, added ns per row, ratio to the floor.
report() {
    local label=$1 ms=$2 base=$3 n=$4
    local ns
    ns=$(per_row_ns "$ms" "$base" "$n")
    printf '%-30s %9s rows %10.1f ms %8s ns/row %8s x floor\n' "$label" "$n" "$ms" "$ns" \
        "$(awk -v a="$ns" -v b="$floor_ns" 'BEGIN { printf "%.2f", a / b }')"
}

measure_rules() {
    local rule_count
    rule_count=$("${db[@]}" -At -c "SELECT count(*) FROM uhc_reporting.procedure_rules WHERE enabled")
    report "classify(), $rule_count rules" "$(time_expression t 'uhc_reporting.classify(description)')" \
        "$base_ms" "$rows"
    report "CASE chain, $rule_count rules" "$(time_expression t_chain "$(write_chain)")" \
        "$chain_base_ms" "$chain_rows"
}

echo "distinct descriptions: $distinct_count"
printf '%-30s %9s rows %10.1f ms\n' "count(*) baseline" "$rows" "$base_ms"
report "lower(description) (floor)" "$floor_ms" "$base_ms" "$rows"
measure_rules

# Extra rules that rarely match, up to 400 enabled rules: random lower-case words of
# 5 to 9 letters, a third of them word rules.
"${db[@]}" <<'SQL'
INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name)
SELECT p, CASE WHEN i % 3 = 0 THEN 'word' ELSE 'substring' END, 100 + i, 'Other'
  FROM (SELECT i, substr(translate(md5(i::text), '0123456789', 'ghijklmnop'), 1, 5 + i % 5) AS p
          FROM generate_series(1, 400 - (SELECT count(*) FROM uhc_reporting.procedure_rules WHERE enabled)::int) i) x;
SQL
measure_rules
