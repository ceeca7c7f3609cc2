/* test_route.c - request grammar, upstream choice and URL rewriting. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/config.h"
#include "server/route.h"

/*
 * Three upstreams built in memory: "hub" (the default, docker.io), "ghcr"
 * and "local" (a plain-http registry on 127.0.0.1:5000).  CFG_NODEF is the
 * same set with no default; CFG_LONG has one upstream whose name is too
 * long to serve as a path prefix.
 */
static char *hub_hosts[] = { "docker.io", "registry-1.docker.io" };
static char *ghcr_hosts[] = { "ghcr.io" };
static char *local_hosts[] = { "localhost:5000", "127.0.0.1:5000" };
#define LONG80	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
static char long_name[] = LONG80;

static struct cfg_upstream ups[3];
static struct cfg_upstream ups_nodef[3];
static struct cfg_upstream ups_long[1];
static struct rw_config cfgs[3];

enum { CFG = 0, CFG_NODEF = 1, CFG_LONG = 2 };

static void
set_up(struct cfg_upstream *u, char *name, char *url, char **hosts,
    size_t nhosts, int is_default)
{
	memset(u, 0, sizeof(*u));
	u->name = name;
	u->url = url;
	u->hosts = hosts;
	u->nhosts = nhosts;
	u->is_default = is_default;
}

static int
setup(void **state)
{
	(void)state;
	set_up(&ups[0], "hub", "https://registry-1.docker.io", hub_hosts, 2, 1);
	set_up(&ups[1], "ghcr", "https://ghcr.io", ghcr_hosts, 1, 0);
	set_up(&ups[2], "local", "http://127.0.0.1:5000", local_hosts, 2, 0);
	memcpy(ups_nodef, ups, sizeof(ups));
	ups_nodef[0].is_default = 0;
	set_up(&ups_long[0], long_name, "https://long.example", ghcr_hosts, 1,
	    0);
	memset(cfgs, 0, sizeof(cfgs));
	cfgs[CFG].upstreams = ups;
	cfgs[CFG].nupstreams = 3;
	cfgs[CFG_NODEF].upstreams = ups_nodef;
	cfgs[CFG_NODEF].nupstreams = 3;
	cfgs[CFG_LONG].upstreams = ups_long;
	cfgs[CFG_LONG].nupstreams = 1;
	return 0;
}

#define D64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA	"sha256:" D64
#define SHA512	"sha512:" D64 D64

struct pcase {
	const char	*uri;
	int		 cfg;
	int		 rc;
	/* on success */
	int		 kind;
	int		 via;
	const char	*up;		/* upstream name, NULL = none */
	const char	*name;
	const char	*ref;
	int		 is_digest;
	const char	*ns;
	const char	*query;
	const char	*prefix;
	/* on failure */
	int		 status;
	const char	*oci;
	const char	*msg;
};

#define OK(u, k, v, up_, n, r, dg, ns_, q, p) \
	{ u, CFG, RW_OK, k, v, up_, n, r, dg, ns_, q, p, 0, NULL, NULL }
#define OKC(c, u, k, v, up_, n, r, dg, ns_, q, p) \
	{ u, c, RW_OK, k, v, up_, n, r, dg, ns_, q, p, 0, NULL, NULL }
#define BAD(c, u, rc_, st, oci_, m) \
	{ u, c, rc_, 0, 0, NULL, "", "", 0, "", "", "", st, oci_, m }

#define BASE	ROUTE_BASE
#define CAT	ROUTE_CATALOG
#define MAN	ROUTE_MANIFEST
#define BLOB	ROUTE_BLOB
#define UPS	ROUTE_UPLOAD_START
#define UPL	ROUTE_UPLOAD
#define TAGS	ROUTE_TAGS
#define REF	ROUTE_REFERRERS
#define DEF	ROUTE_VIA_DEFAULT
#define NS	ROUTE_VIA_NS
#define PFX	ROUTE_VIA_PREFIX

