/* config.c - loading and validating the server configuration (regwarden.json). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/config.h"
#include "server/config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "db/db.h"

/* Larger than any sane config; keeps a wrong path (a log, /dev/zero) cheap. */
#define CFG_MAX_FILE	(1024 * 1024)

enum ftype { F_STR, F_PATH, F_INT, F_BOOL, F_ENUM, F_OBJ, F_FN };
enum fwidth { W_INT, W_UINT, W_SIZE };

struct field;
typedef void	(*field_fn)(struct ld *ld, const struct where *w, json_t *v,
		    void *base);

/*
 * One key of an object (redis's createIntConfig): type, bounds, default and
 * where in the target struct the value goes.
 */
struct field {
	const char		*key;
	enum ftype		 type;
	int			 required;
	enum fwidth		 width;		/* F_INT */
	int64_t			 min, max;	/* F_INT */
	int64_t			 def;		/* F_INT, F_BOOL, F_ENUM */
	const char		*sdef;		/* F_STR, F_PATH */
	const char *const	*names;		/* F_ENUM; F_STR: allowed values */
	const struct field	*sub;		/* F_OBJ: same target struct */
	field_fn		 fn;		/* F_FN */
	size_t			 off;
};

/* -------------------------------------------------------------- messages */

/*
 * A pointer too long for struct where becomes "~", which rw_jpos never
 * records: the error then has no position rather than a wrong one.
 */
void
cfg_where_key(struct where *out, const struct where *parent, const char *key)
{
	struct where p = *parent;	/* OUT may be PARENT */
	size_t n = strlen(p.ptr), i;
	int fits = n + 2 < sizeof(out->ptr);

	memcpy(out->ptr, p.ptr, n);
	if (fits)
		out->ptr[n++] = '/';
	/* RFC 6901 escaping, as rw_jpos records paths. */
	for (i = 0; fits && key[i] != '\0'; i++) {
		if (n + 3 >= sizeof(out->ptr)) {
			fits = 0;
			break;
		}
		if (key[i] == '~' || key[i] == '/') {
			out->ptr[n++] = '~';
			out->ptr[n++] = key[i] == '~' ? '0' : '1';
		} else
			out->ptr[n++] = key[i];
	}
	out->ptr[n] = '\0';
	if (!fits)
		rw_strlcpy(out->ptr, "~", sizeof(out->ptr));
	if (p.disp[0] == '\0')
		rw_strlcpy(out->disp, key, sizeof(out->disp));
	else if (snprintf(out->disp, sizeof(out->disp), "%s.%s", p.disp,
	    key) < 0)
		out->disp[0] = '\0';
}

void
cfg_where_idx(struct where *out, const struct where *parent, size_t i)
{
	struct where p = *parent;	/* OUT may be PARENT */
	int n;

	n = snprintf(out->ptr, sizeof(out->ptr), "%s/%zu", p.ptr, i);
	if (n < 0 || (size_t)n >= sizeof(out->ptr))
		rw_strlcpy(out->ptr, "~", sizeof(out->ptr));
	if (snprintf(out->disp, sizeof(out->disp), "%s[%zu]", p.disp, i) < 0)
		out->disp[0] = '\0';
}

/* S in double quotes, control characters escaped, cut at CFG_QUOTE_MAX. */
const char *
cfg_quote(char *buf, size_t size, const char *s)
{
	size_t n = 0, i;
	unsigned char c;

	buf[n++] = '"';
	/* BUF holds at least 16 bytes; the last 8 keep room for the tail. */
	for (i = 0; s[i] != '\0'; i++) {
		if (i == CFG_QUOTE_MAX || n + 8 >= size) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/*
 * Report at the value of AT (or its key when KEY), naming NAMED: the value
 * itself for most errors, the enclosing object for unknown or missing keys.
 */
static void
vreport(struct ld *ld, const struct where *at, int key,
    const struct where *named, const char *fmt, va_list ap)
{
	char msg[256];
	int line = 0, col = 0, n = 0;

	if (rw_jpos_get(ld->jp, at->ptr, key, &line, &col) != RW_OK) {
		line = 0;
		col = 0;
	}
	if (named->disp[0] != '\0')
		n = snprintf(msg, sizeof(msg), "\"%s\": ", named->disp);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	rw_diag_add(ld->d, RW_ECONFIG, ld->file, line, col, "%s", msg);
}

/* An error about the value at W. */
void __attribute__((format(printf, 3, 4)))
cfg_bad(struct ld *ld, const struct where *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, w, 0, w, fmt, ap);
	va_end(ap);
}

/* An error about key CHILD of object OBJ, positioned at the key. */
static void __attribute__((format(printf, 4, 5)))
bad_key(struct ld *ld, const struct where *obj, const struct where *child,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, child, 1, obj, fmt, ap);
	va_end(ap);
}

int
cfg_line_of(const struct ld *ld, const struct where *w)
{
	int line = 0, col = 0;

	rw_jpos_get(ld->jp, w->ptr, 0, &line, &col);
	return line;
}

