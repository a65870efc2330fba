/*
 * decode.c — Zydis -> Insn, and the cache of decoded blocks keyed by (physical address, mode key).
 *
 * Zydis runs once per block, never per execution (DESIGN.md, "the path of one guest instruction").
 * Self-modifying code: every physical page that holds a block is registered here and its write
 * tags are removed from the TLB (tlb_protect_code_page), so the first store to it reaches
 * tlb_slow_write, which calls block_invalidate_page before the store lands.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/access.h"
#include "jit/jit.h"

#define HASH_BITS 14
#define PAGE_HASH_BITS 12

typedef struct CodePage {
    uint64_t ppage;
    Block *first;          /* blocks starting on this page */
    Block *straddle;       /* blocks from the previous page whose last bytes lie here */
    struct CodePage *next;
} CodePage;

struct BlockCache {
    ZydisDecoder dec[6];   /* indexed by decoder_index() */
    Block *hash[1u << HASH_BITS];
    CodePage *pages[1u << PAGE_HASH_BITS];
    /* Invalidated blocks, freed at the next block_find(): a store may invalidate the block that
     * is running, whose Insn records the run loop and the handler still read. */
    Block *retired;
};

static const SelectFn selectors[] = {
    mov_select, alu_select, far_select, branch_select, stack_select, shift_select, muldiv_select,
    bitops_select, string_select, flagops_select, bcd_select, segment_select, io_select,
    system_select, cpuid_select, msr_select, misc_select, x87_select, mmx_select, sse_int_select,
    sse_fp_select, xsave_select,
};

BlockCache *block_cache_new(void)
{
    BlockCache *bc = calloc(1, sizeof(*bc));
    if (!bc)
        return NULL;
    static const struct { ZydisMachineMode m; ZydisStackWidth s; } modes[6] = {
        { ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16 },
        { ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16 },
        { ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32 },
        { ZYDIS_MACHINE_MODE_LONG_COMPAT_16, ZYDIS_STACK_WIDTH_16 },
        { ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32 },
        { ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64 },
    };
    for (int i = 0; i < 6; i++) {
        ZydisDecoderInit(&bc->dec[i], modes[i].m, modes[i].s);
        ZydisDecoderEnableMode(&bc->dec[i], ZYDIS_DECODER_MODE_LZCNT, ZYAN_TRUE);
        ZydisDecoderEnableMode(&bc->dec[i], ZYDIS_DECODER_MODE_TZCNT, ZYAN_TRUE);
    }
    return bc;
}

static void free_pages(BlockCache *bc)
{
    for (size_t i = 0; i < (1u << PAGE_HASH_BITS); i++) {
        CodePage *p = bc->pages[i];
        while (p) {
            CodePage *n = p->next;
            free(p);
            p = n;
        }
        bc->pages[i] = NULL;
    }
}

static void free_retired(BlockCache *bc)
{
    while (bc->retired) {
        Block *n = bc->retired->hash_next;
        free(bc->retired);
        bc->retired = n;
    }
}

static void free_blocks(BlockCache *bc)
{
    for (size_t i = 0; i < (1u << HASH_BITS); i++) {
        Block *b = bc->hash[i];
        while (b) {
            Block *n = b->hash_next;
            free(b);
            b = n;
        }
        bc->hash[i] = NULL;
    }
    free_pages(bc);
    free_retired(bc);
}

void block_cache_free(BlockCache *bc)
{
    if (!bc)
        return;
    free_blocks(bc);
    free(bc);
}

void block_flush_all(Cpu *cpu)
{
    tlb_flush_jump_cache(&cpu->tlb);
    free_blocks(cpu->blocks);
    cpu->cur_block = NULL;
}

static inline uint32_t hash_block(uint64_t paddr, uint32_t key)
{
    uint64_t h = (paddr ^ ((uint64_t)key << 52)) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> (64 - HASH_BITS));
}

static inline uint32_t hash_page(uint64_t ppage)
{
    return (uint32_t)(((ppage >> 12) * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_HASH_BITS));
}

