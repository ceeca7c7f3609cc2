/* tls_client.c - TLS client certificates: the trusted CAs and who a verified client is. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define CA_CAP	(1024 * 1024)

int
tls_read_client_ca(const char *path, char **pem, struct rw_err *err)
{
	struct rw_buf b;
	char chunk[8192];
	size_t n;
	FILE *fp;
	int rc = RW_OK;

	*pem = NULL;
	fp = fopen(path, "r");
	if (fp == NULL)
		return rw_err_set(err, RW_EIO, "%s: cannot open: %s", path,
		    strerror(errno));
	rw_buf_init(&b, CA_CAP);
	while (rc == RW_OK && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = rw_buf_add(&b, chunk, n);
	fclose(fp);
	if (rc == RW_ETOOBIG)
		rc = rw_err_set(err, rc, "%s: larger than 1 MiB", path);
	else if (rc == RW_OK && (b.data == NULL ||
	    strstr(b.data, "-----BEGIN CERTIFICATE-----") == NULL))
		rc = rw_err_set(err, RW_ECRYPTO, "%s: no PEM certificate in it",
		    path);
	if (rc != RW_OK) {
		rw_buf_free(&b);
		return rc;
	}
	*pem = rw_buf_steal(&b, NULL);
	return RW_OK;
}

int
tls_client_identity(void *session, char *out, size_t size)
{
	gnutls_session_t s = session;
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { NULL, 0 };
	unsigned int status = 1, n = 0;
	int ok = 0;

	out[0] = '\0';
	if (s == NULL || gnutls_certificate_type_get(s) != GNUTLS_CRT_X509)
		return 0;
	certs = gnutls_certificate_get_peers(s, &n);
	/* The chain must verify against tls.client_ca, at the current time. */
	if (certs == NULL || n == 0 ||
	    gnutls_certificate_verify_peers2(s, &status) != 0 || status != 0)
		return 0;
	if (gnutls_x509_crt_init(&crt) != 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
		snprintf(out, size, "cert:%.*s", (int)dn.size, (char *)dn.data);
		ok = 1;
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return ok;
}

int
tls_check_priorities(const char *priorities, struct rw_err *err)
{
	gnutls_priority_t p;
	const char *at = NULL;
	char why[128];
	size_t n;
	int rc;

	rc = gnutls_priority_init(&p, priorities, &at);
	if (rc == GNUTLS_E_SUCCESS) {
		gnutls_priority_deinit(p);
		return RW_OK;
	}
	rw_strlcpy(why, gnutls_strerror(rc), sizeof(why));
	n = strlen(why);
	if (n > 0 && why[n - 1] == '.')
		why[n - 1] = '\0';
	if (at == NULL || *at == '\0')
		return rw_err_set(err, RW_ECONFIG, "GnuTLS rejects this priority "
		    "string: %s", why);
	return rw_err_set(err, RW_ECONFIG, "GnuTLS rejects this priority string "
	    "at \"%.40s\": %s", at, why);
}
