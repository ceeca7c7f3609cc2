/*
 * fuzz_framing.c - stateful: a byte stream of pipelined requests on one
 * keep-alive connection, split into requests as libmicrohttpd does, each
 * request's headers through framing_add/framing_check (server/framing.c)
 * as proxy.c calls them, and what would go upstream checked against a
 * model of the two other readers of the same bytes.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The smuggling class of bug is two parties reading one request's length
 * differently.  Here they are: libmicrohttpd 0.9.75, which reads the body
 * off the client's stream (the first Transfer-Encoding, if "chunked";
 * else the first Content-Length; else none: modelled in mhd_body()), and
 * regwarden, which frames what it sends upstream from framing_check's
 * answer.  For every request framing_check accepts, the harness asserts
 * that both read the same body, that the request regwarden would forward
 * (its own Content-Length or chunked framing, none of the client's) parses
 * at the upstream, by an independent strict reader, as exactly one request
 * with exactly that body, and that the next request starts where both
 * think it does.  After a refusal the connection is closed: nothing after
 * it may be forwarded.  Header lines are split once, by the harness, for
 * both readers: differences in header parsing itself are not modelled.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/framing.h"

#define MAXH	64
#define LINE	1024
#define BODY_MAX	(1 << 16)

struct hdrs {
	size_t	 n;
	char	 name[MAXH][LINE];
	char	 value[MAXH][LINE];
	int	 http11;
	char	 method[16];
};

/* One line at *POS ending in LF (CR before it dropped) into OUT. */
static int
line(const uint8_t *d, size_t size, size_t *pos, char *out, size_t osize)
{
	const uint8_t *nl = memchr(d + *pos, '\n', size - *pos);
	size_t n;

	if (nl == NULL)
		return -1;
	n = (size_t)(nl - (d + *pos));
	if (n > 0 && d[*pos + n - 1] == '\r')
		n--;
	if (n >= osize || memchr(d + *pos, '\0', n) != NULL)
		return -1;
	memcpy(out, d + *pos, n);
	out[n] = '\0';
	*pos += (size_t)(nl - (d + *pos)) + 1;
	return 0;
}

static void
trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

/* Request line and headers, as libmicrohttpd splits them; -1 is a 400. */
static int
head(const uint8_t *d, size_t size, size_t *pos, struct hdrs *h)
{
	char l[LINE], *colon, *sp;

	h->n = 0;
	if (line(d, size, pos, l, sizeof(l)) != 0)
		return -1;
	sp = strchr(l, ' ');
	if (sp == NULL || sp == l || (size_t)(sp - l) >= sizeof(h->method))
		return -1;
	memcpy(h->method, l, (size_t)(sp - l));
	h->method[sp - l] = '\0';
	sp = strrchr(l, ' ');
	if (strcmp(sp + 1, "HTTP/1.1") == 0)
		h->http11 = 1;
	else if (strcmp(sp + 1, "HTTP/1.0") == 0)
		h->http11 = 0;
	else
		return -1;
	for (;;) {
		if (line(d, size, pos, l, sizeof(l)) != 0)
			return -1;
		if (l[0] == '\0')
			return 0;
		colon = strchr(l, ':');
		if (colon == NULL || colon == l || h->n == MAXH ||
		    strpbrk(l, " \t") < colon)
			return -1;
		*colon = '\0';
		rw_strlcpy(h->name[h->n], l, LINE);
		rw_strlcpy(h->value[h->n], colon + 1, LINE);
		trim(h->value[h->n]);
		h->n++;
	}
}

static const char *
first(const struct hdrs *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return h->value[i];
	return NULL;
}