static CodePage *page_get(BlockCache *bc, uint64_t ppage, bool create)
{
    CodePage **slot = &bc->pages[hash_page(ppage)];
    for (CodePage *p = *slot; p; p = p->next)
        if (p->ppage == ppage)
            return p;
    if (!create)
        return NULL;
    CodePage *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->ppage = ppage;
    p->next = *slot;
    *slot = p;
    return p;
}

bool block_page_has_code(const Cpu *cpu, uint64_t ppage)
{
    return page_get(cpu->blocks, ppage & PAGE_MASK, false) != NULL;
}

static void unlink_hash(BlockCache *bc, Block *b)
{
    Block **pp = &bc->hash[hash_block(b->paddr, b->key)];
    while (*pp && *pp != b)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = b->hash_next;
}

static void unlink_list(Block **head, Block *b, bool second)
{
    while (*head && *head != b)
        head = second ? &(*head)->page2_next : &(*head)->page_next;
    if (*head)
        *head = second ? b->page2_next : b->page_next;
}

static void page_drop(BlockCache *bc, CodePage *pg)
{
    CodePage **pp = &bc->pages[hash_page(pg->ppage)];
    while (*pp != pg)
        pp = &(*pp)->next;
    *pp = pg->next;
    free(pg);
}

/* Removes a block from the hash table and from the page lists of both its pages; it is freed
 * later (see BlockCache.retired). */
static void block_free(BlockCache *bc, Block *b, CodePage *except)
{
    unlink_hash(bc, b);
    CodePage *p1 = page_get(bc, b->paddr & PAGE_MASK, false);
    if (p1 && p1 != except)
        unlink_list(&p1->first, b, false);
    if (b->paddr2 != ~0ull) {
        CodePage *p2 = page_get(bc, b->paddr2, false);
        if (p2 && p2 != except)
            unlink_list(&p2->straddle, b, true);
        if (p2 && p2 != except && !p2->first && !p2->straddle)
            page_drop(bc, p2);
    }
    if (p1 && p1 != except && !p1->first && !p1->straddle)
        page_drop(bc, p1);
    b->hash_next = bc->retired;
    bc->retired = b;
}

void block_invalidate_page(Cpu *cpu, uint64_t ppage)
{
    BlockCache *bc = cpu->blocks;
    CodePage *pg = page_get(bc, ppage & PAGE_MASK, false);
    if (!pg)
        return;
    if (unlikely(cpu->jit != NULL)) {
        /* The JIT counts invalidations per page: a page that keeps being written stays
         * interpreted (jit/jit.c). */
        bool translated = false;
        for (const Block *t = pg->first; t && !translated; t = t->page_next)
            translated = t->jit_code != NULL;
        for (const Block *t = pg->straddle; t && !translated; t = t->page2_next)
            translated = t->jit_code != NULL;
        jit_note_invalidate(cpu->jit, pg->ppage, cpu->icount, translated);
    }
    bool current = false;
    Block *b = pg->first;
    while (b) {
        Block *n = b->page_next;
        current |= b == cpu->cur_block;
        block_free(bc, b, pg);
        b = n;
    }
    b = pg->straddle;
    while (b) {
        Block *n = b->page2_next;
        current |= b == cpu->cur_block;
        block_free(bc, b, pg);
        b = n;
    }
    page_drop(bc, pg);
    tlb_flush_jump_cache(&cpu->tlb);
    /* The block being executed may be one of them: leave it after the current instruction.  Only
     * then: whether other blocks were cached on the page is the host's business (a VM loaded
     * from a snapshot has none), and ending the block moves the next interrupt window and ends
     * a REP string instruction's run, which the guest sees. */
    if (current)
        cpu->exit_block = true;
}

/* ---- Zydis operand conversion ---- */

int decode_gpr(ZydisRegister r)
{
    if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
        int id = r - ZYDIS_REGISTER_AL;
        if (id < 4)
            return id;
        if (id < 8)
            return REG_AH + (id - 4);
        return id - 4;
    }
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W)
        return r - ZYDIS_REGISTER_AX;
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D)
        return r - ZYDIS_REGISTER_EAX;
    if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
        return r - ZYDIS_REGISTER_RAX;
    return REG_NONE;
}

