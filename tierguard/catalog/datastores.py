"""What counts as a datastore: plain data behind ``no-datastore-in-app-tier`` (and the placement table).

Keys are Pulumi type tokens (``gcp:sql/databaseInstance:DatabaseInstance``) or ``fnmatch`` patterns
over them (``kubernetes:postgresql.cnpg.io/*:Cluster``); values are a short kind label for messages.
GCP tokens were checked against pulumi-gcp 10.2 (a test keeps them honest); other clouds' tokens
are there because the architecture names Aurora and Cosmos DB. Users add their own through the
policy's ``extraDatastoreTypes`` config and exempt types through ``allowedResources``.
"""

from __future__ import annotations

# Exact type tokens -> kind.
DATASTORE_TYPES: dict[str, str] = {
    # --- GCP (every token is checked against pulumi-gcp by the tier-boundaries tests) ---
    "gcp:sql/databaseInstance:DatabaseInstance": "Cloud SQL instance",
    "gcp:sql/database:Database": "Cloud SQL database",
    "gcp:sql/user:User": "Cloud SQL user",
    "gcp:spanner/instance:Instance": "Spanner instance",
    "gcp:spanner/database:Database": "Spanner database",
    "gcp:bigtable/instance:Instance": "Bigtable instance",
    "gcp:bigtable/table:Table": "Bigtable table",
    "gcp:redis/instance:Instance": "Memorystore for Redis instance",
    "gcp:redis/cluster:Cluster": "Memorystore for Redis Cluster",
    "gcp:memcache/instance:Instance": "Memorystore for Memcached instance",
    "gcp:memorystore/instance:Instance": "Memorystore for Valkey instance",
    "gcp:firestore/database:Database": "Firestore / Datastore database",
    "gcp:alloydb/cluster:Cluster": "AlloyDB cluster",
    "gcp:alloydb/instance:Instance": "AlloyDB instance",
    "gcp:bigquery/dataset:Dataset": "BigQuery dataset",
    "gcp:bigquery/table:Table": "BigQuery table",
    "gcp:storage/bucket:Bucket": "Cloud Storage bucket",
    "gcp:filestore/instance:Instance": "Filestore instance",
    # less obvious, yet all hold data that outlives a deployment:
    "gcp:netapp/volume:Volume": "NetApp volume",
    "gcp:compute/disk:Disk": "persistent disk",
    "gcp:compute/regionDisk:RegionDisk": "regional persistent disk",
    "gcp:firebase/databaseInstance:DatabaseInstance": "Firebase Realtime Database",
    "gcp:dataproc/metastoreService:MetastoreService": "Dataproc Metastore",
    "gcp:managedkafka/cluster:Cluster": "Managed Kafka cluster",
    "gcp:healthcare/dataset:Dataset": "Healthcare dataset",
    "gcp:parallelstore/instance:Instance": "Parallelstore instance",
    # --- AWS (tokens checked against pulumi-aws 7.51.1: tests/test_sdk_tokens.py) ---
    "aws:rds/cluster:Cluster": "RDS / Aurora cluster",
    "aws:rds/clusterInstance:ClusterInstance": "Aurora cluster instance",
    "aws:rds/instance:Instance": "RDS instance",
    "aws:rds/globalCluster:GlobalCluster": "Aurora global cluster",
    "aws:dsql/cluster:Cluster": "Aurora DSQL cluster",
    "aws:dynamodb/table:Table": "DynamoDB table",
    "aws:docdb/cluster:Cluster": "DocumentDB cluster",
    "aws:docdb/clusterInstance:ClusterInstance": "DocumentDB instance",
    "aws:docdb/elasticCluster:ElasticCluster": "DocumentDB elastic cluster",
    "aws:neptune/cluster:Cluster": "Neptune cluster",
    "aws:neptune/clusterInstance:ClusterInstance": "Neptune instance",
    "aws:redshift/cluster:Cluster": "Redshift cluster",
    "aws:redshiftserverless/namespace:Namespace": "Redshift Serverless namespace",
    "aws:elasticache/cluster:Cluster": "ElastiCache cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache replication group",
    "aws:elasticache/serverlessCache:ServerlessCache": "ElastiCache serverless cache",
    "aws:memorydb/cluster:Cluster": "MemoryDB cluster",
    "aws:dax/cluster:Cluster": "DynamoDB Accelerator cluster",
    "aws:keyspaces/keyspace:Keyspace": "Keyspaces keyspace",
    "aws:keyspaces/table:Table": "Keyspaces table",
    "aws:timestreamwrite/database:Database": "Timestream database",
    "aws:qldb/ledger:Ledger": "QLDB ledger",
    "aws:opensearch/domain:Domain": "OpenSearch domain",
    "aws:elasticsearch/domain:Domain": "Elasticsearch domain",
    "aws:msk/cluster:Cluster": "MSK (Kafka) cluster",
    "aws:msk/serverlessCluster:ServerlessCluster": "MSK Serverless cluster",
    "aws:mq/broker:Broker": "Amazon MQ broker",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:s3/bucketV2:BucketV2": "S3 bucket",
    "aws:s3tables/tableBucket:TableBucket": "S3 table bucket",
    "aws:efs/fileSystem:FileSystem": "EFS file system",
    "aws:fsx/lustreFileSystem:LustreFileSystem": "FSx for Lustre file system",
    "aws:fsx/ontapFileSystem:OntapFileSystem": "FSx for ONTAP file system",
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": "FSx for OpenZFS file system",
    "aws:fsx/windowsFileSystem:WindowsFileSystem": "FSx for Windows file system",
    "aws:ebs/volume:Volume": "EBS volume",
    "aws:backup/vault:Vault": "Backup vault",
    "aws:glacier/vault:Vault": "S3 Glacier vault",
    # --- Azure native (pulumi-azure-native 3.29.0: `dbforpostgresql:Server` / `dbformysql:Server` are
    # the flexible servers, `SingleServer` the retired single servers; Redis is `redis:Redis`) ---
    "azure-native:cosmosdb:DatabaseAccount": "Cosmos DB account",
    "azure-native:cosmosdb:MongoCluster": "Cosmos DB for MongoDB (vCore) cluster",
    "azure-native:sql:Server": "Azure SQL server",
    "azure-native:sql:Database": "Azure SQL database",
    "azure-native:sql:ManagedInstance": "Azure SQL Managed Instance",
    "azure-native:dbforpostgresql:Server": "Azure Database for PostgreSQL flexible server",
    "azure-native:dbforpostgresql:SingleServer": "Azure Database for PostgreSQL single server",
    "azure-native:dbforpostgresql:ServerGroupCluster": "Azure Cosmos DB for PostgreSQL cluster",
    "azure-native:dbformysql:Server": "Azure Database for MySQL flexible server",
    "azure-native:dbformysql:SingleServer": "Azure Database for MySQL single server",
    "azure-native:redis:Redis": "Azure Cache for Redis",
    "azure-native:redisenterprise:RedisEnterprise": "Azure Managed Redis / Redis Enterprise",
    "azure-native:storage:StorageAccount": "Azure storage account",
    "azure-native:storage:BlobContainer": "Azure blob container",
    "azure-native:storage:FileShare": "Azure file share",
    "azure-native:kusto:Cluster": "Azure Data Explorer cluster",
    # --- Azure classic (pulumi-azure 6.40.1) ---
    "azure:cosmosdb/account:Account": "Cosmos DB account",
    "azure:cosmosdb/postgresqlCluster:PostgresqlCluster": "Azure Cosmos DB for PostgreSQL cluster",
    "azure:mongocluster/mongoCluster:MongoCluster": "Cosmos DB for MongoDB (vCore) cluster",
    "azure:mssql/server:Server": "Azure SQL server",
    "azure:mssql/database:Database": "Azure SQL database",
    "azure:mssql/managedInstance:ManagedInstance": "Azure SQL Managed Instance",
    "azure:postgresql/flexibleServer:FlexibleServer": "Azure Database for PostgreSQL flexible server",
    "azure:mysql/flexibleServer:FlexibleServer": "Azure Database for MySQL flexible server",
    "azure:redis/cache:Cache": "Azure Cache for Redis",
    "azure:managedredis/managedRedis:ManagedRedis": "Azure Managed Redis",
    "azure:storage/account:Account": "Azure storage account",
    # --- Kubernetes (in-cluster; StatefulSets and Helm are judged by their properties, below) ---
    "kubernetes:core/v1:PersistentVolumeClaim": "persistent volume claim",
}

