/* cli_bundle.c - `regwarden verify-bundle`: the Sigstore conformance CLI. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "policy/sig/sig.h"
#include "cli/cli.h"

/* Largest artifact read whole (its bytes are signed, not its digest). */
#define ARTIFACT_MAX	((size_t)512 * 1024 * 1024)
#define ROOT_MAX	(4 * 1024 * 1024)

const char cli_bundle_usage[] =
    "usage: regwarden verify-bundle --bundle FILE\n"
    "           (--certificate-identity ID | --certificate-identity-regexp RE)\n"
    "           --certificate-oidc-issuer URL\n"
    "           [--trusted-root FILE] FILE|sha256:HEX\n"
    "       regwarden verify-bundle --bundle FILE --key KEY.pub "
    "--trusted-root FILE FILE|sha256:HEX\n";

struct vb_args {
	const char	*bundle;
	const char	*identity;
	const char	*identity_re;
	const char	*issuer;
	const char	*key;
	const char	*root;
	const char	*artifact;
};

/* The value of option ARGV[*I], or NULL (a usage error). */
static const char *
value(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static int
parse_args(int argc, char **argv, struct vb_args *a, FILE *errf)
{
	static const char *const names[] = { "--bundle",
	    "--certificate-identity", "--certificate-identity-regexp",
	    "--certificate-oidc-issuer", "--key", "--trusted-root" };
	const char **slots[] = { &a->bundle, &a->identity, &a->identity_re,
	    &a->issuer, &a->key, &a->root };
	size_t k;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(argv[i], names[k]) == 0)
				break;
		if (k < sizeof(names) / sizeof(names[0])) {
			if ((*slots[k] = value(argc, argv, &i)) == NULL) {
				fprintf(errf, "regwarden: verify-bundle: %s needs "
				    "a value\n%s", names[k], cli_bundle_usage);
				return -1;
			}
		} else if (argv[i][0] == '-' || a->artifact != NULL) {
			fprintf(errf, "regwarden: verify-bundle: unexpected "
			    "argument \"%s\"\n%s", argv[i], cli_bundle_usage);
			return -1;
		} else
			a->artifact = argv[i];
	}
	if (a->bundle != NULL && a->artifact != NULL && a->root != NULL &&
	    ((a->key != NULL && a->identity == NULL && a->identity_re == NULL &&
	    a->issuer == NULL) || (a->key == NULL && a->issuer != NULL &&
	    (a->identity == NULL) != (a->identity_re == NULL))))
		return 0;
	fprintf(errf, "regwarden: verify-bundle: %s\n%s", a->root == NULL &&
	    a->bundle != NULL ? "--trusted-root is required (regwarden "
	    "carries no Sigstore root of its own)" : "expected --bundle, an "
	    "artifact, and either --key or an identity with its issuer",
	    cli_bundle_usage);
	return -1;
}

/* The files and the trust material, loaded; 0 or -1 (reported). */
struct vb_loaded {
	char			*bundle;
	size_t			 blen;
	char			*artifact;
	struct sig_trustroot	*root;
	struct sig_key		*key;
};

static int
load(const struct vb_args *a, struct vb_loaded *l,
    struct sig_bundle_subject *subj, FILE *errf)
{
	struct rw_err e;
	char *text = NULL;
	size_t n = 0;
	int rc;

	rw_err_clear(&e);
	rc = rw_read_file(a->bundle, SIG_BUNDLE_MAX, 0, &l->bundle, &l->blen,
	    &e);
	if (rc == RW_OK && rw_sha256_bytes(a->artifact, subj->sha256) != 0) {
		rc = rw_read_file(a->artifact, ARTIFACT_MAX, 0, &l->artifact, &n,
		    &e);
		subj->data = l->artifact;
		subj->len = n;
		if (rc == RW_OK && EVP_Digest(l->artifact, n, subj->sha256,
		    NULL, EVP_sha256(), NULL) != 1)
			rc = rw_err_set(&e, RW_ENOMEM, "out of memory");
	}
	if (rc == RW_OK)
		rc = rw_read_file(a->root, ROOT_MAX, 0, &text, &n, &e);
	if (rc == RW_OK && sig_bundle_root_parse(text, n, &l->root, &e) !=
	    RW_OK)
		rc = rw_err_set(&e, e.code, "%s: %s", a->root, e.msg);
	free(text);
	text = NULL;
	if (rc == RW_OK && a->key != NULL)
		rc = rw_read_file(a->key, SIG_KEY_PEM_MAX, 0, &text, &n, &e);
	if (rc == RW_OK && a->key != NULL &&
	    sig_key_load(text, n, &l->key, &e) != RW_OK)
		rc = rw_err_set(&e, e.code, "%s: %s", a->key, e.msg);
	free(text);
	if (rc != RW_OK)
		fprintf(errf, "regwarden: verify-bundle: %s\n", e.msg);
	return rc == RW_OK ? 0 : -1;
}

int
cli_verify_bundle(int argc, char **argv, FILE *out, FILE *errf)
{
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	struct sig_bundle_trust t;
	struct sig_identity id;
	struct vb_loaded l;
	struct vb_args a;
	struct rw_err e;
	int rc = 1;

	if (parse_args(argc, argv, &a, errf) != 0)
		return 2;
	memset(&l, 0, sizeof(l));
	memset(&subj, 0, sizeof(subj));
	if (load(&a, &l, &subj, errf) != 0)
		goto out;
	id.subject = a.identity;
	id.subject_regex = a.identity_re;
	id.issuer = a.issuer;
	t.root = l.root;
	t.key = l.key;
	t.id = a.key == NULL ? &id : NULL;
	t.now = (int64_t)time(NULL);
	rw_err_clear(&e);
	if (sig_bundle_verify(l.bundle, l.blen, &t, &subj, &res, &e) != RW_OK)
		fprintf(errf, "regwarden: verify-bundle: %s\n", res.reason);
	else if (res.verdict != SIG_VALID)
		fprintf(errf, "regwarden: verify-bundle: %s: %s\n",
		    sig_verdict_str(res.verdict), res.reason);
	else {
		fprintf(out, "verified: %s\n", res.reason);
		rc = 0;
	}
out:
	free(l.bundle);
	free(l.artifact);
	sig_bundle_root_free(l.root);
	sig_key_free(l.key);
	return rc;
}
