/*
 * pkgdb.c - installed packages from the package databases in a layer:
 * dpkg's status file and distroless' status.d, apk's installed database,
 * rpm's sqlite database through the caller's struct content_rpmdb_ops
 * (rpm's Berkeley DB and ndb files are recorded as present and not read).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "content/content.h"

#include <string.h>

#include "content/internal.h"

#define DPKG_STATUS	"/var/lib/dpkg/status"
#define DPKG_STATUS_D	"/var/lib/dpkg/status.d/"
#define APK_INSTALLED	"/lib/apk/db/installed"

/* Most packages taken from one rpm database: more is not an image. */
#define RPM_MAX_PACKAGES	100000

/* rpm's databases; only the sqlite ones (rpm >= 4.16) are read. */
static const char *const rpm_dbs[] = {
	"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages",
	"/usr/lib/sysimage/rpm/Packages.db",
	"/usr/lib/sysimage/rpm/rpmdb.sqlite",
};

static int
is_rpm(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(rpm_dbs) / sizeof(rpm_dbs[0]); i++)
		if (strcmp(path, rpm_dbs[i]) == 0)
			return 1;
	return 0;
}

int
pkgdb_rpm_sqlite(const char *path)
{
	return strcmp(path, rpm_dbs[0]) == 0 || strcmp(path, rpm_dbs[3]) == 0;
}

/* Reading one rpm database's headers into its index. */
struct rpm_read {
	struct content_index	*idx;
	const char		*path;
	size_t			 n;
	int			 nomem;
};

static int
rpm_one(void *arg, const void *blob, size_t len)
{
	struct rpm_read *r = arg;
	struct content_rpm pkg;
	struct rw_err err;

	rw_err_clear(&err);
	if (++r->n > RPM_MAX_PACKAGES ||
	    content_rpm_header(blob, len, &pkg, &err) != RW_OK)
		return RW_EPARSE;
	if (index_add_package(r->idx, pkg.name, strlen(pkg.name), pkg.evr,
	    strlen(pkg.evr), r->path) != RW_OK) {
		r->nomem = 1;
		return RW_ENOMEM;
	}
	return RW_OK;
}

int
pkgdb_rpm_read(struct content_index *idx, const char *path,
    const struct content_rpmdb_ops *ops, void *spool)
{
	struct rpm_read r = { idx, path, 0, 0 };
	struct rw_err err;

	rw_err_clear(&err);
	/*
	 * A database that cannot be read, or a header that does not parse,
	 * makes the whole database unread: the packages read before it may
	 * stay listed, but an unread database refuses deny_packages.
	 */
	if (spool != NULL && ops->read(spool, rpm_one, &r, &err) == RW_OK)
		return RW_OK;
	if (r.nomem)
		return RW_ENOMEM;
	return index_add_unread(idx, path);
}

static int
is_status_d(const char *path)
{
	size_t n = strlen(DPKG_STATUS_D);
	const char *base = path + n;

	/* One file per package; its .md5sums beside it is not a stanza. */
	return strncmp(path, DPKG_STATUS_D, n) == 0 && *base != '\0' &&
	    strchr(base, '/') == NULL && strstr(base, ".md5sums") == NULL;
}

int
pkgdb_is(const char *path)
{
	return strcmp(path, DPKG_STATUS) == 0 || is_status_d(path) ||
	    strcmp(path, APK_INSTALLED) == 0 || is_rpm(path);
}

/* The value of field NAME on line [S, E) ("Name: value"), or NULL. */
static const char *
field(const char *s, const char *e, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	if ((size_t)(e - s) <= n || memcmp(s, name, n) != 0 || s[n] != ':')
		return NULL;
	s += n + 1;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*vlen = (size_t)(e - s);
	return s;
}

/*
 * Stanzas separated by blank lines, one "K<SEP>value" per line; NAME and
 * VERSION name the fields.  dpkg: a Status that does not end "installed"
 * (removed, config-files) is not an installed package.
 */
static int
stanzas(struct content_index *idx, const char *path, const char *d,
    size_t len, const char *name, const char *version, int dpkg)
{
	const char *end = d + len, *s, *e, *v, *pn = NULL, *pv = "";
	size_t vl, pnl = 0, pvl = 0;
	int installed = 1, rc;

	for (s = d; s <= end; s = e + 1) {
		e = memchr(s, '\n', (size_t)(end - s));
		if (e == NULL)
			e = end;
		if (s == e || (e - s == 1 && *s == '\r')) {
			if (pn != NULL && pnl > 0 && installed &&
			    (rc = index_add_package(idx, pn, pnl, pv, pvl,
			    path)) != RW_OK)
				return rc;
			pn = NULL;
			pv = "";
			pnl = pvl = 0;
			installed = 1;
			continue;
		}
		if ((v = field(s, e, name, &vl)) != NULL) {
			pn = v;
			pnl = vl;
		} else if ((v = field(s, e, version, &vl)) != NULL) {
			pv = v;
			pvl = vl;
		} else if (dpkg && (v = field(s, e, "Status", &vl)) != NULL) {
			installed = vl >= 10 &&
			    memcmp(v + vl - 10, " installed", 10) == 0;
		}
	}
	return RW_OK;
}

int
pkgdb_parse(struct content_index *idx, const char *path, const char *data,
    size_t len)
{
	if (strcmp(path, DPKG_STATUS) == 0 || is_status_d(path))
		return stanzas(idx, path, data, len, "Package", "Version", 1);
	if (strcmp(path, APK_INSTALLED) == 0)
		return stanzas(idx, path, data, len, "P", "V", 0);
	if (is_rpm(path))
		return index_add_unread(idx, path);
	return RW_OK;
}

int
pkgdb_unreadable(const char *path)
{
	return is_rpm(path);
}

int
text_wanted(const char *path)
{
	return secret_is_credfile(path) || (pkgdb_is(path) && !is_rpm(path));
}

int
text_done(struct content_index *idx, const char *path, const char *data,
    size_t len)
{
	int rc = RW_OK;

	if (secret_is_credfile(path))
		rc = secret_credfile(idx, path, data, len);
	if (rc == RW_OK && pkgdb_is(path))
		rc = pkgdb_parse(idx, path, data, len);
	return rc;
}
