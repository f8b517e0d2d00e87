/* The part of the WinFsp ABI the stand-in plays (shared/reference/winfsp.md sections 1.3, 2).
 * Fixed-width types only: WCHAR is uint16_t, NTSTATUS int32_t, ULONG uint32_t, on Linux and Windows
 * alike (long and wchar_t differ between the two). Every size the reference gives is asserted. */
#ifndef WINFSP_ABI_H
#define WINFSP_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#define FSP_API __declspec(dllexport)
#else
#define FSP_API __attribute__((visibility("default")))
#endif

typedef uint16_t WCHAR16;
typedef int32_t NTSTATUS32;
typedef uint8_t BOOLEAN8;

/* NTSTATUS values (reference 2.7). */
#define ST_SUCCESS                 ((NTSTATUS32)0x00000000)
#define ST_BUFFER_OVERFLOW         ((NTSTATUS32)0x80000005)
#define ST_INVALID_HANDLE          ((NTSTATUS32)0xC0000008)
#define ST_INVALID_PARAMETER       ((NTSTATUS32)0xC000000D)
#define ST_INVALID_DEVICE_REQUEST  ((NTSTATUS32)0xC0000010)
#define ST_END_OF_FILE             ((NTSTATUS32)0xC0000011)
#define ST_ACCESS_DENIED           ((NTSTATUS32)0xC0000022)
#define ST_BUFFER_TOO_SMALL        ((NTSTATUS32)0xC0000023)
#define ST_OBJECT_NAME_INVALID     ((NTSTATUS32)0xC0000033)
#define ST_OBJECT_NAME_NOT_FOUND   ((NTSTATUS32)0xC0000034)
#define ST_OBJECT_NAME_COLLISION   ((NTSTATUS32)0xC0000035)
#define ST_OBJECT_PATH_NOT_FOUND   ((NTSTATUS32)0xC000003A)
#define ST_DELETE_PENDING          ((NTSTATUS32)0xC0000056)
#define ST_INSUFFICIENT_RESOURCES  ((NTSTATUS32)0xC000009A)
#define ST_FILE_IS_A_DIRECTORY     ((NTSTATUS32)0xC00000BA)
#define ST_NOT_SUPPORTED           ((NTSTATUS32)0xC00000BB)
#define ST_DIRECTORY_NOT_EMPTY     ((NTSTATUS32)0xC0000101)
#define ST_NOT_A_DIRECTORY         ((NTSTATUS32)0xC0000103)
#define ST_CANNOT_DELETE           ((NTSTATUS32)0xC0000121)
#define ST_INVALID_BUFFER_SIZE     ((NTSTATUS32)0xC0000206)
#define ST_CANT_WAIT               ((NTSTATUS32)0xC00000D8)

/* Volume flag bits at offset 36 (reference 2.1). */
#define VP_CASE_SENSITIVE_SEARCH          0x00000001u
#define VP_PASS_QUERY_DIRECTORY_FILE_NAME 0x00002000u
#define VP_DEVICE_CONTROL                 0x00008000u
#define VP_UM_FILE_CONTEXT_IS_USER_CONTEXT2 0x00010000u
#define VP_UM_FILE_CONTEXT_IS_FULL_CONTEXT  0x00020000u
#define VP_POST_DISPOSITION_WHEN_NECESSARY_ONLY 0x40000000u

typedef struct {
    uint16_t Version;
    uint16_t SectorSize;
    uint16_t SectorsPerAllocationUnit;
    uint16_t MaxComponentLength;
    uint64_t VolumeCreationTime;
    uint32_t VolumeSerialNumber;
    uint32_t TransactTimeout;
    uint32_t IrpTimeout;
    uint32_t IrpCapacity;
    uint32_t FileInfoTimeout;
    uint32_t Flags;
    WCHAR16 Prefix[192];
    WCHAR16 FileSystemName[16];
    uint32_t AdditionalFlags;
    uint32_t VolumeInfoTimeout;
    uint32_t DirInfoTimeout;
    uint32_t SecurityTimeout;
    uint32_t StreamInfoTimeout;
    uint32_t EaTimeout;
    uint32_t FsextControlCode;
    uint32_t Reserved32[1];
    uint64_t Reserved64[2];
} FSP_FSCTL_VOLUME_PARAMS;
_Static_assert(sizeof(FSP_FSCTL_VOLUME_PARAMS) == 504, "VolumeParams is 504 bytes (2.1)");
_Static_assert(offsetof(FSP_FSCTL_VOLUME_PARAMS, Flags) == 36, "flags at 36");
_Static_assert(offsetof(FSP_FSCTL_VOLUME_PARAMS, Prefix) == 40, "Prefix at 40");
_Static_assert(offsetof(FSP_FSCTL_VOLUME_PARAMS, FileSystemName) == 424, "FileSystemName at 424");
_Static_assert(offsetof(FSP_FSCTL_VOLUME_PARAMS, AdditionalFlags) == 456, "V0 ends at 456");

