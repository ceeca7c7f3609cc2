/* route.c - OCI request grammar, upstream choice and URL rewriting. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/route.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A byte range inside a caller's string; never NUL-terminated. */
struct span {
	const char	*p;
	size_t		 len;
};

/* How much of a name or reference a client-facing message quotes. */
#define SHOW_NAME	64
#define SHOW_REF	140
#define TAG_MAX		128
#define UPLOAD_ID_MAX	256

/* ------------------------------------------------------------ helpers */

static int
span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

static struct span
span_from(const char *p, size_t len)
{
	struct span s;

	s.p = p;
	s.len = len;
	return s;
}

/* 1 if S (LEN bytes) contains the two bytes "..". */
static int
has_dotdot(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return 1;
	return 0;
}

/*
 * Quote at most MAX bytes of S for a message that goes back to the client
 * and into the log.  Control characters, '"', '\\' and non-ASCII bytes
 * become \xNN so that a hostile path can neither forge log lines nor make
 * the quoted text ambiguous; a trailing "..." marks a cut.
 */
static const char *
show(char *buf, size_t size, const char *s, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			if (o + 5 > size)
				break;
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			if (o + 2 > size)
				break;
			buf[o++] = (char)c;
		}
	}
	if (i < len && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Record a refusal: what to answer the client, and the message. */
static int
refuse(struct route *out, int status, const char *oci, struct rw_err *err,
    int code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
refuse(struct route *out, int status, const char *oci, struct rw_err *err,
    int code, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	out->http_status = status;
	out->oci_code = oci;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rw_err_set(err, code, "%s", msg);
}

/* A bounded writer: overflow is remembered, never written past SIZE. */
struct wbuf {
	char	*p;
	size_t	 size;
	size_t	 len;
	int	 over;
};

static void
w_init(struct wbuf *w, char *p, size_t size)
{
	w->p = p;
	w->size = size;
	w->len = 0;
	w->over = size == 0;
	if (size > 0)
		p[0] = '\0';
}

static void
w_add(struct wbuf *w, const char *s, size_t n)
{
	if (w->over || n >= w->size - w->len) {
		w->over = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

static void
w_str(struct wbuf *w, const char *s)
{
	w_add(w, s, strlen(s));
}

/* ------------------------------------------------------------ grammars */

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* Length of the run of [a-z0-9] starting at S[I]. */
static size_t
lower_run(const char *s, size_t len, size_t i)
{
	size_t n = 0;

	while (i + n < len && is_lower_alnum(s[i + n]))
		n++;
	return n;
}

/*
 * The spec's name grammar without a length cap:
 * [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 */
static int
name_grammar(const char *s, size_t len)
{
	size_t i = 0, n;

	for (;;) {
		n = lower_run(s, len, i);
		if (n == 0)
			return 0;
		i += n;
		while (i < len && s[i] != '/') {
			if (s[i] == '.') {
				i++;
			} else if (s[i] == '_') {
				i++;
				if (i < len && s[i] == '_')
					i++;
			} else if (s[i] == '-') {
				while (i < len && s[i] == '-')
					i++;
			} else {
				return 0;
			}
			n = lower_run(s, len, i);
			if (n == 0)
				return 0;
			i += n;
		}
		if (i == len)
			return 1;
		i++;		/* the '/' */
	}
}

int
route_valid_name(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > ROUTE_NAME_MAX)
		return 0;
	return name_grammar(s, len);
}

int
route_valid_tag(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len > TAG_MAX)
		return 0;
	if (!is_alnum(s[0]) && s[0] != '_')
		return 0;
	for (i = 1; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	return 1;
}

/* algorithm := component (sep component)*, [a-z0-9]+ and [+._-]. */
static int
alg_grammar(const char *s, size_t len)
{
	size_t i = 0, n;

	for (;;) {
		n = lower_run(s, len, i);
		if (n == 0)
			return 0;
		i += n;
		if (i == len)
			return 1;
		if (s[i] != '+' && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
		i++;
	}
}

/* 1 if S is exactly WANT characters of [a-f0-9]. */
static int
lower_hex(const char *s, size_t len, size_t want)
{
	size_t i;

	if (len != want)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
route_valid_digest(const char *s, size_t len)
{
	const char *colon, *enc;
	size_t alen, elen, i;

	if (s == NULL || len == 0)
		return 0;
	colon = memchr(s, ':', len);
	if (colon == NULL)
		return 0;
	alen = (size_t)(colon - s);
	enc = colon + 1;
	elen = len - alen - 1;
	if (!alg_grammar(s, alen) || elen == 0)
		return 0;
	for (i = 0; i < elen; i++)
		if (!is_alnum(enc[i]) && enc[i] != '=' && enc[i] != '_' &&
		    enc[i] != '-')
			return 0;
	/* Registered algorithms pin their encoding; others merely parse. */
	if (span_is(span_from(s, alen), "sha256"))
		return lower_hex(enc, elen, 64);
	if (span_is(span_from(s, alen), "sha512"))
		return lower_hex(enc, elen, 128);
	return -1;
}

static int
valid_upload_id(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > UPLOAD_ID_MAX || has_dotdot(s, len))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alnum(s[i]) && strchr("._=~-", s[i]) == NULL)
			return 0;
	return 1;
}


static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode a form-encoded query value (%XX and '+', as Go's url.Values
 * writes them) into DST.  -1 for a malformed escape, a result that does not
 * fit, or a decoded control character, which no host or repository name
 * may carry.
 */
static int
pct_decode(struct span v, char *dst, size_t size, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; i < v.len; i++) {
		c = (unsigned char)v.p[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (v.len - i < 3)
				return -1;
			hi = hexval(v.p[i + 1]);
			lo = hexval(v.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= size)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	*outlen = o;
	return 0;
}

/* -------------------------------------------------------------- query */

/* The next '&'-separated piece of Q from *POS; 0 when there is none. */
static int
next_piece(struct span q, size_t *pos, struct span *piece)
{
	const char *amp;

	if (*pos > q.len)
		return 0;
	amp = q.len > *pos ? memchr(q.p + *pos, '&', q.len - *pos) : NULL;
	piece->p = q.p + *pos;
	piece->len = amp != NULL ? (size_t)(amp - piece->p) : q.len - *pos;
	*pos += piece->len + 1;
	return 1;
}

/* 1 if PIECE is KEY or "KEY=...", byte for byte; *VAL gets the value. */
static int
piece_key(struct span piece, const char *key, struct span *val)
{
	size_t n = strlen(key);

	if (piece.len < n || memcmp(piece.p, key, n) != 0)
		return 0;
	if (piece.len > n && piece.p[n] != '=')
		return 0;
	*val = piece.len > n ? span_from(piece.p + n + 1, piece.len - n - 1) :
	    span_from(piece.p + n, 0);
	return 1;
}

/* What route_parse has read from the request so far. */
struct req {
	int		 kind;
	struct span	 name;		/* client side, may carry a prefix */
	struct span	 ref;
	int		 has_query;
	struct span	 query;		/* after the '?' */
	int		 has_ns;
	int		 ns_ok;		/* ns[] holds the decoded value */
	struct span	 ns_raw;
	char		 ns[256];
};

/*
 * Find `ns`.  Repeated copies must agree byte for byte: otherwise this
 * proxy and the registry behind it could read different upstreams out of
 * one request.  Returns -1 on disagreement.
 */
static int
scan_ns(struct req *rq)
{
	struct span piece, val;
	size_t pos = 0, n;

	if (!rq->has_query)
		return 0;
	while (next_piece(rq->query, &pos, &piece)) {
		if (!piece_key(piece, "ns", &val))
			continue;
		if (rq->has_ns) {
			if (val.len != rq->ns_raw.len ||
			    memcmp(val.p, rq->ns_raw.p, val.len) != 0)
				return -1;
			continue;
		}
		rq->has_ns = 1;
		rq->ns_raw = val;
		rq->ns_ok = pct_decode(val, rq->ns, sizeof(rq->ns), &n) == 0 &&
		    n > 0;
	}
	return 0;
}

/* --------------------------------------------------------------- path */

/* Start offset of the segment of S that ends at END (exclusive). */
static size_t
seg_start(const char *s, size_t end)
{
	while (end > 0 && s[end - 1] != '/')
		end--;
	return end;
}

/*
 * Classify PATH (without the query).  Names may contain segments such as
 * "blobs" or "manifests", so the endpoint is read from the end.  Returns 0
 * and fills RQ's kind, name and ref, or -1 for an endpoint we do not serve.
 */
static int
parse_path(const char *path, size_t plen, struct req *rq)
{
	const char *rest = path + 4;
	size_t rlen = plen - 4, l0, p0, pp0 = 0, name_end;
	struct span last, prev, pprev;

	if (plen < 3 || memcmp(path, "/v2", 3) != 0 ||
	    (plen > 3 && path[3] != '/'))
		return -1;
	if (plen <= 4 || span_is(span_from(rest, rlen), "_catalog")) {
		rq->kind = plen <= 4 ? ROUTE_BASE : ROUTE_CATALOG;
		return 0;
	}
	l0 = seg_start(rest, rlen);
	if (l0 == 0)
		return -1;
	last = span_from(rest + l0, rlen - l0);
	p0 = seg_start(rest, l0 - 1);
	prev = span_from(rest + p0, l0 - 1 - p0);
	pprev = span_from(rest, 0);
	if (p0 > 0) {
		pp0 = seg_start(rest, p0 - 1);
		pprev = span_from(rest + pp0, p0 - 1 - pp0);
	}
	name_end = p0;
	rq->ref = last;
	if (span_is(prev, "tags") && span_is(last, "list")) {
		rq->kind = ROUTE_TAGS;
		rq->ref = span_from(last.p, 0);
	} else if (span_is(pprev, "blobs") && span_is(prev, "uploads")) {
		rq->kind = last.len > 0 ? ROUTE_UPLOAD : ROUTE_UPLOAD_START;
		name_end = pp0;
	} else if (span_is(prev, "manifests")) {
		rq->kind = ROUTE_MANIFEST;
	} else if (span_is(prev, "blobs")) {
		rq->kind = ROUTE_BLOB;
	} else if (span_is(prev, "referrers")) {
		rq->kind = ROUTE_REFERRERS;
	} else {
		return -1;
	}
	rq->name = span_from(rest, name_end > 0 ? name_end - 1 : 0);
	return 0;
}

/* ------------------------------------------------------------ upstream */

struct pick {
	const struct cfg_upstream	*up;	/* NULL: nothing matched */
	int				 via;	/* enum route_via */
	size_t				 skip;	/* bytes of "<upstream>/" */
};

/* The first segment of NAME; *MORE says whether another follows. */
static struct span
first_seg(struct span name, int *more)
{
	const char *slash;

	slash = name.len > 0 ? memchr(name.p, '/', name.len) : NULL;
	*more = slash != NULL;
	return span_from(name.p, slash != NULL ? (size_t)(slash - name.p) :
	    name.len);
}

/*
 * Whether URLs handed back for NAME on UP need "<up>/" in front so that a
 * later request without `ns` reaches UP again: always for a non-default
 * upstream, and for the default one when NAME's first segment would
 * otherwise be read as another upstream's prefix.
 */
static int
prefix_needed(const struct rw_config *cfg, const struct cfg_upstream *up,
    struct span name)
{
	struct span first;
	int more;

	if (up != config_default_upstream(cfg))
		return 1;
	first = first_seg(name, &more);
	return more && config_upstream_by_name(cfg, first.p, first.len) != NULL;
}

/*
 * Choose the upstream for client-side NAME.  NS is the decoded `ns` value
 * ("" if it could not be decoded), or NULL without one.  OWN_PREFIX is set
 * for upload sessions: their URL is one we handed out with our prefix, and
 * newer containerd adds `ns` to it again, so the prefix must come off.
 */
static void
pick_upstream(const struct rw_config *cfg, const char *ns, struct span name,
    int own_prefix, struct pick *pk)
{
	struct span first, rest;
	int more;

	memset(pk, 0, sizeof(*pk));
	first = first_seg(name, &more);
	if (ns != NULL) {
		pk->via = ROUTE_VIA_NS;
		pk->up = ns[0] != '\0' ? config_upstream_by_host(cfg, ns) : NULL;
		if (pk->up == NULL || !own_prefix || !more ||
		    !span_is(first, pk->up->name))
			return;
		rest = span_from(name.p + first.len + 1,
		    name.len - first.len - 1);
		if (prefix_needed(cfg, pk->up, rest))
			pk->skip = first.len + 1;
		return;
	}
	if (more) {
		pk->up = config_upstream_by_name(cfg, first.p, first.len);
		if (pk->up != NULL) {
			pk->via = ROUTE_VIA_PREFIX;
			pk->skip = first.len + 1;
			return;
		}
	}
	pk->via = ROUTE_VIA_DEFAULT;
	pk->up = config_default_upstream(cfg);
}

/* ---------------------------------------------------------- validation */

static int
check_name(struct route *out, struct span name, const struct pick *pk,
    struct rw_err *err)
{
	char q[200];

	if (route_valid_name(name.p + pk->skip, name.len - pk->skip))
		return RW_OK;
	return refuse(out, 400, "NAME_INVALID", err, RW_EINVAL,
	    "invalid repository name \"%s\"",
	    show(q, sizeof(q), name.p, name.len, SHOW_NAME));
}

static int
check_digest(struct route *out, struct span ref, struct rw_err *err)
{
	const char *colon;
	char q[200];
	int d;

	d = route_valid_digest(ref.p, ref.len);
	if (d == 1)
		return RW_OK;
	if (d == 0)
		return refuse(out, 400, "DIGEST_INVALID", err, RW_EINVAL,
		    "invalid digest \"%s\"",
		    show(q, sizeof(q), ref.p, ref.len, SHOW_REF));
	colon = memchr(ref.p, ':', ref.len);
	return refuse(out, 400, "DIGEST_INVALID", err, RW_EINVAL,
	    "unsupported digest algorithm \"%s\"",
	    show(q, sizeof(q), ref.p, (size_t)(colon - ref.p), SHOW_REF));
}

/* '..' is refused even where the grammar allows it (tags, upload ids). */
static int
check_ref(struct route *out, int kind, struct span ref, struct rw_err *err)
{
	char q[200];

	switch (kind) {
	case ROUTE_MANIFEST:
		if (ref.len > 0 && memchr(ref.p, ':', ref.len) != NULL)
			return check_digest(out, ref, err);
		if (route_valid_tag(ref.p, ref.len) &&
		    !has_dotdot(ref.p, ref.len))
			return RW_OK;
		return refuse(out, 400, "TAG_INVALID", err, RW_EINVAL,
		    "invalid tag \"%s\"",
		    show(q, sizeof(q), ref.p, ref.len, SHOW_REF));
	case ROUTE_BLOB:
	case ROUTE_REFERRERS:
		return check_digest(out, ref, err);
	case ROUTE_UPLOAD:
		if (valid_upload_id(ref.p, ref.len))
			return RW_OK;
		return refuse(out, 404, "BLOB_UPLOAD_UNKNOWN", err,
		    RW_ENOTFOUND, "invalid upload id \"%s\"",
		    show(q, sizeof(q), ref.p, ref.len, SHOW_REF));
	default:
		return RW_OK;
	}
}

static int
no_upstream(struct route *out, const struct req *rq, struct rw_err *err)
{
	char q[200];

	if (!rq->has_ns)
		return refuse(out, 404, "NAME_UNKNOWN", err, RW_ENOTFOUND,
		    "no default upstream; use /v2/<upstream>/<name>");
	if (rq->ns_ok)
		show(q, sizeof(q), rq->ns, strlen(rq->ns), SHOW_NAME);
	else
		show(q, sizeof(q), rq->ns_raw.p, rq->ns_raw.len, SHOW_NAME);
	/* A registry no upstream serves is a source the admin has not
	 * allowed: a policy answer, not a "not found" the developer would
	 * read as a typo. */
	return refuse(out, 403, "DENIED", err, RW_EPERM,
	    "registry \"%s\" is not served here: images from it are not "
	    "allowed through this proxy; use an allowed registry, or ask the "
	    "regwarden admin to add an upstream for it", q);
}

/* ------------------------------------------------------- upstream query */

enum { FROM_KEEP, FROM_REWRITE, FROM_DROP };

/*
 * Decide what happens to a cross-repository mount.  `from` is read with the
 * rules of the request path (and the request's ns).  A mount from another
 * upstream cannot work, so mount and from are dropped and the registry
 * answers 202 with an ordinary upload.  *UPNAME gets the upstream-side
 * name inside FROM; *ENC whether the client percent-encoded the value.
 */
static int
mount_plan(const struct rw_config *cfg, const struct req *rq,
    const struct route *out, char *from, size_t fromsize,
    struct span *upname, int *enc)
{
	struct span piece, val, v = { from, 0 };
	struct pick pk;
	size_t pos = 0, nfrom = 0, dlen = 0;

	while (next_piece(rq->query, &pos, &piece)) {
		if (piece_key(piece, "from", &val)) {
			nfrom++;
			v = val;
		}
	}
	if (nfrom == 0)
		return FROM_KEEP;
	if (nfrom > 1 || pct_decode(v, from, fromsize, &dlen) != 0)
		return FROM_DROP;
	*enc = v.len > 0 && memchr(v.p, '%', v.len) != NULL;
	pick_upstream(cfg, rq->has_ns ? rq->ns : NULL, span_from(from, dlen),
	    0, &pk);
	*upname = span_from(from + pk.skip, dlen - pk.skip);
	if (pk.up != out->up || !route_valid_name(upname->p, upname->len))
		return FROM_DROP;
	return pk.skip > 0 ? FROM_REWRITE : FROM_KEEP;
}

/* "from=" and NAME, with '/' as %2F when the client encoded it so. */
static void
add_from(struct wbuf *w, struct span name, int enc)
{
	size_t i;

	w_str(w, "from=");
	for (i = 0; i < name.len; i++) {
		if (enc && name.p[i] == '/')
			w_str(w, "%2F");
		else
			w_add(w, name.p + i, 1);
	}
}

static int
build_query(const struct rw_config *cfg, const struct req *rq,
    struct route *out, struct rw_err *err)
{
	char from[ROUTE_QUERY_MAX];
	struct span piece, val, upfrom = { from, 0 };
	struct wbuf w;
	size_t pos = 0, n = 0;
	int plan = FROM_KEEP, enc = 0, is_mount;

	if (!rq->has_query)
		return RW_OK;
	if (rq->kind == ROUTE_UPLOAD_START)
		plan = mount_plan(cfg, rq, out, from, sizeof(from), &upfrom,
		    &enc);
	w_init(&w, out->upstream_query, sizeof(out->upstream_query));
	while (next_piece(rq->query, &pos, &piece)) {
		if (piece_key(piece, "ns", &val))
			continue;
		is_mount = piece_key(piece, "mount", &val) ||
		    piece_key(piece, "from", &val);
		if (plan == FROM_DROP && is_mount)
			continue;
		w_add(&w, n++ == 0 ? "?" : "&", 1);
		if (plan == FROM_REWRITE && piece_key(piece, "from", &val))
			add_from(&w, upfrom, enc);
		else
			w_add(&w, piece.p, piece.len);
	}
	if (w.over || w.len == 1)
		out->upstream_query[0] = '\0';
	if (w.over)
		return refuse(out, 414, "UNSUPPORTED", err, RW_ETOOBIG,
		    "query string too long");
	return RW_OK;
}

/* ---------------------------------------------------------------- parse */

static int
fill_route(const struct rw_config *cfg, struct route *out,
    const struct req *rq, const struct pick *pk, struct rw_err *err)
{
	struct span name;
	char q[200];
	int n;

	/*
	 * /v2/ and /v2/_catalog have no name: its span is NULL, and NULL plus
	 * even 0 is undefined (clang's UBSan says so; found by fuzz_route).
	 */
	name = rq->name.p != NULL ? span_from(rq->name.p + pk->skip,
	    rq->name.len - pk->skip) : rq->name;
	out->kind = rq->kind;
	out->via = pk->via;
	out->up = pk->up;
	if (name.len > 0)
		memcpy(out->name, name.p, name.len);
	out->name[name.len] = '\0';
	if (rq->ref.len > 0)
		memcpy(out->ref, rq->ref.p, rq->ref.len);
	out->ref[rq->ref.len] = '\0';
	out->ref_is_digest = rq->kind == ROUTE_BLOB ||
	    rq->kind == ROUTE_REFERRERS || (rq->kind == ROUTE_MANIFEST &&
	    strchr(out->ref, ':') != NULL);
	if (rq->has_ns)
		rw_strlcpy(out->ns, rq->ns, sizeof(out->ns));
	if (pk->up == NULL || !prefix_needed(cfg, pk->up, name))
		return RW_OK;
	n = snprintf(out->client_prefix, sizeof(out->client_prefix), "%s/",
	    pk->up->name);
	if (n > 0 && (size_t)n < sizeof(out->client_prefix))
		return RW_OK;
	out->client_prefix[0] = '\0';
	return refuse(out, 500, "UNKNOWN", err, RW_ETOOBIG,
	    "upstream name \"%s\" too long for a path prefix",
	    show(q, sizeof(q), pk->up->name, strlen(pk->up->name), SHOW_NAME));
}

/*
 * The first white space or control byte of S, or NULL.  The query goes to
 * the upstream byte for byte, and an RFC 3986 query has none of these:
 * libmicrohttpd ends the request line at a space or LF, but a byte that
 * reaches here (found by fuzz_route: a LF) must not reach a URL.
 */
static const char *
bad_byte(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] <= 0x20 || s.p[i] == 0x7f)
			return s.p + i;
	return NULL;
}

int
route_parse(const struct rw_config *cfg, const char *raw_uri,
    struct route *out, struct rw_err *err)
{
	struct req rq;
	struct pick pk;
	const char *qm;
	size_t plen;
	int rc, has_name;

	memset(out, 0, sizeof(*out));
	memset(&rq, 0, sizeof(rq));
	qm = strchr(raw_uri, '?');
	plen = qm != NULL ? (size_t)(qm - raw_uri) : strlen(raw_uri);
	if (qm != NULL) {
		rq.has_query = 1;
		rq.query = span_from(qm + 1, strlen(qm + 1));
	}
	if (parse_path(raw_uri, plen, &rq) != 0)
		return refuse(out, 404, "UNSUPPORTED", err, RW_ENOTFOUND,
		    "unsupported endpoint");
	if (rq.has_query && bad_byte(rq.query) != NULL)
		return refuse(out, 400, "UNSUPPORTED", err, RW_EINVAL,
		    "query string with a control character or space (byte "
		    "0x%02x)", (unsigned char)*bad_byte(rq.query));
	if (scan_ns(&rq) != 0)
		return refuse(out, 400, "NAME_INVALID", err, RW_EINVAL,
		    "conflicting ns parameters");
	pick_upstream(cfg, !rq.has_ns ? NULL : rq.ns_ok ? rq.ns : "", rq.name,
	    rq.kind == ROUTE_UPLOAD, &pk);
	has_name = rq.kind != ROUTE_BASE && rq.kind != ROUTE_CATALOG;
	if (has_name) {
		rc = check_name(out, rq.name, &pk, err);
		if (rc != RW_OK)
			return rc;
		rc = check_ref(out, rq.kind, rq.ref, err);
		if (rc != RW_OK)
			return rc;
	}
	/* /v2/ and the catalog may be answered without any upstream. */
	if (pk.up == NULL && (has_name || rq.has_ns))
		return no_upstream(out, &rq, err);
	rc = fill_route(cfg, out, &rq, &pk, err);
	if (rc == RW_OK)
		rc = build_query(cfg, &rq, out, err);
	return rc;
}

/* ------------------------------------------------------------ rewriting */

struct origin {
	struct span	 scheme;
	struct span	 host;
	unsigned long	 port;
};

static int
scheme_char(char c, size_t i)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '.' ||
	    c == '-');
}

