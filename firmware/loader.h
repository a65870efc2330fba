/*
 * loader.h — putting guest code into a fresh VM: a raw BIOS ROM, a multiboot v1 kernel (with
 * modules), or a Linux bzImage (with an initrd).
 */
#ifndef SOFTVISOR_LOADER_H
#define SOFTVISOR_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vm/vm.h"

/* Reads a BIOS ROM image (a multiple of 4 KiB, at most 16 MiB) into vm->rom. */
int loader_read_bios(Vm *vm, const char *path, char *err, size_t errlen);
/* Loads vm->cfg.kernel (bzImage or multiboot; vm->cfg.initrd, vm->cfg.append) and sets the CPU
 * to the kernel's entry state. */
int loader_kernel(Vm *vm, char *err, size_t errlen);

/* For the loaders: a whole regular file of at most `max` bytes (malloc'd), or NULL with a reason. */
uint8_t *loader_read_file(const char *path, size_t *len, size_t max, char *err, size_t errlen);
/* Little-endian fields of boot structures in guest RAM or in an image (x86 hosts and guests). */
static inline uint16_t le16_get(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t le32_get(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline void le16_put(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void le32_put(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void le64_put(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Sets a flat 32-bit segment in the CPU's segment cache directly. */
void loader_flat_segment(Cpu *cpu, int seg, uint16_t sel, uint16_t attr);

#endif