char *
cfg_sdup(struct ld *ld, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		ld->nomem = 1;
	return p;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * PREFIX followed by S[0..LEN) lower-cased: host names compare without
 * case, so they are stored one way.
 */
static char *
lower_dup(struct ld *ld, const char *prefix, const char *s, size_t len)
{
	size_t n = strlen(prefix), i;
	char *p = malloc(n + len + 1);

	if (p == NULL) {
		ld->nomem = 1;
		return NULL;
	}
	memcpy(p, prefix, n);
	for (i = 0; i < len; i++)
		p[n + i] = (char)lower((unsigned char)s[i]);
	p[n + len] = '\0';
	return p;
}

int
cfg_one_of(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------ hosts and ports */

/* Writes the reason for the caller's message; returns -1. */
static int __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int
host_ok(const char *s, size_t len, int v6, char *why, size_t whysize)
{
	struct in6_addr a6;
	char buf[64];
	size_t i;

	if (len == 0)
		return why_set(why, whysize, "missing host");
	if (v6) {
		if (len < sizeof(buf)) {
			memcpy(buf, s, len);
			buf[len] = '\0';
		}
		if (len >= sizeof(buf) || inet_pton(AF_INET6, buf, &a6) != 1)
			return why_set(why, whysize, "invalid IPv6 address");
		return 0;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
			continue;
		if (c >= 0x20 && c < 0x7f)
			return why_set(why, whysize,
			    "invalid character '%c' in host", c);
		return why_set(why, whysize, "invalid character 0x%02x in host",
		    c);
	}
	if (len > 253)
		return why_set(why, whysize, "host name too long");
	return 0;
}

static int
port_ok(const char *s, size_t len, long *port, char *why, size_t whysize)
{
	char buf[16], q[CFG_QUOTE_MAX + 16];
	int64_t v;

	if (len == 0)
		return why_set(why, whysize, "missing port after ':'");
	if (len >= sizeof(buf))
		return why_set(why, whysize, "invalid port");
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* rw_parse_i64 takes a sign; a port is digits only. */
	if (strspn(buf, "0123456789") != len ||
	    rw_parse_i64(buf, 0, INT32_MAX, &v) != RW_OK)
		return why_set(why, whysize, "invalid port %s",
		    cfg_quote(q, sizeof(q), buf));
	if (v < 1 || v > 65535)
		return why_set(why, whysize, "port %lld out of range (1..65535)",
		    (long long)v);
	*port = (long)v;
	return 0;
}

/*
 * Checks "host[:port]" (a DNS name, IPv4 or bracketed IPv6 host) in
 * S[0..LEN).  Returns 0 with the host's extent (brackets stripped) and the
 * port (0 when absent), or -1 with the reason in WHY.
 */
static int
authority(const char *s, size_t len, size_t *hoff, size_t *hlen, long *port,
    char *why, size_t whysize)
{
	const char *colon = NULL, *close;

	*port = 0;
	if (len > 0 && s[0] == '[') {
		close = memchr(s, ']', len);
		if (close == NULL)
			return why_set(why, whysize,
			    "missing ']' after IPv6 address");
		*hoff = 1;
		*hlen = (size_t)(close - s) - 1;
		if (close + 1 < s + len && close[1] != ':')
			return why_set(why, whysize,
			    "unexpected text after ']'");
		if (close + 1 < s + len)
			colon = close + 1;
	} else {
		colon = memchr(s, ':', len);
		if (colon != NULL && memchr(colon + 1, ':',
		    len - (size_t)(colon + 1 - s)) != NULL)
			return why_set(why, whysize, "IPv6 addresses need "
			    "brackets, e.g. \"[::1]:5443\"");
		*hoff = 0;
		*hlen = colon != NULL ? (size_t)(colon - s) : len;
	}
	if (host_ok(s + *hoff, *hlen, *hoff != 0, why, whysize) != 0)
		return -1;
	if (colon == NULL)
		return 0;
	return port_ok(colon + 1, len - (size_t)(colon + 1 - s), port, why,
	    whysize);
}

/* docker.io and registry-1.docker.io name one registry (reference notes). */
static const char *
canon_host(const char *h)
{
	if (strcasecmp(h, "registry-1.docker.io") == 0)
		return "docker.io";
	return h;
}

/* ------------------------------------------------------ paths and files */

char *
cfg_resolve(struct ld *ld, const char *path)
{
	size_t n;
	char *p;

	/* "-" is the log's name for stderr, not a file. */
	if (path[0] == '/' || strcmp(path, "-") == 0 || ld->dir == NULL)
		return cfg_sdup(ld, path);
	n = strlen(ld->dir) + strlen(path) + 2;
	p = malloc(n);
	if (p == NULL) {
		ld->nomem = 1;
		return NULL;
	}
	snprintf(p, n, "%s/%s", ld->dir, path);
	return p;
}

/*
 * Reads a whole small regular file into a NUL-terminated buffer (caller
 * frees).  Returns SLURP_OK, SLURP_ERRNO with errno set, SLURP_NOTREG or
 * SLURP_TOOBIG (past MAX bytes).  ST, when not NULL, receives the fstat of
 * the file that was read, so that checks apply to what was actually opened.
 */
int
cfg_slurp(const char *path, size_t max, char **out, size_t *outlen,
    struct stat *st)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = SLURP_ERRNO, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return SLURP_ERRNO;
	if (fstat(fd, &sb) != 0)
		goto out;
	rc = SLURP_NOTREG;
	if (!S_ISREG(sb.st_mode))
		goto out;
	rc = SLURP_ERRNO;
	buf = malloc(max + 1);
	if (buf == NULL)
		goto out;
	for (;;) {
		r = read(fd, buf + len, max + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			rc = SLURP_TOOBIG;
			goto out;
		}
	}
	buf[len] = '\0';
	if (st != NULL)
		*st = sb;
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = SLURP_OK;
out:
	saved = errno;
	if (buf != NULL)
		rw_freezero(buf, len);	/* it may have been a secret */
	close(fd);
	errno = saved;
	return rc;
}

/* ----------------------------------------------------------- the walker */

static void	walk(struct ld *ld, const struct where *w, json_t *obj,
		    const struct field *tab, void *base);

/* V's text, or NULL after reporting that W should have been a string. */
static const char *
want_string(struct ld *ld, const struct where *w, json_t *v)
{
	if (!json_is_string(v)) {
		cfg_bad(ld, w, "expected a string");
		return NULL;
	}
	return json_string_value(v);
}

/* The index of S in NAMES, or -1 after reporting it with a suggestion. */
static int
pick(struct ld *ld, const struct where *w, const char *s,
    const char *const *names)
{
	char q[CFG_QUOTE_MAX + 16], sug[256];
	int i = cfg_one_of(s, names);

	if (i < 0)
		cfg_bad(ld, w, "unknown value %s %s", cfg_quote(q, sizeof(q), s),
		    rw_suggest(sug, sizeof(sug), s, names));
	return i;
}

static void
store_int(void *p, enum fwidth width, int64_t v)
{
	switch (width) {
	case W_INT:
		*(int *)p = (int)v;
		break;
	case W_UINT:
		*(unsigned *)p = (unsigned)v;
		break;
	case W_SIZE:
		*(size_t *)p = (size_t)v;
		break;
	}
}

void
cfg_store_str(char **slot, char *s)
{
	free(*slot);
	*slot = s;
}

/* Every default from TAB (and its sub-objects) into BASE. */
static void
defaults(struct ld *ld, const struct field *tab, void *base)
{
	const struct field *f;
	char *slot;

	for (f = tab; f->key != NULL; f++) {
		slot = (char *)base + f->off;
		if (f->type == F_INT)
			store_int(slot, f->width, f->def);
		else if (f->type == F_BOOL || f->type == F_ENUM)
			*(int *)(void *)slot = (int)f->def;
		else if (f->type == F_OBJ)
			defaults(ld, f->sub, base);
		else if ((f->type == F_STR || f->type == F_PATH) &&
		    f->sdef != NULL)
			cfg_store_str((char **)(void *)slot, cfg_sdup(ld, f->sdef));
	}
}

static void
string_field(struct ld *ld, const struct where *w, json_t *v,
    const struct field *f, char **slot)
{
	const char *s = want_string(ld, w, v);

	if (s == NULL)
		return;
	if (s[0] == '\0') {
		cfg_bad(ld, w, "must not be empty");
		return;
	}
	if (f->names != NULL && pick(ld, w, s, f->names) < 0)
		return;
	cfg_store_str(slot, f->type == F_PATH ? cfg_resolve(ld, s) : cfg_sdup(ld, s));
}

static void
field(struct ld *ld, const struct where *w, json_t *v, const struct field *f,
    void *base)
{
	char *slot = (char *)base + f->off;
	const char *s;
	json_int_t n;
	int i;

	switch (f->type) {
	case F_STR:
	case F_PATH:
		string_field(ld, w, v, f, (char **)(void *)slot);
		break;
	case F_INT:
		if (!json_is_integer(v)) {
			cfg_bad(ld, w, "expected an integer");
			break;
		}
		n = json_integer_value(v);
		if (n < f->min || n > f->max)
			cfg_bad(ld, w, "%lld out of range (%lld..%lld)", (long long)n,
			    (long long)f->min, (long long)f->max);
		else
			store_int(slot, f->width, n);
		break;
	case F_BOOL:
		if (!json_is_boolean(v))
			cfg_bad(ld, w, "expected true or false");
		else
			*(int *)(void *)slot = json_is_true(v);
		break;
	case F_ENUM:
		s = want_string(ld, w, v);
		i = s != NULL ? pick(ld, w, s, f->names) : -1;
		if (i >= 0)
			*(int *)(void *)slot = i;
		break;
	case F_OBJ:
		walk(ld, w, v, f->sub, base);
		break;
	case F_FN:
		f->fn(ld, w, v, base);
		break;
	}
}

static void
unknown_key(struct ld *ld, const struct where *w, const struct where *cw,
    const char *key, const struct field *tab)
{
	const char *names[32];
	char q[CFG_QUOTE_MAX + 16], sug[256];
	size_t n = 0;

	while (tab[n].key != NULL && n < 31) {
		names[n] = tab[n].key;
		n++;
	}
	names[n] = NULL;
	bad_key(ld, w, cw, "unknown key %s %s", cfg_quote(q, sizeof(q), key),
	    rw_suggest(sug, sizeof(sug), key, names));
}

/* Checks OBJ against TAB, storing what is valid into BASE. */
static void
walk(struct ld *ld, const struct where *w, json_t *obj,
    const struct field *tab, void *base)
{
	const struct field *f;
	struct where cw;
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		cfg_bad(ld, w, "expected an object");
		return;
	}
	json_object_foreach(obj, key, v) {
		cfg_where_key(&cw, w, key);
		for (f = tab; f->key != NULL; f++)
			if (strcmp(f->key, key) == 0)
				break;
		if (f->key == NULL)
			unknown_key(ld, w, &cw, key, tab);
		else
			field(ld, &cw, v, f, base);
	}
	for (f = tab; f->key != NULL; f++)
		if (f->required && json_object_get(obj, f->key) == NULL)
			cfg_bad(ld, w, "missing required key \"%s\"", f->key);
}