static int
span_caseeq(struct span a, struct span b)
{
	return a.len == b.len && strncasecmp(a.p, b.p, a.len) == 0;
}

/* Port after the host: "" or ":" means the scheme's default. */
static int
parse_port(const char *s, size_t len, struct origin *o)
{
	size_t i;

	o->port = 0;
	for (i = 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || i > 5)
			return -1;
		o->port = o->port * 10 + (unsigned long)(s[i] - '0');
	}
	if (len > 1)
		return o->port == 0 || o->port > 65535 ? -1 : 0;
	if (span_caseeq(o->scheme, span_from("http", 4)))
		o->port = 80;
	else if (span_caseeq(o->scheme, span_from("https", 5)))
		o->port = 443;
	return o->port == 0 ? -1 : 0;
}

/*
 * Split "scheme://host[:port]" off the front of URL.  Returns the offset of
 * what follows (path, query or nothing), or -1 when URL has no origin or
 * names no port for a scheme without a default.  Userinfo needs no special
 * case: "ghcr.io@evil.example" is compared whole and never equals a host.
 */
static long
origin_parse(struct span url, struct origin *o)
{
	const char *a, *end;
	size_t i = 0, alen = 0, hlen;

	while (i < url.len && scheme_char(url.p[i], i))
		i++;
	if (i == 0 || url.len - i < 3 || memcmp(url.p + i, "://", 3) != 0)
		return -1;
	o->scheme = span_from(url.p, i);
	a = url.p + i + 3;
	while (a + alen < url.p + url.len && a[alen] != '/' &&
	    a[alen] != '?' && a[alen] != '#')
		alen++;
	if (alen == 0)
		return -1;
	if (a[0] == '[')
		end = memchr(a, ']', alen);	/* IPv6 literal */
	else
		end = memchr(a, ':', alen);
	if (a[0] == '[' && end == NULL)
		return -1;
	hlen = end == NULL ? alen : (size_t)(end - a) + (a[0] == '[');
	if (hlen < alen && a[hlen] != ':')
		return -1;
	o->host = span_from(a, hlen);
	if (hlen == 0 || parse_port(a + hlen, alen - hlen, o) != 0)
		return -1;
	return (long)(a + alen - url.p);
}

