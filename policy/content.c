/*
 * content.c - the content checks: what the image's layers hold against a
 * rule's "content" section (secrets in any layer; shells, package
 * managers, compilers, setuid files, denied paths and packages in the
 * final filesystem; the unpacked size).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "policy/internal.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

/* Paths named in one reason before " and N more". */
#define SHOW_PATHS	3
/* How much of one path a reason quotes. */
#define SHOW_PATH	120

static const char *const shells[] = {
	"sh", "bash", "dash", "ash", "zsh", "busybox", NULL
};
static const char *const pkg_managers[] = {
	"apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm",
	"zypper", "pip", "pip3", NULL
};
static const char *const compilers[] = {
	"gcc", "cc", "c++", "g++", "clang", "tcc", "go", "rustc", "javac", NULL
};

int
policy_exec_kind(int kind, const char *base)
{
	const char *const *v = kind == 0 ? shells : kind == 1 ? pkg_managers :
	    compilers;

	for (; *v != NULL; v++)
		if (strcmp(*v, base) == 0)
			return 1;
	return 0;
}

int
policy_in_bin_dir(const char *path)
{
	static const char *const dirs[] = {
		"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/",
		"/usr/local/bin/", "/usr/local/sbin/", NULL
	};
	const char *const *d;
	size_t n;

	for (d = dirs; *d != NULL; d++) {
		n = strlen(*d);
		if (strncmp(path, *d, n) == 0 && path[n] != '\0' &&
		    strchr(path + n, '/') == NULL)
			return 1;
	}
	return 0;
}

int
policy_path_match(const char *pat, const char *path)
{
	/* Both from the root, without it: the glob walk is segment-wise. */
	if (pat[0] == '/')
		pat++;
	if (path[0] == '/')
		path++;
	return policy_glob_match(pat, path);
}

/* ", PATH" (quoted safely) for the I-th listed item. */
static void
add_path(struct rw_sb *sb, size_t i, const char *path)
{
	if (i > 0)
		rw_sb_add(sb, ", ");
	rw_sb_safe(sb, path, SHOW_PATH);
}

/*
 * policy_reason for a content check; for an index, the reason starts with
 * the platform it is about, "linux/arm64: layer 2 of 3 holds ...".
 */
static void
creason(struct policy_ev *e, struct rw_sb *sb, const char *check, int failed)
{
	policy_reason(e, sb, check, failed);
	if (e->cplat[0] != '\0')
		rw_sb_add(sb, "%s: ", e->cplat);
}

static const char *
layer_of(const struct policy_content *c, size_t i, char *buf, size_t size)
{
	if (c->layer != NULL) {
		/* An upload, judged before any manifest names its place. */
		snprintf(buf, size, "layer %.*s", RW_DIGEST_MAX, c->layer);
		return buf;
	}
	snprintf(buf, size, "layer %zu of %zu", i + 1, c->nlayers);
	return buf;
}

/* ------------------------------------------------------------- secrets */

static int
is_key(const char *what)
{
	return strstr(what, "PRIVATE KEY") != NULL ||
	    strstr(what, "PKCS#12") != NULL;
}

static void
one_secret(struct rw_sb *sb, const struct policy_content *c,
    const struct policy_secret *s, int first)
{
	char l[RW_DIGEST_MAX + 16];

	if (first)
		rw_sb_add(sb, "%s holds %s: ", layer_of(c, s->layer, l,
		    sizeof(l)), is_key(s->what) ? "a private key" :
		    "a credential");
	else if (c->layer != NULL)
		rw_sb_add(sb, ", ");	/* one layer: named once */
	else
		rw_sb_add(sb, ", %s: ", layer_of(c, s->layer, l, sizeof(l)));
	rw_sb_safe(sb, s->path, SHOW_PATH);
	rw_sb_add(sb, " (");
	rw_sb_safe(sb, s->what, 64);
	rw_sb_add(sb, "%s)", s->deleted ? "; deleted by a later layer, its "
	    "bytes still ship" : "");
}

static void
check_secrets(struct policy_ev *e, const struct policy_content *c)
{
	struct rw_sb sb;
	size_t i;

	creason(e, &sb, "content.secrets", c->nsecrets > 0);
	if (c->nsecrets == 0) {
		rw_sb_add(&sb, "no private keys or credentials in the %zu "
		    "layer%s", c->nlayers, c->nlayers == 1 ? "" : "s");
		rw_sb_finish(&sb);
		return;
	}
	for (i = 0; i < c->nsecrets && i < SHOW_PATHS; i++)
		one_secret(&sb, c, &c->secrets[i], i == 0);
	policy_list_more(&sb, i, c->nsecrets);
	rw_sb_add(&sb, "; remove %s from the image and mount secrets at run "
	    "time", c->nsecrets == 1 ? "it" : "them");
	rw_sb_finish(&sb);
}

