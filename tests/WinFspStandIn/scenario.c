/* Reads scenarios.txt (its header documents the language) and plays each step as the Windows I/O
 * manager, the WinFsp driver and the WinFsp DLL together would: the request sequences of
 * reference section 3, through the host's real callbacks, checking every answer. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "platform.h"
#include "standin.h"

#define MAX_HANDLES 16
#define MAX_WORDS 16
#define PATH_CHARS 1024
#define NORMALIZED_CAPACITY (16384 - 128) /* what the DLL offers (reference 2.4) */
#define NORMALIZED_USED_MAX 2048          /* what the FSD accepts */
#define SD_FIRST_BUFFER 1024              /* GetSecurityByName's first buffer (reference 3.3) */

typedef struct {
    int used;
    void *ctx;                 /* the host's per-handle value (UmFileContextIsUserContext2) */
    char path[PATH_CHARS];     /* the normalized name when the host gave one */
    uint32_t access;
    int is_dir;
    int modified;
    int size_changed;
    int delete_pending;
    int posix_delete;
} handle;

typedef struct {
    char name[128];
    char ntfs[512];
    int step;
    int failed;
    char why[1024];
    handle handles[MAX_HANDLES];
    char handle_names[MAX_HANDLES][16];
    uint64_t token;
    uint64_t free_mark;        /* the volume's FreeSize when "volinfo mark" last ran */
    int have_free_mark;
    uint64_t figure_mark;      /* the info JSON's figure when "figure H KEY mark" last ran */
    int have_figure_mark;
} run;

typedef struct { const char *name; NTSTATUS32 value; } status_name;

static const status_name STATUSES[] = {
    { "SUCCESS", ST_SUCCESS }, { "BUFFER_OVERFLOW", ST_BUFFER_OVERFLOW }, { "INVALID_HANDLE", ST_INVALID_HANDLE },
    { "INVALID_PARAMETER", ST_INVALID_PARAMETER }, { "INVALID_DEVICE_REQUEST", ST_INVALID_DEVICE_REQUEST },
    { "END_OF_FILE", ST_END_OF_FILE }, { "ACCESS_DENIED", ST_ACCESS_DENIED }, { "BUFFER_TOO_SMALL", ST_BUFFER_TOO_SMALL },
    { "OBJECT_NAME_INVALID", ST_OBJECT_NAME_INVALID }, { "OBJECT_NAME_NOT_FOUND", ST_OBJECT_NAME_NOT_FOUND },
    { "OBJECT_NAME_COLLISION", ST_OBJECT_NAME_COLLISION }, { "OBJECT_PATH_NOT_FOUND", ST_OBJECT_PATH_NOT_FOUND },
    { "DELETE_PENDING", ST_DELETE_PENDING }, { "FILE_IS_A_DIRECTORY", ST_FILE_IS_A_DIRECTORY },
    { "NOT_SUPPORTED", ST_NOT_SUPPORTED }, { "DIRECTORY_NOT_EMPTY", ST_DIRECTORY_NOT_EMPTY },
    { "NOT_A_DIRECTORY", ST_NOT_A_DIRECTORY }, { "CANNOT_DELETE", ST_CANNOT_DELETE },
    { "INVALID_BUFFER_SIZE", ST_INVALID_BUFFER_SIZE }, { "INSUFFICIENT_RESOURCES", ST_INSUFFICIENT_RESOURCES },
};

static const char *status_text(NTSTATUS32 st)
{
    static char buf[32];
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
        if (STATUSES[i].value == st)
            return STATUSES[i].name;
    snprintf(buf, sizeof buf, "0x%08X", (unsigned)st);
    return buf;
}

static int status_parse(const char *text, NTSTATUS32 *st)
{
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
        if (strcmp(STATUSES[i].name, text) == 0) { *st = STATUSES[i].value; return 1; }
    if (strncmp(text, "0x", 2) == 0) { *st = (NTSTATUS32)strtoul(text, NULL, 16); return 1; }
    return 0;
}

/* 123, 0x1F, 4K, 1M, 1G (binary units). */
static uint64_t number(const char *text)
{
    char *end;
    uint64_t v = strtoull(text, &end, 0);
    switch (*end) { case 'K': v <<= 10; break; case 'M': v <<= 20; break; case 'G': v <<= 30; break; default: break; }
    return v;
}

/* The bytes a write with SEED puts at file offset OFF, so reads can check any range: splitmix64 of
 * (SEED, OFF / 8), so no two 4 KiB blocks of any seeds and offsets repeat each other. A pattern that
 * repeated (every 251 bytes, as it once did) would let copy recognition share a file's blocks with
 * its own and a copy's with the wrong ones, where real files rarely repeat a block. */
static uint8_t pattern(uint32_t seed, uint64_t off)
{
    uint64_t x = ((uint64_t)seed << 48 ^ off >> 3) + 0x9E3779B97F4A7C15ull;
    x = (x ^ x >> 30) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ x >> 27) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (uint8_t)(x >> ((off & 7) * 8));
}

static int fail(run *r, const char *fmt, const char *a, const char *b)
{
    if (!r->failed)
    {
        r->failed = 1;
        char detail[900];
        snprintf(detail, sizeof detail, fmt, a, b);
        snprintf(r->why, sizeof r->why, "step %d: %s", r->step, detail);
    }
    return 0;
}

static int expect_status(run *r, NTSTATUS32 want, NTSTATUS32 got)
{
    if (want == got)
        return 1;
    char w[40];
    snprintf(w, sizeof w, "%s", status_text(want));
    return fail(r, "expected %s got %s", w, status_text(got));
}

static int expect_u64(run *r, const char *what, uint64_t want, uint64_t got)
{
    if (want == got)
        return 1;
    char a[96], b[48];
    snprintf(a, sizeof a, "%s=%llu", what, (unsigned long long)want);
    snprintf(b, sizeof b, "%llu", (unsigned long long)got);
    return fail(r, "expected %s got %s", a, b);
}