int decode_sreg(ZydisRegister r)
{
    if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS)
        return r - ZYDIS_REGISTER_ES;
    return SEG_NONE;
}

static int decoder_index(const Cpu *cpu)
{
    if (cpu->code_bits == 64)
        return 5;
    if (cpu_long_mode(cpu))
        return cpu->code_bits == 32 ? 4 : 3;
    if (cpu->code_bits == 32)
        return 2;
    return cpu_protected(cpu) && !cpu_vm86(cpu) ? 1 : 0;
}

int op_ud(Cpu *cpu, const Insn *in)
{
    (void)in;
    cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
}

/* Fills `in` from one Zydis result and picks its handler.  Returns false when nobody claims it. */
static bool fill_insn(const Cpu *cpu, const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops,
                      Insn *in, bool *end_block)
{
    memset(in, 0, sizeof(*in));
    in->len = zi->length;
    in->osz = zi->operand_width ? zi->operand_width / 8 : 0;
    in->asz = zi->address_width / 8;
    in->mnem = (uint16_t)zi->mnemonic;
    in->r[0] = in->r[1] = in->r[2] = REG_NONE;
    in->base = in->index = REG_NONE;
    in->seg = SEG_DS;
    if (zi->attributes & ZYDIS_ATTRIB_HAS_LOCK)
        in->flags |= INSN_LOCK;
    if (zi->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
        in->flags |= INSN_REP;
    if (zi->attributes & ZYDIS_ATTRIB_HAS_REPNE)
        in->flags |= INSN_REPNE;
    if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT)
        in->flags |= INSN_SEGOVR;

    DecodeCtx d = { .zi = zi, .op = ops, .nops = zi->operand_count_visible, .cpu = cpu };
    if (d.nops > 4)
        d.nops = 4;
    int nimm = 0;
    for (int i = 0; i < d.nops; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        char k = 'x';
        switch (o->type) {
        case ZYDIS_OPERAND_TYPE_REGISTER: {
            ZydisRegisterClass c = ZydisRegisterGetClass(o->reg.value);
            if (c == ZYDIS_REGCLASS_GPR8 || c == ZYDIS_REGCLASS_GPR16 || c == ZYDIS_REGCLASS_GPR32 ||
                c == ZYDIS_REGCLASS_GPR64) {
                k = 'r';
                if (i < 3)
                    in->r[i] = (uint8_t)decode_gpr(o->reg.value);
            } else if (c == ZYDIS_REGCLASS_SEGMENT) {
                k = 's';
                if (i < 3)
                    in->r[i] = (uint8_t)decode_sreg(o->reg.value);
            } else if (c == ZYDIS_REGCLASS_CONTROL) {
                k = 'c';
                if (i < 3)
                    in->r[i] = (uint8_t)(o->reg.value - ZYDIS_REGISTER_CR0);
            } else if (c == ZYDIS_REGCLASS_DEBUG) {
                k = 'd';
                if (i < 3)
                    in->r[i] = (uint8_t)(o->reg.value - ZYDIS_REGISTER_DR0);
            } else if (c == ZYDIS_REGCLASS_XMM) {
                k = 'v';
                if (i < 3)
                    in->r[i] = (uint8_t)(o->reg.value - ZYDIS_REGISTER_XMM0);
            } else if (c == ZYDIS_REGCLASS_MMX) {
                k = 'q';
                if (i < 3)
                    in->r[i] = (uint8_t)(o->reg.value - ZYDIS_REGISTER_MM0);
            } else if (c == ZYDIS_REGCLASS_X87) {
                k = 'f';
                if (i < 3)
                    in->r[i] = (uint8_t)(o->reg.value - ZYDIS_REGISTER_ST0);
            }
            break;
        }
        case ZYDIS_OPERAND_TYPE_MEMORY:
            k = 'm';
            in->flags |= INSN_MEM;
            in->seg = (uint8_t)decode_sreg(o->mem.segment);
            if (in->seg == SEG_NONE)
                in->seg = SEG_DS;
            /* Zydis reports a last 3E prefix on an indirect near CALL/JMP as NOTRACK only and
             * keeps the default segment, but outside 64-bit mode 3E still is the DS override. */
            if ((zi->attributes & ZYDIS_ATTRIB_HAS_NOTRACK) && cpu->code_bits != 64) {
                in->seg = SEG_DS;
                in->flags |= INSN_SEGOVR;
            }
            if (o->mem.base == ZYDIS_REGISTER_RIP || o->mem.base == ZYDIS_REGISTER_EIP)
                in->flags |= INSN_RIPREL;
            else
                in->base = (uint8_t)decode_gpr(o->mem.base);
            in->index = (uint8_t)decode_gpr(o->mem.index);
            in->scale = o->mem.scale == 8 ? 3 : o->mem.scale == 4 ? 2 : o->mem.scale == 2 ? 1 : 0;
            in->disp = o->mem.disp.has_displacement ? (int32_t)o->mem.disp.value : 0;
            break;
        case ZYDIS_OPERAND_TYPE_IMMEDIATE:
            k = 'i';
            if (nimm++ == 0)
                in->imm = o->imm.is_signed ? (uint64_t)o->imm.value.s : o->imm.value.u;
            else
                in->imm2 = (uint16_t)o->imm.value.u;
            break;
        case ZYDIS_OPERAND_TYPE_POINTER:
            k = 'p';
            in->imm = o->ptr.offset;
            in->imm2 = o->ptr.segment;
            break;
        default:
            break;
        }
        d.kind[i] = k;
    }

    for (size_t i = 0; i < sizeof(selectors) / sizeof(selectors[0]); i++) {
        InsnFn fn = selectors[i](&d, in);
        if (fn) {
            in->fn = fn;
            *end_block = d.end_block;
            return true;
        }
    }
    return false;
}

