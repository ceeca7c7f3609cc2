/*
 * internal.h - what server/ files share: the server context, the
 * per-request context, and the front end's response helpers.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not a public header: only the .c files of server/ include it.
 */
#ifndef RW_SERVER_INTERNAL_H
#define RW_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <microhttpd.h>

#include "cache/cache.h"
#include "policy/policy.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/conntrack.h"
#include "server/dcache.h"
#include "server/denial.h"
#include "server/framing.h"
#include "server/inspector.h"
#include "server/mcache.h"
#include "server/metrics.h"
#include "server/route.h"
#include "server/scanner.h"
#include "server/upstream.h"
#include "util/util.h"

struct db;
struct decide_ctx;
struct upload;
struct upload_job;
struct upload_table;
struct verdict;

/* A loaded policy with a reference count (like struct cfg_holder). */
struct policy_holder {
	struct policy		*p;
	atomic_int		 refs;
};

/* A loaded config with a reference count: requests hold the one they began
 * with, so a reload never pulls a config out from under them. */
struct cfg_holder {
	struct rw_config	*cfg;
	atomic_int		 refs;
};

/* What regwarden learned about an upstream's auth (its /v2/ challenge). */
struct upstate {
	char			 name[72];
	int			 known;		/* 0 until probed */
	struct auth_challenge	 ch;		/* scheme 0 = no auth needed */
};

#define UPSTATE_MAX	64
#define AUTHZ_SLOTS	4096

struct authz_slot {
	char		 key[RW_DIGEST_MAX];
	uint64_t	 expires_ms;
};

/* Which digest a tag was last admitted as, for pulls by tag while the
 * upstream is down; and which digest it was last fetched as, for asking the
 * upstream whether it still is (proxy_offline.c). */
#define TAGMEM_SLOTS	1024

struct tagmem_slot {
	char		 key[RW_DIGEST_MAX];
	char		 digest[RW_DIGEST_MAX];
	uint64_t	 expires_ms;
};

struct server {
	pthread_mutex_t		 cfg_mu;
	struct cfg_holder	*active;	/* server_active_cfg (style §6) */
	struct up_engine	*eng;
	struct mcache		*mc;
	struct cache		*cache;		/* blobs on disk; NULL: off */
	struct db		*db;
	struct auth_cache	*tokens;
	struct auth_htpasswd	*htpasswd;	/* from the startup config */
	struct auth_limiter	*logins;	/* failed logins per client */
	struct MHD_Daemon	*daemon;

	pthread_mutex_t		 state_mu;	/* upstates and authz */
	struct upstate		 upstates[UPSTATE_MAX];
	struct authz_slot	 authz[AUTHZ_SLOTS];
	struct tagmem_slot	 tagmem[TAGMEM_SLOTS];
	struct tagmem_slot	 taghint[TAGMEM_SLOTS]; /* expires_ms unused */
	struct denial_table	*denials;	/* denial digests HEAD handed out */

	struct policy_holder	*policy;	/* under cfg_mu; NULL: none */
	struct metrics		*metrics;
	struct admin		*admin;
	struct scanner		*scanner;	/* NULL: none configured */
	struct rescan		*rescan;	/* NULL: no scheduled rescans */
	struct scan_shared	*scan_shared;	/* its claims (scan_shared.c) */
	struct inspector	*inspector;	/* layers for "content" rules */
	struct upload_table	*uploads;	/* pushes read as they pass */
	struct auditq		*auditq;	/* audit rows, written in batches */
	pthread_mutex_t		 reload_mu;	/* one reload at a time */
	struct dcache		*dc;
	int64_t			 policy_mtime;	/* for the file watch */

	struct conntrack	*ct;		/* header deadlines (conntrack.h) */
	uint64_t		 header_ms;	/* timeouts.header, at start */
	uint64_t		 idle_ms;	/* timeouts.idle, at start */

	/* bytes of .att envelopes held by decisions (attestations.memory_bytes) */
	atomic_size_t		 att_bytes;
	atomic_int		 inflight;	/* requests not yet completed */
	atomic_int		 draining;	/* SIGTERM received */
	atomic_ulong		 next_id;
	char			 id_prefix[9];	/* random per process */
};