static int expect_text(run *r, const char *what, const char *want, const char *got)
{
    if (strcmp(want, got) == 0)
        return 1;
    char a[600];
    snprintf(a, sizeof a, "%s=%s", what, want);
    return fail(r, "expected %s got %s", a, got);
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

static handle *find_handle(run *r, const char *name, int create)
{
    for (int i = 0; i < MAX_HANDLES; i++)
        if (r->handles[i].used && strcmp(r->handle_names[i], name) == 0)
            return &r->handles[i];
    if (!create)
    {
        fail(r, "no open handle %s%s", name, "");
        return NULL;
    }
    for (int i = 0; i < MAX_HANDLES; i++)
        if (!r->handles[i].used)
        {
            memset(&r->handles[i], 0, sizeof r->handles[i]);
            snprintf(r->handle_names[i], sizeof r->handle_names[i], "%s", name);
            return &r->handles[i];
        }
    fail(r, "too many handles%s%s", "", "");
    return NULL;
}

/* key=value words after "=>" */
static const char *option(char **words, int n, const char *key)
{
    size_t k = strlen(key);
    for (int i = 0; i < n; i++)
        if (strncmp(words[i], key, k) == 0 && words[i][k] == '=')
            return words[i] + k + 1;
    return NULL;
}

static int flag(char **words, int n, const char *word)
{
    for (int i = 0; i < n; i++)
        if (strcmp(words[i], word) == 0)
            return 1;
    return 0;
}

static void to_wide(WCHAR16 *out, const char *path) { utf16_from_utf8(out, PATH_CHARS, path); }

static FSP_FILE_SYSTEM *FS(void) { return g_volume.fs; }
static const FSP_FILE_SYSTEM_INTERFACE *IF(void) { return g_volume.iface; }

/* GetSecurityByName with the DLL's buffer protocol: 1024 bytes, again with the size asked for after
 * STATUS_BUFFER_OVERFLOW (reference 3.3). */
static NTSTATUS32 security_by_name(const char *path, uint32_t *attributes, uint8_t **sd, size_t *size, int *overflowed)
{
    WCHAR16 name[PATH_CHARS];
    to_wide(name, path);
    *size = SD_FIRST_BUFFER;
    *sd = malloc(SD_FIRST_BUFFER);
    *overflowed = 0;
    NTSTATUS32 st = IF()->GetSecurityByName(FS(), name, attributes, *sd, size);
    if (st == ST_BUFFER_OVERFLOW)
    {
        *overflowed = 1;
        free(*sd);
        *sd = malloc(*size);
        st = IF()->GetSecurityByName(FS(), name, attributes, *sd, size);
    }
    return st;
}

static void parent_of(const char *path, char *out)
{
    snprintf(out, PATH_CHARS, "%s", path);
    char *slash = strrchr(out, '\\');
    if (slash == out)
        out[1] = 0;
    else if (slash != NULL)
        *slash = 0;
}

static uint32_t access_of(const char *text)
{
    if (text == NULL) return FILE_ALL_ACCESS;
    uint32_t a = 0x00100080u; /* SYNCHRONIZE | FILE_READ_ATTRIBUTES */
    if (strchr(text, 'r')) a |= 0x00120089u;
    if (strchr(text, 'w')) a |= 0x00120116u;
    if (strchr(text, 'd')) a |= DELETE_ACCESS;
    return a;
}

static int path_open_elsewhere(run *r, const handle *self, const char *path, int pending_only)
{
    for (int i = 0; i < MAX_HANDLES; i++)
        if (r->handles[i].used && &r->handles[i] != self && ieq(r->handles[i].path, path)
            && (!pending_only || (r->handles[i].delete_pending && !r->handles[i].posix_delete)))
            return 1;
    return 0;
}

static NTSTATUS32 check_security(const char *path, uint32_t *attributes)
{
    uint8_t *sd;
    size_t size;
    int overflowed;
    NTSTATUS32 st = security_by_name(path, attributes, &sd, &size, &overflowed);
    free(sd);
    return st;
}

/* open H PATH DISPOSITION [dir|file] [access=..] [attr=HEX] [sd=NAME] => STATUS [name=] [size=] [attr=] */
static NTSTATUS32 do_open(run *r, handle *h, const char *path, uint32_t disposition, char **args, int nargs, FSP_FSCTL_OPEN_FILE_INFO *ofi)
{
    uint32_t options = 0;
    if (flag(args, nargs, "dir")) options |= FILE_DIRECTORY_FILE;
    if (flag(args, nargs, "file")) options |= FILE_NON_DIRECTORY_FILE;
    uint32_t create_options = (disposition << 24) | options;
    uint32_t access = access_of(option(args, nargs, "access"));
    const char *attr_text = option(args, nargs, "attr");
    uint32_t attributes = attr_text ? (uint32_t)strtoul(attr_text, NULL, 16) : 0;
    uint8_t sd_buffer[4096];
    void *sd = NULL;
    const char *sd_name = option(args, nargs, "sd");
    if (sd_name != NULL)
    {
        if (strcmp(sd_name, "big") == 0) sd_build(sd_buffer, sizeof sd_buffer, "S-1-5-32-544", "S-1-5-18", 40);
        else sd_build(sd_buffer, sizeof sd_buffer, "S-1-5-32-545", "S-1-5-32-545", 2);
        sd = sd_buffer;
    }
    WCHAR16 name[PATH_CHARS];
    static WCHAR16 normalized[NORMALIZED_CAPACITY / 2];
    to_wide(name, path);

    /* A file whose delete is pending (not POSIX) cannot be opened again: the driver answers. */
    if (path_open_elsewhere(r, h, path, 1))
        return ST_DELETE_PENDING;

    /* The DLL's access check reads the security of the file (open dispositions) or of its parent
     * (create), through GetSecurityByName; the file's attributes decide the directory checks
     * (reference 3.3). Doing those checks here, before Open, is where the stand-in puts them. */
    uint32_t existing = 0;
    int exists = 0;
    NTSTATUS32 st;
    if (disposition != FILE_CREATE)
    {
        st = check_security(path, &existing);
        exists = st == ST_SUCCESS;
        if (!exists && (st != ST_OBJECT_NAME_NOT_FOUND || disposition == FILE_OPEN || disposition == FILE_OVERWRITE))
            return st;
        if (exists && (options & FILE_DIRECTORY_FILE) && !(existing & FILE_ATTRIBUTE_DIRECTORY)) return ST_NOT_A_DIRECTORY;
        if (exists && (options & FILE_NON_DIRECTORY_FILE) && (existing & FILE_ATTRIBUTE_DIRECTORY)) return ST_FILE_IS_A_DIRECTORY;
    }
    if (!exists)
    {
        /* The create check reads the parent: a missing parent is OBJECT_PATH_NOT_FOUND. */
        char parent[PATH_CHARS];
        uint32_t parent_attributes = 0;
        parent_of(path, parent);
        st = check_security(parent, &parent_attributes);
        if (st == ST_OBJECT_NAME_NOT_FOUND) return ST_OBJECT_PATH_NOT_FOUND;
        if (st != ST_SUCCESS) return st;
        if (!(parent_attributes & FILE_ATTRIBUTE_DIRECTORY)) return ST_NOT_A_DIRECTORY;
    }

    memset(ofi, 0, sizeof *ofi);
    ofi->NormalizedName = normalized;
    ofi->NormalizedNameSize = NORMALIZED_CAPACITY;
    void *ctx = NULL;
    int created = 0;
    switch (disposition)
    {
    case FILE_CREATE: /* Create answers OBJECT_NAME_COLLISION itself (reference 3.2) */
        st = IF()->CreateEx(FS(), name, create_options, access, attributes, sd, 0, NULL, 0, 0, &ctx, &ofi->FileInfo);
        created = 1;
        break;
    case FILE_OPEN:
    case FILE_OVERWRITE:
        st = IF()->Open(FS(), name, create_options, access, &ctx, &ofi->FileInfo);
        break;
    default: /* OPEN_IF, OVERWRITE_IF, SUPERSEDE: Open; on OBJECT_NAME_NOT_FOUND, Create (reference 3.2) */
        st = IF()->Open(FS(), name, create_options, access, &ctx, &ofi->FileInfo);
        if (st == ST_OBJECT_NAME_NOT_FOUND)
        {
            ofi->NormalizedNameSize = NORMALIZED_CAPACITY;
            st = IF()->CreateEx(FS(), name, create_options, access, attributes, sd, 0, NULL, 0, 0, &ctx, &ofi->FileInfo);
            created = 1;
        }
        break;
    }
    if (st != ST_SUCCESS)
        return st;
    if (!created && (disposition == FILE_OVERWRITE || disposition == FILE_OVERWRITE_IF || disposition == FILE_SUPERSEDE))
    {
        uint16_t keep = ofi->NormalizedNameSize;
        st = IF()->OverwriteEx(FS(), ctx, attributes, disposition == FILE_SUPERSEDE, 0, NULL, 0, &ofi->FileInfo);
        ofi->NormalizedNameSize = keep;
        if (st != ST_SUCCESS)
        {
            IF()->Close(FS(), ctx); /* the DLL closes a context whose Overwrite failed */
            return st;
        }
        h->modified = 1;
    }
    h->used = 1;
    h->ctx = ctx;
    h->access = access;
    h->is_dir = (ofi->FileInfo.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    if (created) h->modified = 1;
    if (ofi->NormalizedNameSize != NORMALIZED_CAPACITY && ofi->NormalizedNameSize <= NORMALIZED_USED_MAX)
        utf8_from_utf16(h->path, sizeof h->path, normalized, ofi->NormalizedNameSize / 2);
    else
        snprintf(h->path, sizeof h->path, "%s", path);
    return ST_SUCCESS;
}

/* Cleanup (only when modified or deleting: PostCleanupWhenModifiedOnly) then Close. A non-POSIX
 * delete waits for the file's last handle, as NTFS deletes on the last close; which stamp flags
 * the FSD sets on a modified file is a guess (archive bit, last write, change time). */
static void do_close(run *r, handle *h)
{
    uint32_t flags = 0;
    WCHAR16 name[PATH_CHARS];
    if (h->delete_pending)
    {
        if (!h->posix_delete && path_open_elsewhere(r, h, h->path, 0))
        {
            for (int i = 0; i < MAX_HANDLES; i++)
                if (r->handles[i].used && &r->handles[i] != h && ieq(r->handles[i].path, h->path))
                { r->handles[i].delete_pending = 1; break; }
        }
        else
            flags |= FSP_CLEANUP_DELETE;
    }
    if (h->modified && !h->is_dir)
        flags |= FSP_CLEANUP_SET_ARCHIVE_BIT | FSP_CLEANUP_SET_LAST_WRITE | FSP_CLEANUP_SET_CHANGE_TIME;
    if (h->size_changed)
        flags |= FSP_CLEANUP_SET_ALLOCATION;
    to_wide(name, h->path);
    if (flags != 0)
        IF()->Cleanup(FS(), h->ctx, (flags & FSP_CLEANUP_DELETE) ? name : NULL, flags);
    IF()->Close(FS(), h->ctx);
    h->used = 0;
}

static NTSTATUS32 do_list(run *r, handle *h, uint32_t buffer_size, int *count, char **args, int nargs)
{
    uint8_t *buffer = malloc(buffer_size);
    WCHAR16 marker[256];
    int have_marker = 0;
    static char names[1024][256]; /* one dispatcher thread */
    int n = 0;
    for (int round = 0; round < 10000; round++)
    {
        uint32_t bytes = 0;
        NTSTATUS32 st = IF()->ReadDirectory(FS(), h->ctx, NULL, have_marker ? marker : NULL, buffer, buffer_size, &bytes);
        if (st != ST_SUCCESS) { free(buffer); return st; }
        if (bytes == 0) { free(buffer); fail(r, "ReadDirectory returned %s%s", "no bytes and no end marker", ""); return ST_SUCCESS; }
        if (bytes > buffer_size) { free(buffer); fail(r, "ReadDirectory %s%s", "wrote past the buffer", ""); return ST_SUCCESS; }
        uint32_t at = 0;
        int ended = 0;
        while (at + 2 <= bytes)
        {
            FSP_FSCTL_DIR_INFO *d = (FSP_FSCTL_DIR_INFO *)(buffer + at);
            if (d->Size == 0) { ended = 1; break; }
            if (d->Size < sizeof(FSP_FSCTL_DIR_INFO) || at + d->Size > bytes)
            { free(buffer); fail(r, "malformed directory record%s%s", "", ""); return ST_SUCCESS; }
            size_t chars = (d->Size - sizeof(FSP_FSCTL_DIR_INFO)) / 2;
            char utf8[256];
            utf8_from_utf16(utf8, sizeof utf8, d->FileNameBuf, chars);
            for (int i = 0; i < n; i++)
                if (strcmp(names[i], utf8) == 0)
                { free(buffer); fail(r, "%s listed twice (marker not honoured)%s", utf8, ""); return ST_SUCCESS; }
            if (n < 1024) snprintf(names[n++], sizeof names[0], "%s", utf8);
            memcpy(marker, d->FileNameBuf, chars * 2);
            marker[chars] = 0;
            have_marker = 1;
            at += (d->Size + 7u) & ~7u; /* records are 8-byte aligned (reference 2.5) */
        }
        if (ended) break;
    }
    free(buffer);
    *count = n;
    for (int k = 0; k < nargs; k++)
    {
        int has = strncmp(args[k], "has=", 4) == 0, lacks = strncmp(args[k], "lacks=", 6) == 0;
        if (!has && !lacks) continue;
        const char *want = args[k] + (has ? 4 : 6);
        int found = 0;
        for (int i = 0; i < n; i++) found |= strcmp(names[i], want) == 0;
        if (has && !found) fail(r, "expected %s in the listing%s", want, "");
        if (lacks && found) fail(r, "expected no %s in the listing%s", want, "");
    }
    const char *first = option(args, nargs, "first");
    if (first != NULL && (n == 0 || strcmp(names[0], first) != 0))
        fail(r, "expected first=%s got %s", first, n ? names[0] : "(empty)");
    return ST_SUCCESS;
}

/* The FSD's checks before Control reaches the host (reference 4.2) and the I/O manager's access
 * check of the code's access bits against the handle. */
static NTSTATUS32 do_control(handle *h, uint32_t code, const void *in, uint32_t in_length, void *out, uint32_t out_length, uint32_t *bytes)
{
    *bytes = 0;
    if (!(g_volume.params.Flags & VP_DEVICE_CONTROL) || IF()->Control == NULL) return ST_INVALID_DEVICE_REQUEST;
    if (!((code >> 16) & 0x8000) || (code & 3) != 0) return ST_INVALID_DEVICE_REQUEST;
    if (in_length > 4096 || out_length > 4096) return ST_INVALID_BUFFER_SIZE;
    uint32_t needs = (code >> 14) & 3;
    if ((needs & 1) && !(h->access & FILE_READ_DATA)) return ST_ACCESS_DENIED;
    if ((needs & 2) && !(h->access & (FILE_WRITE_DATA | FILE_APPEND_DATA))) return ST_ACCESS_DENIED;
    NTSTATUS32 st = IF()->Control(FS(), h->ctx, code, (void *)in, in_length, out, out_length, bytes);
    return st == ST_BUFFER_OVERFLOW ? ST_BUFFER_TOO_SMALL : st;
}

static uint32_t control_code(const char *text)
{
    uint32_t fn = 0, access = 0;
    if (strcmp(text, "info") == 0) fn = 0x801;
    else if (strcmp(text, "extents") == 0) fn = 0x802;
    else if (strcmp(text, "token") == 0) { fn = 0x803; access = 1; }
    else if (strcmp(text, "clone") == 0) { fn = 0x804; access = 2; }
    else return (uint32_t)strtoul(text, NULL, 16);
    return (0x8057u << 16) | (access << 14) | (fn << 2);
}

/* The control channel's extents page (src/WinReflink.Protocol: ExtentsPageHeader then ExtentRecords,
 * 32 bytes each, 4096 bytes a page). */
typedef struct { uint64_t start_index; uint32_t count, flags; uint64_t total, reserved; } extents_header;
typedef struct { uint64_t logical, physical, length; uint32_t share_count, flags; } extent_record;

/* H's whole extent listing, page by page through the extents control code; *list is malloc'ed. */
static NTSTATUS32 list_extents(handle *h, extent_record **list, uint64_t *n)
{
    uint8_t page[4096];
    *list = NULL;
    *n = 0;
    for (;;)
    {
        extents_header ask = { .start_index = *n };
        uint32_t bytes = 0;
        NTSTATUS32 st = do_control(h, control_code("extents"), &ask, sizeof ask, page, sizeof page, &bytes);
        if (st != ST_SUCCESS)
            return st;
        extents_header got;
        memcpy(&got, page, sizeof got);
        if (bytes < sizeof got || bytes < sizeof got + got.count * sizeof(extent_record))
            return ST_INVALID_PARAMETER;
        if (got.count > 0)
        {
            *list = realloc(*list, (size_t)(*n + got.count) * sizeof(extent_record));
            memcpy(*list + *n, page + sizeof got, got.count * sizeof(extent_record));
            *n += got.count;
        }
        if (got.count == 0 || *n >= got.total)
            return ST_SUCCESS;
    }
}

/* Bytes of A mapped to the same physical bytes as B at the same logical offsets: shared as a clone shares. */
static uint64_t bytes_mapped_alike(const extent_record *a, uint64_t na, const extent_record *b, uint64_t nb)
{
    uint64_t same = 0;
    for (uint64_t i = 0; i < na; i++)
        for (uint64_t j = 0; j < nb; j++)
        {
            uint64_t from = a[i].logical > b[j].logical ? a[i].logical : b[j].logical;
            uint64_t to_a = a[i].logical + a[i].length, to_b = b[j].logical + b[j].length;
            uint64_t to = to_a < to_b ? to_a : to_b;
            if (from < to && a[i].physical - a[i].logical == b[j].physical - b[j].logical)
                same += to - from;
        }
    return same;
}

/* The first number keyed KEY in the Info control code's JSON on H (what `winreflink stats` reads). */
static NTSTATUS32 info_figure(run *r, handle *h, const char *key, uint64_t *value)
{
    char json[4097];
    uint32_t bytes = 0;
    NTSTATUS32 st = do_control(h, control_code("info"), NULL, 0, json, 4096, &bytes);
    if (st != ST_SUCCESS)
        return st;
    json[bytes < 4096 ? bytes : 4096] = 0;
    char quoted[80];
    snprintf(quoted, sizeof quoted, "\"%s\":", key);
    const char *at = strstr(json, quoted);
    if (at == NULL)
    {
        fail(r, "no figure %s in the info JSON%s", key, "");
        return ST_SUCCESS;
    }
    *value = strtoull(at + strlen(quoted), NULL, 10);
    return ST_SUCCESS;
}

static void bench(FILE *report, const char *path, uint64_t mib, uint32_t request_kib);

/* A copier's check of one request: all WANT bytes at OFFSET moved, or the copy fails. */
static int expect_transfer(run *r, const char *what, uint32_t want, uint32_t got, uint64_t offset)
{
    if (want == got)
        return 1;
    char a[80], b[32];
    snprintf(a, sizeof a, "a %s of %u bytes at %llu", what, want, (unsigned long long)offset);
    snprintf(b, sizeof b, "%u", got);
    return fail(r, "expected %s got %s", a, b);
}

/* CopyFileEx's data loop on a destination whose end of file is already the source's size: reads
 * the source in CHUNK-sized requests and writes each chunk at the same offset, failing as it would
 * on a short read or write; then the source's attributes and last write time go to the destination
 * (a copy's creation time is its own; 0 leaves a time unchanged). On entry CHUNK > 0. *copied counts
 * the bytes written; on success *fi is the destination's FileInfo. */
static NTSTATUS32 do_copy(run *r, handle *source, handle *destination, uint32_t chunk, uint64_t *copied, FSP_FSCTL_FILE_INFO *fi)
{
    *copied = 0;
    if (!(source->access & FILE_READ_DATA) || !(destination->access & (FILE_WRITE_DATA | FILE_APPEND_DATA)))
        return ST_ACCESS_DENIED; /* the I/O manager */
    FSP_FSCTL_FILE_INFO from;
    NTSTATUS32 st = IF()->GetFileInfo(FS(), source->ctx, &from);
    if (st != ST_SUCCESS)
        return st;
    uint8_t *data = malloc(chunk ? chunk : 1);
    for (uint64_t offset = 0; offset < from.FileSize && st == ST_SUCCESS; offset += chunk)
    {
        uint64_t left = from.FileSize - offset;
        uint32_t want = left < chunk ? (uint32_t)left : chunk, got = 0, written = 0;
        st = IF()->Read(FS(), source->ctx, data, offset, want, &got);
        if (st != ST_SUCCESS)
            break;
        if (!expect_transfer(r, "read", want, got, offset))
            break;
        st = IF()->Write(FS(), destination->ctx, data, offset, got, 0, 0, &written, fi);
        if (st != ST_SUCCESS)
            break;
        destination->modified = 1;
        destination->size_changed = 1;
        if (!expect_transfer(r, "write", got, written, offset))
            break;
        *copied += written;
    }
    free(data);
    if (st == ST_SUCCESS && !r->failed)
        st = IF()->SetBasicInfo(FS(), destination->ctx, from.FileAttributes, 0, 0, from.LastWriteTime, 0, fi);
    return st;
}

/* drop_below= / drop_at_least=: how far the volume's FreeSize (what GetDiskFreeSpaceEx reports) fell
 * since "volinfo mark"; a rise counts as no drop. */
static void check_free_drop(run *r, uint64_t free_now, char **exp, int nexp)
{
    const char *below = option(exp, nexp, "drop_below"), *at_least = option(exp, nexp, "drop_at_least");
    if (below == NULL && at_least == NULL)
        return;
    if (!r->have_free_mark)
    {
        fail(r, "drop_below= and drop_at_least= need a %s first%s", "volinfo mark", "");
        return;
    }
    uint64_t drop = r->free_mark > free_now ? r->free_mark - free_now : 0;
    char a[96], b[48];
    snprintf(b, sizeof b, "a drop of %llu", (unsigned long long)drop);
    if (below != NULL && drop >= number(below))
    {
        snprintf(a, sizeof a, "free space to drop by less than %s since the mark", below);
        fail(r, "expected %s got %s", a, b);
    }
    if (at_least != NULL && drop < number(at_least))
    {
        snprintf(a, sizeof a, "free space to drop by at least %s since the mark", at_least);
        fail(r, "expected %s got %s", a, b);
    }
}

/* One step: words[0] is the verb; "=>" splits arguments from expectations. */
static void step(run *r, char **w, int n, FILE *report)
{
    int arrow = -1;
    for (int i = 0; i < n; i++) if (strcmp(w[i], "=>") == 0) { arrow = i; break; }
    char **args = w + 1;
    int nargs = (arrow < 0 ? n : arrow) - 1;
    char **exp = arrow < 0 ? w + n : w + arrow + 2;
    int nexp = arrow < 0 ? 0 : n - arrow - 2;
    NTSTATUS32 want = ST_SUCCESS;
    if (arrow >= 0 && (arrow + 1 >= n || !status_parse(w[arrow + 1], &want)))
    { fail(r, "bad expected status in step %s%s", w[0], ""); return; }
    const char *verb = w[0];
    FSP_FSCTL_FILE_INFO fi;
    memset(&fi, 0, sizeof fi);
    NTSTATUS32 st = ST_SUCCESS;
    int have_info = 0;

    if (strcmp(verb, "mkdir") == 0 && nargs >= 1)
    {
        handle tmp;
        memset(&tmp, 0, sizeof tmp);
        FSP_FSCTL_OPEN_FILE_INFO ofi;
        char *dir_args[] = { "dir" };
        st = do_open(r, &tmp, args[0], FILE_CREATE, dir_args, 1, &ofi);
        if (st == ST_SUCCESS) do_close(r, &tmp);
        expect_status(r, want, st);
        return;
    }
    if (strcmp(verb, "files") == 0 && nargs >= 2)
    {
        /* files PREFIX N: creates PREFIX000 .. PREFIX(N-1), empty */
        uint64_t count = number(args[1]);
        for (uint64_t i = 0; i < count && st == ST_SUCCESS; i++)
        {
            char path[PATH_CHARS];
            handle tmp;
            memset(&tmp, 0, sizeof tmp);
            FSP_FSCTL_OPEN_FILE_INFO ofi;
            snprintf(path, sizeof path, "%s%03llu", args[0], (unsigned long long)i);
            st = do_open(r, &tmp, path, FILE_CREATE, NULL, 0, &ofi);
            if (st == ST_SUCCESS) do_close(r, &tmp);
        }
        expect_status(r, want, st);
        return;
    }
    if (strcmp(verb, "open") == 0 && nargs >= 3)
    {
        static const char *dispositions[] = { "supersede", "open", "create", "open_if", "overwrite", "overwrite_if" };
        uint32_t disposition = 99;
        for (uint32_t i = 0; i < 6; i++) if (strcmp(args[2], dispositions[i]) == 0) disposition = i;
        if (disposition == 99) { fail(r, "unknown disposition %s%s", args[2], ""); return; }
        handle *h = find_handle(r, args[0], 1);
        if (h == NULL) return;
        FSP_FSCTL_OPEN_FILE_INFO ofi;
        memset(&ofi, 0, sizeof ofi);
        st = do_open(r, h, args[1], disposition, args + 3, nargs - 3, &ofi);
        if (!expect_status(r, want, st) || st != ST_SUCCESS) return;
        fi = ofi.FileInfo;
        have_info = 1;
        const char *name = option(exp, nexp, "name");
        if (name != NULL) expect_text(r, "name", name, h->path);
    }
    else if (strcmp(verb, "close") == 0 && nargs >= 1)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h != NULL) do_close(r, h);
        return;
    }
    else if (strcmp(verb, "write") == 0 && nargs >= 4)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint64_t offset = number(args[1]);
        uint32_t length = (uint32_t)number(args[2]);
        uint32_t seed = (uint32_t)number(args[3]);
        int to_end = flag(args, nargs, "eof"), constrained = flag(args, nargs, "constrained");
        if (!(h->access & (FILE_WRITE_DATA | FILE_APPEND_DATA))) st = ST_ACCESS_DENIED; /* the I/O manager */
        else
        {
            uint64_t base = offset;
            if (to_end)
            {
                FSP_FSCTL_FILE_INFO now;
                IF()->GetFileInfo(FS(), h->ctx, &now);
                base = now.FileSize;
            }
            uint8_t *data = malloc(length ? length : 1);
            for (uint32_t i = 0; i < length; i++) data[i] = pattern(seed, base + i);
            uint32_t written = 0;
            /* WriteToEndOfFile passes the offset as -1 (reference 3.8). */
            st = IF()->Write(FS(), h->ctx, data, to_end ? UINT64_MAX : offset, length, (BOOLEAN8)to_end, (BOOLEAN8)constrained, &written, &fi);
            free(data);
            if (st == ST_SUCCESS) { h->modified = 1; h->size_changed = 1; have_info = 1; }
            const char *bytes = option(exp, nexp, "bytes");
            if (st == want && bytes != NULL) expect_u64(r, "bytes", number(bytes), written);
        }
    }
    else if (strcmp(verb, "read") == 0 && nargs >= 3)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint64_t offset = number(args[1]);
        uint32_t length = (uint32_t)number(args[2]);
        if (!(h->access & FILE_READ_DATA)) st = ST_ACCESS_DENIED;
        else
        {
            uint8_t *data = malloc(length ? length : 1);
            uint32_t got = 0;
            st = IF()->Read(FS(), h->ctx, data, offset, length, &got);
            const char *bytes = option(exp, nexp, "bytes");
            if (st == ST_SUCCESS && st == want && bytes != NULL) expect_u64(r, "bytes", number(bytes), got);
            if (st == ST_SUCCESS && nargs >= 4)
            {
                int zero = strcmp(args[3], "zero") == 0;
                uint32_t seed = zero ? 0 : (uint32_t)number(args[3]);
                for (uint32_t i = 0; i < got; i++)
                {
                    uint8_t e = zero ? 0 : pattern(seed, offset + i);
                    if (data[i] != e)
                    {
                        char a[64], b[32];
                        snprintf(a, sizeof a, "byte %llu = %u", (unsigned long long)(offset + i), e);
                        snprintf(b, sizeof b, "%u", data[i]);
                        fail(r, "expected %s got %s", a, b);
                        break;
                    }
                }
            }
            free(data);
        }
    }
    else if (strcmp(verb, "setsize") == 0 && nargs >= 2)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        st = IF()->SetFileSize(FS(), h->ctx, number(args[1]), (BOOLEAN8)flag(args, nargs, "alloc"), &fi);
        if (st == ST_SUCCESS) { h->modified = 1; h->size_changed = 1; have_info = 1; }
    }
    else if (strcmp(verb, "flush") == 0)
    {
        /* FlushFileBuffers: on a handle, which needs write access; without one, on the volume. */
        handle *h = nargs >= 1 ? find_handle(r, args[0], 0) : NULL;
        if (nargs >= 1 && h == NULL) return;
        if (h != NULL && !(h->access & (FILE_WRITE_DATA | FILE_APPEND_DATA))) st = ST_ACCESS_DENIED;
        else
        {
            st = IF()->Flush(FS(), h != NULL ? h->ctx : NULL, &fi);
            have_info = st == ST_SUCCESS && h != NULL;
        }
    }
    else if (strcmp(verb, "copy") == 0 && nargs >= 3)
    {
        handle *source = find_handle(r, args[0], 0), *destination = source ? find_handle(r, args[1], 0) : NULL;
        if (destination == NULL) return;
        uint32_t chunk = (uint32_t)number(args[2]);
        if (chunk == 0) { fail(r, "copy needs a CHUNK above 0, not %s%s", args[2], ""); return; }
        uint64_t copied = 0;
        st = do_copy(r, source, destination, chunk, &copied, &fi);
        if (r->failed) return;
        have_info = st == ST_SUCCESS;
        const char *bytes = option(exp, nexp, "bytes");
        if (st == ST_SUCCESS && st == want && bytes != NULL) expect_u64(r, "bytes", number(bytes), copied);
    }
    else if (strcmp(verb, "info") == 0 && nargs >= 1)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        st = IF()->GetFileInfo(FS(), h->ctx, &fi);
        have_info = st == ST_SUCCESS;
    }
    else if (strcmp(verb, "setattr") == 0 && nargs >= 2)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        st = IF()->SetBasicInfo(FS(), h->ctx, (uint32_t)strtoul(args[1], NULL, 16), 0, 0, 0, 0, &fi);
        have_info = st == ST_SUCCESS;
    }
    else if ((strcmp(verb, "delete") == 0 || strcmp(verb, "posixdelete") == 0) && nargs >= 1)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        /* The DLL refuses a READONLY file first (reference 3.4). */
        IF()->GetFileInfo(FS(), h->ctx, &fi);
        if (fi.FileAttributes & FILE_ATTRIBUTE_READONLY) st = ST_CANNOT_DELETE;
        else if (!(h->access & DELETE_ACCESS)) st = ST_ACCESS_DENIED;
        else if (h->is_dir || !(g_volume.params.Flags & VP_POST_DISPOSITION_WHEN_NECESSARY_ONLY))
        {
            /* PostDispositionWhenNecessaryOnly: only directories reach SetDelete (reference 3.4). */
            WCHAR16 name[PATH_CHARS];
            to_wide(name, h->path);
            st = IF()->SetDelete(FS(), h->ctx, name, 1);
        }
        if (st == ST_SUCCESS) { h->delete_pending = 1; h->posix_delete = verb[0] == 'p'; }
    }
    else if (strcmp(verb, "rename") == 0 && nargs >= 2)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        WCHAR16 from[PATH_CHARS], to[PATH_CHARS];
        to_wide(from, h->path);
        to_wide(to, args[1]);
        st = IF()->Rename(FS(), h->ctx, from, to, (BOOLEAN8)flag(args, nargs, "replace"));
        if (st == ST_SUCCESS) snprintf(h->path, sizeof h->path, "%s", args[1]);
    }
    else if (strcmp(verb, "list") == 0 && nargs >= 2)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        int count = 0;
        st = do_list(r, h, (uint32_t)number(args[1]), &count, exp, nexp);
        const char *c = option(exp, nexp, "count");
        if (st == ST_SUCCESS && c != NULL) expect_u64(r, "count", number(c), (uint64_t)count);
    }
    else if (strcmp(verb, "dirinfo") == 0 && nargs >= 2)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint8_t buffer[sizeof(FSP_FSCTL_DIR_INFO) + 1024];
        memset(buffer, 0, sizeof buffer);
        WCHAR16 name[PATH_CHARS];
        to_wide(name, args[1]);
        st = IF()->GetDirInfoByName(FS(), h->ctx, name, (FSP_FSCTL_DIR_INFO *)buffer);
        const char *stored = option(exp, nexp, "name");
        if (st == ST_SUCCESS && stored != NULL)
        {
            FSP_FSCTL_DIR_INFO *d = (FSP_FSCTL_DIR_INFO *)buffer;
            char utf8[600];
            utf8_from_utf16(utf8, sizeof utf8, d->FileNameBuf, d->Size > sizeof *d ? (d->Size - sizeof *d) / 2 : 0);
            expect_text(r, "name", stored, utf8);
        }
    }
    else if (strcmp(verb, "secbyname") == 0 && nargs >= 1)
    {
        uint32_t attributes = 0;
        uint8_t *sd;
        size_t size;
        int overflowed;
        st = security_by_name(args[0], &attributes, &sd, &size, &overflowed);
        if (st == ST_SUCCESS && st == want)
        {
            const char *o = option(exp, nexp, "overflow");
            if (o != NULL) expect_u64(r, "overflow", number(o), (uint64_t)overflowed);
            const char *a = option(exp, nexp, "aces");
            if (a != NULL) expect_u64(r, "aces", number(a), (uint64_t)sd_ace_count(sd, size));
            if (size != sd_size(sd)) expect_u64(r, "descriptor size", sd_size(sd), size);
        }
        free(sd);
    }
    else if (strcmp(verb, "getsec") == 0 && nargs >= 1)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint8_t sd[16384];
        size_t size = sizeof sd;
        st = IF()->GetSecurity(FS(), h->ctx, sd, &size);
        if (st == ST_SUCCESS && st == want)
        {
            char owner[128] = "";
            const char *o = option(exp, nexp, "owner");
            sd_owner_string(sd, size, owner, sizeof owner);
            if (o != NULL) expect_text(r, "owner", o, owner);
            const char *a = option(exp, nexp, "aces");
            if (a != NULL) expect_u64(r, "aces", number(a), (uint64_t)sd_ace_count(sd, size));
        }
    }
    else if (strcmp(verb, "setsec") == 0 && nargs >= 3)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint8_t sd[4096];
        if (strcmp(args[2], "big") == 0) sd_build(sd, sizeof sd, "S-1-5-32-544", "S-1-5-18", 40);
        else if (strcmp(args[2], "admins") == 0) sd_build(sd, sizeof sd, "S-1-5-32-544", "S-1-5-18", 1);
        else sd_build(sd, sizeof sd, "S-1-5-32-545", "S-1-5-32-545", 2);
        st = IF()->SetSecurity(FS(), h->ctx, (uint32_t)number(args[1]), sd);
    }
    else if (strcmp(verb, "control") == 0 && nargs >= 4)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint32_t in_length = (uint32_t)number(args[2]), out_length = (uint32_t)number(args[3]);
        uint8_t *in = calloc(1, in_length + 1), *out = calloc(1, out_length + 1);
        uint32_t bytes = 0;
        st = do_control(h, control_code(args[1]), in, in_length, out, out_length, &bytes);
        const char *b = option(exp, nexp, "bytes");
        if (st == ST_SUCCESS && st == want && b != NULL) expect_u64(r, "bytes", number(b), bytes);
        const char *j = option(exp, nexp, "json");
        if (st == ST_SUCCESS && st == want && j != NULL && (bytes == 0 || out[0] != '{'))
            fail(r, "expected a JSON object from %s%s", args[1], "");
        free(in);
        free(out);
    }
    else if (strcmp(verb, "extents") == 0 && nargs >= 1)
    {
        handle *h = find_handle(r, args[0], 0), *like = NULL;
        if (h == NULL) return;
        if (nargs >= 3 && strcmp(args[1], "like") == 0 && (like = find_handle(r, args[2], 0)) == NULL) return;
        extent_record *mine = NULL, *theirs = NULL;
        uint64_t n = 0, m = 0;
        st = list_extents(h, &mine, &n);
        if (st == ST_SUCCESS && like != NULL) st = list_extents(like, &theirs, &m);
        if (st == ST_SUCCESS && st == want)
        {
            uint64_t shared = 0;
            for (uint64_t i = 0; i < n; i++) if (mine[i].share_count >= 2) shared += mine[i].length;
            const char *c = option(exp, nexp, "count"), *sh = option(exp, nexp, "shared"), *same = option(exp, nexp, "same");
            if (c != NULL) expect_u64(r, "count", number(c), n);
            if (sh != NULL) expect_u64(r, "shared", number(sh), shared);
            if (same != NULL && like == NULL) fail(r, "same= needs extents H like HSRC%s%s", "", "");
            else if (same != NULL) expect_u64(r, "same", number(same), bytes_mapped_alike(mine, n, theirs, m));
        }
        free(mine);
        free(theirs);
    }
    else if (strcmp(verb, "figure") == 0 && nargs >= 2)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint64_t value = 0;
        st = info_figure(r, h, args[1], &value);
        if (r->failed) return;
        const char *grew = option(exp, nexp, "grew");
        if (st == ST_SUCCESS && st == want && grew != NULL)
        {
            if (!r->have_figure_mark) { fail(r, "grew= needs a %s first%s", "figure H KEY mark", ""); return; }
            expect_u64(r, "growth", number(grew), value - r->figure_mark);
        }
        if (st == ST_SUCCESS && flag(args, nargs, "mark")) { r->figure_mark = value; r->have_figure_mark = 1; }
    }
    else if (strcmp(verb, "clonetoken") == 0 && nargs >= 1)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint32_t bytes = 0;
        st = do_control(h, control_code("token"), NULL, 0, &r->token, sizeof r->token, &bytes);
        if (st == ST_SUCCESS && st == want) expect_u64(r, "token bytes", 8, bytes);
    }
    else if (strcmp(verb, "clonefrom") == 0 && nargs >= 2)
    {
        handle *h = find_handle(r, args[0], 0);
        if (h == NULL) return;
        uint64_t request[5] = { r->token, 0, 0, number(args[1]), 0 };
        uint64_t answer[5] = { 0 };
        uint32_t bytes = 0;
        g_notify.count = 0;
        st = do_control(h, control_code("clone"), request, sizeof request, answer, sizeof answer, &bytes);
        if (st == ST_SUCCESS) { h->modified = 1; }
        const char *len = option(exp, nexp, "length");
        if (st == ST_SUCCESS && st == want && len != NULL) expect_u64(r, "length", number(len), answer[3]);
    }
    else if (strcmp(verb, "notified") == 0 && nargs >= 1)
    {
        if (g_notify.count == 0) { fail(r, "expected a notification of %s%s", args[0], ""); return; }
        expect_text(r, "notify name", args[0], g_notify.name);
        expect_u64(r, "notify filter", FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE, g_notify.filter);
        expect_u64(r, "notify action", FILE_ACTION_MODIFIED, g_notify.action);
        expect_u64(r, "NotifyBegin/End balanced", 0, (uint64_t)g_notify.begun);
        return;
    }
    else if (strcmp(verb, "volinfo") == 0)
    {
        FSP_FSCTL_VOLUME_INFO vi;
        memset(&vi, 0, sizeof vi);
        st = IF()->GetVolumeInfo(FS(), &vi);
        if (st == ST_SUCCESS && st == want)
        {
            const char *label = option(exp, nexp, "label");
            char utf8[128];
            utf8_from_utf16(utf8, sizeof utf8, vi.VolumeLabel, vi.VolumeLabelLength / 2);
            if (label != NULL) expect_text(r, "label", label, utf8);
            if (vi.FreeSize > vi.TotalSize || vi.TotalSize == 0) fail(r, "volume sizes make no sense%s%s", "", "");
            check_free_drop(r, vi.FreeSize, exp, nexp);
            if (flag(args, nargs, "mark")) { r->free_mark = vi.FreeSize; r->have_free_mark = 1; }
        }
    }
    else if (strcmp(verb, "label") == 0 && nargs >= 1)
    {
        FSP_FSCTL_VOLUME_INFO vi;
        WCHAR16 label[64];
        utf16_from_utf8(label, 64, args[0]);
        st = IF()->SetVolumeLabel(FS(), label, &vi);
    }
    else if (strcmp(verb, "bench") == 0 && nargs >= 3)
    {
        bench(report, args[0], number(args[1]), (uint32_t)number(args[2]));
        return;
    }
    else
    {
        fail(r, "unknown or short step %s%s", verb, "");
        return;
    }
    if (!expect_status(r, want, st) || !have_info)
        return;
    const char *size = option(exp, nexp, "size");
    if (size != NULL) expect_u64(r, "size", number(size), fi.FileSize);
    const char *alloc = option(exp, nexp, "alloc");
    if (alloc != NULL) expect_u64(r, "alloc", number(alloc), fi.AllocationSize);
    const char *attr = option(exp, nexp, "attr");
    if (attr != NULL)
    {
        uint32_t mask = (uint32_t)strtoul(attr, NULL, 16);
        if ((fi.FileAttributes & mask) != mask)
        {
            char a[32], b[32];
            snprintf(a, sizeof a, "attr with 0x%X", mask);
            snprintf(b, sizeof b, "0x%X", fi.FileAttributes);
            fail(r, "expected %s got %s", a, b);
        }
    }
    if (fi.AllocationSize < fi.FileSize) fail(r, "AllocationSize below FileSize%s%s", "", "");
}

