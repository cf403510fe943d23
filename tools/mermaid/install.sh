#!/usr/bin/env bash
# Install the pinned Mermaid CLI (package.json, package-lock.json here) once into
# ${XDG_CACHE_HOME:-~/.cache}/tierguard/mermaid-cli/<version> (the `make mermaid-cli` target), for the
# test that renders the estate diagram. Puppeteer's own browser download is skipped (no such
# download works here): mmdc drives the system Chromium (the system's own package; this script installs
# nothing outside its cache). A no-op when the cache is complete and a browser is found.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's#.*"@mermaid-js/mermaid-cli": "\([^"]*\)".*#\1#p' "$here/package.json")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tierguard/mermaid-cli/$version"

browser() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }

if [ -z "$(browser)" ]; then
  echo "mermaid-cli: no Chromium found (install your system's chromium package); the render test will skip" >&2
fi

if [ -x "$cache/node_modules/.bin/mmdc" ] && cmp -s "$here/package-lock.json" "$cache/package-lock.json"; then
  echo "mermaid-cli: using $cache"
  exit 0
fi
command -v npm >/dev/null || { echo "mermaid-cli: npm is needed to install the Mermaid CLI ($version)" >&2; exit 2; }
echo "mermaid-cli: installing @mermaid-js/mermaid-cli $version into $cache"
tmp="$cache.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp"
cp "$here/package.json" "$here/package-lock.json" "$tmp/"
(cd "$tmp" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$cache" && mv "$tmp" "$cache"
echo "mermaid-cli: $("$cache/node_modules/.bin/mmdc" --version) at $cache"
