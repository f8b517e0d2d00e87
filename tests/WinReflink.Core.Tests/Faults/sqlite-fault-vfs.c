/*
 * A fault-injecting SQLite VFS for the metadata fault sweep (SqliteFaultVfs.cs builds and loads it).
 *
 * It wraps the "unix" VFS of the e_sqlite3 library the test process has already loaded (the one
 * Microsoft.Data.Sqlite calls), registers itself as the default VFS, and passes every call through.
 * While armed, it counts xWrite, xSync and xTruncate on files whose path starts with a prefix (one
 * volume folder), and fails the Nth call of one kind (or the Nth and every later one) with a chosen
 * SQLite error, doing nothing: the host's EIO or ENOSPC as SQLite would see it. The test drives it through the exported wrl_fault_*
 * functions.
 *
 * Only types and constants come from <sqlite3.h>: the two entry points are looked up in the loaded
 * library, so this never links a second SQLite into the process.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

enum { SITE_WRITE = 0, SITE_SYNC = 1, SITE_TRUNCATE = 2, SITES = 3 };

typedef struct FaultFile {
    sqlite3_file base;
    /* Valid until xClose (SQLite's promise for the name given to xOpen); NULL for temporary files. */
    const char *path;
    /* The real file follows this struct, in the same allocation (szOsFile covers both). */
    sqlite3_file *real;
} FaultFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char prefix[4096];
static int armed;
static int counts[SITES];
static int fail_site = -1;
static int fail_at;
static int fail_error;
static int fail_on;
static int fired;
static char last_error[512];

/* Whether this call is the one to fail; counts it when its file is in the armed folder. */
static int should_fail(FaultFile *f, int site)
{
    int fail = 0;
    pthread_mutex_lock(&lock);
    if (armed && f->path != NULL && strncmp(f->path, prefix, strlen(prefix)) == 0) {
        counts[site]++;
        if (site == fail_site && fail_at > 0 && (counts[site] == fail_at || (fail_on && counts[site] > fail_at))) {
            fired = 1;
            fail = 1;
        }
    }
    pthread_mutex_unlock(&lock);
    return fail;
}

static int f_close(sqlite3_file *file)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xClose(f->real);
}

static int f_read(sqlite3_file *file, void *buf, int amount, sqlite3_int64 offset)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xRead(f->real, buf, amount, offset);
}

static int f_write(sqlite3_file *file, const void *buf, int amount, sqlite3_int64 offset)
{
    FaultFile *f = (FaultFile *)file;
    if (should_fail(f, SITE_WRITE)) {
        return fail_error;
    }
    return f->real->pMethods->xWrite(f->real, buf, amount, offset);
}

static int f_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    FaultFile *f = (FaultFile *)file;
    if (should_fail(f, SITE_TRUNCATE)) {
        return fail_error;
    }
    return f->real->pMethods->xTruncate(f->real, size);
}

static int f_sync(sqlite3_file *file, int flags)
{
    FaultFile *f = (FaultFile *)file;
    if (should_fail(f, SITE_SYNC)) {
        return fail_error;
    }
    return f->real->pMethods->xSync(f->real, flags);
}

static int f_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int f_lock(sqlite3_file *file, int level)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int f_unlock(sqlite3_file *file, int level)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int f_check_reserved_lock(sqlite3_file *file, int *out)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int f_file_control(sqlite3_file *file, int op, void *arg)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int f_sector_size(sqlite3_file *file)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int f_device_characteristics(sqlite3_file *file)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* WAL's shared-memory index: mapped memory, not writes; passed through. */
static int f_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    FaultFile *f = (FaultFile *)file;
    if (f->real->pMethods->iVersion < 2 || f->real->pMethods->xShmMap == NULL) {
        return SQLITE_IOERR_SHMMAP;
    }
    return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

static int f_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *file)
{
    FaultFile *f = (FaultFile *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int f_shm_unmap(sqlite3_file *file, int delete_flag)
{
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int f_fetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    FaultFile *f = (FaultFile *)file;
    if (f->real->pMethods->iVersion < 3 || f->real->pMethods->xFetch == NULL) {
        *out = NULL;
        return SQLITE_OK;
    }
    return f->real->pMethods->xFetch(f->real, offset, amount, out);
}

static int f_unfetch(sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    FaultFile *f = (FaultFile *)file;
    if (f->real->pMethods->iVersion < 3 || f->real->pMethods->xUnfetch == NULL) {
        return SQLITE_OK;
    }
    return f->real->pMethods->xUnfetch(f->real, offset, page);
}

static const sqlite3_io_methods fault_methods = {
    3,
    f_close,
    f_read,
    f_write,
    f_truncate,
    f_sync,
    f_file_size,
    f_lock,
    f_unlock,
    f_check_reserved_lock,
    f_file_control,
    f_sector_size,
    f_device_characteristics,
    f_shm_map,
    f_shm_lock,
    f_shm_barrier,
    f_shm_unmap,
    f_fetch,
    f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
    (void)vfs;
    FaultFile *f = (FaultFile *)file;
    f->path = name;
    f->real = (sqlite3_file *)(f + 1);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    /* SQLite calls xClose exactly when pMethods is set, even after a failed open. */
    f->base.pMethods = f->real->pMethods != NULL ? &fault_methods : NULL;
    return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, size, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, size, out);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, handle, symbol);
}