static const struct pcase pcases[] = {
	/* base and catalog */
	OK("/v2/", BASE, DEF, "hub", "", "", 0, "", "", ""),
	OK("/v2", BASE, DEF, "hub", "", "", 0, "", "", ""),
	OK("/v2/?ns=ghcr.io", BASE, NS, "ghcr", "", "", 0, "ghcr.io", "",
	    "ghcr/"),
	OK("/v2/_catalog?n=10&last=a", CAT, DEF, "hub", "", "", 0, "",
	    "?n=10&last=a", ""),
	OKC(CFG_NODEF, "/v2/", BASE, DEF, NULL, "", "", 0, "", "", ""),
	OKC(CFG_NODEF, "/v2/_catalog", CAT, DEF, NULL, "", "", 0, "", "", ""),
	BAD(CFG_NODEF, "/v2/?ns=quay.io", RW_EPERM, 403, "DENIED",
	    "registry \"quay.io\" is not served here: images "
	    "from it are not allowed through this proxy; use an allowed "
	    "registry, or ask the regwarden admin to add an upstream for it"),

	/* each endpoint, default upstream */
	OK("/v2/library/nginx/manifests/1.25", MAN, DEF, "hub",
	    "library/nginx", "1.25", 0, "", "", ""),
	OK("/v2/library/nginx/manifests/" SHA, MAN, DEF, "hub",
	    "library/nginx", SHA, 1, "", "", ""),
	OK("/v2/library/nginx/manifests/" SHA512, MAN, DEF, "hub",
	    "library/nginx", SHA512, 1, "", "", ""),
	OK("/v2/library/nginx/blobs/" SHA, BLOB, DEF, "hub", "library/nginx",
	    SHA, 1, "", "", ""),
	OK("/v2/library/nginx/blobs/uploads/", UPS, DEF, "hub",
	    "library/nginx", "", 0, "", "", ""),
	OK("/v2/library/nginx/blobs/uploads/3f6c-ab_c.d=~Z", UPL, DEF, "hub",
	    "library/nginx", "3f6c-ab_c.d=~Z", 0, "", "", ""),
	OK("/v2/library/nginx/tags/list?n=2&last=b", TAGS, DEF, "hub",
	    "library/nginx", "", 0, "", "?n=2&last=b", ""),
	OK("/v2/library/nginx/referrers/" SHA "?artifactType=a%2Fb", REF, DEF,
	    "hub", "library/nginx", SHA, 1, "", "?artifactType=a%2Fb", ""),
	OK("/v2/a/blobs/blobs/" SHA, BLOB, DEF, "hub", "a/blobs", SHA, 1, "",
	    "", ""),
	OK("/v2/a/manifests/manifests/latest", MAN, DEF, "hub", "a/manifests",
	    "latest", 0, "", "", ""),
	OK("/v2/a/tags/list/manifests/x", MAN, DEF, "hub", "a/tags/list", "x",
	    0, "", "", ""),
	OK("/v2/a/blobs/uploads/blobs/uploads/", UPS, DEF, "hub",
	    "a/blobs/uploads", "", 0, "", "", ""),

	/* prefix routing */
	OK("/v2/ghcr/owner/app/manifests/v1", MAN, PFX, "ghcr", "owner/app",
	    "v1", 0, "", "", "ghcr/"),
	OK("/v2/local/x/blobs/uploads/", UPS, PFX, "local", "x", "", 0, "",
	    "", "local/"),
	OK("/v2/ghcr/manifests/v1", MAN, DEF, "hub", "ghcr", "v1", 0, "", "",
	    ""),
	OK("/v2/hub/library/x/manifests/v1", MAN, PFX, "hub", "library/x",
	    "v1", 0, "", "", ""),
	OK("/v2/hub/ghcr/x/manifests/v1", MAN, PFX, "hub", "ghcr/x", "v1", 0,
	    "", "", "hub/"),
	OK("/v2/ghcr2/x/manifests/v1", MAN, DEF, "hub", "ghcr2/x", "v1", 0,
	    "", "", ""),
	OKC(CFG_NODEF, "/v2/ghcr/x/manifests/v1", MAN, PFX, "ghcr", "x", "v1",
	    0, "", "", "ghcr/"),
	OKC(CFG_NODEF, "/v2/hub/x/manifests/v1", MAN, PFX, "hub", "x", "v1",
	    0, "", "", "hub/"),
	BAD(CFG_NODEF, "/v2/library/x/manifests/v1", RW_ENOTFOUND, 404,
	    "NAME_UNKNOWN", "no default upstream; use /v2/<upstream>/<name>"),
	BAD(CFG_LONG, "/v2/" LONG80 "/x/manifests/v1", RW_ETOOBIG, 500,
	    "UNKNOWN", "upstream name \""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "...\" too long for a path prefix"),

	/* ns routing */
	OK("/v2/library/nginx/manifests/1.25?ns=docker.io", MAN, NS, "hub",
	    "library/nginx", "1.25", 0, "docker.io", "", ""),
	OK("/v2/owner/app/manifests/v1?ns=ghcr.io", MAN, NS, "ghcr",
	    "owner/app", "v1", 0, "ghcr.io", "", "ghcr/"),
	OK("/v2/ghcr/x/manifests/v1?ns=docker.io", MAN, NS, "hub", "ghcr/x",
	    "v1", 0, "docker.io", "", "hub/"),
	OK("/v2/ghcr/x/manifests/v1?ns=ghcr.io", MAN, NS, "ghcr", "ghcr/x",
	    "v1", 0, "ghcr.io", "", "ghcr/"),
	OK("/v2/x/manifests/v1?ns=localhost%3A5000", MAN, NS, "local", "x",
	    "v1", 0, "localhost:5000", "", "local/"),
	OK("/v2/x/manifests/v1?ns=GHCR.io", MAN, NS, "ghcr", "x", "v1", 0,
	    "GHCR.io", "", "ghcr/"),
	OK("/v2/x/manifests/v1?ns=ghcr.io&ns=ghcr.io", MAN, NS, "ghcr", "x",
	    "v1", 0, "ghcr.io", "", "ghcr/"),
	OK("/v2/x/manifests/v1?a=1&&b=2&ns=ghcr.io&c", MAN, NS, "ghcr", "x",
	    "v1", 0, "ghcr.io", "?a=1&&b=2&c", "ghcr/"),
	OK("/v2/x/manifests/v1?nsx=1&n=s", MAN, DEF, "hub", "x", "v1", 0, "",
	    "?nsx=1&n=s", ""),
	BAD(CFG, "/v2/x/manifests/v1?a&ns", RW_EPERM, 403, "DENIED",
	    "registry \"\" is not served here: images "
	    "from it are not allowed through this proxy; use an allowed "
	    "registry, or ask the regwarden admin to add an upstream for it"),
	OK("/v2/x/manifests/v1?", MAN, DEF, "hub", "x", "v1", 0, "", "", ""),
	/* the query goes upstream as is: no control byte or space in it
	 * (fuzz_route found a LF passed through) */
	BAD(CFG, "/v2/x/manifests/v1?a=1\nb=2", RW_EINVAL, 400, "UNSUPPORTED",
	    "query string with a control character or space (byte 0x0a)"),
	BAD(CFG, "/v2/x/manifests/v1?a= ", RW_EINVAL, 400, "UNSUPPORTED",
	    "query string with a control character or space (byte 0x20)"),
	BAD(CFG, "/v2/?\x7f", RW_EINVAL, 400, "UNSUPPORTED",
	    "query string with a control character or space (byte 0x7f)"),
	/* upload URLs we handed out carry our prefix; ns comes back too */
	OK("/v2/x/blobs/uploads/u1?_state=abc%3D%3D&ns=ghcr.io&digest=" SHA,
	    UPL, NS, "ghcr", "x", "u1", 0, "ghcr.io",
	    "?_state=abc%3D%3D&digest=" SHA, "ghcr/"),
	OK("/v2/ghcr/x/blobs/uploads/u1?ns=ghcr.io", UPL, NS, "ghcr", "x",
	    "u1", 0, "ghcr.io", "", "ghcr/"),
	OK("/v2/hub/ghcr/x/blobs/uploads/u1?ns=docker.io", UPL, NS, "hub",
	    "ghcr/x", "u1", 0, "docker.io", "", "hub/"),
	OK("/v2/library/x/blobs/uploads/u1?ns=docker.io", UPL, NS, "hub",
	    "library/x", "u1", 0, "docker.io", "", ""),
	OK("/v2/hub/x/blobs/uploads/u1?ns=docker.io", UPL, NS, "hub",
	    "hub/x", "u1", 0, "docker.io", "", "hub/"),
	BAD(CFG, "/v2/x/manifests/v1?ns=quay.io", RW_EPERM, 403, "DENIED",
	    "registry \"quay.io\" is not served here: images "
	    "from it are not allowed through this proxy; use an allowed "
	    "registry, or ask the regwarden admin to add an upstream for it"),
	BAD(CFG, "/v2/x/manifests/v1?ns=", RW_EPERM, 403, "DENIED",
	    "registry \"\" is not served here: images "
	    "from it are not allowed through this proxy; use an allowed "
	    "registry, or ask the regwarden admin to add an upstream for it"),
	BAD(CFG, "/v2/x/manifests/v1?ns=a%zz", RW_EPERM, 403, "DENIED",
	    "registry \"a%zz\" is not served here: images "
	    "from it are not allowed through this proxy; use an allowed "
	    "registry, or ask the regwarden admin to add an upstream for it"),
	BAD(CFG, "/v2/x/manifests/v1?ns=ghcr.io%0a", RW_EPERM, 403, "DENIED",
	    "registry \"ghcr.io%0a\" is not served here: images "
	    "from it are not allowed through this proxy; use an allowed "
	    "registry, or ask the regwarden admin to add an upstream for it"),
	BAD(CFG, "/v2/x/manifests/v1?ns=ghcr.io&ns=docker.io", RW_EINVAL, 400,
	    "NAME_INVALID", "conflicting ns parameters"),

	/* cross-repository mounts */
	OK("/v2/ghcr/x/blobs/uploads/?mount=" SHA "&from=ghcr%2Fowner%2Fy",
	    UPS, PFX, "ghcr", "x", "", 0, "",
	    "?mount=" SHA "&from=owner%2Fy", "ghcr/"),
	OK("/v2/ghcr/x/blobs/uploads/?from=ghcr/owner/y&mount=" SHA, UPS, PFX,
	    "ghcr", "x", "", 0, "", "?from=owner/y&mount=" SHA, "ghcr/"),
	OK("/v2/ghcr/x/blobs/uploads/?mount=" SHA "&from=library%2Fy&z=1",
	    UPS, PFX, "ghcr", "x", "", 0, "", "?z=1", "ghcr/"),
	OK("/v2/ghcr/x/blobs/uploads/?mount=" SHA "&from=local%2Fy", UPS, PFX,
	    "ghcr", "x", "", 0, "", "", "ghcr/"),
	OK("/v2/ghcr/x/blobs/uploads/?mount=" SHA "&from=ghcr%2FBad", UPS, PFX,
	    "ghcr", "x", "", 0, "", "", "ghcr/"),
	OK("/v2/ghcr/x/blobs/uploads/?mount=" SHA "&from=ghcr%2", UPS, PFX,
	    "ghcr", "x", "", 0, "", "", "ghcr/"),
	OK("/v2/ghcr/x/blobs/uploads/?mount=" SHA "&from=ghcr/y&from=ghcr/z",
	    UPS, PFX, "ghcr", "x", "", 0, "", "", "ghcr/"),
	OK("/v2/x/blobs/uploads/?mount=" SHA "&from=owner%2Fy&ns=ghcr.io",
	    UPS, NS, "ghcr", "x", "", 0, "ghcr.io",
	    "?mount=" SHA "&from=owner%2Fy", "ghcr/"),
	OK("/v2/x/blobs/uploads/?mount=" SHA "&from=ghcr%2Fy&ns=docker.io",
	    UPS, NS, "hub", "x", "", 0, "docker.io",
	    "?mount=" SHA "&from=ghcr%2Fy", ""),
	OK("/v2/library/x/blobs/uploads/?mount=" SHA "&from=library%2Fy", UPS,
	    DEF, "hub", "library/x", "", 0, "",
	    "?mount=" SHA "&from=library%2Fy", ""),
	OK("/v2/library/x/blobs/uploads/?mount=" SHA "&from=hub%2Flibrary%2Fy",
	    UPS, DEF, "hub", "library/x", "", 0, "",
	    "?mount=" SHA "&from=library%2Fy", ""),
	OK("/v2/library/x/blobs/uploads/?mount=" SHA, UPS, DEF, "hub",
	    "library/x", "", 0, "", "?mount=" SHA, ""),
	OK("/v2/ghcr/x/tags/list?from=ghcr/y", TAGS, PFX, "ghcr", "x", "", 0,
	    "", "?from=ghcr/y", "ghcr/"),

	/* endpoints we do not serve */
	BAD(CFG, "/v2/library/x/foo/bar", RW_ENOTFOUND, 404, "UNSUPPORTED",
	    "unsupported endpoint"),
	BAD(CFG, "/v3/", RW_ENOTFOUND, 404, "UNSUPPORTED",
	    "unsupported endpoint"),
	BAD(CFG, "/v2x/", RW_ENOTFOUND, 404, "UNSUPPORTED",
	    "unsupported endpoint"),
	BAD(CFG, "/v2x/library/x/manifests/v1", RW_ENOTFOUND, 404,
	    "UNSUPPORTED", "unsupported endpoint"),
	BAD(CFG, "/", RW_ENOTFOUND, 404, "UNSUPPORTED", "unsupported endpoint"),
	BAD(CFG, "", RW_ENOTFOUND, 404, "UNSUPPORTED", "unsupported endpoint"),
	BAD(CFG, "/v2/library", RW_ENOTFOUND, 404, "UNSUPPORTED",
	    "unsupported endpoint"),
	BAD(CFG, "/v2/_catalog/", RW_ENOTFOUND, 404, "UNSUPPORTED",
	    "unsupported endpoint"),
	BAD(CFG, "/v2/x/tags/list/", RW_ENOTFOUND, 404, "UNSUPPORTED",
	    "unsupported endpoint"),
	BAD(CFG, "/v2/x/blobs/uploads", RW_EINVAL, 400, "DIGEST_INVALID",
	    "invalid digest \"uploads\""),
	BAD(CFG, "/v2/x/manifests/a/../../_catalog", RW_ENOTFOUND, 404,
	    "UNSUPPORTED", "unsupported endpoint"),

	/* names */
	BAD(CFG, "/v2/Library/x/manifests/v1", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"Library/x\""),
	BAD(CFG, "/v2/library%2Fx/manifests/v1", RW_EINVAL, 400,
	    "NAME_INVALID", "invalid repository name \"library%2Fx\""),
	BAD(CFG, "/v2/library/../x/manifests/v1", RW_EINVAL, 400,
	    "NAME_INVALID", "invalid repository name \"library/../x\""),
	BAD(CFG, "/v2/a..b/manifests/v1", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"a..b\""),
	BAD(CFG, "/v2/a\rb/manifests/v1", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"a\\x0db\""),
	BAD(CFG, "/v2/a\nb\"\x80/manifests/v1", RW_EINVAL, 400,
	    "NAME_INVALID", "invalid repository name \"a\\x0ab\\x22\\x80\""),
	BAD(CFG, "/v2/manifests/v1", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"\""),
	BAD(CFG, "/v2/blobs/uploads/", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"\""),
	BAD(CFG, "/v2//x/manifests/v1", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"/x\""),
	BAD(CFG, "/v2/ghcr/manifests/v1?ns=nowhere", RW_EPERM, 403, "DENIED",
	    "registry \"nowhere\" is not served here: images "
	    "from it are not allowed through this proxy; use an allowed "
	    "registry, or ask the regwarden admin to add an upstream for it"),
	BAD(CFG, "/v2/ghcr//x/manifests/v1", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"ghcr//x\""),
	BAD(CFG, "/v2/ghcr/x_/manifests/v1", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"ghcr/x_\""),
	BAD(CFG, "/v2/X/manifests/v1?ns=quay.io", RW_EINVAL, 400,
	    "NAME_INVALID", "invalid repository name \"X\""),
	OK("/v2/a__b/c-----d/e.f/manifests/v1", MAN, DEF, "hub",
	    "a__b/c-----d/e.f", "v1", 0, "", "", ""),

	/* tags */
	OK("/v2/x/manifests/_V1.0-rc", MAN, DEF, "hub", "x", "_V1.0-rc", 0, "",
	    "", ""),
	BAD(CFG, "/v2/x/manifests/.hidden", RW_EINVAL, 400, "TAG_INVALID",
	    "invalid tag \".hidden\""),
	BAD(CFG, "/v2/x/manifests/-x", RW_EINVAL, 400, "TAG_INVALID",
	    "invalid tag \"-x\""),
	BAD(CFG, "/v2/x/manifests/a..b", RW_EINVAL, 400, "TAG_INVALID",
	    "invalid tag \"a..b\""),
	BAD(CFG, "/v2/x/manifests/", RW_EINVAL, 400, "TAG_INVALID",
	    "invalid tag \"\""),
	BAD(CFG, "/v2/x/manifests/lat%65st", RW_EINVAL, 400, "TAG_INVALID",
	    "invalid tag \"lat%65st\""),
	BAD(CFG, "/v2/x/manifests/a\"b", RW_EINVAL, 400, "TAG_INVALID",
	    "invalid tag \"a\\x22b\""),

	/* digests */
	BAD(CFG, "/v2/x/blobs/sha256:0123", RW_EINVAL, 400, "DIGEST_INVALID",
	    "invalid digest \"sha256:0123\""),
	BAD(CFG, "/v2/x/blobs/sha256:" D64 "0", RW_EINVAL, 400,
	    "DIGEST_INVALID", "invalid digest \"sha256:" D64 "0\""),
	BAD(CFG, "/v2/x/blobs/sha256:" "0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", RW_EINVAL, 400,
	    "DIGEST_INVALID", "invalid digest \"sha256:0123456789ABCDEF"
	    "0123456789abcdef0123456789abcdef0123456789abcdef\""),
	BAD(CFG, "/v2/x/blobs/sha512:" D64, RW_EINVAL, 400, "DIGEST_INVALID",
	    "invalid digest \"sha512:" D64 "\""),
	BAD(CFG, "/v2/x/blobs/latest", RW_EINVAL, 400, "DIGEST_INVALID",
	    "invalid digest \"latest\""),
	BAD(CFG, "/v2/x/blobs/Sha256:" D64, RW_EINVAL, 400, "DIGEST_INVALID",
	    "invalid digest \"Sha256:" D64 "\""),
	BAD(CFG, "/v2/x/blobs/sha256:", RW_EINVAL, 400, "DIGEST_INVALID",
	    "invalid digest \"sha256:\""),
	BAD(CFG, "/v2/x/blobs/blake3:" D64, RW_EINVAL, 400, "DIGEST_INVALID",
	    "unsupported digest algorithm \"blake3\""),
	BAD(CFG, "/v2/x/manifests/sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g",
	    RW_EINVAL, 400, "DIGEST_INVALID",
	    "unsupported digest algorithm \"sha256+b64u\""),
	BAD(CFG, "/v2/x/manifests/sha256:" D64 "%00", RW_EINVAL, 400,
	    "DIGEST_INVALID", "invalid digest \"sha256:" D64 "%00\""),
	BAD(CFG, "/v2/x/referrers/v1", RW_EINVAL, 400, "DIGEST_INVALID",
	    "invalid digest \"v1\""),

	/* upload ids */
	BAD(CFG, "/v2/x/blobs/uploads/a..b", RW_ENOTFOUND, 404,
	    "BLOB_UPLOAD_UNKNOWN", "invalid upload id \"a..b\""),
	BAD(CFG, "/v2/x/blobs/uploads/a%20b", RW_ENOTFOUND, 404,
	    "BLOB_UPLOAD_UNKNOWN", "invalid upload id \"a%20b\""),

	/* a bad name is reported before a bad reference */
	BAD(CFG, "/v2/X/manifests/.x", RW_EINVAL, 400, "NAME_INVALID",
	    "invalid repository name \"X\""),
};

