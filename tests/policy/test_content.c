/* test_content.c - the "content" checks in policy_eval, row by row. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every row evaluates one pull against tests/policy/content.json with the
 * content facts a caller would gather from the layers, and compares the
 * verdict, the whole message and the first reason's check.
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
#include "policy/internal.h"	/* the pure helpers, row by row */
#include "util/util.h"

#define CONTENT_POLICY	RW_TEST_DATA "/content.json"
#define NOW		INT64_C(1750000000)
#define DA		"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define F		POLICY_F_FILE
#define D		POLICY_F_DIR
#define L		POLICY_F_SYMLINK

/* Final filesystems (sorted by path, as content/ gives them). */
static const struct policy_cfile fs_clean[] = {
	{ "/app", 0755, D }, { "/app/server", 0755, F },
	{ "/etc/passwd", 0644, F }, { "/usr/share/doc/sh", 0644, F },
};
static const struct policy_cfile fs_debian[] = {
	{ "/bin/bash", 0755, F }, { "/bin/sh", 0777, L },
	{ "/usr/bin/apt-get", 0755, F }, { "/usr/bin/dpkg", 0755, F },
	{ "/usr/bin/gcc", 0777, L }, { "/usr/bin/passwd", 04755, F },
	{ "/usr/bin/su", 04755, F }, { "/usr/bin/wall", 02755, F },
	{ "/usr/local/bin/busybox", 0755, F }, { "/usr/local/bin/zsh", 0755, F },
	{ "/usr/sbin", 0755, D },
};
static const struct policy_cfile fs_paths[] = {
	{ "/app/certs/ca.pem", 0644, F }, { "/root/.ssh", 0700, D },
	{ "/root/.ssh/id_rsa", 0600, F }, { "/srv/key.pem.bak", 0600, F },
};

static const struct policy_secret s_key[] = {
	{ 2, "/app/certs/server.key", "PEM RSA PRIVATE KEY", 0 },
};
static const struct policy_secret s_deleted[] = {
	{ 0, "/root/.aws/credentials", "AWS credentials file", 1 },
};
static const struct policy_secret s_many[] = {
	{ 0, "/root/.aws/credentials", "AWS access key id", 1 },
	{ 1, "/app/.npmrc", "npm auth token", 0 },
	{ 1, "/app/\033[2Jevil", "GitHub token", 0 },
	{ 2, "/home/u/.netrc", ".netrc password", 0 },
	{ 2, "/k", "OpenSSH PRIVATE KEY", 0 },
};

static const struct policy_cpkg p_debian[] = {
	{ "libc6", "2.36-9" }, { "openssh-server", "1:9.2p1-2+deb12u3" },
	{ "gcc-12", "12.2.0-14" }, { "gcc", "4:12.2.0-3" },
};
static const char *const unread[] = { "/var/lib/rpm/rpmdb.sqlite" };
/* As content/ reads them from rpm's sqlite database: [epoch:]version-release. */
static const struct policy_cpkg p_rpm[] = {
	{ "openssh-server", "1:8.7p1-34.el9" }, { "gcc-c++", "11.4.1-3.el9" },
	{ "bash", "5.1.8-6.el9" },
};



static const struct policy_content c_clean = { 5, NULL, 0, NULL, 0,
	fs_clean, N(fs_clean), NULL, 0, NULL, 0, 1000, NULL };
static const struct policy_content c_key = { 5, NULL, 0, s_key, 1,
	fs_clean, N(fs_clean), NULL, 0, NULL, 0, 1000, NULL };
static const struct policy_content c_deleted = { 2, NULL, 0, s_deleted, 1,
	fs_clean, N(fs_clean), NULL, 0, NULL, 0, 1000, NULL };
static const struct policy_content c_many = { 3, NULL, 0, s_many,
	N(s_many), fs_clean, N(fs_clean), NULL, 0, NULL, 0, 1000, NULL };
static const struct policy_content c_debian = { 1, NULL, 0, NULL, 0,
	fs_debian, N(fs_debian), p_debian, N(p_debian), NULL, 0, 1001, NULL };
static const struct policy_content c_paths = { 1, NULL, 0, NULL, 0,
	fs_paths, N(fs_paths), NULL, 0, NULL, 0, 10, NULL };
