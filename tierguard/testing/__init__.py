"""Builders for tests of policies, for teams' own tests: the public name of
:mod:`tierguard.integrations.testing` (a resource in wire form, a stack, the findings of a pack)."""

from tierguard.integrations.testing import UNKNOWN, findings, resource, run, stack, urn

__all__ = ["UNKNOWN", "findings", "resource", "run", "stack", "urn"]
