"""Compliant twin of examples/violations/azure-cosmos-in-app-stack: the app stack holds the container
app; the Cosmos DB account is the infra stack's, its endpoint passed in by config."""

import pulumi
import pulumi_azure_native as azure

endpoint = pulumi.Config().require("cosmosEndpoint")

group = azure.resources.ResourceGroup("catalog", resource_group_name="rg-catalog")

azure.app.ContainerApp(
    "catalog",
    resource_group_name=group.name,
    managed_environment_id="/subscriptions/s/resourceGroups/rg-platform/providers/Microsoft.App/managedEnvironments/apps",
    template=azure.app.TemplateArgs(
        containers=[
            azure.app.ContainerArgs(
                name="catalog",
                image="ghcr.io/acme/catalog:1.4.2",
                env=[azure.app.EnvironmentVarArgs(name="COSMOS_ENDPOINT", value=endpoint)],
            )
        ]
    ),
)
