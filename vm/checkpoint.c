/*
 * checkpoint.c — in-memory checkpoints for the reverse debugger (see checkpoint.h).
 *
 * Guest memory is RAM and the VGA's VRAM (vm_state_blocks), taken here as one run of pages, RAM's
 * first.  The first checkpoint copies the RAM once (the base; all-zero pages are left to the zero-filled
 * mapping, so an untouched guest costs nothing).  Every checkpoint holds the serialised state of
 * every table (vm/state.h) and the armed deadlines, plus the pages written since the checkpoint
 * before it (the PHYS_DIRTY_CHECKPOINT bitmap of mem/phys.h), as they are at this one.
 *
 * The VM's memory is always "checkpoint cur, plus the pages marked in the dirty bitmap", cur being
 * the checkpoint last taken, restored or passed.  Going to checkpoint k puts back, for each page
 * that may differ from it (marked dirty, or saved by a checkpoint between cur and k), its newest
 * copy in checkpoints 1..k, else the base; so a restore, too, costs what changed, not the RAM
 * size.  checkpoint_restore drops the checkpoints after k (the run continues on a new branch);
 * checkpoint_goto keeps them for a replay, which passes them again (checkpoint_passed moves cur
 * on: the pages k differs from k - 1 in were written on the way, so the invariant holds).  Dropping
 * checkpoint k merges its pages into k + 1, so each checkpoint still holds every page written
 * since the one before it.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/checkpoint.h"
#include "vm/state.h"
#include "vm/vm.h"

typedef struct Checkpoint {
    uint64_t icount;
    uint8_t *state;           /* every section's state_save, in vm_state_sections order */
    uint64_t deadlines[CLOCK_MAX_EVENTS];
    uint64_t npages;
    uint64_t *page_index;     /* pages written since the previous checkpoint ... */
    uint8_t *pages;           /* ... and their contents at this one */
} Checkpoint;

struct CheckpointSet {
    Vm *vm;
    uint8_t *base;            /* guest memory at checkpoint 0 (NULL before it) */
    uint64_t pages;           /* pages of guest memory, all blocks */
    uint64_t base_pages;      /* non-zero pages copied into base */
    size_t state_size;
    Checkpoint *cp;
    int n, cap;
    int cur;                  /* memory = checkpoint cur + the dirty pages (-1: none yet) */
};

/* Page p of the run of all blocks: its host address, and its block's bitmaps through *b, *bp. */
static uint8_t *space_page(Vm *vm, uint64_t p, VmBlock *b, uint64_t *bp)
{
    VmBlock all[VM_STATE_MAX_BLOCKS];
    int nb = vm_state_blocks(vm, all);
    for (int i = 0; i < nb; i++) {
        if (p < all[i].pages) {
            *b = all[i];
            *bp = p;
            return all[i].host + p * PAGE_SIZE;
        }
        p -= all[i].pages;
    }
    abort();
}

static size_t sections_size(Vm *vm)
{
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    size_t n = 0;
    for (int i = 0; i < ns; i++)
        n += state_size(s[i].desc, s[i].desc->version);
    return n;
}

CheckpointSet *checkpoint_set_new(Vm *vm)
{
    CheckpointSet *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return NULL;
    cs->vm = vm;
    cs->cur = -1;
    cs->state_size = sections_size(vm);
    VmBlock b[VM_STATE_MAX_BLOCKS];
    int nb = vm_state_blocks(vm, b);
    for (int i = 0; i < nb; i++)
        cs->pages += b[i].pages;
    return cs;
}

static void checkpoint_free(Checkpoint *c)
{
    free(c->state);
    free(c->page_index);
    free(c->pages);
}

void checkpoint_set_free(CheckpointSet *cs)
{
    if (!cs)
        return;
    for (int i = 0; i < cs->n; i++)
        checkpoint_free(&cs->cp[i]);
    free(cs->cp);
    if (cs->base)
        munmap(cs->base, cs->pages * PAGE_SIZE);
    free(cs);
}

int checkpoint_count(const CheckpointSet *cs)
{
    return cs->n;
}

uint64_t checkpoint_icount(const CheckpointSet *cs, int k)
{
    return cs->cp[k].icount;
}

size_t checkpoint_bytes(const CheckpointSet *cs, int k)
{
    return cs->state_size + cs->cp[k].npages * (PAGE_SIZE + sizeof(uint64_t));
}

size_t checkpoint_base_bytes(const CheckpointSet *cs)
{
    return cs->base_pages * PAGE_SIZE;
}