/* ------------------------------------------------------- custom fields */

/*
 * Parses "ip:port" S (reported at W) into a new *HOST and *PORT.  EG is the
 * port the examples in messages use.  Returns 0, or -1 after reporting.
 */
static int
ip_port(struct ld *ld, const struct where *w, const char *s, int eg,
    char **host, int *port)
{
	char why[128], h[64], q[CFG_QUOTE_MAX + 16];
	unsigned char addr[sizeof(struct in6_addr)];
	size_t hoff, hlen;
	long p;

	if (authority(s, strlen(s), &hoff, &hlen, &p, why, sizeof(why)) != 0) {
		cfg_bad(ld, w, "%s", why);
		return -1;
	}
	if (p == 0) {
		cfg_bad(ld, w, "missing port (expected host:port, e.g. "
		    "\"127.0.0.1:%d\" or \"[::1]:%d\")", eg, eg);
		return -1;
	}
	/* MHD binds a sockaddr: a name would need resolving, and could move. */
	rw_strlcpy(h, s + hoff, hlen < sizeof(h) ? hlen + 1 : 1);
	if (hlen >= sizeof(h) ||
	    inet_pton(hoff != 0 ? AF_INET6 : AF_INET, h, addr) != 1) {
		cfg_bad(ld, w, "%s is not an IP address (e.g. \"127.0.0.1:%d\", "
		    "\"0.0.0.0:%d\", \"[::]:%d\")", cfg_quote(q, sizeof(q),
		    hlen < sizeof(h) ? h : s), eg, eg, eg);
		return -1;
	}
	cfg_store_str(host, cfg_sdup(ld, h));
	*port = (int)p;
	return 0;
}

static void
listen_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct rw_config *cfg = base;
	const char *s = want_string(ld, w, v);

	if (s != NULL)
		ip_port(ld, w, s, 5443, &cfg->listen_host, &cfg->listen_port);
}

/* "" turns the admin listener off; anything else is an ip:port. */
static void
admin_listen_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct rw_config *cfg = base;
	const char *s = want_string(ld, w, v);

	if (s == NULL)
		return;
	if (s[0] == '\0') {
		cfg_store_str(&cfg->admin_host, NULL);
		cfg->admin_port = 0;
		return;
	}
	ip_port(ld, w, s, 5444, &cfg->admin_host, &cfg->admin_port);
}

static void
name_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct cfg_upstream *u = base;
	char q[CFG_QUOTE_MAX + 16];
	const char *s = want_string(ld, w, v);

	if (s == NULL)
		return;
	if (!rw_name_ok(s, 63)) {
		cfg_bad(ld, w, "invalid name %s (expected 1 to 63 of a-z, 0-9, '.', "
		    "'_', '-', starting with a letter or digit)",
		    cfg_quote(q, sizeof(q), s));
		return;
	}
	cfg_store_str(&u->name, cfg_sdup(ld, s));
}

