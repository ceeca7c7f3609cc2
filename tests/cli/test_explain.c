/* test_explain.c - check and explain: arguments, reports from a fixed verdict, output verbatim. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli/explain.h"
#include "util/util.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define MT_OCI "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"

/* ------------------------------------------------------------ helpers */

/* Run ARGV (NULL-terminated) through FN, capturing both streams. */
struct cap {
	char	*out;
	char	*err;
	int	 rc;
};

typedef int	(*main_fn)(int, char **, const char *, FILE *, FILE *);

static void
capture(struct cap *c, main_fn fn, const char *defcfg, ...)
{
	char *argv[16], *ob = NULL, *eb = NULL;
	size_t on = 0, en = 0;
	FILE *out, *err;
	va_list ap;
	int argc = 0;

	va_start(ap, defcfg);
	for (;;) {
		argv[argc] = va_arg(ap, char *);
		if (argv[argc] == NULL)
			break;
		argc++;
		assert_true(argc < 16);
	}
	va_end(ap);
	out = open_memstream(&ob, &on);
	err = open_memstream(&eb, &en);
	assert_non_null(out);
	assert_non_null(err);
	c->rc = fn(argc, argv, defcfg, out, err);
	/* open_memstream publishes the buffer when the stream is closed. */
	fclose(out);
	fclose(err);
	c->out = ob;
	c->err = eb;
}

static void
cap_free(struct cap *c)
{
	free(c->out);
	free(c->err);
	memset(c, 0, sizeof(*c));
}

/* The report FN prints for R, as one string. */
static char *
render(int (*fn)(FILE *, const struct explain_report *),
    const struct explain_report *r)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);

	assert_non_null(fp);
	assert_int_equal(fn(fp, r), 0);
	fclose(fp);
	return buf;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* --------------------------------------------------------- arguments */

static void
test_parse_check(void **state)
{
	struct explain_args a;
	struct rw_err e;
	char *v1[] = { "check", NULL };
	char *v2[] = { "check", "-c", "x.json", "p.json", NULL };
	char *v3[] = { "check", "--config", "x.json", NULL };
	char *bad1[] = { "check", "-c", NULL };
	char *bad2[] = { "check", "--verbose", NULL };
	char *bad3[] = { "check", "a.json", "b.json", NULL };

	(void)state;
	assert_int_equal(explain_parse_check(1, v1, "def.json", &a, &e), RW_OK);
	assert_string_equal(a.config, "def.json");
	assert_null(a.policy);
	assert_int_equal(explain_parse_check(4, v2, "def.json", &a, &e), RW_OK);
	assert_string_equal(a.config, "x.json");
	assert_string_equal(a.policy, "p.json");
	assert_int_equal(explain_parse_check(3, v3, "def.json", &a, &e), RW_OK);
	assert_string_equal(a.config, "x.json");
	assert_null(a.policy);

	rw_err_clear(&e);
	assert_int_equal(explain_parse_check(2, bad1, "d", &a, &e), RW_EINVAL);
	assert_string_equal(e.msg, "option -c needs a value");
	rw_err_clear(&e);
	assert_int_equal(explain_parse_check(2, bad2, "d", &a, &e), RW_EINVAL);
	assert_string_equal(e.msg, "unknown option \"--verbose\"");
	rw_err_clear(&e);
	assert_int_equal(explain_parse_check(3, bad3, "d", &a, &e), RW_EINVAL);
	assert_string_equal(e.msg, "too many arguments: \"b.json\"");
}

