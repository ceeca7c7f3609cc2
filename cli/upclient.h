/*
 * upclient.h - a blocking registry client for the commands an admin runs by
 * hand (`regwarden explain`, `regwarden sign`): one upstream, one repository.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Requests go through libcurl's easy interface, which is fine for a command
 * and keeps the proxy's asynchronous engine (upstream.h) out of it.  The
 * upstream's config decides everything else: its URL, ca_file and insecure,
 * and how to authenticate.  The first 401 of a session is answered once,
 * from its WWW-Authenticate challenge: a bearer token from the challenge's
 * realm (asked with the upstream's credentials when it has some, for
 * "repository:<repo>:pull", or ":pull,push" with UPC_PUSH), or Basic with
 * the configured user; the request is then repeated.  A later 401 is the
 * caller's to report.
 *
 * Credentials never follow a redirect to another host; only blob GETs
 * follow redirects at all (registries send them to storage).  Tokens are
 * wiped when the session is freed and never appear in an error message.
 *
 * A struct upc belongs to one thread.  The caller runs curl_global_init
 * before the first upc_new and curl_global_cleanup after the last upc_free.
 */
#ifndef RW_UPCLIENT_H
#define RW_UPCLIENT_H

#include <stddef.h>

#include "server/config.h"
#include "util/util.h"

/* Longest header value kept (WWW-Authenticate, Location); longer is cut. */
#define UPC_HDR_MAX	2048

/* What is fetched: decides the Accept header and whether redirects count. */
enum upc_kind {
	UPC_OTHER = 0,
	UPC_MANIFEST,	/* Accept lists every image and index manifest type */
	UPC_BLOB	/* redirects followed, credentials kept to the host */
};

/* upc_new flag: ask tokens for pushing as well as pulling. */
#define UPC_PUSH	0x01

struct upc;

/** One response; init with upc_resp_init, which sets the body's cap. */
struct upc_resp {
	long		 status;	/* HTTP status, 0 when none arrived */
	struct rw_buf	 body;
	int		 too_big;	/* the body passed its cap */
	char		 ctype[256];	/* Content-Type */
	char		 dcd[RW_DIGEST_MAX + 8];	/* Docker-Content-Digest */
	char		 www[UPC_HDR_MAX];	/* first WWW-Authenticate */
	char		 location[UPC_HDR_MAX];	/* Location */
};

/**
 * A session with UP (borrowed, as is CFG, which gives the timeouts) for
 * repository REPO (borrowed; "library/nginx").  FLAGS: 0 or UPC_PUSH.
 * AGENT is the User-Agent ("regwarden-explain").  Returns NULL when out of
 * memory or when libcurl cannot start; free with upc_free.
 */
struct upc	*upc_new(const struct rw_config *cfg,
		    const struct cfg_upstream *up, const char *repo,
		    unsigned flags, const char *agent);

/** Free S, wiping its token; NULL does nothing. */
void		 upc_free(struct upc *s);

/** The config, upstream and repository S was made for (borrowed). */
const struct rw_config *upc_config(const struct upc *s);
const struct cfg_upstream *upc_upstream(const struct upc *s);
const char	*upc_repo(const struct upc *s);

void		 upc_resp_init(struct upc_resp *r, size_t cap);
/** Free R's body and clear R; it may be reused after upc_resp_init. */
void		 upc_resp_cleanup(struct upc_resp *r);

/**
 * GET URL, a KIND (enum upc_kind) of thing, into R (initialised by the
 * caller with the body's cap), answering one 401 challenge per session.
 * Returns RW_OK whatever the status (R->status says it), or RW_ETOOBIG (the
 * body passed its cap), RW_EUPSTREAM (not reached: libcurl's reason), RW_EAUTH
 * (the challenge could not be answered: no https realm, token refused, no
 * credentials for Basic) or RW_ENOMEM, with ERR naming the upstream.
 */
int		 upc_get(struct upc *s, const char *url, int kind,
		    struct upc_resp *r, struct rw_err *err);

/**
 * Send METHOD ("POST" or "PUT") to URL with the LEN bytes at DATA (borrowed;
 * NULL when LEN is 0) as a body of type CTYPE, as upc_get otherwise does:
 * one 401 answered, then the request repeated with the same body.  No
 * redirect is followed.  Returns as upc_get.
 */
int		 upc_send(struct upc *s, const char *method, const char *url,
		    const char *ctype, const void *data, size_t len,
		    struct upc_resp *r, struct rw_err *err);

/**
 * Set ERR for the unexpected status in R while doing WHAT ("manifest
 * e2e/app:1.0"): `upstream local answered 404 for WHAT (MANIFEST_UNKNOWN:
 * manifest unknown)`, the OCI error's code and message shown when the body
 * has one (printable ASCII only).  Returns RW_EUPSTREAM.
 */
int		 upc_bad_status(const struct upc *s, const struct upc_resp *r,
		    const char *what, struct rw_err *err);

/**
 * Turn the Location of an upload (R->location) into an absolute URL in OUT
 * (SIZE bytes): a path ("/v2/...") is put after the upstream's URL; an
 * absolute URL must be on the upstream's own scheme, host and port, since
 * the session's credentials go with the next request.  Returns RW_OK, or
 * RW_EUPSTREAM (no Location, another host, neither form) or RW_ETOOBIG, with
 * ERR set.
 */
int		 upc_location(const struct upc *s, const struct upc_resp *r,
		    char *out, size_t size, struct rw_err *err);

/**
 * Whether the LEN bytes at BODY (NULL when LEN is 0) hash to WANT
 * ("sha256:<hex>" or "sha512:<hex>"; any other prefix hashes with SHA-256).
 * GOT receives the digest computed ("" if hashing failed).  Returns 1 or 0.
 */
int		 upc_hash_matches(const char *body, size_t len, const char *want,
		    char got[RW_DIGEST_MAX]);

#endif /* RW_UPCLIENT_H */
