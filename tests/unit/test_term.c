/*
 * test_term.c — the headless frontend on a terminal (frontends/term.c), run as a real process on
 * a pseudo-terminal with the serial-echo guest (tests/guest/serial-echo.asm): raw mode while it
 * runs (keys reach the guest unechoed and uncooked), the terminal's settings restored after a
 * guest exit, after Ctrl-A x, after SIGTERM and, through the watchdog, after SIGKILL; Ctrl-A
 * Ctrl-A sends one Ctrl-A; Ctrl-A h prints the keys.
 *
 * usage: test_term SOFTVISOR ECHO_ROM (passed to the tests in the environment as
 * TEST_TERM_SOFTVISOR and TEST_TERM_ROM)
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

typedef struct Child {
    pid_t pid;
    int master;
} Child;

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The pty's line discipline as softvisor left it (the master reports the slave's settings). */
static tcflag_t lflag(const Child *c)
{
    struct termios t;
    ck_assert_int_eq(tcgetattr(c->master, &t), 0);
    return t.c_lflag;
}

/* Waits up to 30 s (a loaded 2-core machine starts softvisor slowly) for ICANON to be `on`. */
static bool wait_canon(const Child *c, bool on)
{
    for (int i = 0; i < 3000; i++) {
        if (((lflag(c) & ICANON) != 0) == on)
            return true;
        sleep_ms(10);
    }
    return false;
}

static Child start(void)
{
    Child c;
    c.pid = forkpty(&c.master, NULL, NULL, NULL);
    ck_assert_int_ge(c.pid, 0);
    if (c.pid == 0) {
        const char *sv = getenv("TEST_TERM_SOFTVISOR");
        execl(sv, sv, "-m", "32", "-bios", getenv("TEST_TERM_ROM"), (char *)NULL);
        _exit(127);
    }
    ck_assert_msg(lflag(&c) & ICANON, "a new pty starts in canonical mode");
    ck_assert_msg(wait_canon(&c, false), "softvisor never put the terminal in raw mode");
    return c;
}

static void type(const Child *c, const char *s)
{
    size_t len = strlen(s);
    ck_assert_int_eq(write(c->master, s, len), (ssize_t)len);
}

/* Reads what the child wrote until `want` appears or 30 s pass; returns whether it appeared. */
static bool read_until(const Child *c, const char *want, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (double end = now_s() + 30; now_s() < end;) {
        struct pollfd p = { c->master, POLLIN, 0 };
        if (poll(&p, 1, 10) > 0) {
            ssize_t n = read(c->master, buf + len, cap - 1 - len);
            if (n <= 0)
                break;
            len += (size_t)n;
            buf[len] = 0;
        }
        if (strstr(buf, want))
            return true;
    }
    return false;
}

/* Waits for the child, draining its output so it never blocks on a full pty. */
static int finish(Child *c)
{
    int status = 0;
    for (double end = now_s() + 30; now_s() < end;) {
        char junk[256];
        struct pollfd p = { c->master, POLLIN, 0 };
        if (poll(&p, 1, 10) > 0 && read(c->master, junk, sizeof(junk)) < 0)
            sleep_ms(10);   /* EIO: every slave descriptor is closed */
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid)
            return status;
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, &status, 0);
    ck_abort_msg("softvisor did not exit");
    return status;
}

static void stop(Child *c)
{
    close(c->master);
}

START_TEST(term_guest_exit_restores_terminal)
{
    Child c = start();
    char buf[4096];
    type(&c, "hi");
    ck_assert_msg(read_until(&c, "hi", buf, sizeof(buf)), "no echo from the guest: '%s'", buf);
    ck_assert_msg(!(lflag(&c) & ECHO), "terminal echo on while running");
    type(&c, "q");
    int status = finish(&c);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 33);
    ck_assert(lflag(&c) & ICANON);
    ck_assert(lflag(&c) & ECHO);
    stop(&c);
}
END_TEST

START_TEST(term_ctrl_a_x_quits_and_restores)
{
    Child c = start();
    type(&c, "\x01x");
    int status = finish(&c);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert(lflag(&c) & ICANON);
    stop(&c);
}
END_TEST

START_TEST(term_ctrl_a_twice_sends_ctrl_a)
{
    Child c = start();
    char buf[4096];
    type(&c, "\x01\x01" "a\x03q");   /* Ctrl-C goes to the guest too (no ISIG) */
    ck_assert_msg(read_until(&c, "\x01" "a\x03q", buf, sizeof(buf)), "guest saw '%s'", buf);
    int status = finish(&c);
    ck_assert_int_eq(WEXITSTATUS(status), 33);
    stop(&c);
}
END_TEST

START_TEST(term_ctrl_a_h_prints_help)
{
    Child c = start();
    char buf[4096];
    type(&c, "\x01h");
    ck_assert_msg(read_until(&c, "C-a x    exit emulator", buf, sizeof(buf)), "no help: '%s'", buf);
    type(&c, "q");
    int status = finish(&c);
    ck_assert_int_eq(WEXITSTATUS(status), 33);
    stop(&c);
}
END_TEST

START_TEST(term_sigterm_restores_terminal)
{
    Child c = start();
    kill(c.pid, SIGTERM);
    int status = finish(&c);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 128 + SIGTERM);
    ck_assert(lflag(&c) & ICANON);
    stop(&c);
}
END_TEST

START_TEST(term_sigkill_watchdog_restores_terminal)
{
    Child c = start();
    kill(c.pid, SIGKILL);
    int status = finish(&c);
    ck_assert(WIFSIGNALED(status));
    ck_assert_msg(wait_canon(&c, true), "terminal left in raw mode after SIGKILL");
    stop(&c);
}
END_TEST

static Suite *term_suite(void)
{
    Suite *s = suite_create("term");
    TCase *tc = tcase_create("pty");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, term_guest_exit_restores_terminal);
    tcase_add_test(tc, term_ctrl_a_x_quits_and_restores);
    tcase_add_test(tc, term_ctrl_a_twice_sends_ctrl_a);
    tcase_add_test(tc, term_ctrl_a_h_prints_help);
    tcase_add_test(tc, term_sigterm_restores_terminal);
    tcase_add_test(tc, term_sigkill_watchdog_restores_terminal);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_term SOFTVISOR ECHO_ROM\n");
        return 2;
    }
    setenv("TEST_TERM_SOFTVISOR", argv[1], 1);
    setenv("TEST_TERM_ROM", argv[2], 1);
    SRunner *sr = srunner_create(term_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