static void
url_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct cfg_upstream *u = base;
	char why[128], q[CFG_QUOTE_MAX + 16];
	const char *s = want_string(ld, w, v), *scheme, *rest;
	size_t len, hoff, hlen;
	long port;

	if (s == NULL)
		return;
	if (strncasecmp(s, "https://", 8) == 0)
		scheme = "https://";
	else if (strncasecmp(s, "http://", 7) == 0)
		scheme = "http://";
	else {
		cfg_bad(ld, w, "expected an http:// or https:// URL, got %s",
		    cfg_quote(q, sizeof(q), s));
		return;
	}
	rest = s + strlen(scheme);
	len = strcspn(rest, "/?#");
	if (memchr(rest, '@', len) != NULL) {
		cfg_bad(ld, w, "must not contain user info (use "
		    "\"credentials_file\")");
		return;
	}
	/* One trailing slash is harmless; anything more is a path. */
	if (rest[len] != '\0' && strcmp(rest + len, "/") != 0) {
		cfg_bad(ld, w, "must not have a path, query or fragment (expected "
		    "%shost[:port])", scheme);
		return;
	}
	if (authority(rest, len, &hoff, &hlen, &port, why, sizeof(why)) != 0) {
		cfg_bad(ld, w, "%s", why);
		return;
	}
	cfg_store_str(&u->url, lower_dup(ld, scheme, rest, len));
}

static void
hosts_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct cfg_upstream *u = base;
	char why[128];
	struct where hw;
	size_t i, hoff, hlen;
	const char *s;
	long port;
	json_t *e;

	if (!json_is_array(v)) {
		cfg_bad(ld, w, "expected an array");
		return;
	}
	u->hosts = calloc(json_array_size(v) + 1, sizeof(*u->hosts));
	if (u->hosts == NULL) {
		ld->nomem = 1;
		return;
	}
	json_array_foreach(v, i, e) {
		cfg_where_idx(&hw, w, i);
		s = want_string(ld, &hw, e);
		if (s == NULL)
			continue;
		if (authority(s, strlen(s), &hoff, &hlen, &port, why,
		    sizeof(why)) != 0) {
			cfg_bad(ld, &hw, "%s", why);
			continue;
		}
		u->hosts[u->nhosts] = lower_dup(ld, "", s, strlen(s));
		if (u->hosts[u->nhosts] != NULL)
			u->nhosts++;
	}
}

/* "scanner.command": the argv of the scanner, no shell.  The program is
 * resolved against the config's directory and must be executable. */
static void
command_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct rw_config *cfg = base;
	struct where ew;
	const char *s;
	size_t i, n;
	json_t *e;

	n = json_is_array(v) ? json_array_size(v) : 0;
	if (n == 0 || n > 63) {
		cfg_bad(ld, w, "expected an array of 1 to 63 strings (the program "
		    "and its arguments)");
		return;
	}
	cfg->scanner_argv = calloc(n + 1, sizeof(*cfg->scanner_argv));
	if (cfg->scanner_argv == NULL) {
		ld->nomem = 1;
		return;
	}
	json_array_foreach(v, i, e) {
		cfg_where_idx(&ew, w, i);
		s = want_string(ld, &ew, e);
		if (s == NULL)
			continue;
		cfg->scanner_argv[i] = i == 0 ? cfg_resolve(ld, s) : cfg_sdup(ld, s);
		if (i == 0 && cfg->scanner_argv[0] != NULL &&
		    access(cfg->scanner_argv[0], X_OK) != 0)
			cfg_bad(ld, &ew, "%s is not an executable file",
			    cfg->scanner_argv[0]);
	}
}

/* The value is read after the walk, once "auth" is known. */
static void
string_only_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	const char *s = want_string(ld, w, v);

	if (s != NULL && s[0] == '\0')
		cfg_bad(ld, w, "must not be empty");
}

/* -------------------------------------------------------------- upstreams */

static const char *const auth_modes[] = { "passthrough", "credentials", NULL };

#define UOFF(m)	offsetof(struct cfg_upstream, m)

static const struct field upstream_fields[] = {
	{ .key = "name", .type = F_FN, .required = 1, .fn = name_fn },
	{ .key = "url", .type = F_FN, .required = 1, .fn = url_fn },
	{ .key = "hosts", .type = F_FN, .fn = hosts_fn },
	{ .key = "default", .type = F_BOOL, .off = UOFF(is_default) },
	{ .key = "auth", .type = F_ENUM, .names = auth_modes,
	  .def = CFG_AUTH_PASSTHROUGH, .off = UOFF(auth_mode) },
	{ .key = "credentials_file", .type = F_FN, .fn = string_only_fn },
	{ .key = "ca_file", .type = F_PATH, .off = UOFF(ca_file) },
	{ .key = "insecure", .type = F_BOOL, .off = UOFF(insecure) },
	{ .key = "auth_cache_seconds", .type = F_INT, .width = W_INT, .min = 0,
	  .max = 3600, .def = 30, .off = UOFF(auth_cache_seconds) },
	{ .key = NULL },
};

/* Checks that need several keys of one upstream, after its walk. */
static void
upstream_post(struct ld *ld, const struct where *w, json_t *obj,
    struct cfg_upstream *u)
{
	json_t *cf = json_object_get(obj, "credentials_file");
	json_t *auth = json_object_get(obj, "auth");
	struct where cw;

	if (u->url != NULL && strncmp(u->url, "http://", 7) == 0 &&
	    !u->insecure) {
		cfg_where_key(&cw, w, "url");
		cfg_bad(ld, &cw, "http:// needs \"insecure\": true (or use https://)");
	}
	if (!json_is_string(cf) || json_string_length(cf) == 0)
		return;
	/* A bad "auth" value is reported already; don't pile on. */
	if (auth != NULL && (!json_is_string(auth) ||
	    cfg_one_of(json_string_value(auth), auth_modes) < 0))
		return;
	cfg_where_key(&cw, w, "credentials_file");
	if (u->auth_mode != CFG_AUTH_CREDENTIALS)
		cfg_bad(ld, &cw, "only allowed with \"auth\": \"credentials\"");
	else
		cfg_read_creds(ld, &cw, json_string_value(cf), u);
}

static void
upstream_one(struct ld *ld, const struct where *w, json_t *obj,
    struct cfg_upstream *u)
{
	int line = 0, col = 0;

	defaults(ld, upstream_fields, u);
	rw_jpos_get(ld->jp, w->ptr, 0, &line, &col);
	rw_strlcpy(u->pos.file, ld->file, sizeof(u->pos.file));
	u->pos.line = line;
	u->pos.col = col;
	walk(ld, w, obj, upstream_fields, u);
	if (json_is_object(obj))
		upstream_post(ld, w, obj, u);
}

