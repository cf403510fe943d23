"""Generate the committed lists of type tokens and input properties of the cloud SDKs tierguard's
catalogs name (``tests/fixtures/sdk-tokens/<dist>-<version>.tsv``).

The SDKs are large (pulumi-aws, pulumi-azure-native, pulumi-azure), so the lists are read straight
from the pinned wheels -- downloaded with pip, never installed -- and committed; the tests check every
catalog token (and the top-level properties the rules read) against them. Rerun after changing a pin:

    make sdk-tokens        # or: python tools/sdk_tokens.py [--wheel-dir DIR]

Each line: ``<type token>\\t<comma-separated camelCase input properties>``, sorted.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "sdk-tokens"

# distribution -> pinned version (the README names the same versions)
PINS: dict[str, str] = {
    "pulumi-aws": "7.51.1",
    "pulumi-azure-native": "3.29.0",
    "pulumi-azure": "6.40.1",
}

_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'([a-z0-9-]+:[^']+)'")
_ARGS_CLASS = re.compile(r"^class (\w+)Args:\s*$", re.MULTILINE)
# A getter may carry more decorators (``@_utilities.deprecated(...)``) before its ``def``.
_GETTER = re.compile(r'@pulumi\.getter(?:\(name="(\w+)"\))?\s*\n(?:\s*@[^\n]*\n)*\s*def (\w+)\(self\)')


def _camel(snake: str) -> str:
    head, *rest = snake.rstrip("_").split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _args_properties(source: str) -> list[str]:
    """camelCase input names of the module's resource Args class (the first ``class XArgs:``)."""
    match = _ARGS_CLASS.search(source)
    if not match:
        return []
    end = source.find("\nclass ", match.end())
    block = source[match.end() : end if end >= 0 else len(source)]
    return sorted({name or _camel(py) for name, py in _GETTER.findall(block)})


def _tokens(sources: Iterable[tuple[str, Callable[[], str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, read in sorted(sources, key=lambda item: item[0]):
        if not name.endswith(".py") or "/_inputs" in name or "/outputs" in name:
            continue
        source = read()
        for token in _TOKEN.findall(source):
            out.setdefault(token, _args_properties(source))
    return out


def tokens_of(wheel: Path) -> dict[str, list[str]]:
    """Every resource type token the wheel registers, with its input property names."""
    with zipfile.ZipFile(wheel) as zf:
        return _tokens((n, lambda n=n: zf.read(n).decode("utf-8", "replace")) for n in zf.namelist())


def tokens_of_directory(package: Path) -> dict[str, list[str]]:
    """The same, read from an installed package directory (``.../site-packages/pulumi_aws``)."""
    root = package.parent
    return _tokens(
        (path.relative_to(root).as_posix(), lambda path=path: path.read_text("utf-8", "replace"))
        for path in package.rglob("*.py")
    )


def download(dist: str, version: str, directory: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "-d",
            str(directory),
            f"{dist}=={version}",
        ],
        check=True,
    )
    prefix = dist.replace("-", "_") + "-" + version
    return next(p for p in directory.glob("*.whl") if p.name.startswith(prefix))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel-dir", type=Path, help="where the wheels are (downloaded when absent)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.wheel_dir or Path(tmp)
        for dist, version in PINS.items():
            wheel = download(dist, version, directory)
            table = tokens_of(wheel)
            path = OUT / f"{dist}-{version}.tsv"
            path.write_text("".join(f"{t}\t{','.join(props)}\n" for t, props in sorted(table.items())))
            print(f"{path.relative_to(ROOT)}: {len(table)} types")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