static const char *
kind_up_name(const struct route *r)
{
	return r->up != NULL ? r->up->name : NULL;
}

static void
check_pcase(const struct pcase *c)
{
	struct route r;
	struct rw_err err;
	int rc;

	rw_err_clear(&err);
	memset(&r, 0x5a, sizeof(r));
	rc = route_parse(&cfgs[c->cfg], c->uri, &r, &err);
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d (%s)", c->uri, rc, c->rc, err.msg);
	if (rc != RW_OK) {
		assert_int_equal(r.http_status, c->status);
		assert_string_equal(r.oci_code, c->oci);
		assert_string_equal(err.msg, c->msg);
		assert_int_equal(err.code, c->rc);
		return;
	}
	assert_string_equal(err.msg, "");
	assert_int_equal(r.kind, c->kind);
	assert_int_equal(r.via, c->via);
	if (c->up == NULL)
		assert_null(r.up);
	else
		assert_string_equal(kind_up_name(&r), c->up);
	assert_string_equal(r.name, c->name);
	assert_string_equal(r.ref, c->ref);
	assert_int_equal(r.ref_is_digest, c->is_digest);
	assert_string_equal(r.ns, c->ns);
	assert_string_equal(r.upstream_query, c->query);
	assert_string_equal(r.client_prefix, c->prefix);
	assert_int_equal(r.http_status, 0);
	assert_null(r.oci_code);
}

