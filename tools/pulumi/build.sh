#!/usr/bin/env bash
# Build the pinned Pulumi CLI once into ${XDG_CACHE_HOME:-~/.cache}/tierguard/pulumi/<version>/bin
# (the `make pulumi-cli` target). A no-op when that cache is complete, or when a `pulumi` at a
# supported version is on PATH. Needs Go and the Go module proxy; prints how long the build took.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
version="$(sed -n 's#^\s*github.com/pulumi/pulumi/pkg/v3 \(v[^ ]*\).*#\1#p' "$here/go.mod")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tierguard/pulumi/$version"

found="$(cd "$here" && "$python" -c 'import pulumi_cli; p, why = pulumi_cli.find_cli(); print(why if p else "")')"
if [ -n "$found" ]; then
  echo "pulumi-cli: using $found"
  exit 0
fi
command -v go >/dev/null || { echo "pulumi-cli: Go is needed to build the Pulumi CLI ($version)" >&2; exit 2; }

echo "pulumi-cli: building pulumi $version into $cache (first time only; about 10-20 min on 2 cores)"
start=$(date +%s)
tmp="$cache.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp/bin"
(
  cd "$here"
  go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$tmp/bin/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  # The Python exec shim ships inside the sdk/v3 module; the language host runs it.
  sdk="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$tmp/bin/"
)
rm -rf "$cache" && mv "$tmp" "$cache"
secs=$(( $(date +%s) - start ))
echo "pulumi-cli: built $("$cache/bin/pulumi" version) in ${secs}s; cache $(du -sh "$cache" | cut -f1) at $cache"