typedef struct {
    uint64_t TotalSize;
    uint64_t FreeSize;
    uint16_t VolumeLabelLength;
    WCHAR16 VolumeLabel[32];
} FSP_FSCTL_VOLUME_INFO;
_Static_assert(sizeof(FSP_FSCTL_VOLUME_INFO) == 88, "VolumeInfo is 88 bytes (2.2)");

typedef struct {
    uint32_t FileAttributes;
    uint32_t ReparseTag;
    uint64_t AllocationSize;
    uint64_t FileSize;
    uint64_t CreationTime;
    uint64_t LastAccessTime;
    uint64_t LastWriteTime;
    uint64_t ChangeTime;
    uint64_t IndexNumber;
    uint32_t HardLinks;
    uint32_t EaSize;
} FSP_FSCTL_FILE_INFO;
_Static_assert(sizeof(FSP_FSCTL_FILE_INFO) == 72, "FileInfo is 72 bytes (2.3)");
_Static_assert(offsetof(FSP_FSCTL_FILE_INFO, IndexNumber) == 56, "IndexNumber at 56");

typedef struct {
    FSP_FSCTL_FILE_INFO FileInfo;
    WCHAR16 *NormalizedName;
    uint16_t NormalizedNameSize;
} FSP_FSCTL_OPEN_FILE_INFO;
_Static_assert(sizeof(FSP_FSCTL_OPEN_FILE_INFO) == 88, "OpenFileInfo is 88 bytes on 64-bit (2.4)");
_Static_assert(offsetof(FSP_FSCTL_OPEN_FILE_INFO, NormalizedName) == 72, "NormalizedName at 72");
_Static_assert(offsetof(FSP_FSCTL_OPEN_FILE_INFO, NormalizedNameSize) == 80, "NormalizedNameSize at 80");

typedef struct {
    uint16_t Size;
    FSP_FSCTL_FILE_INFO FileInfo;
    union {
        uint64_t NextOffset;
        uint8_t Padding[24];
    } u;
    WCHAR16 FileNameBuf[];
} FSP_FSCTL_DIR_INFO;
_Static_assert(sizeof(FSP_FSCTL_DIR_INFO) == 104, "DirInfo header is 104 bytes (2.5)");
_Static_assert(offsetof(FSP_FSCTL_DIR_INFO, FileInfo) == 8, "DirInfo.FileInfo at 8");
_Static_assert(offsetof(FSP_FSCTL_DIR_INFO, u) == 80, "DirInfo.NextOffset at 80");

typedef struct {
    uint16_t Size;
    uint32_t Filter;
    uint32_t Action;
    WCHAR16 FileNameBuf[];
} FSP_FSCTL_NOTIFY_INFO;
_Static_assert(sizeof(FSP_FSCTL_NOTIFY_INFO) == 12, "NotifyInfo header is 12 bytes (2.5)");
_Static_assert(offsetof(FSP_FSCTL_NOTIFY_INFO, Filter) == 4, "Filter at 4");
_Static_assert(offsetof(FSP_FSCTL_NOTIFY_INFO, Action) == 8, "Action at 8");

struct FSP_FILE_SYSTEM;
typedef struct FSP_FILE_SYSTEM FSP_FILE_SYSTEM;
typedef FSP_FILE_SYSTEM *PFS;

