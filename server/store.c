/*
 * store.c - which store a config names: PostgreSQL at "database.url",
 * shared by replicas, else the SQLite file in state_dir.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/config.h"

#include <stdio.h>
#include <unistd.h>

#include "db/db.h"

static int
sqlite_path(const struct rw_config *cfg, char *out, size_t size,
    struct rw_err *err)
{
	if ((size_t)snprintf(out, size, "%s/regwarden.db", cfg->state_dir) >=
	    size)
		return rw_err_set(err, RW_EINVAL, "state_dir path is too long");
	return RW_OK;
}

int
config_open_db(const struct rw_config *cfg, int existing, struct db **out,
    struct rw_err *err)
{
	char path[4096];
	int rc;

	*out = NULL;
	if (cfg->db_url != NULL) {
		rc = db_open_pg(cfg->db_url, cfg->db_password, out, err);
		if (rc == RW_OK)
			rc = db_set_connections(*out, cfg->db_connections, err);
		if (rc != RW_OK) {
			db_close(*out);
			*out = NULL;
		}
		return rc;
	}
	rc = sqlite_path(cfg, path, sizeof(path), err);
	if (rc != RW_OK)
		return rc;
	if (existing && access(path, F_OK) != 0)
		return RW_ENOTFOUND;
	return db_open(path, out, err);
}

void
config_db_where(const struct rw_config *cfg, char *out, size_t size)
{
	char shown[1100];

	if (cfg->db_url != NULL) {
		db_url_redact(cfg->db_url, shown, sizeof(shown));
		snprintf(out, size, "postgresql %s", shown);
	} else {
		snprintf(out, size, "sqlite %s/regwarden.db", cfg->state_dir);
	}
}
