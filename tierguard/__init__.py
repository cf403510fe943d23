"""tierguard: policy-as-code guardrails for three-tier Pulumi estates."""

__version__ = "0.1.0"