/* The bench's request number in the first 8 bytes of each 4 KiB block of its buffer: one buffer
 * written at every offset would repeat its blocks, which copy recognition shares instead of writing
 * (the FUSE figure beside it writes random data), and this costs 256 stores a MiB, not a pattern. */
static void stamp_blocks(uint8_t *data, uint32_t length, uint64_t request_number)
{
    for (uint32_t at = 0; at + sizeof request_number <= length; at += 4096)
        memcpy(data + at, &request_number, sizeof request_number);
}

/* A 1 GiB-class sequential write and read through the callbacks, timed. */
static void bench(FILE *report, const char *path, uint64_t mib, uint32_t request_kib)
{
    run r;
    memset(&r, 0, sizeof r);
    handle *h = &r.handles[0];
    FSP_FSCTL_OPEN_FILE_INFO ofi;
    uint32_t request = request_kib << 10;
    uint64_t total = mib << 20, requests = total / request;
    uint8_t *data = malloc(request);
    for (uint32_t i = 0; i < request; i++) data[i] = pattern(5, i);
    NTSTATUS32 st = do_open(&r, h, path, FILE_CREATE, NULL, 0, &ofi);
    if (st != ST_SUCCESS) { fprintf(report, "BENCH failed: create %s: %s\n", path, status_text(st)); free(data); return; }
    FSP_FSCTL_FILE_INFO fi;
    double t0 = standin_seconds();
    for (uint64_t i = 0; i < requests && st == ST_SUCCESS; i++)
    {
        uint32_t done = 0;
        stamp_blocks(data, request, i);
        st = IF()->Write(FS(), h->ctx, data, i * request, request, 0, 0, &done, &fi);
    }
    h->modified = 1;
    do_close(&r, h);
    double t1 = standin_seconds();
    if (st != ST_SUCCESS) { fprintf(report, "BENCH failed: write: %s\n", status_text(st)); free(data); return; }
    char *read_args[] = { "access=r" };
    st = do_open(&r, h, path, FILE_OPEN, read_args, 1, &ofi);
    int bad = 0;
    double t2 = standin_seconds();
    for (uint64_t i = 0; i < requests && st == ST_SUCCESS; i++)
    {
        uint32_t done = 0;
        st = IF()->Read(FS(), h->ctx, data, i * request, request, &done);
        bad |= done != request || memcmp(data, &i, sizeof i) != 0 || data[request - 1] != pattern(5, request - 1);
    }
    double t3 = standin_seconds();
    if (h->used) do_close(&r, h);
    char *delete_args[] = { "access=rwd" };
    if (do_open(&r, h, path, FILE_OPEN, delete_args, 1, &ofi) == ST_SUCCESS) { h->delete_pending = 1; do_close(&r, h); }
    free(data);
    if (st != ST_SUCCESS || bad) { fprintf(report, "BENCH failed: read: %s%s\n", status_text(st), bad ? " (wrong bytes)" : ""); return; }
    double mb = (double)total / 1e6;
    fprintf(report, "BENCH write %llu MiB in %llu KiB requests: %.2f s, %.1f MB/s, %.0f callbacks/s\n",
        (unsigned long long)mib, (unsigned long long)request_kib, t1 - t0, mb / (t1 - t0), (double)requests / (t1 - t0));
    fprintf(report, "BENCH read %llu MiB in %llu KiB requests: %.2f s, %.1f MB/s, %.0f callbacks/s\n",
        (unsigned long long)mib, (unsigned long long)request_kib, t3 - t2, mb / (t3 - t2), (double)requests / (t3 - t2));
    fflush(report);
}

