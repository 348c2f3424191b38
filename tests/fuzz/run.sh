#!/bin/sh
# Run every libFuzzer target for SECONDS each on a corpus seeded from the
# fixtures; prints TAP and each target's execution count.
set -u
SECONDS_EACH=${1:-60}
BUILD=${BUILD:-build}
corpus="$BUILD/fuzz/corpus"
mkdir -p "$corpus"
node tests/fuzz/seeds.mjs tests/fixtures "$BUILD/fuzz/seeds" >/dev/null || {
	echo "not ok 1 - seed corpus"; echo "# 0 passed, 1 failed"; exit 1; }
n=0
fail=0
for bin in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	target=${name#fuzz_}
	n=$((n + 1))
	mkdir -p "$corpus/$target" "$BUILD/fuzz/crash"
	out="$BUILD/fuzz/$name.log"
	timeout $((SECONDS_EACH + 60)) "$bin" -max_total_time="$SECONDS_EACH" \
	    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$BUILD/fuzz/crash/$name-" \
	    "$corpus/$target" "$BUILD/fuzz/seeds/$target" >"$out" 2>&1
	rc=$?
	runs=$(grep -E '^stat::number_of_executed_units' "$out" | awk '{print $2}')
	if [ $rc -eq 0 ]; then
		echo "ok $n - $name: ${runs:-?} executions in ${SECONDS_EACH}s, no finding"
	else
		echo "not ok $n - $name (exit $rc), see $out"
		grep -E 'ERROR|SUMMARY|Test unit written' "$out" | head -n 5 | sed 's/^/# /'
		fail=$((fail + 1))
	fi
done
echo "# $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