static int
same_origin(const struct cfg_upstream *up, struct span url, long *off)
{
	struct origin u, l;

	if (up == NULL || up->url == NULL)
		return 0;
	*off = origin_parse(url, &l);
	if (*off < 0 ||
	    origin_parse(span_from(up->url, strlen(up->url)), &u) < 0)
		return 0;
	return span_caseeq(u.scheme, l.scheme) &&
	    span_caseeq(u.host, l.host) && u.port == l.port;
}

/*
 * Append URL, rewritten for the client, to W.  The path is checked against
 * the repository R was parsed for; everything after the name, query
 * included, is copied byte for byte (distribution signs `_state`).
 */
static int
map_url(const struct route *r, struct span url, const char *base,
    const char *what, struct wbuf *w, struct rw_err *err)
{
	struct span path = url;
	size_t nlen = strlen(r->name);
	long off = 0;
	char q[200];

	if (url.len == 0 || url.p[0] != '/' || (url.len > 1 && url.p[1] == '/')) {
		if (!same_origin(r->up, url, &off))
			return rw_err_set(err, RW_EINVAL,
			    "%s points outside upstream \"%s\": \"%s\"", what,
			    r->up != NULL ? r->up->name : "",
			    show(q, sizeof(q), url.p, url.len, SHOW_NAME));
		path = span_from(url.p + off, url.len - (size_t)off);
	}
	if (r->kind == ROUTE_CATALOG && path.len >= 12 &&
	    memcmp(path.p, "/v2/_catalog", 12) == 0 &&
	    (path.len == 12 || path.p[12] == '?')) {
		w_str(w, base);
		w_add(w, path.p, path.len);
		return RW_OK;
	}
	if (r->kind == ROUTE_CATALOG || nlen == 0 || path.len < nlen + 5 ||
	    memcmp(path.p, "/v2/", 4) != 0 ||
	    memcmp(path.p + 4, r->name, nlen) != 0 || path.p[4 + nlen] != '/')
		return rw_err_set(err, RW_EINVAL,
		    "%s path outside repository \"%s\": \"%s\"", what, r->name,
		    show(q, sizeof(q), path.p, path.len, SHOW_NAME));
	w_str(w, base);
	w_str(w, "/v2/");
	w_str(w, r->client_prefix);
	w_add(w, path.p + 4, path.len - 4);
	return RW_OK;
}

