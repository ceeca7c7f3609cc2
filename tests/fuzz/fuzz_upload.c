/*
 * fuzz_upload.c - stateful: the upload sessions of a push (server/upload.c)
 * driven by a byte stream of requests against a model, and the client's
 * Content-Range and query values through the parsers proxy_upload.c uses.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each input is a program: one opcode byte and its operands at a time
 * (see step()).
 * Sessions are four keys held by two clients; a request takes a session
 * (creating it or not), appends bytes, has them committed or rolled back,
 * poisons it, gives it back or ends it, and the clock moves.  After every
 * step the table is checked against the model written here from
 * upload.h's contract: the answer of upload_take (missing, another
 * client's, busy, too many after dropping the idle ones, a key once
 * dropped idle), the committed and total sizes, the poisoning at
 * max_bytes, the session count, and the spool file's bytes (what the
 * final PUT hashes) against the model's.
 * Range and query operands are strings the client chose: upload_parse_range
 * is checked against a decimal reader written here, upload_query_param and
 * upload_query_drop_mount against each other (a dropped query keeps every
 * other parameter's value and has neither mount nor from).
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/upload.h"

#define KEYS		4
#define MAX_BYTES	4096
#define MAX_SESSIONS	3
#define IDLE		5
#define STEPS		64
#define STR_MAX		96

struct msess {
	int		 live;
	int		 owner;
	int		 busy;
	int		 poisoned;
	int64_t		 used;
	uint64_t	 committed;
	uint64_t	 size;
	struct upload	*u;
	uint8_t		 bytes[MAX_BYTES];
};

struct prog {
	const uint8_t	*d;
	size_t		 size, pos;
};

static struct msess m[KEYS];
/* Keys swept for idleness: the table remembers them and refuses them. */
static int gone[KEYS];
static char dir[64];

static unsigned
next(struct prog *p)
{
	return p->pos < p->size ? p->d[p->pos++] : 0;
}

/* A string operand: a length byte, then that many bytes (NUL ends it). */
static void
operand(struct prog *p, char *out)
{
	size_t n = next(p) % STR_MAX, i;

	for (i = 0; i < n && p->pos < p->size; i++)
		out[i] = (char)p->d[p->pos++];
	out[i] = '\0';
}

static int
model_count(void)
{
	int k, n = 0;

	for (k = 0; k < KEYS; k++)
		n += m[k].live;
	return n;
}

static void
model_take(struct upload_table *t, int k, int owner, int create,
    int64_t now)
{
	static const char *owners[] = { "client-a", "client-b" };
	char key[8];
	struct upload *u = NULL;
	struct rw_err err;
	int rc, want = RW_OK, j;

	snprintf(key, sizeof(key), "k%d", k);
	if (!m[k].live && (!create || gone[k]))
		want = RW_ENOTFOUND;
	else if (!m[k].live) {
		for (j = 0; j < KEYS; j++)	/* the idle ones go first */
			if (m[j].live && !m[j].busy &&
			    now - m[j].used >= IDLE) {
				memset(&m[j], 0, sizeof(m[j]));
				gone[j] = 1;
			}
		if (model_count() >= MAX_SESSIONS)
			want = RW_ETOOBIG;
	} else if (m[k].owner != owner)
		want = RW_EPERM;
	else if (m[k].busy)
		want = RW_EBUSY;
	rw_err_clear(&err);
	rc = upload_take(t, key, owners[owner], create, now, &u, &err);
	FZ_ASSERT(rc == want, "take %s by %d: %d, model %d (%s)", key, owner,
	    rc, want, err.msg);
	FZ_ASSERT((rc == RW_OK) == (u != NULL), "take's session");
	FZ_ASSERT(rc == RW_OK || rc == RW_ENOTFOUND || err.msg[0] != '\0',
	    "refusal without a message");
	if (rc != RW_OK)
		return;
	if (!m[k].live) {
		memset(&m[k], 0, sizeof(m[k]));
		m[k].live = 1;
		m[k].owner = owner;
	}
	FZ_ASSERT(m[k].u == NULL || m[k].u == u, "another session for %s",
	    key);
	m[k].u = u;
	m[k].busy = 1;
}

