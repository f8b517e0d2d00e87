/* Self-relative security descriptors: building the scenarios' descriptors, reading back owner and
 * ACE count, and the merge FspSetSecurityDescriptor does by SECURITY_INFORMATION
 * (owner 1, group 2, DACL 4, SACL 8). Layout: the 20-byte SECURITY_DESCRIPTOR_RELATIVE header
 * (Revision, Sbz1, Control, then the offsets of owner, group, SACL, DACL), SIDs and ACLs after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "standin.h"

#define SE_DACL_PRESENT   0x0004u
#define SE_SACL_PRESENT   0x0010u
#define SE_DACL_AUTO_INHERITED 0x0400u
#define SE_SACL_AUTO_INHERITED 0x0800u
#define SE_DACL_PROTECTED 0x1000u
#define SE_SACL_PROTECTED 0x2000u
#define SE_SELF_RELATIVE  0x8000u
#define ST_INVALID_SECURITY_DESCR ((NTSTATUS32)0xC0000079)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static size_t sid_size(const uint8_t *sid) { return 8u + 4u * sid[1]; }

/* "S-1-5-32-544" into binary; returns the size or 0. */
static size_t sid_parse(uint8_t *out, const char *text)
{
    unsigned long long authority;
    const char *p = text;
    if (strncmp(p, "S-1-", 4) != 0)
        return 0;
    p += 4;
    authority = strtoull(p, (char **)&p, 10);
    out[0] = 1;
    out[1] = 0;
    for (int i = 0; i < 6; i++)
        out[2 + i] = (uint8_t)(authority >> (8 * (5 - i)));
    while (*p == '-' && out[1] < 15)
    {
        p++;
        wr32(out + 8 + 4 * out[1], (uint32_t)strtoul(p, (char **)&p, 10));
        out[1]++;
    }
    return sid_size(out);
}

static void sid_format(const uint8_t *sid, char *out, size_t cap)
{
    unsigned long long authority = 0;
    for (int i = 0; i < 6; i++)
        authority = (authority << 8) | sid[2 + i];
    int n = snprintf(out, cap, "S-%u-%llu", sid[0], authority);
    for (int i = 0; i < sid[1] && n > 0 && (size_t)n < cap; i++)
        n += snprintf(out + n, cap - (size_t)n, "-%u", rd32(sid + 8 + 4 * i));
}

size_t sd_build(uint8_t *out, size_t cap, const char *owner_sid, const char *group_sid, int aces)
{
    uint8_t sid[80];
    size_t at = 20;
    if (cap < 4096)
        return 0;
    memset(out, 0, 20);
    out[0] = 1;
    wr16(out + 2, SE_SELF_RELATIVE | SE_DACL_PRESENT);
    wr32(out + 4, (uint32_t)at);
    at += sid_parse(out + at, owner_sid);
    wr32(out + 8, (uint32_t)at);
    at += sid_parse(out + at, group_sid);
    wr32(out + 16, (uint32_t)at);
    uint8_t *acl = out + at;
    size_t acl_at = 8;
    for (int i = 0; i < aces; i++)
    {
        char text[64];
        if (i == 0)
            snprintf(text, sizeof text, "S-1-1-0");
        else
            snprintf(text, sizeof text, "S-1-5-21-1-2-3-%d", 1000 + i);
        size_t s = sid_parse(sid, text);
        uint8_t *ace = acl + acl_at;
        ace[0] = 0; /* ACCESS_ALLOWED_ACE_TYPE */
        ace[1] = 0;
        wr16(ace + 2, (uint16_t)(8 + s));
        wr32(ace + 4, i == 0 ? FILE_ALL_ACCESS : 0x120089u);
        memcpy(ace + 8, sid, s);
        acl_at += 8 + s;
    }
    acl[0] = 2; /* ACL_REVISION */
    acl[1] = 0;
    wr16(acl + 2, (uint16_t)acl_at);
    wr16(acl + 4, (uint16_t)aces);
    wr16(acl + 6, 0);
    return at + acl_at;
}

