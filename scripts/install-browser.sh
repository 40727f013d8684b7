#!/bin/sh
# Install Chromium and its driver for the browser tests (tests/dashboard), on Debian or Ubuntu.
# Does nothing when both are already there. Needs root, or sudo without a password.
# The Python side (playwright, which drives this Chromium) comes with: pip install -e '.[dev]'
set -eu

have() { command -v "$1" >/dev/null 2>&1; }

if { have chromium || have chromium-browser; } && have chromedriver; then
    echo "chromium already installed: $(command -v chromium || command -v chromium-browser)"
    exit 0
fi
if ! have apt-get; then
    echo "error: no apt-get here; install Chromium yourself and set ECOMSTREAM_CHROMIUM=/path/to/chromium" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if ! have sudo; then
        echo "error: run as root (or install sudo) to install chromium with apt-get" >&2
        exit 1
    fi
    SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if apt-cache show chromium >/dev/null 2>&1; then
    $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
else  # Ubuntu names
    $SUDO apt-get install -y -qq --no-install-recommends chromium-browser chromium-chromedriver
fi
echo "chromium installed: $(command -v chromium || command -v chromium-browser)"
