# tierguard-expect: no-datastore-in-app-tier
"""The shop team needs a table for carts and adds "just a small database" to its own app stack.

The database now lives and dies with the application's deploys, is administered by the app CI
identity, and its deletion shows up in a plan nobody on the database team reviews. Datastores
belong in the infra stack; the app reads their connection details through a StackReference.
"""

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

region = pulumi.Config("gcp").require("region")

carts = gcp.sql.DatabaseInstance(
    "carts",
    region=region,
    database_version="POSTGRES_16",
    settings=gcp.sql.DatabaseInstanceSettingsArgs(
        edition="ENTERPRISE",
        tier="db-custom-1-3840",
        backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(enabled=True),
    ),
)
gcp.sql.Database("carts", instance=carts.name, name="carts")

k8s.apps.v1.Deployment(
    "shop",
    metadata=k8s.meta.v1.ObjectMetaArgs(name="shop", namespace="shop"),
    spec=k8s.apps.v1.DeploymentSpecArgs(
        replicas=2,
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "shop"}),
        template=k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "shop"}),
            spec=k8s.core.v1.PodSpecArgs(
                containers=[
                    k8s.core.v1.ContainerArgs(
                        name="shop",
                        image="us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0",
                        env=[k8s.core.v1.EnvVarArgs(name="CARTS_DB", value=carts.connection_name)],
                    )
                ],
            ),
        ),
    ),
)
