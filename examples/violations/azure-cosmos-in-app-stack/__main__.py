# tierguard-expect: no-datastore-in-app-tier
"""The catalog service created its Cosmos DB account next to its container app.

A datastore in the app stack lives and dies with application deploys. It belongs in the infra stack
(with its delete lock); the app gets the endpoint through config or a StackReference (the compliant
twin).
"""

import pulumi_azure_native as azure

group = azure.resources.ResourceGroup("catalog", resource_group_name="rg-catalog")

db = azure.cosmosdb.DatabaseAccount(
    "catalog",
    resource_group_name=group.name,
    database_account_offer_type=azure.cosmosdb.DatabaseAccountOfferType.STANDARD,
    locations=[azure.cosmosdb.LocationArgs(location_name="westeurope", failover_priority=0)],
)

azure.app.ContainerApp(
    "catalog",
    resource_group_name=group.name,
    managed_environment_id="/subscriptions/s/resourceGroups/rg-platform/providers/Microsoft.App/managedEnvironments/apps",
    template=azure.app.TemplateArgs(
        containers=[
            azure.app.ContainerArgs(
                name="catalog",
                image="ghcr.io/acme/catalog:1.4.2",
                env=[azure.app.EnvironmentVarArgs(name="COSMOS_ENDPOINT", value=db.document_endpoint)],
            )
        ]
    ),
)