static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[256];
    for (unsigned off = 0; off < PAGE_SIZE; off += sizeof(zero))
        if (memcmp(p + off, zero, sizeof(zero)))
            return false;
    return true;
}

/* Clears the checkpoint client's bitmaps; the TLB's write tags go with them (mem/phys.h). */
static void dirty_clear(Vm *vm)
{
    vm_state_dirty_clear(vm, PHYS_DIRTY_CHECKPOINT);
}

static bool dirty_test(Vm *vm, uint64_t p)
{
    VmBlock b;
    uint64_t bp;
    space_page(vm, p, &b, &bp);
    return (b.dirty[PHYS_DIRTY_CHECKPOINT][bp >> 6] >> (bp & 63)) & 1;
}

static void drop_after(CheckpointSet *cs, int k);

int checkpoint_take(CheckpointSet *cs)
{
    Vm *vm = cs->vm;
    if (cs->cur < cs->n - 1)
        drop_after(cs, cs->cur);   /* a new branch from an older checkpoint */
    vm_state_canonical_flags(vm);
    uint64_t pages = cs->pages;
    VmBlock b;
    uint64_t bp;
    if (cs->n == cs->cap) {
        int cap = cs->cap ? cs->cap * 2 : 16;
        Checkpoint *bigger = realloc(cs->cp, (size_t)cap * sizeof(*bigger));
        if (!bigger)
            return -1;
        cs->cp = bigger;
        cs->cap = cap;
    }
    Checkpoint c = { .icount = vm->cpu->icount, .state = malloc(cs->state_size ? cs->state_size : 1) };
    if (!c.state)
        return -1;
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    size_t off = 0;
    for (int i = 0; i < ns; i++) {
        state_save(s[i].desc, s[i].obj, c.state + off);
        off += state_size(s[i].desc, s[i].desc->version);
    }
    for (int id = 0; id < vm->clock.n; id++)
        c.deadlines[id] = vm->clock.ev[id].deadline;
    if (!cs->base) {
        cs->base = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                        -1, 0);
        if (cs->base == MAP_FAILED) {
            cs->base = NULL;
            free(c.state);
            return -1;
        }
        for (uint64_t p = 0; p < pages; p++) {
            const uint8_t *host = space_page(vm, p, &b, &bp);
            if (!page_is_zero(host)) {
                memcpy(cs->base + p * PAGE_SIZE, host, PAGE_SIZE);
                cs->base_pages++;
            }
        }
    } else {
        for (uint64_t p = 0; p < pages; p++)
            c.npages += dirty_test(vm, p);
        c.page_index = malloc(c.npages * sizeof(uint64_t) + 1);
        c.pages = malloc(c.npages * PAGE_SIZE + 1);
        if (!c.page_index || !c.pages) {
            checkpoint_free(&c);
            return -1;
        }
        uint64_t j = 0;
        for (uint64_t p = 0; p < pages; p++) {
            if (dirty_test(vm, p)) {
                c.page_index[j] = p;
                memcpy(c.pages + j * PAGE_SIZE, space_page(vm, p, &b, &bp), PAGE_SIZE);
                j++;
            }
        }
    }
    dirty_clear(vm);
    cs->cp[cs->n] = c;
    cs->cur = cs->n;
    return cs->n++;
}

/* The content of page p at checkpoint k: its newest copy in checkpoints 1..k, else the base. */
static const uint8_t *page_at(const CheckpointSet *cs, int k, uint64_t p)
{
    for (int i = k; i >= 1; i--) {
        const Checkpoint *c = &cs->cp[i];
        /* page_index is sorted: binary search */
        uint64_t lo = 0, hi = c->npages;
        while (lo < hi) {
            uint64_t mid = (lo + hi) / 2;
            if (c->page_index[mid] < p)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < c->npages && c->page_index[lo] == p)
            return c->pages + lo * PAGE_SIZE;
    }
    return cs->base + p * PAGE_SIZE;
}

static void restore_page(CheckpointSet *cs, int k, uint64_t p)
{
    VmBlock b;
    uint64_t bp;
    memcpy(space_page(cs->vm, p, &b, &bp), page_at(cs, k, p), PAGE_SIZE);
    /* the state hash's cache must see the change; the checkpoint client's view is "as at k" */
    b.dirty[PHYS_DIRTY_HASH][bp >> 6] |= 1ull << (bp & 63);
}

