/* upload.c - upload sessions spooled to disk: the table, the files, and the reading of a whole upload at its final PUT. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/upload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "content/content.h"

#define READ_BLOCK	(64 * 1024)
#define MAX_READERS	16
#define SUFFIX		".spool"

struct upload {
	struct upload	*next;
	char		*key;
	char		*owner;
	char		 path[512];
	int		 fd;
	uint64_t	 committed;
	uint64_t	 size;
	int64_t		 used;		/* last given back, unix seconds */
	int		 busy;
	char		*poison;
};

struct upload_table {
	pthread_mutex_t	 mu;
	char		*dir;
	uint64_t	 max_bytes;
	int		 max_sessions;
	int		 idle_seconds;
	uint64_t	 sweep_ms;	/* between two sweeps by the readers */
	uint64_t	 next_sweep_ms;	/* rw_now_ms() */
	uint64_t	 swept;		/* sessions dropped idle, in all */
	/* the keys of the last sessions dropped idle (a ring): a request
	 * on one is told so rather than starting it afresh */
	char		*gone[UPLOAD_GONE_MAX];
	int		 gone_next;
	int		 count;
	unsigned long	 seq;
	struct upload	*list;

	/* readers: final reads off the worker threads */
	pthread_cond_t	 work;
	pthread_t	 threads[MAX_READERS];
	int		 nthreads;
	atomic_int	 stop;
	struct upload_job *queue, **tail;
};

static void	*reader(void *arg);
static int	 sweep(struct upload_table *t, int64_t now);
static int	 judge(const struct upload *u, const char *digest,
		    struct content_index **idx, char *note, size_t notesize,
		    const atomic_int *stop, struct rw_err *err);

/* ------------------------------------------------------------ the folder */

static int
is_spool(const char *name)
{
	size_t n = strlen(name), s = strlen(SUFFIX);

	return n > s && strcmp(name + n - s, SUFFIX) == 0;
}

/* Only files this module names are removed: the folder is ours, but a
 * mistaken state_dir should not cost anyone a file. */
static void
clean_dir(const char *dir)
{
	struct dirent *d;
	char path[1024];
	DIR *dp;

	dp = opendir(dir);
	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (!is_spool(d->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) <
		    (int)sizeof(path))
			(void)unlink(path);
	}
	closedir(dp);
}

/*
 * How often the readers look for idle sessions: a quarter of the idle
 * time, so an abandoned upload's file goes at most a quarter late, but
 * never more than once a second nor less than once a minute.
 */
static uint64_t
sweep_every(int idle_seconds)
{
	uint64_t ms = (uint64_t)(idle_seconds > 0 ? idle_seconds : 1) * 250u;

	return ms < 1000 ? 1000 : ms > 60000 ? 60000 : ms;
}

struct upload_table *
upload_table_new(const char *dir, uint64_t max_bytes, int max_sessions,
    int idle_seconds, int readers, struct rw_err *err)
{
	struct upload_table *t;
	pthread_condattr_t ca;
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rw_err_set(err, RW_EIO, "cannot create %s: %s", dir,
		    strerror(errno));
		return NULL;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rw_err_set(err, RW_EIO, "%s is not a directory", dir);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->dir = strdup(dir)) == NULL) {
		free(t);
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->work, &ca);
	pthread_condattr_destroy(&ca);
	t->tail = &t->queue;
	t->max_bytes = max_bytes;
	t->max_sessions = max_sessions;
	t->idle_seconds = idle_seconds;
	t->sweep_ms = sweep_every(idle_seconds);
	t->next_sweep_ms = rw_now_ms() + t->sweep_ms;
	clean_dir(dir);
	if (readers > MAX_READERS)
		readers = MAX_READERS;
	for (; t->nthreads < readers; t->nthreads++)
		if (pthread_create(&t->threads[t->nthreads], NULL, reader, t) !=
		    0) {
			rw_err_set(err, RW_ENOMEM, "cannot start the upload "
			    "readers");
			upload_table_free(t);
			return NULL;
		}
	return t;
}

/* ------------------------------------------------------------- readers */

/*
 * Wait for a job or for the next sweep, and make the sweep when it is due
 * (T->mu held): abandoned uploads lose their files even when no other
 * upload starts.  One reader sweeps; the others find it done.
 */