void
policy_check_secrets(struct policy_ev *e)
{
	if (e->req->content != NULL)
		check_secrets(e, e->req->content);
}

/* ------------------------------------------------- the final filesystem */

static int
is_exec_kind(const struct policy_cfile *f, int kind)
{
	const char *base = strrchr(f->path, '/');

	return f->type != POLICY_F_DIR && f->type != POLICY_F_OTHER &&
	    base != NULL && policy_in_bin_dir(f->path) &&
	    policy_exec_kind(kind, base + 1);
}

static void
check_kind(struct policy_ev *e, const struct policy_content *c, int kind)
{
	static const char *const checks[] = { "content.shell",
		"content.pkg_manager", "content.compilers" };
	static const char *const words[] = { "a shell", "a package manager",
		"a compiler" };
	static const char *const advice[] = {
		"build from a distroless or scratch base, or delete it in the "
		"final stage",
		"remove it in the final stage of the build",
		"build in one stage and copy only the result into the final "
		"image" };
	struct rw_sb sb;
	size_t i, n = 0, shown = 0;

	for (i = 0; i < c->nfiles; i++)
		n += is_exec_kind(&c->files[i], kind);
	creason(e, &sb, checks[kind], n > 0);
	if (n == 0) {
		rw_sb_add(&sb, "no %s in the final filesystem", words[kind] + 2);
		rw_sb_finish(&sb);
		return;
	}
	rw_sb_add(&sb, "the image has %s: ", words[kind]);
	for (i = 0; i < c->nfiles && shown < SHOW_PATHS; i++)
		if (is_exec_kind(&c->files[i], kind))
			add_path(&sb, shown++, c->files[i].path);
	policy_list_more(&sb, shown, n);
	rw_sb_add(&sb, "; %s", advice[kind]);
	rw_sb_finish(&sb);
}

static int
is_setuid(const struct policy_cfile *f)
{
	return (f->type == POLICY_F_FILE || f->type == POLICY_F_HARDLINK) &&
	    (f->mode & 06000) != 0;
}

static void
check_setuid(struct policy_ev *e, const struct policy_content *c)
{
	struct rw_sb sb;
	size_t i, n = 0, shown = 0;

	for (i = 0; i < c->nfiles; i++)
		n += is_setuid(&c->files[i]);
	creason(e, &sb, "content.setuid", n > 0);
	if (n == 0) {
		rw_sb_add(&sb, "no setuid or setgid files in the final "
		    "filesystem");
		rw_sb_finish(&sb);
		return;
	}
	rw_sb_add(&sb, "the image has setuid or setgid files: ");
	for (i = 0; i < c->nfiles && shown < SHOW_PATHS; i++)
		if (is_setuid(&c->files[i])) {
			add_path(&sb, shown++, c->files[i].path);
			rw_sb_add(&sb, " (mode %04o)",
			    (unsigned)(c->files[i].mode & 07777));
		}
	policy_list_more(&sb, shown, n);
	rw_sb_add(&sb, "; remove them or clear the bits (chmod u-s,g-s)");
	rw_sb_finish(&sb);
}

/* The first deny_paths glob matching F, or NULL. */
static const char *
denied_path(const struct policy_rule *r, const struct policy_cfile *f)
{
	size_t k;

	if (f->type == POLICY_F_DIR)
		return NULL;	/* a denied folder: what is in it */
	for (k = 0; k < r->nc_paths; k++)
		if (policy_path_match(r->c_paths[k], f->path))
			return r->c_paths[k];
	return NULL;
}

static void
check_paths(struct policy_ev *e, const struct policy_content *c)
{
	struct rw_sb sb;
	const char *g;
	size_t i, n = 0, shown = 0;

	for (i = 0; i < c->nfiles; i++)
		n += denied_path(e->r, &c->files[i]) != NULL;
	creason(e, &sb, "content.deny_paths", n > 0);
	if (n == 0) {
		rw_sb_add(&sb, "no file at a denied path (");
		for (i = 0; i < e->r->nc_paths && i < SHOW_PATHS; i++)
			rw_sb_add(&sb, "%s%s", i > 0 ? ", " : "",
			    e->r->c_paths[i]);
		policy_list_more(&sb, i, e->r->nc_paths);
		rw_sb_add(&sb, ")");
		rw_sb_finish(&sb);
		return;
	}
	rw_sb_add(&sb, "the image has files at denied paths: ");
	for (i = 0; i < c->nfiles && shown < SHOW_PATHS; i++)
		if ((g = denied_path(e->r, &c->files[i])) != NULL) {
			add_path(&sb, shown++, c->files[i].path);
			rw_sb_add(&sb, " (%s)", g);
		}
	policy_list_more(&sb, shown, n);
	rw_sb_add(&sb, "; remove them from the image");
	rw_sb_finish(&sb);
}

static const char *
denied_pkg(const struct policy_rule *r, const struct policy_cpkg *p)
{
	size_t k;

	for (k = 0; k < r->nc_pkgs; k++)
		if (fnmatch(r->c_pkgs[k], p->name, 0) == 0)
			return r->c_pkgs[k];
	return NULL;
}