static bool ends_block_by_category(const ZydisDecodedInstruction *zi)
{
    /* Conditional branches do not end a block: a taken branch leaves it (INSN_JUMP), a branch
     * not taken falls through to the next record, so blocks run past them like superblocks. */
    switch (zi->meta.category) {
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
    case ZYDIS_CATEGORY_SYSTEM:
    case ZYDIS_CATEGORY_IO:
    case ZYDIS_CATEGORY_IOSTRINGOP:
        return true;
    default:
        return false;
    }
}

/* Reads guest code of physical page `ppage` from `off` to its end into buf; returns the count. */
static size_t fetch_page(Cpu *cpu, uint64_t ppage, size_t off, uint8_t *buf)
{
    bool writable;
    size_t n = PAGE_SIZE - off;
    uint8_t *p = cpu->bus->phys_ptr(cpu->bus_opaque, ppage, &writable);
    if (p) {
        memcpy(buf, p + off, n);
    } else {
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)cpu->bus->phys_read(cpu->bus_opaque, ppage + off + i, 1);
    }
    return n;
}

static Block *decode_block(Cpu *cpu, uint64_t paddr, uint64_t lin)
{
    BlockCache *bc = cpu->blocks;
    uint8_t buf[PAGE_SIZE + 16];
    size_t avail = fetch_page(cpu, paddr & PAGE_MASK, paddr & 0xfff, buf);
    bool have_next = false;
    uint64_t paddr2 = ~0ull;
    Insn tmp[BLOCK_MAX_INSNS];
    uint32_t n = 0;
    size_t pos = 0;
    uint64_t rip = cpu->rip;
    const SegCache *cs = &cpu->seg[SEG_CS];
    /* EIP wraps at 4 GiB in 32-bit code; 16-bit code does not wrap at 64 KiB (insn_next()), its
     * blocks end at the CS limit below. */
    uint64_t ip_wrap = cpu->code_bits == 32 ? 0x100000000ull : 0;
    ZydisDecoder *dec = &bc->dec[decoder_index(cpu)];

    while (n < BLOCK_MAX_INSNS) {
        ZydisDecodedInstruction zi;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        uint64_t off = rip + pos;
        size_t left = avail - pos;
        if (left == 0)
            break;
        ZyanStatus st = ZydisDecoderDecodeFull(dec, buf + pos, left, &zi, ops);
        if (st == ZYDIS_STATUS_NO_MORE_DATA && !have_next && left < 15) {
            if (n > 0)
                break;          /* let the straddling instruction start its own block */
            /* The first instruction straddles a page: its bytes on the next page are needed,
             * so translating that page (and its #PF) is architecturally due. */
            uint64_t lin2 = (lin & PAGE_MASK) + PAGE_SIZE;
            if (cpu->code_bits != 64)
                lin2 = (uint32_t)lin2;
            paddr2 = tlb_translate(cpu, lin2, ACC_EXEC, cpu_user(cpu)) & PAGE_MASK;
            bool w;
            uint8_t *p2 = cpu->bus->phys_ptr(cpu->bus_opaque, paddr2, &w);
            for (int i = 0; i < 16; i++)
                buf[avail + i] = p2 ? p2[i] : (uint8_t)cpu->bus->phys_read(cpu->bus_opaque, paddr2 + i, 1);
            avail += 16;
            have_next = true;
            continue;
        }
        Insn *in = &tmp[n];
        bool end = false;
        if (!ZYAN_SUCCESS(st)) {
            if (n > 0)
                break;
            /* Undefined opcode (or > 15 bytes): one instruction that faults when executed.
             * The SDM gives #GP for too-long instructions and #UD for undefined ones. */
            memset(in, 0, sizeof(*in));
            in->fn = op_ud;
            in->len = 1;
            n++;
            break;
        }
        /* CS limit (not checked in 64-bit mode): every byte must be within it. */
        if (cpu->code_bits != 64 && off + zi.length - 1 > cs->limit) {
            if (n > 0)
                break;
            cpu_raise(cpu, EXC_GP, 0);
        }
        if (!fill_insn(cpu, &zi, ops, in, &end)) {
            in->fn = op_ud;
            end = true;
        }
        if (ends_block_by_category(&zi))
            end = true;
        pos += zi.length;
        n++;
        if (end || (ip_wrap && off + zi.length >= ip_wrap))
            break;
        if (have_next)
            break;
    }

    Block *b = malloc(sizeof(Block) + (n + 1) * sizeof(Insn));
    if (!b)
        return NULL;
    b->paddr = paddr;
    b->paddr2 = have_next ? paddr2 : ~0ull;
    b->rip = cpu->rip;
    b->lin = lin;
    b->bytes = (uint32_t)pos;
    b->key = cpu->mode_key;
    b->n = n;
    b->execs = 0;
    b->jit_gen = 0;
    b->jit_user = 0;
    b->jit_code = NULL;
    memcpy(b->insns, tmp, n * sizeof(Insn));
    memset(&b->insns[n], 0, sizeof(Insn));
    b->insns[n].fn = op_ud;     /* never reached: the run loop stops after insns[n - 1] */

    uint32_t h = hash_block(paddr, b->key);
    b->hash_next = bc->hash[h];
    bc->hash[h] = b;
    CodePage *pg = page_get(bc, paddr & PAGE_MASK, true);
    if (pg) {
        if (!pg->first && !pg->straddle)
            tlb_protect_code_page(&cpu->tlb, paddr & PAGE_MASK);
        b->page_next = pg->first;
        pg->first = b;
    }
    b->page2_next = NULL;
    if (have_next) {
        CodePage *p2 = page_get(bc, paddr2, true);
        if (p2) {
            if (!p2->first && !p2->straddle)
                tlb_protect_code_page(&cpu->tlb, paddr2);
            b->page2_next = p2->straddle;
            p2->straddle = b;
        }
    }
    return b;
}