static void
test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		print_message("parse %zu: %s\n", i, pcases[i].uri);
		check_pcase(&pcases[i]);
	}
}

/* Build "/v2/<pfx><name of LEN bytes>/manifests/<tag of TLEN>". */
static void
long_uri(char *buf, size_t size, const char *pfx, size_t len, size_t tlen)
{
	size_t o;

	o = (size_t)snprintf(buf, size, "/v2/%s", pfx);
	memset(buf + o, 'n', len);
	o += len;
	o += (size_t)snprintf(buf + o, size - o, "/manifests/");
	memset(buf + o, 't', tlen);
	buf[o + tlen] = '\0';
}

static void
test_boundaries(void **state)
{
	char uri[1024], want[300];
	struct route r;
	struct rw_err err;

	(void)state;
	/* name at the cap, with and without a prefix that is stripped */
	long_uri(uri, sizeof(uri), "", ROUTE_NAME_MAX, 128);
	rw_err_clear(&err);
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_OK);
	assert_int_equal(strlen(r.name), ROUTE_NAME_MAX);
	assert_int_equal(strlen(r.ref), 128);
	long_uri(uri, sizeof(uri), "ghcr/", ROUTE_NAME_MAX, 1);
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_OK);
	assert_int_equal(strlen(r.name), ROUTE_NAME_MAX);
	assert_string_equal(r.client_prefix, "ghcr/");

	/* one byte over: quoted to 64 bytes */
	long_uri(uri, sizeof(uri), "", ROUTE_NAME_MAX + 1, 1);
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_EINVAL);
	assert_int_equal(r.http_status, 400);
	assert_string_equal(r.oci_code, "NAME_INVALID");
	snprintf(want, sizeof(want), "invalid repository name \"%.64s...\"",
	    uri + 4);
	assert_string_equal(err.msg, want);
	assert_int_equal(strlen(err.msg), 25 + 64 + 4);
	rw_err_clear(&err);
	long_uri(uri, sizeof(uri), "ghcr/", ROUTE_NAME_MAX + 1, 1);
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_EINVAL);
	snprintf(want, sizeof(want), "invalid repository name \"%.64s...\"",
	    uri + 4);
	assert_string_equal(err.msg, want);
	assert_true(strncmp(err.msg + 25, "ghcr/nnn", 8) == 0);

	/* tag of 129 */
	rw_err_clear(&err);
	long_uri(uri, sizeof(uri), "", 1, 129);
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_EINVAL);
	assert_string_equal(r.oci_code, "TAG_INVALID");
	memset(want, 't', 129);
	want[129] = '\0';
	assert_true(strstr(err.msg, want) != NULL);
	assert_int_equal(strlen(err.msg), strlen("invalid tag \"\"") + 129);

	/* upload id of 256 and 257 */
	memset(uri, 0, sizeof(uri));
	memcpy(uri, "/v2/x/blobs/uploads/", 20);
	memset(uri + 20, 'u', 256);
	rw_err_clear(&err);
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_OK);
	assert_int_equal(strlen(r.ref), 256);
	uri[20 + 256] = 'u';
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err),
	    RW_ENOTFOUND);
	assert_string_equal(r.oci_code, "BLOB_UPLOAD_UNKNOWN");
}

