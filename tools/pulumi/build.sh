#!/usr/bin/env bash
# Build the pinned Pulumi CLI once into ${XDG_CACHE_HOME:-~/.cache}/tierguard/pulumi/<version>/bin
# (the `make pulumi-cli` target), with the real Pulumi YAML language host (pulumi-language-yaml,
# pinned below) beside it. A no-op when that cache is complete, or when a `pulumi` at a supported
# version with a YAML host is on PATH; when only the YAML host is missing, builds only that.
# Needs Go and the Go module proxy; prints how long each build took.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
version="$(sed -n 's#^\s*github.com/pulumi/pulumi/pkg/v3 \(v[^ ]*\).*#\1#p' "$here/go.mod")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tierguard/pulumi/$version"
yaml_version="$(cd "$here" && "$python" -c 'import pulumi_cli; print(pulumi_cli.YAML_HOST_VERSION)')"

build_yaml_host() {
  # pulumi-yaml's go.mod has no replace lines, so `go install module@version` builds it as released.
  echo "pulumi-cli: building pulumi-language-yaml $yaml_version into $1"
  local start=$(date +%s)
  GOBIN="$1" go install -trimpath -ldflags "-s -w" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$yaml_version"
  echo "pulumi-cli: built pulumi-language-yaml $yaml_version in $(( $(date +%s) - start ))s"
}

found="$(cd "$here" && "$python" -c 'import pulumi_cli; p, why = pulumi_cli.find_cli(); print(why if p else "")')"
if [ -n "$found" ]; then
  echo "pulumi-cli: using $found"
  exit 0
fi
command -v go >/dev/null || { echo "pulumi-cli: Go is needed to build the Pulumi CLI ($version)" >&2; exit 2; }

if [ -x "$cache/bin/pulumi" ] && [ -x "$cache/bin/pulumi-language-python-exec" ]; then
  # the CLI is built already: only its YAML host is missing
  build_yaml_host "$cache/bin"
  exit 0
fi

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
build_yaml_host "$tmp/bin"
rm -rf "$cache" && mv "$tmp" "$cache"
secs=$(( $(date +%s) - start ))
echo "pulumi-cli: built $("$cache/bin/pulumi" version) in ${secs}s; cache $(du -sh "$cache" | cut -f1) at $cache"