static int
finish(struct wbuf *w, int rc, const char *what, struct rw_err *err)
{
	if (rc == RW_OK && w->over)
		rc = rw_err_set(err, RW_ETOOBIG, "rewritten %s too long", what);
	if (rc != RW_OK && w->size > 0)
		w->p[0] = '\0';
	return rc;
}

/*
 * An upstream header value with a control byte other than tab is refused
 * whole: whatever is rewritten goes into a header of the answer (found by
 * fuzz_rewrite: a LF inside a Link URL was copied through).
 */
static int
ctl_free(const char *v, const char *what, char *out, size_t outsize,
    struct rw_err *err)
{
	const char *s;

	for (s = v; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f) {
			if (outsize > 0)
				out[0] = '\0';
			return rw_err_set(err, RW_EINVAL, "%s header with a "
			    "control character (byte 0x%02x)", what,
			    (unsigned char)*s);
		}
	return RW_OK;
}

int
route_rewrite_location(const struct route *r, const char *loc,
    const char *client_base, char *out, size_t outsize, struct rw_err *err)
{
	struct wbuf w;
	int rc;

	if (ctl_free(loc, "Location", out, outsize, err) != RW_OK)
		return RW_EINVAL;
	w_init(&w, out, outsize);
	rc = map_url(r, span_from(loc, strlen(loc)),
	    client_base != NULL ? client_base : "", "Location", &w, err);
	return finish(&w, rc, "Location", err);
}