static void
model_append(struct upload_table *t, int k, struct prog *p)
{
	uint8_t buf[MAX_BYTES + 256];
	size_t len = next(p) * 17u, i;
	struct rw_err err;
	int rc, want = RW_OK;

	for (i = 0; i < len && i < sizeof(buf); i++)
		buf[i] = (uint8_t)(p->pos + i * 31);
	if (m[k].poisoned)
		want = RW_EINVAL;
	else if (m[k].size + len > MAX_BYTES)
		want = RW_ETOOBIG;
	rw_err_clear(&err);
	rc = upload_append(t, m[k].u, buf, len, &err);
	FZ_ASSERT(rc == want, "append %zu at %llu: %d, model %d (%s)", len,
	    (unsigned long long)m[k].size, rc, want, err.msg);
	if (rc == RW_ETOOBIG)
		m[k].poisoned = 1;
	if (rc != RW_OK)
		return;
	memcpy(m[k].bytes + m[k].size, buf, len);
	m[k].size += len;
}

/* The spool file holds exactly the model's bytes. */
static void
check_file(int k)
{
	static uint8_t got[MAX_BYTES + 1];
	struct stat st;
	ssize_t n;

	FZ_ASSERT(fstat(upload_fd(m[k].u), &st) == 0 &&
	    (uint64_t)st.st_size == m[k].size, "file of %d bytes, model %llu",
	    (int)st.st_size, (unsigned long long)m[k].size);
	n = pread(upload_fd(m[k].u), got, sizeof(got), 0);
	FZ_ASSERT(n == (ssize_t)m[k].size &&
	    memcmp(got, m[k].bytes, m[k].size) == 0, "file bytes differ");
}

static void
check(struct upload_table *t)
{
	int k;

	FZ_ASSERT(upload_table_count(t) == model_count(), "%d sessions, "
	    "model %d", upload_table_count(t), model_count());
	for (k = 0; k < KEYS; k++) {
		if (!m[k].live || !m[k].busy)
			continue;
		FZ_ASSERT(upload_committed(m[k].u) == m[k].committed &&
		    upload_size(m[k].u) == m[k].size, "k%d: %llu/%llu, model "
		    "%llu/%llu", k, (unsigned long long)upload_committed(
		    m[k].u), (unsigned long long)upload_size(m[k].u),
		    (unsigned long long)m[k].committed,
		    (unsigned long long)m[k].size);
		FZ_ASSERT((upload_poisoned(m[k].u) != NULL) == m[k].poisoned,
		    "k%d poisoned %d", k, m[k].poisoned);
		check_file(k);
	}
}

/* ------------------------------------------------------------- strings */

/* Digits [S, S+N) as a decimal at most INT64_MAX; 0, or -1. */
static int
model_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 23)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(s[i] - '0'))
		    / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static void
check_range(const char *h)
{
	uint64_t s = 0, e = 0, ms = 0, me = 0;
	const char *dash;
	int rc, want = -1;

	rc = upload_parse_range(h, &s, &e);
	if (strncmp(h, "bytes=", 6) == 0 || strncmp(h, "bytes ", 6) == 0)
		h += 6;
	dash = strchr(h, '-');
	if (dash != NULL && model_u64(h, (size_t)(dash - h), &ms) == 0 &&
	    model_u64(dash + 1, strlen(dash + 1), &me) == 0 && me >= ms)
		want = 0;
	FZ_ASSERT(rc == want, "range \"%s\": %d, model %d", h, rc, want);
	FZ_ASSERT(rc != 0 || (s == ms && e == me), "range \"%s\": %llu-%llu,"
	    " model %llu-%llu", h, (unsigned long long)s,
	    (unsigned long long)e, (unsigned long long)ms,
	    (unsigned long long)me);
}