static void
wait_work(struct upload_table *t)
{
	struct timespec ts;
	uint64_t now = rw_now_ms();

	if (now >= t->next_sweep_ms) {
		t->swept += (uint64_t)sweep(t, (int64_t)time(NULL));
		t->next_sweep_ms = now + t->sweep_ms;
		return;
	}
	ts.tv_sec = (time_t)(t->next_sweep_ms / 1000u);
	ts.tv_nsec = (long)(t->next_sweep_ms % 1000u) * 1000000L;
	pthread_cond_timedwait(&t->work, &t->mu, &ts);
}

/* J is finished: its caller may free it once DONE ran, so nothing of J is
 * touched after the state changes but the copies. */
static void
settle(struct upload_table *t, struct upload_job *j)
{
	void (*done)(void *) = j->done;
	void *arg = j->arg;

	pthread_mutex_lock(&t->mu);
	j->state = 2;
	pthread_mutex_unlock(&t->mu);
	done(arg);
}

static void *
reader(void *arg)
{
	struct upload_table *t = arg;
	struct upload_job *j;

	for (;;) {
		pthread_mutex_lock(&t->mu);
		while (!atomic_load(&t->stop) && t->queue == NULL)
			wait_work(t);
		if (atomic_load(&t->stop)) {
			pthread_mutex_unlock(&t->mu);
			return NULL;
		}
		j = t->queue;
		t->queue = j->next;
		if (t->queue == NULL)
			t->tail = &t->queue;
		pthread_mutex_unlock(&t->mu);
		rw_err_clear(&j->err);
		j->rc = judge(j->u, j->digest, &j->idx, j->note,
		    sizeof(j->note), &t->stop, &j->err);
		settle(t, j);
	}
}

