#!/bin/sh
# make install DESTDIR=... gives the expected tree; the installed programs
# carry the installed defaults; the systemd unit passes systemd-analyze
# verify (where there is one); the OpenRC script is sound; make uninstall
# removes what install put and keeps the configuration. TAP output.
#
#   sh tests/install/run.sh [BUILD]
set -u
BUILD=${1:-build}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
n=0
failed=0
ok() {	# ok DESCRIPTION COMMAND...: one TAP line for the command's status
	desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$stage/.out" 2>&1; then
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
		sed 's/^/#   /' "$stage/.out" | head -n 15
	fi
}
mode() { [ "$(stat -c %a "$1")" = "$2" ]; }

# The service's user, as make install on the machine makes it (removed at
# the end when this test made it).
made_user=no
if [ "$(id -u)" = 0 ] && ! id iosd >/dev/null 2>&1; then
	useradd --system --user-group --no-create-home --home-dir /var/lib/iosd \
	    --shell /usr/sbin/nologin iosd && made_user=yes
fi
trap 'rm -rf "$stage"; [ $made_user = yes ] && userdel iosd 2>/dev/null' EXIT INT TERM
chmod 0755 "$stage"	# the service's user walks through it

ok "make install DESTDIR=... PREFIX=/usr/local" \
    make --no-print-directory -s install BUILD="$BUILD" DESTDIR="$stage/root" PREFIX=/usr/local
r=$stage/root
for f in usr/local/bin/iosd usr/local/bin/iosctl usr/local/bin/iostui etc/init.d/iosd; do
	ok "$f, mode 755" mode "$r/$f" 755
done
for f in usr/local/share/man/man8/iosd.8 usr/local/share/man/man8/iosctl.8 \
    usr/local/share/man/man8/iostui.8 usr/local/lib/systemd/system/iosd.service \
    usr/local/lib/sysusers.d/iosd.conf usr/local/share/doc/iosd/iosd.conf.example \
    usr/local/share/doc/iosd/operations.md; do
	ok "$f, mode 644" mode "$r/$f" 644
done
ok "etc/iosd/iosd.conf, mode 640" mode "$r/etc/iosd/iosd.conf" 640
if id iosd >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	ok "etc/iosd/iosd.conf, owner root, group iosd" \
	    sh -c "[ \"\$(stat -c %U:%G '$r/etc/iosd/iosd.conf')\" = root:iosd ]"
	# The staged daemon, run as the service's user, reads the installed
	# configuration (its paths moved to the stage) and starts.
	mkdir -p "$stage/var" && chown iosd:iosd "$stage/var"
	ok "the installed daemon, run as user iosd, reads /etc/iosd/iosd.conf and starts" sh -c \
	    "timeout -s TERM 2 setpriv --reuid=iosd --regid=iosd --init-groups \
	        '$r/usr/local/bin/iosd' --config '$r/etc/iosd/iosd.conf' -D '$stage/var/iosd.db' -c '$stage/var/ctl.sock' \
	        -l 127.0.0.1:0 -L 127.0.0.1:0 >'$stage/run.log' 2>&1; grep -q 'ready, pid' '$stage/run.log' &&
	     ! grep -q 'Permission denied' '$stage/run.log' || { cat '$stage/run.log'; exit 1; }"
	cp -p "$r/etc/iosd/iosd.conf" "$stage/rootonly.conf" && chgrp root "$stage/rootonly.conf"
	ok "... and a root:root 0640 one is what it cannot read (exit 2)" sh -c \
	    "setpriv --reuid=iosd --regid=iosd --init-groups '$r/usr/local/bin/iosd' --config '$stage/rootonly.conf' \
	        -l 127.0.0.1:0 >'$stage/run2.log' 2>&1; [ \$? -eq 2 ] && grep -q 'Permission denied' '$stage/run2.log'"
else
	echo "# not root or no user iosd: running as the service's user skipped"
fi
ok "nothing else is installed" sh -c "[ \$(find '$r' -type f | wc -l) -eq 15 ]"
ok "the man pages format without warnings" sh -c \
    "for m in '$r'/usr/local/share/man/man8/*.8; do MANWIDTH=80 man --warnings -l \"\$m\" 2>&1 >/dev/null | grep . && exit 1; done; exit 0"

ok "the installed iosd reads /etc/iosd/iosd.conf and uses /run/iosd/control.sock" sh -c \
    "'$r/usr/local/bin/iosd' --help | grep -q 'default: /etc/iosd/iosd.conf' &&
     '$r/usr/local/bin/iosd' --help | grep -q 'default: /run/iosd/control.sock'"
ok "a build in $BUILD/ reads no /etc file and opens no control socket by default" sh -c \
    "'$BUILD/iosd' --help | grep -q '(default: none);' &&
     '$BUILD/iosd' --help | grep -q '(default: none)'"
