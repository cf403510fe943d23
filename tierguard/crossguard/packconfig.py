"""``--policy-pack-config`` files, read and reconciled the way the Pulumi CLI does.

The file is JSON: ``{"all": "advisory", "<policy>": "mandatory" | {"enforcementLevel": ..., <prop>: ...}}``.
For each policy the CLI starts from the policy's own enforcement level, applies ``all``, then the
policy's entry; it fills the schema's defaults into the properties and validates them against the
policy's config schema. tierguard accepts one file for all its packs: an entry applies to the pack
that has a policy of that name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierguard.model.files import load_json_object
from tierguard.model.records import ENFORCEMENT_LEVELS, InputError
from tierguard.policies.base import Pack, rule_of


@dataclass
class PolicyConfig:
    """The reconciled settings of one policy."""

    enforcement_level: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class PackConfig:
    """Raw entries from a config file (or built in code), before reconciliation."""

    entries: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    @classmethod
    def load(cls, path: str | Path | None) -> PackConfig:
        if path is None:
            return cls()
        data = load_json_object(path, "policy pack config (policy names to settings)")
        return cls(entries=data, source=str(path))

    def with_properties(self, policy_names: Iterable[str], props: Mapping[str, Any]) -> PackConfig:
        """A copy where ``props`` are set on each named policy (used by ``--tier``)."""
        entries = json.loads(json.dumps(self.entries))
        for name in policy_names:
            entry = entries.get(name)
            if isinstance(entry, str):
                entry = {"enforcementLevel": entry}
            entry = dict(entry or {})
            entry.update(props)
            entries[name] = entry
        return PackConfig(entries=entries, source=self.source)

    def reconcile(self, packs: Iterable[Pack]) -> dict[str, PolicyConfig]:
        """Per policy name, the enforcement level and properties the pack would be configured with:
        the CLI's ``ReconcilePolicyPackConfig`` for each pack -- schema defaults and each policy's
        level (else the pack's), then the pack's ``initial_config``, then this file (``all`` first) --
        and its validation, which lists EVERY error of every policy, sorted, in one line."""
        packs = list(packs)
        known = {p.name for pack in packs for p in pack.policies}
        unknown = [k for k in self.entries if k != "all" and k not in known]
        if unknown:
            raise InputError(self.source, f"no policy named {unknown[0]!r} in the packs being run")
        given = {k: self._entry(k, v) for k, v in self.entries.items()}
        everywhere = given.get("all")
        if everywhere is not None and not everywhere.enforcement_level and everywhere.properties:
            # the CLI passes `all` on to the pack as its own entry and refuses one without a level
            raise InputError(
                self.source,
                "all: settings under `all` need an `enforcementLevel` beside them "
                '(the Pulumi CLI refuses them otherwise: invalid enforcement level "")',
            )
        out: dict[str, PolicyConfig] = {}
        errors: list[str] = []
        for pack in packs:
            initial = {k: self._entry(k, v) for k, v in pack.initial_config.items()}
            result = _apply(_apply(_defaults(pack), initial), given)
            for policy in pack.policies:
                cfg = result[policy.name]
                errors.extend(_schema_errors(policy, cfg.properties))
                out[policy.name] = cfg
        if errors:
            raise InputError(self.source, "invalid policy config: " + "; ".join(sorted(errors)))
        return out

    def _entry(self, key: str, value: Any) -> PolicyConfig:
        """One config entry (a level, or an object with ``enforcementLevel`` and properties)."""
        if isinstance(value, dict):
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            return PolicyConfig(self._level(key, value.get("enforcementLevel")) or "", props)
        if hasattr(value, "value"):  # an EnforcementLevel in PolicyPack(initial_config=...)
            value = value.value
        if not isinstance(value, str):
            raise InputError(self.source, f"{key}: {value!r} is not a level or an object")
        return PolicyConfig(self._level(key, value) or "", {})

    def as_sent(self, packs: Iterable[Pack]) -> dict[str, PolicyConfig]:
        """What the CLI's ``Configure`` sends a pack: every policy's reconciled config, plus ``all``
        as an entry of its own (the CLI's ``applyConfig`` keeps it, properties included)."""
        return {**self.reconcile(packs), **self.everywhere()}

    def everywhere(self) -> dict[str, PolicyConfig]:
        """``{"all": ...}`` as the CLI's ``Configure`` sends it, when the file gives ``all`` a level
        (else nothing: the CLI sends no ``all`` then)."""
        everywhere = self.entries.get("all")
        level = self._level("all", everywhere)
        if level is None:
            return {}
        props = everywhere if isinstance(everywhere, dict) else {}
        return {"all": PolicyConfig(level, {k: v for k, v in props.items() if k != "enforcementLevel"})}

    def _level(self, key: str, value: Any) -> str | None:
        if isinstance(value, dict):
            value = value.get("enforcementLevel")
        if value is None:
            return None
        if value not in ENFORCEMENT_LEVELS:
            raise InputError(
                self.source,
                f"{key}: enforcementLevel {value!r} is not one of {', '.join(ENFORCEMENT_LEVELS)}",
            )
        return str(value)


def policy_level(pack: Pack, policy: Any) -> str:
    """A policy's own enforcement level, else its pack's (what GetAnalyzerInfo reports)."""
    level = getattr(policy, "enforcement_level", None)
    return level.value if level is not None else pack.enforcement_level


def _schema(policy: Any) -> tuple[dict[str, Any], list[str]]:
    schema = getattr(policy, "config_schema", None)
    if schema is None:
        return {}, []
    return dict(schema.properties or {}), list(schema.required or [])


def _defaults_of(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v["default"] for k, v in properties.items() if isinstance(v, dict) and "default" in v}


def _defaults(pack: Pack) -> dict[str, PolicyConfig]:
    """``createConfigWithDefaults``: each policy's level and its schema's defaults."""
    out = {}
    for policy in pack.policies:
        properties, _ = _schema(policy)
        defaults = json.loads(json.dumps(_defaults_of(properties)))
        out[policy.name] = PolicyConfig(policy_level(pack, policy), defaults)
    return out


def _apply(result: dict[str, PolicyConfig], given: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
    """``applyConfig``: ``all`` sets every level, then each entry its level and properties."""
    result = {k: PolicyConfig(v.enforcement_level, dict(v.properties)) for k, v in result.items()}
    everything = given.get("all")
    if everything is not None and everything.enforcement_level:
        for cfg in result.values():
            cfg.enforcement_level = everything.enforcement_level
    for name, cfg in given.items():
        if name == "all" or name not in result:
            continue  # the CLI sends entries for policies a pack lacks; they change nothing
        if cfg.enforcement_level:
            result[name].enforcement_level = cfg.enforcement_level
        result[name].properties.update(cfg.properties)
    return result


def _schema_errors(policy: Any, values: dict[str, Any]) -> list[str]:
    """Every JSON-schema error of one policy's config, as ``<policy>: <where>: <problem>``.

    One of tierguard's own policies left at its schema defaults has none (tests/test_packconfig
    checks every default against its schema), which spares most commands importing jsonschema."""
    properties, required = _schema(policy)
    if rule_of(policy).builtin and not required and values == _defaults_of(properties):
        return []
    import jsonschema

    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    validator = jsonschema.Draft7Validator(schema)
    out = []
    for err in validator.iter_errors(values):
        where = ".".join(str(p) for p in err.path)
        out.append(f"{policy.name}: {where}: {err.message}" if where else f"{policy.name}: {err.message}")
    return out