static void
check_query(const char *q)
{
	char query[STR_MAX + 2], before[STR_MAX], after[STR_MAX];
	int rb, ra, mount, from, dropped;

	snprintf(query, sizeof(query), "?%s", q);
	rb = upload_query_param(query, "digest", before, sizeof(before));
	mount = upload_query_param(query, "mount", after, sizeof(after));
	from = upload_query_param(query, "from", after, sizeof(after));
	FZ_ASSERT(rb >= -1 && rb <= 1, "query_param %d", rb);
	dropped = upload_query_drop_mount(query);
	FZ_ASSERT(dropped == (mount != 0 || from != 0), "dropped %d, mount %d "
	    "from %d in \"%s\"", dropped, mount, from, q);
	FZ_ASSERT(upload_query_param(query, "mount", after, sizeof(after)) ==
	    0 && upload_query_param(query, "from", after, sizeof(after)) == 0,
	    "\"%s\" still mounts: \"%s\"", q, query);
	FZ_ASSERT(query[0] == '\0' || (query[0] == '?' && query[1] != '\0'),
	    "\"%s\" left \"%s\"", q, query);
	ra = upload_query_param(query, "digest", after, sizeof(after));
	FZ_ASSERT(ra == rb && (rb != 1 || strcmp(before, after) == 0),
	    "digest of \"%s\" was %d \"%s\", is %d \"%s\" in \"%s\"", q, rb,
	    rb == 1 ? before : "", ra, ra == 1 ? after : "", query);
}

/* ---------------------------------------------------------------- steps */

static void
step(struct upload_table *t, struct prog *p, int64_t *now)
{
	char s[STR_MAX];
	unsigned op = next(p), act = (op & 0x0f) % 11, k = (op >> 4) % KEYS;

	/* op: bits 0-3 the action (mod 11), 4-5 the key, 6 the client, 7
	 * whether a take creates */
	switch (act) {
	case 0:
		model_take(t, (int)k, (int)(op >> 6) & 1, (op >> 7) & 1,
		    *now);
		return;
	case 1:
		*now += next(p) % 8;
		return;
	case 2:
		operand(p, s);
		check_range(s);
		return;
	case 3:
		operand(p, s);
		check_query(s);
		return;
	}
	if (!m[k].live || !m[k].busy)
		return;
	switch (act) {
	case 4:
	case 5:
		model_append(t, (int)k, p);
		break;
	case 6:
		upload_commit(m[k].u);
		m[k].committed = m[k].size;
		break;
	case 7:
		FZ_ASSERT(upload_rollback(m[k].u) == RW_OK, "rollback");
		m[k].size = m[k].committed;
		break;
	case 8:
		upload_give(t, m[k].u, *now);
		m[k].size = m[k].committed;
		m[k].busy = 0;
		m[k].used = *now;
		check_file((int)k);
		break;
	case 9:
		upload_end(t, m[k].u);
		memset(&m[k], 0, sizeof(m[k]));
		break;
	case 10:
		upload_poison(m[k].u, "the registry's upload and the bytes "
		    "regwarden read have parted");
		m[k].poisoned = 1;
		break;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs when there is one: every input makes and removes files */
	snprintf(dir, sizeof(dir), "%s/rw-fuzz-upload-%d",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prog p = { data, size, 0 };
	struct upload_table *t;
	struct rw_err err;
	int64_t now = 1000;
	int i;

	rw_err_clear(&err);
	t = upload_table_new(dir, MAX_BYTES, MAX_SESSIONS, IDLE, 0, &err);
	FZ_ASSERT(t != NULL, "table: %s", err.msg);
	memset(m, 0, sizeof(m));
	memset(gone, 0, sizeof(gone));
	for (i = 0; i < STEPS && p.pos < p.size; i++) {
		step(t, &p, &now);
		check(t);
	}
	upload_table_free(t);
	(void)rmdir(dir);
	return 0;
}
