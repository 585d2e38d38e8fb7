#!/usr/bin/env bash
# Install the system packages a target needs, if they are missing (Debian/Ubuntu).
#   python: a Python 3.11+ that can create virtual environments
#   test:   Chromium (driven by Playwright) and fonts for the browser tests;
#           Redis for the tests of limits shared by worker processes
set -euo pipefail

apt_install() {
  local runner=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Please install as root: apt-get install $*" >&2; exit 1; }
    runner=(sudo)
  fi
  echo "Installing system packages: $*"
  "${runner[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq "$@" >/dev/null
}

case "${1:-}" in
  python)
    command -v python3 >/dev/null || apt_install python3 python3-venv
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      || { echo "Tavoli needs Python 3.11 or newer (found $(python3 --version))." >&2; exit 1; }
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
    ;;
  test)
    if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ] && [ ! -x /usr/bin/chromium-browser ]; then
      apt_install chromium fonts-dejavu-core
    fi
    command -v redis-server >/dev/null || apt_install redis-server
    ;;
  *)
    echo "usage: $0 python|test" >&2
    exit 2
    ;;
esac