/* Whether the TLB of class `user` holds an executable entry for lin's page (its fast-path
 * tag: the state's entry with X, on memory the host can fetch from). */
static inline bool code_tlb_hit(const Cpu *cpu, uint64_t lin, int user)
{
    return cpu->tlb.e[user][(lin >> 12) & (TLB_SIZE - 1)].tag_x == (lin & PAGE_MASK);
}

/* The linear address of the page after lin's, wrapping at 4 GiB outside 64-bit code. */
static inline uint64_t next_page_lin(const Cpu *cpu, uint64_t lin)
{
    uint64_t lin2 = (lin & PAGE_MASK) + PAGE_SIZE;
    return cpu->code_bits != 64 ? (uint32_t)lin2 : lin2;
}

/* The physical page of lin's code: the TLB's, walked (and refilled) only when it has no entry. */
static uint64_t code_page(Cpu *cpu, uint64_t lin, int user)
{
    if (likely(code_tlb_hit(cpu, lin, user)))
        return cpu->tlb.paddr[user][(lin >> 12) & (TLB_SIZE - 1)];
    return tlb_translate(cpu, lin, ACC_EXEC, user) & PAGE_MASK;
}

/* Slow lookup: translate, then the hash table, else decode. */
static Block *block_lookup(Cpu *cpu, uint64_t lin, int user)
{
    uint64_t paddr = code_page(cpu, lin, user) | (lin & 0xfff);

    BlockCache *bc = cpu->blocks;
    for (Block *b = bc->hash[hash_block(paddr, cpu->mode_key)]; b; b = b->hash_next) {
        if (b->paddr != paddr || b->key != cpu->mode_key)
            continue;
        /* 64-bit code is decoded once per linear address, as QEMU 7.2 keeps a TB per virtual
         * PC: the same physical code mapped at two addresses (a shared library in two
         * processes) gets two blocks, because the JIT takes a 64-bit block's RIP as a constant
         * (jit/jit.h section 2). */
        if (cpu->code_bits == 64 && b->lin != lin)
            continue;
        if (unlikely(b->paddr2 != ~0ull)) {
            /* the next page as the first */
            if (code_page(cpu, next_page_lin(cpu, lin), user) != b->paddr2)
                continue;
        }
        return b;
    }
    Block *b = decode_block(cpu, paddr, lin);
    assert(b && "host out of memory decoding a block");
    return b;
}

