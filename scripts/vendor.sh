#!/usr/bin/env bash
# Refresh, from the npm registry at the pinned versions below, the vendored
# front-end libraries and the PDF report's fonts (the app serves and embeds
# them itself: halls are often offline) and the browser tests' axe-core.
set -euo pipefail
SOCKET_IO_CLIENT_VERSION=4.8.4
DEJAVU_FONTS_VERSION=2.37.3
AXE_CORE_VERSION=4.14.1

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/socket.io"
(cd "$work/socket.io" && npm pack --silent "socket.io-client@${SOCKET_IO_CLIENT_VERSION}" >/dev/null \
  && tar xzf socket.io-client-*.tgz)
target=static/vendor/socket.io
mkdir -p "$target"
cp "$work/socket.io/package/dist/socket.io.min.js" "$target/socket.io.min.js"
cp "$work/socket.io/package/LICENSE" "$target/LICENSE"
echo "socket.io-client ${SOCKET_IO_CLIENT_VERSION} (MIT), from the npm registry" > "$target/VERSION"
echo "vendored socket.io-client ${SOCKET_IO_CLIENT_VERSION} into $target"

# The PDF report embeds DejaVu Sans: it has every accented letter of Italian
# and the other Latin languages. Only the two faces the report uses are kept.
mkdir "$work/dejavu"
(cd "$work/dejavu" && npm pack --silent "dejavu-fonts-ttf@${DEJAVU_FONTS_VERSION}" >/dev/null \
  && tar xzf dejavu-fonts-ttf-*.tgz)
target=workshop/exports/fonts
mkdir -p "$target"
cp "$work/dejavu/package/ttf/DejaVuSans.ttf" "$work/dejavu/package/ttf/DejaVuSans-Bold.ttf" "$target/"
cp "$work/dejavu/package/LICENSE" "$target/LICENSE"
echo "dejavu-fonts-ttf ${DEJAVU_FONTS_VERSION} (Bitstream Vera licence, DejaVu changes public domain)," \
  "from the npm registry" > "$target/VERSION"
echo "vendored DejaVu Sans ${DEJAVU_FONTS_VERSION} into $target"

# axe-core checks accessibility inside the browser tests (not served by the app).
mkdir "$work/axe"
(cd "$work/axe" && npm pack --silent "axe-core@${AXE_CORE_VERSION}" >/dev/null && tar xzf axe-core-*.tgz)
target=tests/browser/vendor/axe-core
mkdir -p "$target"
cp "$work/axe/package/axe.min.js" "$work/axe/package/LICENSE" "$target/"
echo "axe-core ${AXE_CORE_VERSION} (MPL-2.0), from the npm registry" > "$target/VERSION"
echo "vendored axe-core ${AXE_CORE_VERSION} into $target"