# fnmatch patterns -> kind, tried in order after the exact table.
DATASTORE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("gcp:oracledatabase/*", "Oracle Database@Google Cloud"),
    # Database operators' custom resources (kubernetes:<group>/<version>:<Kind>).
    ("kubernetes:postgresql.cnpg.io/*:Cluster", "CloudNativePG cluster"),
    ("kubernetes:acid.zalan.do/*:postgresql", "Zalando Postgres cluster"),
    ("kubernetes:postgres-operator.crunchydata.com/*:PostgresCluster", "Crunchy Postgres cluster"),
    ("kubernetes:mysql.oracle.com/*:InnoDBCluster", "MySQL InnoDB cluster"),
    ("kubernetes:pxc.percona.com/*:PerconaXtraDBCluster", "Percona XtraDB cluster"),
    ("kubernetes:ps.percona.com/*:PerconaServerMySQL", "Percona Server for MySQL"),
    ("kubernetes:psmdb.percona.com/*:PerconaServerMongoDB", "Percona Server for MongoDB"),
    ("kubernetes:pgv2.percona.com/*:PerconaPGCluster", "Percona PostgreSQL cluster"),
    ("kubernetes:mongodbcommunity.mongodb.com/*:MongoDBCommunity", "MongoDB"),
    ("kubernetes:mongodb.com/*:MongoDB*", "MongoDB"),
    ("kubernetes:k8s.mariadb.com/*:MariaDB", "MariaDB"),
    ("kubernetes:mariadb.mmontes.io/*:MariaDB", "MariaDB"),
    ("kubernetes:redis.redis.opstreelabs.in/*:Redis*", "Redis"),
    ("kubernetes:databases.spotahome.com/*:RedisFailover", "Redis"),
    ("kubernetes:elasticsearch.k8s.elastic.co/*:Elasticsearch", "Elasticsearch"),
    ("kubernetes:opensearch.opster.io/*:OpenSearchCluster", "OpenSearch"),
    ("kubernetes:cassandra.datastax.com/*:CassandraDatacenter", "Cassandra"),
    ("kubernetes:k8ssandra.io/*:K8ssandraCluster", "Cassandra"),
    ("kubernetes:scylla.scylladb.com/*:ScyllaCluster", "ScyllaDB"),
    ("kubernetes:pingcap.com/*:TidbCluster", "TiDB"),
    ("kubernetes:clickhouse.altinity.com/*:ClickHouseInstallation", "ClickHouse"),
    ("kubernetes:crdb.cockroachlabs.com/*:CrdbCluster", "CockroachDB"),
    ("kubernetes:minio.min.io/*:Tenant", "MinIO object store"),
    ("kubernetes:kafka.strimzi.io/*:Kafka", "Kafka"),
    ("kubernetes:rabbitmq.com/*:RabbitmqCluster", "RabbitMQ"),
    ("kubernetes:sql.cnrm.cloud.google.com/*:SQLInstance", "Cloud SQL instance (Config Connector)"),
    ("kubernetes:redis.cnrm.cloud.google.com/*:RedisInstance", "Memorystore instance (Config Connector)"),
    ("kubernetes:storage.cnrm.cloud.google.com/*:StorageBucket", "Cloud Storage bucket (Config Connector)"),
)

