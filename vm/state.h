/*
 * state.h — the VM's state hash (issue 10).
 *
 * XXX: placeholder for part A's vm/state.h (the state description, snapshots and the state hash).
 * This branch (part B, the record/replay log) only needs the one declaration below; the lead keeps
 * part A's file at merge and drops this one and vm/state_hash_tmp.c.
 */
#ifndef SOFTVISOR_STATE_H
#define SOFTVISOR_STATE_H

#include <stdint.h>

#include "vm/vm.h"

/* xxHash64 (XXH3_64bits) of CPU + RAM + devices + clock. */
uint64_t vm_state_hash(Vm *vm);

#endif
