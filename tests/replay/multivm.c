/*
 * multivm.c — issue 10 item 5, several VMs in one process: the amd64 Linux self-check boot of the
 * linux suite (tests/linux/run-linux.sh: -m RAM -no-reboot -append "console=ttyS0 panic=-1",
 * the initramfs of mkinitramfs.sh --mode test) in four VMs of 128, 160, 192 and 256 MiB on two
 * threads, two VMs per thread run alternately slice by slice, so the VMs of a thread share it and
 * the two threads run at once.  Afterwards each configuration boots again alone in the process
 * (the solo run).  Every VM must print SOFTVISOR-LINUX-PASS and power off (ACPI S5), and end with
 * the serial bytes, instruction count and state hash (vm/state.h) of its solo run: nothing one VM
 * does reaches another.  Both runs use the CLI's defaults (the JIT on, its default threshold).
 *
 * Usage: multivm KERNEL INITRD   (exit 0: all passed, 1: a difference or failure, 2: usage)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit/jit.h"
#include "vm/state.h"
#include "vm/vm.h"

#define NVMS 4
#define SLICE 10000000ull   /* instructions per vm_run: the VMs of a thread alternate this often */
#define MAX_SLICES 10000ull /* 10^11 instructions: a boot takes ~7.4 * 10^9; beyond it, a hang */

static const unsigned ram_mib[NVMS] = { 128, 160, 192, 256 };

typedef struct {
    unsigned ram_mib;
    const char *kernel, *initrd;
    Vm *vm;
    FILE *serial;
    char *out;          /* serial bytes (open_memstream) */
    size_t out_len;
    VmExit why;
    bool done;
    uint64_t icount, hash;
    char err[256];      /* vm_new's message, or how the run ended badly */
} Run;

static bool run_start(Run *r)
{
    r->serial = open_memstream(&r->out, &r->out_len);
    if (!r->serial) {
        snprintf(r->err, sizeof(r->err), "open_memstream failed");
        return false;
    }
    VmConfig cfg = { .ram_size = (uint64_t)r->ram_mib << 20, .kernel = r->kernel, .initrd = r->initrd,
                     .append = "console=ttyS0 panic=-1", .no_reboot = true, .serial = r->serial,
                     .rtc_base = 1767225600, .jit = true, .jit_threshold = JIT_DEFAULT_THRESHOLD };
    r->vm = vm_new(&cfg, r->err, sizeof(r->err));
    return r->vm != NULL;
}

/* One slice; true when the VM has ended (its results then taken and the VM freed). */
static bool run_slice(Run *r, uint64_t slice_no)
{
    r->why = vm_run(r->vm, SLICE);
    if ((r->why == VM_EXIT_INSN_LIMIT || r->why == VM_EXIT_RUNNING) && slice_no < MAX_SLICES)
        return false;
    r->icount = r->vm->cpu->icount;
    r->hash = vm_state_hash(r->vm);
    vm_free(r->vm);
    r->vm = NULL;
    fclose(r->serial);   /* flushes r->out */
    r->serial = NULL;
    r->done = true;
    return true;
}

typedef struct {
    Run *runs[2];
} Pair;

static void *pair_thread(void *arg)
{
    Pair *p = arg;
    bool live[2];
    for (int i = 0; i < 2; i++)
        live[i] = run_start(p->runs[i]);
    for (uint64_t n = 1; live[0] || live[1]; n++)
        for (int i = 0; i < 2; i++)
            if (live[i] && run_slice(p->runs[i], n))
                live[i] = false;
    return NULL;
}

static void run_solo(Run *r)
{
    if (!run_start(r))
        return;
    for (uint64_t n = 1; !run_slice(r, n); n++)
        ;
}

/* The first problem with one boot, or NULL. */
static const char *boot_problem(const Run *r)
{
    if (!r->done)
        return r->err[0] ? r->err : "did not run";
    if (r->why != VM_EXIT_POWEROFF)
        return "did not power off";
    if (!r->out || !strstr(r->out, "SOFTVISOR-LINUX-PASS"))
        return "no SOFTVISOR-LINUX-PASS marker";
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: multivm KERNEL INITRD\n");
        return 2;
    }
    Run multi[NVMS] = { 0 }, solo[NVMS] = { 0 };
    for (int i = 0; i < NVMS; i++) {
        multi[i] = (Run){ .ram_mib = ram_mib[i], .kernel = argv[1], .initrd = argv[2] };
        solo[i] = multi[i];
    }
    /* Thread 0: 128M and 192M; thread 1: 160M and 256M. */
    Pair pairs[2] = { { { &multi[0], &multi[2] } }, { { &multi[1], &multi[3] } } };
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        if (pthread_create(&th[t], NULL, pair_thread, &pairs[t]) != 0) {
            fprintf(stderr, "multivm: pthread_create failed\n");
            return 1;
        }
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    for (int i = 0; i < NVMS; i++)
        run_solo(&solo[i]);

    int failed = 0;
    for (int i = 0; i < NVMS; i++) {
        const Run *m = &multi[i], *s = &solo[i];
        const char *pm = boot_problem(m), *ps = boot_problem(s);
        char msg[320];
        if (pm || ps)
            snprintf(msg, sizeof(msg), "%s%s%s%s", pm ? "shared: " : "", pm ? pm : "", ps ? (pm ? "; solo: " : "solo: ") : "",
                     ps ? ps : "");
        else if (m->out_len != s->out_len || memcmp(m->out, s->out, m->out_len))
            snprintf(msg, sizeof(msg), "serial output differs (%zu vs %zu bytes)", m->out_len, s->out_len);
        else if (m->icount != s->icount || m->hash != s->hash)
            snprintf(msg, sizeof(msg), "end differs: %llu instructions, hash %016llx vs solo %llu, %016llx",
                     (unsigned long long)m->icount, (unsigned long long)m->hash, (unsigned long long)s->icount,
                     (unsigned long long)s->hash);
        else
            msg[0] = 0;
        bool ok = !msg[0];
        failed += !ok;
        if (ok)
            printf("PASS %uM: %zu serial bytes, %llu instructions, state hash %016llx, as solo\n", m->ram_mib,
                   m->out_len, (unsigned long long)m->icount, (unsigned long long)m->hash);
        else
            printf("FAIL %uM: %s\n", m->ram_mib, msg);
        free(multi[i].out);
        free(solo[i].out);
    }
    printf("%d passed, %d failed\n", NVMS - failed, failed);
    return failed ? 1 : 0;
}
