/* config_names.c - "tls.self_signed_names": the names of the certificate regwarden creates. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/config_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/tls.h"

/*
 * A host name as a certificate's dNSName may hold it: dot-separated labels
 * of letters, digits and '-', none empty, longer than 63 bytes or starting
 * or ending with '-', 253 bytes at most, the last not all digits (else
 * "10.0.0.300" would pass for a name).  No wildcard: the name constraints
 * that keep the certificate from vouching for other hosts would have to
 * permit the whole domain.
 */
static int
dns_name_ok(const char *s)
{
	size_t i, label = 0, len = strlen(s);
	const char *last;

	if (len == 0 || len > 253)
		return 0;
	last = strrchr(s, '.') != NULL ? strrchr(s, '.') + 1 : s;
	if (strspn(last, "0123456789") == strlen(last))
		return 0;
	for (i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] == '-' && label > 0)))
			return 0;
		label++;
	}
	return 1;
}

/*
 * S as the certificate will carry it, in a new string: an IP literal in
 * inet_ntop's form (so that "0:0::1" and "::1" are one name), a DNS name in
 * lower case.  NULL when it is neither (or out of memory: *NOMEM set).
 */
static char *
normal_name(const char *s, int *nomem)
{
	unsigned char a[sizeof(struct in6_addr)];
	char ip[INET6_ADDRSTRLEN], *out;
	size_t i;

	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1) {
		if (inet_ntop(strchr(s, ':') != NULL ? AF_INET6 : AF_INET, a, ip,
		    sizeof(ip)) == NULL)
			return NULL;
		s = ip;
	} else if (!dns_name_ok(s))
		return NULL;
	out = strdup(s);
	if (out == NULL) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

/* Whether N is among the first COUNT names of CFG. */
static int
listed(const struct rw_config *cfg, size_t count, const char *n)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(cfg->self_signed_names[i], n) == 0)
			return 1;
	return 0;
}

void
cfg_self_names_fn(struct ld *ld, const struct where *w, json_t *v,
    void *base)
{
	struct rw_config *cfg = base;
	char q[CFG_QUOTE_MAX + 16], *n;
	struct where ew;
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > TLS_NAMES_MAX) {
		cfg_bad(ld, w, "expected an array of 1 to %d host names or IP "
		    "addresses", TLS_NAMES_MAX);
		return;
	}
	cfg->self_signed_names = calloc(json_array_size(v) + 1,
	    sizeof(*cfg->self_signed_names));
	if (cfg->self_signed_names == NULL) {
		ld->nomem = 1;
		return;
	}
	json_array_foreach(v, i, e) {
		cfg_where_idx(&ew, w, i);
		if (!json_is_string(e)) {
			cfg_bad(ld, &ew, "expected a string");
			continue;
		}
		cfg_quote(q, sizeof(q), json_string_value(e));
		n = normal_name(json_string_value(e), &ld->nomem);
		if (n == NULL && !ld->nomem)
			cfg_bad(ld, &ew, "%s is neither a DNS name (letters, "
			    "digits, '-' and dots; no wildcard) nor an IP "
			    "address", q);
		else if (n != NULL && listed(cfg, cfg->nself_signed_names, n)) {
			cfg_bad(ld, &ew, "%s is listed twice", q);
			free(n);
		} else if (n != NULL)
			cfg->self_signed_names[cfg->nself_signed_names++] = n;
	}
}

void
cfg_tls_post(struct ld *ld, const struct where *root, json_t *doc,
    const struct rw_config *cfg)
{
	json_t *tls = json_object_get(doc, "tls");
	struct where w;

	if (json_object_get(tls, "self_signed_names") == NULL ||
	    cfg->tls_cert == NULL)
		return;
	cfg_where_key(&w, root, "tls");
	cfg_where_key(&w, &w, "self_signed_names");
	cfg_bad(ld, &w, "names a certificate regwarden would create, but "
	    "\"cert\" and \"key\" are given: remove one or the other");
}
