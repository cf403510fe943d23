// tierguard-expect: gcp-no-basic-roles
// tierguard-expect: gcp-no-privileged-service-accounts
//
// The TypeScript version of ../ci-editor-role. The deploy pipeline failed on a missing permission, so
// someone gave its service account Editor: roles/editor at project scope lets the CI identity change
// (almost) everything in the project, including resources other tiers own; a leaked CI token
// becomes a project takeover. Grant the narrow roles the tier needs instead.
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

const project = new pulumi.Config("gcp").require("project");

const ci = new gcp.serviceaccount.Account("deployer-ci", {
    accountId: "deployer-ci",
    displayName: "CI/CD deployer",
});

new gcp.projects.IAMMember("deployer-ci-editor", {
    project,
    role: "roles/editor",
    member: pulumi.interpolate`serviceAccount:${ci.email}`,
});
