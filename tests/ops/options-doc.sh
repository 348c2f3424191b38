#!/bin/sh
# iosd(8) against the daemon's own option table: every long option of
# `iosd --help` is documented in the OPTIONS section of doc/iosd.8 (as
# \-\-name), every \-\-name there is an option of --help, and each short
# letter goes with the same long name in both ("-l, --listen" and
# \-l ", " \-\-listen). TAP output.
#
#   sh tests/ops/options-doc.sh [BUILD/iosd] [doc/iosd.8]
set -u
BIN=${1:-build/iosd}
MAN=${2:-doc/iosd.8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0
ok() {	# ok DESCRIPTION COMMAND...: one TAP line for the command's status
	desc=$1
	shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
	fi
}
has() { grep -qxF -- "$1" "$2"; }

ok "iosd --help exits 0" "$BIN" --help
"$BIN" --help >"$tmp/help" 2>&1
# The option lines: "  -l, --listen ..." and "      --config FILE ...".
sed -n -E 's/^  -[A-Za-z], --([a-z0-9-]+).*/\1/p; s/^      --([a-z0-9-]+).*/\1/p' \
    "$tmp/help" | sort -u >"$tmp/help.long"
sed -n -E 's/^  -([A-Za-z]), --([a-z0-9-]+).*/\1 \2/p' "$tmp/help" |
    sort -u >"$tmp/help.short"
# The OPTIONS section, up to the next .SH; groff writes - as \-.
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | sed '$d' >"$tmp/options"
grep -o '\\-\\-[a-z0-9]\([a-z0-9]\|\\-\)*' "$tmp/options" | sed 's/\\//g; s/^--//' |
    sort -u >"$tmp/man.long"
grep -o '\\-[A-Za-z] ", " \\-\\-[a-z0-9]\([a-z0-9]\|\\-\)*' "$tmp/options" |
    sed 's/\\//g; s/^-\(.\) ", " --/\1 /' | sort -u >"$tmp/man.short"

ok "--help lists options ($(wc -l <"$tmp/help.long"))" test -s "$tmp/help.long"
ok "iosd.8 has an OPTIONS section naming options" test -s "$tmp/man.long"
while read -r o; do
	ok "--$o (--help) is documented in iosd.8" has "$o" "$tmp/man.long"
done <"$tmp/help.long"
while read -r o; do
	ok "--$o (iosd.8) is an option of --help" has "$o" "$tmp/help.long"
done <"$tmp/man.long"
while read -r s l; do
	ok "-$s, --$l (--help) is so in iosd.8" has "$s $l" "$tmp/man.short"
done <"$tmp/help.short"
while read -r s l; do
	ok "-$s, --$l (iosd.8) is so in --help" has "$s $l" "$tmp/help.short"
done <"$tmp/man.short"

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
