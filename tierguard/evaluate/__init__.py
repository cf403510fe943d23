"""Evaluation: packs run over stacks in-process, with the semantics of the CLI's analyzer.

Takes in ``Stack`` records (from :mod:`tierguard.readers`), packs (built-in from
:mod:`tierguard.policies.packs`, or a user's own loaded by :mod:`~tierguard.evaluate.userpack`) and
their config (:mod:`tierguard.crossguard.packconfig`). Hands on one ``Result`` per stack and pack
(:mod:`~tierguard.evaluate.evaluator`) to the reporters.
"""
