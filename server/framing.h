/*
 * framing.h - how long a client's request body is, decided once: the
 * headers that frame a request (Content-Length, Transfer-Encoding) and the
 * Host header, checked before anything else looks at the request.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pure: no I/O, no allocation, thread-safe.  A request that two parties
 * could frame differently (Content-Length beside Transfer-Encoding, two
 * Content-Lengths, a coding other than chunked) is refused rather than
 * interpreted: that ambiguity is what request smuggling feeds on (RFC 9112
 * §6.3, §11.2).  regwarden then frames what it sends upstream itself and
 * never copies these headers (proxy_upstream.c).
 */
#ifndef RW_FRAMING_H
#define RW_FRAMING_H

#include <stdint.h>

#include "util/util.h"

/* The framing headers of one request, gathered with framing_add. */
struct framing {
	unsigned	 nhost;		/* Host headers seen */
	unsigned	 ncl;		/* Content-Length headers seen */
	unsigned	 nte;		/* Transfer-Encoding headers seen */
	const char	*cl;		/* first Content-Length value (borrowed) */
	const char	*te;		/* first Transfer-Encoding value (borrowed) */
};

/** What framing_check found: the body to expect. */
struct framing_body {
	int64_t		 len;		/* Content-Length, or -1 */
	int		 chunked;	/* Transfer-Encoding: chunked */
};

/** Zero F before the first framing_add. */
void	 framing_init(struct framing *f);

/**
 * Note one request header (NAME case-insensitive).  VALUE is borrowed and
 * must outlive F.  Headers other than Host, Content-Length and
 * Transfer-Encoding are ignored.
 */
void	 framing_add(struct framing *f, const char *name, const char *value);

/**
 * Check F for a request of HTTP/1.1 (HTTP11 non-zero) or HTTP/1.0.
 * Returns RW_OK and fills *OUT, or RW_EINVAL with ERR saying what is wrong
 * (a message for the client) and *CODE the OCI error code to answer with:
 * both Content-Length and Transfer-Encoding; more than one of either; a
 * Transfer-Encoding other than "chunked"; a Content-Length that is not
 * 1 to 18 digits ("SIZE_INVALID"); no Host in HTTP/1.1, or more than one
 * ("UNSUPPORTED" for these).
 */
int	 framing_check(const struct framing *f, int http11,
	    struct framing_body *out, const char **code, struct rw_err *err);

#endif /* RW_FRAMING_H */
