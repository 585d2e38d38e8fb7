#!/usr/bin/env bash
# Install the system packages a target needs, if they are missing (Debian/Ubuntu).
#   python: a Python 3.11+ that can create virtual environments
#   test:   Chromium (driven by Playwright) and fonts for the browser tests;
#           PostgreSQL, Redis and nginx for the scale-out test (tests/scaleout/)
#           and Redis for the limits shared by worker processes,
#           which starts its own instances on loopback (the services the
#           packages enable are not needed by it)
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
    missing=()
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    if [ "${#missing[@]}" -gt 0 ]; then
      apt_install "${missing[@]}"
    fi
    ;;
  *)
    echo "usage: $0 python|test" >&2
    exit 2
    ;;
esac