static void dirty_mark(Vm *vm, uint64_t p)
{
    VmBlock b;
    uint64_t bp;
    space_page(vm, p, &b, &bp);
    b.dirty[PHYS_DIRTY_CHECKPOINT][bp >> 6] |= 1ull << (bp & 63);
}

static void drop_after(CheckpointSet *cs, int k)
{
    for (int i = k + 1; i < cs->n; i++)
        checkpoint_free(&cs->cp[i]);
    cs->n = k + 1;
}

bool checkpoint_goto(CheckpointSet *cs, int k)
{
    Vm *vm = cs->vm;
    if (k < 0 || k >= cs->n || cs->cur < 0)
        return false;
    uint64_t pages = cs->pages;
    /* pages written since checkpoint cur, then those saved between cur and k */
    for (uint64_t p = 0; p < pages; p++)
        if (dirty_test(vm, p))
            restore_page(cs, k, p);
    int lo = k < cs->cur ? k : cs->cur, hi = k < cs->cur ? cs->cur : k;
    for (int i = lo + 1; i <= hi; i++)
        for (uint64_t j = 0; j < cs->cp[i].npages; j++)
            restore_page(cs, k, cs->cp[i].page_index[j]);
    const Checkpoint *c = &cs->cp[k];
    VmSection s[VM_STATE_MAX_SECTIONS];
    int ns = vm_state_sections(vm, s);
    size_t off = 0;
    char err[160];
    for (int i = 0; i < ns; i++) {
        /* the state was saved from this very VM: it always loads */
        if (!state_load(s[i].desc, s[i].obj, s[i].desc->version, c->state + off, err, sizeof(err)))
            abort();
        off += state_size(s[i].desc, s[i].desc->version);
    }
    if (!vm_state_post_load(vm, err, sizeof(err)))
        abort();
    for (int id = 0; id < vm->clock.n; id++)
        vm->clock.ev[id].deadline = c->deadlines[id];
    cs->cur = k;
    dirty_clear(vm);
    return true;
}

bool checkpoint_restore(CheckpointSet *cs, int k)
{
    if (!checkpoint_goto(cs, k))
        return false;
    drop_after(cs, k);
    return true;
}

void checkpoint_passed(CheckpointSet *cs, int k)
{
    assert(k == cs->cur + 1 && k < cs->n && cs->cur >= 0);
    /* every page k differs from k - 1 in was written on the way here, so it is marked already */
    cs->cur = k;
}

int checkpoint_current(const CheckpointSet *cs)
{
    return cs->cur;
}

void checkpoint_drop(CheckpointSet *cs, int k)
{
    assert(k > 0 && k < cs->n);
    Checkpoint *c = &cs->cp[k];
    if (k + 1 < cs->n) {
        /* k + 1 takes k's pages that it has no copy of: their content at k is their content at
         * k + 1, since k + 1 holds every page written between the two */
        Checkpoint *d = &cs->cp[k + 1];
        uint64_t *index = malloc((c->npages + d->npages) * sizeof(uint64_t) + 1);
        uint8_t *data = malloc((c->npages + d->npages) * PAGE_SIZE + 1);
        if (!index || !data) {
            free(index);
            free(data);
            return;   /* out of memory: keep it */
        }
        uint64_t i = 0, j = 0, m = 0;
        while (i < c->npages || j < d->npages) {
            bool from_d = j < d->npages && (i >= c->npages || d->page_index[j] <= c->page_index[i]);
            if (from_d) {
                if (i < c->npages && c->page_index[i] == d->page_index[j])
                    i++;
                index[m] = d->page_index[j];
                memcpy(data + m * PAGE_SIZE, d->pages + j * PAGE_SIZE, PAGE_SIZE);
                j++;
            } else {
                index[m] = c->page_index[i];
                memcpy(data + m * PAGE_SIZE, c->pages + i * PAGE_SIZE, PAGE_SIZE);
                i++;
            }
            m++;
        }
        free(d->page_index);
        free(d->pages);
        d->page_index = index;
        d->pages = data;
        d->npages = m;
    }
    if (cs->cur == k) {
        /* memory = k + dirty = (k - 1) + k's pages + dirty */
        for (uint64_t j = 0; j < c->npages; j++)
            dirty_mark(cs->vm, c->page_index[j]);
    }
    if (cs->cur >= k)
        cs->cur--;
    checkpoint_free(c);
    memmove(&cs->cp[k], &cs->cp[k + 1], (size_t)(cs->n - k - 1) * sizeof(*cs->cp));
    cs->n--;
}
