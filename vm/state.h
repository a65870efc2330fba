/*
 * state.h — the state description (STYLE rule 15, DESIGN.md "Time and determinism"): every piece
 * of guest-visible state is described once, in a versioned field table next to the struct that
 * holds it, and that one table drives the snapshot writer, the snapshot reader, the state hash
 * and the field-by-field comparison the tests use.  No device writes its serialisation by hand.
 *
 * A table (StateDesc) lists fields by name, byte offset, element size, element count, kind and
 * the table version that added the field.  A field of kind STATE_STRUCT is an array of a nested
 * table (the 8254's three counters, the segment caches); nested tables version together with the
 * section that contains them.  Pointers, callbacks, event ids and other host-only fields are
 * never listed: a table may name them in `host_only` instead, which is what the coverage test
 * (tests/unit/test_state.c) uses to prove that no field of struct Cpu is forgotten.
 *
 * Serialised form: the fields in table order, each as its raw little-endian bytes (the host is
 * x86-64), no padding.  Loading a section saved by an older table version leaves the fields added
 * since then at their power-on values; a newer version is refused.
 *
 * The VM as a whole (vm_state_*): sections "cpu", "clock", "board" and one per device, then the
 * event queue as (owner section, event kind, deadline) triples, then RAM.  The TLB's translations
 * are CPU state; its fast-path tags, the jump cache and the decoded blocks are not: they are
 * rebuilt or flushed after a load (vm_state_post_load).
 */
#ifndef SOFTVISOR_STATE_H
#define SOFTVISOR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum StateKind {
    STATE_UINT,      /* little-endian unsigned/two's complement integer(s) of `size` bytes (1,2,4,8) */
    STATE_BOOL,      /* C bool(s): a loaded byte other than 0/1 is refused */
    STATE_BYTES,     /* opaque bytes, `size` per element (XMM registers) */
    STATE_STRUCT,    /* `count` elements of the nested table `sub`, `size` bytes apart */
} StateKind;

typedef struct StateDesc StateDesc;

typedef struct StateField {
    const char *name;
    uint32_t offset;          /* in the struct the table describes */
    uint32_t size;            /* bytes of one element */
    uint32_t count;           /* elements (1 for a scalar) */
    uint16_t align;           /* alignment of the member (coverage test: what counts as padding) */
    uint8_t kind;             /* StateKind */
    uint8_t version;          /* the table version that added this field */
    const StateDesc *sub;     /* STATE_STRUCT */
} StateField;

struct StateDesc {
    const char *name;
    uint32_t version;         /* raise it when adding a field (and give the field this version) */
    uint32_t size;            /* sizeof the described struct */
    const StateField *fields;
    uint32_t nfields;
    const StateField *host_only;   /* fields that are deliberately not state (documentation and the
                                    * coverage test), or NULL */
    uint32_t nhost_only;
    /* After a load: check the values that index host memory (a hostile snapshot) and rebuild
     * host-side state the fields imply (an MMIO window, a port range).  Returns false, with a
     * reason in err, when a value is out of range.  NULL: nothing to do. */
    bool (*post_load)(void *obj, char *err, size_t errlen);
};

#define STATE_ELEM(T, f) (sizeof(((T *)0)->f[0]))