static const char *
upstream_label(char *buf, size_t size, json_t *arr, size_t i)
{
	const char *name = json_string_value(json_object_get(
	    json_array_get(arr, i), "name"));

	if (name != NULL)
		return cfg_quote(buf, size, name);
	snprintf(buf, size, "upstreams[%zu]", i);
	return buf;
}

static void
check_names(struct ld *ld, const struct where *w, json_t *arr)
{
	const char *a, *b;
	struct where uw, nw, first;
	char q[CFG_QUOTE_MAX + 16];
	size_t i, j;

	for (j = 1; j < json_array_size(arr); j++) {
		b = json_string_value(json_object_get(json_array_get(arr, j),
		    "name"));
		for (i = 0; b != NULL && i < j; i++) {
			a = json_string_value(json_object_get(
			    json_array_get(arr, i), "name"));
			if (a == NULL || strcmp(a, b) != 0)
				continue;
			cfg_where_idx(&uw, w, j);
			cfg_where_key(&nw, &uw, "name");
			cfg_where_idx(&uw, w, i);
			cfg_where_key(&first, &uw, "name");
			cfg_bad(ld, &nw, "duplicate upstream name %s (first defined "
			    "on line %d)", cfg_quote(q, sizeof(q), b),
			    cfg_line_of(ld, &first));
			break;
		}
	}
}

/*
 * Reports host K of upstream J if an earlier entry claims the same registry.
 * Aliases may share one upstream; exact repeats and cross-upstream claims
 * may not, or routing would depend on the order of the file.
 */
static void
check_host(struct ld *ld, const struct where *w, json_t *arr, size_t j,
    size_t k)
{
	json_t *hj = json_object_get(json_array_get(arr, j), "hosts");
	const char *h = json_string_value(json_array_get(hj, k)), *o;
	char q1[CFG_QUOTE_MAX + 16], q2[CFG_QUOTE_MAX + 16], lab[128];
	struct where uw, hw, ow;
	size_t i, m, end;

	if (h == NULL)
		return;
	cfg_where_idx(&uw, w, j);
	cfg_where_key(&hw, &uw, "hosts");
	cfg_where_idx(&hw, &hw, k);
	for (i = 0; i <= j; i++) {
		json_t *hi = json_object_get(json_array_get(arr, i), "hosts");

		end = i == j ? k : json_array_size(hi);
		for (m = 0; m < end; m++) {
			o = json_string_value(json_array_get(hi, m));
			if (o == NULL || strcasecmp(canon_host(o),
			    canon_host(h)) != 0)
				continue;
			if (i == j && strcasecmp(o, h) != 0)
				continue;	/* an alias, same upstream */
			cfg_where_idx(&uw, w, i);
			cfg_where_key(&ow, &uw, "hosts");
			cfg_where_idx(&ow, &ow, m);
			cfg_quote(q1, sizeof(q1), h);
			if (i == j)
				cfg_bad(ld, &hw, "%s is listed twice", q1);
			else if (strcasecmp(o, h) == 0)
				cfg_bad(ld, &hw, "%s already belongs to upstream %s "
				    "(line %d)", q1, upstream_label(lab,
				    sizeof(lab), arr, i), cfg_line_of(ld, &ow));
			else
				cfg_bad(ld, &hw, "%s is the same registry as %s of "
				    "upstream %s (line %d)", q1, cfg_quote(q2,
				    sizeof(q2), o), upstream_label(lab,
				    sizeof(lab), arr, i), cfg_line_of(ld, &ow));
			return;
		}
	}
}

static void
check_default(struct ld *ld, const struct where *w, json_t *arr,
    struct rw_config *cfg)
{
	struct where uw, dw, fw;
	char lab[128];
	size_t i, first = SIZE_MAX;

	/* A lone upstream is the default unless it says otherwise. */
	if (cfg->nupstreams == 1 &&
	    json_object_get(json_array_get(arr, 0), "default") == NULL)
		cfg->upstreams[0].is_default = 1;
	for (i = 0; i < cfg->nupstreams; i++) {
		if (!cfg->upstreams[i].is_default)
			continue;
		if (first == SIZE_MAX) {
			first = i;
			continue;
		}
		cfg_where_idx(&uw, w, i);
		cfg_where_key(&dw, &uw, "default");
		cfg_where_idx(&uw, w, first);
		cfg_where_key(&fw, &uw, "default");
		cfg_bad(ld, &dw, "only one upstream may be the default; upstream %s "
		    "already is (line %d)", upstream_label(lab, sizeof(lab),
		    arr, first), cfg_line_of(ld, &fw));
	}
}

static void
upstreams_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct rw_config *cfg = base;
	struct where uw;
	size_t i, k;

	if (!json_is_array(v)) {
		cfg_bad(ld, w, "expected an array");
		return;
	}
	if (json_array_size(v) == 0) {
		cfg_bad(ld, w, "at least one upstream is required");
		return;
	}
	cfg->upstreams = calloc(json_array_size(v), sizeof(*cfg->upstreams));
	if (cfg->upstreams == NULL) {
		ld->nomem = 1;
		return;
	}
	cfg->nupstreams = json_array_size(v);
	for (i = 0; i < cfg->nupstreams; i++) {
		cfg_where_idx(&uw, w, i);
		upstream_one(ld, &uw, json_array_get(v, i), &cfg->upstreams[i]);
	}
	/* Second pass: what only the whole list can tell. */
	check_names(ld, w, v);
	for (i = 0; i < cfg->nupstreams; i++)
		for (k = 0; k < json_array_size(json_object_get(
		    json_array_get(v, i), "hosts")); k++)
			check_host(ld, w, v, i, k);
	check_default(ld, w, v, cfg);
}

/* ------------------------------------------------------------ top level */

static const char *const log_formats[] = { "auto", "text", "json", NULL };
/* Indexed by enum rw_log_lvl. */
static const char *const log_levels[] = { "error", "warn", "info", "debug",
	NULL };

#define OFF(m)	offsetof(struct rw_config, m)
#define INT(k, w, lo, hi, d, m)	{ .key = (k), .type = F_INT, .width = (w), \
	.min = (lo), .max = (hi), .def = (d), .off = OFF(m) }

