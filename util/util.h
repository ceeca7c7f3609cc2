/*
 * util.h - errors, logging, bounded buffers and digests shared by every module.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Standalone: depends on libc, pthreads and OpenSSL's libcrypto only, never
 * on another regwarden module.  Everything here is thread-safe unless a
 * function says otherwise; a struct rw_buf or struct rw_hash belongs to one
 * thread at a time.
 *
 * Module util/ (library rw_util), at the bottom of the graph: errors,
 * logging, bounded buffers and texts, digests, RFC 3339 times, file
 * reading, diagnostics and JSON text positions.  Every other module may
 * call it; it calls none of them.
 */
#ifndef RW_UTIL_H
#define RW_UTIL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>

/* ---------------------------------------------------------------- errors */

/*
 * One list gives both the enum and rw_strerror() (libuv's UV_ERRNO_MAP).
 * Codes are negative; RW_OK is 0.
 */
#define RW_ERRNO_MAP(X)                                                    \
	X(ENOMEM, -1, "out of memory")                                     \
	X(EINVAL, -2, "invalid argument")                                  \
	X(ETOOBIG, -3, "too large")                                        \
	X(EIO, -4, "input/output error")                                   \
	X(EPARSE, -5, "parse error")                                       \
	X(ENOTFOUND, -6, "not found")                                      \
	X(EAUTH, -7, "authentication failed")                              \
	X(EUPSTREAM, -8, "upstream error")                                 \
	X(ETIMEOUT, -9, "timed out")                                       \
	X(EDIGEST, -10, "digest mismatch")                                 \
	X(EDB, -11, "database error")                                      \
	X(ECRYPTO, -12, "cryptographic error")                             \
	X(EBUSY, -13, "busy")                                              \
	X(ECONFIG, -14, "configuration error")                             \
	X(EPERM, -15, "permission denied")                                 \
	X(EUNSUPPORTED, -16, "unsupported")

enum {
	RW_OK = 0,
#define RW_ERR_ENUM(name, val, text) RW_##name = (val),
	RW_ERRNO_MAP(RW_ERR_ENUM)
#undef RW_ERR_ENUM
};

/** Position in a file the admin edits; line and col are 1-based, 0 = unknown. */
struct rw_pos {
	char	 file[192];
	int	 line;
	int	 col;
};

/** Caller-provided error report: a code for the program, a message for the human. */
struct rw_err {
	int		 code;
	char		 msg[256];
	struct rw_pos	 pos;
};

/** Static text for an RW_E* code ("unknown error" for anything else). */
const char	*rw_strerror(int code);

/** Clear ERR (may be NULL). */
void	 rw_err_clear(struct rw_err *err);

/**
 * Record CODE and a printf-style message in ERR, unless ERR already holds a
 * message: the first cause wins (curl's failf).  ERR may be NULL.  Returns CODE
 * so callers can write `return rw_err_set(err, RW_EIO, "...")`.
 */
