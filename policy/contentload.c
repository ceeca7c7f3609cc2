/* contentload.c - loading a rule's "content" section. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>

/* Longer than any path a rule would name. */
#define PATH_GLOB_MAX	1024
/* Past any image: a petabyte. */
#define BYTES_MAX	((json_int_t)1 << 50)

static void
flag(struct ld *ld, const struct where *w, json_t *v, int *out)
{
	int b = policy_want_bool(ld, w, v);

	if (b >= 0)
		*out = b;
}

static void
secrets_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	flag(ld, w, v, &((struct policy_rule *)ctx)->c_secrets);
}

static void
shell_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	flag(ld, w, v, &((struct policy_rule *)ctx)->c_shell);
}

static void
pkgmgr_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	flag(ld, w, v, &((struct policy_rule *)ctx)->c_pkgmgr);
}

static void
compilers_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	flag(ld, w, v, &((struct policy_rule *)ctx)->c_compilers);
}

static void
setuid_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	flag(ld, w, v, &((struct policy_rule *)ctx)->c_setuid);
}

/*
 * A path glob names paths from the root (a leading slash) or anywhere
 * (a leading double star and slash); a relative one would be read one
 * way by some and another by others, so it is refused.
 */
static int
path_ok(struct ld *ld, const struct where *w, const char *s)
{
	char q[POLICY_QBUF];

	if (strlen(s) > PATH_GLOB_MAX) {
		policy_bad(ld, w, "longer than %d bytes", PATH_GLOB_MAX);
		return -1;
	}
	if (s[0] == '/' || strncmp(s, "**/", 3) == 0)
		return 0;
	policy_bad(ld, w, "%s is not an absolute path glob; start it with "
	    "\"/\" (\"/root/.ssh/**\") or \"**/\" (\"**/*.pem\")",
	    policy_quote(q, sizeof(q), s));
	return -1;
}

static void
paths_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	policy_want_strv(ld, w, v, 0, path_ok, &r->c_paths, &r->nc_paths);
}

static int
pkg_ok(struct ld *ld, const struct where *w, const char *s)
{
	char q[POLICY_QBUF];
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("+-._*?", s[i])))
			break;
	if (s[i] == '\0' && i <= 256)
		return 0;
	policy_bad(ld, w, "%s is not a package name glob (letters, digits, "
	    "\"+-._\", \"*\" and \"?\")", policy_quote(q, sizeof(q), s));
	return -1;
}

static void
packages_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;

	policy_want_strv(ld, w, v, 0, pkg_ok, &r->c_pkgs, &r->nc_pkgs);
}

static void
max_bytes_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_rule *r = ctx;
	json_int_t n;

	if (!json_is_integer(v)) {
		policy_bad(ld, w, "expected a whole number of bytes");
		return;
	}
	n = json_integer_value(v);
	if (n < 1 || n > BYTES_MAX) {
		policy_bad(ld, w, "%lld out of range (1..%lld)", (long long)n,
		    (long long)BYTES_MAX);
		return;
	}
	r->c_max_bytes = n;
}

static const struct policy_key content_keys[] = {
	{ "no_secrets", secrets_fn, 0 },
	{ "no_shell", shell_fn, 0 },
	{ "no_package_manager", pkgmgr_fn, 0 },
	{ "no_compilers", compilers_fn, 0 },
	{ "no_setuid", setuid_fn, 0 },
	{ "deny_paths", paths_fn, 0 },
	{ "deny_packages", packages_fn, 0 },
	{ "max_uncompressed_bytes", max_bytes_fn, 0 },
	{ NULL, NULL, 0 },
};

void
policy_content_load(struct ld *ld, const struct where *w, json_t *v,
    struct policy_rule *r)
{
	/* Even {} asks for the layers to be read: none may go uninspected. */
	if (policy_walk(ld, w, v, content_keys, r) == 0)
		r->has_content = 1;
}
