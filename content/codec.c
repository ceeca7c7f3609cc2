/*
 * codec.c - a layer index as bytes for the state database and back:
 * "RWCI", a version byte, counts, then length-prefixed records
 * (little-endian).  Decoding checks every length against what is left.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "content/content.h"

#include <string.h>

#include "content/internal.h"

#define CODEC_MAGIC	"RWCI"
#define CODEC_VERSION	CONTENT_FORMAT
#define NO_STR		0xffffffffu

static int
put(struct rw_buf *b, uint64_t v, int bytes)
{
	unsigned char x[8];
	int i;

	for (i = 0; i < bytes; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	return rw_buf_add(b, x, (size_t)bytes);
}

static int
put_str(struct rw_buf *b, const char *s)
{
	size_t n;
	int rc;

	if (s == NULL)
		return put(b, NO_STR, 4);
	n = strlen(s);
	if ((rc = put(b, n, 4)) != RW_OK)
		return rc;
	return rw_buf_add(b, s, n);
}

int
content_encode(const struct content_index *idx, struct rw_buf *out)
{
	const struct content_entry *e;
	size_t i;
	int rc;

	rc = rw_buf_add(out, CODEC_MAGIC, 4);
	rc = rc ? rc : put(out, CODEC_VERSION, 1);
	rc = rc ? rc : put(out, idx->nentries, 4);
	rc = rc ? rc : put(out, idx->nfindings, 4);
	rc = rc ? rc : put(out, idx->npackages, 4);
	rc = rc ? rc : put(out, idx->npkgdb_unread, 4);
	rc = rc ? rc : put(out, idx->file_bytes, 8);
	rc = rc ? rc : put(out, idx->stream_bytes, 8);
	for (i = 0; rc == RW_OK && i < idx->nentries; i++) {
		e = &idx->entries[i];
		rc = put(out, e->type, 1);
		rc = rc ? rc : put(out, e->mode, 4);
		rc = rc ? rc : put(out, (uint64_t)e->uid, 8);
		rc = rc ? rc : put(out, (uint64_t)e->gid, 8);
		rc = rc ? rc : put(out, (uint64_t)e->size, 8);
		rc = rc ? rc : put_str(out, e->path);
		rc = rc ? rc : put_str(out, e->link);
	}
	for (i = 0; rc == RW_OK && i < idx->nfindings; i++) {
		rc = put_str(out, idx->findings[i].path);
		rc = rc ? rc : put_str(out, idx->findings[i].what);
	}
	for (i = 0; rc == RW_OK && i < idx->npackages; i++) {
		rc = put_str(out, idx->packages[i].name);
		rc = rc ? rc : put_str(out, idx->packages[i].version);
		rc = rc ? rc : put_str(out, idx->packages[i].db);
	}
	for (i = 0; rc == RW_OK && i < idx->npkgdb_unread; i++)
		rc = put_str(out, idx->pkgdb_unread[i]);
	return rc;
}

struct cursor {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static uint64_t
get(struct cursor *c, int bytes)
{
	uint64_t v = 0;
	int i;

	if (c->bad || c->left < (size_t)bytes) {
		c->bad = 1;
		return 0;
	}
	for (i = 0; i < bytes; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += bytes;
	c->left -= (size_t)bytes;
	return v;
}

/* A string into a scratch record: *S points into the input, *N its length;
 * *S NULL for NO_STR.  Embedded NULs are refused. */
static void
get_str(struct cursor *c, const char **s, size_t *n)
{
	uint64_t len = get(c, 4);

	*s = NULL;
	*n = 0;
	if (c->bad || len == NO_STR)
		return;
	if (len > c->left || memchr(c->p, '\0', len) != NULL) {
		c->bad = 1;
		return;
	}
	*s = (const char *)c->p;
	*n = len;
	c->p += len;
	c->left -= len;
}

static const char *
take(struct cursor *c, struct content_index *idx, int nullable)
{
	const char *s, *d;
	size_t n;

	get_str(c, &s, &n);
	if (c->bad)
		return NULL;
	if (s == NULL) {
		if (!nullable)
			c->bad = 1;
		return NULL;
	}
	if ((d = arena_strndup(idx->arena, s, n)) == NULL)
		c->bad = 2;
	return d;
}

static int
records(struct cursor *c, struct content_index *idx, uint64_t ne,
    uint64_t nf, uint64_t np, uint64_t nu)
{
	struct content_entry e;
	const char *a, *b, *d;
	uint64_t i;

	for (i = 0; !c->bad && i < ne; i++) {
		memset(&e, 0, sizeof(e));
		e.type = (uint8_t)get(c, 1);
		e.mode = (uint32_t)get(c, 4);
		e.uid = (int64_t)get(c, 8);
		e.gid = (int64_t)get(c, 8);
		e.size = (int64_t)get(c, 8);
		e.path = take(c, idx, 0);
		e.link = take(c, idx, 1);
		if (!c->bad && (e.type > CONTENT_OPAQUE || e.size < 0))
			c->bad = 1;
		if (!c->bad && index_add_entry(idx, &e) != RW_OK)
			c->bad = 2;
	}
	for (i = 0; !c->bad && i < nf; i++) {
		a = take(c, idx, 0);
		b = take(c, idx, 0);
		if (!c->bad && index_add_finding(idx, a, b) != RW_OK)
			c->bad = 2;
	}
	for (i = 0; !c->bad && i < np; i++) {
		a = take(c, idx, 0);
		b = take(c, idx, 0);
		d = take(c, idx, 0);
		if (!c->bad && index_add_package(idx, a, strlen(a), b,
		    strlen(b), d) != RW_OK)
			c->bad = 2;
	}
	for (i = 0; !c->bad && i < nu; i++) {
		a = take(c, idx, 0);
		if (!c->bad && index_add_unread(idx, a) != RW_OK)
			c->bad = 2;
	}
	return c->bad;
}

int
content_decode(const void *data, size_t len, struct content_index **out,
    struct rw_err *err)
{
	struct cursor c = { data, len, 0 };
	struct content_index *idx;
	uint64_t ne, nf, np, nu;

	*out = NULL;
	if (len < 5 || memcmp(data, CODEC_MAGIC, 4) != 0)
		return rw_err_set(err, RW_EPARSE, "not a content index");
	c.p += 4;
	c.left -= 4;
	if (get(&c, 1) != CODEC_VERSION)
		return rw_err_set(err, RW_EPARSE, "content index version %u "
		    "is not %d", ((const unsigned char *)data)[4],
		    CODEC_VERSION);
	ne = get(&c, 4);
	nf = get(&c, 4);
	np = get(&c, 4);
	nu = get(&c, 4);
	/* Each record takes at least 4 bytes: counts past that are lies. */
	if (c.bad || ne + nf + np + nu > len / 4)
		return rw_err_set(err, RW_EPARSE, "content index truncated");
	if ((idx = content_index_new()) == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	idx->file_bytes = get(&c, 8);
	idx->stream_bytes = get(&c, 8);
	switch (records(&c, idx, ne, nf, np, nu)) {
	case 0:
		break;
	case 2:
		content_index_free(idx);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	default:
		content_index_free(idx);
		return rw_err_set(err, RW_EPARSE, "content index truncated "
		    "or malformed");
	}
	if (c.left != 0) {
		content_index_free(idx);
		return rw_err_set(err, RW_EPARSE, "content index has %zu "
		    "bytes past its end", c.left);
	}
	*out = idx;
	return RW_OK;
}
