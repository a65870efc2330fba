/*
 * checkpoint.h — in-memory checkpoints of a running VM, for the reverse debugger: restore the
 * nearest checkpoint before a target instruction count, then run forward to it.
 *
 * A checkpoint costs in proportion to the RAM pages written since the previous one (dirty-page
 * tracking, mem/phys.h), plus the state tables (vm/state.h), never the RAM size; only the first
 * one copies the RAM (its non-zero pages).  Restoring costs the pages that changed since.  Taking
 * one changes nothing the guest can see (the TLB's translations are state, so nothing is flushed);
 * a run restored at a checkpoint goes on exactly as the run that took it (vm_state_post_load).
 * Everything hangs off the VM it was made for; nothing is global.
 */
#ifndef SOFTVISOR_CHECKPOINT_H
#define SOFTVISOR_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Vm Vm;
typedef struct CheckpointSet CheckpointSet;

CheckpointSet *checkpoint_set_new(Vm *vm);
void checkpoint_set_free(CheckpointSet *cs);
/* Takes a checkpoint of the VM as it is now; returns its index (0, 1, ...) or -1 when out of
 * memory (nothing is taken then). */
int checkpoint_take(CheckpointSet *cs);
/* Puts the VM back exactly as it was at checkpoint k and drops the checkpoints after it.
 * false: no checkpoint k. */
bool checkpoint_restore(CheckpointSet *cs, int k);

/* For a deterministic run (a replay), where every checkpoint lies on the one timeline and a
 * restored run passes the later ones again:
 *   checkpoint_goto puts the VM back at checkpoint k (earlier or later than now) and keeps them
 *   all; it costs the pages written since the checkpoint the VM was last at, plus the pages the
 *   checkpoints between that one and k saved.
 *   checkpoint_passed says the run is now exactly where checkpoint k was taken, k being the one
 *   after the checkpoint the VM was last at; it costs nothing.
 *   checkpoint_take after a goto to an older checkpoint drops the ones after it first (a new
 *   branch), as checkpoint_restore does.
 *   checkpoint_drop forgets checkpoint k (0 < k < count) to save memory: its pages go into the
 *   next one where that one has none of its own.  The indices after k move down by one. */
bool checkpoint_goto(CheckpointSet *cs, int k);
void checkpoint_passed(CheckpointSet *cs, int k);
void checkpoint_drop(CheckpointSet *cs, int k);
/* The checkpoint the VM was last at (restored, passed or taken), or -1. */
int checkpoint_current(const CheckpointSet *cs);
int checkpoint_count(const CheckpointSet *cs);
uint64_t checkpoint_icount(const CheckpointSet *cs, int k);
/* Host memory checkpoint k holds (its state tables and page copies; the base copy not counted). */
size_t checkpoint_bytes(const CheckpointSet *cs, int k);
/* Host memory of the base copy of guest memory (its non-zero pages, taken with checkpoint 0). */
size_t checkpoint_base_bytes(const CheckpointSet *cs);

#endif