static void
check_packages(struct policy_ev *e, const struct policy_content *c)
{
	struct rw_sb sb;
	const char *g;
	size_t i, n = 0, shown = 0;

	for (i = 0; i < c->npackages; i++)
		n += denied_pkg(e->r, &c->packages[i]) != NULL;
	/* A database that cannot be read is not an empty one. */
	creason(e, &sb, "content.packages", n > 0 ||
	    c->npkgdb_unread > 0);
	if (n > 0) {
		rw_sb_add(&sb, "the image has denied packages: ");
		for (i = 0; i < c->npackages && shown < SHOW_PATHS; i++)
			if ((g = denied_pkg(e->r, &c->packages[i])) != NULL) {
				if (shown++ > 0)
					rw_sb_add(&sb, ", ");
				rw_sb_safe(&sb, c->packages[i].name, 64);
				rw_sb_add(&sb, " ");
				rw_sb_safe(&sb, c->packages[i].version, 64);
				rw_sb_add(&sb, " (%s)", g);
			}
		policy_list_more(&sb, shown, n);
		rw_sb_add(&sb, "; remove %s from the image", n == 1 ? "it" :
		    "them");
	} else if (c->npkgdb_unread > 0) {
		rw_sb_add(&sb, "the package database ");
		rw_sb_safe(&sb, c->pkgdb_unread[0], SHOW_PATH);
		rw_sb_add(&sb, " cannot be read here, so denied packages "
		    "cannot be ruled out");
	} else {
		rw_sb_add(&sb, "none of the %zu installed packages is denied",
		    c->npackages);
	}
	rw_sb_finish(&sb);
}

static void
check_size(struct policy_ev *e, const struct policy_content *c)
{
	uint64_t max = (uint64_t)e->r->c_max_bytes;
	struct rw_sb sb;
	int over = c->uncompressed_bytes > max;

	creason(e, &sb, "content.size", over);
	if (over)
		rw_sb_add(&sb, "the image unpacks to %llu bytes, more than the "
		    "%llu allowed; slim it down", (unsigned long long)
		    c->uncompressed_bytes, (unsigned long long)max);
	else
		rw_sb_add(&sb, "the image unpacks to %llu bytes (at most %llu)",
		    (unsigned long long)c->uncompressed_bytes,
		    (unsigned long long)max);
	rw_sb_finish(&sb);
}

/* The content of one image (a manifest, or one platform of an index). */
static void
check_one(struct policy_ev *e, const struct policy_content *c)
{
	const struct policy_rule *r = e->r;
	struct rw_sb sb;
	char l[RW_DIGEST_MAX + 16];

	if (c->refusal != NULL) {
		/* Never judged on part of the image: nothing else is said. */
		creason(e, &sb, "content", 1);
		rw_sb_add(&sb, "%s could not be inspected (", layer_of(c,
		    c->refused_layer, l, sizeof(l)));
		rw_sb_safe(&sb, c->refusal, 200);
		rw_sb_add(&sb, "); only images whose layers regwarden has read "
		    "are admitted");
		rw_sb_finish(&sb);
		return;
	}
	if (r->c_secrets)
		check_secrets(e, c);
	if (r->c_shell)
		check_kind(e, c, 0);
	if (r->c_pkgmgr)
		check_kind(e, c, 1);
	if (r->c_compilers)
		check_kind(e, c, 2);
	if (r->c_setuid)
		check_setuid(e, c);
	if (r->nc_paths > 0)
		check_paths(e, c);
	if (r->nc_pkgs > 0)
		check_packages(e, c);
	if (r->c_max_bytes > 0)
		check_size(e, c);
}

/*
 * An index is judged by every platform it lists (attestation entries
 * aside), as the image checks are: admitting it admits the platform
 * manifests fetched through it, whichever one a client picks.
 */
void
policy_check_content(struct policy_ev *e)
{
	const struct admission_req *q = e->req;
	const struct policy_platform *pl;
	struct rw_sb sb;
	size_t i, n = 0;

	if (!e->r->has_content)
		return;
	if (!q->is_index) {
		if (q->content != NULL)
			check_one(e, q->content);
		return;
	}
	for (i = 0; i < q->nplatforms; i++) {
		pl = &q->platforms[i];
		if (policy_attestation(pl) || pl->content == NULL)
			continue;
		policy_plat_label(e->cplat, sizeof(e->cplat), pl->os,
		    pl->arch, pl->variant);
		check_one(e, pl->content);
		n++;
	}
	e->cplat[0] = '\0';
	if (n == 0) {
		/* Nothing was read: never admitted unread. */
		policy_reason(e, &sb, "content", 1);
		rw_sb_add(&sb, "the index lists no platform image whose layers "
		    "could be read");
		rw_sb_finish(&sb);
	}
}
