/* config_front.c - settings checked beyond their type: TLS priorities, per-address connections, the scanner webhook URL. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/config_int.h"

#include <string.h>

#include "server/tls.h"

/* tls.priorities: GnuTLS must accept it now, not at the first handshake. */
void
cfg_priorities_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct rw_config *cfg = base;
	struct rw_err err;
	const char *s = json_string_value(v);

	if (s == NULL) {
		cfg_bad(ld, w, "expected a string");
		return;
	}
	rw_err_clear(&err);
	if (tls_check_priorities(s, &err) != RW_OK) {
		cfg_bad(ld, w, "%s", err.msg);
		return;
	}
	cfg_store_str(&cfg->tls_priorities, cfg_sdup(ld, s));
}

/*
 * limits.max_connections_per_ip: at most max_connections, and half of it
 * when not given, so one address (a slowloris) can never take every slot.
 */
void
cfg_per_ip_post(struct ld *ld, const struct where *root, struct rw_config *cfg)
{
	struct where w;

	if (cfg->max_connections_per_ip == 0) {
		cfg->max_connections_per_ip = cfg->max_connections > 1 ?
		    cfg->max_connections / 2 : 1;
		return;
	}
	if (cfg->max_connections_per_ip <= cfg->max_connections)
		return;
	cfg_where_key(&w, root, "limits");
	cfg_where_key(&w, &w, "max_connections_per_ip");
	cfg_bad(ld, &w, "%u out of range (1..%u: at most "
	    "limits.max_connections)", cfg->max_connections_per_ip,
	    cfg->max_connections);
}

static void
webhook_url(struct ld *ld, const struct where *w, json_t *v,
    struct rw_config *cfg)
{
	const char *s = json_string_value(v);

	if (s == NULL || (strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0)) {
		cfg_bad(ld, w, "expected an http:// or https:// URL");
		return;
	}
	cfg->scanner_webhook = cfg_sdup(ld, s);
}

/*
 * "webhook": the service's URL, or {"url": URL, "token_file": FILE} when
 * the service wants a credential: FILE (mode 0600) holds a token sent as
 * "Authorization: Bearer".
 */
void
cfg_webhook_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	static const char *const keys[] = { "url", "token_file", NULL };
	struct rw_config *cfg = base;
	char q[CFG_QUOTE_MAX + 16], sug[256];
	struct where kw;
	const char *key;
	json_t *val;

	if (!json_is_object(v)) {
		webhook_url(ld, w, v, cfg);
		return;
	}
	json_object_foreach(v, key, val) {
		if (cfg_one_of(key, keys) < 0)
			cfg_bad(ld, w, "unknown key %s %s", cfg_quote(q,
			    sizeof(q), key), rw_suggest(sug, sizeof(sug), key,
			    keys));
	}
	val = json_object_get(v, "url");
	if (val == NULL) {
		cfg_bad(ld, w, "needs \"url\", the scanner service's URL");
		return;
	}
	cfg_where_key(&kw, w, "url");
	webhook_url(ld, &kw, val, cfg);
	val = json_object_get(v, "token_file");
	if (val == NULL)
		return;
	cfg_where_key(&kw, w, "token_file");
	if (!json_is_string(val) || json_string_length(val) == 0)
		cfg_bad(ld, &kw, "expected the path of a file holding the token");
	else
		cfg_read_token_file(ld, &kw, json_string_value(val),
		    &cfg->scanner_webhook_token);
}