# A StatefulSet is a datastore when it claims volumes of its own.
STATEFULSET_TYPES: tuple[str, ...] = (
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1beta2:StatefulSet",
    "kubernetes:apps/v1beta1:StatefulSet",
)
STATEFULSET_CLAIMS_PATH = "spec.volumeClaimTemplates"

# Helm: v3 Release and v4 Chart carry `chart` and `repositoryOpts.repo`; the v3 Chart component
# registers no inputs (its children -- StatefulSets, PVCs -- are judged instead).
HELM_TYPES: tuple[str, ...] = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")

# Chart names (the last path segment of `chart`, e.g. "bitnami/postgresql", "oci://.../postgresql").
HELM_DATABASE_CHARTS: tuple[str, ...] = (
    "postgresql", "postgresql-ha", "postgres", "timescaledb-single", "timescaledb-multinode",
    "mysql", "mysql-innodbcluster", "mariadb", "mariadb-galera", "percona-xtradb-cluster",
    "redis", "redis-cluster", "redis-ha", "valkey", "valkey-cluster", "keydb", "dragonfly",
    "memcached", "mongodb", "mongodb-sharded", "cassandra", "scylla",
    "elasticsearch", "opensearch", "etcd", "couchdb", "couchbase", "influxdb", "influxdb2",
    "clickhouse", "neo4j", "cockroachdb", "tidb-cluster", "minio", "rabbitmq", "kafka",
    "zookeeper", "qdrant", "weaviate", "milvus", "meilisearch",
)

