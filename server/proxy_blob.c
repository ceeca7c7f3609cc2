/* proxy_blob.c - blob GETs through the disk cache: hits, followers of a blob being fetched, the fetching client's copy, Range. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/internal.h"

#include "cache/cache.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Large reads for the file-to-TLS loop: MHD hands the reader a buffer of
 * this size per connection and encrypts what it gets in one go.
 */
#define CACHE_BLOCK	(64 * 1024)

/* ------------------------------------------------------------- Range */

/*
 * One byte range of a SIZE-byte blob from the client's Range header:
 * 1 with [*FROM, *TO] (inclusive), 0 for the whole blob (no header, or
 * several ranges, which a server may ignore), -1 when unsatisfiable.
 */
int
proxy_blob_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	const char *p, *dash;
	int64_t a, b;
	char num[24];
	size_t n;

	if (h == NULL || strncasecmp(h, "bytes=", 6) != 0 ||
	    strchr(h, ',') != NULL)
		return 0;
	p = h + 6;
	dash = strchr(p, '-');
	if (dash == NULL)
		return -1;
	n = (size_t)(dash - p);
	if (n >= sizeof(num))
		return -1;
	memcpy(num, p, n);
	num[n] = '\0';
	if (n == 0) {
		/* bytes=-N: the last N bytes. */
		if (rw_parse_i64(dash + 1, 1, INT64_MAX, &b) != RW_OK ||
		    size == 0)
			return -1;
		*from = (uint64_t)b >= size ? 0 : size - (uint64_t)b;
		*to = size - 1;
		return 1;
	}
	if (rw_parse_i64(num, 0, INT64_MAX, &a) != RW_OK ||
	    (uint64_t)a >= size)
		return -1;
	*from = (uint64_t)a;
	*to = size - 1;
	if (dash[1] == '\0')
		return 1;
	if (rw_parse_i64(dash + 1, a, INT64_MAX, &b) != RW_OK)
		return -1;
	if ((uint64_t)b < size - 1)
		*to = (uint64_t)b;
	return 1;
}

/* ------------------------------------------------------------ serving */

static ssize_t
cache_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct request *rq = cls;
	uint64_t off = rq->crange_from + pos;
	ssize_t n;

	if (rq->crd == NULL)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (off > rq->crange_to)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > rq->crange_to - off + 1)
		max = (size_t)(rq->crange_to - off + 1);
	n = cache_rd_read(rq->crd, off, buf, max, 0);
	if (n > 0) {
		rq->bytes_out += (uint64_t)n;
		return n;
	}
	if (n == RW_EBUSY)
		return 0;	/* parked until the writer moves */
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	rw_strlcpy(rq->note, "cache: the blob being fetched failed",
	    sizeof(rq->note));
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Answer RQ from RQ->crd, a blob of SIZE bytes. */
static int
answer(struct request *rq, uint64_t size)
{
	struct MHD_Response *r;
	char cr[96], etag[ROUTE_REF_MAX + 4];
	unsigned status = 200;
	int ranged;

	ranged = proxy_blob_range(proxy_hdr(rq, "Range"), size,
	    &rq->crange_from, &rq->crange_to);
	if (ranged < 0) {
		r = MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
		    MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return S_FAIL;
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
		MHD_add_response_header(r, "Content-Range", cr);
		return proxy_done(front_queue(rq, 416, r));
	}
	if (ranged == 0) {
		rq->crange_from = 0;
		rq->crange_to = size - 1;	/* size 0: no read reaches it */
	} else {
		status = 206;
	}
	r = front_reader_response(rq, size == 0 ? 0 :
	    rq->crange_to - rq->crange_from + 1, CACHE_BLOCK, cache_reader);
	if (r == NULL)
		return S_FAIL;
	if (ranged > 0) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%"
		    PRIu64, rq->crange_from, rq->crange_to, size);
		MHD_add_response_header(r, "Content-Range", cr);
	}
	snprintf(etag, sizeof(etag), "\"%s\"", rq->rt.ref);
	MHD_add_response_header(r, "Content-Type", "application/octet-stream");
	MHD_add_response_header(r, "Docker-Content-Digest", rq->rt.ref);
	MHD_add_response_header(r, "ETag", etag);
	MHD_add_response_header(r, "Accept-Ranges", "bytes");
	return proxy_done(front_queue(rq, status, r));
}

static void
hook_park(void *arg)
{
	struct request *rq = arg;

	MHD_suspend_connection(rq->conn);
}

static void
hook_unpark(void *arg)
{
	struct request *rq = arg;

	MHD_resume_connection(rq->conn);
}

/* ---------------------------------------------------------- the phases */