/* The 64-slot interface table (reference 2.7); slot numbers in the comments. */
typedef struct {
    NTSTATUS32 (*GetVolumeInfo)(PFS, FSP_FSCTL_VOLUME_INFO *);                                     /* 0 */
    NTSTATUS32 (*SetVolumeLabel)(PFS, WCHAR16 *, FSP_FSCTL_VOLUME_INFO *);                         /* 1 */
    NTSTATUS32 (*GetSecurityByName)(PFS, WCHAR16 *, uint32_t *, void *, size_t *);                 /* 2 */
    NTSTATUS32 (*Create)(PFS, WCHAR16 *, uint32_t, uint32_t, uint32_t, void *, uint64_t, void **, FSP_FSCTL_FILE_INFO *); /* 3 */
    NTSTATUS32 (*Open)(PFS, WCHAR16 *, uint32_t, uint32_t, void **, FSP_FSCTL_FILE_INFO *);       /* 4 */
    NTSTATUS32 (*Overwrite)(PFS, void *, uint32_t, BOOLEAN8, uint64_t, FSP_FSCTL_FILE_INFO *);      /* 5 */
    void (*Cleanup)(PFS, void *, WCHAR16 *, uint32_t);                                             /* 6 */
    void (*Close)(PFS, void *);                                                                    /* 7 */
    NTSTATUS32 (*Read)(PFS, void *, void *, uint64_t, uint32_t, uint32_t *);                       /* 8 */
    NTSTATUS32 (*Write)(PFS, void *, void *, uint64_t, uint32_t, BOOLEAN8, BOOLEAN8, uint32_t *, FSP_FSCTL_FILE_INFO *); /* 9 */
    NTSTATUS32 (*Flush)(PFS, void *, FSP_FSCTL_FILE_INFO *);                                        /* 10 */
    NTSTATUS32 (*GetFileInfo)(PFS, void *, FSP_FSCTL_FILE_INFO *);                                  /* 11 */
    NTSTATUS32 (*SetBasicInfo)(PFS, void *, uint32_t, uint64_t, uint64_t, uint64_t, uint64_t, FSP_FSCTL_FILE_INFO *); /* 12 */
    NTSTATUS32 (*SetFileSize)(PFS, void *, uint64_t, BOOLEAN8, FSP_FSCTL_FILE_INFO *);              /* 13 */
    NTSTATUS32 (*CanDelete)(PFS, void *, WCHAR16 *);                                                /* 14 */
    NTSTATUS32 (*Rename)(PFS, void *, WCHAR16 *, WCHAR16 *, BOOLEAN8);                               /* 15 */
    NTSTATUS32 (*GetSecurity)(PFS, void *, void *, size_t *);                                       /* 16 */
    NTSTATUS32 (*SetSecurity)(PFS, void *, uint32_t, void *);                                       /* 17 */
    NTSTATUS32 (*ReadDirectory)(PFS, void *, WCHAR16 *, WCHAR16 *, void *, uint32_t, uint32_t *);   /* 18 */
    void *ResolveReparsePoints;                                                                    /* 19 */
    void *GetReparsePoint;                                                                         /* 20 */
    void *SetReparsePoint;                                                                         /* 21 */
    void *DeleteReparsePoint;                                                                      /* 22 */
    void *GetStreamInfo;                                                                           /* 23 */
    NTSTATUS32 (*GetDirInfoByName)(PFS, void *, WCHAR16 *, FSP_FSCTL_DIR_INFO *);                    /* 24 */
    NTSTATUS32 (*Control)(PFS, void *, uint32_t, void *, uint32_t, void *, uint32_t, uint32_t *);    /* 25 */
    NTSTATUS32 (*SetDelete)(PFS, void *, WCHAR16 *, BOOLEAN8);                                       /* 26 */
    NTSTATUS32 (*CreateEx)(PFS, WCHAR16 *, uint32_t, uint32_t, uint32_t, void *, uint64_t, void *, uint32_t, BOOLEAN8, void **, FSP_FSCTL_FILE_INFO *); /* 27 */
    NTSTATUS32 (*OverwriteEx)(PFS, void *, uint32_t, BOOLEAN8, uint64_t, void *, uint32_t, FSP_FSCTL_FILE_INFO *); /* 28 */
    void *GetEa;                                                                                   /* 29 */
    void *SetEa;                                                                                   /* 30 */
    void *Obsolete0;                                                                               /* 31 */
    void (*DispatcherStopped)(PFS, BOOLEAN8);                                                       /* 32 */
    void *Reserved[31];                                                                            /* 33-63 */
} FSP_FILE_SYSTEM_INTERFACE;
_Static_assert(sizeof(FSP_FILE_SYSTEM_INTERFACE) == 512, "the interface table is 64 pointers (2.7)");
_Static_assert(offsetof(FSP_FILE_SYSTEM_INTERFACE, ReadDirectory) == 144, "ReadDirectory is slot 18");
_Static_assert(offsetof(FSP_FILE_SYSTEM_INTERFACE, CreateEx) == 216, "CreateEx is slot 27");
_Static_assert(offsetof(FSP_FILE_SYSTEM_INTERFACE, Obsolete0) == 248, "slot 31 is Obsolete0");
_Static_assert(offsetof(FSP_FILE_SYSTEM_INTERFACE, DispatcherStopped) == 256, "DispatcherStopped is slot 32");

