"""Where a fixture program declares each resource: the line of the constructor call whose first
argument is the resource's name -- the line the engine's sourcePosition (and tierguard) reports."""

from __future__ import annotations

import ast
from pathlib import Path


def declaration_lines(path: Path) -> dict[str, int]:
    """Resource name -> the line its constructor call starts on (the call, not the name's line)."""
    out: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.args[0].value
            if isinstance(name, str):
                out.setdefault(name, node.lineno)
    return out
