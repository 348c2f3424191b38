#!/bin/sh
# Run every test of `make test` and end with the line "N passed, N failed".
# Each step is bounded in time; unit binaries print TAP with a
# "# N passed, M failed" summary that is added up here.
set -u
BUILD=${BUILD:-build}
FUZZ_SMOKE=${FUZZ_SMOKE:-4}
FUZZ_CC=${FUZZ_CC:-clang}
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT INT TERM

count() {	# count FILE: add the file's "# N passed, M failed" line
	line=$(grep -E '^# [0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		return 1
	fi
	p=$(echo "$line" | sed -E 's/^# ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ]
}

step() {	# step NAME COMMAND...: run a command that prints TAP
	name=$1
	shift
	out="$log/$(echo "$name" | tr '/ ' '__').out"
	timeout 300 "$@" >"$out" 2>&1
	rc=$?
	if count "$out" && [ $rc -eq 0 ]; then
		echo "PASS $name ($(grep -E '^# [0-9]+ passed' "$out" | tail -n 1 | sed 's/^# //'))"
	else
		echo "FAIL $name (exit $rc)"
		grep -E '^not ok|^#|Bail' "$out" | head -n 40
		tail -n 5 "$out"
	fi
}

echo "== unit tests"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	step "$(basename "$t")" "$t"
done

echo "== interoperability: unmodified npm iosignal 2.2.1 clients"
step interop-iosd node tests/interop/run.mjs --server iosd --bin "$BUILD/iosd"
# The same cases against the reference server prove the tests themselves.
step interop-reference node tests/interop/run.mjs --server ref

echo "== devices, login, encryption, quotas (SQLite, -d/-e/-E, Redis)"
step auth-iosd node tests/auth/run.mjs --server iosd --bin "$BUILD/iosd"
step auth-reference node tests/auth/run.mjs --server ref
step auth-guard node tests/auth/guard.mjs --bin "$BUILD/iosd"
step auth-files node tests/auth/files.mjs --bin "$BUILD/iosd"

echo "== the store: migrations, crashes, bad ids, retained across restarts"
step store node tests/store/run.mjs --bin "$BUILD/iosd"

echo "== the control socket"
step control node tests/control/run.mjs --bin "$BUILD/iosd"

echo "== iosctl: every command against the real daemon"
step iosctl node tests/iosctl/run.mjs --bin "$BUILD/iosd" --ctl "$BUILD/iosctl"

echo "== iosctl connect: the io-client, against iosd, npm clients and the reference"
step connect node tests/connect/run.mjs --bin "$BUILD/iosd" --ctl "$BUILD/iosctl"

echo "== iostui in tmux against the real daemon"
step iostui node tests/iostui/run.mjs --bin "$BUILD/iosd" --tui "$BUILD/iostui"

echo "== wss: GnuTLS, certificates, reload"
step tls node tests/tls/run.mjs --bin "$BUILD/iosd"

echo "== the browser: headless Chromium, the npm bundle, ws and wss, login, WebRTC signalling"
# Debian's chromium (tests/install-deps.sh) driven by playwright-core; a
# missing browser fails here, it is not skipped.
browser_t0=$(date +%s)
# As root (CI) in a network namespace of its own with only loopback: the
# browser's WebRTC candidates cannot name any other address of the host.
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && command -v ip >/dev/null; then
	step browser unshare -n sh -c 'ip link set lo up && exec node tests/browser/run.mjs --bin "$0"' "$BUILD/iosd"
else
	step browser node tests/browser/run.mjs --bin "$BUILD/iosd"
fi
echo "     (the browser suite: $(($(date +%s) - browser_t0)) s; screenshots in $BUILD/browser/)"

echo "== HTTP on the WebSocket ports: /metrics, /healthz"
step http node tests/http/run.mjs --bin "$BUILD/iosd"

echo "== several nodes as one server over Redis (--cluster)"
step cluster node tests/cluster/run.mjs --bin "$BUILD/iosd"

echo "== the HTTP API: bearer tokens, publish, unicast, clients, subscribers, kick"
step api node tests/api/run.mjs --bin "$BUILD/iosd" --ctl "$BUILD/iosctl"
echo "== channel permissions (iosctl acl), --anonymous, --allowed-origin, presence"
step acl node tests/acl/run.mjs --bin "$BUILD/iosd" --ctl "$BUILD/iosctl"

echo "== operations: configuration, reload, signals, logs, systemd notify"
step ops node tests/ops/run.mjs --bin "$BUILD/iosd"
# iosd(8) names every option of --help (the option table), and no other.
step options-doc sh tests/ops/options-doc.sh "$BUILD/iosd" doc/iosd.8
# doc/design.md names every module of the tree, and no other.
step design-doc sh tests/ops/design-doc.sh doc/design.md

echo "== make install and uninstall, the service files"
step install sh tests/install/run.sh "$BUILD"

echo "== the Debian package: make deb, lintian, its contents, install, upgrade, purge"
step deb sh tests/deb/run.sh

echo "== robustness: malformed input over raw sockets"
step robust node tests/robust/run.mjs --bin "$BUILD/iosd"

echo "== abuse: hostile clients, floods, faults (tests/abuse)"
# The sanitizer build for what must never read freed or wild memory; the
# plain build where RSS and CPU are measured, and under libfiu.
step abuse-wsproto node tests/abuse/wsproto.mjs --bin "$BUILD/asan/iosd"
step abuse-ctl node tests/abuse/ctl.mjs --bin "$BUILD/asan/iosd"
step abuse-robust-asan node tests/robust/run.mjs --bin "$BUILD/asan/iosd"
step abuse-flood node tests/abuse/flood.mjs --bin "$BUILD/iosd"
step abuse-faults node tests/abuse/faults.mjs --bin "$BUILD/iosd"

echo "== fixtures regenerate byte for byte from the reference"
step fixtures sh tests/fixtures/check.sh

if command -v "$FUZZ_CC" >/dev/null 2>&1 && [ "$FUZZ_SMOKE" -gt 0 ]; then
	echo "== fuzz smoke (${FUZZ_SMOKE}s per target)"
	if make --no-print-directory -s fuzz-build >"$log/fuzz-build.out" 2>&1; then
		step fuzz-smoke sh tests/fuzz/run.sh "$FUZZ_SMOKE"
	else
		echo "FAIL fuzz-build"
		tail -n 20 "$log/fuzz-build.out"
		failed=$((failed + 1))
	fi
else
	echo "== fuzz smoke skipped: no $FUZZ_CC"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
