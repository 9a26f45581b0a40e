#!/bin/sh
# ensure_debian_package.sh COMMAND PACKAGE CONSEQUENCE
# Installs Debian's PACKAGE with apt when COMMAND is missing and this is root; otherwise says what is lost.
command -v "$1" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "Installing Debian's $2"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
else
	echo "$2 is missing and this is not root: $3"
fi