Block *block_find(Cpu *cpu)
{
    if (unlikely(cpu->blocks->retired != NULL))
        free_retired(cpu->blocks);   /* no block is executing now */
    const SegCache *cs = &cpu->seg[SEG_CS];
    if (cpu->code_bits != 64 && cpu->rip > cs->limit)
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t lin = cpu_code_lin(cpu, cpu->rip);
    int user = cpu_user(cpu);
    uint32_t key = cpu->mode_key | ((uint32_t)user << 31);
    /* A hit still asks the TLB for the code page (and the next one of a block that straddles
     * into it), and a missing entry sends it to block_lookup, which walks and refills: so what
     * the guest's TLB holds never depends on what the jump cache, a host cache, happened to
     * hold (it is empty after a snapshot or checkpoint load, dropped by every store into a code
     * page, and the JIT's patched jumps skip it); jit/chain.h asks the same at every transfer. */
    uint32_t ji = jc_index(lin);
    const JumpCacheEntry *jc = &cpu->tlb.jc[ji];
    const Block *hit = jc->block;
    if (likely(hit && jc->lin == lin && jc->key == key) && code_tlb_hit(cpu, lin, user) &&
        likely(hit->paddr2 == ~0ull || code_tlb_hit(cpu, next_page_lin(cpu, lin), user)) &&
        (cpu->code_bits == 64 || cpu->rip + hit->bytes - 1 <= cs->limit)) {
        cpu->cur_block = hit;
        return (Block *)hit;
    }
    Block *b = block_lookup(cpu, lin, user);
    tlb_jc_fill(&cpu->tlb, ji, lin, key, b);
    cpu->cur_block = b;
    return b;
}
