"""Serves the least-privilege-iam pack to the Pulumi CLI; the policies live in the tierguard library."""
import sys
from pathlib import Path

try:
    import tierguard  # noqa: F401  (installed, or vendored by `tierguard pack build`)
except ImportError:  # running from a checkout: use the library two levels up
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tierguard.crossguard.serve import serve

serve("least-privilege-iam")
