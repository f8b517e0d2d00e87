/* The WinFsp stand-in: exports the functions the host binds (reference 1.3/1.4, the contract list of
 * issue 7) and plays the driver and DLL: it keeps the host's interface table, and from
 * StartDispatcher on a thread drives scenarios.txt through the host's callbacks (scenario.c).
 * A test tool, never shipped. Where it has to guess how the real driver behaves, it says so. */
#include <stdlib.h>
#include <string.h>
#include "platform.h"
#include "standin.h"

standin_volume g_volume;
standin_notify_log g_notify;

static standin_thread g_thread;
static int g_thread_running;
static WCHAR16 g_mount_point[64];
static char g_scenarios[1024];
static char g_report[1024];

/* Reported as WinFsp 2.2: the host requires major >= 2 (reference 1.1, 8). */
FSP_API NTSTATUS32 FspVersion(uint32_t *PVersion)
{
    *PVersion = (2u << 16) | 2u;
    return ST_SUCCESS;
}

FSP_API NTSTATUS32 FspFileSystemCreate(WCHAR16 *DevicePath, const FSP_FSCTL_VOLUME_PARAMS *VolumeParams,
    const FSP_FILE_SYSTEM_INTERFACE *Interface, FSP_FILE_SYSTEM **PFileSystem)
{
    (void)DevicePath;
    *PFileSystem = NULL;
    const char *scenarios = getenv("WINFSP_STANDIN_SCENARIOS");
    const char *report = getenv("WINFSP_STANDIN_REPORT");
    /* Loaded as if it were the real DLL, without a script: there is no driver behind it. */
    if (scenarios == NULL || report == NULL || g_volume.fs != NULL)
        return (NTSTATUS32)0xC000000E; /* STATUS_NO_SUCH_DEVICE */
    /* fs.c refuses both context modes at once (reference 1.5). */
    if ((VolumeParams->Flags & VP_UM_FILE_CONTEXT_IS_USER_CONTEXT2) && (VolumeParams->Flags & VP_UM_FILE_CONTEXT_IS_FULL_CONTEXT))
        return ST_INVALID_PARAMETER;
    FSP_FILE_SYSTEM *fs = calloc(1, sizeof *fs);
    if (fs == NULL)
        return ST_INSUFFICIENT_RESOURCES;
    fs->Version = (uint16_t)sizeof *fs;
    /* The table is kept by pointer, the parameters copied (reference 1.5). */
    g_volume.fs = fs;
    g_volume.iface = Interface;
    memcpy(&g_volume.params, VolumeParams, VolumeParams->Version == 0 ? 456 : sizeof g_volume.params);
    g_volume.stopping = 0;
    snprintf(g_scenarios, sizeof g_scenarios, "%s", scenarios);
    snprintf(g_report, sizeof g_report, "%s", report);
    memset(&g_notify, 0, sizeof g_notify);
    *PFileSystem = fs;
    return ST_SUCCESS;
}

FSP_API void FspFileSystemDelete(FSP_FILE_SYSTEM *FileSystem)
{
    if (FileSystem == NULL || FileSystem != g_volume.fs)
        return;
    free(FileSystem);
    memset(&g_volume, 0, sizeof g_volume);
    g_mount_point[0] = 0;
}

/* NULL or "*:" picks a free letter from Z: down (reference 1.5); the stand-in has no letters to
 * take, so it reports R: for "*" (a guess that only shapes what MountPointF returns). */
FSP_API NTSTATUS32 FspFileSystemSetMountPointEx(FSP_FILE_SYSTEM *FileSystem, WCHAR16 *MountPoint, void *SecurityDescriptor)
{
    (void)SecurityDescriptor;
    if (FileSystem != g_volume.fs)
        return ST_INVALID_PARAMETER;
    if (g_mount_point[0] != 0)
        return ST_INVALID_PARAMETER; /* a second call fails */
    if (MountPoint == NULL || (MountPoint[0] == '*' ))
        utf16_from_utf8(g_mount_point, 64, "R:");
    else
    {
        size_t i = 0;
        for (; MountPoint[i] != 0 && i < 63; i++)
            g_mount_point[i] = MountPoint[i];
        g_mount_point[i] = 0;
    }
    return ST_SUCCESS;
}

