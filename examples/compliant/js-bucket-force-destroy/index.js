// Objects are kept: no forceDestroy, versioning on, and the `protect` option on the bucket.
"use strict";
const pulumi = require("@pulumi/pulumi");
const gcp = require("@pulumi/gcp");

const project = new pulumi.Config("gcp").require("project");
const region = new pulumi.Config("gcp").require("region");

const media = new gcp.storage.Bucket("media", {
    name: `${project}-media`,
    location: region.toUpperCase(),
    uniformBucketLevelAccess: true,
    publicAccessPrevention: "enforced",
    versioning: { enabled: true },
}, { protect: true });

exports.bucketName = media.name;
