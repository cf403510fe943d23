"""Paths of the Pulumi CLI fixtures (genuine and derived; see fixtures/SOURCES.md), shared by tests."""

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "pulumi-json"
PITFALL = FIXTURES / "pitfall_preview.json"
CREATES = FIXTURES / "stratify_sample-preview-creates.json"
UPDATE = FIXTURES / "stratify_sample-preview-update.json"
EXPORT = FIXTURES / "pulumi-gcp_storage-bucket_stack-export.json"
EVENTS = FIXTURES / "pulumi_webserver-userdata_event-log.jsonl"
PROTECTED = FIXTURES / "derived_gcp-protected-delete_preview.json"
REPLACE = FIXTURES / "derived_gcp-bucket-replace_preview.json"
REPLACE_STEPS = FIXTURES / "derived_gcp-bucket-replace-steps_preview.json"
LARGE = FIXTURES / "derived_gcp-large_preview.json"
K8S_EVENTS = FIXTURES / "derived_k8s-pvc-delete_event-log.jsonl"