static void v_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, handle);
}

static int v_randomness(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, size, out);
}

static int v_sleep(sqlite3_vfs *vfs, int microseconds)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, microseconds);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, size, out);
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static int v_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr call)
{
    (void)vfs;
    return real_vfs->xSetSystemCall(real_vfs, name, call);
}

static sqlite3_syscall_ptr v_get_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xGetSystemCall(real_vfs, name);
}

static const char *v_next_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xNextSystemCall(real_vfs, name);
}

/*
 * Registers the VFS as the default of the e_sqlite3 library loaded from `library` (it must already
 * be loaded: RTLD_NOLOAD). 0 on success, or -1 with the reason in wrl_fault_last_error().
 * Installing twice is harmless.
 */
int wrl_fault_install(const char *library)
{
    if (real_vfs != NULL) {
        return 0;
    }
    void *handle = dlopen(library, RTLD_NOLOAD | RTLD_NOW);
    if (handle == NULL) {
        snprintf(last_error, sizeof last_error, "%s is not loaded in this process: %s", library, dlerror());
        return -1;
    }
    sqlite3_vfs *(*find)(const char *) = (sqlite3_vfs * (*)(const char *)) dlsym(handle, "sqlite3_vfs_find");
    int (*reg)(sqlite3_vfs *, int) = (int (*)(sqlite3_vfs *, int))dlsym(handle, "sqlite3_vfs_register");
    if (find == NULL || reg == NULL) {
        snprintf(last_error, sizeof last_error, "%s does not export sqlite3_vfs_find and sqlite3_vfs_register", library);
        return -1;
    }
    sqlite3_vfs *unix_vfs = find("unix");
    if (unix_vfs == NULL || unix_vfs->iVersion < 3) {
        snprintf(last_error, sizeof last_error, "%s has no \"unix\" VFS of version 3", library);
        return -1;
    }
    real_vfs = unix_vfs;
    fault_vfs = (sqlite3_vfs){
        .iVersion = 3,
        .szOsFile = (int)sizeof(FaultFile) + unix_vfs->szOsFile,
        .mxPathname = unix_vfs->mxPathname,
        .zName = "wrl-fault",
        .xOpen = v_open,
        .xDelete = v_delete,
        .xAccess = v_access,
        .xFullPathname = v_full_pathname,
        .xDlOpen = v_dl_open,
        .xDlError = v_dl_error,
        .xDlSym = v_dl_sym,
        .xDlClose = v_dl_close,
        .xRandomness = v_randomness,
        .xSleep = v_sleep,
        .xCurrentTime = v_current_time,
        .xGetLastError = v_get_last_error,
        .xCurrentTimeInt64 = v_current_time_int64,
        .xSetSystemCall = v_set_system_call,
        .xGetSystemCall = v_get_system_call,
        .xNextSystemCall = v_next_system_call,
    };
    int rc = reg(&fault_vfs, 1);
    if (rc != SQLITE_OK) {
        snprintf(last_error, sizeof last_error, "sqlite3_vfs_register failed with %d", rc);
        real_vfs = NULL;
        return -1;
    }
    return 0;
}

const char *wrl_fault_last_error(void)
{
    return last_error;
}

/*
 * Counts calls on files under `folder` from now on (counts start at 0) and fails the `at`-th call
 * of `site` (0 write, 1 sync, 2 truncate) with `error`, and with `persist` every later one too (a
 * disk that stays full or broken); `at` 0 only counts.
 */
void wrl_fault_arm(const char *folder, int site, int at, int error, int persist)
{
    pthread_mutex_lock(&lock);
    snprintf(prefix, sizeof prefix, "%s", folder);
    memset(counts, 0, sizeof counts);
    fail_site = site;
    fail_at = at;
    fail_error = error;
    fail_on = persist;
    fired = 0;
    armed = 1;
    pthread_mutex_unlock(&lock);
}

/* Stops counting and injecting; the counts stay readable. */
void wrl_fault_disarm(void)
{
    pthread_mutex_lock(&lock);
    armed = 0;
    pthread_mutex_unlock(&lock);
}

int wrl_fault_count(int site)
{
    pthread_mutex_lock(&lock);
    int n = site >= 0 && site < SITES ? counts[site] : -1;
    pthread_mutex_unlock(&lock);
    return n;
}

int wrl_fault_fired(void)
{
    pthread_mutex_lock(&lock);
    int f = fired;
    pthread_mutex_unlock(&lock);
    return f;
}
