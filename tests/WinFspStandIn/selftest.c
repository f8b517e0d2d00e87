/* The stand-in's own pieces, checked before they judge the host: struct sizes as the reference gives
 * them, FspFileSystemAddDirInfo's packing (reference 2.5), and the security descriptor merge.
 * Prints one line per check and "selftest: N passed, M failed". */
#include <stdlib.h>
#include <string.h>
#include "standin.h"

FSP_API BOOLEAN8 FspFileSystemAddDirInfo(FSP_FSCTL_DIR_INFO *, void *, uint32_t, uint32_t *);
FSP_API NTSTATUS32 FspSetSecurityDescriptor(void *, uint32_t, void *, void **);
FSP_API void FspDeleteSecurityDescriptor(void *, NTSTATUS32 (*)(void));
FSP_API NTSTATUS32 FspFileSystemCreate(WCHAR16 *, const FSP_FSCTL_VOLUME_PARAMS *, const FSP_FILE_SYSTEM_INTERFACE *, FSP_FILE_SYSTEM **);

static int passed, failed;

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok" : "FAILED", what);
    if (ok) passed++; else failed++;
}

static FSP_FSCTL_DIR_INFO *entry(uint8_t *storage, const char *name)
{
    FSP_FSCTL_DIR_INFO *d = (FSP_FSCTL_DIR_INFO *)storage;
    memset(d, 0, sizeof *d);
    size_t n = utf16_from_utf8(d->FileNameBuf, 256, name);
    d->Size = (uint16_t)(sizeof *d + 2 * n);
    return d;
}

int main(void)
{
    check(sizeof(FSP_FSCTL_VOLUME_PARAMS) == 504, "VolumeParams 504 bytes");
    check(sizeof(FSP_FSCTL_VOLUME_INFO) == 88, "VolumeInfo 88 bytes");
    check(sizeof(FSP_FSCTL_FILE_INFO) == 72, "FileInfo 72 bytes");
    check(sizeof(FSP_FSCTL_OPEN_FILE_INFO) == 88, "OpenFileInfo 88 bytes");
    check(sizeof(FSP_FSCTL_DIR_INFO) == 104, "DirInfo header 104 bytes");
    check(sizeof(FSP_FSCTL_NOTIFY_INFO) == 12, "NotifyInfo header 12 bytes");
    check(sizeof(FSP_FILE_SYSTEM) == 792 && offsetof(FSP_FILE_SYSTEM, UserContext) == 8, "FSP_FILE_SYSTEM 792 bytes, UserContext at 8");
    check(sizeof(FSP_FILE_SYSTEM_INTERFACE) == 512, "interface table 64 slots");

    uint8_t storage[1024], buffer[256];
    uint32_t bytes = 0;
    memset(buffer, 0xEE, sizeof buffer);
    /* "a" is 106 bytes, padded to 112; "abc" 110, padded to 112. */
    check(FspFileSystemAddDirInfo(entry(storage, "a"), buffer, sizeof buffer, &bytes) && bytes == 112, "first record advances by its size rounded up to 8");
    check(((FSP_FSCTL_DIR_INFO *)buffer)->Size == 106 && buffer[104] == 'a', "record copied with its name");
    check(FspFileSystemAddDirInfo(entry(storage, "abc"), buffer, sizeof buffer, &bytes) && bytes == 224, "second record starts 8-byte aligned");
    check(((FSP_FSCTL_DIR_INFO *)(buffer + 112))->Size == 110, "second record at 112");
    check(!FspFileSystemAddDirInfo(entry(storage, "b"), buffer, sizeof buffer, &bytes) && bytes == 224, "a record that does not fit is refused, nothing moves");
    check(FspFileSystemAddDirInfo(NULL, buffer, sizeof buffer, &bytes) && bytes == 226 && buffer[224] == 0 && buffer[225] == 0, "NULL writes the 2-byte end marker");
    bytes = 255;
    check(!FspFileSystemAddDirInfo(NULL, buffer, sizeof buffer, &bytes), "no room for the end marker is FALSE");

    uint8_t a[4096], b[4096];
    size_t as = sd_build(a, sizeof a, "S-1-5-32-544", "S-1-5-18", 1);
    size_t bs = sd_build(b, sizeof b, "S-1-5-32-545", "S-1-5-32-545", 3);
    char owner[64];
    check(as > 20 && sd_size(a) == as && sd_owner_string(a, as, owner, sizeof owner) && strcmp(owner, "S-1-5-32-544") == 0, "descriptor built and read back");
    check(sd_ace_count(b, bs) == 3, "ACE count read back");
    void *merged = NULL;
    check(FspSetSecurityDescriptor(a, 1, b, &merged) == ST_SUCCESS && merged != NULL, "merge of the owner succeeds");
    check(sd_owner_string(merged, sd_size(merged), owner, sizeof owner) && strcmp(owner, "S-1-5-32-545") == 0, "OWNER_SECURITY_INFORMATION takes the owner");
    check(sd_ace_count(merged, sd_size(merged)) == 1, "and keeps the DACL");
    FspDeleteSecurityDescriptor(merged, NULL);
    check(FspSetSecurityDescriptor(a, 4, b, &merged) == ST_SUCCESS, "merge of the DACL succeeds");
    check(sd_ace_count(merged, sd_size(merged)) == 3 && sd_owner_string(merged, sd_size(merged), owner, sizeof owner) && strcmp(owner, "S-1-5-32-544") == 0,
        "DACL_SECURITY_INFORMATION takes the DACL, keeps the owner");
    FspDeleteSecurityDescriptor(merged, NULL);
    uint8_t junk[32] = { 7 };
    check(FspSetSecurityDescriptor(junk, 1, b, &merged) != ST_SUCCESS && merged == NULL, "a malformed descriptor is refused");

    /* Loaded as the real DLL would be, without a script: every Create fails, and nothing is allocated. */
    unsetenv("WINFSP_STANDIN_SCENARIOS");
    unsetenv("WINFSP_STANDIN_REPORT");
    FSP_FSCTL_VOLUME_PARAMS params;
    FSP_FILE_SYSTEM_INTERFACE table;
    FSP_FILE_SYSTEM *fs = (FSP_FILE_SYSTEM *)&params;
    memset(&params, 0, sizeof params);
    memset(&table, 0, sizeof table);
    params.Version = sizeof params;
    check(FspFileSystemCreate(NULL, &params, &table, &fs) != ST_SUCCESS && fs == NULL, "without WINFSP_STANDIN_* every Create fails cleanly");

    printf("selftest: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
