"""Real virtual environments for the tests, made in a fraction of a second (no pip, no download)."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])


def make_venv(path: Path, *, exclude: tuple[str, ...] | None = (), link: bool = True) -> Path:
    """A real virtual environment, made fast: no pip, and the running interpreter's packages made
    visible through a .pth file (``exclude`` leaves some out, as a venv missing a dependency)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    if not link:
        return python
    source = SITE_PACKAGES
    if exclude:
        source = path / "borrowed"
        source.mkdir()
        for entry in SITE_PACKAGES.iterdir():
            if not entry.name.startswith(exclude):
                (source / entry.name).symlink_to(entry)
    (site / "_borrowed.pth").write_text(f"import site; site.addsitedir({str(source)!r})\n")
    return python