static void
test_parse_explain(void **state)
{
	struct explain_args a;
	struct rw_err e;
	char *v1[] = { "explain", "nginx:1.25", NULL };
	char *v2[] = { "explain", "--json", "nginx", "--op", "push", "-c",
	    "c.json", NULL };
	char *v3[] = { "explain", "--op=push", "nginx", NULL };
	char *bad1[] = { "explain", NULL };
	char *bad2[] = { "explain", "--op", "delete", "x", NULL };
	char *bad3[] = { "explain", "x", "--op", NULL };
	char *bad4[] = { "explain", "x", "y", NULL };
	char *bad5[] = { "explain", "-j", "x", NULL };
	char *bad6[] = { "explain", "--op=", "x", NULL };

	(void)state;
	assert_int_equal(explain_parse_explain(2, v1, "def.json", &a, &e),
	    RW_OK);
	assert_string_equal(a.config, "def.json");
	assert_string_equal(a.ref, "nginx:1.25");
	assert_int_equal(a.op, POLICY_OP_PULL);
	assert_int_equal(a.json, 0);
	assert_int_equal(explain_parse_explain(7, v2, "def.json", &a, &e),
	    RW_OK);
	assert_string_equal(a.config, "c.json");
	assert_string_equal(a.ref, "nginx");
	assert_int_equal(a.op, POLICY_OP_PUSH);
	assert_int_equal(a.json, 1);
	assert_int_equal(explain_parse_explain(3, v3, "d", &a, &e), RW_OK);
	assert_int_equal(a.op, POLICY_OP_PUSH);

	rw_err_clear(&e);
	assert_int_equal(explain_parse_explain(1, bad1, "d", &a, &e),
	    RW_EINVAL);
	assert_string_equal(e.msg, "missing image reference");
	rw_err_clear(&e);
	assert_int_equal(explain_parse_explain(4, bad2, "d", &a, &e),
	    RW_EINVAL);
	assert_string_equal(e.msg,
	    "--op must be \"pull\" or \"push\", not \"delete\"");
	rw_err_clear(&e);
	assert_int_equal(explain_parse_explain(3, bad3, "d", &a, &e),
	    RW_EINVAL);
	assert_string_equal(e.msg, "option --op needs a value");
	rw_err_clear(&e);
	assert_int_equal(explain_parse_explain(3, bad4, "d", &a, &e),
	    RW_EINVAL);
	assert_string_equal(e.msg, "too many arguments: \"y\"");
	rw_err_clear(&e);
	assert_int_equal(explain_parse_explain(3, bad5, "d", &a, &e),
	    RW_EINVAL);
	assert_string_equal(e.msg, "unknown option \"-j\"");
	rw_err_clear(&e);
	assert_int_equal(explain_parse_explain(3, bad6, "d", &a, &e),
	    RW_EINVAL);
	assert_string_equal(e.msg, "--op must be \"pull\" or \"push\", not \"\"");
}

/* ------------------------------------------------------------ reports */

static const char *const root_env[] = { "PATH=/usr/bin", "DB_PASSWORD=hunter2",
    "EMPTY" };
static const struct policy_kv root_labels[] = {
	{ "org.opencontainers.image.source", "https://example.com/app" },
	{ "note", "a\x1b[31mred\nline" },
};

/* A refused single image: one pass, two failures. */
static void
deny_fixture(struct verdict *v, struct policy_image *img,
    struct explain_image *ev, struct explain_report *r)
{
	static const char *const plats[] = { "linux/amd64" };

	memset(v, 0, sizeof(*v));
	v->kind = VERDICT_DENY;
	v->mode = POLICY_ENFORCE;
	v->matched = 1;
	rw_strlcpy(v->rule, "apps", sizeof(v->rule));
	rw_strlcpy(v->file, "/etc/regwarden/policy.json", sizeof(v->file));
	v->line = 7;
	rw_strlcpy(v->message, "regwarden: docker.io/e2e/root:1.0 refused by "
	    "rule \"apps\" (policy.json:7): image runs as root (User is empty).",
	    sizeof(v->message));
	v->nreasons = 3;
	rw_strlcpy(v->reasons[0].check, "sources", sizeof(v->reasons[0].check));
	rw_strlcpy(v->reasons[0].text, "docker.io/e2e/root is an allowed source",
	    sizeof(v->reasons[0].text));
	rw_strlcpy(v->reasons[1].check, "image.non_root",
	    sizeof(v->reasons[1].check));
	v->reasons[1].failed = 1;
	rw_strlcpy(v->reasons[1].text, "image runs as root (User is empty)",
	    sizeof(v->reasons[1].text));
	rw_strlcpy(v->reasons[2].check, "image.no_secrets",
	    sizeof(v->reasons[2].check));
	v->reasons[2].failed = 1;
	rw_strlcpy(v->reasons[2].text, "image sets a secret-looking environment "
	    "variable: DB_PASSWORD", sizeof(v->reasons[2].text));

