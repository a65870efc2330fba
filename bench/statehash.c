/*
 * statehash.c — what the incremental state hash (vm/state.c) and in-memory checkpoints
 * (vm/checkpoint.c) cost on a real run: boots a kernel (normally the amd64 Linux self-check boot)
 * to its end, computing vm_state_hash every INTERVAL instructions, and reports the time spent
 * hashing against the whole run, the pages rehashed per hash, and what a from-scratch hash of the
 * same machine costs.  With "checkpoint" it takes a checkpoint at each interval instead and reports
 * their time and size; with "none" it only stops at each interval.  Every mode ends with the final
 * instruction count and state hash, which must be the same in all three: neither hashing nor
 * checkpoints change the run.
 *
 * Usage: statehash KERNEL INITRD [RAM_MIB [INTERVAL [checkpoint|none]]]   (default 128 MiB, 10^8)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vm/checkpoint.h"
#include "vm/state.h"
#include "vm/vm.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t dirty_pages(const Vm *vm)
{
    uint64_t n = 0;
    for (uint64_t w = 0; w < (vm->mem.ram_pages + 63) / 64; w++)
        n += (uint64_t)__builtin_popcountll(vm->mem.dirty[PHYS_DIRTY_HASH][w]);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: statehash KERNEL INITRD [RAM_MIB [INTERVAL [checkpoint|none]]]\n");
        return 2;
    }
    uint64_t ram = argc > 3 ? strtoull(argv[3], NULL, 0) << 20 : 128ull << 20;
    uint64_t interval = argc > 4 ? strtoull(argv[4], NULL, 0) : 100000000ull;
    bool ckpt = argc > 5 && !strcmp(argv[5], "checkpoint");
    bool none = argc > 5 && !strcmp(argv[5], "none");
    FILE *null = fopen("/dev/null", "w");
    VmConfig cfg = { .ram_size = ram, .kernel = argv[1], .initrd = argv[2], .append = "console=ttyS0 panic=-1",
                     .no_reboot = true, .serial = null, .rtc_base = 1767225600 };
    char err[512];
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    if (!vm) {
        fprintf(stderr, "statehash: %s\n", err);
        return 2;
    }
    CheckpointSet *cs = ckpt ? checkpoint_set_new(vm) : NULL;
    double t0 = now_s(), hashing = 0, first = 0;
    uint64_t hashes = 0, pages = 0, bytes = 0;
    VmExit why;
    do {
        why = vm_run(vm, interval);
        if (why == VM_EXIT_IDLE || why == VM_EXIT_HALTED)
            break;
        pages += dirty_pages(vm);
        double h0 = now_s();
        if (cs) {
            int k = checkpoint_take(cs);
            if (k < 0) {
                fprintf(stderr, "statehash: out of memory for checkpoints\n");
                return 1;
            }
            if (k == 0)
                first = now_s() - h0;
            else
                bytes += checkpoint_bytes(cs, k);
        } else if (!none) {
            vm_state_hash(vm);
        }
        hashing += now_s() - h0;
        hashes++;
    } while (why == VM_EXIT_INSN_LIMIT || why == VM_EXIT_RUNNING);
    double total = now_s() - t0;
    if (cs) {
        printf("statehash: %llu instructions in %.2f s; %llu checkpoints every %llu instructions took %.3f s = %.2f%% "
               "of the run (the first, with the base copy of RAM, %.1f ms); the others hold %.0f KiB each on average\n",
               (unsigned long long)vm->cpu->icount, total, (unsigned long long)hashes, (unsigned long long)interval,
               hashing, 100.0 * hashing / total, first * 1e3,
               hashes > 1 ? (double)bytes / 1024.0 / (double)(hashes - 1) : 0.0);
        checkpoint_set_free(cs);
    }
    double f0 = now_s();
    uint64_t full = vm_state_hash_full(vm);
    double full_t = now_s() - f0;
    if (!ckpt && !none)
        printf("statehash: %llu instructions in %.2f s; %llu hashes every %llu instructions took %.3f s = %.2f%% of the "
           "run; %.0f pages rehashed per hash (of %llu); one from-scratch hash %.1f ms (%016llx)\n",
           (unsigned long long)vm->cpu->icount, total, (unsigned long long)hashes, (unsigned long long)interval,
           hashing, 100.0 * hashing / total, hashes ? (double)pages / (double)hashes : 0.0,
           (unsigned long long)vm->mem.ram_pages, full_t * 1e3, (unsigned long long)full);
    printf("statehash: end: %llu instructions, state hash %016llx\n", (unsigned long long)vm->cpu->icount,
           (unsigned long long)full);
    vm_free(vm);
    fclose(null);
    return 0;
}