/* One part of a self-relative descriptor: where it is and how long. */
typedef struct { const uint8_t *p; size_t size; } part;

static int parse(const uint8_t *sd, part *owner, part *group, part *sacl, part *dacl, uint16_t *control)
{
    if (sd == NULL || sd[0] != 1)
        return 0;
    *control = rd16(sd + 2);
    if (!(*control & SE_SELF_RELATIVE))
        return 0;
    uint32_t o = rd32(sd + 4), g = rd32(sd + 8), s = rd32(sd + 12), d = rd32(sd + 16);
    owner->p = o ? sd + o : NULL; owner->size = o ? sid_size(sd + o) : 0;
    group->p = g ? sd + g : NULL; group->size = g ? sid_size(sd + g) : 0;
    sacl->p = s && (*control & SE_SACL_PRESENT) ? sd + s : NULL; sacl->size = sacl->p ? rd16(sd + s + 2) : 0;
    dacl->p = d && (*control & SE_DACL_PRESENT) ? sd + d : NULL; dacl->size = dacl->p ? rd16(sd + d + 2) : 0;
    return 1;
}

size_t sd_size(const uint8_t *sd)
{
    part o, g, s, d;
    uint16_t c;
    if (!parse(sd, &o, &g, &s, &d, &c))
        return 0;
    size_t end = 20;
    const part *parts[] = { &o, &g, &s, &d };
    for (int i = 0; i < 4; i++)
        if (parts[i]->p != NULL && (size_t)(parts[i]->p - sd) + parts[i]->size > end)
            end = (size_t)(parts[i]->p - sd) + parts[i]->size;
    return end;
}

int sd_owner_string(const uint8_t *sd, size_t size, char *out, size_t cap)
{
    part o, g, s, d;
    uint16_t c;
    if (size < 20 || !parse(sd, &o, &g, &s, &d, &c) || o.p == NULL)
        return 0;
    sid_format(o.p, out, cap);
    return 1;
}

int sd_ace_count(const uint8_t *sd, size_t size)
{
    part o, g, s, d;
    uint16_t c;
    if (size < 20 || !parse(sd, &o, &g, &s, &d, &c) || d.p == NULL)
        return -1;
    return rd16(d.p + 4);
}

NTSTATUS32 sd_merge(const uint8_t *input, uint32_t info, const uint8_t *modification, uint8_t **result, size_t *result_size)
{
    part io, ig, is, id, mo, mg, ms, md;
    uint16_t ic, mc;
    *result = NULL;
    *result_size = 0;
    if (!parse(input, &io, &ig, &is, &id, &ic) || !parse(modification, &mo, &mg, &ms, &md, &mc))
        return ST_INVALID_SECURITY_DESCR;
    part owner = (info & 1) ? mo : io, group = (info & 2) ? mg : ig;
    part dacl = (info & 4) ? md : id, sacl = (info & 8) ? ms : is;
    uint16_t dacl_bits = (uint16_t)(((info & 4) ? mc : ic) & (SE_DACL_PRESENT | SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED));
    uint16_t sacl_bits = (uint16_t)(((info & 8) ? mc : ic) & (SE_SACL_PRESENT | SE_SACL_PROTECTED | SE_SACL_AUTO_INHERITED));
    size_t size = 20 + owner.size + group.size + sacl.size + dacl.size;
    uint8_t *sd = calloc(1, size);
    if (sd == NULL)
        return ST_INSUFFICIENT_RESOURCES;
    sd[0] = 1;
    wr16(sd + 2, (uint16_t)(SE_SELF_RELATIVE | dacl_bits | sacl_bits));
    size_t at = 20;
    const part *parts[] = { &owner, &group, &sacl, &dacl };
    for (int i = 0; i < 4; i++)
    {
        if (parts[i]->p == NULL)
            continue;
        wr32(sd + 4 + 4 * i, (uint32_t)at);
        memcpy(sd + at, parts[i]->p, parts[i]->size);
        at += parts[i]->size;
    }
    *result = sd;
    *result_size = size;
    return ST_SUCCESS;
}