	memset(img, 0, sizeof(*img));
	img->user = "";
	img->env = root_env;
	img->nenv = 3;
	img->labels = root_labels;
	img->nlabels = 2;
	img->os = "linux";
	img->arch = "amd64";
	img->variant = "";
	img->created = 1700000000;

	memset(ev, 0, sizeof(*ev));
	ev->config_digest = D2;
	ev->img = img;

	memset(r, 0, sizeof(*r));
	r->image = "docker.io/e2e/root:1.0";
	r->upstream = "local";
	r->upstream_url = "http://127.0.0.1:5000";
	r->op = POLICY_OP_PULL;
	r->digest = D1;
	r->media_type = MT_OCI;
	r->platforms = plats;
	r->nplatforms = 1;
	r->has_policy = 1;
	r->v = v;
	r->images = ev;
	r->nimages = 1;
}

static void
test_text_deny(void **state)
{
	struct verdict v;
	struct policy_image img;
	struct explain_image ev;
	struct explain_report r;
	char *s;

	(void)state;
	deny_fixture(&v, &img, &ev, &r);
	s = render(explain_print_text, &r);
	assert_string_equal(s,
	    "image:      docker.io/e2e/root:1.0\n"
	    "upstream:   local (http://127.0.0.1:5000)\n"
	    "operation:  pull\n"
	    "digest:     " D1 "\n"
	    "media type: " MT_OCI "\n"
	    "platforms:  linux/amd64\n"
	    "decision:   deny (would be refused)\n"
	    "rule:       \"apps\" (/etc/regwarden/policy.json:7, enforce mode)\n"
	    "checks:\n"
	    "  PASS sources: docker.io/e2e/root is an allowed source\n"
	    "  FAIL image.non_root: image runs as root (User is empty)\n"
	    "  FAIL image.no_secrets: image sets a secret-looking environment "
	    "variable: DB_PASSWORD\n"
	    "evidence:\n"
	    "  config:   " D2 "\n"
	    "  user:     (empty)\n"
	    "  env:      PATH, DB_PASSWORD, EMPTY\n"
	    "  labels:   org.opencontainers.image.source=https://example.com/app\n"
	    "            note=a\\x1b[31mred\\x0aline\n"
	    "  created:  2023-11-14T22:13:20Z\n"
	    "  pin:      not read (the deciding rule checks no pin here)\n"
	    "message:    regwarden: docker.io/e2e/root:1.0 refused by rule "
	    "\"apps\" (policy.json:7): image runs as root (User is empty).\n");
	/* Names only: a value never reaches the report. */
	assert_null(strstr(s, "hunter2"));
	assert_null(strstr(s, "/usr/bin"));
	assert_int_equal(explain_exit_status(&r), EXPLAIN_EXIT_DENIED);
	free(s);
}

