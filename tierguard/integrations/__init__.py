"""Integrations: tierguard where teams already work.

The pre-commit hook (:mod:`~tierguard.integrations.precommit`, run by ``.pre-commit-hooks.yaml``:
staged files in, the projects they belong to handed to ``tierguard check``), the pytest plugin
(:mod:`~tierguard.integrations.pytest_plugin`, entry point ``pytest11``: a stack in, a ``Result`` to
assert on) and builders for tests of policies (:mod:`~tierguard.integrations.testing`, public as
:mod:`tierguard.testing`).
"""
