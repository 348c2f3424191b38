#!/bin/sh
# Can the service a systemd unit runs reach every path its configuration
# names? With ProtectSystem=strict it writes only under its State-, Runtime-
# and LogsDirectory and ReadWritePaths; ProtectHome hides /home, /root and
# /run/user, PrivateTmp gives it a /tmp of its own. One line per path;
# exit 1 when any is out of its reach.
#
#   sh tests/install/sandbox.sh UNIT CONF [r:PATH | w:PATH ...]
#
# The extra paths are what an operator hands the running daemon: a file to
# `iosctl import` (r:) or `iosctl backup` (w:).
set -u
unit=$1
conf=$2
shift 2

setting() {	# setting NAME: the values of NAME= in the unit, blank-separated
	sed -n "s/^$1=//p" "$unit" | tr '\n' ' '
}
writable=""
for d in $(setting StateDirectory); do writable="$writable /var/lib/$d"; done
for d in $(setting RuntimeDirectory); do writable="$writable /run/$d"; done
for d in $(setting LogsDirectory); do writable="$writable /var/log/$d"; done
for d in $(setting CacheDirectory); do writable="$writable /var/cache/$d"; done
for d in $(setting ReadWritePaths); do writable="$writable ${d#-}"; done
hidden=""
case "$(setting ProtectHome)" in
*yes* | *tmpfs*) hidden="$hidden /home /root /run/user" ;;
esac
case "$(setting PrivateTmp)" in
*yes*) hidden="$hidden /tmp /var/tmp" ;;
esac
for d in $(setting InaccessiblePaths); do hidden="$hidden ${d#-}"; done
strict=no
case "$(setting ProtectSystem)" in *strict*) strict=yes ;; esac

under() {	# under PATH ROOTS...: PATH is one of ROOTS or below one
	p=$1
	shift
	for root in "$@"; do
		case "$p" in "$root" | "$root"/*) return 0 ;; esac
	done
	return 1
}

bad=0
check() {	# check r|w PATH WHAT
	# shellcheck disable=SC2086
	if under "$2" $hidden; then
		echo "$3 $2: hidden from the service (ProtectHome/PrivateTmp)"
		bad=1
	elif [ "$1" = w ] && [ $strict = yes ] && ! under "$2" $writable; then
		echo "$3 $2: read-only for the service (ProtectSystem=strict;" \
		    "writable:$writable)"
		bad=1
	else
		echo "$3 $2: reachable"
	fi
}

# The configuration's paths: what the daemon writes, what it reads.
while IFS= read -r line; do
	line=${line%%#*}
	name=$(echo "$line" | sed -n 's/^[[:blank:]]*\([a-z-]*\)[[:blank:]]*=.*/\1/p')
	value=$(echo "$line" | sed -n 's/^[^=]*=[[:blank:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:blank:]]*$/\1/p')
	[ -n "$name" ] && [ -n "$value" ] || continue
	case "$name" in
	db) check w "$(dirname "$value")" "db" ;;
	control | control-ro) check w "$(dirname "$value")" "$name" ;;
	file-logger) check w "$value" "$name" ;;
	auth-file | tls-cert | tls-key) check r "$value" "$name" ;;
	esac
done <"$conf"
for extra in "$@"; do
	case "$extra" in
	r:*) check r "${extra#r:}" "read" ;;
	w:*) check w "${extra#w:}" "write" ;;
	esac
done
exit $bad