/* Phases of one request; see proxy.c. */
enum rq_phase {
	PH_INIT = 0,
	PH_PROBE,		/* learning the upstream's auth challenge */
	PH_TOKEN,		/* fetching an upstream token */
	PH_AUTHZ,		/* pass-through: asking upstream if client may read */
	PH_SEND,		/* start the upstream request */
	PH_WAIT,		/* waiting for the upstream response */
	PH_DECIDE,		/* admission: gather facts, evaluate */
	PH_ANSWER,		/* answer a manifest with the verdict */
	PH_CACHE,		/* a blob another request is fetching */
	PH_DONE,		/* a response is queued */
};

struct request {
	atomic_int		 refs;		/* MHD request + streamed response */
	struct server		*srv;
	struct cfg_holder	*ch;
	const struct rw_config	*cfg;
	struct MHD_Connection	*conn;
	char			 id[20];
	char			*uri;		/* raw request URI */
	const char		*method;
	int			 calls;		/* access handler calls so far */
	int			 begun;		/* begin() has run */
	int			 phase;
	int			 routed;
	struct route		 rt;
	struct xfer		*x;		/* the upstream request */
	struct xfer		*aux;		/* probe / token / authz check */

	char			*authz;		/* client Authorization, or NULL */
	char			 identity[300];	/* who the client is, for logs */
	int			 write_op;	/* pushes, deletes */
	char			*bearer;	/* upstream token for this request */
	char			 scope[ROUTE_NAME_MAX + 64];
	int			 retried;

	/* request body */
	int			 http11;	/* not HTTP/1.0: Host required */
	struct framing_body	 frame;		/* as check_framing read it */
	int			 close;		/* answer with Connection: close */
	int			 has_body;	/* the client sends a body */
	int			 body_in_memory; /* manifest PUT */
	struct rw_buf		 body;
	int			 body_done;
	int64_t			 body_len;	/* Content-Length or -1 */

	/* manifest handling */
	const struct mcache_entry *entry;
	int			 revalidating;	/* entry sent as If-None-Match */
	char			 digest[RW_DIGEST_MAX];
	const char		*mbody;		/* the verified bytes */
	size_t			 mlen;
	char			 mtype[256];
	int			 after_auth;	/* phase after PH_TOKEN */
	int			 auth_ready;	/* upstream credentials in hand */
	int			 push_checked;	/* pushed manifest hashed, parsed */

	/* admission (decide.c) */
	char			 client_ip[64];
	struct policy_holder	*ph;
	char			 dkey[ROUTE_NAME_MAX + ROUTE_REF_MAX + 512];
	int			 leading;
	struct dc_waiter	 dcw;
	struct decide_ctx	*dx;
	struct dverdict		 dv;
	char			*reasons;	/* JSON, for the audit row */
	struct scan_waiter	 scanw;		/* hold until scanned */
	int			 scan_waiting;
	char			 scan_ref[ROUTE_NAME_MAX + 400];
	int			 retry_after;	/* seconds, for Retry-After */
	struct insp_waiter	 inspw;		/* hold until inspected */
	int			 insp_waiting;
	int			 insp_tried;	/* once per request */


	/* uploads read before they commit (proxy_upload.c) */
	int			 spool;		/* the body goes to the spool */
	struct upload		*upl;		/* the session taken */
	struct upload_job	*upl_job;	/* its final read */
	int			 upl_checked;	/* judged: may go upstream */
	int			 upl_final;	/* commits: PUT or POST ?digest= */
	int			 upl_oneshot;	/* POST ?digest=: no session */
	int			 upl_failed;	/* spooling failed: answered */
	int			 upl_end;	/* end the session at cleanup */
	int			 upl_refusing;	/* cancelling it upstream */
	unsigned		 upl_status;	/* the refusal's */
	char			 upl_code[32];
	char			*upl_refusal;
	char			*upl_authz;	/* the DELETE's, wiped */
	char			 upl_digest[RW_DIGEST_MAX];

	/* the blob cache (proxy_blob.c) */
	int			 blob_admitted;	/* the blob gate said yes */
	int			 cache_fill;	/* may copy an upstream 200 */
	int			 cache_live;	/* cwr got the upstream's 200 */
	int			 up_verified;	/* the engine checks the blob's
						 * digest (spec.verify_digest) */
	struct cache_rd		*crd;		/* serving from the cache */
	struct cache_wr		*cwr;		/* copying the upstream's bytes */
	uint64_t		 crange_from, crange_to;

	/* access log */
	uint64_t		 up_t0;		/* upstream request started */
	unsigned		 status;
	uint64_t		 bytes_out;
	uint64_t		 t0;
	char			 note[256];	/* why, for the log line */
};

