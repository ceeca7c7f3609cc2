/* test_trustroot.c - keyless keys: trusted_root.json and policy_eval. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The real keyless fixture (dir-img-cosign-fulcio-rekor-valid, signed by
 * mitr@redhat.com through GitHub) judged by policies whose trusted root is
 * built here from the fixtures' Fulcio root, Rekor key and the public-good
 * CT log keys, each row changing one thing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "policy/policy.h"
#include "policy/sig/internal.h"
#include "tests/testutil.h"

#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define FIX_DIR		RW_SOURCE_DIR "/tests/fixtures/cosign"
#define GOOD_ROOT	RW_SOURCE_DIR \
	"/tests/fixtures/sigstore-conformance/trusted_root.public-good.json"
#define SIGSTORE_MAGIC	"\0sigstore-json\n"
#define MAGIC_LEN	(sizeof(SIGSTORE_MAGIC) - 1)
#define NOW		INT64_C(1750000000)
#define DIGEST \
	"sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"
#define EMAIL		"mitr@redhat.com"
#define GH		"https://github.com/login/oauth"
#define REKOR_ID \
	"sha256:c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"

/* ---------------------------------------------------------------- helpers */

/* The base64 body of the first PEM block of fixture NAME, on one line. */
static char *
pem_body(const char *name)
{
	char path[512], *pem, *out, *p;
	size_t len, o = 0;
	int in = 0;

	snprintf(path, sizeof(path), "%s/%s", FIX_DIR, name);
	pem = tu_slurp(path, &len);
	out = calloc(1, len + 1);
	assert_non_null(out);
	for (p = pem; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');
		size_t l = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (strncmp(p, "-----BEGIN", 10) == 0)
			in = 1;
		else if (strncmp(p, "-----END", 8) == 0) {
			if (in)
				break;
		} else if (in) {
			memcpy(out + o, p, l);
			o += l;
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(pem);
	return out;
}

/* One signature layer of the fixture, as server/ would pass it. */
struct layer {
	unsigned char	*payload;
	size_t		 plen;
	char		*sig, *cert, *chain, *bundle;
};

static char *
annotation(json_t *doc, const char *name)
{
	json_t *v = json_object_get(json_object_get(doc, "annotations"), name);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static void
layer_read_dir(const char *dir, struct layer *l)
{
	struct rw_err err;
	json_t *doc, *p;
	char path[512];
	size_t len;
	char *raw;

	snprintf(path, sizeof(path), "%s/%s/signature-1", FIX_DIR, dir);
	raw = tu_slurp(path, &len);
	memset(l, 0, sizeof(*l));
	assert_true(len > MAGIC_LEN);
	assert_memory_equal(raw, SIGSTORE_MAGIC, MAGIC_LEN);
	doc = json_loadb(raw + MAGIC_LEN, len - MAGIC_LEN, 0, NULL);
	assert_non_null(doc);
	p = json_object_get(doc, "payload");
	rw_err_clear(&err);
	assert_int_equal(sig_b64_decode(json_string_value(p),
	    json_string_length(p), 0, &l->payload, &l->plen, &err), RW_OK);
	l->sig = annotation(doc, "dev.cosignproject.cosign/signature");
	l->cert = annotation(doc, "dev.sigstore.cosign/certificate");
	l->chain = annotation(doc, "dev.sigstore.cosign/chain");
	l->bundle = annotation(doc, "dev.sigstore.cosign/bundle");
	assert_non_null(l->sig);
	assert_non_null(l->bundle);
	json_decref(doc);
	free(raw);
}

static void
layer_read(struct layer *l)
{
	layer_read_dir("dir-img-cosign-fulcio-rekor-valid", l);
	assert_non_null(l->cert);
}

static void
layer_free(struct layer *l)
{
	free(l->payload);
	free(l->sig);
	free(l->cert);
	free(l->chain);
	free(l->bundle);
}

/* ---------------------------------------------------- the trusted roots */

enum root_kind {
	R_GOOD,		/* the Fulcio root, Rekor key, public-good CT logs */
	R_OTHER_CA,	/* another Fulcio root only */
	R_OTHER_TLOG,	/* cosign.pub posing as the Rekor key */
	R_CA_ENDED,	/* the Fulcio root valid only until 2022 */
	R_TLOG_LATE,	/* the Rekor key valid only from 2024 */
	R_NO_CT		/* CT log keys valid only until 2022 */
};

static json_t *
window(const char *start, const char *end)
{
	json_t *w = json_pack("{s:s}", "start", start);

	if (end != NULL)
		json_object_set_new(w, "end", json_string(end));
	return w;
}

/* The trusted_root.json of KIND, as text (the caller frees it). */
static char *
root_text(enum root_kind kind)
{
	char *ca = pem_body("fulcio_v1.crt.pem"), *tl, *text;
	json_t *good, *doc, *cts, *c;
	size_t len, i;
	char *g;

	tl = pem_body(kind == R_OTHER_TLOG ? "cosign.pub" : "rekor.pub");
	g = tu_slurp(GOOD_ROOT, &len);
	good = json_loadb(g, len, 0, NULL);
	free(g);
	assert_non_null(good);
	cts = json_deep_copy(json_object_get(good, "ctlogs"));
	if (kind == R_NO_CT)
		json_array_foreach(cts, i, c)
			json_object_set_new(json_object_get(c, "publicKey"),
			    "validFor", window("2021-01-01T00:00:00Z",
			    "2022-01-01T00:00:00Z"));
	if (kind == R_OTHER_CA) {
		free(ca);
		ca = strdup(json_string_value(json_object_get(json_array_get(
		    json_object_get(json_object_get(json_array_get(
		    json_object_get(good, "certificateAuthorities"), 0),
		    "certChain"), "certificates"), 0), "rawBytes")));
	}
	doc = json_pack("{s:[{s:{s:[{s:s}]},s:o}],s:[{s:{s:s,s:s,s:o}}],s:o}",
	    "certificateAuthorities", "certChain", "certificates", "rawBytes",
	    ca, "validFor", window("2021-03-07T03:20:29Z", kind == R_CA_ENDED ?
	    "2022-12-31T23:59:59.999Z" : NULL),
	    "tlogs", "publicKey", "rawBytes", tl, "keyDetails",
	    "PKIX_ECDSA_P256_SHA_256", "validFor", window(kind == R_TLOG_LATE ?
	    "2024-01-01T00:00:00Z" : "2021-01-12T11:53:27Z", NULL),
	    "ctlogs", cts);
	assert_non_null(doc);
	text = json_dumps(doc, JSON_INDENT(2));
	assert_non_null(text);
	json_decref(doc);
	json_decref(good);
	free(ca);
	free(tl);
	return text;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A policy whose key "gh" is KEY (JSON), loaded from a fresh directory. */
static struct policy *
load_key(enum root_kind kind, const char *key)
{
	char dir[] = "/tmp/rw-troot-XXXXXX", pol[128], root[128], text[1024];
	struct rw_diags d;
	struct policy *p = NULL;
	char *rt;
	size_t i;

	assert_non_null(mkdtemp(dir));
	snprintf(pol, sizeof(pol), "%s/policy.json", dir);
	snprintf(root, sizeof(root), "%s/root.json", dir);
	rt = root_text(kind);
	write_text(root, rt);
	free(rt);
	snprintf(text, sizeof(text), "{\"version\": 1, \"keys\": {\"gh\": "
	    "%s}, \"rules\": [{\"name\": \"apps\", \"match\": "
	    "\"docker.io/acme/**\", \"signatures\": {\"keys\": [\"gh\"]}}]}",
	    key);
	write_text(pol, text);
	memset(&d, 0, sizeof(d));
	if (policy_load(pol, &p, &d) != RW_OK) {
		for (i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.e[i].msg);
		fail_msg("policy did not load");
	}
	assert_int_equal(unlink(pol), 0);
	assert_int_equal(unlink(root), 0);
	assert_int_equal(rmdir(dir), 0);
	return p;
}

/* A policy trusting one keyless identity. */
static struct policy *
load_policy(enum root_kind kind, const char *identity, const char *issuer)
{
	char key[512];

	snprintf(key, sizeof(key), "{\"keyless\": {\"trusted_root\": "
	    "\"root.json\", \"issuer\": \"%s\", %s}}", issuer, identity);
	return load_key(kind, key);
}

static int
eval(const struct policy *p, const struct policy_sig_input *in, size_t n,
    struct verdict *v)
{
	struct admission_req q;
	struct rw_err err;

	memset(&q, 0, sizeof(q));
	q.op = POLICY_OP_PULL;
	q.host = "docker.io";
	q.repo = "acme/app";
	q.tag = "1";
	q.digest = DIGEST;
	q.sigs = in;
	q.nsigs = n;
	q.sigs_gathered = 1;
	rw_err_clear(&err);
	return policy_eval(p, &q, NOW, v, &err);
}

/* The reason named CHECK, or "". */
static const char *
reason(const struct verdict *v, const char *check)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (strcmp(v->reasons[i].check, check) == 0)
			return v->reasons[i].text;
	return "";
}

/* ------------------------------------------------------------------ rows */

#define SUBJ	"\"subject\": \"" EMAIL "\""
#define FOUND1	"; found 1 signature: 1 "
#define NOSIG	"no signature by any key trusted for docker.io/acme/** " \
	"(trusted: gh)" FOUND1
#define FIXAS(who, iss) ". Sign it as " who " via " iss ": cosign sign " \
	"docker.io/acme/app@" DIGEST
#define FIX	FIXAS(EMAIL, GH)
#define WHO	"no signature by key gh (keyless " EMAIL " via " GH ")"
#define WHEN	"2023-01-20T20:51:33Z"

struct row {
	const char	*name;
	enum root_kind	 root;
	const char	*identity;	/* "subject" or "subject_regex" member */
	const char	*issuer;
	int		 allow;
	const char	*msg;		/* the "signatures" reason */
	const char	*key;		/* the "signatures.key" reason */
};

static const struct row rows[] = {
	{ "admitted", R_GOOD, SUBJ, GH, 1,
	    "signed by a key trusted for docker.io/acme/** (gh)" FOUND1
	    "by a trusted key",
	    "signed by key gh (keyless " EMAIL " via " GH "), signature "
	    "sha256-0489.sig layer 1" },
	{ "regex", R_GOOD, "\"subject_regex\": \"[a-z]+@redhat\\\\.com\"", GH,
	    1, "signed by a key trusted for docker.io/acme/** (gh)" FOUND1
	    "by a trusted key", NULL },
	{ "other subject", R_GOOD, "\"subject\": \"alice@example.com\"", GH, 0,
	    NOSIG "by another identity: " EMAIL " via " GH
	    FIXAS("alice@example.com", GH),
	    "no signature by key gh (keyless alice@example.com via " GH "); "
	    "certificate identity \"mitr@redhat.com\" does not match "
	    "\"alice@example.com\"" },
	{ "other issuer", R_GOOD, SUBJ, "https://accounts.example.com", 0,
	    NOSIG "by another identity: " EMAIL " via " GH FIXAS(EMAIL,
	    "https://accounts.example.com"),
	    "no signature by key gh (keyless " EMAIL " via "
	    "https://accounts.example.com); certificate OIDC issuer \"" GH
	    "\" is not \"https://accounts.example.com\"" },
	{ "other CA", R_OTHER_CA, SUBJ, GH, 0,
	    NOSIG "by an untrusted certificate" FIX,
	    WHO "; certificate does not chain to a trusted Fulcio root at "
	    WHEN ": self-signed certificate in certificate chain" },
	{ "other tlog", R_OTHER_TLOG, SUBJ, GH, 0,
	    NOSIG "not in a trusted Rekor log" FIX, NULL },
	{ "CA ended", R_CA_ENDED, SUBJ, GH, 0,
	    NOSIG "by an untrusted certificate" FIX,
	    WHO "; no Fulcio CA of the trusted root is valid at " WHEN },
	{ "tlog later", R_TLOG_LATE, SUBJ, GH, 0,
	    NOSIG "not in a trusted Rekor log" FIX,
	    WHO "; integrated at " WHEN ", outside the validity of Rekor "
	    "key " REKOR_ID },
	{ "no CT log", R_NO_CT, SUBJ, GH, 0,
	    NOSIG "by an untrusted certificate" FIX,
	    WHO "; no CT log key of the trusted root is valid at " WHEN },
};

static int
run_row(const struct row *r, const struct layer *l)
{
	struct policy_sig_input in;
	struct policy *p = load_policy(r->root, r->identity, r->issuer);
	struct verdict v;
	int bad = 0;

	memset(&in, 0, sizeof(in));
	in.payload = (const char *)l->payload;
	in.plen = l->plen;
	in.sig_b64 = l->sig;
	in.media_type = SIG_COSIGN_MEDIA_TYPE;
	in.origin = "sha256-0489.sig layer 1";
	in.cert_pem = l->cert;
	in.chain_pem = l->chain;
	in.bundle_json = l->bundle;
	assert_int_equal(eval(p, &in, 1, &v), RW_OK);
	if ((v.kind == VERDICT_ALLOW) != r->allow && ++bad)
		fprintf(stderr, "row %s: verdict %d\n", r->name, v.kind);
	if (strcmp(reason(&v, "signatures"), r->msg) != 0 && ++bad)
		fprintf(stderr, "row %s:\n  got:  %s\n  want: %s\n", r->name,
		    reason(&v, "signatures"), r->msg);
	if (r->key != NULL && strcmp(reason(&v, "signatures.key"),
	    r->key) != 0 && ++bad)
		fprintf(stderr, "row %s key:\n  got:  %s\n  want: %s\n",
		    r->name, reason(&v, "signatures.key"), r->key);
	policy_free(p);
	return bad;
}

static void
test_rows(void **state)
{
	struct layer l;
	size_t i;
	int bad = 0;

	(void)state;
	layer_read(&l);
	for (i = 0; i < N(rows); i++)
		bad += run_row(&rows[i], &l);
	layer_free(&l);
	if (bad > 0)
		fail_msg("%d mismatches", bad);
}

/* What server/ may pass: no certificate, no bundle, a tampered bundle. */
static void
test_inputs(void **state)
{
	struct policy *p = load_policy(R_GOOD, SUBJ, GH);
	struct policy_sig_input in;
	struct verdict v;
	struct layer l;

	(void)state;
	layer_read(&l);
	memset(&in, 0, sizeof(in));
	in.payload = (const char *)l.payload;
	in.plen = l.plen;
	in.sig_b64 = l.sig;
	in.media_type = SIG_COSIGN_MEDIA_TYPE;
	in.chain_pem = l.chain;
	in.cert_pem = l.cert;
	assert_int_equal(eval(p, &in, 1, &v), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(reason(&v, "signatures"), NOSIG
	    "not in a trusted Rekor log" FIX);
	assert_string_equal(reason(&v, "signatures.key"), WHO "; the "
	    "signature has no Rekor bundle");
	/* A key-based signature is no keyless key's business. */
	in.cert_pem = NULL;
	in.bundle_json = l.bundle;
	assert_int_equal(eval(p, &in, 1, &v), RW_OK);
	assert_string_equal(reason(&v, "signatures"), NOSIG
	    "by an unknown key" FIX);
	assert_string_equal(reason(&v, "signatures.key"), WHO);
	/* The SET covers the log entry: a changed integratedTime fails. */
	in.cert_pem = l.cert;
	l.bundle[strlen(l.bundle) / 2] ^= 1;
	assert_int_equal(eval(p, &in, 1, &v), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(reason(&v, "signatures"), NOSIG
	    "not in a trusted Rekor log" FIX);
	layer_free(&l);
	policy_free(p);
}

/* The public-good trusted root parses whole; a file may change it. */
static void
test_parse_public_good(void **state)
{
	struct sig_trustroot *t = NULL;
	struct rw_err err;
	size_t len;
	char *text = tu_slurp(GOOD_ROOT, &len);

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_trustroot_parse(text, len, 0, &t, &err), RW_OK);
	assert_int_equal(t->ncas, 2);
	assert_int_equal(t->ntlogs, 1);
	assert_int_equal(t->nctlogs, 2);
	assert_string_equal(sig_key_id(t->tlogs[0].key), REKOR_ID);
	assert_int_equal(t->tlogs[0].valid.end, INT64_MAX);
	/* 2021-03-07T03:20:29Z and 2022-12-31T23:59:59.999Z */
	assert_int_equal(t->cas[0].valid.start, 1615087229);
	assert_int_equal(t->cas[0].valid.end, 1672531199);
	assert_true(sig_window_has(&t->cas[1].valid, 1674247897));
	assert_false(sig_window_has(&t->cas[0].valid, 1674247897));
	sig_trustroot_free(t);
	rw_err_clear(&err);
	assert_int_equal(sig_trustroot_parse("[]", 2, 0, &t, &err), RW_EINVAL);
	assert_null(t);
	assert_string_equal(err.msg, "expected a JSON object");
	free(text);
}

/* The trusted root's bytes are part of the revision decisions are keyed by. */
static void
test_revision(void **state)
{
	struct policy *a = load_policy(R_GOOD, SUBJ, GH);
	struct policy *b = load_policy(R_CA_ENDED, SUBJ, GH);
	struct policy *c = load_policy(R_GOOD, SUBJ, GH);

	(void)state;
	assert_string_not_equal(policy_revision(a), policy_revision(b));
	assert_string_equal(policy_revision(a), policy_revision(c));
	policy_free(a);
	policy_free(b);
	policy_free(c);
}

/* A key-based key with "rekor_trusted_root": its signature must be logged. */
static void
test_rekor_for_keys(void **state)
{
	const char *key = "{\"cosign_file\": \"" FIX_DIR "/cosign2.pub\", "
	    "\"rekor_trusted_root\": \"root.json\"}";
	struct policy *good = load_key(R_GOOD, key);
	struct policy *other = load_key(R_OTHER_TLOG, key);
	struct policy *late = load_key(R_TLOG_LATE, key);
	struct policy_sig_input in;
	struct verdict v;
	struct layer l;

	(void)state;
	layer_read_dir("dir-img-cosign-key-rekor-valid", &l);
	memset(&in, 0, sizeof(in));
	in.payload = (const char *)l.payload;
	in.plen = l.plen;
	in.sig_b64 = l.sig;
	in.media_type = SIG_COSIGN_MEDIA_TYPE;
	in.bundle_json = l.bundle;
	assert_int_equal(eval(good, &in, 1, &v), RW_OK);
	assert_int_equal(v.kind, VERDICT_ALLOW);
	assert_int_equal(eval(other, &in, 1, &v), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(reason(&v, "signatures"), NOSIG "not in a "
	    "trusted Rekor log. Sign it: regwarden sign --key <gh key> "
	    "docker.io/acme/app@" DIGEST);
	assert_int_equal(eval(late, &in, 1, &v), RW_OK);
	assert_string_equal(reason(&v, "signatures.key"), "no signature by "
	    "key gh (sha256:5e7eb6c1e2e6db06470ae59ee8253b3dc4ce33beefb9a0cc"
	    "a06a371cfc0ebdfa); integrated at 2023-01-20T21:57:39Z, outside "
	    "the validity of Rekor key " REKOR_ID);
	in.bundle_json = NULL;
	assert_int_equal(eval(good, &in, 1, &v), RW_OK);
	assert_int_equal(v.kind, VERDICT_DENY);
	assert_string_equal(reason(&v, "signatures.key"), "no signature by "
	    "key gh (sha256:5e7eb6c1e2e6db06470ae59ee8253b3dc4ce33beefb9a0cc"
	    "a06a371cfc0ebdfa); the signature has no Rekor bundle");
	layer_free(&l);
	policy_free(good);
	policy_free(other);
	policy_free(late);
}

/*
 * "end": null is protobuf JSON for an unset end: an open window, as if
 * "end" were absent (was refused: "expected a time string").  Any other
 * non-string end is still refused.  The regression input of the fuzz
 * harness fuzz_trustroot is tests/fuzz/corpus/trustroot/end-null.json.
 */
static void
test_end_null(void **state)
{
	struct sig_trustroot *t = NULL;
	struct rw_err err;
	json_t *root, *ca, *tl;
	char *text;

	(void)state;
	root = json_load_file(GOOD_ROOT, 0, NULL);
	assert_non_null(root);
	ca = json_object_get(json_array_get(json_object_get(root,
	    "certificateAuthorities"), 0), "validFor");
	tl = json_object_get(json_object_get(json_array_get(
	    json_object_get(root, "tlogs"), 0), "publicKey"), "validFor");
	assert_int_equal(json_object_set_new(ca, "end", json_null()), 0);
	assert_int_equal(json_object_set_new(tl, "end", json_null()), 0);
	text = json_dumps(root, 0);
	rw_err_clear(&err);
	assert_int_equal(sig_trustroot_parse(text, strlen(text), 0, &t,
	    &err), RW_OK);
	assert_int_equal(t->cas[0].valid.start, 1615087229);
	assert_int_equal(t->cas[0].valid.end, INT64_MAX);
	assert_int_equal(t->tlogs[0].valid.end, INT64_MAX);
	assert_true(sig_window_has(&t->cas[0].valid, 1674247897));
	sig_trustroot_free(t);
	free(text);
	t = NULL;
	assert_int_equal(json_object_set_new(ca, "end", json_integer(5)), 0);
	text = json_dumps(root, 0);
	rw_err_clear(&err);
	assert_int_equal(sig_trustroot_parse(text, strlen(text), 0, &t,
	    &err), RW_EINVAL);
	assert_null(t);
	assert_string_equal(err.msg, "certificateAuthorities[0].validFor: "
	    "end: expected a time string");
	free(text);
	json_decref(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_public_good),
		cmocka_unit_test(test_end_null),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_inputs),
		cmocka_unit_test(test_revision),
		cmocka_unit_test(test_rekor_for_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
