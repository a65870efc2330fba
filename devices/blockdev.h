/*
 * blockdev.h — a raw disk image on the host as a block device for the IDE drives.
 *
 * Reads and writes are synchronous (pread/pwrite) at the moment the guest's command executes;
 * the guest sees their completion later through the device's virtual-time event, so host I/O
 * speed never changes what the guest computes.  With `snapshot`, writes go to an in-memory
 * overlay of 4 KiB chunks and the image file is never written.
 */
#ifndef SOFTVISOR_BLOCKDEV_H
#define SOFTVISOR_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BlockDev BlockDev;

/* Opens a raw image.  Refuses qcow2, VMDK, VDI, VHD/VHDX (naming `qemu-img convert -O raw`),
 * empty files and unreadable ones; on failure writes a one-line reason into err, returns NULL. */
BlockDev *blockdev_open(const char *path, bool readonly, bool snapshot, char *err, size_t errlen);
/* A block device over a caller-owned buffer (tests); writes land in the buffer. */
BlockDev *blockdev_new_mem(uint8_t *data, uint64_t size, bool readonly);
void blockdev_free(BlockDev *bd);

uint64_t blockdev_size(const BlockDev *bd);
bool blockdev_readonly(const BlockDev *bd);
/* Byte-addressed I/O; the range must lie inside the image (callers bounds-check first).
 * Return 0, or -1 on a host I/O error (or a write to a read-only device). */
int blockdev_read(BlockDev *bd, uint64_t off, void *buf, size_t len);
int blockdev_write(BlockDev *bd, uint64_t off, const void *buf, size_t len);
/* Makes every completed write durable on the host file (fsync); a no-op with snapshot. */
int blockdev_flush(BlockDev *bd);
/* True when the -snapshot overlay holds at least one written chunk. */
bool blockdev_overlay_dirty(const BlockDev *bd);

#endif
