/*
 * test_jit_codebuf.c — the JIT code buffer (jit/codebuf.c): code written through the RW view runs
 * through the RX view; neither view is ever writable and executable; a forked child does not
 * inherit them (MADV_DONTFORK); the bump allocator reports "full" and a flush makes the space
 * reusable; a failed emission keeps nothing.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jit/codebuf.h"
#include "jit/emit_branch.h"
#include "jit/emit_insn.h"

typedef uint64_t (*Fn2)(uint64_t, uint64_t);

/* mov rax, rdi; <op> rax, rsi; ret */
static Fn2 emit_fn2(CodeBuf *cb, int op)
{
    Emitter e;
    ck_assert(codebuf_begin(cb, &e, 64));
    emit_mov_rr(&e, 8, HR_RAX, HR_RDI);
    emit_alu_rr(&e, op, 8, HR_RAX, HR_RSI);
    emit_ret(&e);
    const void *code = codebuf_commit(cb, &e);
    ck_assert_ptr_nonnull(code);
    Fn2 fn;
    memcpy(&fn, &code, sizeof(fn));
    return fn;
}

/* The permissions of the /proc/self/maps line containing `addr`, or "" when unmapped. */
static void perms_of(const void *addr, char out[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    out[0] = 0;
    while (fgets(line, sizeof(line), f)) {
        uintptr_t lo, hi;
        char p[5];
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &lo, &hi, p) == 3 &&
            (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
            memcpy(out, p, 5);
            break;
        }
    }
    fclose(f);
}

START_TEST(codebuf_function_written_rw_runs_rx)
{
    CodeBuf *cb = codebuf_new(1 << 16);
    ck_assert_ptr_nonnull(cb);
    Fn2 add = emit_fn2(cb, EMIT_ADD);
    Fn2 sub = emit_fn2(cb, EMIT_SUB);
    ck_assert_uint_eq(add(2, 3), 5);
    ck_assert_uint_eq(add(0xffffffffffffffffull, 2), 1);
    ck_assert_uint_eq(sub(10, 3), 7);
    ck_assert_uint_eq((uintptr_t)sub % CODEBUF_ALIGN, 0);
    ck_assert((uintptr_t)sub >= (uintptr_t)cb->rx && (uintptr_t)sub < (uintptr_t)(cb->rx + cb->size));
    codebuf_free(cb);
}
END_TEST

START_TEST(codebuf_views_are_never_writable_and_executable)
{
    CodeBuf *cb = codebuf_new(1 << 16);
    ck_assert_ptr_nonnull(cb);
    char rx[5], rw[5];
    perms_of(cb->rx, rx);
    perms_of(cb->rw, rw);
    ck_assert_str_eq(rx, "r-xs");
    ck_assert_str_eq(rw, "rw-s");
    perms_of(cb->rx + cb->size - 1, rx);
    ck_assert_str_eq(rx, "r-xs");
    codebuf_free(cb);
}
END_TEST

START_TEST(codebuf_forked_child_does_not_inherit_it)
{
    CodeBuf *cb = codebuf_new(1 << 16);
    ck_assert_ptr_nonnull(cb);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char rx[5], rw[5];
        perms_of(cb->rx, rx);
        perms_of(cb->rw, rw);
        _exit(rx[0] == 0 && rw[0] == 0 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    codebuf_free(cb);
}
END_TEST

START_TEST(codebuf_full_then_flush_reuses_the_space)
{
    CodeBuf *cb = codebuf_new(4096);
    ck_assert_ptr_nonnull(cb);
    Fn2 first = emit_fn2(cb, EMIT_ADD);
    ck_assert_uint_eq(first(40, 2), 42);
    int pieces = 1;
    Emitter e;
    while (codebuf_begin(cb, &e, 64)) {
        emit_nop(&e, 40);
        emit_ret(&e);
        ck_assert_ptr_nonnull(codebuf_commit(cb, &e));
        pieces++;
    }
    ck_assert_int_eq(pieces, 4096 / 48);
    ck_assert_uint_le(cb->used, cb->size);
    codebuf_flush(cb);
    ck_assert_uint_eq(cb->used, 0);
    ck_assert_uint_eq(cb->flushes, 1);
    /* The same address now holds other code, and runs it. */
    Fn2 again = emit_fn2(cb, EMIT_XOR);
    ck_assert_ptr_eq((const void *)again, (const void *)first);
    ck_assert_uint_eq(again(0xff, 0x0f), 0xf0);
    codebuf_free(cb);
}
END_TEST

START_TEST(codebuf_failed_emission_keeps_nothing)
{
    CodeBuf *cb = codebuf_new(4096);
    ck_assert_ptr_nonnull(cb);
    Emitter e;
    ck_assert(codebuf_begin(cb, &e, 64));
    for (int i = 0; i < 1000; i++)
        emit_movabs(&e, HR_RAX, 1);
    ck_assert(e.failed);
    ck_assert_ptr_null(codebuf_commit(cb, &e));
    ck_assert_uint_eq(cb->used, 0);
    Fn2 add = emit_fn2(cb, EMIT_ADD);
    ck_assert_ptr_eq((const void *)add, (const void *)cb->rx);
    ck_assert_uint_eq(add(1, 1), 2);
    codebuf_free(cb);
}
END_TEST

START_TEST(codebuf_two_buffers_are_independent)
{
    CodeBuf *a = codebuf_new(4096), *b = codebuf_new(4096);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    Fn2 fa = emit_fn2(a, EMIT_ADD);
    Fn2 fb = emit_fn2(b, EMIT_SUB);
    codebuf_flush(a);
    ck_assert_uint_eq(b->used, CODEBUF_ALIGN);
    ck_assert_uint_eq(fb(5, 3), 2);
    (void)fa;
    codebuf_free(a);
    ck_assert_uint_eq(fb(9, 3), 6);
    codebuf_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jit_codebuf");
    TCase *tc = tcase_create("codebuf");
    tcase_add_test(tc, codebuf_function_written_rw_runs_rx);
    tcase_add_test(tc, codebuf_views_are_never_writable_and_executable);
    tcase_add_test(tc, codebuf_forked_child_does_not_inherit_it);
    tcase_add_test(tc, codebuf_full_then_flush_reuses_the_space);
    tcase_add_test(tc, codebuf_failed_emission_keeps_nothing);
    tcase_add_test(tc, codebuf_two_buffers_are_independent);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