static const struct policy_content c_rpm = { 1, NULL, 0, NULL, 0,
	fs_clean, N(fs_clean), NULL, 0, unread, 1, 10, NULL };
static const struct policy_content c_rpm_read = { 1, NULL, 0, NULL, 0,
	fs_clean, N(fs_clean), p_rpm, N(p_rpm), NULL, 0, 10, NULL };
static const struct policy_content c_refused = { 3, "the layer expands "
	"past 8589934592 bytes", 1, NULL, 0, NULL, 0, NULL, 0, NULL, 0, 0, NULL };

struct row {
	const char			*repo;
	const struct policy_content	*c;
	int				 kind;
	const char			*check;	/* first failed reason, or NULL */
	const char			*message;
};

#define APPS	"regwarden: registry.example.com/apps/web:1.0 "

static const struct row rows[] = {
	{ "apps/web", &c_clean, VERDICT_ALLOW, NULL, APPS
	    "admitted by rule \"apps\" (content.json:6)." },
	{ "apps/web", &c_key, VERDICT_DENY, "content.secrets", APPS
	    "refused by rule \"apps\" (content.json:6): layer 3 of 5 holds a "
	    "private key: /app/certs/server.key (PEM RSA PRIVATE KEY); remove "
	    "it from the image and mount secrets at run time." },
	{ "apps/web", &c_deleted, VERDICT_DENY, "content.secrets", APPS
	    "refused by rule \"apps\" (content.json:6): layer 1 of 2 holds a "
	    "credential: /root/.aws/credentials (AWS credentials file; "
	    "deleted by a later layer, its bytes still ship); remove it from "
	    "the image and mount secrets at run time." },
	{ "apps/web", &c_many, VERDICT_DENY, "content.secrets", APPS
	    "refused by rule \"apps\" (content.json:6): layer 1 of 3 holds a "
	    "credential: /root/.aws/credentials (AWS access key id; deleted by "
	    "a later layer, its bytes still ship), layer 2 of 3: /app/.npmrc "
	    "(npm auth token), layer 2 of 3: /app/\\x1b[2Jevil (GitHub token) "
	    "and 2 more; remove them from the image and mount secrets at run "
	    "time." },
	{ "apps/web", &c_debian, VERDICT_DENY, "content.shell", APPS
	    "refused by rule \"apps\" (content.json:6): the image has a shell: "
	    "/bin/bash, /bin/sh, /usr/local/bin/busybox and 1 more; build from "
	    "a distroless or scratch base, or delete it in the final stage. "
	    "Also: the image has a package manager: /usr/bin/apt-get, "
	    "/usr/bin/dpkg; remove it in the final stage of the build. Also: "
	    "the image has a compiler: /usr/bin/gcc; build in one stage and "
	    "copy only the result into the final image. Also: the image has "
	    "setuid or setgid files: /usr/bin/passwd (mode 4755), /usr/bin/su "
	    "(mode 4755), /usr/bin/wall (mode 2755); remove them or clear the "
	    "bits (chmod u-s,g-s)." },
	{ "paths/x", &c_paths, VERDICT_DENY, "content.deny_paths",
	    "regwarden: registry.example.com/paths/x:1.0 refused by rule "
	    "\"paths\" (content.json:10): the image has files at denied paths: "
	    "/app/certs/ca.pem (**/*.pem), /root/.ssh/id_rsa (/root/.ssh/**); "
	    "remove them from the image." },
	{ "paths/x", &c_clean, VERDICT_ALLOW, NULL,
	    "regwarden: registry.example.com/paths/x:1.0 admitted by rule "
	    "\"paths\" (content.json:10)." },
	{ "pkgs/x", &c_debian, VERDICT_DENY, "content.packages",
	    "regwarden: registry.example.com/pkgs/x:1.0 refused by rule "
	    "\"pkgs\" (content.json:12): the image has denied packages: "
	    "openssh-server 1:9.2p1-2+deb12u3 (openssh-server), gcc-12 "
	    "12.2.0-14 (gcc-*); remove them from the image. Ask #platform for "
	    "a slim base." },
	{ "pkgs/x", &c_rpm, VERDICT_DENY, "content.packages",
	    "regwarden: registry.example.com/pkgs/x:1.0 refused by rule "
	    "\"pkgs\" (content.json:12): the package database "
	    "/var/lib/rpm/rpmdb.sqlite cannot be read here, so denied packages "
	    "cannot be ruled out. Ask #platform for a slim base." },
	{ "pkgs/x", &c_rpm_read, VERDICT_DENY, "content.packages",
	    "regwarden: registry.example.com/pkgs/x:1.0 refused by rule "
	    "\"pkgs\" (content.json:12): the image has denied packages: "
	    "openssh-server 1:8.7p1-34.el9 (openssh-server), gcc-c++ "
	    "11.4.1-3.el9 (gcc-*); remove them from the image. Ask #platform "
	    "for a slim base." },
	{ "pkgs/x", &c_clean, VERDICT_ALLOW, NULL,
	    "regwarden: registry.example.com/pkgs/x:1.0 admitted by rule "
	    "\"pkgs\" (content.json:12)." },
	{ "size/x", &c_debian, VERDICT_DENY, "content.size",
	    "regwarden: registry.example.com/size/x:1.0 refused by rule "
	    "\"size\" (content.json:15): the image unpacks to 1001 bytes, more "
	    "than the 1000 allowed; slim it down." },
	{ "size/x", &c_clean, VERDICT_ALLOW, NULL,
	    "regwarden: registry.example.com/size/x:1.0 admitted by rule "
	    "\"size\" (content.json:15)." },
	{ "read/x", &c_refused, VERDICT_DENY, "content",
	    "regwarden: registry.example.com/read/x:1.0 refused by rule "
	    "\"read\" (content.json:17): layer 2 of 3 could not be inspected "
	    "(the layer expands past 8589934592 bytes); only images whose "
	    "layers regwarden has read are admitted." },
	{ "apps/web", &c_refused, VERDICT_DENY, "content",
	    APPS "refused by rule \"apps\" (content.json:6): layer 2 of 3 "
	    "could not be inspected (the layer expands past 8589934592 bytes); "
	    "only images whose layers regwarden has read are admitted." },
	{ "read/x", &c_debian, VERDICT_ALLOW, NULL,
	    "regwarden: registry.example.com/read/x:1.0 admitted by rule "
	    "\"read\" (content.json:17)." },
};