static const struct field tls_fields[] = {
	{ .key = "cert", .type = F_PATH, .off = OFF(tls_cert) },
	{ .key = "key", .type = F_PATH, .off = OFF(tls_key) },
	{ .key = "client_ca", .type = F_PATH, .off = OFF(client_ca) },
	{ .key = "priorities", .type = F_FN, .fn = cfg_priorities_fn },
	{ .key = "self_signed_names", .type = F_FN, .fn = cfg_self_names_fn },
	{ .key = NULL },
};

static const struct field log_fields[] = {
	{ .key = "file", .type = F_PATH, .sdef = "-", .off = OFF(log_file) },
	{ .key = "format", .type = F_STR, .names = log_formats, .sdef = "auto",
	  .off = OFF(log_format) },
	{ .key = "level", .type = F_ENUM, .names = log_levels,
	  .def = RW_LOG_INFO, .off = OFF(log_level) },
	{ .key = NULL },
};

static const struct field limits_fields[] = {
	INT("max_connections", W_UINT, 1, 100000, 1024, max_connections),
	/* 0 until given: per_ip_post makes it half of max_connections. */
	INT("max_connections_per_ip", W_UINT, 1, 100000, 0,
	    max_connections_per_ip),
	INT("max_header_bytes", W_SIZE, 4096, 1048576, 32768,
	    max_header_bytes),
	INT("max_manifest_bytes", W_SIZE, 1024, 16777216, 4194304,
	    max_manifest_bytes),
	INT("stream_buffer_bytes", W_SIZE, 131072, 16777216, 131072,
	    stream_buffer_bytes),
	INT("manifest_cache_bytes", W_SIZE, 0, INT64_C(17179869184),
	    67108864, manifest_cache_bytes),
	INT("failed_logins", W_UINT, 0, 100000, 10, failed_logins),
	{ .key = NULL },
};

static const struct field timeouts_fields[] = {
	INT("connect", W_INT, 1, 3600, 10, connect_timeout),
	INT("request", W_INT, 1, 3600, 60, request_timeout),
	INT("idle", W_INT, 1, 3600, 120, idle_timeout),
	INT("header", W_INT, 1, 3600, 10, header_timeout),
	INT("stall", W_INT, 1, 3600, 60, stall_timeout),
	INT("shutdown", W_INT, 1, 3600, 30, shutdown_timeout),
	{ .key = NULL },
};

static const struct field decision_cache_fields[] = {
	INT("ttl_seconds", W_INT, 1, 86400, 300, decision_ttl),
	INT("deny_ttl_seconds", W_INT, 1, 3600, 30, deny_ttl),
	INT("max_entries", W_SIZE, 0, 10000000, 100000, decision_max),
	{ .key = NULL },
};

/* Scheduled rescans; every_seconds is for tests (it wins when set). */
static const struct field rescan_fields[] = {
	INT("every_hours", W_INT, 0, 8760, 0, rescan_hours),
	INT("every_seconds", W_INT, 0, 86400, 0, rescan_seconds),
	INT("pulled_within_days", W_INT, 1, 3650, 14, rescan_days),
	{ .key = NULL },
};

static const struct field scanner_fields[] = {
	{ .key = "command", .type = F_FN, .fn = command_fn },
	{ .key = "webhook", .type = F_FN, .fn = cfg_webhook_fn },
	INT("timeout_seconds", W_INT, 1, 3600, 300, scanner_timeout),
	INT("hold_seconds", W_INT, 1, 600, 60, scan_hold),
	INT("max_running", W_INT, 1, 16, 2, scanner_max),
	{ .key = "rescan", .type = F_OBJ, .sub = rescan_fields },
	{ .key = NULL },
};

/* "cache": absent, no cache; its dir is required when it is given. */
static const struct field cache_fields[] = {
	{ .key = "dir", .type = F_PATH, .required = 1, .off = OFF(cache_dir) },
	INT("max_bytes", W_SIZE, 1048576, INT64_MAX, INT64_C(10737418240),
	    cache_max_bytes),
	INT("min_free_bytes", W_SIZE, 0, INT64_MAX, INT64_C(1073741824),
	    cache_min_free_bytes),
	{ .key = NULL },
};

/* "password_file" is read by cfg_database_post (config_secret.c). */
static const struct field database_fields[] = {
	{ .key = "url", .type = F_FN, .required = 1, .fn = cfg_db_url_fn },
	{ .key = "password_file", .type = F_FN, .fn = string_only_fn },
	INT("connections", W_INT, 1, DB_CONNECTIONS_MAX, 4, db_connections),
	{ .key = NULL },
};

static const struct field audit_fields[] = {
	INT("retention_days", W_INT, 0, 36500, 0, audit_retention_days),
	{ .key = NULL },
};

/* Reading layers for "content" rules (server/inspector.c). */
static const struct field content_fields[] = {
	INT("hold_seconds", W_INT, 1, 600, 60, content_hold),
	INT("max_running", W_INT, 1, 16, 2, content_max),
	INT("upload_max_bytes", W_SIZE, 1048576, INT64_C(68719476736),
	    INT64_C(4294967296), content_upload_max),
	INT("upload_max_sessions", W_INT, 1, 4096, 64, content_upload_sessions),
	INT("upload_idle_seconds", W_INT, 1, 86400, 1800, content_upload_idle),
	INT("index_retention_days", W_INT, 0, 36500, 30, content_index_days),
	{ .key = NULL },
};

/*
 * Attestation envelopes (.att layers): an SBOM runs to megabytes, so one
 * may be as large as the DSSE verifier reads (16 MiB); what every decision
 * holds at once is bounded by memory_bytes.
 */
static const struct field attestations_fields[] = {
	INT("max_envelope_bytes", W_SIZE, 65536, 16777216, 16777216,
	    att_max_bytes),
	INT("memory_bytes", W_SIZE, 1048576, INT64_C(17179869184),
	    268435456, att_budget),
	{ .key = NULL },
};

/* "token_file" is read by admin_post, once "listen" is known. */
static const struct field admin_fields[] = {
	{ .key = "listen", .type = F_FN, .fn = admin_listen_fn },
	{ .key = "token_file", .type = F_FN, .fn = string_only_fn },
	{ .key = "metrics_token_file", .type = F_FN,
	  .fn = cfg_metrics_file_fn },
	{ .key = NULL },
};