FSP_API void FspFileSystemRemoveMountPoint(FSP_FILE_SYSTEM *FileSystem)
{
    if (FileSystem == g_volume.fs)
        g_mount_point[0] = 0;
}

FSP_API WCHAR16 *FspFileSystemMountPointF(FSP_FILE_SYSTEM *FileSystem)
{
    return FileSystem == g_volume.fs && g_mount_point[0] != 0 ? g_mount_point : NULL;
}

FSP_API void FspFileSystemSetOperationGuardStrategyF(FSP_FILE_SYSTEM *FileSystem, int32_t Strategy)
{
    (void)FileSystem;
    (void)Strategy;
}

FSP_API void FspFileSystemSetDebugLogF(FSP_FILE_SYSTEM *FileSystem, uint32_t DebugLog)
{
    (void)FileSystem;
    (void)DebugLog;
}

static STANDIN_THREAD_FN(dispatcher)
{
    (void)arg;
    standin_run_scenarios(g_scenarios, g_report);
    STANDIN_THREAD_RETURN;
}

/* The real dispatcher runs ThreadCount threads on the driver's queue; the stand-in runs one thread
 * that issues the script's requests one after another (no concurrency is tested here). */
FSP_API NTSTATUS32 FspFileSystemStartDispatcher(FSP_FILE_SYSTEM *FileSystem, uint32_t ThreadCount)
{
    (void)ThreadCount;
    if (FileSystem != g_volume.fs || g_thread_running)
        return ST_INVALID_PARAMETER;
    if (standin_thread_start(&g_thread, dispatcher, NULL) != 0)
        return ST_INSUFFICIENT_RESOURCES;
    g_thread_running = 1;
    return ST_SUCCESS;
}

/* Joins the dispatcher, then DispatcherStopped(fs, TRUE) as a stop through StopDispatcher is normal
 * (reference 1.5). The real DLL calls it on the dispatcher's first thread; here the caller's. */
FSP_API void FspFileSystemStopDispatcher(FSP_FILE_SYSTEM *FileSystem)
{
    if (FileSystem != g_volume.fs || !g_thread_running)
        return;
    g_volume.stopping = 1;
    standin_thread_join(g_thread);
    g_thread_running = 0;
    if (g_volume.iface != NULL && g_volume.iface->DispatcherStopped != NULL)
        g_volume.iface->DispatcherStopped(FileSystem, 1);
}

/* Reference 2.5: copy Size bytes at Buffer + *PBytesTransferred, advance by Size rounded up to 8;
 * FALSE when it does not fit; NULL writes the 2-byte zero end marker. Whether "fits" counts the
 * aligned or the raw size is not in the reference: the aligned one is used (the stricter). */
FSP_API BOOLEAN8 FspFileSystemAddDirInfo(FSP_FSCTL_DIR_INFO *DirInfo, void *Buffer, uint32_t Length, uint32_t *PBytesTransferred)
{
    static const uint8_t zero[2];
    const void *src = zero;
    uint32_t size = 2, step = 2;
    if (DirInfo != NULL)
    {
        src = DirInfo;
        size = DirInfo->Size;
        step = (size + 7u) & ~7u;
    }
    if ((uint64_t)*PBytesTransferred + step > Length)
        return 0;
    memcpy((uint8_t *)Buffer + *PBytesTransferred, src, size);
    *PBytesTransferred += step;
    return 1;
}

FSP_API NTSTATUS32 FspFileSystemNotifyBegin(FSP_FILE_SYSTEM *FileSystem, uint32_t Timeout)
{
    (void)Timeout;
    if (FileSystem != g_volume.fs)
        return ST_INVALID_PARAMETER;
    g_notify.begun++;
    return ST_SUCCESS;
}

