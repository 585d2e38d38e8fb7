#!/usr/bin/env bash
# Refresh the vendored front-end libraries from the npm registry, at the
# pinned versions below. The app serves them itself: halls are often offline.
set -euo pipefail
SOCKET_IO_CLIENT_VERSION=4.8.4

cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "socket.io-client@${SOCKET_IO_CLIENT_VERSION}" >/dev/null && tar xzf socket.io-client-*.tgz)
target=static/vendor/socket.io
mkdir -p "$target"
cp "$work/package/dist/socket.io.min.js" "$target/socket.io.min.js"
cp "$work/package/LICENSE" "$target/LICENSE"
echo "socket.io-client ${SOCKET_IO_CLIENT_VERSION} (MIT), from the npm registry" > "$target/VERSION"
echo "vendored socket.io-client ${SOCKET_IO_CLIENT_VERSION} into $target"
