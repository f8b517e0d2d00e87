/* Internal interface between the stand-in's parts. */
#ifndef STANDIN_H
#define STANDIN_H

#include <stdio.h>
#include "winfsp_abi.h"

/* What FspFileSystemCreate kept: the host's table and a copy of its volume parameters. */
typedef struct {
    FSP_FILE_SYSTEM *fs;
    const FSP_FILE_SYSTEM_INTERFACE *iface;
    FSP_FSCTL_VOLUME_PARAMS params;
    int stopping;
} standin_volume;

extern standin_volume g_volume;

/* The last notification the host sent, for the clone scenarios. */
typedef struct {
    int count;
    int begun;
    uint32_t filter;
    uint32_t action;
    char name[1024];
} standin_notify_log;

extern standin_notify_log g_notify;

/* Runs scenarios.txt through the host's callbacks and writes the report (scenario.c). */
void standin_run_scenarios(const char *scenarios_path, const char *report_path);

/* Self-relative security descriptors (security.c). */
size_t sd_build(uint8_t *out, size_t cap, const char *owner_sid, const char *group_sid, int aces);
int sd_owner_string(const uint8_t *sd, size_t size, char *out, size_t cap);
int sd_ace_count(const uint8_t *sd, size_t size);
NTSTATUS32 sd_merge(const uint8_t *input, uint32_t info, const uint8_t *modification, uint8_t **result, size_t *result_size);
size_t sd_size(const uint8_t *sd);

/* UTF-8 <-> UTF-16 for names (BMP only is enough for the scenarios). */
size_t utf16_from_utf8(WCHAR16 *out, size_t cap, const char *in);
void utf8_from_utf16(char *out, size_t cap, const WCHAR16 *in, size_t chars);

#endif
