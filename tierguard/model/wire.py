"""The analyzer wire form of property values: unknown sentinels and secret envelopes.

These constants are the ones the Pulumi engine and ``pulumi_policy`` agree on; they are repeated
here (not imported) so that readers work without importing the policy SDK.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWNS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        UNKNOWN_STRING,
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)

# What the CLI prints in place of a secret in `pulumi preview --json` and `stack export`.
SECRET_PLACEHOLDER = "[secret]"


def secret(value: Any) -> dict[str, Any]:
    """Wrap a value as the engine marks a secret."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWNS


def secret_strings(value: Any, inside: bool = False) -> Iterator[str]:
    """Every string (and number, as text) that sits inside a secret envelope, for redaction."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            yield from secret_strings(value.get("value"), True)
            return
        for v in value.values():
            yield from secret_strings(v, inside)
    elif isinstance(value, list):
        for v in value:
            yield from secret_strings(v, inside)
    elif inside and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
        if text and text != SECRET_PLACEHOLDER:
            yield text


def redact(message: str, secrets: set[str]) -> str:
    """Replace every secret plaintext in a message by ``[secret]`` (longest first)."""
    for text in sorted(secrets, key=len, reverse=True):
        if len(text) >= 3 and text in message:
            message = message.replace(text, SECRET_PLACEHOLDER)
    return message


def from_cli_json(value: Any) -> Any:
    """Turn a value as the CLI prints it (``"[secret]"`` placeholders) into the wire form.

    The CLI has already hidden the plaintext; we keep the envelope so policies and reports know
    the value is a secret, with the placeholder as its (harmless) content.
    """
    if value == SECRET_PLACEHOLDER:
        return secret(SECRET_PLACEHOLDER)
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            # `stack export` keeps secrets encrypted as {"sig": ..., "ciphertext": ...}
            return secret(SECRET_PLACEHOLDER)
        return {k: from_cli_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_cli_json(v) for v in value]
    return value