int	 rw_err_set(struct rw_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/** As rw_err_set, and also records FILE:LINE:COL. */
int	 rw_err_setpos(struct rw_err *err, int code, const char *file, int line,
	    int col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/**
 * Format ERR as a human reads it: "file:line:col: msg" when a position is
 * known, else "msg".  Writes at most SIZE bytes including the NUL; returns BUF.
 */
const char	*rw_err_str(const struct rw_err *err, char *buf, size_t size);

/* --------------------------------------------------------------- logging */

enum rw_log_lvl { RW_LOG_ERROR = 0, RW_LOG_WARN = 1, RW_LOG_INFO = 2,
	RW_LOG_DEBUG = 3 };

/** The one mutable logging global (style.md §6). */
extern int	rw_log_level;

/**
 * Open the log.  PATH NULL or "-" means stderr.  FORMAT: "text", "json" or
 * "auto" (text on a terminal, JSON lines otherwise).  Returns RW_OK or RW_EIO.
 */
int	 rw_log_open(const char *path, const char *format, struct rw_err *err);

/** Reopen the log file after rotation (SIGHUP).  Safe to call at any time. */
int	 rw_log_reopen(struct rw_err *err);

/** The request id this thread is working for, put on every line it logs. */
void	 rw_log_set_reqid(const char *reqid);

/** What failed and was not done: a start that did not happen, a reload refused. */
void	 log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Startup only: log and exit(1).  fatal appends strerror(errno). */
void	 fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/**
 * One structured line: LEVEL, request id REQID (may be NULL), an event name
 * and NULL-terminated key/value string pairs.  Text: `ts level req=.. event
 * k=v`; JSON: {"ts":..,"level":..,"req":..,"event":..,"k":"v"}.  Values are
 * quoted/escaped as needed; a NULL value is skipped.  A key starting with
 * '#' marks a number and '?' a boolean ("true"/"false"): in JSON the value
 * goes out bare ({"status":200,"cached":true}), the mark never appears; a
 * value that is not of its type is written as a string.
 */
void	 rw_log_kv(int level, const char *reqid, const char *event, ...);

/* --------------------------------------------------------------- buffers */

/** A growable byte buffer with a hard cap fixed at init (curl's dynbuf). */
struct rw_buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;
};

void	 rw_buf_init(struct rw_buf *b, size_t cap);
/** Append; RW_ETOOBIG (buffer unchanged) past the cap, RW_ENOMEM. */
int	 rw_buf_add(struct rw_buf *b, const void *data, size_t len);
int	 rw_buf_addf(struct rw_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 rw_buf_reset(struct rw_buf *b);
/** Free the memory; the buffer may be reused after rw_buf_init. */
void	 rw_buf_free(struct rw_buf *b);
/** Take the data (caller frees); the buffer is left empty. */
char	*rw_buf_steal(struct rw_buf *b, size_t *len);

/* --------------------------------------------------------------- digests */

/** Longest digest string we produce: "sha512:" + 128 hex + NUL. */
#define RW_DIGEST_MAX	136

enum rw_hash_alg { RW_HASH_SHA256 = 1, RW_HASH_SHA512 = 2 };

struct rw_hash {
	void	*ctx;	/* EVP_MD_CTX */
	int	 alg;
};

/** Algorithm for "sha256"/"sha512" (prefix of a digest string), or 0. */
int	 rw_hash_alg_of(const char *digest);
int	 rw_hash_init(struct rw_hash *h, int alg);
void	 rw_hash_update(struct rw_hash *h, const void *data, size_t len);
/** Finish into OUT ("sha256:<hex>"); frees the context. */
void	 rw_hash_final(struct rw_hash *h, char out[RW_DIGEST_MAX]);
void	 rw_hash_cleanup(struct rw_hash *h);
/**
 * The 32 bytes of D, "sha256:" and 64 hex digits (either case), into OUT.
 * Returns 0, or -1 (OUT untouched) for anything else.
 */
int	 rw_sha256_bytes(const char *d, unsigned char out[32]);
/** One-shot digest of DATA with ALG into OUT.  Returns RW_OK or RW_ENOMEM. */
int	 rw_digest(int alg, const void *data, size_t len,
	    char out[RW_DIGEST_MAX]);

/* ----------------------------------------------------------------- misc */

/** Monotonic clock in milliseconds. */
uint64_t	rw_now_ms(void);
/** Fill BUF with LEN hex characters of randomness (+NUL). */
void		rw_random_hex(char *buf, size_t len);
/**
 * A byte budget shared by threads (*USED bytes taken of CAP): adds N to
 * *USED and returns 1 when the sum stays within CAP, else changes nothing
 * and returns 0.  rw_budget_give returns N bytes a take added.
 */
int		rw_budget_take(atomic_size_t *used, size_t n, size_t cap);
void		rw_budget_give(atomic_size_t *used, size_t n);
/**
 * WHAT and the reason of OpenSSL's newest queued error ("what: reason", or
 * WHAT alone when it queued none) into ERR with CODE; the thread's queue is
 * cleared.  Returns CODE.
 */
int		rw_ossl_err(struct rw_err *err, int code, const char *what);
/**
 * Whether S is a name as regwarden's files name things (rules, keys,
 * upstreams): 1 to MAX of a-z 0-9 '.' '_' '-', starting with a letter or a
 * digit.
 */
int		rw_name_ok(const char *s, size_t max);
/** Bounded string copy; always NUL-terminates; returns strlen(src). */
size_t		rw_strlcpy(char *dst, const char *src, size_t size);
/** Parse a decimal in [MIN,MAX]; RW_OK or RW_EINVAL.  Whole string must match. */
int		rw_parse_i64(const char *s, int64_t min, int64_t max,
		    int64_t *out);
/** rw_read_file: refuse a file that group or others may access. */
#define RW_FILE_SECRET	1

struct stat;
/**
 * Whether a file with status ST may hold a secret: no access for group or
 * others (0600 or less), or, for a process not running as root, a file
 * owned by root that its group may only read (0640 or less), as
 * PostgreSQL allows for its key: that is how Kubernetes mounts a Secret
 * for a pod with an fsGroup (root:fsGroup 0440), and only root could have
 * made it so.  Never group-writable, never readable by others.
 */
int		rw_secret_mode_ok(const struct stat *st);

/**
 * Read the regular file PATH whole (at most CAP bytes) into *OUT, a
 * NUL-terminated buffer the caller frees (with rw_freezero for secrets),
 * its length into *OUTLEN (may be NULL).  With RW_FILE_SECRET the file must
 * pass rw_secret_mode_ok.  Errors, with ERR naming PATH:
 * RW_EIO ("PATH: No such file or directory", "PATH: not a readable regular
 * file"), RW_EPERM ("PATH: mode 0644 is too open: it must not be accessible
 * by group or others (chmod 600)"), RW_ETOOBIG, RW_ENOMEM.
 */
int		rw_read_file(const char *path, size_t cap, int flags,
		    char **out, size_t *outlen, struct rw_err *err);

/** Wipe LEN bytes at P (secrets); never optimised away. */
void		rw_wipe(void *p, size_t len);
/** Wipe and free (secrets). */
void		rw_freezero(void *p, size_t len);

/* ------------------------------------------------------------------ text */

/* A bounded, always terminated string being built; overflow is marked. */
struct rw_sb {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 cut;	/* something did not fit */
};

void	 rw_sb_init(struct rw_sb *sb, char *buf, size_t size);
void	 rw_sb_add(struct rw_sb *sb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Appends S from a manifest or config (untrusted): printable ASCII as is,
 * anything else as \xNN, at most MAX bytes of S then "...".
 */
void	 rw_sb_safe(struct rw_sb *sb, const char *s, size_t max);
/*
 * S (untrusted: from an image, a signature, a certificate) in double quotes
 * for a reason, as rw_sb_safe writes it (at most MAX bytes of S), into
 * BUF (SIZE bytes; MAX * 4 + 16 always fits).  Returns BUF.
 */
const char *rw_show(char *buf, size_t size, const char *s, size_t max);
/* Ends the text with "..." when something was cut, on a UTF-8 boundary. */
void	 rw_sb_finish(struct rw_sb *sb);

/* ----------------------------------------------------------------- times */

/**
 * Parses an RFC 3339 date-time ("2026-12-31T00:00:00Z", fractions and
 * offsets like "+02:00" accepted) into unix seconds.  Returns RW_OK, or
 * RW_EINVAL with ERR (may be NULL) saying what is wrong: "expected an RFC
 * 3339 date and time with a time zone, ...", "no such date", "no such
 * time".  *OUT is untouched on error.
 */
int	 rw_parse_time(const char *s, int64_t *out, struct rw_err *err);

/* "2026-12-31T00:00:00Z" for T, as messages show times. */
void	 rw_time_str(char *buf, size_t size, int64_t t);

/* ----------------------------------------------------------- diagnostics */

/** Up to RW_DIAG_MAX errors from one load of a file an admin edits. */
#define RW_DIAG_MAX	20

struct rw_diags {
	size_t		 n;		/* entries in e[] */
	size_t		 dropped;	/* further errors not kept */
	struct rw_err	 e[RW_DIAG_MAX];
};

/** Add one positioned error (file:line:col, 0 = unknown) to D. */
void	 rw_diag_add(struct rw_diags *d, int code, const char *file, int line,
	    int col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/**
 * "(did you mean "x"?)" when one of the NULL-terminated NAMES is within two
 * case-insensitive edits of WORD (and no more than half of it), else
 * "(expected one of: a, b, c)".  Writes into BUF (SIZE bytes); returns BUF.
 */
const char	*rw_suggest(char *buf, size_t size, const char *word,
		    const char *const *names);

/* ---------------------------------------------------- JSON text positions */

/*
 * jansson reports positions only for syntax errors.  rw_jpos scans the raw
 * text once and records where each value (and each object key) starts, by
 * JSON Pointer path ("/upstreams/0/url"), so loaders can cite file:line:col
 * for semantic errors found after parsing.  Understands // and slash-star
 * comments so that callers which blank comments keep exact positions.
 */
struct rw_jpos;

/** Index TEXT (LEN bytes).  NULL on allocation failure or malformed input. */
struct rw_jpos	*rw_jpos_new(const char *text, size_t len);
void		 rw_jpos_free(struct rw_jpos *jp);
/**
 * Position of the value at PATH (or of its key when KEY is nonzero).
 * Returns RW_OK, or RW_ENOTFOUND leaving *LINE and *COL untouched.
 */
int		 rw_jpos_get(const struct rw_jpos *jp, const char *path, int key,
		    int *line, int *col);

#endif /* RW_UTIL_H */
