/* test_eval.c - policy_eval row by row: request, verdict, exact words. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every row evaluates one request against tests/policy/eval.json at a fixed
 * clock and compares the verdict, the deciding rule, the return code, the
 * whole message and (when the row names a check) that reason's text.  A
 * mismatch is reported per row, with what came out, and the test fails at
 * the end so one run shows every broken row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "util/util.h"

#define EVAL_POLICY	RW_TEST_DATA "/eval.json"

/* 2025-06-15 15:06:40 UTC. */
#define NOW	INT64_C(1750000000)
#define DAY	INT64_C(86400)

#define DA	"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB	"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

#define PULL	POLICY_OP_PULL
#define PUSH	POLICY_OP_PUSH
#define OK	RW_OK
#define EINVAL	RW_EINVAL
#define ALLOW	VERDICT_ALLOW
#define DENY	VERDICT_DENY
#define WARN	VERDICT_WARN

/* ------------------------------------------------------- image fixtures */

static const char *const env_path[] = { "PATH=/usr/local/bin:/usr/bin:/bin" };

/* What official images and the Docker secrets convention really set. */
static const char *const env_clean[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
	"POSTGRES_PASSWORD_FILE=/run/secrets/db",
	"MYSQL_ROOT_PASSWORD=",
	"TOKENIZERS_PARALLELISM=false",
	"NGINX_VERSION=1.25.4",
	"SSL_CERT_DIR=/etc/ssl/certs",
	"PUBLIC_KEY=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE",
	"AWS_REGION=eu-west-1",
	"KEYCLOAK_VERSION=24.0.1",
};

static const char *const env_token[] = {
	"PATH=/usr/bin",
	"GITHUB_TOKEN=abc",
};

static const char *const env_names[] = {
	"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"DB_PASSWORD=hunter2",
	"STRIPE_API_KEY=x",
	"PATH=/usr/bin",
};

static const char *const env_pem[] = {
	"NOTES=-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
	    "-----END OPENSSH PRIVATE KEY-----",
};

static const char *const env_url[] = {
	"DATABASE_URL=postgres://app:s3cr3t@db.internal:5432/app",
	"HOMEPAGE=https://example.com/docs",
};

static const char *const env_many[] = {
	"A_TOKEN=1", "B_TOKEN=2", "C_SECRET=3", "D_PASSWORD=4", "E_KEY=5",
	"F_PASSWD=6", "G_PASSPHRASE=7",
};

static const char *const env_hidden[] = {
	"ghp_0123456789abcdefghijABCDEFGHIJ012345=1",
};

static const char *const env_escape[] = {
	"X\033]_TOKEN=1",
};

static const struct policy_kv labels_ok[] = {
	{ "org.opencontainers.image.source", "https://github.com/acme/api" },
	{ "org.opencontainers.image.revision", "0123abc" },
};

static const struct policy_kv labels_empty[] = {
	{ "org.opencontainers.image.source", "https://github.com/acme/api" },
	{ "org.opencontainers.image.revision", "" },
};

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* An image that passes every check of rule "images", except where varied. */
#define IMAGE(user, env, labels, os, arch, variant, created)		\
	{ (user), (env), N(env), (labels), N(labels), (os), (arch),	\
	  (variant), (created) }

static const struct policy_image good = IMAGE("65532", env_path, labels_ok,
    "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image good_arm = IMAGE("65532", env_path,
    labels_ok, "linux", "arm64", "v8", NOW - 30 * DAY);
