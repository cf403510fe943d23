// The database lives in the infra stack; the app stack only runs the workload and is handed the
// connection name through its config (or a StackReference to the infra stack's outputs).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

const cartsDb = new pulumi.Config().get("cartsDb") ?? "acme-shop-dev:europe-west1:carts";

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
                    env: [{ name: "CARTS_DB", value: cartsDb }],
                }],
            },
        },
    },
});
