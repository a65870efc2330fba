/*
 * state_hash_tmp.c — TEMPORARY state hash for the record/replay log (issue 10, part B).
 *
 * XXX: drop at merge.  Part A provides vm_state_hash() over the full state description (every
 * device's field table, the event queue, incrementally over dirty pages).  Until it lands, this
 * hashes from scratch what decides the guest's future here: the CPU's architectural registers,
 * the virtual clock (idle time and deadlines) and all of guest RAM.  Fields are fed one by one,
 * never as whole structs, so that padding bytes and host pointers (different in every process
 * under ASLR) stay out of the hash.
 */
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "vm/state.h"

static void hash_u64(XXH3_state_t *st, uint64_t v)
{
    XXH3_64bits_update(st, &v, sizeof(v));
}

static void hash_seg(XXH3_state_t *st, const SegCache *s)
{
    hash_u64(st, s->sel);
    hash_u64(st, s->attr);
    hash_u64(st, s->limit);
    hash_u64(st, s->base);
}

static void hash_cpu(XXH3_state_t *st, const Cpu *c)
{
    for (int i = 0; i < 16; i++)
        hash_u64(st, c->gpr[i]);
    hash_u64(st, c->rip);
    hash_u64(st, c->cc_op);
    hash_u64(st, c->cc_dst);
    hash_u64(st, c->cc_src);
    hash_u64(st, c->cc_src2);
    hash_u64(st, c->eflags);
    for (int i = 0; i < 6; i++)
        hash_seg(st, &c->seg[i]);
    hash_seg(st, &c->ldtr);
    hash_seg(st, &c->tr);
    hash_u64(st, c->gdtr.base);
    hash_u64(st, c->gdtr.limit);
    hash_u64(st, c->idtr.base);
    hash_u64(st, c->idtr.limit);
    const uint64_t regs[] = {
        c->cr0, c->cr2, c->cr3, c->cr4, c->cr8, c->a20_mask, c->efer, (uint64_t)c->cpl,
        c->star, c->lstar, c->cstar, c->sfmask, c->kernel_gs_base, c->sysenter_cs, c->sysenter_esp,
        c->sysenter_eip, c->apic_base, c->pat, c->tsc_offset, c->tsc_aux, c->mtrr_def_type, c->misc_enable,
        c->mxcsr, c->xcr0, c->icount, c->rng_state, c->halted, c->inhibit_irq, c->nmi_pending, c->ferr, c->ignne,
    };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        hash_u64(st, regs[i]);
    for (int i = 0; i < 8; i++) {
        hash_u64(st, c->dr[i]);
        hash_u64(st, c->fpu.regs[i].mant);
        hash_u64(st, c->fpu.regs[i].se);
    }
    const uint64_t fpu[] = { c->fpu.cw, c->fpu.sw, c->fpu.tw, c->fpu.fop, c->fpu.fcs, c->fpu.fds, c->fpu.fip,
                             c->fpu.fdp };
    for (size_t i = 0; i < sizeof(fpu) / sizeof(fpu[0]); i++)
        hash_u64(st, fpu[i]);
    for (int i = 0; i < 16; i++) {
        hash_u64(st, c->xmm[i].q[0]);
        hash_u64(st, c->xmm[i].q[1]);
    }
}

uint64_t vm_state_hash(Vm *vm)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    hash_cpu(&st, vm->cpu);
    hash_u64(&st, vm->clock.idle);
    for (int i = 0; i < vm->clock.n; i++)
        hash_u64(&st, vm->clock.ev[i].deadline);
    XXH3_64bits_update(&st, vm->ram, vm->ram_size);
    return XXH3_64bits_digest(&st);
}
