/*
 * linux.h — booting a Linux bzImage through the 32-bit boot protocol (Documentation/x86/boot.rst).
 */
#ifndef SOFTVISOR_LINUX_H
#define SOFTVISOR_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vm.h"

/* True when the image carries a Linux setup header ("HdrS" at 0x202 and the 0xAA55 boot flag). */
bool linux_is_bzimage(const uint8_t *img, size_t len);
/* Loads the kernel (img: the whole file `path`), the initrd (path or NULL) and the command line,
 * builds the zero page with the E820 map, and sets the CPU to the 32-bit entry state. */
int loader_linux(Vm *vm, const char *path, const uint8_t *img, size_t len, const char *cmdline,
                 const char *initrd, char *err, size_t errlen);

#endif
