/* scanner.c - run the scanner command for unscanned images, once per digest. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#define REPORT_CAP	(64u * 1024 * 1024)
#define STDERR_CAP	4096
#define MAX_ARGS	64
#define RECENT_MS	(60 * 1000)	/* a finished scan is not rerun sooner */

extern char **environ;

/* J_REMOTE: another process holds the claim; polled, never run here. */
enum job_state { J_QUEUED = 0, J_RUNNING, J_REMOTE, J_OVER };

struct job {
	struct job	*next;
	int		 state;
	char		 digest[RW_DIGEST_MAX];
	char		 ref[512];
	pid_t		 pid;
	int		 out_fd, err_fd;
	struct rw_buf	 out, err;
	uint64_t	 started_ms, ended_ms, poll_ms;
	int		 ok;
	int		 awaiting;	/* webhook: posted, the report to come */
	char		 msg[256];
	struct scan_waiter *waiters;
};

struct scanner {
	pthread_mutex_t	 mu;
	pthread_t	 thr;
	int		 evfd;
	int		 stop;
	char		**tmpl;
	int		 timeout;
	int		 max_running;
	scanner_import_fn import;
	void		*import_arg;
	struct job	*jobs;
	uint64_t	 runs;
	scanner_observe_fn observe;	/* set before the first scan */
	void		*observe_arg;
	char		*webhook;	/* URL, instead of a command */
	char		*webhook_auth;	/* "Authorization: Bearer ..." or NULL */
	struct scanner_shared shared;	/* claim == NULL: this process only */
};

/* ------------------------------------------------------------- argv */

static char *
subst(const char *s, const char *ref, const char *digest)
{
	struct rw_buf b;
	const char *p;

	rw_buf_init(&b, 8192);
	while ((p = strchr(s, '{')) != NULL) {
		if (rw_buf_add(&b, s, (size_t)(p - s)) != RW_OK)
			goto fail;
		if (strncmp(p, "{ref}", 5) == 0) {
			if (rw_buf_add(&b, ref, strlen(ref)) != RW_OK)
				goto fail;
			s = p + 5;
		} else if (strncmp(p, "{digest}", 8) == 0) {
			if (rw_buf_add(&b, digest, strlen(digest)) != RW_OK)
				goto fail;
			s = p + 8;
		} else {
			if (rw_buf_add(&b, "{", 1) != RW_OK)
				goto fail;
			s = p + 1;
		}
	}
	if (rw_buf_add(&b, s, strlen(s)) != RW_OK)
		goto fail;
	return rw_buf_steal(&b, NULL);
fail:
	rw_buf_free(&b);
	return NULL;
}

int
scanner_argv(const char *const *tmpl, const char *ref, const char *digest,
    char **out, size_t max)
{
	size_t i;

	for (i = 0; tmpl[i] != NULL; i++) {
		if (i + 1 >= max) {
			out[i] = NULL;
			scanner_argv_free(out);
			return RW_ETOOBIG;
		}
		out[i] = subst(tmpl[i], ref, digest);
		if (out[i] == NULL) {
			scanner_argv_free(out);
			return RW_ENOMEM;
		}
	}
	out[i] = NULL;
	return RW_OK;
}

void
scanner_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
}

/* ---------------------------------------------------------- waiters */

/* Settle every waiter of J.  Locked. */
static void
settle(struct job *j, int state)
{
	struct scan_waiter *w, *next;

	for (w = j->waiters; w != NULL; w = next) {
		next = w->next;
		w->state = state;
		rw_strlcpy(w->msg, j->msg, sizeof(w->msg));
		w->job = NULL;
		w->next = NULL;
		w->unpark(w->arg);
	}
	j->waiters = NULL;
}

/* Waiters whose hold time ran out are answered now.  Locked. */
static void
expire_waiters(struct scanner *sc, uint64_t now)
{
	struct scan_waiter **pp, *w;
	struct job *j;

	for (j = sc->jobs; j != NULL; j = j->next)
		for (pp = &j->waiters; (w = *pp) != NULL;) {
			if (w->deadline_ms > now) {
				pp = &w->next;
				continue;
			}
			*pp = w->next;
			w->state = SCAN_TIMED_OUT;
			rw_strlcpy(w->msg, "the scan is still running",
			    sizeof(w->msg));
			w->job = NULL;
			w->next = NULL;
			w->unpark(w->arg);
		}
}