/* The decision line and exit status for each kind and mode. */
static void
test_decision_lines(void **state)
{
	static const struct {
		int		 kind, mode, matched, failed, has_policy;
		const char	*decision;
		const char	*rule;
		int		 status;
	} rows[] = {
		{ VERDICT_ALLOW, POLICY_ENFORCE, 1, 0, 1,
		  "decision:   allow (would be served)\n",
		  "rule:       \"apps\" (/p.json:3, enforce mode)\n", 0 },
		{ VERDICT_WARN, POLICY_WARN, 1, 1, 1,
		  "decision:   warn (would be served with a warning)\n",
		  "rule:       \"apps\" (/p.json:3, warn mode)\n", 0 },
		{ VERDICT_ALLOW, POLICY_AUDIT, 1, 1, 1,
		  "decision:   allow (audit mode: would be served; the failed "
		  "checks are only recorded)\n",
		  "rule:       \"apps\" (/p.json:3, audit mode)\n", 0 },
		{ VERDICT_DENY, POLICY_ENFORCE, 0, 1, 1,
		  "decision:   deny (would be refused)\n",
		  "rule:       no rule matched: default deny\n", 3 },
		{ VERDICT_ALLOW, POLICY_ENFORCE, 0, 0, 1,
		  "decision:   allow (would be served)\n",
		  "rule:       no rule matched: default allow\n", 0 },
		{ VERDICT_ALLOW, POLICY_ENFORCE, 0, 0, 0,
		  "decision:   allow (no policy configured: every image is "
		  "served)\n",
		  "rule:       none (no policy configured)\n", 0 },
	};
	struct verdict v;
	struct policy_image img;
	struct explain_image ev;
	struct explain_report r;
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		deny_fixture(&v, &img, &ev, &r);
		v.kind = rows[i].kind;
		v.mode = rows[i].mode;
		v.matched = rows[i].matched;
		rw_strlcpy(v.file, "/p.json", sizeof(v.file));
		v.line = 3;
		v.nreasons = rows[i].failed ? 2 : 1;
		r.has_policy = rows[i].has_policy;
		r.v = rows[i].has_policy ? &v : NULL;
		s = render(explain_print_text, &r);
		if (strstr(s, rows[i].decision) == NULL ||
		    strstr(s, rows[i].rule) == NULL)
			fail_msg("row %zu: got\n%s", i, s);
		assert_int_equal(explain_exit_status(&r), rows[i].status);
		if (!rows[i].has_policy) {
			assert_non_null(strstr(s, "checks:\n  (none)\n"));
			assert_null(strstr(s, "message:"));
		}
		free(s);
	}
}

/* An index: one evidence block per platform; a pin from the db. */
static void
test_text_index(void **state)
{
	static const char *const plats[] = { "linux/amd64", "linux/arm64/v8" };
	static const char *const env[] = { "HOME=/home/app" };
	struct policy_image a, b;
	struct explain_image ev[2];
	struct explain_report r;
	struct verdict v;
	char *s;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.kind = VERDICT_ALLOW;
	v.matched = 1;
	rw_strlcpy(v.rule, "multi", sizeof(v.rule));
	rw_strlcpy(v.file, "policy.json", sizeof(v.file));
	v.line = 12;
	v.nreasons = 1;
	rw_strlcpy(v.reasons[0].check, "pins", sizeof(v.reasons[0].check));
	rw_strlcpy(v.reasons[0].text, "tag \"1.0\" is pinned to this digest",
	    sizeof(v.reasons[0].text));
	rw_strlcpy(v.message, "regwarden: admitted.", sizeof(v.message));
	memset(&a, 0, sizeof(a));
	a.user = "1000";
	a.env = env;
	a.nenv = 1;
	a.created = -1;
	b = a;
	b.user = "65532:65532";
	b.nenv = 0;
	b.created = 0;
	ev[0] = (struct explain_image){ "linux/amd64", D2, D3, &a };
	ev[1] = (struct explain_image){ "linux/arm64/v8", D4, D1, &b };
	memset(&r, 0, sizeof(r));
	r.image = "docker.io/e2e/multi:1.0";
	r.upstream = "hub";
	r.upstream_url = "https://registry-1.docker.io";
	r.upstream_why = "the default: no upstream lists host 127.0.0.1:5000";
	r.op = POLICY_OP_PUSH;
	r.digest = D1;
	r.media_type = MT_INDEX;
	r.platforms = plats;
	r.nplatforms = 2;
	r.has_policy = 1;
	r.v = &v;
	r.images = ev;
	r.nimages = 2;
	r.pin_needed = 1;
	r.pin = D1;
	r.pin_source = "state db";
	s = render(explain_print_text, &r);
	assert_string_equal(s,
	    "image:      docker.io/e2e/multi:1.0\n"
	    "upstream:   hub (https://registry-1.docker.io), the default: no "
	    "upstream lists host 127.0.0.1:5000\n"
	    "operation:  push\n"
	    "digest:     " D1 "\n"
	    "media type: " MT_INDEX "\n"
	    "platforms:  linux/amd64, linux/arm64/v8\n"
	    "decision:   allow (would be served)\n"
	    "rule:       \"multi\" (policy.json:12, enforce mode)\n"
	    "checks:\n"
	    "  PASS pins: tag \"1.0\" is pinned to this digest\n"
	    "evidence:\n"
	    "  linux/amd64: manifest " D2 "\n"
	    "    config:   " D3 "\n"
	    "    user:     1000\n"
	    "    env:      HOME\n"
	    "    labels:   (none)\n"
	    "    created:  (unknown)\n"
	    "  linux/arm64/v8: manifest " D4 "\n"
	    "    config:   " D1 "\n"
	    "    user:     65532:65532\n"
	    "    env:      (none)\n"
	    "    labels:   (none)\n"
	    "    created:  1970-01-01T00:00:00Z\n"
	    "  pin:      " D1 " (state db)\n"
	    "message:    regwarden: admitted.\n");
	free(s);
}

