"""The CrossGuard protocol: tierguard's packs as the Pulumi CLI and Pulumi Cloud run them.

Takes in the policies (:mod:`tierguard.policies`) and the model. Hands on the pack served to the
CLI over gRPC (:mod:`~tierguard.crossguard.serve`), a self-contained pack directory for ``pulumi
policy publish`` (:mod:`~tierguard.crossguard.packbuild`), ``--policy-pack-config`` files read
(:mod:`~tierguard.crossguard.packconfig`) and written (:mod:`~tierguard.crossguard.policyconfig_export`)
as the CLI reconciles them, what the engine hands a pack of a resource
(:mod:`~tierguard.crossguard.analyzer_view`), and a driver that talks to any pack as the CLI does
(:mod:`~tierguard.crossguard.analyzer_host`).
"""
