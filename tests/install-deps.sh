#!/bin/sh
# Install the Debian packages iosd needs to build and test, and nothing
# when they are all present. Uses sudo when not root.
set -eu

# "build" (make install): what building needs, nothing of the tests'.
# Otherwise also the tests': prometheus brings promtool, which checks the
# /metrics exposition; gnutls-bin certtool, which makes the test
# certificates; clang the fuzzers; redis-server, sqlite3, tmux the suites;
# fiu-utils (libfiu's fiu-run) and faketime the fault injection of
# tests/abuse; chromium the headless browser of tests/browser (driven by
# the npm playwright-core over its DevTools protocol; no browser download),
# fonts-dejavu-core so that its screenshot shows text. "deb" (make deb):
# the build's and the Debian packaging tools (debhelper, dpkg-dev); the
# tests' also lintian, which tests/deb checks the package with.
# (debian/control's Build-Depends are the build list but make and gcc.)
PKGS="make gcc pkg-config libev-dev libwslay-dev libgnutls28-dev nettle-dev
libgmp-dev libsqlite3-dev libncurses-dev libjansson-dev libhiredis-dev
uthash-dev libsystemd-dev libedit-dev"
DEB_PKGS="debhelper dpkg-dev"
case "${1:-}" in
build) ;;
deb) PKGS="$PKGS $DEB_PKGS" ;;
*) PKGS="$PKGS clang libclang-rt-dev redis-server sqlite3 tmux prometheus
gnutls-bin fiu-utils faketime chromium fonts-dejavu-core $DEB_PKGS lintian" ;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Node.js >= 19 runs the reference iosignal clients; Debian's nodejs
# package is installed only when no node is on the PATH at all.
if [ -z "${1:-}" ]; then
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: need root or sudo to install:$missing" >&2
		exit 1
	}
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
