/*
 * blockdev.c — raw host image backend (see blockdev.h).  Image format magics recognised so that
 * they can be refused rather than exposed as raw bytes: qcow/qcow2 "QFI\xfb" at 0, VMDK "KDMV"
 * (sparse extent) or "# Disk DescriptorFile" at 0, VDI signature 0xBEDA107F at offset 0x40,
 * VHD "conectix" at 0 (dynamic) or in the last 512 bytes (fixed), VHDX "vhdxfile" at 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/blockdev.h"

#define OVL_CHUNK 4096u

struct BlockDev {
    int fd;                   /* -1 for a memory device */
    uint8_t *mem;             /* memory device backing */
    uint64_t size;
    bool readonly;
    bool snapshot;
    uint8_t **ovl;            /* snapshot overlay: one pointer per chunk, NULL = unwritten */
    uint64_t nchunks;
};

static const char *format_name(const uint8_t *head, size_t n, const uint8_t *tail, size_t tn)
{
    if (n >= 4 && !memcmp(head, "QFI\xfb", 4))
        return "qcow2";
    if (n >= 4 && !memcmp(head, "KDMV", 4))
        return "vmdk";
    if (n >= 21 && !memcmp(head, "# Disk DescriptorFile", 21))
        return "vmdk";
    if (n >= 0x44 && head[0x40] == 0x7f && head[0x41] == 0x10 && head[0x42] == 0xda && head[0x43] == 0xbe)
        return "vdi";
    if (n >= 8 && !memcmp(head, "vhdxfile", 8))
        return "vhdx";
    if (n >= 8 && !memcmp(head, "conectix", 8))
        return "vpc (VHD)";
    if (tn >= 8 && !memcmp(tail, "conectix", 8))
        return "vpc (VHD)";
    return NULL;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t r = pread(fd, p, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

BlockDev *blockdev_open(const char *path, bool readonly, bool snapshot, char *err, size_t errlen)
{
    int fd = open(path, (readonly || snapshot) ? O_RDONLY : O_RDWR);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open disk image '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    uint64_t size = 0;
    if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        off_t end = lseek(fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t)end : 0;
    } else {
        snprintf(err, errlen, "disk image '%s' is not a regular file or block device", path);
        close(fd);
        return NULL;
    }
    if (size < 512) {
        snprintf(err, errlen, "disk image '%s' is %s (a raw image holds at least one 512-byte sector)",
                 path, size ? "shorter than 512 bytes" : "empty");
        close(fd);
        return NULL;
    }
    uint8_t head[512], tail[512];
    if (pread_all(fd, head, sizeof head, 0) < 0 || pread_all(fd, tail, sizeof tail, size - 512) < 0) {
        snprintf(err, errlen, "cannot read disk image '%s': %s", path, strerror(errno ? errno : EIO));
        close(fd);
        return NULL;
    }
    const char *fmt = format_name(head, sizeof head, tail, sizeof tail);
    if (fmt) {
        snprintf(err, errlen, "disk image '%s' is in %s format; only raw images are supported "
                 "(convert it: qemu-img convert -O raw '%s' disk.raw)", path, fmt, path);
        close(fd);
        return NULL;
    }
    BlockDev *bd = calloc(1, sizeof *bd);
    if (!bd) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    bd->fd = fd;
    bd->size = size;
    bd->readonly = readonly;
    bd->snapshot = snapshot && !readonly;
    if (bd->snapshot) {
        bd->nchunks = (size + OVL_CHUNK - 1) / OVL_CHUNK;
        bd->ovl = calloc(bd->nchunks, sizeof *bd->ovl);
        if (!bd->ovl) {
            snprintf(err, errlen, "out of memory for the -snapshot overlay of '%s'", path);
            blockdev_free(bd);
            return NULL;
        }
    }
    return bd;
}

BlockDev *blockdev_new_mem(uint8_t *data, uint64_t size, bool readonly)
{
    BlockDev *bd = calloc(1, sizeof *bd);
    if (!bd)
        return NULL;
    bd->fd = -1;
    bd->mem = data;
    bd->size = size;
    bd->readonly = readonly;
    return bd;
}

void blockdev_free(BlockDev *bd)
{
    if (!bd)
        return;
    if (bd->fd >= 0)
        close(bd->fd);
    for (uint64_t i = 0; bd->ovl && i < bd->nchunks; i++)
        free(bd->ovl[i]);
    free(bd->ovl);
    free(bd);
}

uint64_t blockdev_size(const BlockDev *bd)
{
    return bd->size;
}

bool blockdev_readonly(const BlockDev *bd)
{
    return bd->readonly;
}

static bool in_range(const BlockDev *bd, uint64_t off, size_t len)
{
    return off <= bd->size && len <= bd->size - off;
}

int blockdev_read(BlockDev *bd, uint64_t off, void *buf, size_t len)
{
    if (!in_range(bd, off, len))
        return -1;
    if (bd->mem) {
        memcpy(buf, bd->mem + off, len);
        return 0;
    }
    if (!bd->ovl)
        return pread_all(bd->fd, buf, len, off);
    uint8_t *p = buf;
    while (len) {
        uint64_t c = off / OVL_CHUNK, in = off % OVL_CHUNK;
        size_t n = OVL_CHUNK - in < len ? OVL_CHUNK - in : len;
        if (bd->ovl[c])
            memcpy(p, bd->ovl[c] + in, n);
        else if (pread_all(bd->fd, p, n, off) < 0)
            return -1;
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

int blockdev_write(BlockDev *bd, uint64_t off, const void *buf, size_t len)
{
    if (bd->readonly || !in_range(bd, off, len))
        return -1;
    if (bd->mem) {
        memcpy(bd->mem + off, buf, len);
        return 0;
    }
    const uint8_t *p = buf;
    if (!bd->ovl) {
        while (len) {
            ssize_t r = pwrite(bd->fd, p, len, (off_t)off);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return -1;
            p += r;
            off += (uint64_t)r;
            len -= (size_t)r;
        }
        return 0;
    }
    while (len) {
        uint64_t c = off / OVL_CHUNK, in = off % OVL_CHUNK;
        size_t n = OVL_CHUNK - in < len ? OVL_CHUNK - in : len;
        if (!bd->ovl[c]) {
            uint64_t base = c * OVL_CHUNK;
            size_t cl = bd->size - base < OVL_CHUNK ? (size_t)(bd->size - base) : OVL_CHUNK;
            uint8_t *chunk = calloc(1, OVL_CHUNK);
            if (!chunk || pread_all(bd->fd, chunk, cl, base) < 0) {
                free(chunk);
                return -1;
            }
            bd->ovl[c] = chunk;
        }
        memcpy(bd->ovl[c] + in, p, n);
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

int blockdev_flush(BlockDev *bd)
{
    if (bd->fd < 0 || bd->ovl || bd->readonly)
        return 0;
    return fsync(bd->fd) == 0 ? 0 : -1;
}

bool blockdev_overlay_dirty(const BlockDev *bd)
{
    if (!bd->ovl)
        return false;
    for (uint64_t i = 0; i < bd->nchunks; i++)
        if (bd->ovl[i])
            return true;
    return false;
}