/* libmicrohttpd 0.9.75's reading: 1 chunked, 0 with *LEN, -1 a 400. */
static int
mhd_body(const struct hdrs *h, int64_t *len)
{
	const char *te = first(h, "Transfer-Encoding");
	const char *cl = first(h, "Content-Length");
	char *end;

	*len = 0;
	if (te != NULL)
		return strcasecmp(te, "chunked") == 0 ? 1 : -1;
	if (cl == NULL)
		return 0;
	if (cl[0] < '0' || cl[0] > '9')
		return -1;
	*len = (int64_t)strtoll(cl, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* De-chunk the body at *POS into OUT; -1 malformed or incomplete. */
static int
dechunk(const uint8_t *d, size_t size, size_t *pos, uint8_t *out, size_t *n)
{
	char l[LINE], *end;
	unsigned long c;

	*n = 0;
	for (;;) {
		if (line(d, size, pos, l, sizeof(l)) != 0)
			return -1;
		if (strchr("0123456789abcdefABCDEF", l[0]) == NULL ||
		    l[0] == '\0')
			return -1;
		c = strtoul(l, &end, 16);
		if ((*end != '\0' && *end != ';') || c > BODY_MAX - *n)
			return -1;
		if (c == 0)
			break;
		if (size - *pos < c + 2 || d[*pos + c] != '\r' ||
		    d[*pos + c + 1] != '\n')
			return -1;
		memcpy(out + *n, d + *pos, c);
		*n += c;
		*pos += c + 2;
	}
	/* Trailers until the empty line. */
	do {
		if (line(d, size, pos, l, sizeof(l)) != 0)
			return -1;
	} while (l[0] != '\0');
	return 0;
}

/*
 * The upstream's strict reader of what regwarden sends: one request, its
 * body framed by exactly one Content-Length or Transfer-Encoding: chunked.
 * Returns the bytes it consumed, the body in BODY, its length in *BLEN.
 */
static size_t
upstream_read(const uint8_t *msg, size_t mlen, uint8_t *body, size_t *blen)
{
	struct hdrs *h = calloc(1, sizeof(*h));
	size_t pos = 0;
	int64_t len;
	int chunked;

	if (h == NULL)
		abort();
	FZ_ASSERT(head(msg, mlen, &pos, h) == 0, "upstream cannot parse");
	chunked = mhd_body(h, &len);
	FZ_ASSERT(chunked >= 0 && !(first(h, "Content-Length") != NULL &&
	    first(h, "Transfer-Encoding") != NULL), "ambiguous upstream framing");
	if (chunked)
		FZ_ASSERT(dechunk(msg, mlen, &pos, body, blen) == 0,
		    "upstream cannot de-chunk");
	else {
		FZ_ASSERT((size_t)len <= mlen - pos, "upstream body short");
		memcpy(body, msg + pos, (size_t)len);
		*blen = (size_t)len;
		pos += (size_t)len;
	}
	free(h);
	return pos;
}

/* What regwarden sends upstream for a body B (N bytes): its own framing. */
static size_t
forward(const char *method, int chunked, const uint8_t *b, size_t n,
    uint8_t *msg, size_t msize)
{
	int off;

	off = snprintf((char *)msg, msize, "%s /v2/x/blobs/uploads/u "
	    "HTTP/1.1\r\nHost: upstream\r\n", method);
	if (chunked && n > 0)
		off += snprintf((char *)msg + off, msize - (size_t)off,
		    "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", n);
	else if (chunked)
		off += snprintf((char *)msg + off, msize - (size_t)off,
		    "Transfer-Encoding: chunked\r\n\r\n");
	else
		off += snprintf((char *)msg + off, msize - (size_t)off,
		    "Content-Length: %zu\r\n\r\n", n);
	memcpy(msg + off, b, n);
	off += (int)n;
	if (chunked)
		off += snprintf((char *)msg + off, msize - (size_t)off, "%s0\r\n\r\n",
		    n > 0 ? "\r\n" : "");
	return (size_t)off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t body[BODY_MAX], up[BODY_MAX], msg[BODY_MAX + 512];
	static struct hdrs h;
	struct framing f;
	struct framing_body fb;
	struct rw_err err;
	const char *code, *conn;
	size_t pos = 0, n, blen, ulen, i;
	int64_t mlen;
	int mchunked;

	while (pos < size) {
		if (head(data, size, &pos, &h) != 0)
			return 0;	/* libmicrohttpd answers 400, closes */
		framing_init(&f);
		for (i = 0; i < h.n; i++)
			framing_add(&f, h.name[i], h.value[i]);
		rw_err_clear(&err);
		code = NULL;
		if (framing_check(&f, h.http11, &fb, &code, &err) != RW_OK) {
			FZ_ASSERT(code != NULL && err.msg[0] != '\0',
			    "refusal without a code or message");
			return 0;	/* 400, connection closed */
		}
		mchunked = mhd_body(&h, &mlen);
		FZ_ASSERT(mchunked >= 0, "framing accepted what libmicrohttpd "
		    "refuses (%s)", h.method);
		FZ_ASSERT(mchunked == fb.chunked, "chunked: libmicrohttpd %d, "
		    "framing %d", mchunked, fb.chunked);
		FZ_ASSERT(mchunked || mlen == (fb.len < 0 ? 0 : fb.len),
		    "length: libmicrohttpd %lld, framing %lld",
		    (long long)mlen, (long long)fb.len);
		if (mchunked) {
			if (dechunk(data, size, &pos, body, &n) != 0)
				return 0;
		} else {
			if (mlen > BODY_MAX || (size_t)mlen > size - pos)
				return 0;	/* incomplete: nothing more */
			n = (size_t)mlen;
			memcpy(body, data + pos, n);
			pos += n;
		}
		blen = n;
		n = forward(h.method, fb.chunked, body, blen, msg, sizeof(msg));
		ulen = 0;
		FZ_ASSERT(upstream_read(msg, n, up, &ulen) == n,
		    "the upstream reads a second request in what was sent");
		FZ_ASSERT(ulen == blen && memcmp(up, body, blen) == 0,
		    "the upstream reads another body (%zu bytes, sent %zu)",
		    ulen, blen);
		conn = first(&h, "Connection");
		if ((conn != NULL && strcasecmp(conn, "close") == 0) ||
		    (!h.http11 && (conn == NULL ||
		    strcasecmp(conn, "keep-alive") != 0)))
			return 0;
	}
	return 0;
}