static int split(char *line, char **words)
{
    int n = 0;
    for (char *t = strtok(line, " \t\r\n"); t != NULL && n < MAX_WORDS; t = strtok(NULL, " \t\r\n"))
        words[n++] = t;
    return n;
}

static void finish(run *r, FILE *report, int *passed, int *failed)
{
    for (int i = 0; i < MAX_HANDLES; i++)
        if (r->handles[i].used)
            do_close(r, &r->handles[i]);
    if (r->failed)
    {
        fprintf(report, "FAIL %s: %s (NTFS: %s)\n", r->name, r->why, r->ntfs);
        (*failed)++;
    }
    else
    {
        fprintf(report, "PASS %s\n", r->name);
        (*passed)++;
    }
    fflush(report);
}

void standin_run_scenarios(const char *scenarios_path, const char *report_path)
{
    FILE *report = fopen(report_path, "w");
    if (report == NULL)
        return;
    FILE *in = fopen(scenarios_path, "r");
    if (in == NULL)
    {
        fprintf(report, "FAIL setup: cannot read %s\nDONE\n", scenarios_path);
        fclose(report);
        return;
    }
    int passed = 0, failed = 0;
    if (!(g_volume.params.Flags & VP_UM_FILE_CONTEXT_IS_USER_CONTEXT2))
    {
        fprintf(report, "FAIL setup: the stand-in plays UmFileContextIsUserContext2 only (flags 0x%08X)\n", (unsigned)g_volume.params.Flags);
        failed++;
    }
    /* Every slot the stand-in calls: a NULL one is a host bug reported here, not a crash later. */
    static const FSP_FILE_SYSTEM_INTERFACE none;
    const FSP_FILE_SYSTEM_INTERFACE *t = IF() != NULL ? IF() : &none;
    const struct { const char *name; const void *slot; } slots[] = {
        { "GetVolumeInfo", (const void *)t->GetVolumeInfo }, { "SetVolumeLabel", (const void *)t->SetVolumeLabel },
        { "GetSecurityByName", (const void *)t->GetSecurityByName }, { "CreateEx", (const void *)t->CreateEx },
        { "Open", (const void *)t->Open }, { "OverwriteEx", (const void *)t->OverwriteEx },
        { "Cleanup", (const void *)t->Cleanup }, { "Close", (const void *)t->Close }, { "Read", (const void *)t->Read },
        { "Write", (const void *)t->Write }, { "Flush", (const void *)t->Flush }, { "GetFileInfo", (const void *)t->GetFileInfo },
        { "SetBasicInfo", (const void *)t->SetBasicInfo }, { "SetFileSize", (const void *)t->SetFileSize },
        { "SetDelete", (const void *)t->SetDelete }, { "Rename", (const void *)t->Rename },
        { "GetSecurity", (const void *)t->GetSecurity }, { "SetSecurity", (const void *)t->SetSecurity },
        { "ReadDirectory", (const void *)t->ReadDirectory }, { "GetDirInfoByName", (const void *)t->GetDirInfoByName },
        { "Control", (const void *)t->Control },
    };
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        if (slots[i].slot == NULL)
        {
            fprintf(report, "FAIL setup: the host left %s NULL\n", slots[i].name);
            failed++;
        }
    if (failed)
    {
        fclose(in);
        fprintf(report, "TOTAL 0 passed, %d failed\nDONE\n", failed);
        fclose(report);
        return;
    }
    static run r;
    int in_scenario = 0;
    char line[2048];
    for (;;)
    {
        if (fgets(line, sizeof line, in) == NULL)
            break;
        if (g_volume.stopping)
            break;
        char *words[MAX_WORDS];
        char copy[2048];
        snprintf(copy, sizeof copy, "%s", line);
        int n = split(line, words);
        if (n == 0 || words[0][0] == '#')
            continue;
        if (strcmp(words[0], "scenario") == 0 && n >= 2)
        {
            if (in_scenario) finish(&r, report, &passed, &failed);
            memset(&r, 0, sizeof r);
            snprintf(r.name, sizeof r.name, "%s", words[1]);
            in_scenario = 1;
            continue;
        }
        if (strcmp(words[0], "ntfs") == 0)
        {
            char *text = strstr(copy, "ntfs") + 4;
            while (*text == ' ') text++;
            text[strcspn(text, "\r\n")] = 0;
            snprintf(r.ntfs, sizeof r.ntfs, "%s", text);
            continue;
        }
        if (strcmp(words[0], "end") == 0)
        {
            if (in_scenario) finish(&r, report, &passed, &failed);
            in_scenario = 0;
            continue;
        }
        if (strcmp(words[0], "bench") == 0 && !in_scenario)
        {
            step(&r, words, n, report);
            continue;
        }
        if (!in_scenario || r.failed)
            continue;
        r.step++;
        step(&r, words, n, report);
    }
    if (in_scenario) finish(&r, report, &passed, &failed);
    fclose(in);
    fprintf(report, "TOTAL %d passed, %d failed\nDONE\n", passed, failed);
    fclose(report);
}
