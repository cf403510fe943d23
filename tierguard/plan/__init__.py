"""The plan guard: what ``pulumi preview`` will *do*, which CrossGuard policies cannot see.

The guard judges :class:`tierguard.model.steps.Step` lists (one logical change per resource, folded
by the readers). Rules live in :mod:`tierguard.plan.rules`, thresholds in
:mod:`tierguard.plan.config`, the reviewer's summary in :mod:`tierguard.plan.summary`.
"""
