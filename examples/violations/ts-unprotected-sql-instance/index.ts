// tierguard-expect: storage-deletion-guards
// tierguard-expect-advisory: storage-protect-option
//
// The TypeScript version of ../unprotected-sql-instance. Deletion protection was switched off to let a
// migration recreate the instance, and never back on: with `deletionProtection: false`, no
// `settings.deletionProtectionEnabled` and no `protect` option, a change that forces replacement (a
// new name, a different region) deletes the orders database and its automated backups.
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

const region = new pulumi.Config("gcp").require("region");

const orders = new gcp.sql.DatabaseInstance("orders", {
    name: "orders-pg",
    region,
    databaseVersion: "POSTGRES_16",
    deletionProtection: false,
    settings: {
        edition: "ENTERPRISE",
        tier: "db-custom-2-7680",
        availabilityType: "REGIONAL",
        backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
    },
});
new gcp.sql.Database("orders-db", { instance: orders.name, name: "orders" });