/* ---------------------------------------------------------- running */

static void
set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void	over(struct scanner *sc, struct job *j, int ok);

/* curl's body sink: the scanner service's answer is not read. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * H with LINE appended, or NULL (H freed) when that fails: a POST that
 * would go out without its credential is not sent at all.  The list's
 * copy of a credential is wiped by wipe_headers before it is freed.
 */
static struct curl_slist *
append_or_drop(struct curl_slist *h, const char *line)
{
	struct curl_slist *n = curl_slist_append(h, line);

	if (n == NULL)
		curl_slist_free_all(h);
	return n;
}

static void
wipe_headers(struct curl_slist *h)
{
	for (; h != NULL; h = h->next)
		OPENSSL_cleanse(h->data, strlen(h->data));
}

/*
 * Webhook: POST {"ref", "digest"} to the scanner service, which answers
 * 2xx and later POSTs the report to /scans (scanner_report_in).  Locked;
 * the lock is let go around the request (at most 10 s).
 */
static void
post_webhook(struct scanner *sc, struct job *j)
{
	char body[1024], ref[512], digest[RW_DIGEST_MAX], why[CURL_ERROR_SIZE];
	struct curl_slist *h;
	long status = 0;
	CURLcode rc;
	json_t *o;
	char *text;
	CURL *c;

	rw_strlcpy(ref, j->ref, sizeof(ref));
	rw_strlcpy(digest, j->digest, sizeof(digest));
	j->awaiting = 1;
	pthread_mutex_unlock(&sc->mu);
	o = json_pack("{s:s,s:s}", "ref", ref, "digest", digest);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	rw_strlcpy(body, text != NULL ? text : "", sizeof(body));
	free(text);
	why[0] = '\0';
	c = curl_easy_init();
	h = curl_slist_append(NULL, "Content-Type: application/json");
	/* Set once before the first scan, freed only with the scanner. */
	if (h != NULL && sc->webhook_auth != NULL)
		h = append_or_drop(h, sc->webhook_auth);
	rc = CURLE_FAILED_INIT;
	if (c != NULL && h != NULL) {
		curl_easy_setopt(c, CURLOPT_URL, sc->webhook);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	wipe_headers(h);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	pthread_mutex_lock(&sc->mu);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return;		/* the report comes to /scans */
	if (rc != CURLE_OK)
		snprintf(j->msg, sizeof(j->msg), "the scanner webhook failed: "
		    "%s", why[0] != '\0' ? why : curl_easy_strerror(rc));
	else
		snprintf(j->msg, sizeof(j->msg), "the scanner webhook answered "
		    "%ld", status);
	over(sc, j, 0);
}

/* J (a webhook job) is over: OK when its report came. Locked. */
static void
over(struct scanner *sc, struct job *j, int ok)
{
	j->awaiting = 0;
	j->ok = ok;
	j->state = J_OVER;
	j->ended_ms = rw_now_ms();
	/* The other replicas waiting on this claim learn the outcome. */
	if (sc->shared.end != NULL)
		sc->shared.end(sc->shared.arg, j->digest, ok, j->msg);
	settle(j, ok ? SCAN_DONE : SCAN_FAILED);
	if (sc->observe != NULL)
		sc->observe(sc->observe_arg, ok, j->ended_ms - j->started_ms);
}

static void
free_auth(char *auth)
{
	if (auth != NULL)
		rw_freezero(auth, strlen(auth));
}

int
scanner_set_webhook(struct scanner *sc, const char *url, const char *token,
    struct rw_err *err)
{
	char *copy = strdup(url), *auth = NULL;
	size_t n;

	if (token != NULL) {
		n = strlen("Authorization: Bearer ") + strlen(token) + 1;
		auth = malloc(n);
		if (auth != NULL)
			snprintf(auth, n, "Authorization: Bearer %s", token);
	}
	if (copy == NULL || (token != NULL && auth == NULL)) {
		free(copy);
		free_auth(auth);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&sc->mu);
	free(sc->webhook);
	free_auth(sc->webhook_auth);
	sc->webhook = copy;
	sc->webhook_auth = auth;
	pthread_mutex_unlock(&sc->mu);
	return RW_OK;
}

void
scanner_report_in(struct scanner *sc, const char *const *digests, size_t n)
{
	struct job *j;
	size_t i;

	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	for (j = sc->jobs; j != NULL; j = j->next)
		for (i = 0; j->awaiting && i < n; i++)
			if (strcmp(j->digest, digests[i]) == 0)
				over(sc, j, 1);
	pthread_mutex_unlock(&sc->mu);
}

/* Start J's command.  Locked; on failure J is over with a message. */
static void
start(struct scanner *sc, struct job *j)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *argv[MAX_ARGS];
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;

	if (sc->shared.claim != NULL) {
		/* The lease outlives the run: a killed run still ends it. */
		rc = sc->shared.claim(sc->shared.arg, j->digest,
		    sc->timeout + 30, j->msg, sizeof(j->msg));
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			j->state = J_REMOTE;
			j->poll_ms = rw_now_ms() + SCANNER_POLL_MS;
			return;
		}
	}
	j->state = J_RUNNING;
	j->started_ms = rw_now_ms();
	sc->runs++;
	if (sc->webhook != NULL) {
		post_webhook(sc, j);
		return;
	}
	argv[0] = NULL;
	if (scanner_argv((const char *const *)sc->tmpl, j->ref, j->digest, argv,
	    MAX_ARGS) != RW_OK || pipe(out) != 0 || pipe(err) != 0) {
		snprintf(j->msg, sizeof(j->msg), "cannot start the scanner: %s",
		    strerror(errno));
		scanner_argv_free(argv);
		for (rc = 0; rc < 2; rc++) {
			if (out[rc] >= 0)
				close(out[rc]);
			if (err[rc] >= 0)
				close(err[rc]);
		}
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	/* Its own process group, so a timeout ends its children too (they
	 * would hold the pipes open). */
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(&j->pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	scanner_argv_free(argv);
	close(out[1]);
	close(err[1]);
	if (rc != 0) {
		snprintf(j->msg, sizeof(j->msg), "cannot run the scanner %s: %s",
		    sc->tmpl[0], strerror(rc));
		close(out[0]);
		close(err[0]);
		goto fail;
	}
	j->out_fd = out[0];
	j->err_fd = err[0];
	set_nonblock(j->out_fd);
	set_nonblock(j->err_fd);
	rw_buf_init(&j->out, REPORT_CAP);
	rw_buf_init(&j->err, STDERR_CAP);
	return;
fail:
	j->state = J_OVER;
	j->ended_ms = rw_now_ms();
	settle(j, SCAN_FAILED);
}

/* Read what is there; returns 1 at EOF of both pipes. */
static int
drain(struct job *j)
{
	char buf[65536];
	ssize_t n = -1;
	int *fds[2] = { &j->out_fd, &j->err_fd };
	struct rw_buf *bufs[2] = { &j->out, &j->err };
	int i;

	for (i = 0; i < 2; i++) {
		n = -1;
		while (*fds[i] >= 0 && (n = read(*fds[i], buf, sizeof(buf))) > 0)
			if (rw_buf_add(bufs[i], buf, (size_t)n) != RW_OK &&
			    i == 0) {
				snprintf(j->msg, sizeof(j->msg), "the scanner's "
				    "report is over %u bytes", REPORT_CAP);
				kill(-j->pid, SIGKILL);
			}
		if (*fds[i] >= 0 && n == 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	}
	return j->out_fd < 0 && j->err_fd < 0;
}

/* The command is over: import its report (unlocked), then settle. */
static void
finish(struct scanner *sc, struct job *j)
{
	struct rw_err err;
	int status = 0, rc = RW_EIO;

	waitpid(j->pid, &status, 0);
	pthread_mutex_unlock(&sc->mu);
	rw_err_clear(&err);
	if (j->msg[0] != '\0') {
		/* killed: the message says why */
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(j->msg, sizeof(j->msg), "the scanner exited with %s %d%s%.120s",
		    WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    j->err.len > 0 ? ": " : "", j->err.data != NULL ? j->err.data : "");
	} else if ((rc = sc->import(sc->import_arg, j->out.data != NULL ?
	    j->out.data : "", j->out.len, &err)) != RW_OK) {
		snprintf(j->msg, sizeof(j->msg), "the scanner's report was "
		    "refused: %.200s", err.msg);
	}
	if (sc->shared.end != NULL)
		sc->shared.end(sc->shared.arg, j->digest, rc == RW_OK &&
		    j->msg[0] == '\0', j->msg);
	pthread_mutex_lock(&sc->mu);
	j->ok = rc == RW_OK && j->msg[0] == '\0';
	j->state = J_OVER;
	j->ended_ms = rw_now_ms();
	rw_buf_free(&j->out);
	rw_buf_free(&j->err);
	settle(j, j->ok ? SCAN_DONE : SCAN_FAILED);
	if (sc->observe != NULL)
		sc->observe(sc->observe_arg, j->ok, j->ended_ms - j->started_ms);
}

void
scanner_set_observer(struct scanner *sc, scanner_observe_fn fn, void *arg)
{
	pthread_mutex_lock(&sc->mu);
	sc->observe = fn;
	sc->observe_arg = arg;
	pthread_mutex_unlock(&sc->mu);
}

/* ------------------------------------------------------------- loop */

/* Look at the claim another process holds on J.  Locked. */
static void
poll_remote(struct scanner *sc, struct job *j, uint64_t now)
{
	int s;

	if (now < j->poll_ms)
		return;
	j->poll_ms = now + SCANNER_POLL_MS;
	s = sc->shared.poll(sc->shared.arg, j->digest, j->msg, sizeof(j->msg));
	if (s == SCAN_PENDING)
		return;
	if (s < 0) {		/* gone without an outcome: claim it again */
		j->msg[0] = '\0';
		j->state = J_QUEUED;
		return;
	}
	j->ok = s == SCAN_DONE;
	if (j->ok)
		j->msg[0] = '\0';
	j->state = J_OVER;
	j->ended_ms = now;
	settle(j, j->ok ? SCAN_DONE : SCAN_FAILED);
}

/* Start queued jobs, kill overdue ones, drop old records.  Locked. */
static void
schedule(struct scanner *sc, uint64_t now)
{
	struct job *j, **pp;
	int running = 0;

	for (j = sc->jobs; j != NULL; j = j->next) {
		running += j->state == J_RUNNING;
		if (j->state == J_REMOTE)
			poll_remote(sc, j, now);
	}
	for (j = sc->jobs; j != NULL && running < sc->max_running; j = j->next)
		if (j->state == J_QUEUED) {
			start(sc, j);
			running += j->state == J_RUNNING;
		}
	for (j = sc->jobs; j != NULL; j = j->next)
		if (j->state == J_RUNNING && j->msg[0] == '\0' &&
		    now >= j->started_ms + (uint64_t)sc->timeout * 1000u) {
			snprintf(j->msg, sizeof(j->msg), "the scanner did not "
			    "finish within %d s", sc->timeout);
			if (j->awaiting)
				over(sc, j, 0);	/* no process to end */
			else
				kill(-j->pid, SIGKILL);
		}
	for (pp = &sc->jobs; (j = *pp) != NULL;) {
		if (j->state == J_OVER && j->waiters == NULL &&
		    now >= j->ended_ms + RECENT_MS) {
			*pp = j->next;
			free(j);
		} else {
			pp = &j->next;
		}
	}
}

static int
poll_timeout(struct scanner *sc, uint64_t now)
{
	struct scan_waiter *w;
	struct job *j;
	uint64_t next = now + 1000;

	for (j = sc->jobs; j != NULL; j = j->next) {
		for (w = j->waiters; w != NULL; w = w->next)
			if (w->deadline_ms < next)
				next = w->deadline_ms;
		if (j->state == J_REMOTE && j->poll_ms < next)
			next = j->poll_ms;
	}
	return next > now ? (int)(next - now) : 0;
}

static void *
scanner_main(void *arg)
{
	struct scanner *sc = arg;
	struct pollfd pfd[1 + 2 * 16];
	struct job *j;
	uint64_t drainv;
	int n, timeout;
	ssize_t r;

	pthread_mutex_lock(&sc->mu);
	while (!sc->stop) {
		schedule(sc, rw_now_ms());
		expire_waiters(sc, rw_now_ms());
		n = 0;
		pfd[n].fd = sc->evfd;
		pfd[n++].events = POLLIN;
		for (j = sc->jobs; j != NULL && n < 31; j = j->next)
			if (j->state == J_RUNNING && !j->awaiting) {
				pfd[n].fd = j->out_fd;
				pfd[n++].events = POLLIN;
				pfd[n].fd = j->err_fd;
				pfd[n++].events = POLLIN;
			}
		timeout = poll_timeout(sc, rw_now_ms());
		pthread_mutex_unlock(&sc->mu);
		poll(pfd, (nfds_t)n, timeout);
		if (pfd[0].revents & POLLIN) {
			r = read(sc->evfd, &drainv, sizeof(drainv));
			(void)r;
		}
		pthread_mutex_lock(&sc->mu);
		for (j = sc->jobs; j != NULL; j = j->next)
			if (j->state == J_RUNNING && !j->awaiting && drain(j))
				finish(sc, j);
	}
	/* Shutting down: end every command and answer every waiter. */
	for (j = sc->jobs; j != NULL; j = j->next) {
		if (j->state == J_RUNNING && !j->awaiting) {
			kill(-j->pid, SIGKILL);
			waitpid(j->pid, NULL, 0);
			if (j->out_fd >= 0)
				close(j->out_fd);
			if (j->err_fd >= 0)
				close(j->err_fd);
			rw_buf_free(&j->out);
			rw_buf_free(&j->err);
		}
		rw_strlcpy(j->msg, "regwarden is shutting down", sizeof(j->msg));
		settle(j, SCAN_FAILED);
		j->state = J_OVER;
	}
	pthread_mutex_unlock(&sc->mu);
	return NULL;
}

static void
wake_loop(struct scanner *sc)
{
	uint64_t one = 1;
	ssize_t n = write(sc->evfd, &one, sizeof(one));

	(void)n;
}

struct scanner *
scanner_new(const char *const *argv, int timeout, int max_running,
    scanner_import_fn import, void *arg, struct rw_err *err)
{
	struct scanner *sc;
	size_t n, i;

	for (n = 0; argv != NULL && argv[n] != NULL; n++)
		;
	if (n == 0 || n >= MAX_ARGS) {
		rw_err_set(err, RW_EINVAL, "the scanner command needs 1 to %d "
		    "arguments", MAX_ARGS - 1);
		return NULL;
	}
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL || (sc->tmpl = calloc(n + 1, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((sc->tmpl[i] = strdup(argv[i])) == NULL)
			goto nomem;
	pthread_mutex_init(&sc->mu, NULL);
	sc->timeout = timeout;
	sc->max_running = max_running > 0 ? max_running : 1;
	sc->import = import;
	sc->import_arg = arg;
	sc->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sc->evfd < 0 || pthread_create(&sc->thr, NULL, scanner_main,
	    sc) != 0) {
		rw_err_set(err, RW_EIO, "cannot start the scanner thread: %s",
		    strerror(errno));
		if (sc->evfd >= 0)
			close(sc->evfd);
		sc->thr = 0;
		scanner_argv_free(sc->tmpl);
		free(sc->tmpl);
		pthread_mutex_destroy(&sc->mu);
		free(sc);
		return NULL;
	}
	return sc;
nomem:
	if (sc != NULL && sc->tmpl != NULL) {
		scanner_argv_free(sc->tmpl);
		free(sc->tmpl);
	}
	free(sc);
	rw_err_set(err, RW_ENOMEM, "out of memory");
	return NULL;
}

void
scanner_free(struct scanner *sc)
{
	struct job *j;

	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	sc->stop = 1;
	pthread_mutex_unlock(&sc->mu);
	wake_loop(sc);
	pthread_join(sc->thr, NULL);
	while ((j = sc->jobs) != NULL) {
		sc->jobs = j->next;
		free(j);
	}
	close(sc->evfd);
	scanner_argv_free(sc->tmpl);
	free(sc->tmpl);
	free(sc->webhook);
	free_auth(sc->webhook_auth);
	pthread_mutex_destroy(&sc->mu);
	free(sc);
}

int
scanner_wait(struct scanner *sc, const char *ref, const char *digest,
    struct scan_waiter *w)
{
	struct job *j;
	int state;

	pthread_mutex_lock(&sc->mu);
	for (j = sc->jobs; j != NULL; j = j->next)
		if (strcmp(j->digest, digest) == 0)
			break;
	if (j != NULL && j->state == J_OVER) {
		/* Finished recently and the image is still unscanned. */
		w->state = SCAN_FAILED;
		if (j->ok)
			snprintf(w->msg, sizeof(w->msg), "the scanner's report "
			    "for it did not name %s", digest);
		else
			rw_strlcpy(w->msg, j->msg, sizeof(w->msg));
		goto out;
	}
	if (j == NULL && (j = calloc(1, sizeof(*j))) != NULL) {
		rw_strlcpy(j->digest, digest, sizeof(j->digest));
		rw_strlcpy(j->ref, ref, sizeof(j->ref));
		j->out_fd = j->err_fd = -1;
		j->next = sc->jobs;
		sc->jobs = j;
	}
	if (j == NULL) {
		w->state = SCAN_FAILED;
		rw_strlcpy(w->msg, "out of memory", sizeof(w->msg));
		goto out;
	}
	w->state = SCAN_PENDING;
	w->msg[0] = '\0';
	w->job = j;
	w->next = j->waiters;
	j->waiters = w;
	w->park(w->arg);
	wake_loop(sc);
out:
	state = w->state;
	pthread_mutex_unlock(&sc->mu);
	return state;
}

int
scanner_submit(struct scanner *sc, const char *ref, const char *digest)
{
	struct job *j;
	int queued = 0;

	pthread_mutex_lock(&sc->mu);
	for (j = sc->jobs; j != NULL; j = j->next)
		if (strcmp(j->digest, digest) == 0)
			break;
	/* A record of a run that ended is run again: the interval, not the
	 * minute scanner_wait keeps it for, paces rescans. */
	if (j != NULL && j->state == J_OVER && j->waiters == NULL) {
		j->state = J_QUEUED;
		j->ok = 0;
		j->msg[0] = '\0';
		j->out_fd = j->err_fd = -1;
		rw_strlcpy(j->ref, ref, sizeof(j->ref));
		queued = 1;
		wake_loop(sc);
	} else if (j == NULL && (j = calloc(1, sizeof(*j))) != NULL) {
		rw_strlcpy(j->digest, digest, sizeof(j->digest));
		rw_strlcpy(j->ref, ref, sizeof(j->ref));
		j->out_fd = j->err_fd = -1;
		j->next = sc->jobs;
		sc->jobs = j;
		queued = 1;
		wake_loop(sc);
	}
	pthread_mutex_unlock(&sc->mu);
	return queued;
}

void
scanner_forget(struct scanner *sc, struct scan_waiter *w)
{
	struct scan_waiter **pp;
	struct job *j;

	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	j = w->job;
	if (j != NULL)
		for (pp = &j->waiters; *pp != NULL; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				break;
			}
	w->job = NULL;
	pthread_mutex_unlock(&sc->mu);
}

void
scanner_set_shared(struct scanner *sc, const struct scanner_shared *sh)
{
	pthread_mutex_lock(&sc->mu);
	sc->shared = *sh;
	pthread_mutex_unlock(&sc->mu);
}

uint64_t
scanner_runs(struct scanner *sc)
{
	uint64_t n;

	pthread_mutex_lock(&sc->mu);
	n = sc->runs;
	pthread_mutex_unlock(&sc->mu);
	return n;
}
