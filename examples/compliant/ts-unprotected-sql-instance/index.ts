// The provider flag, the API-side `settings.deletionProtectionEnabled` and the `protect` option.
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

const region = new pulumi.Config("gcp").require("region");

const orders = new gcp.sql.DatabaseInstance("orders", {
    name: "orders-pg",
    region,
    databaseVersion: "POSTGRES_16",
    deletionProtection: true,
    settings: {
        edition: "ENTERPRISE",
        tier: "db-custom-2-7680",
        availabilityType: "REGIONAL",
        deletionProtectionEnabled: true,
        backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
    },
}, { protect: true });
new gcp.sql.Database("orders-db", { instance: orders.name, name: "orders" }, { protect: true });