/* FSP_FILE_SYSTEM (reference 2.6): only the offsets the host may touch are real fields; the rest is
 * the stand-in's own state, kept inside the 792 bytes the DLL allocates. */
struct FSP_FILE_SYSTEM {
    uint16_t Version;
    void *UserContext;
    WCHAR16 VolumeName[256];
    uint8_t Rest[792 - 16 - 512];
};
_Static_assert(sizeof(FSP_FILE_SYSTEM) == 792, "FSP_FILE_SYSTEM is 792 bytes on 64-bit (2.6)");
_Static_assert(offsetof(FSP_FILE_SYSTEM, UserContext) == 8, "UserContext at offset 8");

/* Create options and dispositions (CreateOptions >> 24, reference 3.2). The Windows headers define
 * the same names with the same values, so each is defined only where they are absent. */
#ifndef FILE_DIRECTORY_FILE
#define FILE_DIRECTORY_FILE      0x00000001u
#endif
#ifndef FILE_NON_DIRECTORY_FILE
#define FILE_NON_DIRECTORY_FILE  0x00000040u
#endif
#ifndef FILE_SUPERSEDE
#define FILE_SUPERSEDE    0u
#endif
#ifndef FILE_OPEN
#define FILE_OPEN         1u
#endif
#ifndef FILE_CREATE
#define FILE_CREATE       2u
#endif
#ifndef FILE_OPEN_IF
#define FILE_OPEN_IF      3u
#endif
#ifndef FILE_OVERWRITE
#define FILE_OVERWRITE    4u
#endif
#ifndef FILE_OVERWRITE_IF
#define FILE_OVERWRITE_IF 5u
#endif

#ifndef FILE_ATTRIBUTE_READONLY
#define FILE_ATTRIBUTE_READONLY  0x00000001u
#endif
#ifndef FILE_ATTRIBUTE_DIRECTORY
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010u
#endif
#ifndef FILE_ATTRIBUTE_ARCHIVE
#define FILE_ATTRIBUTE_ARCHIVE   0x00000020u
#endif
#ifndef FILE_ATTRIBUTE_NORMAL
#define FILE_ATTRIBUTE_NORMAL    0x00000080u
#endif

/* Cleanup flags (reference 2.7). */
#define FSP_CLEANUP_DELETE          0x01u
#define FSP_CLEANUP_SET_ALLOCATION  0x02u
#define FSP_CLEANUP_SET_ARCHIVE_BIT 0x10u
#define FSP_CLEANUP_SET_LAST_WRITE  0x40u
#define FSP_CLEANUP_SET_CHANGE_TIME 0x80u

/* Access rights. */
#ifndef FILE_READ_DATA
#define FILE_READ_DATA   0x0001u
#endif
#ifndef FILE_WRITE_DATA
#define FILE_WRITE_DATA  0x0002u
#endif
#ifndef FILE_APPEND_DATA
#define FILE_APPEND_DATA 0x0004u
#endif
#define DELETE_ACCESS    0x00010000u
#ifndef READ_CONTROL
#define READ_CONTROL     0x00020000u
#endif
#ifndef WRITE_DAC
#define WRITE_DAC        0x00040000u
#endif
#ifndef WRITE_OWNER
#define WRITE_OWNER      0x00080000u
#endif
#ifndef FILE_ALL_ACCESS
#define FILE_ALL_ACCESS  0x001F01FFu
#endif

#ifndef FILE_NOTIFY_CHANGE_SIZE
#define FILE_NOTIFY_CHANGE_SIZE       0x00000008u
#endif
#ifndef FILE_NOTIFY_CHANGE_LAST_WRITE
#define FILE_NOTIFY_CHANGE_LAST_WRITE 0x00000010u
#endif
#ifndef FILE_ACTION_MODIFIED
#define FILE_ACTION_MODIFIED          0x00000003u
#endif

#endif