/* Scalar field `f` of struct T, present since table version v. */
#define STATE_UINT_V(T, f, v) \
    { #f, offsetof(T, f), sizeof(((T *)0)->f), 1, __alignof__(((T *)0)->f), STATE_UINT, v, NULL }
#define STATE_U(T, f) STATE_UINT_V(T, f, 1)
/* Array field `f` of integers. */
#define STATE_ARRAY_V(T, f, v) \
    { #f, offsetof(T, f), STATE_ELEM(T, f), sizeof(((T *)0)->f) / STATE_ELEM(T, f), \
      __alignof__(((T *)0)->f), STATE_UINT, v, NULL }
#define STATE_A(T, f) STATE_ARRAY_V(T, f, 1)
#define STATE_BOOL_V(T, f, v) \
    { #f, offsetof(T, f), sizeof(bool), sizeof(((T *)0)->f) / sizeof(bool), _Alignof(bool), STATE_BOOL, v, NULL }
#define STATE_B(T, f) STATE_BOOL_V(T, f, 1)
/* Array (or single element) `f` of raw byte blocks, one per element. */
#define STATE_BYTES_V(T, f, v) \
    { #f, offsetof(T, f), STATE_ELEM(T, f), sizeof(((T *)0)->f) / STATE_ELEM(T, f), \
      __alignof__(((T *)0)->f), STATE_BYTES, v, NULL }
/* A nested struct `f` of type ElemT (or an array of them) described by table `d`. */
#define STATE_STRUCT_V(T, f, ElemT, d, v) \
    { #f, offsetof(T, f), sizeof(ElemT), sizeof(((T *)0)->f) / sizeof(ElemT), \
      __alignof__(((T *)0)->f), STATE_STRUCT, v, &(d) }
#define STATE_S(T, f, ElemT, d) STATE_STRUCT_V(T, f, ElemT, d, 1)
/* A host-only field, for StateDesc.host_only (what it is does not matter, only where). */
#define STATE_HOST(T, f) \
    { #f, offsetof(T, f), sizeof(((T *)0)->f), 1, __alignof__(((T *)0)->f), STATE_BYTES, 0, NULL }

#define STATE_COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* ---- walking one table ---- */

/* Called for each run of leaf bytes, in table order (one call per leaf field, or per element of a
 * nested array).  `p` points into the object. */
typedef void (*StateVisit)(void *ctx, const StateField *f, uint8_t *p, size_t len);
/* Visits the fields of `d` present in `version` (the current table: d->version). */
void state_walk(const StateDesc *d, void *obj, uint32_t version, StateVisit fn, void *ctx);
/* Serialised size of `d` at `version`. */
size_t state_size(const StateDesc *d, uint32_t version);
/* Serialises obj into buf (state_size bytes) / reads it back (bools checked; false with a reason
 * naming the field when a value is impossible). */
void state_save(const StateDesc *d, const void *obj, uint8_t *buf);
bool state_load(const StateDesc *d, void *obj, uint32_t version, const uint8_t *buf, char *err, size_t errlen);
/* First field (dotted path, e.g. "seg[1].base") whose bytes differ between a and b, written into
 * `where`; false when they are equal. */
bool state_diff(const StateDesc *d, const void *a, const void *b, char *where, size_t wherelen);

/* ---- the whole VM ---- */

typedef struct Vm Vm;

#define VM_STATE_MAX_SECTIONS 24

typedef struct VmSection {
    const char *name;
    const StateDesc *desc;
    void *obj;
} VmSection;

/* The sections of `vm` in their fixed order; returns how many. */
int vm_state_sections(Vm *vm, VmSection *out);

/* Guest memory kept page by page: RAM, then the VGA's VRAM when there is one.  Each block has a
 * dirty bitmap per client (mem/phys.h's PHYS_DIRTY_*: bit n = page n written since the client
 * cleared it) and the state hash's cache of page hashes.  The snapshot stores the blocks whole,
 * in this order; the hash and the checkpoints look at the dirty pages only. */
#define VM_STATE_MAX_BLOCKS 2

typedef struct VmBlock {
    uint8_t *host;
    uint64_t pages;
    uint64_t **dirty;         /* [PHYS_DIRTY_CLIENTS] bitmaps */
    uint64_t *page_hash;
} VmBlock;

int vm_state_blocks(Vm *vm, VmBlock *out);
/* Clears a client's bitmaps; for RAM that drops the TLB's write tags too (mem/phys.h). */
void vm_state_dirty_clear(Vm *vm, int client);

/* xxHash64 (XXH3_64bits) of CPU + RAM + devices + clock and event queue: every field the tables
 * describe, the armed events, and the XXH3 of every RAM page.  Incremental: only the pages written
 * since the previous call are hashed again (dirty tracking, mem/phys.h). */
uint64_t vm_state_hash(Vm *vm);
/* Puts the lazy arithmetic flags in their one canonical form (CC_OP_EFLAGS, the operand fields
 * zero) before the state is hashed, saved or checkpointed.  The interpreter and the JIT may leave
 * different records for the same flags (an operand field a condition never reads); the guest
 * sees the same EFLAGS either way, so the form changes nothing it computes, and runs on either
 * tier hash alike. */
void vm_state_canonical_flags(Vm *vm);
/* The same value computed from scratch, every RAM page rehashed (tests: the incremental hash
 * must always equal it). */
uint64_t vm_state_hash_full(Vm *vm);

/* Snapshot files (format in vm/state.c): save writes a temporary file beside `path` and renames
 * it, so a failure leaves nothing half-written; it changes nothing the saving VM's guest can see
 * (the run goes on as without it).  load must be given a VM built from the same
 * command line (RAM size, CPU model and device set are checked); on failure the VM's state is
 * unspecified and the caller must discard it.  Both return false with a one-line reason. */
bool vm_snapshot_save(Vm *vm, const char *path, char *err, size_t errlen);
bool vm_snapshot_load(Vm *vm, const char *path, char *err, size_t errlen);
/* The same on a memory buffer (tests, fuzzing): load from `len` bytes. */
bool vm_snapshot_load_mem(Vm *vm, const uint8_t *data, size_t len, char *err, size_t errlen);

/* After every section was loaded (a snapshot, a checkpoint): runs the tables' post_load hooks,
 * which check what indexes host memory and rebuild the host side (memory map, ports), then puts
 * back the loaded TLB translations (a hook that remaps memory flushes the TLB) with their tags
 * and addends rebuilt on the new map, drops the decoded blocks and the jump cache (a pure
 * function of memory: decoded again on demand), recomputes the CPU's derived mode and brings the
 * A20 gate of the address space in line with the CPU's.  False, with a reason naming the
 * section, when a hook refuses a value. */
bool vm_state_post_load(Vm *vm, char *err, size_t errlen);

#endif
