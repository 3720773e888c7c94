#!/bin/sh
# verify.sh checks dirsync's systemd units with `systemd-analyze verify`.
#
# It works on a machine where systemd is not running (CI containers): the
# units are copied to a temporary directory with the dirsync path replaced by
# a binary that exists (verify insists on it), and checked offline. Any
# message about our units fails the run, warnings included: an unknown or
# misspelt hardening key is only a warning to systemd, but it silently
# weakens the sandbox.
#
# Usage: systemd/verify.sh [path/to/dirsync]   (default: /bin/true)
# As root, it installs systemd with apt-get when systemd-analyze is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-/bin/true}
units="dirsync.service dirsync-drift-report.service dirsync-drift-report.timer"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "verify.sh: systemd-analyze is missing; run as root to install systemd, or install it" >&2
		exit 1
	fi
	echo "verify.sh: installing systemd for systemd-analyze" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
if [ ! -x "$bin" ]; then
	echo "verify.sh: $bin is not an executable" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for u in $units; do
	sed "s#/usr/local/bin/dirsync#$bin#g" "$here/$u" >"$tmp/$u"
done

# The trailing colon keeps systemd's own unit directories on the path, for
# network-online.target and friends; ours come first so the timer finds its
# service.
status=0
SYSTEMD_UNIT_PATH="$tmp:" systemd-analyze verify --man=no $(for u in $units; do echo "$tmp/$u"; done) \
	>"$tmp/out" 2>&1 || status=$?
# Messages about other units installed on the machine are not ours to fix.
grep -E 'dirsync' "$tmp/out" >"$tmp/ours" || true
if [ "$status" -ne 0 ] || [ -s "$tmp/ours" ]; then
	echo "verify.sh: systemd-analyze verify found problems (exit $status):" >&2
	cat "$tmp/out" >&2
	exit 1
fi
systemd-analyze --version | head -n 1
echo "verify.sh: $units OK"
