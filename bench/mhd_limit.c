/* mhd_limit.c - the TLS limit for bench/cache.sh: libmicrohttpd with TLS sending one blob from memory. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage: mhd_limit PORT CERT KEY MIB
 * Answers every GET with MIB MiB of zero bytes from one buffer (no copy
 * besides MHD's own into TLS records), with the thread-pool and epoll
 * settings regwarden's front uses, until killed.  What no proxy serving
 * from disk through libmicrohttpd can beat.
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char	*blob;
static size_t	 blob_len;

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	b = calloc(1, (size_t)n + 1);
	if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ctx)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	(void)upload_size;
	if (*ctx == NULL) {
		*ctx = c;	/* answer on the second call, as regwarden does */
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(blob_len, blob,
	    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	char *cert, *key;
	sigset_t s;
	int sig;

	if (argc != 5)
		return 2;
	cert = slurp(argv[2]);
	key = slurp(argv[3]);
	blob_len = (size_t)strtoul(argv[4], NULL, 10) << 20;
	blob = calloc(1, blob_len);
	if (cert == NULL || key == NULL || blob == NULL)
		return 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_TLS | MHD_USE_TURBO, (uint16_t)atoi(argv[1]), NULL, NULL,
	    answer, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_THREAD_POOL_SIZE, 4u,
	    MHD_OPTION_END);
	if (d == NULL)
		return 1;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigprocmask(SIG_BLOCK, &s, NULL);
	sigwait(&s, &sig);
	MHD_stop_daemon(d);
	return 0;
}