static struct policy *
load(void)
{
	struct rw_diags d;
	struct policy *p = NULL;

	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load(CONTENT_POLICY, &p, &d), RW_OK);
	return p;
}

static void
req_of(struct admission_req *q, const char *repo,
    const struct policy_content *c)
{
	memset(q, 0, sizeof(*q));
	q->op = POLICY_OP_PULL;
	q->host = "registry.example.com";
	q->repo = repo;
	q->tag = "1.0";
	q->digest = DA;
	q->content = c;
}

static const char *
first_failed(const struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (v->reasons[i].failed)
			return v->reasons[i].check;
	return NULL;
}

static void
test_rows(void **state)
{
	struct policy *p = load();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	const char *got;
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		req_of(&q, rows[i].repo, rows[i].c);
		rw_err_clear(&err);
		assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
		got = first_failed(&v);
		if (v.kind != rows[i].kind ||
		    strcmp(v.message, rows[i].message) != 0 ||
		    (rows[i].check == NULL) != (got == NULL) ||
		    (got != NULL && strcmp(got, rows[i].check) != 0)) {
			print_error("row %zu: kind %d check %s\n  got  %s\n"
			    "  want %s\n", i, v.kind, got ? got : "-",
			    v.message, rows[i].message);
			bad++;
		}
	}
	policy_free(p);
	assert_int_equal(bad, 0);
}

/* Passed checks are reasons too: explain lists them. */
static void
test_passed_reasons(void **state)
{
	struct policy *p = load();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;

	(void)state;
	req_of(&q, "apps/web", &c_clean);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.nreasons, 6);	/* the source, five checks */
	assert_string_equal(v.reasons[1].check, "content.secrets");
	assert_string_equal(v.reasons[1].text,
	    "no private keys or credentials in the 5 layers");
	assert_string_equal(v.reasons[2].text,
	    "no shell in the final filesystem");
	assert_string_equal(v.reasons[5].text,
	    "no setuid or setgid files in the final filesystem");
	req_of(&q, "pkgs/x", &c_clean);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_string_equal(v.reasons[1].text,
	    "none of the 0 installed packages is denied");
	policy_free(p);
}

