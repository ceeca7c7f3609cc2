/*
 * tls.h - the listener's certificate and private key: load them, or create
 * a self-signed pair on first start.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The only code in regwarden that reads private keys (style.md §1).  It runs
 * at startup and on reload, before privileges are dropped, and does file
 * I/O and key generation, so it is not for worker threads.  It keeps no
 * global state: calls filling different outputs may run concurrently.
 * libmicrohttpd takes the certificate and key as PEM text in memory, so
 * that is what struct tls_material holds; the key is wiped by
 * tls_material_cleanup().  Never logs; errors go to the caller's rw_err.
 */
#ifndef RW_TLS_H
#define RW_TLS_H

#include <stddef.h>

#include "util/util.h"

/* "AB:CD:...": SHA-256 as 32 upper-case hex pairs joined by ':'. */
#define TLS_FINGERPRINT_LEN	95

/* Lifetime of a created certificate, in days (Apple's maximum). */
#define TLS_CREATED_DAYS	825

/* At most this many names in a created certificate (tls.self_signed_names). */
#define TLS_NAMES_MAX		16
/* Room for the names as text: "DNS:a,IP:b", each name at most 253 bytes. */
#define TLS_NAMES_TEXT		(TLS_NAMES_MAX * 260)

/*
 * Filled by tls_load_or_create.  The caller may read every field; it owns
 * the strings through the struct and releases them all with
 * tls_material_cleanup.
 */
struct tls_material {
	char	*cert_pem;	/* PEM, NUL-terminated: leaf first, then chain */
	char	*key_pem;	/* PKCS#8 PEM, NUL-terminated; secret */
	size_t	 key_pem_len;	/* strlen(key_pem) */
	char	 fingerprint[TLS_FINGERPRINT_LEN + 1];	/* of the leaf's DER */
	char	*cert_path;	/* the files used */
	char	*key_path;
	long	 not_after;	/* leaf expiry, unix seconds */
	int	 created;	/* 1 when this call generated the pair */
	int	 renamed;	/* 1 when it replaced a pair with other names */
	/* The leaf's subjectAltName, "DNS:localhost,IP:127.0.0.1" ("" if none). */
	char	 names[TLS_NAMES_TEXT];
};

/**
 * Get the listener's certificate and key.
 *
 * With CERT_PATH and KEY_PATH (both or neither): read both PEM files.  The
 * certificate file may hold a chain, leaf first.  The key file must not be
 * accessible by group or others, and must not be encrypted.  The key must
 * match the leaf.
 *
 * Without them: use STATE_DIR/tls/cert.pem and key.pem, creating STATE_DIR
 * and STATE_DIR/tls (mode 0700) and a new pair when key.pem is absent: an
 * EC P-256 key (written 0600) and a self-signed X.509v3 certificate
 * (0644), CN=regwarden, valid from an hour ago for TLS_CREATED_DAYS days,
 * random 128-bit serial, SAN DNS:localhost, IP:127.0.0.1, IP:::1 and the
 * machine's host name, or exactly the NNAMES NAMES when NNAMES > 0 (DNS
 * names and IP literals, as config "tls.self_signed_names" checked them,
 * IPs in inet_ntop form; at most TLS_NAMES_MAX).  With NAMES, a pair found
 * in STATE_DIR whose certificate names anything else is replaced by a new
 * one (RENAMED set), so that editing the list takes effect at the next
 * start.  The certificate is marked CA:TRUE (pathlen 0,
 * keyUsage digitalSignature and keyCertSign, extendedKeyUsage serverAuth)
 * so that runtimes given it as their CA file (containerd's hosts.toml
 * `ca`) accept it as its own root; name constraints limited to its own
 * names keep it from vouching for any other host should the key leak.
 * Files are written to a temporary name and renamed, cert.pem before
 * key.pem, so an interrupted creation is redone on the next start.  A
 * key.pem without cert.pem is an error rather than being replaced.
 *
 * Returns RW_OK and fills *OUT (release with tls_material_cleanup).  On
 * error *OUT is left empty and ERR says which file and why: RW_ECONFIG
 * (only one path given, no state directory), RW_EPERM (`PATH: mode 0644 is
 * too open: it must not be accessible by group or others (chmod 600)`),
 * RW_EIO, RW_ETOOBIG (a file over 1 MiB), RW_ECRYPTO (unreadable PEM,
 * encrypted key, key does not match certificate) or RW_ENOMEM.
 */
int	 tls_load_or_create(const char *cert_path, const char *key_path,
	    const char *state_dir, char *const *names, size_t nnames,
	    struct tls_material *out, struct rw_err *err);

/** Wipe the key, free every string and clear *M.  NULL and {0} are fine. */
void	 tls_material_cleanup(struct tls_material *m);

/**
 * Read the PEM bundle of CAs that sign client certificates (tls.client_ca)
 * into *PEM (NUL-terminated, caller frees).  RW_OK, or RW_EIO / RW_ETOOBIG
 * / RW_ECRYPTO (no certificate in it) with ERR naming the file.
 */
int	 tls_read_client_ca(const char *path, char **pem, struct rw_err *err);

/*
 * The listener's GnuTLS priority string unless tls.priorities overrides it:
 * GnuTLS's NORMAL cipher choice with TLS 1.2 and 1.3 only (NORMAL alone
 * also offers TLS 1.0 and 1.1).
 */
#define TLS_PRIORITIES_DEFAULT	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/**
 * Check that GnuTLS accepts PRIORITIES as a priority string (it must
 * enable at least one protocol version).  RW_OK, or RW_ECONFIG with ERR
 * saying where GnuTLS stopped and why, e.g. `GnuTLS rejects this priority
 * string at "+FOO": The request is invalid`.
 */
int	 tls_check_priorities(const char *priorities, struct rw_err *err);

/**
 * The identity of a client that presented a certificate which verified
 * against tls.client_ca: "cert:<subject DN>" into OUT.  SESSION is the
 * connection's gnutls_session_t (libmicrohttpd's
 * MHD_CONNECTION_INFO_GNUTLS_SESSION).  Returns 1 with OUT filled, 0 when
 * the client presented none or it did not verify (OUT empty).
 */
int	 tls_client_identity(void *session, char *out, size_t size);

#endif /* RW_TLS_H */
