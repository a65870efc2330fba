/*
 * tlb.h — the softmmu TLB: linear page -> host pointer, direct-mapped.
 *
 * One table per privilege class (index 0: supervisor accesses, 1: user accesses, i.e. CPL 3), so a
 * CPL change needs no flush.  Each entry has separate tags for read, write and execute: a tag equals
 * the linear page address when that kind of access may take the fast path, TLB_INVALID otherwise.
 * host address = addend + linear address.
 *
 * The tags are the host's fast path; the translation itself (linear page, physical page, the
 * permissions the walk granted, global, page size) is kept beside them and is guest-visible state
 * (a stale entry is visible to the guest; vm/state.h saves it).  A slow-path access whose page
 * the TLB translates with the permission it needs uses that translation without walking the
 * page tables again, as the fast path would have: so a tag withheld or dropped for a host reason
 * (MMIO, a code page, a dirty-page client, a watched page) never changes what the guest sees.
 *
 * Only plain RAM gets read and write tags.  ROM gets only an execute tag (the decoder fetches its
 * code directly); MMIO and unassigned pages get none, so every access to them takes the slow path (tlb_slow_*).  A RAM page holding decoded
 * code gets no write tag, so a store to it reaches the slow path and invalidates the blocks first.
 */
#ifndef SOFTVISOR_TLB_H
#define SOFTVISOR_TLB_H

#include <stdbool.h>
#include <stdint.h>

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID (~0ull)
#define PAGE_SIZE 4096u
#define PAGE_MASK (~(uint64_t)0xfff)

typedef struct TlbEntry {
    uint64_t tag_r;
    uint64_t tag_w;
    uint64_t tag_x;
    uintptr_t addend;
} TlbEntry;
_Static_assert(sizeof(TlbEntry) == 32, "TLB entry must stay 32 bytes");

/* Kind of access, also the bit layout of the #PF error code for W and U (SDM vol. 3, 4.7). */
enum {
    ACC_READ = 0,
    ACC_WRITE = 1,
    ACC_EXEC = 2,
};

/*
 * The jump cache: linear address of a block's first byte -> decoded block, so that entering the
 * next block costs a compare instead of a TLB lookup plus a hash walk.  An entry is valid for one
 * mode key and privilege class; it is dropped whenever a translation it relied on may change
 * (every TLB flush) or a block is freed (tlb_flush_jump_cache).
 */
#define TLB_VICTIMS 8

#define JC_BITS 10
#define JC_SIZE (1u << JC_BITS)

/* One translation of a linear page: what the walk granted (the state the TLB keeps; its tags
 * and addend are derived from it). */
typedef struct TlbXlat {
    uint64_t lin;      /* linear page (TLB_INVALID: none) */
    uint64_t paddr;    /* physical page */
    uint8_t prot;      /* PROT_R/W/X (0: none) */
    uint8_t global;    /* from a global page (survives CR3 writes) */
    uint8_t shift;     /* log2 size of the page it is a 4 KiB piece of */
} TlbXlat;

struct Block;
typedef struct JumpCacheEntry {
    uint64_t lin;
    uint32_t key;              /* mode key | (user << 31) */
    const struct Block *block; /* NULL: empty */
} JumpCacheEntry;

static inline uint32_t jc_index(uint64_t lin) { return (uint32_t)((lin ^ (lin >> JC_BITS)) & (JC_SIZE - 1)); }