/* Not gathered: fails closed, never an allow. */
static void
test_needs(void **state)
{
	struct policy *p = load();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	unsigned needs;

	(void)state;
	assert_non_null(policy_match(p, "registry.example.com", "read/x",
	    POLICY_OP_PUSH, 1, &needs));
	assert_int_equal(needs, POLICY_NEED_CONTENT);
	req_of(&q, "apps/web", NULL);
	rw_err_clear(&err);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_EINVAL);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(v.message, APPS "could not be decided: rule "
	    "\"apps\" (content.json:6) needs the content of the image's "
	    "layers, which was not gathered.");
	policy_free(p);
}

/* One uploaded layer judged alone (a push's final PUT of a blob). */
static void
test_layer(void **state)
{
	static const struct policy_secret up_key[] = {
		{ 0, "/root/.ssh/id_rsa", "PEM RSA PRIVATE KEY", 0 },
	};
	static const struct policy_secret two[] = {
		{ 0, "/root/.aws/credentials", "AWS access key id", 0 },
		{ 0, "/root/.aws/credentials", "AWS credentials file", 0 },
	};
	struct policy_content c;
	struct policy *p = load();
	struct verdict v;
	struct rw_err err;

	(void)state;
	assert_true(policy_push_reads_uploads(p, "registry.example.com",
	    "apps/web"));
	assert_false(policy_push_reads_uploads(p, "registry.example.com",
	    "paths/web"));
	assert_false(policy_push_reads_uploads(p, "registry.example.com",
	    "elsewhere/web"));
	memset(&c, 0, sizeof(c));
	c.nlayers = 1;
	c.secrets = up_key;
	c.nsecrets = 1;
	c.layer = DA;
	rw_err_clear(&err);
	assert_int_equal(policy_eval_layer(p, "registry.example.com",
	    "apps/web", &c, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(v.reasons[0].check, "content.secrets");
	assert_string_equal(v.message, "regwarden: push of "
	    "registry.example.com/apps/web refused by rule \"apps\" "
	    "(content.json:6): layer " DA " holds a private key: "
	    "/root/.ssh/id_rsa (PEM RSA PRIVATE KEY); remove it from the "
	    "image and mount secrets at run time.");
	/* A rule without no_secrets leaves the layer to the manifest. */
	assert_int_equal(policy_eval_layer(p, "registry.example.com",
	    "paths/web", &c, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_ALLOW);
	assert_int_equal(v.nreasons, 0);
	/* Two findings in the one layer: it is named once. */
	c.secrets = two;
	c.nsecrets = 2;
	assert_int_equal(policy_eval_layer(p, "registry.example.com",
	    "apps/web", &c, &v, &err), RW_OK);
	assert_string_equal(v.message, "regwarden: push of "
	    "registry.example.com/apps/web refused by rule \"apps\" "
	    "(content.json:6): layer " DA " holds a credential: "
	    "/root/.aws/credentials (AWS access key id), "
	    "/root/.aws/credentials (AWS credentials file); remove them from "
	    "the image and mount secrets at run time.");
	c.nsecrets = 0;
	assert_int_equal(policy_eval_layer(p, "registry.example.com",
	    "apps/web", &c, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_ALLOW);
	assert_int_equal(policy_eval_layer(p, "registry.example.com",
	    "apps/web", NULL, &v, &err), RW_EINVAL);
	assert_int_equal(v.kind, VERDICT_DENY);
	policy_free(p);
}

/* An index: every platform's content, the platform named; attestations
 * are not images and are not read. */
static void
test_index(void **state)
{
	struct policy_platform pl[] = {
		{ "linux", "amd64", "", NULL, &c_clean },
		{ "linux", "arm64", "v8", NULL, &c_key },
		{ "unknown", "unknown", "", NULL, NULL },
	};
	struct policy *p = load();
	struct admission_req q;
	struct verdict v;
	struct rw_err err;

	(void)state;
	req_of(&q, "apps/web", NULL);
	q.is_index = 1;
	q.platforms = pl;
	q.nplatforms = N(pl);
	rw_err_clear(&err);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(first_failed(&v), "content.secrets");
	assert_string_equal(v.message, APPS "refused by rule \"apps\" "
	    "(content.json:6): linux/arm64/v8: layer 3 of 5 holds a private "
	    "key: /app/certs/server.key (PEM RSA PRIVATE KEY); remove it from "
	    "the image and mount secrets at run time.");
	/* Both platforms clean: admitted, each platform's checks listed. */
	pl[1].content = &c_clean;
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_ALLOW);
	assert_int_equal(v.nreasons, 11);	/* the source, 2 x five */
	assert_string_equal(v.reasons[1].text, "linux/amd64: no private "
	    "keys or credentials in the 5 layers");
	assert_string_equal(v.reasons[6].text, "linux/arm64/v8: no private "
	    "keys or credentials in the 5 layers");
	/* A platform not read: fails closed, naming it. */
	pl[1].content = NULL;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_EINVAL);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(v.message, APPS "could not be decided: rule "
	    "\"apps\" (content.json:6) needs the content of platform "
	    "linux/arm64/v8's layers, which was not gathered.");
	/* Nothing but attestations: nothing was read, never admitted. */
	q.platforms = pl + 2;
	q.nplatforms = 1;
	assert_int_equal(policy_eval(p, &q, NOW, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(v.message, APPS "refused by rule \"apps\" "
	    "(content.json:6): the index lists no platform image whose "
	    "layers could be read.");
	policy_free(p);
}

/* A rule in warn mode warns about an uploaded layer, never refuses it. */
static void
test_layer_warn(void **state)
{
	static const struct policy_secret up_key[] = {
		{ 0, "/root/.ssh/id_rsa", "PEM RSA PRIVATE KEY", 0 },
	};
	struct policy_content c;
	struct policy *p = load();
	struct verdict v;
	struct rw_err err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.nlayers = 1;
	c.secrets = up_key;
	c.nsecrets = 1;
	c.layer = DA;
	rw_err_clear(&err);
	assert_int_equal(policy_eval_layer(p, "registry.example.com",
	    "warned/web", &c, &v, &err), RW_OK);
	assert_int_equal(v.kind, VERDICT_WARN);
	assert_int_equal(v.mode, POLICY_WARN);
	assert_string_equal(v.message, "regwarden: warning: push of "
	    "registry.example.com/warned/web would be refused by rule "
	    "\"warned\" (content.json:18, warn mode): layer " DA " holds a "
	    "private key: /root/.ssh/id_rsa (PEM RSA PRIVATE KEY); remove it "
	    "from the image and mount secrets at run time.");
	policy_free(p);
}

static void
test_helpers(void **state)
{
	(void)state;
	assert_true(policy_exec_kind(0, "busybox"));
	assert_true(policy_exec_kind(0, "sh"));
	assert_false(policy_exec_kind(0, "ssh"));
	assert_true(policy_exec_kind(1, "apt-get"));
	assert_true(policy_exec_kind(1, "microdnf"));
	assert_false(policy_exec_kind(1, "aptly"));
	assert_true(policy_exec_kind(2, "c++"));
	assert_true(policy_exec_kind(2, "rustc"));
	assert_false(policy_exec_kind(2, "gofmt"));
	assert_true(policy_in_bin_dir("/bin/sh"));
	assert_true(policy_in_bin_dir("/usr/local/sbin/x"));
	assert_false(policy_in_bin_dir("/usr/bin/"));
	assert_false(policy_in_bin_dir("/usr/bin/sub/sh"));
	assert_false(policy_in_bin_dir("/opt/bin/sh"));
	assert_true(policy_path_match("**/*.pem", "/a.pem"));
	assert_true(policy_path_match("**/*.pem", "/x/y/z.pem"));
	assert_false(policy_path_match("**/*.pem", "/x/y/z.pem.bak"));
	assert_true(policy_path_match("/root/.ssh/**", "/root/.ssh/id_rsa"));
	assert_false(policy_path_match("/root/.ssh/**", "/home/root/.ssh/k"));
	assert_true(policy_path_match("/etc/shadow", "/etc/shadow"));
	assert_false(policy_path_match("/etc/shadow", "/etc/shadow-"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_passed_reasons),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_layer),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_layer_warn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
