#!/bin/sh
# The Debian package: `make deb` builds iosd_*.deb from a copy of the tree
# (dpkg-buildpackage -us -uc -b, nocheck, parallel=2); lintian finds no
# error in it; its file list, modes, conffiles and maintainer scripts are
# the expected ones; the programs run from the extracted tree. As root,
# with no iosd installed and no /etc/iosd here, it is then installed on
# this machine, upgraded twice (an untouched and an edited conffile) and
# purged, which must leave nothing behind (IOSD_DEB_INSTALL=no skips
# that part). TAP output.
#
#   sh tests/deb/run.sh
set -u
stage=$(mktemp -d)
chmod 0755 "$stage"	# the service's user walks through it
installed=no
made_user=no
cleanup() {
	if [ $installed = yes ]; then
		dpkg --purge iosd >/dev/null 2>&1 </dev/null
	fi
	if [ $made_user = yes ]; then
		userdel iosd 2>/dev/null
		groupdel iosd 2>/dev/null
	fi
	rm -rf "$stage"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
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
		sed 's/^/#   /' "$stage/.out" | head -n 25
	fi
}
finish() {
	echo "1..$n"
	echo "# $((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

for t in dpkg-buildpackage dh lintian; do
	ok "$t is installed (tests/install-deps.sh)" command -v $t
done
[ $failed -eq 0 ] || finish

# ---- the build ----

out=$stage/out
t0=$(date +%s)
ok "make deb (dpkg-buildpackage -us -uc -b on a copy of the tree)" \
    timeout 240 make --no-print-directory -s deb NODEPS=1 DEB_OUT="$out" \
    DEB_BUILD_OPTIONS="nocheck parallel=2"
echo "# the package build: $(($(date +%s) - t0)) s"
deb=$(ls "$out"/iosd_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	echo "not ok $((n + 1)) - no iosd_*.deb in $out"
	n=$((n + 1))
	failed=$((failed + 1))
	[ -f "$out/build.log" ] && tail -n 30 "$out/build.log" | sed 's/^/#   /'
	finish
fi
echo "# $(basename "$deb")"
ok "the tree itself got no build files (debian/files, debian/iosd, debian/build)" sh -c \
    "! [ -e debian/files ] && ! [ -e debian/iosd ] && ! [ -e debian/build ] && ! [ -e debian/.debhelper ]"

version=$(sed -n 's/^#define IOSD_VERSION "\(.*\)"/\1/p' iosd/version.h)
ok "the package's version is iosd's ($version), and debian/changelog's" sh -c \
    "[ \"\$(dpkg-deb -f '$deb' Version)\" = '$version' ] &&
     [ \"\$(dpkg-parsechangelog -S Version)\" = '$version' ]"
ok "Architecture is this machine's" sh -c \
    "[ \"\$(dpkg-deb -f '$deb' Architecture)\" = \"\$(dpkg --print-architecture)\" ]"
ok "Depends: adduser and the libraries (shlibs)" sh -c \
    "d=\$(dpkg-deb -f '$deb' Depends); for l in adduser libc6 libev4 libgnutls30 libjansson4 libsqlite3-0 libhiredis \
         libwslay1 libncursesw6 libedit2 libsystemd0; do echo \"\$d\" | grep -q \"\$l\" || { echo \"no \$l: \$d\"; exit 1; }; done"

# ---- lintian ----

lintian --fail-on error "$deb" >"$stage/lintian.out" 2>&1
lrc=$?
grep -v '^running with root privileges' "$stage/lintian.out" | sed 's/^/# lintian: /'
ok "lintian: no errors" sh -c "[ $lrc -eq 0 ] && ! grep -q '^E:' '$stage/lintian.out'"

# ---- what it contains ----

root=$stage/root
dpkg-deb -c "$deb" >"$stage/list"
ok "dpkg-deb -x" dpkg-deb -x "$deb" "$root"
for f in usr/bin/iosd usr/bin/iosctl usr/bin/iostui; do
	ok "$f, mode 755 root:root" grep -Eq "^-rwxr-xr-x root/root .* \./$f\$" "$stage/list"
done
ok "etc/iosd/iosd.conf, mode 640 root:root (postinst makes it root:iosd)" \
    grep -Eq '^-rw-r----- root/root .* \./etc/iosd/iosd\.conf$' "$stage/list"
for f in lib/systemd/system/iosd.service usr/lib/sysusers.d/iosd.conf \
    usr/share/man/man8/iosd.8.gz usr/share/man/man8/iosctl.8.gz usr/share/man/man8/iostui.8.gz \
    usr/share/doc/iosd/copyright usr/share/doc/iosd/changelog.gz \
    usr/share/doc/iosd/iosd.conf.example; do
	ok "$f, mode 644" grep -Eq "^-rw-r--r-- root/root .* \./$f\$" "$stage/list"
done
for d in operations iosd control auth; do
	ok "usr/share/doc/iosd/$d.md" sh -c "ls '$root'/usr/share/doc/iosd/$d.md* >/dev/null"
done
ok "nothing else: no OpenRC script, nothing under /usr/local, /var or /run" sh -c \
    "awk '{print \$6}' '$stage/list' | grep -v '/\$' |
     grep -Ev '^\./(usr/bin/ios(d|ctl|tui)|etc/iosd/iosd\.conf|lib/systemd/system/iosd\.service|usr/lib/sysusers\.d/iosd\.conf|usr/share/man/man8/ios(d|ctl|tui)\.8\.gz|usr/share/doc/iosd/[a-z.]+|usr/share/lintian/overrides/iosd)\$'
     [ \$? -eq 1 ]"
ok "the conffiles are /etc/iosd/iosd.conf" sh -c \
    "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles > '$stage/conffiles' && [ \"\$(cat '$stage/conffiles')\" = /etc/iosd/iosd.conf ]"
ok "the configuration is the example (dist/iosd.conf)" cmp "$root/etc/iosd/iosd.conf" dist/iosd.conf
ok "the sysusers file is dist/iosd.sysusers" cmp "$root/usr/lib/sysusers.d/iosd.conf" dist/iosd.sysusers

ctl=$stage/ctl
dpkg-deb -e "$deb" "$ctl"
ok "the maintainer scripts parse (sh -n)" sh -c "for s in postinst prerm postrm; do sh -n '$ctl/'\$s || exit 1; done"
ok "postinst makes the user (systemd-sysusers, or adduser) before the unit starts" sh -c \
    "u=\$(grep -n 'systemd-sysusers iosd.conf' '$ctl/postinst' | cut -d: -f1) &&
     s=\$(grep -n 'deb-systemd-invoke' '$ctl/postinst' | head -n 1 | cut -d: -f1) &&
     [ \"\$u\" -lt \"\$s\" ] && grep -q 'adduser --quiet --system --group' '$ctl/postinst'"
ok "postinst sets the configuration root:iosd 0640" sh -c \
    "grep -q 'chown root:iosd \"\$conf\"' '$ctl/postinst' && grep -q 'chmod 0640 \"\$conf\"' '$ctl/postinst'"
ok "postinst enables the unit and starts it only under a running systemd, never failing" sh -c \
    "grep -q \"deb-systemd-helper enable 'iosd.service'\" '$ctl/postinst' &&
     grep -q '\[ -d /run/systemd/system \]' '$ctl/postinst' &&
     grep -q \"deb-systemd-invoke \\\$_dh_action 'iosd.service' >/dev/null || true\" '$ctl/postinst'"

ok "./usr/bin/iosd --version runs from the extracted tree" sh -c \
    "'$root/usr/bin/iosd' --version | grep -qx 'iosd $version (.*)'"
ok "... reads /etc/iosd/iosd.conf and uses /run/iosd/control.sock by default" sh -c \
    "'$root/usr/bin/iosd' --help | grep -q 'default: /etc/iosd/iosd.conf' &&
     '$root/usr/bin/iosd' --help | grep -q 'default: /run/iosd/control.sock'"
ok "iosctl and iostui run and look for /run/iosd/control.sock" sh -c \
    "'$root/usr/bin/iosctl' --help | grep -q /run/iosd/control.sock &&
     '$root/usr/bin/iostui' --help | grep -q /run/iosd/control.sock"
ok "the programs are stripped (debug symbols in iosd-dbgsym)" sh -c \
    "for b in iosd iosctl iostui; do readelf -S '$root'/usr/bin/\$b | grep -Eq '\\.(symtab|debug_info)' && exit 1; done;
     ls '$out'/iosd-dbgsym_*.*deb"
ok "the unit runs /usr/bin/iosd --config /etc/iosd/iosd.conf as iosd" sh -c \
    "grep -qxF 'ExecStart=/usr/bin/iosd --config /etc/iosd/iosd.conf' '$root/lib/systemd/system/iosd.service' &&
     grep -qxF 'User=iosd' '$root/lib/systemd/system/iosd.service'"
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s|/usr/bin/iosd|$root/usr/bin/iosd|" "$root/lib/systemd/system/iosd.service" >"$stage/iosd.service"
	ok "systemd-analyze verify iosd.service" systemd-analyze verify --man=no "$stage/iosd.service"
fi
ok "the man pages name /usr/share/doc/iosd, not /usr/local, and format without warnings" sh -c \
    "for m in '$root'/usr/share/man/man8/*.8.gz; do zcat \"\$m\" | grep -q /usr/local && exit 1;
         MANWIDTH=80 man --warnings -l \"\$m\" 2>&1 >/dev/null | grep . && exit 1; done;
     zgrep -q /usr/share/doc/iosd '$root'/usr/share/man/man8/iosd.8.gz"

# ---- on this machine: install, upgrade, purge ----

if [ "${IOSD_DEB_INSTALL:-yes}" = no ]; then
	echo "# IOSD_DEB_INSTALL=no: installing on this machine skipped"
	finish
elif [ "$(id -u)" != 0 ]; then
	echo "# not root: installing on this machine skipped"
	finish
elif dpkg-query -W -f='${Status}' iosd 2>/dev/null | grep -q installed || [ -e /etc/iosd ]; then
	echo "# iosd is installed here (a package or make install): installing skipped"
	finish
fi
if [ -d /run/systemd/system ]; then
	echo "# systemd runs here: the service is started, and stopped on purge"
fi

# dpkg, waiting up to a minute for another apt or dpkg to let go of the
# lock (tests/install-deps.sh elsewhere on the machine).
dpkgw() {
	i=0
	while :; do
		dpkg "$@" </dev/null >"$stage/dpkg.out" 2>&1 && { cat "$stage/dpkg.out"; return 0; }
		if grep -q 'lock' "$stage/dpkg.out" && [ $i -lt 30 ]; then
			i=$((i + 1))
			sleep 2
			continue
		fi
		cat "$stage/dpkg.out"
		return 1
	done
}

id iosd >/dev/null 2>&1 || made_user=yes
installed=yes
ok "dpkg -i (no systemd as PID 1 here is no failure)" dpkgw -i "$deb"
ok "dpkg says iosd $version is installed" sh -c \
    "[ \"\$(dpkg-query -W -f='\${Status} \${Version}' iosd)\" = 'install ok installed $version' ]"
ok "the user and group iosd exist, a system user with home /var/lib/iosd" sh -c \
    "getent passwd iosd | grep -q ':/var/lib/iosd:' && getent group iosd >/dev/null &&
     [ \"\$(id -u iosd)\" -lt 1000 ]"
conf=/etc/iosd/iosd.conf
confmode() { [ "$(stat -c '%U:%G %a' "$conf")" = "root:iosd 640" ]; }
ok "$conf is root:iosd 0640" confmode
ok "the unit is enabled (multi-user.target.wants)" \
    test -L /etc/systemd/system/multi-user.target.wants/iosd.service
ok "dpkg lists /etc/iosd/iosd.conf as a conffile" sh -c \
    "dpkg-query -W -f='\${Conffiles}' iosd | grep -q '^ /etc/iosd/iosd.conf [0-9a-f]\{32\}\$'"
ok "/usr/bin/iosd --version" sh -c "/usr/bin/iosd --version | grep -q '^iosd $version '"
mkdir -p "$stage/var" && chown iosd:iosd "$stage/var"
ok "the installed daemon, run as user iosd, reads $conf and starts" sh -c \
    "timeout -s TERM 2 setpriv --reuid=iosd --regid=iosd --init-groups /usr/bin/iosd \
         -D '$stage/var/iosd.db' -c '$stage/var/ctl.sock' -l 127.0.0.1:0 -L 127.0.0.1:0 >'$stage/run.log' 2>&1;
     grep -q 'ready, pid' '$stage/run.log' && ! grep -q 'Permission denied' '$stage/run.log' || { cat '$stage/run.log'; exit 1; }"

# Later versions of the package, each with another default configuration.
repack() {	# repack VERSION LINE: $stage/iosd_VERSION.deb
	rm -rf "$stage/rp" && dpkg-deb -R "$deb" "$stage/rp" &&
	sed -i "s/^Version: .*/Version: $1/" "$stage/rp/DEBIAN/control" &&
	echo "$2" >>"$stage/rp/etc/iosd/iosd.conf" &&
	dpkg-deb --root-owner-group -b "$stage/rp" "$stage/iosd_$1.deb" >/dev/null
}
ok "iosd $version+t1, another default configuration (repacked)" \
    repack "$version+t1" "# new default 1"
ok "... upgrades it (dpkg -i)" dpkgw -i "$stage/iosd_$version+t1.deb"
ok "... replaces an untouched $conf with the new one" grep -qx '# new default 1' "$conf"
ok "... which is again root:iosd 0640" confmode
echo "# mine" >>"$conf"
ok "iosd $version+t2, another default configuration again" \
    repack "$version+t2" "# new default 2"
ok "an upgrade over an edited $conf (--force-confold)" \
    dpkgw -i --force-confdef --force-confold "$stage/iosd_$version+t2.deb"
ok "... keeps the operator's file, root:iosd 0640" sh -c \
    "grep -qx '# mine' '$conf' && ! grep -qx '# new default 2' '$conf' && [ \"\$(stat -c '%U:%G %a' '$conf')\" = 'root:iosd 640' ]"
ok "... and puts the new one beside it (iosd.conf.dpkg-dist)" grep -qx '# new default 2' "$conf.dpkg-dist"

mkdir -p /var/lib/iosd /var/log/iosd && touch /var/lib/iosd/iosd.db /var/log/iosd/iosd.log
ok "dpkg -r" dpkgw -r iosd
ok "... keeps the configuration, removes the programs" sh -c \
    "[ -f '$conf' ] && ! [ -e /usr/bin/iosd ] &&
     dpkg-query -W -f='\${Status}' iosd | grep -q 'deinstall ok config-files'"
ok "dpkg --purge" dpkgw --purge iosd
installed=no
ok "... leaves nothing: /etc/iosd, the database, the logs, the unit, its enablement" sh -c \
    "for p in /etc/iosd /var/lib/iosd /var/log/iosd /usr/bin/iosd /usr/bin/iosctl /usr/bin/iostui \
         /lib/systemd/system/iosd.service /usr/lib/sysusers.d/iosd.conf /usr/share/doc/iosd \
         /usr/share/man/man8/iosd.8.gz /etc/systemd/system/multi-user.target.wants/iosd.service \
         /var/lib/systemd/deb-systemd-helper-enabled/iosd.service.dsh-also; do
         [ -e \"\$p\" ] || [ -L \"\$p\" ] && { echo \"left: \$p\"; exit 1; }; done;
     ! dpkg-query -W -f='\${Status}' iosd 2>/dev/null | grep -q installed"
if [ $made_user = yes ]; then
	userdel iosd 2>/dev/null
	groupdel iosd 2>/dev/null
	made_user=no
	ok "the user iosd (kept by purge, as Debian does) removed by this test" sh -c \
	    "! getent passwd iosd && ! getent group iosd"
fi
finish
