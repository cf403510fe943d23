// The shop's order worker, written in TypeScript, in the namespace the (Python) infra stack made for
// the shop, with the Google identity the (Python) identity stack bound for it. Like the Python app
// stack beside those (reference_stacks/gcp/app) it holds nothing but the workload.
//
//     tierguard check reference_stacks/gcp/identity reference_stacks/gcp/infra examples/mixed/shop-worker-app
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

const config = new pulumi.Config();
const org = config.require("org");
const app = "shop";
const infra = new pulumi.StackReference("infra", { name: `${org}/tierguard-infra/${pulumi.getStack()}` });
const identity = new pulumi.StackReference("identity", {
    name: `${org}/tierguard-identity/${pulumi.getStack()}`,
});

const namespace = infra.requireOutput("namespaces").apply((namespaces: Record<string, string>) => namespaces[app]);
const connectionName = infra.requireOutput("databaseConnectionName");
const databaseSecret = infra.requireOutput("databaseSecretName");
const googleServiceAccount = identity.requireOutput("appServiceAccounts")
    .apply((emails: Record<string, string>) => emails[app]);

const provider = new k8s.Provider("gke", { kubeconfig: infra.requireOutput("kubeconfig"), namespace });
const opts = { provider };

const labels = { "app.kubernetes.io/name": "order-worker", "app.kubernetes.io/part-of": app };
const lockedDown = {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

const serviceAccount = new k8s.core.v1.ServiceAccount("order-worker", {
    metadata: {
        name: "order-worker", namespace, labels,
        annotations: { "iam.gke.io/gcp-service-account": googleServiceAccount },
    },
    automountServiceAccountToken: false,
}, opts);

new k8s.apps.v1.Deployment("order-worker", {
    metadata: { name: "order-worker", namespace, labels },
    spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
            metadata: { labels },
            spec: {
                serviceAccountName: serviceAccount.metadata.name,
                automountServiceAccountToken: false,
                securityContext: {
                    runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532,
                    seccompProfile: { type: "RuntimeDefault" },
                },
                initContainers: [{
                    name: "cloud-sql-proxy",
                    image: "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
                    restartPolicy: "Always",
                    args: connectionName.apply((name: string) => [
                        "--private-ip", "--auto-iam-authn", "--structured-logs", "--port=5432", name,
                    ]),
                    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                    securityContext: lockedDown,
                }],
                containers: [{
                    name: "order-worker",
                    image: "us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0",
                    envFrom: [{ secretRef: { name: databaseSecret } }],
                    resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
                    securityContext: lockedDown,
                }],
            },
        },
    },
}, opts);