static void
test_query_too_long(void **state)
{
	char uri[ROUTE_QUERY_MAX + 64];
	struct route r;
	struct rw_err err;
	size_t o;

	(void)state;
	o = (size_t)snprintf(uri, sizeof(uri), "/v2/x/tags/list?ns=ghcr.io&");
	memset(uri + o, 'q', ROUTE_QUERY_MAX - 2);
	uri[o + ROUTE_QUERY_MAX - 2] = '\0';
	rw_err_clear(&err);
	/* '?' plus 4094 bytes plus NUL fits exactly */
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_OK);
	assert_int_equal(strlen(r.upstream_query), ROUTE_QUERY_MAX - 1);
	uri[o + ROUTE_QUERY_MAX - 2] = 'q';
	uri[o + ROUTE_QUERY_MAX - 1] = '\0';
	assert_int_equal(route_parse(&cfgs[CFG], uri, &r, &err), RW_ETOOBIG);
	assert_int_equal(r.http_status, 414);
	assert_string_equal(r.oci_code, "UNSUPPORTED");
	assert_string_equal(err.msg, "query string too long");
	assert_string_equal(r.upstream_query, "");
}

/*
 * docker.io and registry-1.docker.io name the same registry (containerd's
 * isProxy treats them so).  The in-memory config lists both hosts; a second
 * row checks a config that lists only registry-1.docker.io.
 */
