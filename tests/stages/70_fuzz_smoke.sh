#!/usr/bin/env bash
# A short libFuzzer run of each C++ core target (UHC_FUZZ_SECONDS each, 12 by default)
# from its seed corpus, under ASan and UBSan. The long runs are the documented command
# in docs/operations.md. Fails on any crash, sanitizer report or broken property.
set -uo pipefail
cd "$UHC_REPO"
seconds=${UHC_FUZZ_SECONDS:-12}
build=$UHC_WORK/fuzz-build
bash fuzz/build.sh "$build" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
for target in uuid_text pseudonym keyring classifier; do
    # libFuzzer writes a crash input to the current folder, so it runs in scratch space.
    if (cd "$UHC_WORK" && bash "$UHC_REPO/fuzz/run.sh" "$target" "$seconds" "$build") \
        > "$UHC_WORK/fuzz-$target.log" 2>&1; then
        passed=$((passed + 1))
        printf 'ok    %s: %s\n' "$target" "$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$UHC_WORK/fuzz-$target.log")"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s\n' "$target"
        grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$UHC_WORK/fuzz-$target.log" | head -20
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
