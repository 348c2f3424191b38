#!/bin/sh
# doc/design.md names every module of the tree, and only those: each
# libproto/, libctl/, iosd/, iosctl/ and iostui/ module (a .c or .h) is a
# row "| `name` |" of its directory's section. TAP output.
#
#   sh tests/ops/design-doc.sh [doc/design.md]
set -u
doc=${1:-doc/design.md}
n=0
failed=0
section() {	# section DIR: the rows of DIR's part of the page
	awk -v d="### \`$1/\`" '$0 == d { on = 1; next } /^### / { on = 0 } on' "$doc"
}
for dir in libproto libctl iosd iosctl iostui; do
	listed=$(section "$dir" | sed -n 's/^| `\([a-z0-9_]*\)` |.*/\1/p' | sort -u)
	present=$(ls "$dir"/*.c "$dir"/*.h 2>/dev/null | sed 's|.*/||; s|\.[ch]$||' | sort -u)
	for m in $present; do
		n=$((n + 1))
		if echo "$listed" | grep -qx "$m"; then
			echo "ok $n - $dir/$m is in $doc"
		else
			failed=$((failed + 1))
			echo "not ok $n - $dir/$m is not in $doc"
		fi
	done
	for m in $listed; do
		n=$((n + 1))
		if echo "$present" | grep -qx "$m"; then
			echo "ok $n - $doc's $dir/$m exists"
		else
			failed=$((failed + 1))
			echo "not ok $n - $doc names $dir/$m, which is not in the tree"
		fi
	done
done
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