/* Records every notification of the buffer (records 8-byte aligned, as AddNotifyInfo packs them). */
FSP_API NTSTATUS32 FspFileSystemNotify(FSP_FILE_SYSTEM *FileSystem, FSP_FSCTL_NOTIFY_INFO *NotifyInfo, size_t Size)
{
    if (FileSystem != g_volume.fs || g_notify.begun <= 0)
        return ST_INVALID_PARAMETER;
    size_t offset = 0;
    while (offset + sizeof(FSP_FSCTL_NOTIFY_INFO) <= Size)
    {
        FSP_FSCTL_NOTIFY_INFO *n = (FSP_FSCTL_NOTIFY_INFO *)((uint8_t *)NotifyInfo + offset);
        if (n->Size < sizeof(FSP_FSCTL_NOTIFY_INFO) || offset + n->Size > Size)
            return ST_INVALID_PARAMETER;
        g_notify.count++;
        g_notify.filter = n->Filter;
        g_notify.action = n->Action;
        utf8_from_utf16(g_notify.name, sizeof g_notify.name, n->FileNameBuf, (n->Size - sizeof(FSP_FSCTL_NOTIFY_INFO)) / 2);
        offset += ((size_t)n->Size + 7u) & ~(size_t)7u;
    }
    return ST_SUCCESS;
}

FSP_API NTSTATUS32 FspFileSystemNotifyEnd(FSP_FILE_SYSTEM *FileSystem)
{
    if (FileSystem != g_volume.fs || g_notify.begun <= 0)
        return ST_INVALID_PARAMETER;
    g_notify.begun--;
    return ST_SUCCESS;
}

/* Merges by SECURITY_INFORMATION into a new self-relative descriptor the caller frees with
 * FspDeleteSecurityDescriptor (reference 3.3). */
FSP_API NTSTATUS32 FspSetSecurityDescriptor(void *InputDescriptor, uint32_t SecurityInformation,
    void *ModificationDescriptor, void **PSecurityDescriptor)
{
    uint8_t *result = NULL;
    size_t size = 0;
    NTSTATUS32 st = sd_merge(InputDescriptor, SecurityInformation, ModificationDescriptor, &result, &size);
    *PSecurityDescriptor = result;
    return st;
}

FSP_API void FspDeleteSecurityDescriptor(void *SecurityDescriptor, NTSTATUS32 (*CreateFunc)(void))
{
    (void)CreateFunc;
    free(SecurityDescriptor);
}

size_t utf16_from_utf8(WCHAR16 *out, size_t cap, const char *in)
{
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)in;
    while (*s && n + 1 < cap)
    {
        uint32_t c = *s++;
        if (c >= 0xE0 && s[0] && s[1]) { c = ((c & 0x0F) << 12) | ((uint32_t)(s[0] & 0x3F) << 6) | (s[1] & 0x3F); s += 2; }
        else if (c >= 0xC0 && s[0]) { c = ((c & 0x1F) << 6) | (s[0] & 0x3F); s += 1; }
        out[n++] = (WCHAR16)c;
    }
    out[n] = 0;
    return n;
}

void utf8_from_utf16(char *out, size_t cap, const WCHAR16 *in, size_t chars)
{
    size_t n = 0;
    for (size_t i = 0; i < chars && n + 4 < cap; i++)
    {
        uint32_t c = in[i];
        if (c < 0x80) out[n++] = (char)c;
        else if (c < 0x800) { out[n++] = (char)(0xC0 | (c >> 6)); out[n++] = (char)(0x80 | (c & 0x3F)); }
        else { out[n++] = (char)(0xE0 | (c >> 12)); out[n++] = (char)(0x80 | ((c >> 6) & 0x3F)); out[n++] = (char)(0x80 | (c & 0x3F)); }
    }
    out[n] = 0;
}
