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

void
cfg_webhook_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct rw_config *cfg = base;
	const char *s = json_string_value(v);

	if (s == NULL || (strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0)) {
		cfg_bad(ld, w, "expected an http:// or https:// URL");
		return;
	}
	cfg->scanner_webhook = cfg_sdup(ld, s);
}