/* Nothing gathered: a blocked source; an unpinned tag that the proxy
 * would pin on first pull. */
static void
test_text_not_gathered(void **state)
{
	struct verdict v;
	struct policy_image img;
	struct explain_image ev;
	struct explain_report r;
	char *s;

	(void)state;
	deny_fixture(&v, &img, &ev, &r);
	r.nimages = 0;
	r.nplatforms = 0;
	r.pin_needed = 1;
	v.kind = VERDICT_ALLOW;
	v.pin_now = 1;
	s = render(explain_print_text, &r);
	assert_non_null(strstr(s, "platforms:  (not fetched)\n"));
	assert_non_null(strstr(s, "evidence:\n"
	    "  config:   not fetched (the deciding rule does not read it)\n"
	    "  pin:      none; a pull through regwarden would pin the tag to "
	    D1 " (pin_on_first_pull), explain pins nothing\n"));
	free(s);
	v.pin_now = 0;
	s = render(explain_print_text, &r);
	assert_non_null(strstr(s, "  pin:      none\n"));
	free(s);
}

static void
test_json(void **state)
{
	struct verdict v;
	struct policy_image img;
	struct explain_image ev;
	struct explain_report r;
	json_t *o, *im;
	char *s;

	(void)state;
	deny_fixture(&v, &img, &ev, &r);
	r.pin_needed = 1;
	r.pin = D3;
	r.pin_source = "policy file";
	s = render(explain_print_json, &r);
	assert_non_null(strchr(s, '\n'));
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);	/* one line */
	assert_null(strstr(s, "hunter2"));
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "image")),
	    "docker.io/e2e/root:1.0");
	assert_string_equal(json_string_value(json_object_get(o, "decision")),
	    "deny");
	assert_true(json_is_false(json_object_get(o, "served")));
	assert_string_equal(json_string_value(json_object_get(o, "mode")),
	    "enforce");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(o, "rule"), "file")), "/etc/regwarden/policy.json");
	assert_int_equal(json_integer_value(json_object_get(
	    json_object_get(o, "rule"), "line")), 7);
	assert_int_equal(json_array_size(json_object_get(o, "checks")), 3);
	assert_true(json_is_false(json_object_get(json_array_get(
	    json_object_get(o, "checks"), 1), "passed")));
	im = json_array_get(json_object_get(o, "images"), 0);
	assert_true(json_is_null(json_object_get(im, "platform")));
	assert_string_equal(json_string_value(json_object_get(im, "config")),
	    D2);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(im, "env"), 1)), "DB_PASSWORD");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    im, "labels"), "note")), "a\x1b[31mred\nline");
	assert_string_equal(json_string_value(json_object_get(im, "created")),
	    "2023-11-14T22:13:20Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    o, "pin"), "source")), "policy file");
	assert_string_equal(json_string_value(json_object_get(o, "message")),
	    v.message);
	json_decref(o);
	free(s);

	/* The default decided: no rule object, the default named. */
	v.matched = 0;
	r.pin = NULL;
	s = render(explain_print_json, &r);
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "rule")));
	assert_true(json_is_null(json_object_get(o, "mode")));
	assert_true(json_is_null(json_object_get(o, "pin")));
	assert_string_equal(json_string_value(json_object_get(o, "default")),
	    "deny");
	json_decref(o);
	free(s);
}