typedef struct Tlb {
    TlbEntry e[2][TLB_SIZE];
    JumpCacheEntry jc[JC_SIZE];
    /* (uint32_t)(jc[i].lin >> 12), set with the entry (tlb_jc_fill), maybe stale once it is
     * empty: a dense copy that INVLPG scans for the entries of its page (tlb_flush_page). */
    uint32_t jc_page[JC_SIZE];
    uint64_t paddr[2][TLB_SIZE];   /* physical page of each entry (code tracking, slow path) */
    uint8_t global[2][TLB_SIZE];   /* entry came from a global page (survives CR3 writes) */
    uint8_t shift[2][TLB_SIZE];    /* log2 size of the page the entry is a 4 KiB piece of */
    uint8_t large_shift[2];        /* per class: 0, or the largest shift of an entry from a
                                      2 MiB / 4 MiB / 1 GiB page since the last full flush */
    uint64_t lin[2][TLB_SIZE];     /* linear page the entry translates (TLB_INVALID: none) */
    uint8_t prot[2][TLB_SIZE];     /* PROT_R/W/X the walk granted (0: no entry) */
    /* Victim entries per class: translations a refill pushed out of their entry, kept fully
     * associative and asked before a walk (tlb_translate), as QEMU's victim TLB is.  Without
     * them two pages 4 MiB apart evict each other on every access (a copy between them, or
     * data that shares its index with the code that touches it: the kernel's decompressor
     * and early page setup walked 8 million times).  They hold translations only, no tags: a
     * victim hit swaps it with the entry at its index, whose tags are then set as on a refill. */
    TlbXlat victim[2][TLB_VICTIMS];
    uint8_t vnext[2];                /* the victim slot the next eviction takes (round robin) */
} Tlb;

/* A translation as the entries' arrays or a victim hold it: page-aligned, a page of 4 KiB or
 * more that the large-page flush can shift by, permissions PROT_R/W/X, `lin` TLB_INVALID
 * exactly when empty (checked after a snapshot load: once its addend is rebuilt it indexes
 * host memory). */
static inline bool tlb_xlat_valid(TlbXlat x)
{
    bool live = x.prot != 0;
    return x.prot <= 7 && x.shift <= 63 && live == (x.lin != TLB_INVALID) &&
           (!live || (x.shift >= 12 && !(x.lin & 0xfff) && !(x.paddr & 0xfff)));
}

struct Cpu;

/* Jump-cache entry `i` = jc_index(lin) now maps (lin, key) to block `b` (block_find). */
static inline void tlb_jc_fill(Tlb *tlb, uint32_t i, uint64_t lin, uint32_t key, const struct Block *b)
{
    tlb->jc[i] = (JumpCacheEntry){ lin, key, b };
    tlb->jc_page[i] = (uint32_t)(lin >> 12);
}

void tlb_flush(Tlb *tlb, bool include_global);
/* INVLPG: drops the translation of the page containing `lin`; for a large page that means every
 * 4 KiB piece of it the TLB holds. */
void tlb_flush_page(Tlb *tlb, uint64_t lin);
void tlb_flush_jump_cache(Tlb *tlb);
/* Drop every write tag, so that the next store to each page takes the slow path and marks the
 * page dirty again (a dirty-page client cleared its bitmap, mem/phys.h). */
void tlb_drop_write_tags(Tlb *tlb);
/* Drop every write tag that points at physical page `ppage` (it now holds decoded code). */
void tlb_protect_code_page(Tlb *tlb, uint64_t ppage);
/* Sets the fast-path tags and addends of every entry again from its translation (after a
 * snapshot or checkpoint load put the translations back; the memory map may have changed). */
void tlb_rebuild(struct Cpu *cpu);

/* Translate a linear address for `access` at privilege class `user` (0/1): walks the page tables
 * if paging is on, raises #PF on failure, refills the TLB entry.  Returns the physical address. */
uint64_t tlb_translate(struct Cpu *cpu, uint64_t lin, int access, int user);

/* A physical access within one page: RAM/ROM directly, MMIO through the bus.  Writes drop the
 * decoded blocks of a code page first and are ignored on ROM. */
uint64_t tlb_phys_read(struct Cpu *cpu, uint64_t pa, int size);
void tlb_phys_write(struct Cpu *cpu, uint64_t pa, int size, uint64_t v);

/* Translates the page(s) an access of `size` bytes at `lin` touches, raising the #PF the access
 * would raise, without accessing memory (an instruction that must fault before its first store). */
void tlb_probe(struct Cpu *cpu, uint64_t lin, int size, int access, int user);

/* Slow paths for accesses that miss, cross a page, or hit MMIO/ROM/code pages. */
uint64_t tlb_slow_read(struct Cpu *cpu, uint64_t lin, int size, int access, int user);
void tlb_slow_write(struct Cpu *cpu, uint64_t lin, int size, uint64_t val, int user);

#endif