static const struct field root_fields[] = {
	{ .key = "listen", .type = F_FN, .fn = listen_fn },
	{ .key = "tls", .type = F_OBJ, .sub = tls_fields },
	{ .key = "state_dir", .type = F_PATH, .required = 1,
	  .off = OFF(state_dir) },
	{ .key = "log", .type = F_OBJ, .sub = log_fields },
	INT("threads", W_INT, 1, 64, 4, threads),
	{ .key = "catalog", .type = F_BOOL, .off = OFF(catalog) },
	{ .key = "htpasswd", .type = F_PATH, .off = OFF(htpasswd) },
	{ .key = "limits", .type = F_OBJ, .sub = limits_fields },
	{ .key = "timeouts", .type = F_OBJ, .sub = timeouts_fields },
	{ .key = "upstreams", .type = F_FN, .required = 1, .fn = upstreams_fn },
	{ .key = "policy", .type = F_PATH, .off = OFF(policy_path) },
	{ .key = "plain_proxy", .type = F_BOOL, .def = 0,
	  .off = OFF(plain_proxy) },
	{ .key = "blob_gate", .type = F_BOOL, .def = 1, .off = OFF(blob_gate) },
	{ .key = "verify_blobs", .type = F_BOOL, .def = 0,
	  .off = OFF(verify_blobs) },
	{ .key = "decision_cache", .type = F_OBJ, .sub = decision_cache_fields },
	{ .key = "cache", .type = F_OBJ, .sub = cache_fields },
	{ .key = "scanner", .type = F_OBJ, .sub = scanner_fields },
	{ .key = "content", .type = F_OBJ, .sub = content_fields },
	{ .key = "attestations", .type = F_OBJ, .sub = attestations_fields },
	{ .key = "admin", .type = F_OBJ, .sub = admin_fields },
	{ .key = "database", .type = F_OBJ, .sub = database_fields },
	{ .key = "audit", .type = F_OBJ, .sub = audit_fields },
	{ .key = NULL },
};

/* Checks across keys of the top level, after the walk. */
static void
root_post(struct ld *ld, const struct where *root, json_t *doc,
    struct rw_config *cfg)
{
	json_t *tls = json_object_get(doc, "tls");
	json_t *cert = json_object_get(tls, "cert");
	json_t *key = json_object_get(tls, "key");
	size_t known;
	struct where w;

	/* After a misspelt key, "did you mean" already says what is missing. */
	known = (cert != NULL) + (key != NULL) +
	    (json_object_get(tls, "client_ca") != NULL) +
	    (json_object_get(tls, "priorities") != NULL) +
	    (json_object_get(tls, "self_signed_names") != NULL);
	if (json_is_object(tls) && known == json_object_size(tls) &&
	    (cert == NULL) != (key == NULL)) {
		cfg_where_key(&w, root, "tls");
		cfg_bad(ld, &w, "\"cert\" and \"key\" must be given together");
	}
	cfg_per_ip_post(ld, root, cfg);
	cfg_tls_post(ld, root, doc, cfg);
	cfg_admin_post(ld, root, doc, cfg);
	cfg_database_post(ld, root, doc, cfg);
}

/* Absolute directory of PATH, so relative names survive a later chdir. */
static char *
dir_of(struct ld *ld, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d, *abs;

	if (slash == NULL)
		d = cfg_sdup(ld, ".");
	else if (slash == path)
		d = cfg_sdup(ld, "/");
	else
		d = strndup(path, (size_t)(slash - path));
	if (d == NULL) {
		ld->nomem = 1;
		return NULL;
	}
	abs = realpath(d, NULL);
	if (abs == NULL)
		return d;	/* still usable, only relative */
	free(d);
	return abs;
}

/*
 * Reports jansson's syntax error.  jansson counts columns in characters and
 * every other error here counts bytes, so both come from the byte offset it
 * stopped at (the same numbers for ASCII text).
 */
static void
syntax_error(struct ld *ld, const char *text, size_t len,
    const json_error_t *je)
{
	size_t i, pos, bol = 0;
	int line = 1, col;

	pos = je->position > 0 && (size_t)je->position <= len ?
	    (size_t)je->position : 0;
	/*
	 * For a repeated key jansson stops after its closing quote; step back
	 * to the opening one, where other key errors point.
	 */
	if (strncmp(je->text, "duplicate object key", 20) == 0 && pos >= 2 &&
	    text[pos - 1] == '"') {
		size_t q = pos - 1, bs;

		while (q-- > 0) {
			/* A quote after an odd run of backslashes is text. */
			for (bs = 0; q > bs && text[q - 1 - bs] == '\\'; bs++)
				;
			if (text[q] == '"' && bs % 2 == 0) {
				pos = q + 1;	/* POS counts bytes up to and
						   including the quote */
				break;
			}
		}
	}
	for (i = 0; i < pos; i++)
		if (text[i] == '\n') {
			line++;
			bol = i + 1;
		}
	col = pos > bol ? (int)(pos - bol) : 1;
	rw_diag_add(ld->d, RW_ECONFIG, ld->file, line, col, "invalid JSON: %s",
	    je->text);
}

/* File and syntax problems, before any key is looked at. */
static int
parse(struct ld *ld, const char *path, char **text, size_t *len,
    json_t **doc)
{
	json_error_t je;
	int rc;

	rc = cfg_slurp(path, CFG_MAX_FILE, text, len, NULL);
	if (rc == SLURP_ERRNO)
		rw_diag_add(ld->d, RW_EIO, path, 0, 0, "cannot open: %s",
		    strerror(errno));
	else if (rc == SLURP_NOTREG)
		rw_diag_add(ld->d, RW_EIO, path, 0, 0, "not a regular file");
	else if (rc == SLURP_TOOBIG)
		rw_diag_add(ld->d, RW_EIO, path, 0, 0, "too large (more than "
		    "%d bytes)", CFG_MAX_FILE);
	if (rc != SLURP_OK)
		return RW_EIO;
	*doc = json_loadb(*text, *len, JSON_REJECT_DUPLICATES, &je);
	if (*doc != NULL)
		return RW_OK;
	syntax_error(ld, *text, *len, &je);
	return RW_ECONFIG;
}

/* Orders this load's diagnostics by position; insertion sort keeps ties. */
static void
sort_diags(struct rw_diags *d, size_t from)
{
	struct rw_err tmp;
	size_t i, j;

	for (i = from + 1; i < d->n; i++) {
		tmp = d->e[i];
		for (j = i; j > from && (d->e[j - 1].pos.line > tmp.pos.line ||
		    (d->e[j - 1].pos.line == tmp.pos.line &&
		    d->e[j - 1].pos.col > tmp.pos.col)); j--)
			d->e[j] = d->e[j - 1];
		d->e[j] = tmp;
	}
}

