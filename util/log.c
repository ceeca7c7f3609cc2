/* log.c - one logger: text on a terminal, JSON lines otherwise (relayd's log.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int rw_log_level = RW_LOG_INFO;

/* The file, its path and format are set at startup and on SIGHUP; the
 * mutex keeps a reopen from racing with a line being written. */
static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;
static char log_path[512];
static int log_json;
static _Thread_local char cur_reqid[40];

static const char *lvl_names[] = { "error", "warn", "info", "debug" };

static FILE *
out(void)
{
	return log_fp != NULL ? log_fp : stderr;
}

int
rw_log_open(const char *path, const char *format, struct rw_err *err)
{
	FILE *fp = NULL;
	int json;

	if (path != NULL && strcmp(path, "-") != 0 && path[0] != '\0') {
		fp = fopen(path, "a");
		if (fp == NULL)
			return rw_err_set(err, RW_EIO, "cannot open log %s: %s",
			    path, strerror(errno));
		setvbuf(fp, NULL, _IOLBF, 0);
	}
	if (format == NULL || strcmp(format, "auto") == 0)
		json = fp != NULL || !isatty(STDERR_FILENO);
	else if (strcmp(format, "json") == 0)
		json = 1;
	else if (strcmp(format, "text") == 0)
		json = 0;
	else {
		if (fp != NULL)
			fclose(fp);
		return rw_err_set(err, RW_EINVAL, "unknown log format \"%s\" "
		    "(expected auto, text, json)", format);
	}
	pthread_mutex_lock(&log_mtx);
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = fp;
	log_json = json;
	rw_strlcpy(log_path, fp != NULL ? path : "", sizeof(log_path));
	pthread_mutex_unlock(&log_mtx);
	return RW_OK;
}

int
rw_log_reopen(struct rw_err *err)
{
	FILE *fp;
	int rc = RW_OK;

	pthread_mutex_lock(&log_mtx);
	if (log_path[0] != '\0') {
		fp = fopen(log_path, "a");
		if (fp == NULL) {
			rc = rw_err_set(err, RW_EIO, "cannot reopen log %s: %s",
			    log_path, strerror(errno));
		} else {
			setvbuf(fp, NULL, _IOLBF, 0);
			fclose(log_fp);
			log_fp = fp;
		}
	}
	pthread_mutex_unlock(&log_mtx);
	return rc;
}

void
rw_log_set_reqid(const char *reqid)
{
	rw_strlcpy(cur_reqid, reqid != NULL ? reqid : "", sizeof(cur_reqid));
}

static void
timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000);
}

/* Append S to B as a JSON string body (without quotes). */
static void
json_escape(struct rw_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rw_buf_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			rw_buf_addf(b, "\\u%04x", c);
		else
			rw_buf_add(b, s, 1);
	}
}

/* Append S to B for the text format: bare when it is one plain word. */
static void
text_value(struct rw_buf *b, const char *s)
{
	const char *p;
	int plain = *s != '\0';

	for (p = s; *p != '\0' && plain; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			plain = 0;
	if (plain) {
		rw_buf_add(b, s, strlen(s));
		return;
	}
	rw_buf_add(b, "\"", 1);
	json_escape(b, s);
	rw_buf_add(b, "\"", 1);
}

/*
 * Whether V can go out bare as a JSON value of TYPE: '#' a number (an
 * optional '-', digits, an optional fraction), '?' true or false.  Anything
 * else is written as a string, so a caller's mistake never breaks the line.
 */
static int
typed(int type, const char *v)
{
	const char *p = v;

	if (type == '?')
		return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
	if (type != '#')
		return 0;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static void
emit(int level, const char *reqid, const char *event, const char *msg,
    va_list *kv)
{
	struct rw_buf b;
	char ts[64];
	const char *k, *v;
	int type;

	if (reqid == NULL && cur_reqid[0] != '\0')
		reqid = cur_reqid;
	timestamp(ts, sizeof(ts));
	rw_buf_init(&b, 64 * 1024);
	if (log_json) {
		rw_buf_addf(&b, "{\"ts\":\"%s\",\"level\":\"%s\"", ts,
		    lvl_names[level]);
		if (reqid != NULL && reqid[0] != '\0')
			rw_buf_addf(&b, ",\"req\":\"%s\"", reqid);
		if (event != NULL)
			rw_buf_addf(&b, ",\"event\":\"%s\"", event);
		if (msg != NULL) {
			rw_buf_add(&b, ",\"msg\":\"", 8);
			json_escape(&b, msg);
			rw_buf_add(&b, "\"", 1);
		}
	} else {
		rw_buf_addf(&b, "%s %-5s", ts, lvl_names[level]);
		if (reqid != NULL && reqid[0] != '\0')
			rw_buf_addf(&b, " req=%s", reqid);
		if (event != NULL)
			rw_buf_addf(&b, " %s", event);
		if (msg != NULL)
			rw_buf_addf(&b, " %s", msg);
	}
	while (kv != NULL && (k = va_arg(*kv, const char *)) != NULL) {
		v = va_arg(*kv, const char *);
		if (v == NULL)
			continue;
		type = *k == '#' || *k == '?' ? *k++ : 0;
		if (log_json && typed(type, v)) {
			rw_buf_addf(&b, ",\"%s\":%s", k, v);
		} else if (log_json) {
			rw_buf_addf(&b, ",\"%s\":\"", k);
			json_escape(&b, v);
			rw_buf_add(&b, "\"", 1);
		} else {
			rw_buf_addf(&b, " %s=", k);
			text_value(&b, v);
		}
	}
	if (log_json)
		rw_buf_add(&b, "}", 1);
	rw_buf_add(&b, "\n", 1);
	pthread_mutex_lock(&log_mtx);
	if (b.data != NULL)
		fwrite(b.data, 1, b.len, out());
	fflush(out());
	pthread_mutex_unlock(&log_mtx);
	rw_buf_free(&b);
}

void
rw_log_kv(int level, const char *reqid, const char *event, ...)
{
	va_list ap;

	if (level > rw_log_level)
		return;
	va_start(ap, event);
	emit(level, reqid, event, NULL, &ap);
	va_end(ap);
}

static void
vlog(int level, int with_errno, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	emit(level, NULL, NULL, msg, NULL);
}

#define LOGFN(name, level, with_errno)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	if ((level) > rw_log_level)					\
		return;							\
	va_start(ap, fmt);						\
	vlog((level), (with_errno), fmt, ap);				\
	va_end(ap);							\
}

LOGFN(log_error, RW_LOG_ERROR, 0)
LOGFN(log_warn, RW_LOG_WARN, 1)
LOGFN(log_warnx, RW_LOG_WARN, 0)
LOGFN(log_info, RW_LOG_INFO, 0)
LOGFN(log_debug, RW_LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RW_LOG_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RW_LOG_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
