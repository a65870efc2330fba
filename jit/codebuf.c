/*
 * codebuf.c — the dual-mapped code buffer (see codebuf.h).
 */
#include "jit/codebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

CodeBuf *codebuf_new(size_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    size = (size + (size_t)page - 1) & ~((size_t)page - 1);
    if (size == 0) {
        errno = EINVAL;
        return NULL;
    }
    CodeBuf *cb = calloc(1, sizeof(*cb));
    if (!cb)
        return NULL;
    cb->rw = cb->rx = MAP_FAILED;
    int fd = memfd_create("softvisor-jit", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
        goto fail;
    cb->rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (cb->rw == MAP_FAILED)
        goto fail;
    cb->rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (cb->rx == MAP_FAILED)
        goto fail;
    if (madvise(cb->rw, size, MADV_DONTFORK) != 0 || madvise(cb->rx, size, MADV_DONTFORK) != 0)
        goto fail;
    close(fd);   /* the mappings keep the memory */
    cb->size = size;
    return cb;

fail:;
    int err = errno;
    if (cb->rx != MAP_FAILED)
        munmap(cb->rx, size);
    if (cb->rw != MAP_FAILED)
        munmap(cb->rw, size);
    if (fd >= 0)
        close(fd);
    free(cb);
    errno = err;
    return NULL;
}

void codebuf_free(CodeBuf *cb)
{
    if (!cb)
        return;
    munmap(cb->rw, cb->size);
    munmap(cb->rx, cb->size);
    free(cb);
}

bool codebuf_begin(CodeBuf *cb, Emitter *e, size_t min)
{
    if (min < EMIT_MAX_INSN)
        min = EMIT_MAX_INSN;
    if (cb->size - cb->used < min)
        return false;
    emit_init(e, cb->rw + cb->used, cb->size - cb->used, (intptr_t)cb->rx - (intptr_t)cb->rw);
    return true;
}

const void *codebuf_commit(CodeBuf *cb, const Emitter *e)
{
    assert(e->start == cb->rw + cb->used && "commit what codebuf_begin started");
    if (e->failed)
        return NULL;
    size_t n = (emit_size(e) + CODEBUF_ALIGN - 1) & ~(size_t)(CODEBUF_ALIGN - 1);
    const void *code = codebuf_exec_addr(cb, e->start);
    cb->last = emit_size(e);
    cb->used += n < cb->size - cb->used ? n : cb->size - cb->used;
    return code;
}

void codebuf_flush(CodeBuf *cb)
{
    cb->used = 0;
    cb->flushes++;
}
