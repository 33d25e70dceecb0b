#!/usr/bin/env bash
# Runs last: after every other stage, the main test cluster's server log must hold no
# patient id, SSN, driver's licence or passport number, or name from the patient files
# the stages loaded (the real Synthea datasets and the loader's base dataset).
set -uo pipefail
log=$PGHOST/server.log
data=${UHC_SHARED_DATA:-$UHC_REPO/../shared/data/synthea}
terms=$UHC_WORK/pii_terms.txt

if [ ! -r "$log" ]; then
    echo "server log $log is missing or unreadable" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# Id, SSN, DRIVERS, PASSPORT, FIRST, LAST by header name; names carry digits (Valentine262),
# so they cannot match ordinary log words.
/usr/bin/python3 - "$terms" "$data"/*/patients.csv "$UHC_REPO"/tests/loader/base/patients.csv <<'PY'
import csv, sys
out, files = sys.argv[1], sys.argv[2:]
terms = set()
for path in files:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for column in ("Id", "SSN", "DRIVERS", "PASSPORT", "FIRST", "LAST"):
                    value = (row.get(column) or "").strip()
                    if len(value) >= 6:
                        terms.add(value)
    except FileNotFoundError:
        pass
with open(out, "w") as f:
    f.write("\n".join(sorted(terms)) + "\n")
print(f"{len(terms)} identifiers and names from {len(files)} patient files")
PY

passed=0
failed=0
if [ "$(wc -l < "$terms")" -lt 100 ]; then
    echo "FAIL too few terms to search for" >&2
    failed=$((failed + 1))
else
    passed=$((passed + 1))
fi
hits=$(grep -F -i -c -f "$terms" "$log")
if [ "$hits" -eq 0 ]; then
    echo "ok    server log ($(wc -l < "$log") lines) holds none of them"
    passed=$((passed + 1))
else
    # The matching lines are not printed, because they would copy the identifiers.
    echo "FAIL  server log has $hits lines with a patient identifier or name"
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