/* ------------------------------------------------------------- commands */

struct dir {
	char	 path[64];
	char	 good[128];
	char	 bad[128];
	char	 cfg[128];
	char	 cfg_nopol[128];
};

static const char good_policy[] =
    "// comments are fine\n"
    "{ \"version\": 1,\n"
    "  \"rules\": [\n"
    "    { \"name\": \"a\", \"match\": \"docker.io/library/*\" },\n"
    "    { \"name\": \"b\", \"match\": \"ghcr.io/**\", \"allow\": false }\n"
    "  ] }\n";

static int
dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	char text[512];

	if (d == NULL)
		return -1;
	rw_strlcpy(d->path, "/tmp/rwexplainXXXXXX", sizeof(d->path));
	if (mkdtemp(d->path) == NULL)
		return -1;
	snprintf(d->good, sizeof(d->good), "%s/good.json", d->path);
	snprintf(d->bad, sizeof(d->bad), "%s/bad.json", d->path);
	snprintf(d->cfg, sizeof(d->cfg), "%s/regwarden.json", d->path);
	snprintf(d->cfg_nopol, sizeof(d->cfg_nopol), "%s/nopol.json", d->path);
	write_file(d->good, good_policy);
	write_file(d->bad, "{ \"version\": 1,\n  \"rules\": [ { \"name\": \"a\","
	    " \"match\": \"docker.io/**\", \"alow\": true } ] }\n");
	/* Port 1 on loopback: nothing listens, the connection is refused. */
	snprintf(text, sizeof(text), "{ \"listen\": \"127.0.0.1:5443\", "
	    "\"state_dir\": \"%s/state\", \"policy\": \"good.json\",\n"
	    "  \"upstreams\": [{\"name\": \"hub\", \"url\": \"http://127.0.0.1:1\","
	    " \"insecure\": true, \"hosts\": [\"docker.io\"], \"default\": false}] "
	    "}\n", d->path);
	write_file(d->cfg, text);
	snprintf(text, sizeof(text), "{ \"listen\": \"127.0.0.1:5443\", "
	    "\"state_dir\": \"%s/state\",\n  \"upstreams\": [{\"name\": \"hub\", "
	    "\"url\": \"http://127.0.0.1:1\", \"insecure\": true, "
	    "\"default\": true}] }\n", d->path);
	write_file(d->cfg_nopol, text);
	*state = d;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dir *d = *state;

	unlink(d->good);
	unlink(d->bad);
	unlink(d->cfg);
	unlink(d->cfg_nopol);
	rmdir(d->path);
	free(d);
	return 0;
}

