/*
 * codebuf.h — the JIT's code buffer: one memfd mapped twice, RW for the emitter and RX for running,
 * so no page is ever writable and executable at once (DESIGN.md "Isolation"; the same split as
 * QEMU's split-wx).  Both views are MADV_DONTFORK: frontends/term.c forks a watchdog, which must
 * not inherit them.
 *
 * Space is handed out by a bump allocator and never freed piecemeal: when it runs out, the caller
 * (the run loop, never code running in the buffer) flushes it whole and translates again.  Stale
 * code is never reused until that flush, so a block invalidated while it runs keeps its bytes until
 * it has returned.
 *
 * x86 keeps instruction fetch coherent with stores by physical address, so code written through
 * the RW view needs no cache maintenance before it runs through the RX view.
 * XXX: SDM vol. 3, 11.6 asks for a serializing instruction when code is modified through another
 * linear address than it is fetched from; like QEMU on x86 hosts, we rely on the fetch snoop and on
 * never running bytes that were fetched before they were rewritten (flush only between runs).
 */
#ifndef SOFTVISOR_CODEBUF_H
#define SOFTVISOR_CODEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit/emit.h"

#define CODEBUF_ALIGN 16   /* every piece starts on a 16-byte boundary (fetch lines) */

typedef struct CodeBuf {
    uint8_t *rw;           /* writable view (the emitter's) */
    uint8_t *rx;           /* executable view, same bytes */
    size_t size;
    size_t used;           /* bump pointer: bytes handed out since the last flush */
    size_t last;           /* bytes the last codebuf_commit kept, without alignment padding */
    uint64_t flushes;
} CodeBuf;

/* A buffer of `size` bytes (rounded up to whole pages).  NULL when the host refuses (no memfd, no
 * executable shared mapping allowed); errno says why. */
CodeBuf *codebuf_new(size_t size);
void codebuf_free(CodeBuf *cb);

/* Sets `e` up to emit into the free space.  False when less than `min` bytes are free: the buffer
 * is full, and the caller decides when to flush. */
bool codebuf_begin(CodeBuf *cb, Emitter *e, size_t min);

/* Keeps what `e` wrote since codebuf_begin and returns its address in the RX view; NULL when the
 * emitter failed (out of room), and then nothing is kept. */
const void *codebuf_commit(CodeBuf *cb, const Emitter *e);

/* Forgets all code.  Only from the run loop: nothing may be running in the buffer. */
void codebuf_flush(CodeBuf *cb);

/* The RX address of a byte written at `rw`. */
static inline const void *codebuf_exec_addr(const CodeBuf *cb, const uint8_t *rw)
{
    return cb->rx + (rw - cb->rw);
}

#endif
