"""Plan-guard fixture: a compact infra stack whose stack config drives the changes the e2e tests make.

- ``withDatabase: false`` removes the protected Cloud SQL instance (and its user) from the program;
- ``mediaLocation`` changes the protected bucket's location, a property that forces a replacement;
- ``exportsName`` renames the exports bucket's logical name (no alias);
- ``team`` changes a label only (an innocuous update).
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

config = pulumi.Config()
gcp_config = pulumi.Config("gcp")
project = gcp_config.require("project")
region = gcp_config.require("region")
protected = pulumi.ResourceOptions(protect=True)

network = gcp.compute.Network("vpc", project=project, name="orders-vpc", auto_create_subnetworks=False)

if config.get_bool("withDatabase") is not False:
    instance = gcp.sql.DatabaseInstance(
        "orders-db",
        project=project,
        name="orders-pg",
        region=region,
        database_version="POSTGRES_16",
        deletion_protection=True,
        settings=gcp.sql.DatabaseInstanceSettingsArgs(
            edition="ENTERPRISE",
            tier="db-custom-1-3840",
            deletion_protection_enabled=True,
            retain_backups_on_delete=True,
            backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                enabled=True, point_in_time_recovery_enabled=True
            ),
            ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                ipv4_enabled=False, private_network=network.id, ssl_mode="ENCRYPTED_ONLY"
            ),
        ),
        opts=protected,
    )
    gcp.sql.User(
        "orders-app",
        project=project,
        instance=instance.name,
        name="orders-app",
        password=config.require_secret("dbPassword"),
        deletion_policy="ABANDON",
    )


def bucket(logical: str, name: str, location: str, opts: pulumi.ResourceOptions | None = None):
    return gcp.storage.Bucket(
        logical,
        project=project,
        name=name,
        location=location,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=True),
        soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(retention_duration_seconds=7 * 24 * 3600),
        force_destroy=False,
        labels={"team": config.get("team") or "orders"},
        opts=opts,
    )


media = bucket("media", f"{project}-orders-media", config.get("mediaLocation") or "EUROPE-WEST1", protected)
exports = bucket(config.get("exportsName") or "exports", f"{project}-orders-exports", "EUROPE-WEST1")

pulumi.export("mediaBucket", media.name)
