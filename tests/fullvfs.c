/* fullvfs.c - an SQLite VFS whose disk fills up or stalls on demand (tests only). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fullvfs.h"

#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

/* Our file, then the default VFS's file in the same allocation. */
struct ffile {
	sqlite3_file	 base;
	sqlite3_file	*real;
};

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cv = PTHREAD_COND_INITIALIZER;
static sqlite3_vfs	 vfs, *orig;
static int		 full, stall, stalled;	/* full: an SQLite code or 0 */
static unsigned		 refused;

#define REAL(f)	(((struct ffile *)(f))->real)
#define FWD(f)	(REAL(f)->pMethods)

static int
f_close(sqlite3_file *f)
{
	return FWD(f)->xClose(REAL(f));
}

static int
f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return FWD(f)->xRead(REAL(f), buf, amt, off);
}

static int
f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	sqlite3_int64 size = 0;

	pthread_mutex_lock(&mu);
	while (stall) {
		stalled++;
		pthread_cond_broadcast(&cv);
		pthread_cond_wait(&cv, &mu);
		stalled--;
	}
	if (full != 0 && FWD(f)->xFileSize(REAL(f), &size) == SQLITE_OK &&
	    off + amt > size) {
		refused++;
		pthread_mutex_unlock(&mu);
		return full;
	}
	pthread_mutex_unlock(&mu);
	return FWD(f)->xWrite(REAL(f), buf, amt, off);
}

static int
f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return FWD(f)->xTruncate(REAL(f), size);
}

static int
f_sync(sqlite3_file *f, int flags)
{
	return FWD(f)->xSync(REAL(f), flags);
}

static int
f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return FWD(f)->xFileSize(REAL(f), size);
}

static int
f_lock(sqlite3_file *f, int l)
{
	return FWD(f)->xLock(REAL(f), l);
}

static int
f_unlock(sqlite3_file *f, int l)
{
	return FWD(f)->xUnlock(REAL(f), l);
}

static int
f_reserved(sqlite3_file *f, int *out)
{
	return FWD(f)->xCheckReservedLock(REAL(f), out);
}

static int
f_control(sqlite3_file *f, int op, void *arg)
{
	return FWD(f)->xFileControl(REAL(f), op, arg);
}

static int
f_sector(sqlite3_file *f)
{
	return FWD(f)->xSectorSize(REAL(f));
}

static int
f_devchar(sqlite3_file *f)
{
	return FWD(f)->xDeviceCharacteristics(REAL(f));
}

static int
f_shmmap(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return FWD(f)->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int
f_shmlock(sqlite3_file *f, int off, int n, int flags)
{
	return FWD(f)->xShmLock(REAL(f), off, n, flags);
}

static void
f_shmbarrier(sqlite3_file *f)
{
	FWD(f)->xShmBarrier(REAL(f));
}

static int
f_shmunmap(sqlite3_file *f, int del)
{
	return FWD(f)->xShmUnmap(REAL(f), del);
}

static int
f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return FWD(f)->xFetch(REAL(f), off, amt, pp);
}

static int
f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return FWD(f)->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods methods = {
	3, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock,
	f_unlock, f_reserved, f_control, f_sector, f_devchar, f_shmmap,
	f_shmlock, f_shmbarrier, f_shmunmap, f_fetch, f_unfetch,
};

static int
v_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags,
    int *out)
{
	struct ffile *ff = (struct ffile *)f;
	int rc;

	(void)v;
	ff->real = (sqlite3_file *)(ff + 1);
	memset(ff->real, 0, (size_t)orig->szOsFile);
	rc = orig->xOpen(orig, name, ff->real, flags, out);
	/* SQLite closes a file whose pMethods is set, even after a failure. */
	ff->base.pMethods = ff->real->pMethods != NULL ? &methods : NULL;
	return rc;
}

void
fullvfs_install(void)
{
	pthread_mutex_lock(&mu);
	if (orig == NULL) {
		orig = sqlite3_vfs_find(NULL);
		vfs = *orig;
		vfs.zName = "rw-test-full";
		vfs.szOsFile = (int)sizeof(struct ffile) + orig->szOsFile;
		vfs.xOpen = v_open;
		sqlite3_vfs_register(&vfs, 1);
	}
	pthread_mutex_unlock(&mu);
}

void
fullvfs_set(enum fullvfs_fault fault)
{
	pthread_mutex_lock(&mu);
	full = fault == FULLVFS_NOSPACE ? SQLITE_FULL :
	    fault == FULLVFS_BUSY ? SQLITE_BUSY : 0;
	pthread_mutex_unlock(&mu);
}

unsigned
fullvfs_refused(void)
{
	unsigned n;

	pthread_mutex_lock(&mu);
	n = refused;
	pthread_mutex_unlock(&mu);
	return n;
}

void
fullvfs_stall(int on)
{
	pthread_mutex_lock(&mu);
	stall = on;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

void
fullvfs_wait_stalled(void)
{
	pthread_mutex_lock(&mu);
	while (stalled == 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}