static void
test_docker_io_hosts(void **state)
{
	static char *only_reg1[] = { "registry-1.docker.io" };
	struct cfg_upstream one;
	struct rw_config c;
	struct route r;
	struct rw_err err;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(route_parse(&cfgs[CFG],
	    "/v2/library/x/manifests/v1?ns=registry-1.docker.io", &r, &err),
	    RW_OK);
	assert_string_equal(r.up->name, "hub");
	assert_int_equal(r.via, ROUTE_VIA_NS);

	set_up(&one, "hub", "https://registry-1.docker.io", only_reg1, 1, 0);
	memset(&c, 0, sizeof(c));
	c.upstreams = &one;
	c.nupstreams = 1;
	assert_int_equal(route_parse(&c,
	    "/v2/library/x/manifests/v1?ns=docker.io", &r, &err), RW_OK);
	assert_string_equal(r.up->name, "hub");
	assert_string_equal(r.client_prefix, "hub/");
}

static void
test_valid_funcs(void **state)
{
	static const struct {
		const char	*s;
		int		 name, tag, digest;
	} v[] = {
		{ "a", 1, 1, 0 },
		{ "a/b", 1, 0, 0 },
		{ "a.b", 1, 1, 0 },
		{ "a_b", 1, 1, 0 },
		{ "a__b", 1, 1, 0 },
		{ "a___b", 0, 1, 0 },
		{ "a-b", 1, 1, 0 },
		{ "a---b", 1, 1, 0 },
		{ "a._b", 0, 1, 0 },
		{ "a.", 0, 1, 0 },
		{ "-a", 0, 0, 0 },
		{ "_a", 0, 1, 0 },
		{ "a/", 0, 0, 0 },
		{ "/a", 0, 0, 0 },
		{ "a//b", 0, 0, 0 },
		{ "A", 0, 1, 0 },
		{ "", 0, 0, 0 },
		{ SHA, 0, 0, 1 },
		{ SHA512, 0, 0, 1 },
		{ "sha384:" D64, 0, 0, -1 },
		{ "a.b+c_d-e:x=_-Y", 0, 0, -1 },
		{ "a..b:x", 0, 0, 0 },
		{ "a+:x", 0, 0, 0 },
		{ ":x", 0, 0, 0 },
		{ "a:x/y", 0, 0, 0 },
		{ "a:x:y", 0, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		print_message("valid %zu: %s\n", i, v[i].s);
		assert_int_equal(route_valid_name(v[i].s, strlen(v[i].s)),
		    v[i].name);
		assert_int_equal(route_valid_tag(v[i].s, strlen(v[i].s)),
		    v[i].tag);
		assert_int_equal(route_valid_digest(v[i].s, strlen(v[i].s)),
		    v[i].digest);
	}
	/* the length argument rules, not the NUL */
	assert_int_equal(route_valid_name("ab/Cd", 2), 1);
	assert_int_equal(route_valid_tag("abc", 0), 0);
	assert_int_equal(route_valid_digest(SHA "0", strlen(SHA)), 1);
}

/* -------------------------------------------------------- rewriting */

struct rcase {
	const char	*req;		/* request the route comes from */
	int		 link;		/* 0 Location, 1 Link */
	const char	*in;
	const char	*base;
	int		 rc;
	const char	*out;		/* or the error message */
};

#define LOC	0
#define LNK	1
#define UPLOADS_G "/v2/ghcr/owner/app/blobs/uploads/"
#define TAIL	"/blobs/uploads/3f6c?_state=abc%3D%3D&digest=sha256:x"

static const struct rcase rcases[] = {
	/* Location: absolute on the upstream, relative, query byte for byte */
	{ UPLOADS_G, LOC, "https://ghcr.io/v2/owner/app" TAIL,
	    "https://127.0.0.1:5443", RW_OK,
	    "https://127.0.0.1:5443/v2/ghcr/owner/app" TAIL },
	{ UPLOADS_G, LOC, "HTTPS://GHCR.IO:443/v2/owner/app" TAIL, "", RW_OK,
	    "/v2/ghcr/owner/app" TAIL },
	{ UPLOADS_G, LOC, "/v2/owner/app" TAIL, "", RW_OK,
	    "/v2/ghcr/owner/app" TAIL },
	{ UPLOADS_G, LOC, "/v2/owner/app" TAIL, NULL, RW_OK,
	    "/v2/ghcr/owner/app" TAIL },
	{ UPLOADS_G, LOC, "/v2/owner/app/manifests/" SHA, "https://p", RW_OK,
	    "https://p/v2/ghcr/owner/app/manifests/" SHA },
	{ "/v2/library/x/blobs/uploads/", LOC,
	    "https://registry-1.docker.io/v2/library/x/blobs/uploads/u?a=%2F+b",
	    "https://gate", RW_OK,
	    "https://gate/v2/library/x/blobs/uploads/u?a=%2F+b" },
	{ "/v2/local/x/blobs/uploads/", LOC,
	    "http://127.0.0.1:5000/v2/x/blobs/uploads/u?_state=A%3D", "", RW_OK,
	    "/v2/local/x/blobs/uploads/u?_state=A%3D" },
	{ "/v2/x/blobs/uploads/u?ns=localhost:5000", LOC,
	    "http://127.0.0.1:5000/v2/x/blobs/uploads/u?_state=B", "", RW_OK,
	    "/v2/local/x/blobs/uploads/u?_state=B" },
	/* foreign hosts, schemes, ports and userinfo are refused */
	{ UPLOADS_G, LOC, "https://evil.example/v2/owner/app" TAIL, "",
	    RW_EINVAL, "Location points outside upstream \"ghcr\": "
	    "\"https://evil.example/v2/owner/app/blobs/uploads/3f6c"
	    "?_state=abc%...\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io:8443/v2/owner/app/x", "", RW_EINVAL,
	    "Location points outside upstream \"ghcr\": "
	    "\"https://ghcr.io:8443/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "http://ghcr.io/v2/owner/app/x", "", RW_EINVAL,
	    "Location points outside upstream \"ghcr\": "
	    "\"http://ghcr.io/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "http://ghcr.io:443/v2/owner/app/x", "", RW_EINVAL,
	    "Location points outside upstream \"ghcr\": "
	    "\"http://ghcr.io:443/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io@evil.example/v2/owner/app/x", "",
	    RW_EINVAL, "Location points outside upstream \"ghcr\": "
	    "\"https://ghcr.io@evil.example/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io@ghcr.io/v2/owner/app/x", "",
	    RW_EINVAL, "Location points outside upstream \"ghcr\": "
	    "\"https://ghcr.io@ghcr.io/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io.evil.example/v2/owner/app/x", "",
	    RW_EINVAL, "Location points outside upstream \"ghcr\": "
	    "\"https://ghcr.io.evil.example/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "//evil.example/v2/owner/app/x", "", RW_EINVAL,
	    "Location points outside upstream \"ghcr\": "
	    "\"//evil.example/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io:99999/v2/owner/app/x", "",
	    RW_EINVAL, "Location points outside upstream \"ghcr\": "
	    "\"https://ghcr.io:99999/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io:000443/v2/owner/app/x", "",
	    RW_EINVAL, "Location points outside upstream \"ghcr\": "
	    "\"https://ghcr.io:000443/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io:/v2/owner/app/x", "", RW_OK,
	    "/v2/ghcr/owner/app/x" },
	{ UPLOADS_G, LOC, "ftp://ghcr.io/v2/owner/app/x", "", RW_EINVAL,
	    "Location points outside upstream \"ghcr\": "
	    "\"ftp://ghcr.io/v2/owner/app/x\"" },
	{ UPLOADS_G, LOC, "", "", RW_EINVAL,
	    "Location points outside upstream \"ghcr\": \"\"" },
	/* the path must stay inside the repository */
	{ UPLOADS_G, LOC, "/v2/owner/other/blobs/uploads/x", "", RW_EINVAL,
	    "Location path outside repository \"owner/app\": "
	    "\"/v2/owner/other/blobs/uploads/x\"" },
	{ UPLOADS_G, LOC, "/v2/owner/app2/blobs/uploads/x", "", RW_EINVAL,
	    "Location path outside repository \"owner/app\": "
	    "\"/v2/owner/app2/blobs/uploads/x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io/v2/owner/app?x", "", RW_EINVAL,
	    "Location path outside repository \"owner/app\": "
	    "\"/v2/owner/app?x\"" },
	{ UPLOADS_G, LOC, "https://ghcr.io", "", RW_EINVAL,
	    "Location path outside repository \"owner/app\": \"\"" },
	{ UPLOADS_G, LOC, "/owner/app/blobs/x", "", RW_EINVAL,
	    "Location path outside repository \"owner/app\": "
	    "\"/owner/app/blobs/x\"" },

	/* Link */
	{ "/v2/ghcr/owner/app/tags/list?n=2", LNK,
	    "</v2/owner/app/tags/list?last=b&n=2>; rel=\"next\"", "", RW_OK,
	    "</v2/ghcr/owner/app/tags/list?last=b&n=2>; rel=\"next\"" },
	{ "/v2/ghcr/owner/app/tags/list?n=2", LNK,
	    "</v2/owner/app/tags/list?last=b&n=2>; rel=\"next\", "
	    "<https://ghcr.io/v2/owner/app/tags/list?n=2>; rel=\"first\"; "
	    "title=\"a,b \\\" c\"", "https://gate", RW_OK,
	    "<https://gate/v2/ghcr/owner/app/tags/list?last=b&n=2>; "
	    "rel=\"next\", <https://gate/v2/ghcr/owner/app/tags/list?n=2>; "
	    "rel=\"first\"; title=\"a,b \\\" c\"" },
	{ "/v2/library/x/tags/list?n=2", LNK,
	    "</v2/library/x/tags/list?last=b&n=2>; rel=\"next\"", "", RW_OK,
	    "</v2/library/x/tags/list?last=b&n=2>; rel=\"next\"" },
	{ "/v2/library/x/referrers/" SHA, LNK,
	    "</v2/library/x/referrers/" SHA "?n=1&last=z>; rel=\"next\"", "",
	    RW_OK, "</v2/library/x/referrers/" SHA "?n=1&last=z>; rel=\"next\"" },
	{ "/v2/_catalog?n=2", LNK, "</v2/_catalog?last=a&n=2>; rel=\"next\"",
	    "https://gate", RW_OK,
	    "<https://gate/v2/_catalog?last=a&n=2>; rel=\"next\"" },
	{ "/v2/_catalog?n=2", LNK, "</v2/_catalogue>; rel=\"next\"", "",
	    RW_EINVAL, "Link path outside repository \"\": \"/v2/_catalogue\"" },
	{ "/v2/ghcr/owner/app/tags/list", LNK, "rel=\"next\"", "", RW_EINVAL,
	    "malformed Link header: \"rel=\\x22next\\x22\"" },
	{ "/v2/ghcr/owner/app/tags/list", LNK, "", "", RW_EINVAL,
	    "malformed Link header: \"\"" },
	{ "/v2/ghcr/owner/app/tags/list", LNK,
	    "</v2/owner/app/tags/list?n=1>; rel=\"next\",", "", RW_EINVAL,
	    "malformed Link header: "
	    "\"</v2/owner/app/tags/list?n=1>; rel=\\x22next\\x22,\"" },
	{ "/v2/ghcr/owner/app/tags/list", LNK, "</v2/owner/app/tags/list", "",
	    RW_EINVAL, "malformed Link header: \"</v2/owner/app/tags/list\"" },
	{ "/v2/ghcr/owner/app/tags/list", LNK,
	    "<https://evil.example/v2/owner/app/tags/list?n=1>; rel=\"next\"",
	    "", RW_EINVAL, "Link points outside upstream \"ghcr\": "
	    "\"https://evil.example/v2/owner/app/tags/list?n=1\"" },
	/* control bytes (fuzz_rewrite found a LF copied through) */
	{ "/v2/ghcr/owner/app/tags/list", LNK,
	    "</v2/owner/app/tags/list?\nlast=b>; rel=\"next\"", "", RW_EINVAL,
	    "Link header with a control character (byte 0x0a)" },
	{ "/v2/ghcr/owner/app/tags/list", LNK,
	    "</v2/owner/app/tags/list?last=b>;\trel=\"next\"", "", RW_OK,
	    "</v2/ghcr/owner/app/tags/list?last=b>;\trel=\"next\"" },
	{ UPLOADS_G, LOC, "/v2/owner/app/blobs/uploads/x\r", "", RW_EINVAL,
	    "Location header with a control character (byte 0x0d)" },
	{ UPLOADS_G, LOC, "/v2/owner/app/blobs/uploads/x?a=\x7f", "",
	    RW_EINVAL, "Location header with a control character (byte 0x7f)" },
};

static void
check_rcase(const struct rcase *c)
{
	struct route r;
	struct rw_err err;
	char out[512];
	int rc;

	rw_err_clear(&err);
	assert_int_equal(route_parse(&cfgs[CFG], c->req, &r, &err), RW_OK);
	memset(out, 'X', sizeof(out));
	if (c->link)
		rc = route_rewrite_link(&r, c->in, c->base, out, sizeof(out),
		    &err);
	else
		rc = route_rewrite_location(&r, c->in, c->base, out,
		    sizeof(out), &err);
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d (%s)", c->in, rc, c->rc, err.msg);
	if (rc == RW_OK) {
		assert_string_equal(out, c->out);
		assert_string_equal(err.msg, "");
	} else {
		assert_string_equal(out, "");
		assert_string_equal(err.msg, c->out);
	}
}

static void
test_rewrite_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		print_message("rewrite %zu: %s\n", i, rcases[i].in);
		check_rcase(&rcases[i]);
	}
}