int
config_load(const char *path, struct rw_config **out, struct rw_diags *diags)
{
	struct ld ld;
	struct rw_config *cfg = NULL;
	struct where root;
	size_t from = diags->n, seen = diags->n + diags->dropped, len = 0;
	char *text = NULL;
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	memset(&root, 0, sizeof(root));
	ld.file = path;
	ld.d = diags;
	rc = parse(&ld, path, &text, &len, &doc);
	if (rc != RW_OK)
		goto out;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		rw_diag_add(diags, RW_ENOMEM, path, 0, 0, "out of memory");
		rc = RW_ENOMEM;
		goto out;
	}
	cfg->path = cfg_sdup(&ld, path);
	ld.dir = dir_of(&ld, path);
	cfg->dir = ld.dir != NULL ? cfg_sdup(&ld, ld.dir) : NULL;
	/* Without the index, errors still come out, only without line:col. */
	ld.jp = rw_jpos_new(text, len);
	defaults(&ld, root_fields, cfg);
	cfg->listen_host = cfg_sdup(&ld, "127.0.0.1");
	cfg->listen_port = 5443;
	cfg->admin_host = cfg_sdup(&ld, "127.0.0.1");
	cfg->admin_port = 5444;
	walk(&ld, &root, doc, root_fields, cfg);
	if (json_is_object(doc))
		root_post(&ld, &root, doc, cfg);
	if (ld.nomem) {
		rw_diag_add(diags, RW_ENOMEM, path, 0, 0, "out of memory");
		rc = RW_ENOMEM;
	} else if (diags->n + diags->dropped > seen)
		rc = RW_ECONFIG;
out:
	sort_diags(diags, from);
	if (rc != RW_OK)
		config_free(cfg);
	else
		*out = cfg;
	rw_jpos_free(ld.jp);
	free(ld.dir);
	json_decref(doc);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ serve */

int
config_check_serve(const struct rw_config *cfg, struct rw_err *err)
{
	if (cfg->policy_path != NULL && cfg->plain_proxy)
		return rw_err_set(err, RW_ECONFIG, "%s: \"policy\" and "
		    "\"plain_proxy\": true exclude each other; remove one",
		    cfg->path);
	if (cfg->scanner_argv != NULL && cfg->scanner_webhook != NULL)
		return rw_err_set(err, RW_ECONFIG, "%s: \"scanner\" has both "
		    "\"command\" and \"webhook\"; keep one", cfg->path);
	if (cfg->policy_path == NULL && !cfg->plain_proxy)
		return rw_err_set(err, RW_ECONFIG, "%s: no \"policy\": "
		    "regwarden does not start without one, since every image "
		    "would be admitted; name a policy file (config/policy.json "
		    "is an example), or set \"plain_proxy\": true to run as a "
		    "plain proxy on purpose", cfg->path);
	return RW_OK;
}

const char *
config_client_path(const struct rw_config *cfg, const char *file)
{
	size_t n = cfg->dir != NULL ? strlen(cfg->dir) : 0;
	const char *slash;

	if (file == NULL)
		return "";
	if (n > 0 && strncmp(file, cfg->dir, n) == 0 && file[n] == '/' &&
	    strstr(file + n, "/../") == NULL)
		return file + n + 1;
	slash = strrchr(file, '/');
	return slash != NULL ? slash + 1 : file;
}

/* ---------------------------------------------------------- release */

static void
upstream_cleanup(struct cfg_upstream *u)
{
	size_t i;

	free(u->name);
	free(u->url);
	for (i = 0; i < u->nhosts; i++)
		free(u->hosts[i]);
	free(u->hosts);
	free(u->username);
	if (u->password != NULL)
		rw_freezero(u->password, strlen(u->password));
	free(u->ca_file);
}

void
config_free(struct rw_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nupstreams; i++)
		upstream_cleanup(&cfg->upstreams[i]);
	free(cfg->upstreams);
	free(cfg->path);
	free(cfg->listen_host);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->client_ca);
	free(cfg->tls_priorities);
	free(cfg->htpasswd);
	free(cfg->state_dir);
	free(cfg->log_file);
	free(cfg->log_format);
	free(cfg->policy_path);
	free(cfg->cache_dir);
	free(cfg->dir);
	free(cfg->admin_host);
	for (i = 0; cfg->scanner_argv != NULL && cfg->scanner_argv[i] != NULL;
	    i++)
		free(cfg->scanner_argv[i]);
	free(cfg->scanner_argv);
	free(cfg->scanner_webhook);
	if (cfg->admin_token != NULL)
		rw_freezero(cfg->admin_token, strlen(cfg->admin_token));
	if (cfg->metrics_token != NULL)
		rw_freezero(cfg->metrics_token, strlen(cfg->metrics_token));
	if (cfg->scanner_webhook_token != NULL)
		rw_freezero(cfg->scanner_webhook_token,
		    strlen(cfg->scanner_webhook_token));
	for (i = 0; i < cfg->nself_signed_names; i++)
		free(cfg->self_signed_names[i]);
	free(cfg->self_signed_names);
	if (cfg->db_password != NULL)
		rw_freezero(cfg->db_password, strlen(cfg->db_password));
	free(cfg->db_url);
	free(cfg);
}

/* -------------------------------------------------------------- lookups */

const struct cfg_upstream *
config_upstream_by_name(const struct rw_config *cfg, const char *name,
    size_t namelen)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = &cfg->upstreams[i];

		if (strlen(u->name) == namelen &&
		    memcmp(u->name, name, namelen) == 0)
			return u;
	}
	return NULL;
}

const struct cfg_upstream *
config_upstream_by_host(const struct rw_config *cfg, const char *host)
{
	const char *want;
	size_t i, k;

	if (cfg == NULL || host == NULL)
		return NULL;
	want = canon_host(host);
	for (i = 0; i < cfg->nupstreams; i++)
		for (k = 0; k < cfg->upstreams[i].nhosts; k++)
			if (strcasecmp(canon_host(cfg->upstreams[i].hosts[k]),
			    want) == 0)
				return &cfg->upstreams[i];
	return NULL;
}

const struct cfg_upstream *
config_default_upstream(const struct rw_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return NULL;
	for (i = 0; i < cfg->nupstreams; i++)
		if (cfg->upstreams[i].is_default)
			return &cfg->upstreams[i];
	return NULL;
}