ok "iosctl and iostui look for /run/iosd/control.sock" sh -c \
    "'$r/usr/local/bin/iosctl' --help | grep -q /run/iosd/control.sock &&
     '$r/usr/local/bin/iostui' --help | grep -q /run/iosd/control.sock"
ok "the example configuration is one iosd reads (-o)" sh -c \
    "sed -e 's|^db = .*|db = $stage/x.db|' -e 's|^control = .*||' -e 's|^listen = .*|listen = 127.0.0.1:0|' \
         -e 's|^listen-cong = .*|listen-cong = 127.0.0.1:0|' '$r/etc/iosd/iosd.conf' > '$stage/t.conf' &&
     timeout 2 '$r/usr/local/bin/iosd' --config '$stage/t.conf' -o | grep -q '^log-level = info'; [ \$? -eq 0 ]"

unit=$r/usr/local/lib/systemd/system/iosd.service
for k in 'Type=notify' 'ExecStart=/usr/local/bin/iosd --config /etc/iosd/iosd.conf' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'User=iosd' 'StateDirectory=iosd' 'RuntimeDirectory=iosd' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'; do
	ok "the unit has $k" grep -qxF "$k" "$unit"
done
ok "the unit's sandbox reaches every path of the installed configuration, a backup under /var/lib/iosd and an import from /etc/iosd" \
    sh tests/install/sandbox.sh "$unit" "$r/etc/iosd/iosd.conf" w:/var/lib/iosd/backups r:/etc/iosd/auth_file.json
sed -e 's|^#file-logger = .*|file-logger = /var/log/iosd|' -e 's|^#tls-cert = .*|tls-cert = /etc/iosd/tls/fullchain.pem|' \
    "$r/etc/iosd/iosd.conf" >"$stage/all.conf"
ok "... and of the example's commented paths (TLS, -f)" sh tests/install/sandbox.sh "$unit" "$stage/all.conf"
printf 'db = /home/pi/iosd.db\nauth-file = /tmp/auth_file.json\n' >"$stage/bad.conf"
ok "a database under /home, an auth file in /tmp, a backup to /srv: each named out of reach" sh -c \
    "! sh tests/install/sandbox.sh '$unit' '$stage/bad.conf' w:/srv/b.db >'$stage/sb.out';
     grep -q '^db /home/pi: hidden' '$stage/sb.out' && grep -q '^auth-file /tmp/auth_file.json: hidden' '$stage/sb.out' &&
     grep -q '^write /srv/b.db: read-only' '$stage/sb.out'"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify checks that ExecStart exists: point it at the staged binary.
	sed "s|/usr/local/bin/iosd|$r/usr/local/bin/iosd|" "$unit" >"$stage/iosd.service"
	ok "systemd-analyze verify iosd.service" systemd-analyze verify --man=no "$stage/iosd.service"
else
	echo "# systemd-analyze not here: verify skipped"
fi

rc=$r/etc/init.d/iosd
ok "the OpenRC script parses (sh -n)" sh -n "$rc"
for k in '#!/sbin/openrc-run' 'command="/usr/local/bin/iosd"' 'command_background=yes' \
    'pidfile="/run/${RC_SVCNAME}.pid"' 'extra_started_commands="reload"' \
    '	need net' '	checkpath --directory --owner iosd:iosd --mode 0700 /var/lib/iosd' \
    '	checkpath --directory --owner iosd:iosd --mode 0750 /run/iosd' \
    '	checkpath --file --owner root:iosd --mode 0640 /etc/iosd/iosd.conf' \
    '	start-stop-daemon --signal HUP --pidfile "${pidfile}"'; do
	ok "the OpenRC script has: $k" grep -qxF -- "$k" "$rc"
done

ok "iosd builds and runs without libsystemd (SYSTEMD=no, for OpenRC)" sh -c \
    "make --no-print-directory -s BUILD='$stage/nosd' SYSTEMD=no '$stage/nosd/iosd' >/dev/null &&
     '$stage/nosd/iosd' --version | grep -v systemd | grep -q 'iosd 0'"

echo "# a changed configuration survives a second install"
echo "# mine" >>"$r/etc/iosd/iosd.conf"
ok "make install again" make --no-print-directory -s install BUILD="$BUILD" DESTDIR="$r" PREFIX=/usr/local
ok "the operator's iosd.conf is kept" grep -q '^# mine$' "$r/etc/iosd/iosd.conf"
ok "make uninstall" make --no-print-directory -s uninstall DESTDIR="$r" PREFIX=/usr/local
ok "only the configuration is left" sh -c "[ \$(find '$r' -type f | wc -l) -eq 1 ] && [ -f '$r/etc/iosd/iosd.conf' ]"

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