int
proxy_blob_begin(struct request *rq)
{
	struct cache *c = rq->srv->cache;
	struct cache_hooks h = { hook_park, hook_unpark, rq };
	struct cache_wr *wr = NULL;
	int ranged = proxy_hdr(rq, "Range") != NULL;
	struct rw_err err;
	int rc;

	if (c == NULL || !rq->blob_admitted || !rq->rt.ref_is_digest)
		return S_NEXT;
	/* Bytes of this repository go only to a client the upstream let
	 * read it (the manifest cache's rule); the others go upstream, and
	 * a whole blob they fetch may still fill the cache. */
	if (!proxy_authz_ok(rq)) {
		rq->cache_fill = !ranged;
		return S_NEXT;
	}
	rw_err_clear(&err);
	rc = cache_get(c, rq->rt.ref, -1, &rq->crd, ranged ? NULL : &wr, &err);
	metrics_blob_lookup(rq->srv->metrics, rq->crd == NULL ?
	    METRICS_BLOB_MISS : cache_rd_fd(rq->crd) >= 0 ? METRICS_BLOB_HIT :
	    METRICS_BLOB_FOLLOW);
	if (rc == RW_EIO)
		log_warnx("blob cache: %s", err.msg);
	if (wr != NULL) {
		rq->cwr = wr;		/* we fetch it; others follow */
		return S_NEXT;
	}
	if (rq->crd == NULL)
		return S_NEXT;
	cache_rd_set_hooks(rq->crd, &h);
	rq->phase = PH_CACHE;
	return S_NEXT;
}

int
proxy_phase_cache(struct request *rq)
{
	int64_t size = cache_rd_wait_size(rq->crd);

	if (size == RW_EBUSY)
		return S_PARKED;
	if (size < 0) {
		/* Its fetch failed before it began: fetch it ourselves. */
		cache_rd_close(rq->crd);
		rq->crd = NULL;
		rq->phase = proxy_credentials_mode(rq) ? PH_PROBE : PH_SEND;
		return S_NEXT;
	}
	rw_strlcpy(rq->note, cache_rd_fd(rq->crd) >= 0 ? "cache hit" :
	    "cache: following the fetch", sizeof(rq->note));
	return answer(rq, (uint64_t)size);
}

/* -------------------------------------------------- the fetching client */

/*
 * The transfer engine already hashes a verified blob as it arrives, on its
 * own thread, and releases its last byte only once the digest matched: the
 * copy need not be hashed a second time on the worker that encrypts it
 * for the client (a second SHA-256 of every byte of the cold path).  The
 * copy is then published only when the client got every byte (see
 * proxy_blob_done), which the engine allows only after its check.
 */
static void
trust_engine(struct request *rq)
{
	if (rq->cwr != NULL && rq->up_verified)
		cache_wr_caller_hashes(rq->cwr);
}

void
proxy_blob_upstream_answer(struct request *rq, long status, uint64_t len)
{
	struct cache_rd *rd = NULL;
	struct rw_err err;

	if (rq->srv->cache == NULL)
		return;
	/* The upstream let this client read the repository: its next blobs
	 * may come from the cache, as its cached manifests may. */
	if (status == 200 && !proxy_credentials_mode(rq))
		proxy_authz_store(rq);
	if (rq->cwr == NULL && rq->cache_fill && status == 200 &&
	    len != MHD_SIZE_UNKNOWN) {
		rw_err_clear(&err);
		(void)cache_get(rq->srv->cache, rq->rt.ref, (int64_t)len, &rd,
		    &rq->cwr, &err);
		cache_rd_close(rd);	/* someone else has it */
		rq->cache_live = rq->cwr != NULL;
		trust_engine(rq);
		return;
	}
	if (rq->cwr == NULL)
		return;
	if (status != 200 || len == MHD_SIZE_UNKNOWN ||
	    cache_wr_announce(rq->cwr, (int64_t)len) != RW_OK) {
		cache_wr_abort(rq->cwr);
		rq->cwr = NULL;
		return;
	}
	rq->cache_live = 1;
	trust_engine(rq);
}

void
proxy_blob_tee(struct request *rq, const char *buf, size_t n)
{
	struct rw_err err;

	metrics_blob_bytes(rq->srv->metrics, 0, n);
	if (rq->cwr == NULL)
		return;
	rw_err_clear(&err);
	if (cache_wr_write(rq->cwr, buf, n, &err) != RW_OK) {
		/* The client still gets its blob; only the copy is lost. */
		log_warnx("blob cache: %s: not cached: %s", rq->rt.ref,
		    err.msg);
		cache_wr_abort(rq->cwr);
		rq->cwr = NULL;
	}
}

void
proxy_blob_done(struct request *rq, int completed)
{
	struct rw_err err;

	if (rq->crd != NULL) {
		uint64_t n = rq->bytes_out;
		metrics_blob_bytes(rq->srv->metrics, 1, n);
		cache_rd_close(rq->crd);
		rq->crd = NULL;
	}
	if (rq->cwr == NULL)
		return;
	/* Not answered 200 with the blob (an error, a cut): nothing to keep. */
	if (!completed || !rq->cache_live) {
		cache_wr_abort(rq->cwr);
	} else {
		rw_err_clear(&err);
		if (cache_wr_commit_hashed(rq->cwr, rq->up_verified ?
		    rq->rt.ref : NULL, &err) != RW_OK)
			log_warnx("blob cache: %s", err.msg);
	}
	rq->cwr = NULL;
}
