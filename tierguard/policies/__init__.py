"""Policies: pulumi-policy ``ResourceValidationPolicy``/``StackValidationPolicy`` objects, each a
small function over a catalog with its metadata (:class:`~tierguard.policies.base.Rule`) beside it.

Takes in the model and the catalogs. Hands on packs (:mod:`~tierguard.policies.packs`: the registry
of built-in packs and the modules that hold their policies) to the evaluator and to the CrossGuard
server, with the exemptions they honour (:mod:`~tierguard.policies.exemptions`) and the stack context
they read them from (:mod:`~tierguard.policies.stackcontext`).
"""
