// Pushing images and deploying to Cloud Run needs two predefined roles, not Editor.
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

const project = new pulumi.Config("gcp").require("project");

const ci = new gcp.serviceaccount.Account("deployer-ci", {
    accountId: "deployer-ci",
    displayName: "CI/CD deployer",
});

for (const [name, role] of [["artifacts", "roles/artifactregistry.writer"], ["run", "roles/run.developer"]]) {
    new gcp.projects.IAMMember(`deployer-ci-${name}`, {
        project,
        role,
        member: pulumi.interpolate`serviceAccount:${ci.email}`,
    });
}
