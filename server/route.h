/*
 * route.h - OCI Distribution request grammar, upstream choice, and the
 * rewriting of URLs that cross the proxy (Location, Link, mount/from).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pure functions over strings and a loaded config: no I/O, no allocation
 * except where stated, thread-safe.  Everything works on the *raw* request
 * URI (path and query exactly as the client sent them) so that queries can be
 * forwarded byte for byte.
 */
#ifndef RW_ROUTE_H
#define RW_ROUTE_H

#include <stddef.h>

#include "server/config.h"
#include "util/util.h"

#define ROUTE_NAME_MAX	256	/* repository name, upstream side */
#define ROUTE_REF_MAX	260	/* tag (128), digest (<=136) or upload id */
#define ROUTE_QUERY_MAX	4096

enum route_kind {
	ROUTE_BASE = 1,		/* /v2/ or /v2 */
	ROUTE_CATALOG,		/* /v2/_catalog */
	ROUTE_MANIFEST,		/* /v2/<name>/manifests/<tag|digest> */
	ROUTE_BLOB,		/* /v2/<name>/blobs/<digest> */
	ROUTE_UPLOAD_START,	/* /v2/<name>/blobs/uploads/ */
	ROUTE_UPLOAD,		/* /v2/<name>/blobs/uploads/<id> */
	ROUTE_TAGS,		/* /v2/<name>/tags/list */
	ROUTE_REFERRERS,	/* /v2/<name>/referrers/<digest> */
};

/** How the upstream was chosen. */
enum route_via { ROUTE_VIA_DEFAULT = 1, ROUTE_VIA_NS, ROUTE_VIA_PREFIX };

struct route {
	int			 kind;		/* enum route_kind */
	int			 via;		/* enum route_via */
	const struct cfg_upstream *up;		/* borrowed from the config */
	char			 name[ROUTE_NAME_MAX + 1]; /* upstream-side repo */
	char			 ref[ROUTE_REF_MAX + 1];
	int			 ref_is_digest;
	char			 ns[256];	/* the ns parameter, "" if none */
	/*
	 * Query to send upstream: the client's query byte for byte, minus
	 * `ns`, with `from` mapped to the upstream-side name (or mount/from
	 * dropped when `from` belongs to another upstream).  "" if none, else
	 * starts with '?'.
	 */
	char			 upstream_query[ROUTE_QUERY_MAX];
	/*
	 * Prefix to put before the name in URLs handed back to the client,
	 * "" or "<upstream-name>/", chosen so that a later request without
	 * `ns` reaches the same upstream.
	 */
	char			 client_prefix[72];

	/* Set when route_parse fails: what to answer the client. */
	int			 http_status;	/* 400, 404, 405 ... */
	const char		*oci_code;	/* "NAME_INVALID", "DIGEST_INVALID" ... */
};

/**
 * Parse RAW_URI (path and optional ?query, as received) against CFG.
 * Returns RW_OK and fills OUT, or RW_EINVAL / RW_ENOTFOUND with
 * OUT->http_status, OUT->oci_code and ERR->msg set (a message for the client,
 * e.g. `invalid repository name "Foo"`).  Names with upper case, '..', CR/LF,
 * percent-encoding or more than ROUTE_NAME_MAX bytes, malformed tags and
 * digests, and unknown `ns` hosts are refused here, before any upstream
 * traffic.
 */
int	 route_parse(const struct rw_config *cfg, const char *raw_uri,
	    struct route *out, struct rw_err *err);

/** 1 if S (LEN bytes) is a valid repository name (spec grammar), else 0. */
int	 route_valid_name(const char *s, size_t len);
/** 1 if S is a valid tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}), else 0. */
int	 route_valid_tag(const char *s, size_t len);
/**
 * Digest check: 1 valid and computable (sha256 with 64 lower-case hex, sha512
 * with 128), 0 malformed, -1 well-formed but an algorithm we cannot compute.
 */
int	 route_valid_digest(const char *s, size_t len);

/**
 * Rewrite an upstream Location header value LOC for the client.  LOC may be
 * absolute (must then be on R->up's scheme://host:port) or path-absolute;
 * its path must start with /v2/<R->name>/.  The result is CLIENT_BASE (e.g.
 * "https://127.0.0.1:5443", may be "") + "/v2/" + client_prefix + name +
 * the rest of the path + the query byte for byte.  Returns RW_OK, RW_EINVAL
 * (foreign host or unexpected path; ERR says which) or RW_ETOOBIG.
 */
int	 route_rewrite_location(const struct route *r, const char *loc,
	    const char *client_base, char *out, size_t outsize,
	    struct rw_err *err);

/**
 * Rewrite a Link header value (`<url>; rel="next"`, possibly several
 * comma-separated) the same way as Location, keeping parameters.
 */
int	 route_rewrite_link(const struct route *r, const char *link,
	    const char *client_base, char *out, size_t outsize,
	    struct rw_err *err);

#endif /* RW_ROUTE_H */