/* --- front.c ------------------------------------------------------------ */

/** Take a reference on the active config. */
struct cfg_holder *server_cfg_acquire(struct server *srv);
void	 server_cfg_release(struct cfg_holder *ch);

/** Headers every regwarden answer carries (API version, OCI-Namespace, id). */
void	 front_common_headers(struct request *rq, struct MHD_Response *r);

/**
 * Queue an OCI error envelope {"errors":[{"code","message":"regwarden: ..",
 * "detail":{"request_id"}}]} with STATUS.  Returns the MHD result.
 */
enum MHD_Result front_error(struct request *rq, unsigned status,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/** Queue BODY (copied) with STATUS and CONTENT_TYPE (may be NULL). */
enum MHD_Result front_buffer(struct request *rq, unsigned status,
	    const char *body, size_t len, const char *content_type,
	    struct MHD_Response **out);

/** Queue R with STATUS, adding common headers; takes care of the log. */
enum MHD_Result front_queue(struct request *rq, unsigned status,
	    struct MHD_Response *r);

/** "https://<Host>" for absolute URLs handed back, or "" if Host is odd. */
void	 front_client_base(struct request *rq, char *out, size_t size);

/** Park hooks for transfers started on behalf of RQ. */
struct xfer_hooks front_hooks(struct request *rq);

/**
 * A response whose body streams from RQ->x (SIZE bytes, or
 * MHD_SIZE_UNKNOWN for chunked).  Holds a reference on RQ until MHD frees
 * it.  Not queued yet.
 */
struct MHD_Response *front_stream_response(struct request *rq, uint64_t size);

/**
 * A response of SIZE bytes read by READER (its cls is RQ) in blocks of
 * BLOCK; holds a reference on RQ until MHD frees it.  Not queued yet.
 */
struct MHD_Response *front_reader_response(struct request *rq, uint64_t size,
	    size_t block, MHD_ContentReaderCallback reader);

/** A body-less answer to HEAD that still says Content-Length: SIZE. */
struct MHD_Response *front_head_response(struct request *rq, uint64_t size);

/* --- proxy.c ------------------------------------------------------------ */

/* What a phase function tells the loop in proxy.c's advance(). */
enum { S_NEXT = 0, S_PARKED, S_DONE, S_FAIL };

/** Drive RQ one step; the MHD access handler's body. */
enum MHD_Result proxy_step(struct request *rq, const char *data,
	    size_t *size);

/*
 * Helpers the proxy*.c files share; they were static while proxy.c was
 * a single file.
 */

/** Is RQ's method M ("GET", "HEAD", ...)? */
int	 proxy_is_method(const struct request *rq, const char *m);
/** A queued answer's MHD result as a phase result: S_DONE, or S_FAIL. */
int	 proxy_done(enum MHD_Result r);
/** The client's request header NAME (borrowed from MHD), or NULL. */
const char *proxy_hdr(struct request *rq, const char *name);
/** Does RQ's upstream use regwarden's own credentials (not pass-through)? */
int	 proxy_credentials_mode(const struct request *rq);

/** Answer with a full message (already "regwarden: ..."), detail JSON. */
enum MHD_Result front_refuse(struct request *rq, unsigned status,
	    const char *code, const char *message, const char *detail_json);

/* --- proxy_auth.c ------------------------------------------------------- */

/**
 * Who the client is (htpasswd, TLS client certificate, or pass-through);
 * fills RQ->identity.  Returns S_NEXT, or S_DONE/S_FAIL with the refusal
 * queued.
 */
int	 proxy_client_auth(struct request *rq);
/** Pass-through mode: did upstream accept RQ's credentials for its
 * repository lately?  Always 1 in credentials mode. */
int	 proxy_authz_ok(struct request *rq);
/** Remember that upstream accepted RQ's credentials (pass-through mode). */
void	 proxy_authz_store(struct request *rq);

/**
 * Start a buffered upstream request on RQ's behalf with RQ's upstream
 * credentials (its token or basic user, or the client's Authorization in
 * pass-through mode).  ACCEPT is a whole "Accept: ..." line or NULL.
 */
struct xfer *proxy_start_aux(struct request *rq, const char *method,
	    const char *url, size_t cap, const char *accept, int follow);

/**
 * Make sure RQ holds upstream credentials before fetching on its own
 * account.  Returns 1 when it switched RQ to the auth phases (which come
 * back to phase NEXT), 0 when it may go ahead.
 */
int	 proxy_need_auth(struct request *rq, int next);

/** PH_PROBE and PH_TOKEN: S_NEXT, S_PARKED, S_DONE or S_FAIL. */
int	 proxy_phase_probe(struct request *rq);
int	 proxy_phase_token(struct request *rq);

/**
 * May a request of route KIND with METHOD be served at all?  The table
 * every request passes before anything goes upstream.
 */
int	 proxy_method_allowed(int kind, const char *method);
/**
 * Is the body of a KIND/METHOD request held in memory and judged (hashed,
 * parsed, admitted by the policy) before it goes upstream?  True for every
 * body sent to a manifest URL.
 */
int	 proxy_body_judged(int kind, const char *method);

/* --- proxy_upstream.c --------------------------------------------------- */

/** Client headers proxy_fwd_wanted may let through, per request shape. */
#define PROXY_FWD_ACCEPT	0x01u
#define PROXY_FWD_RANGE		0x02u
#define PROXY_FWD_CTYPE		0x04u
#define PROXY_FWD_CRANGE	0x08u
#define PROXY_FWD_UA		0x10u
#define PROXY_FWD_AUTHZ		0x20u

/**
 * Does the client's header KEY go upstream for a request whose shape
 * allows WANT (PROXY_FWD_*)?  Never for framing or hop-by-hop headers.
 */
int	 proxy_fwd_wanted(const char *key, unsigned want);

/**
 * The upstream URL for route R (its upstream's base URL, the path for its
 * kind, R->upstream_query) into OUT.  RW_OK, RW_ETOOBIG or RW_EINVAL.
 */
int	 proxy_upstream_url(const struct route *r, char *out, size_t size);

/** PH_SEND and PH_WAIT: S_NEXT, S_PARKED, S_DONE or S_FAIL. */
int	 proxy_phase_send(struct request *rq);
int	 proxy_phase_wait(struct request *rq);

/** Answer 502 with why X failed (else RQ->note); S_DONE or S_FAIL. */
int	 proxy_upstream_unreachable(struct request *rq, struct xfer *x);

/** Relay the upstream's answer in RQ->x (headers rewritten); S_DONE/S_FAIL. */
int	 proxy_answer_upstream(struct request *rq);

/** Account and verify a streamed chunk; returns N or an MHD end code. */
ssize_t	 proxy_stream_chunk(struct request *rq, const char *buf, size_t n);
/** The upstream body failed (or hashed wrong): logs why, END_WITH_ERROR. */
ssize_t	 proxy_stream_failed(struct request *rq);

/* --- proxy_manifest.c --------------------------------------------------- */

/** A pushed manifest in RQ->body: hash, parse, on to PH_DECIDE; or refuse. */
int	 proxy_check_pushed_manifest(struct request *rq);
/**
 * A manifest fetched into RQ->x: verify its digest, cache it, on to
 * PH_DECIDE.  A non-200 answer is relayed as it is.
 */
int	 proxy_answer_fetched_manifest(struct request *rq);
/** RQ->entry, as it is, on to admission (PH_DECIDE); NOTE for the log. */
int	 proxy_answer_entry(struct request *rq, const char *note);
/** After the upstream stored a pushed manifest, keep the verified copy. */
void	 proxy_cache_pushed_manifest(struct request *rq);
/** PH_ANSWER: serve or refuse per RQ->dv; an admitted push goes to PH_SEND. */
int	 proxy_answer_decided(struct request *rq);
/**
 * A GET or HEAD by digest of a denial document this server handed out:
 * refuse it with the verdict it stands for.  Returns S_NEXT when RQ is not
 * one (go on), else what the refusal returned.
 */
int	 proxy_denial_lookup(struct request *rq);

/* --- decide.c ----------------------------------------------------------- */

/** PH_DECIDE: returns S_NEXT (phase moved on), S_PARKED, S_DONE, S_FAIL. */
int	 decide_step(struct request *rq);
void	 decide_cleanup(struct request *rq);
struct policy_holder *decide_policy_acquire(struct server *srv);
void	 decide_policy_release(struct policy_holder *ph);
/**
 * RQ asked for a denial document: record and answer the refusal it stands
 * for (V, on reference REF) as a decision.  S_NEXT (phase PH_ANSWER).
 */
int	 decide_replay_denial(struct request *rq, const struct dverdict *v,
	    const char *ref);
/** The registry host policies name for UP ("docker.io"). */
void	 decide_host(const struct cfg_upstream *up, char *out, size_t size);
/** V's reasons as the audit row's JSON array (malloc'ed), or NULL. */
char	*decide_reasons_json(const struct verdict *v);

/* --- proxy_upload.c ----------------------------------------------------- */

/**
 * An upload request under a push rule with no_secrets: take its session,
 * check the chunk's place, drop a mount.  S_NEXT (go on; RQ->spool says
 * whether its body is kept), or what the refusal returned.
 */
int	 proxy_upload_begin(struct request *rq);
/** Body bytes of a spooled request (all of *SIZE consumed). */
enum MHD_Result proxy_upload_body(struct request *rq, const char *data,
	    size_t *size);
/**
 * The whole body is kept: a request that commits (final PUT, POST
 * ?digest=) is judged now.  S_NEXT to send it, or a refusal in progress
 * (the upstream upload cancelled first: PH_WAIT, then
 * proxy_upload_cancelled).
 */
int	 proxy_upload_check(struct request *rq);
/** Answer the refusal proxy_upload_check decided. */
int	 proxy_upload_cancelled(struct request *rq);
/** The upstream request's body: this request's bytes from the spool. */
void	 proxy_upload_spec(struct request *rq, struct xfer_spec *s);
/** The upstream answered STATUS: commit or end the session. */
void	 proxy_upload_answered(struct request *rq, long status);
void	 proxy_upload_cleanup(struct request *rq);

/** Release per-request proxy state (transfers, cache entries). */
void	 proxy_cleanup(struct request *rq);

/* --- proxy_offline.c ---------------------------------------------------- */

/** RQ's tag was admitted as RQ->digest for TTL seconds: remember it. */
void	 proxy_offline_note(struct request *rq, const char *tag, int ttl);
/**
 * The upstream is down and RQ asks for a manifest by tag: when a pin or a
 * tag verdict still within its TTL names a digest whose verified manifest
 * is cached, RQ goes on to admission with it (returns 1); else 0.
 */
int	 proxy_offline_manifest(struct request *rq);
/** RQ's tag was just fetched as RQ->digest: remember it as a hint. */
void	 proxy_tag_hint_put(struct request *rq);
/** The digest RQ's tag was last fetched as into OUT; 1 if one is known. */
int	 proxy_tag_hint_get(struct request *rq, char out[RW_DIGEST_MAX]);
/**
 * A manifest by DIGEST from the cache for RQ, when RQ's client may have it
 * and accepts its type: on to PH_DECIDE (returns 1); else 0 (proxy.c).
 */
int	 proxy_cached_manifest(struct request *rq, const char *digest);

/* --- proxy_blob.c ------------------------------------------------------- */

/**
 * One byte range of a SIZE-byte blob from Range header H (NULL: none):
 * 1 with [*FROM, *TO] inclusive, 0 for the whole blob (none, or several
 * ranges), -1 when it cannot be satisfied (416).
 */
int	 proxy_blob_range(const char *h, uint64_t size, uint64_t *from,
	    uint64_t *to);
/**
 * A blob GET the gate let through: a hit or a follower goes to PH_CACHE,
 * a miss may become the blob's writer (RQ->cwr) and goes upstream.
 * Returns S_NEXT.
 */
int	 proxy_blob_begin(struct request *rq);
/** PH_CACHE: S_PARKED, S_NEXT (fetch it ourselves), S_DONE or S_FAIL. */
int	 proxy_phase_cache(struct request *rq);
/** The upstream answered a blob GET with STATUS and length LEN. */
void	 proxy_blob_upstream_answer(struct request *rq, long status,
	    uint64_t len);
/** N bytes of a blob from upstream on their way to the client. */
void	 proxy_blob_tee(struct request *rq, const char *buf, size_t n);
/** RQ ended (COMPLETED: sent whole): commit or drop its copy, release. */
void	 proxy_blob_done(struct request *rq, int completed);
/*
 * scan_shared.c: one scanner run per digest across every replica sharing
 * SRV->db (claims in the database), hooked into SRV->scanner; free after
 * the scanner.  RW_OK or RW_ENOMEM.
 */
struct scan_shared;
int	 scan_shared_attach(struct server *srv);
void	 scan_shared_free(struct scan_shared *c);

#endif /* RW_SERVER_INTERNAL_H */
