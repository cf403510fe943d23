// tierguard-expect: no-datastore-in-app-tier
//
// The TypeScript version of ../database-in-app-stack. The shop team needs a table for carts and adds
// "just a small database" to its own app stack: the database now lives and dies with the
// application's deploys, is administered by the app CI identity, and its deletion shows up in a plan
// nobody on the database team reviews. (It is even protected against deletion: the tier is wrong,
// not the settings.) Datastores belong in the infra stack; the app reads their connection details
// through a StackReference or its config (../../compliant/ts-database-in-app-stack).
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";

const region = new pulumi.Config("gcp").require("region");

const carts = new gcp.sql.DatabaseInstance("carts", {
    region,
    databaseVersion: "POSTGRES_16",
    settings: {
        edition: "ENTERPRISE",
        tier: "db-custom-1-3840",
        deletionProtectionEnabled: true,
        backupConfiguration: { enabled: true },
    },
}, { protect: true });
new gcp.sql.Database("carts-db", { instance: carts.name, name: "carts" }, { protect: true });

new k8s.apps.v1.Deployment("shop", {
    metadata: { name: "shop", namespace: "shop" },
    spec: {
        replicas: 2,
        selector: { matchLabels: { app: "shop" } },
        template: {
            metadata: { labels: { app: "shop" } },
            spec: {
                containers: [{
                    name: "shop",
                    image: "us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0",
                    env: [{ name: "CARTS_DB", value: carts.connectionName }],
                }],
            },
        },
    },
});