# Repositories whose charts of these names are database clusters though the name is generic
# (repository URL substring -> chart names).
HELM_DATABASE_REPOS: dict[str, tuple[str, ...]] = {
    "cloudnative-pg.github.io/charts": ("cluster",),
    "charts.crunchydata.com": ("postgres", "postgrescluster"),
    "percona.github.io/percona-helm-charts": ("pxc-db", "psmdb-db", "pg-db", "ps-db"),
    "mariadb-operator.github.io/mariadb-operator": ("mariadb-cluster",),
    "helm.elastic.co": ("eck-elasticsearch", "eck-stack"),
}

# -- Application charts that bundle a database ----------------------------------------------------
# Popular application charts install a database (or cache, broker, search cluster) as a subchart
# unless their values turn it off: a release of one in an app stack brings a datastore along. Chart
# name -> the bundled stores, each (values path, the value that means "not installed", what it is).
# The default of every key listed is "installed". Values are read from the release's `values`;
# values files (`valueYamlFiles`) are not read, so a store is only off when `values` says so.
BundledStore = tuple[tuple[str, ...], object, str]

_OFF = False  # `<subchart>.enabled: false` -- a string "false" is truthy in a Helm template


def _enabled(subchart: str, label: str) -> BundledStore:
    return ((subchart, "enabled"), _OFF, label)


HELM_BUNDLED_DATABASES: dict[str, tuple[BundledStore, ...]] = {
    # Bitnami application charts: the database subchart is on by default.
    "wordpress": (_enabled("mariadb", "MariaDB"),),
    "drupal": (_enabled("mariadb", "MariaDB"),),
    "joomla": (_enabled("mariadb", "MariaDB"),),
    "matomo": (_enabled("mariadb", "MariaDB"),),
    "moodle": (_enabled("mariadb", "MariaDB"),),
    "mediawiki": (_enabled("mariadb", "MariaDB"),),
    "prestashop": (_enabled("mariadb", "MariaDB"),),
    "opencart": (_enabled("mariadb", "MariaDB"),),
    "phpbb": (_enabled("mariadb", "MariaDB"),),
    "suitecrm": (_enabled("mariadb", "MariaDB"),),
    "redmine": (_enabled("mariadb", "MariaDB"),),
    "magento": (_enabled("mariadb", "MariaDB"), _enabled("elasticsearch", "Elasticsearch")),
    "ghost": (_enabled("mysql", "MySQL"),),
    "odoo": (_enabled("postgresql", "PostgreSQL"),),
    "keycloak": (_enabled("postgresql", "PostgreSQL"),),
    "discourse": (_enabled("postgresql", "PostgreSQL"), _enabled("redis", "Redis")),
    "mastodon": (
        _enabled("postgresql", "PostgreSQL"), _enabled("redis", "Redis"),
        _enabled("elasticsearch", "Elasticsearch"), _enabled("minio", "MinIO"),
    ),
    # Project charts.
    "airflow": (_enabled("postgresql", "PostgreSQL"), _enabled("redis", "Redis")),
    "superset": (_enabled("postgresql", "PostgreSQL"), _enabled("redis", "Redis")),
    "mattermost-team-edition": (_enabled("mysql", "MySQL"),),
    "rocketchat": (_enabled("mongodb", "MongoDB"),),
    "sentry": (
        _enabled("postgresql", "PostgreSQL"), _enabled("redis", "Redis"),
        _enabled("kafka", "Kafka"), _enabled("clickhouse", "ClickHouse"),
    ),
    "temporal": (_enabled("cassandra", "Cassandra"), _enabled("elasticsearch", "Elasticsearch")),
    "gitlab": (
        (("postgresql", "install"), _OFF, "PostgreSQL"),
        (("redis", "install"), _OFF, "Redis"),
    ),
    "harbor": (
        (("database", "type"), "external", "PostgreSQL"),
        (("redis", "type"), "external", "Redis"),
    ),
}


def catalog_json() -> dict[str, object]:
    """The tables as ``tierguard policies`` shows them."""
    return {
        "datastoreTypes": dict(DATASTORE_TYPES),
        "datastorePatterns": dict(DATASTORE_PATTERNS),
        "statefulSetTypes": {
            t: f"datastore when `{STATEFULSET_CLAIMS_PATH}` is non-empty" for t in STATEFULSET_TYPES
        },
        "helmTypes": list(HELM_TYPES),
        "helmDatabaseCharts": list(HELM_DATABASE_CHARTS),
        "helmDatabaseRepos": {k: list(v) for k, v in HELM_DATABASE_REPOS.items()},
        "helmBundledDatabases": {
            chart: {
                ".".join(path): {"notInstalledWhen": off, "installs": label} for path, off, label in stores
            }
            for chart, stores in HELM_BUNDLED_DATABASES.items()
        },
    }
