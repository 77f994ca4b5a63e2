#!/usr/bin/env bash
# Copies the browser build of oidc-client-ts (from tools/oidc/node_modules, `npm ci` first) into
# services/runtime/web_static/, where every page-serving service serves it (no CDN), with its licence.
set -euo pipefail
cd "$(dirname "$0")"
SRC=node_modules/oidc-client-ts
DEST=../../services/runtime/web_static
V=$(node -p "require('./$SRC/package.json').version")
{
    echo "/*! oidc-client-ts $V (https://github.com/authts/oidc-client-ts), Apache-2.0: see oidc-client-ts.LICENSE. Vendored unchanged from dist/browser/oidc-client-ts.min.js by tools/oidc/vendor.sh (the source map comment dropped). */"
    sed '/^\/\/# sourceMappingURL=/d' "$SRC/dist/browser/oidc-client-ts.min.js"
} > "$DEST/oidc-client-ts.min.js"
cp "$SRC/LICENSE" "$DEST/oidc-client-ts.LICENSE"
echo "vendored oidc-client-ts $V into $DEST"