static void
test_check(void **state)
{
	struct dir *d = *state;
	char want[512], rev[RW_DIGEST_MAX];
	struct cap c;

	assert_int_equal(rw_digest(RW_HASH_SHA256, good_policy,
	    strlen(good_policy), rev), RW_OK);
	capture(&c, explain_check_main, d->cfg, "check", d->good, NULL);
	snprintf(want, sizeof(want), "%s: policy OK (revision %s, 2 rules)\n",
	    d->good, rev);
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.out, want);
	assert_string_equal(c.err, "");
	cap_free(&c);

	/* No argument: the config's "policy", resolved against its dir. */
	capture(&c, explain_check_main, "/nonexistent.json", "check", "-c",
	    d->cfg, NULL);
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.out, want);
	cap_free(&c);

	capture(&c, explain_check_main, d->cfg, "check", d->bad, NULL);
	snprintf(want, sizeof(want), "%s:2:54: \"rules[0]\": unknown key "
	    "\"alow\" (did you mean \"allow\"?)\n", d->bad);
	assert_int_equal(c.rc, 1);
	assert_string_equal(c.out, "");
	assert_string_equal(c.err, want);
	cap_free(&c);

	capture(&c, explain_check_main, d->cfg_nopol, "check", NULL);
	snprintf(want, sizeof(want), "regwarden: %s has no \"policy\" key; name "
	    "the file to check: regwarden check policy.json\n", d->cfg_nopol);
	assert_int_equal(c.rc, 1);
	assert_string_equal(c.err, want);
	cap_free(&c);

	capture(&c, explain_check_main, d->cfg, "check", "a", "b", NULL);
	assert_int_equal(c.rc, 2);
	assert_string_equal(c.out, "");
	assert_true(strncmp(c.err, "regwarden: too many arguments: \"b\"\n"
	    "usage: regwarden check", 57) == 0);
	cap_free(&c);
}

static void
test_explain_errors(void **state)
{
	struct dir *d = *state;
	struct stat sb;
	char statedb[128];
	struct cap c;
	json_t *o;

	capture(&c, explain_main, d->cfg, "explain", "--op", "pul", "x", NULL);
	assert_int_equal(c.rc, 2);
	assert_true(strncmp(c.err, "regwarden: --op must be \"pull\" or "
	    "\"push\", not \"pul\"\nusage: ", 57) == 0);
	cap_free(&c);

	capture(&c, explain_main, d->cfg, "explain", "nginx:-x", NULL);
	assert_int_equal(c.rc, 2);
	assert_true(strncmp(c.err, "regwarden: invalid tag \"-x\" in "
	    "\"nginx:-x\"", 41) == 0);
	cap_free(&c);

	capture(&c, explain_main, "/nonexistent/regwarden.json", "explain",
	    "nginx:1.25", NULL);
	assert_int_equal(c.rc, 4);
	assert_non_null(strstr(c.err, "regwarden: could not decide on "
	    "nginx:1.25: the configuration has errors\n"));
	cap_free(&c);

	/* An upstream nobody answers: could not decide, nothing created. */
	capture(&c, explain_main, d->cfg, "explain", "nginx:1.25", NULL);
	assert_int_equal(c.rc, 4);
	assert_string_equal(c.out, "");
	assert_true(strncmp(c.err, "regwarden: could not decide on "
	    "docker.io/library/nginx:1.25: upstream hub could not be reached: ",
	    95) == 0);
	cap_free(&c);
	snprintf(statedb, sizeof(statedb), "%s/state", d->path);
	assert_int_not_equal(stat(statedb, &sb), 0);

	/* No upstream for the host and no default. */
	capture(&c, explain_main, d->cfg, "explain", "--json",
	    "quay.io/org/app:1", NULL);
	assert_int_equal(c.rc, 4);
	assert_string_equal(c.err, "regwarden: could not decide on "
	    "quay.io/org/app:1: no upstream answers for quay.io and none is the "
	    "default\n");
	o = json_loads(c.out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "decision")),
	    "error");
	assert_string_equal(json_string_value(json_object_get(o, "error")),
	    "no upstream answers for quay.io and none is the default");
	json_decref(o);
	cap_free(&c);

	/* The default upstream is named when it was a fallback. */
	capture(&c, explain_main, d->cfg_nopol, "explain", "quay.io/org/app:1",
	    NULL);
	assert_int_equal(c.rc, 4);
	assert_non_null(strstr(c.err, " (upstream hub is the default: no "
	    "upstream lists host quay.io)\n"));
	cap_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_check),
		cmocka_unit_test(test_parse_explain),
		cmocka_unit_test(test_text_deny),
		cmocka_unit_test(test_decision_lines),
		cmocka_unit_test(test_text_index),
		cmocka_unit_test(test_text_not_gathered),
		cmocka_unit_test(test_json),
		cmocka_unit_test_setup_teardown(test_check, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_explain_errors, dir_setup,
		    dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
