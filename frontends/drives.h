/*
 * drives.h — QEMU's disk options: -drive, -hda..-hdd, -cdrom, -snapshot, -boot.
 */
#ifndef SOFTVISOR_DRIVES_H
#define SOFTVISOR_DRIVES_H

#include <stddef.h>

#include "vm/vm.h"

/* If argv[i] is a disk option, applies it (with its argument argv[i + 1] when it takes one) to
 * cfg and returns how many arguments it used (1 or 2); 0 when it is not one; -1 with a one-line
 * reason in err when it is malformed. */
int drives_option(VmConfig *cfg, int argc, char **argv, int i, char *err, size_t errlen);

#endif