/*
 * Copy link-params up to the ',' that ends this link-value, skipping
 * commas inside quoted strings.  Returns where it stopped.
 */
static const char *
copy_params(struct wbuf *w, const char *s)
{
	int quoted = 0;

	for (; *s != '\0'; s++) {
		if (!quoted && *s == ',')
			break;
		if (*s == '"')
			quoted = !quoted;
		else if (quoted && *s == '\\' && s[1] != '\0')
			w_add(w, s++, 1);
		w_add(w, s, 1);
	}
	return s;
}

int
route_rewrite_link(const struct route *r, const char *link,
    const char *client_base, char *out, size_t outsize, struct rw_err *err)
{
	const char *s = link, *gt, *base;
	struct wbuf w;
	char q[200];
	int rc = RW_OK;

	if (ctl_free(link, "Link", out, outsize, err) != RW_OK)
		return RW_EINVAL;
	base = client_base != NULL ? client_base : "";
	w_init(&w, out, outsize);
	for (;;) {
		while (*s == ' ' || *s == '\t')
			w_add(&w, s++, 1);
		gt = *s == '<' ? strchr(s, '>') : NULL;
		if (gt == NULL) {
			rc = rw_err_set(err, RW_EINVAL,
			    "malformed Link header: \"%s\"",
			    show(q, sizeof(q), link, strlen(link), SHOW_NAME));
			break;
		}
		w_add(&w, "<", 1);
		rc = map_url(r, span_from(s + 1, (size_t)(gt - s - 1)), base,
		    "Link", &w, err);
		if (rc != RW_OK)
			break;
		w_add(&w, ">", 1);
		s = copy_params(&w, gt + 1);
		if (*s == '\0')
			break;
		w_add(&w, s++, 1);
	}
	return finish(&w, rc, "Link", err);
}