static void
test_rewrite_limits(void **state)
{
	static char *v6_hosts[] = { "[::1]:5000" };
	struct cfg_upstream v6;
	struct route r;
	struct rw_err err;
	const char *want = "/v2/ghcr/owner/app/blobs/uploads/u?s=1";
	char out[64];

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(route_parse(&cfgs[CFG], UPLOADS_G, &r, &err), RW_OK);
	/* exactly fits, then one byte short */
	assert_int_equal(route_rewrite_location(&r,
	    "/v2/owner/app/blobs/uploads/u?s=1", "", out, strlen(want) + 1,
	    &err), RW_OK);
	assert_string_equal(out, want);
	assert_int_equal(route_rewrite_location(&r,
	    "/v2/owner/app/blobs/uploads/u?s=1", "", out, strlen(want), &err),
	    RW_ETOOBIG);
	assert_string_equal(out, "");
	assert_string_equal(err.msg, "rewritten Location too long");
	rw_err_clear(&err);
	assert_int_equal(route_rewrite_link(&r, "</v2/owner/app/x>; rel=\"a\"",
	    "", out, 12, &err), RW_ETOOBIG);
	assert_string_equal(err.msg, "rewritten Link too long");
	assert_string_equal(out, "");

	/* an IPv6 upstream; the default port of its scheme */
	set_up(&v6, "v6", "http://[::1]:5000", v6_hosts, 1, 0);
	r.up = &v6;
	rw_err_clear(&err);
	assert_int_equal(route_rewrite_location(&r,
	    "http://[::1]:5000/v2/owner/app/x?q", "", out, sizeof(out), &err),
	    RW_OK);
	assert_string_equal(out, "/v2/ghcr/owner/app/x?q");
	assert_int_equal(route_rewrite_location(&r,
	    "http://[::2]:5000/v2/owner/app/x", "", out, sizeof(out), &err),
	    RW_EINVAL);
	set_up(&v6, "plain", "http://reg.example", v6_hosts, 1, 0);
	rw_err_clear(&err);
	assert_int_equal(route_rewrite_location(&r,
	    "http://REG.example:80/v2/owner/app/x", "", out, sizeof(out),
	    &err), RW_OK);
	assert_string_equal(out, "/v2/ghcr/owner/app/x");

	/* a malformed upstream URL matches nothing, not even itself */
	set_up(&v6, "bad", "http://reg.example:99999", v6_hosts, 1, 0);
	assert_int_equal(route_rewrite_location(&r,
	    "http://reg.example:99999/v2/owner/app/x", "", out, sizeof(out),
	    &err), RW_EINVAL);
	set_up(&v6, "bad", "http://reg.example:0", v6_hosts, 1, 0);
	assert_int_equal(route_rewrite_location(&r,
	    "http://reg.example:0/v2/owner/app/x", "", out, sizeof(out),
	    &err), RW_EINVAL);
	set_up(&v6, "bad", "http://[::1", v6_hosts, 1, 0);
	assert_int_equal(route_rewrite_location(&r,
	    "http://[::1/v2/owner/app/x", "", out, sizeof(out), &err),
	    RW_EINVAL);
	rw_err_clear(&err);

	/* no upstream at all (catalog without a default) */
	assert_int_equal(route_parse(&cfgs[CFG_NODEF], "/v2/_catalog", &r,
	    &err), RW_OK);
	assert_int_equal(route_rewrite_link(&r,
	    "<https://x/v2/_catalog?n=1>; rel=\"next\"", "", out, sizeof(out),
	    &err), RW_EINVAL);
	assert_string_equal(err.msg, "Link points outside upstream \"\": "
	    "\"https://x/v2/_catalog?n=1\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_query_too_long),
		cmocka_unit_test(test_docker_io_hosts),
		cmocka_unit_test(test_valid_funcs),
		cmocka_unit_test(test_rewrite_table),
		cmocka_unit_test(test_rewrite_limits),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
