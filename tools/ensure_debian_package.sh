#!/bin/sh
# ensure_debian_package.sh COMMAND PACKAGE CONSEQUENCE
# Installs Debian's PACKAGE with apt when COMMAND is missing and this is root; otherwise says what is lost.
# With CI set, a package still missing afterwards fails: CI must not pass with part of its coverage gone.
command -v "$1" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "Installing Debian's $2"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
fi
command -v "$1" >/dev/null 2>&1 && exit 0
echo "$2 is missing and could not be installed: $3"
case "$CI" in 1 | true | TRUE | True | yes) exit 1 ;; esac
