# tierguard-expect: storage-deletion-guards
"""Deletion protection was switched off to let a migration recreate the instance, and never back on.

With `deletion_protection=False`, no `settings.deletion_protection_enabled` and no `protect`
option, a change that forces replacement (a new name, a different region) deletes the orders
database and its automated backups.
"""

import pulumi
import pulumi_gcp as gcp

region = pulumi.Config("gcp").require("region")

orders = gcp.sql.DatabaseInstance(
    "orders",
    name="orders-pg",
    region=region,
    database_version="POSTGRES_16",
    deletion_protection=False,
    settings=gcp.sql.DatabaseInstanceSettingsArgs(
        edition="ENTERPRISE",
        tier="db-custom-2-7680",
        availability_type="REGIONAL",
        backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
            enabled=True, point_in_time_recovery_enabled=True
        ),
    ),
)
gcp.sql.Database("orders", instance=orders.name, name="orders")
