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

import jsonschema

from tierguard.files import load_json_object
from tierguard.model import ENFORCEMENT_LEVELS, InputError
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
        """Per policy name, the enforcement level and properties the pack would be configured with."""
        packs = list(packs)
        known = {p.name for pack in packs for p in pack.policies}
        unknown = [k for k in self.entries if k != "all" and k not in known]
        if unknown:
            raise InputError(self.source, f"no policy named {unknown[0]!r} in the packs being run")
        all_level = self._level("all", self.entries.get("all"))
        out: dict[str, PolicyConfig] = {}
        for pack in packs:
            for policy in pack.policies:
                rule = rule_of(policy)
                level = rule.enforcement
                if all_level is not None:
                    level = all_level
                entry = self.entries.get(policy.name)
                props: dict[str, Any] = {}
                if isinstance(entry, dict):
                    props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
                    entry_level = self._level(policy.name, entry.get("enforcementLevel"))
                else:
                    entry_level = self._level(policy.name, entry)
                if entry_level is not None:
                    level = entry_level
                merged = {**rule.defaults(), **props}
                self._validate(policy.name, rule.config, merged, policy)
                out[policy.name] = PolicyConfig(level, merged)
        return out

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

    def _validate(
        self, name: str, properties: Mapping[str, Any], values: dict[str, Any], policy: Any
    ) -> None:
        schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
        required = getattr(getattr(policy, "config_schema", None), "required", None)
        if required:
            schema["required"] = list(required)
        if not properties and values:
            raise InputError(self.source, f"{name}: the policy takes no configuration, got {sorted(values)}")
        validator = jsonschema.Draft7Validator(schema)
        errors = sorted(validator.iter_errors(values), key=lambda e: list(e.path))
        if errors:
            err = errors[0]
            where = ".".join(str(p) for p in err.path) or "(config)"
            raise InputError(self.source, f"{name}: {where}: {err.message}")