static const struct policy_image root_empty = IMAGE("", env_path, labels_ok,
    "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image root_name = IMAGE("root", env_path,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image root_00 = IMAGE("00", env_path, labels_ok,
    "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image root_group = IMAGE("root:root", env_path,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image uid0_gid = IMAGE("0:1000", env_path,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image user_gid0 = IMAGE("1000:0", env_path,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image user_escape = IMAGE("0:\033[31m", env_path,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image secret_token = IMAGE("65532", env_token,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image secret_names = IMAGE("65532", env_names,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image secret_pem = IMAGE("65532", env_pem,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image secret_url = IMAGE("65532", env_url,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image secret_many = IMAGE("65532", env_many,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image secret_hidden = IMAGE("65532", env_hidden,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image secret_escape = IMAGE("65532", env_escape,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image clean_env = IMAGE("65532", env_clean,
    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image no_labels = { "65532", env_path,
    N(env_path), NULL, 0, "linux", "amd64", "", NOW - 30 * DAY };
static const struct policy_image empty_label = IMAGE("65532", env_path,
    labels_empty, "linux", "amd64", "", NOW - 30 * DAY);
static const struct policy_image plat_386 = IMAGE("65532", env_path,
    labels_ok, "linux", "386", "", NOW - 30 * DAY);
static const struct policy_image arm64_plain = IMAGE("65532", env_path,
    labels_ok, "linux", "arm64", "", NOW - 30 * DAY);
static const struct policy_image arm64_v9 = IMAGE("65532", env_path,
    labels_ok, "linux", "arm64", "v9", NOW - 30 * DAY);
static const struct policy_image no_platform = IMAGE("65532", env_path,
    labels_ok, "", "", "", NOW - 30 * DAY);
static const struct policy_image old = IMAGE("65532", env_path, labels_ok,
    "linux", "amd64", "", NOW - 400 * DAY - 3600);
static const struct policy_image no_created = IMAGE("65532", env_path,
    labels_ok, "linux", "amd64", "", -1);
static const struct policy_image age_limit = IMAGE("65532", env_path,
    labels_ok, "linux", "amd64", "", NOW - 365 * DAY - 3600);
static const struct policy_image future = IMAGE("65532", env_path,
    labels_ok, "linux", "amd64", "", NOW + 2 * DAY);
static const struct policy_image everything = { "", env_token,
    N(env_token), NULL, 0, "windows", "amd64", "", -1 };

/* ------------------------------------------------------- index fixtures */

struct index_fx {
	const struct policy_platform	*p;
	size_t				 n;
};

static const struct policy_platform plats_good[] = {
	{ "linux", "amd64", "", &good, NULL },
	{ "linux", "arm64", "v8", &good_arm, NULL },
	/* buildkit's attestation entry: no config, ignored */
	{ "unknown", "unknown", "", NULL, NULL },
};
static const struct policy_platform plats_root_arm[] = {
	{ "linux", "amd64", "", &good, NULL },
	{ "linux", "arm64", "v8", &root_empty, NULL },
};
static const struct policy_platform plats_foreign[] = {
	{ "linux", "386", "", &good, NULL },
	{ "linux", "s390x", "", &good, NULL },
	{ "windows", "amd64", "", &good, NULL },
};
static const struct policy_platform plats_missing[] = {
	{ "linux", "amd64", "", &good, NULL },
	{ "linux", "arm64", "v8", NULL, NULL },
};

static const struct index_fx ix_good = { plats_good, N(plats_good) };
static const struct index_fx ix_root_arm = { plats_root_arm,
	N(plats_root_arm) };
static const struct index_fx ix_foreign = { plats_foreign, N(plats_foreign) };
static const struct index_fx ix_empty = { NULL, 0 };
static const struct index_fx ix_missing = { plats_missing, N(plats_missing) };

/* ---------------------------------------------------------------- rows */

struct row {
	const char		*name;
	int			 op;
	const char		*host;
	const char		*repo;
	const char		*tag;
	const char		*digest;
	const struct policy_image *image;
	const char		*pinned;
	const char		*tag_digest;
	const struct index_fx	*index;
	int			 rc;
	int			 kind;
	const char		*rule;
	int			 pin_now;
	const char		*msg;	/* the whole message */
	const char		*check;	/* a reason to compare, or NULL */
	int			 failed;
	const char		*text;
};

static const struct row rows[] = {
	{ .name = "blocked-pull",
	  .op = PULL, .host = "ghcr.io", .repo = "evil/miner",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "blocked",
	  .msg = "regwarden: ghcr.io/evil/miner:1.0 refused by rule \"blocked"
	    "\" (eval.json:7): source ghcr.io/evil/miner is not allowed ("
	    "pattern \"ghcr.io/evil/**\"); use an image from an approved "
	    "registry. Blocked after incident INC-1234.",
	  .check = "sources", .failed = 1,
	  .text = "source ghcr.io/evil/miner is not allowed (pattern \"ghcr.io/"
	    "evil/**\"); use an image from an approved registry" },
	{ .name = "blocked-by-digest",
	  .op = PULL, .host = "docker.io", .repo = "miner/xmrig",
	  .tag = NULL, .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "blocked",
	  .msg = "regwarden: docker.io/miner/xmrig@sha256:aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa refused by rule"
	    " \"blocked\" (eval.json:7): source docker.io/miner/xmrig is "
	    "not allowed (pattern \"docker.io/miner/*\"); use an image fr"
	    "om an approved registry. Blocked after incident INC-1234.",
	  .check = "sources", .failed = 1,
	  .text = "source docker.io/miner/xmrig is not allowed (pattern \"docke"
	    "r.io/miner/*\"); use an image from an approved registry" },
	{ .name = "blocked-deep",
	  .op = PULL, .host = "ghcr.io", .repo = "evil/a/b/c",
	  .tag = "2", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "blocked",
	  .msg = "regwarden: ghcr.io/evil/a/b/c:2 refused by rule \"blocked\" "
	    "(eval.json:7): source ghcr.io/evil/a/b/c is not allowed (pat"
	    "tern \"ghcr.io/evil/**\"); use an image from an approved reg"
	    "istry. Blocked after incident INC-1234." },
	{ .name = "blocked-push",
	  .op = PUSH, .host = "ghcr.io", .repo = "evil/miner",
	  .tag = "1.0", .digest = DA, .image = &good,
	  .rc = OK, .kind = DENY, .rule = "blocked",
	  .msg = "regwarden: push of ghcr.io/evil/miner:1.0 refused by rule \""
	    "blocked\" (eval.json:7): pushes to ghcr.io/evil/miner are no"
	    "t allowed (pattern \"ghcr.io/evil/**\"). Blocked after incid"
	    "ent INC-1234." },
	{ .name = "segment-boundary",
	  .op = PULL, .host = "ghcr.io", .repo = "evilcorp/x",
	  .tag = "1", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "default",
	  .msg = "regwarden: ghcr.io/evilcorp/x:1 refused: no rule in eval.jso"
	    "n matches ghcr.io/evilcorp/x (default: deny). Ask #platform "
	    "in chat to add a registry." },
	{ .name = "default-deny",
	  .op = PULL, .host = "docker.io", .repo = "x/y",
	  .tag = "1", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "default",
	  .msg = "regwarden: docker.io/x/y:1 refused: no rule in eval.json mat"
	    "ches docker.io/x/y (default: deny). Ask #platform in chat to"
	    " add a registry.",
	  .check = "default", .failed = 1,
	  .text = "no rule in eval.json matches docker.io/x/y (default: deny)" },
	{ .name = "default-deny-push",
	  .op = PUSH, .host = "registry.other.io", .repo = "a/b",
	  .tag = "1", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "default",
	  .msg = "regwarden: push of registry.other.io/a/b:1 refused: no rule "
	    "in eval.json matches registry.other.io/a/b for push (default"
	    ": deny). Ask #platform in chat to add a registry." },
	{ .name = "default-by-digest",
	  .op = PULL, .host = "docker.io", .repo = "x/y",
	  .tag = NULL, .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "default",
	  .msg = "regwarden: docker.io/x/y@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa refused: no rule in eva"
	    "l.json matches docker.io/x/y (default: deny). Ask #platform "
	    "in chat to add a registry." },
	{ .name = "hub-alias",
	  .op = PULL, .host = "registry-1.docker.io", .repo = "library/nginx",
	  .tag = "latest", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:latest refused by rule \""
	    "tags\" (eval.json:9): tag \"latest\" is not allowed; pin the"
	    " digest: docker.io/library/nginx@sha256:aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa or use a tag ma"
	    "tching ^\\d+\\.\\d+\\.\\d+$. Ask #platform in chat." },
	{ .name = "host-case",
	  .op = PULL, .host = "Docker.IO", .repo = "library/nginx",
	  .tag = "1.25.4", .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:1.25.4 admitted by rule "
	    "\"tags\" (eval.json:9)." },
	{ .name = "push-hub",
	  .op = PUSH, .host = "docker.io", .repo = "library/nginx",
	  .tag = "1.25.4", .digest = DA, .image = &good,
	  .rc = OK, .kind = DENY, .rule = "no-pushes",
	  .msg = "regwarden: push of docker.io/library/nginx:1.25.4 refused by"
	    " rule \"no-pushes\" (eval.json:38): pushes to docker.io/libr"
	    "ary/nginx are not allowed (pattern \"docker.io/**\").",
	  .check = "sources", .failed = 1,
	  .text = "pushes to docker.io/library/nginx are not allowed (pattern "
	    "\"docker.io/**\")" },
	{ .name = "tag-latest",
	  .op = PULL, .host = "docker.io", .repo = "library/nginx",
	  .tag = "latest", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:latest refused by rule \""
	    "tags\" (eval.json:9): tag \"latest\" is not allowed; pin the"
	    " digest: docker.io/library/nginx@sha256:aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa or use a tag ma"
	    "tching ^\\d+\\.\\d+\\.\\d+$. Ask #platform in chat.",
	  .check = "tags.deny", .failed = 1,
	  .text = "tag \"latest\" is not allowed; pin the digest: docker.io/lib"
	    "rary/nginx@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa or use a tag matching ^\\d+\\.\\d+\\."
	    "\\d+$" },
	{ .name = "tag-semver",
	  .op = PULL, .host = "docker.io", .repo = "library/nginx",
	  .tag = "1.25.4", .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:1.25.4 admitted by rule "
	    "\"tags\" (eval.json:9).",
	  .check = "tags.pattern", .failed = 0,
	  .text = "tag \"1.25.4\" matches ^\\d+\\.\\d+\\.\\d+$" },
	{ .name = "tag-short",
	  .op = PULL, .host = "docker.io", .repo = "library/nginx",
	  .tag = "1.25", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:1.25 refused by rule \"ta"
	    "gs\" (eval.json:9): tag \"1.25\" does not match ^\\d+\\.\\d+"
	    "\\.\\d+$; pin the digest: docker.io/library/nginx@sha256:aaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "a or use a matching tag. Ask #platform in chat.",
	  .check = "tags.pattern", .failed = 1,
	  .text = "tag \"1.25\" does not match ^\\d+\\.\\d+\\.\\d+$; pin the di"
	    "gest: docker.io/library/nginx@sha256:aaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa or use a matching "
	    "tag" },
	{ .name = "tag-suffix",
	  .op = PULL, .host = "docker.io", .repo = "library/nginx",
	  .tag = "1.25.4-alpine", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:1.25.4-alpine refused by "
	    "rule \"tags\" (eval.json:9): tag \"1.25.4-alpine\" does not "
	    "match ^\\d+\\.\\d+\\.\\d+$; pin the digest: docker.io/librar"
	    "y/nginx@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaa or use a matching tag. Ask #platform in "
	    "chat." },
	{ .name = "tag-by-digest",
	  .op = PULL, .host = "docker.io", .repo = "library/nginx",
	  .tag = NULL, .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx@sha256:aaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa admitted by r"
	    "ule \"tags\" (eval.json:9).",
	  .check = "tags", .failed = 0,
	  .text = "pulled by digest; tag rules do not apply" },
	{ .name = "tag-no-digest",
	  .op = PULL, .host = "docker.io", .repo = "library/nginx",
	  .tag = "latest", .digest = NULL, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:latest refused by rule \""
	    "tags\" (eval.json:9): tag \"latest\" is not allowed; pull by"
	    " digest or use a tag matching ^\\d+\\.\\d+\\.\\d+$. Ask #pla"
	    "tform in chat." },
	{ .name = "tag-deny-list-pass",
	  .op = PULL, .host = "docker.io", .repo = "library/nginx",
	  .tag = "1.0.0", .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "tags",
	  .msg = "regwarden: docker.io/library/nginx:1.0.0 admitted by rule \""
	    "tags\" (eval.json:9).",
	  .check = "tags.deny", .failed = 0,
	  .text = "tag \"1.0.0\" is not on the deny list (latest)" },
	{ .name = "digest-only-tag",
	  .op = PULL, .host = "registry.example.com", .repo = "prod/api",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "digests",
	  .msg = "regwarden: registry.example.com/prod/api:1.0 refused by rule"
	    " \"digests\" (eval.json:12): pulls by tag are not allowed he"
	    "re; pull by digest: registry.example.com/prod/api@sha256:aaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "a." },
	{ .name = "digest-only-digest",
	  .op = PULL, .host = "registry.example.com", .repo = "prod/api",
	  .tag = NULL, .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "digests",
	  .msg = "regwarden: registry.example.com/prod/api@sha256:aaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa admitte"
	    "d by rule \"digests\" (eval.json:12)." },
	{ .name = "warn-latest",
	  .op = PULL, .host = "quay.io", .repo = "acme/api",
	  .tag = "latest", .digest = DA, .image = &root_empty,
	  .rc = OK, .kind = WARN, .rule = "warned",
	  .msg = "regwarden: warning: quay.io/acme/api:latest would be refused"
	    " by rule \"warned\" (eval.json:34, warn mode): tag \"latest"
	    "\" is not allowed; pin the digest: quay.io/acme/api@sha256:a"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaa or use a version tag. Also: image runs as root (User is "
	    "empty); rebuild with USER set to a non-root user, e.g. USER "
	    "65532. This rule is enforced from 2025-07-01." },
	{ .name = "warn-pass",
	  .op = PULL, .host = "quay.io", .repo = "acme/api",
	  .tag = "1.0", .digest = DA, .image = &good,
	  .rc = OK, .kind = ALLOW, .rule = "warned",
	  .msg = "regwarden: quay.io/acme/api:1.0 admitted by rule \"warned\" "
	    "(eval.json:34)." },
	{ .name = "audit-latest",
	  .op = PULL, .host = "gcr.io", .repo = "acme/api",
	  .tag = "latest", .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "audited",
	  .msg = "regwarden: audit: gcr.io/acme/api:latest would be refused by"
	    " rule \"audited\" (eval.json:37, audit mode): tag \"latest\""
	    " is not allowed; pin the digest: gcr.io/acme/api@sha256:aaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    " or use a version tag.",
	  .check = "tags.deny", .failed = 1,
	  .text = "tag \"latest\" is not allowed; pin the digest: gcr.io/acme/a"
	    "pi@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaa or use a version tag" },
	{ .name = "audit-pass",
	  .op = PULL, .host = "gcr.io", .repo = "acme/api",
	  .tag = "1", .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "audited",
	  .msg = "regwarden: gcr.io/acme/api:1 admitted by rule \"audited\" (e"
	    "val.json:37)." },
	{ .name = "push-latest",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "latest", .digest = DA, .image = &good,
	  .rc = OK, .kind = DENY, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:latest refu"
	    "sed by rule \"push\" (eval.json:20): tag \"latest\" is not a"
	    "llowed; push a version tag." },
	{ .name = "push-dev",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "dev", .digest = DA, .image = &good,
	  .rc = OK, .kind = DENY, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:dev refused"
	    " by rule \"push\" (eval.json:20): tag \"dev\" is not allowed"
	    "; push a version tag.",
	  .check = "tags.deny", .failed = 1,
	  .text = "tag \"dev\" is not allowed; push a version tag" },
	{ .name = "pin-match",
	  .op = PULL, .host = "docker.io", .repo = "pinned/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .pinned = DA,
	  .rc = OK, .kind = ALLOW, .rule = "pinned",
	  .msg = "regwarden: docker.io/pinned/app:1.0 admitted by rule \"pinne"
	    "d\" (eval.json:14).",
	  .check = "pins", .failed = 0,
	  .text = "tag \"1.0\" resolves to its pinned digest sha256:aaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ .name = "pin-drift",
	  .op = PULL, .host = "docker.io", .repo = "pinned/app",
	  .tag = "1.0", .digest = DB, .image = NULL,
	  .pinned = DA,
	  .rc = OK, .kind = DENY, .rule = "pinned",
	  .msg = "regwarden: docker.io/pinned/app:1.0 refused by rule \"pinned"
	    "\" (eval.json:14): tag \"1.0\" moved: pinned to sha256:aaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
	    " now sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbb; pull the pinned image docker.io/pinned/app"
	    "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaa or update the pin with \"regwarden pins add doc"
	    "ker.io/pinned/app:1.0 sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"." },
	{ .name = "pin-missing",
	  .op = PULL, .host = "docker.io", .repo = "pinned/app",
	  .tag = "1.0", .digest = DB, .image = NULL,
	  .rc = OK, .kind = DENY, .rule = "pinned",
	  .msg = "regwarden: docker.io/pinned/app:1.0 refused by rule \"pinned"
	    "\" (eval.json:14): tag \"1.0\" is not pinned; pull by digest"
	    ": docker.io/pinned/app@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, or ask an admin to pin i"
	    "t with \"regwarden pins add docker.io/pinned/app:1.0 sha256:"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbb\"." },
	{ .name = "pin-by-digest",
	  .op = PULL, .host = "docker.io", .repo = "pinned/app",
	  .tag = NULL, .digest = DB, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "pinned",
	  .msg = "regwarden: docker.io/pinned/app@sha256:bbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb admitted by rule"
	    " \"pinned\" (eval.json:14).",
	  .check = "pins", .failed = 0,
	  .text = "pulled by digest; pins do not apply" },
	{ .name = "tofu-first",
	  .op = PULL, .host = "docker.io", .repo = "tofu/app",
	  .tag = "1.0", .digest = DB, .image = NULL,
	  .pin_now = 1,
	  .rc = OK, .kind = ALLOW, .rule = "tofu",
	  .msg = "regwarden: docker.io/tofu/app:1.0 admitted by rule \"tofu\" "
	    "(eval.json:16).",
	  .check = "pins", .failed = 0,
	  .text = "tag \"1.0\" has no pin yet; an admitted pull pins it to sha2"
	    "56:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbb (pin on first pull)" },
	{ .name = "tofu-drift",
	  .op = PULL, .host = "docker.io", .repo = "tofu/app",
	  .tag = "1.0", .digest = DB, .image = NULL,
	  .pinned = DA,
	  .rc = OK, .kind = DENY, .rule = "tofu",
	  .msg = "regwarden: docker.io/tofu/app:1.0 refused by rule \"tofu\" ("
	    "eval.json:16): tag \"1.0\" moved: pinned to sha256:aaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, now"
	    " sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbb; pull the pinned image docker.io/tofu/app@sha25"
	    "6:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaa or update the pin with \"regwarden pins add docker.io"
	    "/tofu/app:1.0 sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbb\"." },
	{ .name = "tofu-match",
	  .op = PULL, .host = "docker.io", .repo = "tofu/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .pinned = DA,
	  .rc = OK, .kind = ALLOW, .rule = "tofu",
	  .msg = "regwarden: docker.io/tofu/app:1.0 admitted by rule \"tofu\" "
	    "(eval.json:16).",
	  .check = "pins", .failed = 0,
	  .text = "tag \"1.0\" resolves to its pinned digest sha256:aaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ .name = "loose-unpinned",
	  .op = PULL, .host = "docker.io", .repo = "loose/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .rc = OK, .kind = ALLOW, .rule = "loose-pins",
	  .msg = "regwarden: docker.io/loose/app:1.0 admitted by rule \"loose-"
	    "pins\" (eval.json:18).",
	  .check = "pins", .failed = 0,
	  .text = "tag \"1.0\" has no pin (pins are not required by this rule)" },
	{ .name = "loose-drift",
	  .op = PULL, .host = "docker.io", .repo = "loose/app",
	  .tag = "1.0", .digest = DB, .image = NULL,
	  .pinned = DA,
	  .rc = OK, .kind = DENY, .rule = "loose-pins",
	  .msg = "regwarden: docker.io/loose/app:1.0 refused by rule \"loose-p"
	    "ins\" (eval.json:18): tag \"1.0\" moved: pinned to sha256:aa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aa, now sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbb; pull the pinned image docker.io/loose/a"
	    "pp@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaa or update the pin with \"regwarden pins add d"
	    "ocker.io/loose/app:1.0 sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"." },
	{ .name = "push-new-tag",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.0", .digest = DA, .image = &good,
	  .rc = OK, .kind = ALLOW, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:1.0 admitte"
	    "d by rule \"push\" (eval.json:20).",
	  .check = "immutable_tags", .failed = 0,
	  .text = "tag \"1.0\" is new" },
	{ .name = "push-same-digest",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.0", .digest = DA, .image = &good,
	  .tag_digest = DA,
	  .rc = OK, .kind = ALLOW, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:1.0 admitte"
	    "d by rule \"push\" (eval.json:20).",
	  .check = "immutable_tags", .failed = 0,
	  .text = "tag \"1.0\" already points to this digest" },
	{ .name = "push-moved",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.0", .digest = DB, .image = &good,
	  .tag_digest = DA,
	  .rc = OK, .kind = DENY, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:1.0 refused"
	    " by rule \"push\" (eval.json:20): tag \"1.0\" already points"
	    " to sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaa and tags are immutable here; push under a ne"
	    "w tag." },
	{ .name = "push-by-digest",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = NULL, .digest = DB, .image = &good,
	  .tag_digest = DA,
	  .rc = OK, .kind = ALLOW, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api@sha256:bbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    " admitted by rule \"push\" (eval.json:20).",
	  .check = "immutable_tags", .failed = 0,
	  .text = "pushed by digest; no tag moves" },
	{ .name = "push-root",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.0", .digest = DA, .image = &root_empty,
	  .rc = OK, .kind = DENY, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:1.0 refused"
	    " by rule \"push\" (eval.json:20): image runs as root (User i"
	    "s empty); rebuild with USER set to a non-root user, e.g. USE"
	    "R 65532." },
	{ .name = "push-secrets",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.0", .digest = DA, .image = &secret_token,
	  .rc = OK, .kind = DENY, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:1.0 refused"
	    " by rule \"push\" (eval.json:20): image sets a secret-lookin"
	    "g environment variable: GITHUB_TOKEN; remove it from the ima"
	    "ge and pass secrets at run time." },
	{ .name = "img-good",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &good,
	  .rc = OK, .kind = ALLOW, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 admitted by r"
	    "ule \"images\" (eval.json:24).",
	  .check = "image.non_root", .failed = 0,
	  .text = "image runs as user \"65532\"" },
	{ .name = "img-root-empty",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &root_empty,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image runs as root (User is em"
	    "pty); rebuild with USER set to a non-root user, e.g. USER 65"
	    "532." },
	{ .name = "img-root-name",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &root_name,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image runs as root (User is \""
	    "root\"); rebuild with USER set to a non-root user, e.g. USER"
	    " 65532.",
	  .check = "image.non_root", .failed = 1,
	  .text = "image runs as root (User is \"root\"); rebuild with USER set"
	    " to a non-root user, e.g. USER 65532" },
	{ .name = "img-root-00",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &root_00,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image runs as root (User is \""
	    "00\"); rebuild with USER set to a non-root user, e.g. USER 6"
	    "5532.",
	  .check = "image.non_root", .failed = 1,
	  .text = "image runs as root (User is \"00\"); rebuild with USER set t"
	    "o a non-root user, e.g. USER 65532" },
	{ .name = "img-root-group",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &root_group,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image runs as root (User is \""
	    "root:root\"); rebuild with USER set to a non-root user, e.g."
	    " USER 65532.",
	  .check = "image.non_root", .failed = 1,
	  .text = "image runs as root (User is \"root:root\"); rebuild with USE"
	    "R set to a non-root user, e.g. USER 65532" },
	{ .name = "img-uid0-gid",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &uid0_gid,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image runs as root (User is \""
	    "0:1000\"); rebuild with USER set to a non-root user, e.g. US"
	    "ER 65532.",
	  .check = "image.non_root", .failed = 1,
	  .text = "image runs as root (User is \"0:1000\"); rebuild with USER s"
	    "et to a non-root user, e.g. USER 65532" },
	{ .name = "img-user-gid0",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &user_gid0,
	  .rc = OK, .kind = ALLOW, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 admitted by r"
	    "ule \"images\" (eval.json:24).",
	  .check = "image.non_root", .failed = 0,
	  .text = "image runs as user \"1000:0\"" },
	{ .name = "img-secret-token",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &secret_token,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image sets a secret-looking en"
	    "vironment variable: GITHUB_TOKEN; remove it from the image a"
	    "nd pass secrets at run time." },
	{ .name = "img-secret-names",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &secret_names,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image sets secret-looking envi"
	    "ronment variables: AWS_SECRET_ACCESS_KEY, DB_PASSWORD, STRIP"
	    "E_API_KEY; remove them from the image and pass secrets at ru"
	    "n time.",
	  .check = "image.no_secrets", .failed = 1,
	  .text = "image sets secret-looking environment variables: AWS_SECRET_"
	    "ACCESS_KEY, DB_PASSWORD, STRIPE_API_KEY; remove them from th"
	    "e image and pass secrets at run time" },
	{ .name = "img-secret-pem",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &secret_pem,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image sets a secret-looking en"
	    "vironment variable: NOTES (value looks like a private key); "
	    "remove it from the image and pass secrets at run time.",
	  .check = "image.no_secrets", .failed = 1,
	  .text = "image sets a secret-looking environment variable: NOTES (val"
	    "ue looks like a private key); remove it from the image and p"
	    "ass secrets at run time" },
	{ .name = "img-secret-url",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &secret_url,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image sets a secret-looking en"
	    "vironment variable: DATABASE_URL (value looks like a URL wit"
	    "h a password); remove it from the image and pass secrets at "
	    "run time.",
	  .check = "image.no_secrets", .failed = 1,
	  .text = "image sets a secret-looking environment variable: DATABASE_U"
	    "RL (value looks like a URL with a password); remove it from "
	    "the image and pass secrets at run time" },
	{ .name = "img-secret-clean",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &clean_env,
	  .rc = OK, .kind = ALLOW, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 admitted by r"
	    "ule \"images\" (eval.json:24).",
	  .check = "image.no_secrets", .failed = 0,
	  .text = "no secret-looking environment variables (10 checked)" },
	{ .name = "img-secret-many",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &secret_many,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image sets secret-looking envi"
	    "ronment variables: A_TOKEN, B_TOKEN, C_SECRET, D_PASSWORD, E"
	    "_KEY and 2 more; remove them from the image and pass secrets"
	    " at run time.",
	  .check = "image.no_secrets", .failed = 1,
	  .text = "image sets secret-looking environment variables: A_TOKEN, B_"
	    "TOKEN, C_SECRET, D_PASSWORD, E_KEY and 2 more; remove them f"
	    "rom the image and pass secrets at run time" },
	{ .name = "img-secret-hidden",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &secret_hidden,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image sets a secret-looking en"
	    "vironment variable: a variable whose name looks like a GitHu"
	    "b token; remove it from the image and pass secrets at run ti"
	    "me.",
	  .check = "image.no_secrets", .failed = 1,
	  .text = "image sets a secret-looking environment variable: a variable"
	    " whose name looks like a GitHub token; remove it from the im"
	    "age and pass secrets at run time" },
	{ .name = "img-secret-escaped",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &secret_escape,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image sets a secret-looking en"
	    "vironment variable: X\\x1b]_TOKEN; remove it from the image "
	    "and pass secrets at run time.",
	  .check = "image.no_secrets", .failed = 1,
	  .text = "image sets a secret-looking environment variable: X\\x1b]_TO"
	    "KEN; remove it from the image and pass secrets at run time" },
	{ .name = "img-labels-none",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &no_labels,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image lacks the required label"
	    "s org.opencontainers.image.source, org.opencontainers.image."
	    "revision; add them with LABEL in the Dockerfile (or docker b"
	    "uild --label).",
	  .check = "image.required_labels", .failed = 1,
	  .text = "image lacks the required labels org.opencontainers.image.sou"
	    "rce, org.opencontainers.image.revision; add them with LABEL "
	    "in the Dockerfile (or docker build --label)" },
	{ .name = "img-label-empty",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &empty_label,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image lacks the required label"
	    " org.opencontainers.image.revision; add it with LABEL in the"
	    " Dockerfile (or docker build --label).",
	  .check = "image.required_labels", .failed = 1,
	  .text = "image lacks the required label org.opencontainers.image.revi"
	    "sion; add it with LABEL in the Dockerfile (or docker build -"
	    "-label)" },
	{ .name = "img-labels-ok",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &good,
	  .rc = OK, .kind = ALLOW, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 admitted by r"
	    "ule \"images\" (eval.json:24).",
	  .check = "image.required_labels", .failed = 0,
	  .text = "required labels are present: org.opencontainers.image.source"
	    ", org.opencontainers.image.revision" },
	{ .name = "img-386",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &plat_386,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): platform linux/386 is not allo"
	    "wed (allowed: linux/amd64, linux/arm64/v8); use an image bui"
	    "lt for an allowed platform.",
	  .check = "image.platforms", .failed = 1,
	  .text = "platform linux/386 is not allowed (allowed: linux/amd64, lin"
	    "ux/arm64/v8); use an image built for an allowed platform" },
	{ .name = "img-arm64-plain",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &arm64_plain,
	  .rc = OK, .kind = ALLOW, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 admitted by r"
	    "ule \"images\" (eval.json:24).",
	  .check = "image.platforms", .failed = 0,
	  .text = "platform linux/arm64 is allowed" },
	{ .name = "img-arm64-v9",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &arm64_v9,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): platform linux/arm64/v9 is not"
	    " allowed (allowed: linux/amd64, linux/arm64/v8); use an imag"
	    "e built for an allowed platform.",
	  .check = "image.platforms", .failed = 1,
	  .text = "platform linux/arm64/v9 is not allowed (allowed: linux/amd64"
	    ", linux/arm64/v8); use an image built for an allowed platfor"
	    "m" },
	{ .name = "img-no-platform",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &no_platform,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image declares no platform (os"
	    " and architecture are missing from its config).",
	  .check = "image.platforms", .failed = 1,
	  .text = "image declares no platform (os and architecture are missing "
	    "from its config)" },
	{ .name = "img-old",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &old,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image is 400 days old (created"
	    " 2024-05-11), more than the 365 allowed; rebuild it on a cur"
	    "rent base image." },
	{ .name = "img-no-created",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &no_created,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image has no creation time (co"
	    "nfig \"created\" is missing or invalid); rebuild it with a t"
	    "ool that records the creation time.",
	  .check = "image.max_age_days", .failed = 1,
	  .text = "image has no creation time (config \"created\" is missing or"
	    " invalid); rebuild it with a tool that records the creation "
	    "time" },
	{ .name = "img-age-limit",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &age_limit,
	  .rc = OK, .kind = ALLOW, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 admitted by r"
	    "ule \"images\" (eval.json:24).",
	  .check = "image.max_age_days", .failed = 0,
	  .text = "image is 365 days old (created 2024-06-15; at most 365 allow"
	    "ed)" },
	{ .name = "img-future",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &future,
	  .rc = OK, .kind = ALLOW, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 admitted by r"
	    "ule \"images\" (eval.json:24).",
	  .check = "image.max_age_days", .failed = 0,
	  .text = "image is 0 days old (created 2025-06-17; at most 365 allowed"
	    ")" },
	{ .name = "img-user-escaped",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &user_escape,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image runs as root (User is \""
	    "0:\\x1b[31m\"); rebuild with USER set to a non-root user, e."
	    "g. USER 65532.",
	  .check = "image.non_root", .failed = 1,
	  .text = "image runs as root (User is \"0:\\x1b[31m\"); rebuild with U"
	    "SER set to a non-root user, e.g. USER 65532" },
	{ .name = "img-everything",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = &everything,
	  .rc = OK, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 refused by ru"
	    "le \"images\" (eval.json:24): image runs as root (User is em"
	    "pty); rebuild with USER set to a non-root user, e.g. USER 65"
	    "532. Also: image sets a secret-looking environment variable:"
	    " GITHUB_TOKEN; remove it from the image and pass secrets at "
	    "run time. Also: image lacks the required labels org.opencont"
	    "ainers.image.source, org.opencontainers.image.revision; add "
	    "them with LABEL in the Dockerfile (or docker build --label)."
	    " Also: platform windows/amd64 is not allowed (allowed: linux"
	    "/amd64, linux/arm64/v8); use an image built for an allowed p"
	    "latform. Also: image has no creation time (config \"created"
	    "\" is missing or invalid); rebuild it with a tool that recor"
	    "ds the creation time." },
	{ .name = "index-good",
	  .op = PULL, .host = "registry.example.com", .repo = "multi/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .index = &ix_good,
	  .rc = OK, .kind = ALLOW, .rule = "index",
	  .msg = "regwarden: registry.example.com/multi/app:1.0 admitted by ru"
	    "le \"index\" (eval.json:40).",
	  .check = "image.platforms", .failed = 0,
	  .text = "index offers allowed platforms: linux/amd64, linux/arm64/v8" },
	{ .name = "index-root-arm",
	  .op = PULL, .host = "registry.example.com", .repo = "multi/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .index = &ix_root_arm,
	  .rc = OK, .kind = DENY, .rule = "index",
	  .msg = "regwarden: registry.example.com/multi/app:1.0 refused by rul"
	    "e \"index\" (eval.json:40): image runs as root (User is empt"
	    "y) on linux/arm64/v8; rebuild with USER set to a non-root us"
	    "er, e.g. USER 65532." },
	{ .name = "index-foreign",
	  .op = PULL, .host = "registry.example.com", .repo = "multi/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .index = &ix_foreign,
	  .rc = OK, .kind = DENY, .rule = "index",
	  .msg = "regwarden: registry.example.com/multi/app:1.0 refused by rul"
	    "e \"index\" (eval.json:40): none of the index's platforms is"
	    " allowed (offers linux/386, linux/s390x, windows/amd64; allo"
	    "wed: linux/amd64, linux/arm64); use an image built for an al"
	    "lowed platform.",
	  .check = "image.platforms", .failed = 1,
	  .text = "none of the index's platforms is allowed (offers linux/386, "
	    "linux/s390x, windows/amd64; allowed: linux/amd64, linux/arm6"
	    "4); use an image built for an allowed platform" },
	{ .name = "index-empty",
	  .op = PULL, .host = "registry.example.com", .repo = "multi/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .index = &ix_empty,
	  .rc = OK, .kind = DENY, .rule = "index",
	  .msg = "regwarden: registry.example.com/multi/app:1.0 refused by rul"
	    "e \"index\" (eval.json:40): index lists no platforms (allowe"
	    "d: linux/amd64, linux/arm64).",
	  .check = "image.platforms", .failed = 1,
	  .text = "index lists no platforms (allowed: linux/amd64, linux/arm64)" },
	{ .name = "index-missing-config",
	  .op = PULL, .host = "registry.example.com", .repo = "multi/app",
	  .tag = "1.0", .digest = DA, .image = NULL,
	  .index = &ix_missing,
	  .rc = EINVAL, .kind = DENY, .rule = "index",
	  .msg = "regwarden: registry.example.com/multi/app:1.0 could not be d"
	    "ecided: rule \"index\" (eval.json:40) needs the image config"
	    " of platform linux/arm64/v8, which was not gathered." },
	{ .name = "missing-image",
	  .op = PULL, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.2.3", .digest = DA, .image = NULL,
	  .rc = EINVAL, .kind = DENY, .rule = "images",
	  .msg = "regwarden: registry.example.com/apps/api:1.2.3 could not be "
	    "decided: rule \"images\" (eval.json:24) needs the image conf"
	    "ig, which was not gathered." },
	{ .name = "missing-digest",
	  .op = PULL, .host = "docker.io", .repo = "pinned/app",
	  .tag = "1.0", .digest = NULL, .image = NULL,
	  .rc = EINVAL, .kind = DENY, .rule = "pinned",
	  .msg = "regwarden: docker.io/pinned/app:1.0 could not be decided: ru"
	    "le \"pinned\" (eval.json:14) needs the manifest digest, whic"
	    "h was not gathered." },
	{ .name = "missing-push-digest",
	  .op = PUSH, .host = "registry.example.com", .repo = "apps/api",
	  .tag = "1.0", .digest = NULL, .image = &good,
	  .tag_digest = DA,
	  .rc = EINVAL, .kind = DENY, .rule = "push",
	  .msg = "regwarden: push of registry.example.com/apps/api:1.0 could n"
	    "ot be decided: rule \"push\" (eval.json:20) needs the manife"
	    "st digest, which was not gathered." },
	{ .name = "missing-host",
	  .op = PULL, .host = NULL, .repo = "x/y",
	  .tag = "1", .digest = DA, .image = NULL,
	  .rc = EINVAL, .kind = DENY, .rule = "",
	  .msg = "regwarden: request could not be decided: the request names n"
	    "o repository." },
	{ .name = "tofu-refused-no-pin",
	  .op = PULL, .host = "docker.io", .repo = "tofuroot/app",
	  .tag = "1.0", .digest = DB, .image = &root_empty,
	  .rc = OK, .kind = DENY, .rule = "tofu-root",
	  .msg = "regwarden: docker.io/tofuroot/app:1.0 refused by rule \"tofu"
	    "-root\" (eval.json:42): image runs as root (User is empty); "
	    "rebuild with USER set to a non-root user, e.g. USER 65532.",
	  .check = "pins", .failed = 0,
	  .text = "tag \"1.0\" has no pin yet; an admitted pull pins it to sha2"
	    "56:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbb (pin on first pull)" },
	{ .name = "tofu-warned-pins",
	  .op = PULL, .host = "docker.io", .repo = "tofuwarn/app",
	  .tag = "1.0", .digest = DB, .image = &root_empty,
	  .pin_now = 1,
	  .rc = OK, .kind = WARN, .rule = "tofu-warn",
	  .msg = "regwarden: warning: docker.io/tofuwarn/app:1.0 would be refu"
	    "sed by rule \"tofu-warn\" (eval.json:44, warn mode): image r"
	    "uns as root (User is empty); rebuild with USER set to a non-"
	    "root user, e.g. USER 65532." },
};

static void
fill_req(const struct row *r, struct admission_req *q)
{
	memset(q, 0, sizeof(*q));
	q->op = r->op;
	q->host = r->host;
	q->repo = r->repo;
	q->tag = r->tag;
	q->digest = r->digest;
	q->image = r->image;
	q->pinned_digest = r->pinned;
	q->tag_digest = r->tag_digest;
	q->identity = "ci-bot";
	q->media_type = "application/vnd.oci.image.manifest.v1+json";
	if (r->index != NULL) {
		q->is_index = 1;
		q->platforms = r->index->p;
		q->nplatforms = r->index->n;
		q->media_type = "application/vnd.oci.image.index.v1+json";
	}
}

static const struct verdict_reason *
find_reason(const struct verdict *v, const char *check)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (strcmp(v->reasons[i].check, check) == 0)
			return &v->reasons[i];
	return NULL;
}

static void
print_reasons(const struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		fprintf(stderr, "    [%s] %s: %s\n", v->reasons[i].check,
		    v->reasons[i].failed ? "failed" : "passed",
		    v->reasons[i].text);
}

/* Returns the number of mismatches in row R, reported on stderr. */
static int
check_row(const struct policy *p, const struct row *r)
{
	const struct verdict_reason *rs;
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	int rc, bad = 0;

	fill_req(r, &q);
	rw_err_clear(&err);
	rc = policy_eval(p, &q, NOW, &v, &err);
	if (rc != r->rc && ++bad)
		fprintf(stderr, "row %s: rc %d, expected %d\n", r->name, rc,
		    r->rc);
	if (v.kind != r->kind && ++bad)
		fprintf(stderr, "row %s: verdict %s, expected %s\n", r->name,
		    verdict_name(v.kind), verdict_name(r->kind));
	if (strcmp(v.rule, r->rule) != 0 && ++bad)
		fprintf(stderr, "row %s: rule \"%s\", expected \"%s\"\n",
		    r->name, v.rule, r->rule);
	if (v.pin_now != r->pin_now && ++bad)
		fprintf(stderr, "row %s: pin_now %d\n", r->name, v.pin_now);
	if (strcmp(v.message, r->msg) != 0 && ++bad)
		fprintf(stderr, "row %s: message\n  got:  %s\n  want: %s\n",
		    r->name, v.message, r->msg);
	if (strlen(v.message) > 1500 && ++bad)
		fprintf(stderr, "row %s: message longer than 1500\n", r->name);
	if (r->check != NULL) {
		rs = find_reason(&v, r->check);
		if ((rs == NULL || rs->failed != r->failed ||
		    strcmp(rs->text, r->text) != 0) && ++bad) {
			fprintf(stderr, "row %s: reason %s (%s): want: %s\n",
			    r->name, r->check, r->failed ? "failed" : "passed",
			    r->text);
			print_reasons(&v);
		}
	}
	return bad;
}

static void
test_rows(void **state)
{
	struct policy *p = NULL;
	struct rw_diags d;
	size_t i;
	int bad = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load(EVAL_POLICY, &p, &d), RW_OK);
	/* Losing rows must not pass quietly. */
	assert_true(N(rows) >= 75);
	for (i = 0; i < N(rows); i++)
		bad += check_row(p, &rows[i]);
	policy_free(p);
	assert_int_equal(bad, 0);
}

static struct policy *
load_eval(void)
{
	struct policy *p = NULL;
	struct rw_diags d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load(EVAL_POLICY, &p, &d), RW_OK);
	assert_int_equal(d.n, 0);
	return p;
}

/* policy_match: the rule, and only the facts it will read. */
static void
test_needs(void **state)
{
	struct policy *p = load_eval();
	const struct policy_rule *r;
	unsigned needs = 99;

	(void)state;
	r = policy_match(p, "ghcr.io", "evil/miner", PULL, 1, &needs);
	assert_non_null(r);
	assert_string_equal(policy_rule_name(r), "blocked");
	assert_int_equal(policy_rule_line(r), 7);
	assert_int_equal(needs, 0);
	r = policy_match(p, "registry.example.com", "apps/api", PULL, 1,
	    &needs);
	assert_string_equal(policy_rule_name(r), "images");
	assert_int_equal(needs, POLICY_NEED_CONFIG);
	r = policy_match(p, "registry.example.com", "apps/api", PUSH, 1,
	    &needs);
	assert_string_equal(policy_rule_name(r), "push");
	assert_int_equal(needs, POLICY_NEED_CONFIG | POLICY_NEED_TAG_DIGEST);
	r = policy_match(p, "registry.example.com", "apps/api", PUSH, 0,
	    &needs);
	assert_int_equal(needs, POLICY_NEED_CONFIG);
	r = policy_match(p, "docker.io", "pinned/app", PULL, 1, &needs);
	assert_string_equal(policy_rule_name(r), "pinned");
	assert_int_equal(needs, POLICY_NEED_PIN);
	r = policy_match(p, "docker.io", "pinned/app", PULL, 0, &needs);
	assert_int_equal(needs, 0);
	r = policy_match(p, "INDEX.docker.io", "library/nginx", PULL, 1,
	    &needs);
	assert_string_equal(policy_rule_name(r), "tags");
	assert_int_equal(needs, 0);
	needs = 99;
	assert_null(policy_match(p, "docker.io", "x/y", PULL, 1, &needs));
	assert_int_equal(needs, 0);
	needs = 99;
	assert_null(policy_match(p, NULL, "x/y", PULL, 1, &needs));
	assert_int_equal(needs, 0);
	policy_free(p);
}

static void
eval_text(const char *text, const struct admission_req *q,
    struct verdict *v)
{
	struct policy *p = NULL;
	struct rw_diags d;
	struct rw_err err;

	memset(&d, 0, sizeof(d));
	rw_err_clear(&err);
	assert_int_equal(policy_load_text("inline.json", text, strlen(text),
	    &p, &d), RW_OK);
	assert_int_equal(policy_eval(p, q, NOW, v, &err), RW_OK);
	policy_free(p);
}

static void
test_default_allow(void **state)
{
	const struct admission_req q = { .op = PUSH, .host = "docker.io",
	    .repo = "x/y", .tag = "1", .digest = DA };
	struct verdict v;

	(void)state;
	eval_text("{\"version\": 1, \"default\": \"allow\", "
	    "\"default_message\": \"not shown on admission\"}", &q, &v);
	assert_int_equal(v.kind, ALLOW);
	assert_int_equal(v.matched, 0);
	assert_string_equal(v.rule, "default");
	assert_string_equal(v.file, "inline.json");
	assert_int_equal(v.line, 0);
	assert_string_equal(v.message, "regwarden: push of docker.io/x/y:1 "
	    "admitted: no rule in inline.json matches docker.io/x/y for push "
	    "(default: allow).");
	assert_int_equal(v.nreasons, 1);
	assert_string_equal(v.reasons[0].check, "default");
	assert_int_equal(v.reasons[0].failed, 0);
}

/* The note keeps its words when the reasons are too long to fit. */
static void
test_message_cap(void **state)
{
	static const char *const env[] = {
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_TOKEN=1",
	    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB_TOKEN=1",
	    "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
	    "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC_TOKEN=1",
	    "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
	    "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD_TOKEN=1",
	    "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"
	    "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE_TOKEN=1",
	};
	const struct policy_image img = { "", env, N(env), NULL, 0,
	    "plan9", "mips64le", "", -1 };
	const struct admission_req q = { .op = PULL,
	    .host = "registry.example.com", .repo = "apps/api",
	    .tag = "0.0.0-very-long-prerelease-tag-that-does-not-match-the-pattern",
	    .digest = DA, .image = &img };
	struct verdict v;
	const char *note = "Ask the platform team in #platform, or open a "
	    "ticket at https://tickets.example.com/new?queue=registry.";
	size_t n;

	(void)state;
	eval_text("{\"version\": 1, \"rules\": [{\"name\": \"all\", "
	    "\"match\": \"registry.example.com/**\", \"message\": \"Ask the "
	    "platform team in #platform, or open a ticket at "
	    "https://tickets.example.com/new?queue=registry.\", \"tags\": "
	    "{\"pattern\": \"^(release|stable|lts)-\\\\d+\\\\.\\\\d+\\\\.\\\\d+"
	    "-(alpine|bookworm|bullseye|jammy|noble|ubi9)$\"}, \"image\": "
	    "{\"non_root\": true, \"no_secrets\": true, \"required_labels\": ["
	    "\"org.opencontainers.image.source\", "
	    "\"org.opencontainers.image.revision\", "
	    "\"org.opencontainers.image.licenses\", "
	    "\"org.opencontainers.image.vendor\", "
	    "\"org.opencontainers.image.documentation\", "
	    "\"com.example.team.owner.escalation-contact\"], \"platforms\": "
	    "[\"linux/amd64\", \"linux/arm64/v8\", \"linux/arm/v7\", "
	    "\"linux/ppc64le\", \"linux/s390x\", \"linux/riscv64\", "
	    "\"windows/amd64\"], \"max_age_days\": 30}}]}", &q, &v);
	assert_int_equal(v.kind, DENY);
	n = strlen(v.message);
	assert_true(n <= 1500);
	assert_true(n > 1400);
	assert_non_null(strstr(v.message, "...."));
	assert_string_equal(v.message + n - strlen(note), note);
	assert_null(strchr(v.message, '\n'));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(policy_mode_name(POLICY_ENFORCE), "enforce");
	assert_string_equal(policy_mode_name(POLICY_WARN), "warn");
	assert_string_equal(policy_mode_name(POLICY_AUDIT), "audit");
	assert_string_equal(policy_mode_name(7), "unknown");
	assert_string_equal(verdict_name(VERDICT_ALLOW), "allow");
	assert_string_equal(verdict_name(VERDICT_DENY), "deny");
	assert_string_equal(verdict_name(VERDICT_WARN), "warn");
	assert_string_equal(verdict_name(-1), "unknown");
}

/* The same request gives the same verdict, byte for byte. */
static void
test_deterministic(void **state)
{
	struct policy *p = load_eval();
	struct admission_req q;
	struct verdict a, b;
	struct rw_err err;
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		fill_req(&rows[i], &q);
		policy_eval(p, &q, NOW, &a, &err);
		policy_eval(p, &q, NOW, &b, &err);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	policy_free(p);
}

/* An op that is neither pull nor push cannot be decided. */
static void
test_bad_op(void **state)
{
	struct policy *p = load_eval();
	const struct admission_req q = { .op = 3, .host = "docker.io",
	    .repo = "library/nginx", .tag = "1.0.0", .digest = DA };
	struct verdict v;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_EINVAL);
	assert_int_equal(v.kind, DENY);
	assert_string_equal(err.msg, "the request has no operation");
	assert_string_equal(v.message, "regwarden: request could not be "
	    "decided: the request has no operation.");
	policy_free(p);
}

/* A fact the rule needs and the caller did not gather: refused, and said. */
static void
test_missing_fact_error(void **state)
{
	struct policy *p = load_eval();
	const struct admission_req q = { .op = PULL,
	    .host = "registry.example.com", .repo = "apps/api",
	    .tag = "1.2.3", .digest = DA };
	struct verdict v;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_EINVAL);
	assert_int_equal(err.code, RW_EINVAL);
	assert_string_equal(err.msg, "rule \"images\" needs the image config, "
	    "which was not gathered");
	assert_int_equal(v.kind, DENY);
	assert_int_equal(v.matched, 1);
	assert_int_equal(v.line, 24);
	assert_int_equal(v.nreasons, 0);
	policy_free(p);
}

/*
 * An image passing max_age_days fails from the second it is a day past
 * the limit; for an index, whichever platform's image gets there first.
 */
static void
test_valid_until(void **state)
{
	static const struct policy_image young = IMAGE("65532", env_path,
	    labels_ok, "linux", "amd64", "", NOW - 30 * DAY);
	static const struct policy_image older = IMAGE("65532", env_path,
	    labels_ok, "linux", "arm64", "v8", NOW - 50 * DAY);
	static const struct policy_platform plats[] = {
		{ "linux", "amd64", "", &young, NULL },
		{ "linux", "arm64", "v8", &older, NULL },
	};
	struct policy *p = load_eval();
	struct admission_req q = { .op = PULL,
	    .host = "registry.example.com", .repo = "apps/api",
	    .tag = "1.2.3", .digest = DA, .image = &good };
	struct verdict v;
	struct rw_err err;

	(void)state;
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.kind, ALLOW);
	assert_int_equal(v.valid_until, NOW - 30 * DAY + 366 * DAY);
	/* One second before, the image is 365 days old and passes. */
	assert_int_equal(policy_eval(p, &q, v.valid_until - 1, &v, &err),
	    RW_OK);
	assert_int_equal(v.kind, ALLOW);
	assert_int_equal(policy_eval(p, &q, NOW - 30 * DAY + 366 * DAY, &v,
	    &err), RW_OK);
	assert_int_equal(v.kind, DENY);
	assert_int_equal(v.valid_until, 0);
	q.host = "docker.io";
	q.repo = "library/nginx";
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.valid_until, 0);
	policy_free(p);
	memset(&q, 0, sizeof(q));
	q.op = PULL;
	q.host = "ghcr.io";
	q.repo = "a/b";
	q.digest = DA;
	q.is_index = 1;
	q.platforms = plats;
	q.nplatforms = N(plats);
	eval_text("{\"version\": 1, \"rules\": [{\"name\": \"r\", \"match\": "
	    "\"ghcr.io/**\", \"image\": {\"max_age_days\": 100}}]}", &q, &v);
	assert_int_equal(v.kind, ALLOW);
	assert_int_equal(v.valid_until, NOW - 50 * DAY + 101 * DAY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_default_allow),
		cmocka_unit_test(test_message_cap),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bad_op),
		cmocka_unit_test(test_missing_fact_error),
		cmocka_unit_test(test_valid_until),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