int
upload_judge_start(struct upload_table *t, struct upload_job *j)
{
	int rc = RW_OK;

	j->idx = NULL;
	j->note[0] = '\0';
	j->next = NULL;
	pthread_mutex_lock(&t->mu);
	if (atomic_load(&t->stop) || t->nthreads == 0) {
		rc = RW_EBUSY;
	} else {
		j->state = 1;
		*t->tail = j;
		t->tail = &j->next;
		pthread_cond_signal(&t->work);
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int
upload_job_done(struct upload_table *t, const struct upload_job *j)
{
	int done;

	pthread_mutex_lock(&t->mu);
	done = j->state == 2;
	pthread_mutex_unlock(&t->mu);
	return done;
}

void
upload_table_stop(struct upload_table *t)
{
	struct upload_job *j;
	int i;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	atomic_store(&t->stop, 1);
	pthread_cond_broadcast(&t->work);
	pthread_mutex_unlock(&t->mu);
	for (i = 0; i < t->nthreads; i++)
		pthread_join(t->threads[i], NULL);
	t->nthreads = 0;
	/* Jobs nobody read: refused, and their requests woken. */
	for (;;) {
		pthread_mutex_lock(&t->mu);
		j = t->queue;
		if (j != NULL)
			t->queue = j->next;
		pthread_mutex_unlock(&t->mu);
		if (j == NULL)
			break;
		j->rc = RW_EBUSY;
		rw_err_clear(&j->err);
		rw_err_set(&j->err, RW_EBUSY, "regwarden is stopping");
		settle(t, j);
	}
	t->tail = &t->queue;
}

static void
session_free(struct upload *u)
{
	if (u->fd >= 0) {
		close(u->fd);
		(void)unlink(u->path);
	}
	free(u->key);
	free(u->owner);
	free(u->poison);
	free(u);
}

void
upload_table_free(struct upload_table *t)
{
	struct upload *u, *next;
	int i;

	if (t == NULL)
		return;
	upload_table_stop(t);
	for (u = t->list; u != NULL; u = next) {
		next = u->next;
		session_free(u);
	}
	clean_dir(t->dir);
	for (i = 0; i < UPLOAD_GONE_MAX; i++)
		free(t->gone[i]);
	pthread_cond_destroy(&t->work);
	pthread_mutex_destroy(&t->mu);
	free(t->dir);
	free(t);
}

int
upload_table_count(struct upload_table *t)
{
	int n;

	pthread_mutex_lock(&t->mu);
	n = t->count;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* ------------------------------------------------------------- sessions */

/* Drop sessions nobody used for idle_seconds (under the lock); returns
 * how many went. */
static int
sweep(struct upload_table *t, int64_t now)
{
	struct upload **pp = &t->list, *u;
	int n = 0;

	while ((u = *pp) != NULL) {
		if (!u->busy && now - u->used >= t->idle_seconds) {
			*pp = u->next;
			t->count--;
			/* The key moves to the ring (no copy to fail). */
			free(t->gone[t->gone_next]);
			t->gone[t->gone_next] = u->key;
			t->gone_next = (t->gone_next + 1) % UPLOAD_GONE_MAX;
			u->key = NULL;
			session_free(u);
			n++;
		} else {
			pp = &u->next;
		}
	}
	return n;
}

int
upload_sweep(struct upload_table *t, int64_t now)
{
	int n;

	pthread_mutex_lock(&t->mu);
	n = sweep(t, now);
	t->swept += (uint64_t)n;
	pthread_mutex_unlock(&t->mu);
	return n;
}

uint64_t
upload_table_swept(struct upload_table *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->mu);
	n = t->swept;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* Whether KEY is a session dropped idle (under the lock). */
static int
was_dropped(const struct upload_table *t, const char *key)
{
	int i;

	for (i = 0; i < UPLOAD_GONE_MAX; i++)
		if (t->gone[i] != NULL && strcmp(t->gone[i], key) == 0)
			return 1;
	return 0;
}

static struct upload *
find(struct upload_table *t, const char *key)
{
	struct upload *u;

	for (u = t->list; u != NULL; u = u->next)
		if (strcmp(u->key, key) == 0)
			return u;
	return NULL;
}

/* A new session and its file (under the lock). */
static int
make(struct upload_table *t, const char *key, const char *owner,
    struct upload **out, struct rw_err *err)
{
	struct upload *u;

	if (t->count >= t->max_sessions)
		return rw_err_set(err, RW_ETOOBIG, "%d uploads are being "
		    "inspected already (content.upload_max_sessions); retry "
		    "later", t->max_sessions);
	u = calloc(1, sizeof(*u));
	if (u == NULL || (u->key = strdup(key)) == NULL ||
	    (u->owner = strdup(owner)) == NULL) {
		if (u != NULL)
			free(u->key);
		free(u);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	snprintf(u->path, sizeof(u->path), "%s/%lu-%d%s", t->dir, ++t->seq,
	    (int)getpid(), SUFFIX);
	u->fd = open(u->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (u->fd < 0) {
		rw_err_set(err, RW_EIO, "cannot create the upload's spool "
		    "file: %s", strerror(errno));
		u->fd = -1;
		session_free(u);
		return err->code;
	}
	u->next = t->list;
	t->list = u;
	t->count++;
	*out = u;
	return RW_OK;
}

int
upload_take(struct upload_table *t, const char *key, const char *owner,
    int create, int64_t now, struct upload **out, struct rw_err *err)
{
	struct upload *u;
	int rc = RW_OK;

	*out = NULL;
	pthread_mutex_lock(&t->mu);
	u = find(t, key);
	if (u == NULL && !create)
		rc = RW_ENOTFOUND;
	else if (u == NULL && was_dropped(t, key))
		rc = rw_err_set(err, RW_ENOTFOUND, "the upload was left idle "
		    "longer than %d s (content.upload_idle_seconds) and its "
		    "bytes were dropped; start the upload again",
		    t->idle_seconds);
	else if (u == NULL) {
		t->swept += (uint64_t)sweep(t, now);
		rc = make(t, key, owner, &u, err);
	} else if (strcmp(u->owner, owner) != 0)
		rc = rw_err_set(err, RW_EPERM, "the upload was started by "
		    "another client");
	else if (u->busy)
		rc = rw_err_set(err, RW_EBUSY, "another request is sending "
		    "to this upload");
	if (rc == RW_OK) {
		u->busy = 1;
		*out = u;
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

void
upload_give(struct upload_table *t, struct upload *u, int64_t now)
{
	if (u == NULL)
		return;
	(void)upload_rollback(u);
	pthread_mutex_lock(&t->mu);
	u->busy = 0;
	u->used = now;
	pthread_mutex_unlock(&t->mu);
}

void
upload_end(struct upload_table *t, struct upload *u)
{
	struct upload **pp;

	if (u == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	for (pp = &t->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			t->count--;
			break;
		}
	pthread_mutex_unlock(&t->mu);
	session_free(u);
}

uint64_t
upload_committed(const struct upload *u)
{
	return u->committed;
}

uint64_t
upload_size(const struct upload *u)
{
	return u->size;
}

int
upload_fd(const struct upload *u)
{
	return u->fd;
}

/* ---------------------------------------------------------------- bytes */

int
upload_append(struct upload_table *t, struct upload *u, const void *data,
    size_t len, struct rw_err *err)
{
	const char *p = data;
	ssize_t n;

	if (u->poison != NULL)
		return rw_err_set(err, RW_EINVAL, "%s", u->poison);
	if (len > t->max_bytes || u->size > t->max_bytes - len) {
		upload_poison(u, "the upload is over the limit");
		return rw_err_set(err, RW_ETOOBIG, "the upload is over the "
		    "limit of %llu bytes a layer may have to be inspected "
		    "(content.upload_max_bytes)",
		    (unsigned long long)t->max_bytes);
	}
	while (len > 0) {
		n = pwrite(u->fd, p, len, (off_t)u->size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rw_err_set(err, RW_EIO, "cannot keep the upload for "
			    "inspection: %s", n < 0 ? strerror(errno) :
			    "short write");
			(void)upload_rollback(u);
			upload_poison(u, "the upload could not be kept for "
			    "inspection");
			return err->code;
		}
		p += n;
		len -= (size_t)n;
		u->size += (uint64_t)n;
	}
	return RW_OK;
}

void
upload_commit(struct upload *u)
{
	u->committed = u->size;
}

int
upload_rollback(struct upload *u)
{
	if (u->size == u->committed)
		return RW_OK;
	u->size = u->committed;
	if (ftruncate(u->fd, (off_t)u->committed) != 0) {
		upload_poison(u, "the upload's spool file could not be cut "
		    "back");
		return RW_EIO;
	}
	return RW_OK;
}

void
upload_poison(struct upload *u, const char *why)
{
	if (u->poison == NULL)
		u->poison = strdup(why != NULL ? why : "the upload is broken");
	if (u->poison == NULL)
		u->poison = strdup("out of memory");
}

const char *
upload_poisoned(const struct upload *u)
{
	if (u->poison == NULL)
		return NULL;
	return u->poison;
}

/* ------------------------------------------------------------- judging */

struct judge_rd {
	const struct upload	*u;
	const atomic_int	*stop;	/* NULL, or the table's */
	uint64_t		 off;
	struct rw_hash		 h;
	int			 failed;
};

/* content/'s read callback: the file from the start, hashed on the way. */
static ssize_t
judge_read(void *arg, void *buf, size_t size)
{
	struct judge_rd *r = arg;
	uint64_t left = r->u->size - r->off;
	ssize_t n;

	if (left == 0)
		return 0;
	if (r->stop != NULL && atomic_load(r->stop)) {
		r->failed = 1;
		return -1;
	}
	if (size > left)
		size = (size_t)left;
	do {
		n = pread(r->u->fd, buf, size, (off_t)r->off);
	} while (n < 0 && errno == EINTR);
	if (n <= 0) {
		r->failed = 1;
		return -1;
	}
	rw_hash_update(&r->h, buf, (size_t)n);
	r->off += (uint64_t)n;
	return n;
}

int
upload_judge(const struct upload *u, const char *digest,
    struct content_index **idx, char *note, size_t notesize,
    struct rw_err *err)
{
	return judge(u, digest, idx, note, notesize, NULL, err);
}

static int
judge(const struct upload *u, const char *digest,
    struct content_index **idx, char *note, size_t notesize,
    const atomic_int *stop, struct rw_err *err)
{
	struct judge_rd r;
	struct rw_err ierr;
	char got[RW_DIGEST_MAX], *buf = NULL;
	int alg = rw_hash_alg_of(digest), rc;

	*idx = NULL;
	note[0] = '\0';
	memset(&r, 0, sizeof(r));
	r.u = u;
	r.stop = stop;
	if (alg == 0)
		return rw_err_set(err, RW_EDIGEST, "%s is not a digest",
		    digest);
	if (rw_hash_init(&r.h, alg) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	rw_err_clear(&ierr);
	rc = content_inspect(judge_read, &r, NULL, idx, &ierr);
	if (rc == RW_EPARSE || rc == RW_ETOOBIG) {
		/* Not a layer (a config, a signature) or past a limit: the
		 * manifest's PUT judges it by its place in the image. */
		rw_strlcpy(note, ierr.msg, notesize);
		rc = RW_OK;
	} else if (rc != RW_OK || r.failed) {
		rc = rw_err_set(err, rc != RW_OK ? rc : RW_EIO, "reading the "
		    "upload back failed: %s", ierr.msg);
		goto out;
	}
	/* libarchive may stop before the end (padding, a bad stream): the
	 * digest covers every byte. */
	buf = malloc(READ_BLOCK);
	if (buf == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		goto out;
	}
	while (judge_read(&r, buf, READ_BLOCK) > 0)
		;
	if (r.failed) {
		rc = rw_err_set(err, RW_EIO, "reading the upload back failed");
		goto out;
	}
	rw_hash_final(&r.h, got);
	r.h.ctx = NULL;
	if (strcmp(got, digest) != 0)
		rc = rw_err_set(err, RW_EDIGEST, "the uploaded bytes hash to "
		    "%s, not %s", got, digest);
out:
	free(buf);
	rw_hash_cleanup(&r.h);
	if (rc != RW_OK) {
		content_index_free(*idx);
		*idx = NULL;
	}
	return rc;
}

/* ----------------------------------------------------- protocol helpers */

static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
	char num[24];
	int64_t v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (strspn(num, "0123456789") != n ||
	    rw_parse_i64(num, 0, INT64_MAX, &v) != RW_OK)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int
upload_parse_range(const char *h, uint64_t *start, uint64_t *end)
{
	const char *dash;

	if (h == NULL)
		return -1;
	if (strncmp(h, "bytes=", 6) == 0 || strncmp(h, "bytes ", 6) == 0)
		h += 6;
	dash = strchr(h, '-');
	if (dash == NULL || parse_u64(h, (size_t)(dash - h), start) != 0 ||
	    parse_u64(dash + 1, strlen(dash + 1), end) != 0 || *end < *start)
		return -1;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* VAL (N bytes, percent-encoded) into OUT.  0, or -1. */
static int
decode(const char *val, size_t n, char *out, size_t size)
{
	size_t i, k = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (k + 1 >= size)
			return -1;
		if (val[i] == '%') {
			if (i + 2 >= n)
				return -1;
			hi = hexval(val[i + 1]);
			lo = hexval(val[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			out[k++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[k++] = val[i] == '+' ? ' ' : val[i];
		}
	}
	out[k] = '\0';
	return 0;
}

int
upload_query_param(const char *query, const char *name, char *out,
    size_t size)
{
	const char *p, *amp, *eq;
	size_t nl = strlen(name), len;
	int found = 0;

	if (query == NULL || *query == '\0')
		return 0;
	p = *query == '?' ? query + 1 : query;
	for (; *p != '\0'; p = *amp != '\0' ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		len = (size_t)(amp - p);
		eq = memchr(p, '=', len);
		if ((eq != NULL ? (size_t)(eq - p) : len) != nl ||
		    strncmp(p, name, nl) != 0)
			continue;
		if (found++ > 0)
			return -1;
		if (decode(eq != NULL ? eq + 1 : amp, eq != NULL ?
		    (size_t)(amp - eq - 1) : 0, out, size) != 0)
			return -1;
	}
	return found;
}

int
upload_query_drop_mount(char *query)
{
	char *p, *amp, *w;
	size_t len;
	int dropped = 0;

	if (query == NULL || *query != '?')
		return 0;
	w = query + 1;
	for (p = query + 1; *p != '\0'; p = *amp != '\0' ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		len = (size_t)(amp - p);
		if ((len >= 6 && strncmp(p, "mount=", 6) == 0) ||
		    (len == 5 && strncmp(p, "mount", 5) == 0) ||
		    (len >= 5 && strncmp(p, "from=", 5) == 0) ||
		    (len == 4 && strncmp(p, "from", 4) == 0)) {
			dropped = 1;
			continue;
		}
		if (w != query + 1)
			*w++ = '&';
		memmove(w, p, len);
		w += len;
	}
	*w = '\0';
	if (w == query + 1)
		query[0] = '\0';
	return dropped;
}
