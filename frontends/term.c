/*
 * term.c — the headless frontend (see term.h).
 *
 * Raw mode: as QEMU's stdio character device: no echo, no line editing, no signals from the
 * keyboard (Ctrl-C goes to the guest), no CR/LF mapping on input, 8-bit clean; output post-
 * processing stays on.  The settings are restored by term_close on every normal and error exit,
 * for SIGINT/SIGTERM/SIGHUP (taken through a signalfd, so they end the run between slices), and
 * by a watchdog child if softvisor dies otherwise (a fatal signal, SIGKILL): the child waits on a
 * pipe and restores the terminal when the pipe closes without the "done" byte.
 * Escapes (QEMU's multiplexer keys, only when stdin is a terminal): Ctrl-A x quits, Ctrl-A h
 * prints help, Ctrl-A c switches between the serial console and the monitor, Ctrl-A Ctrl-A
 * sends one Ctrl-A; any other key after Ctrl-A is ignored.
 * The debugger (Term.gdb, debug/gdbstub.h): its sockets are polled with stdin; while it holds
 * the guest stopped no slice runs; monitor lines (-monitor stdio or Ctrl-A c) go to it.
 *
 * Input: bytes read from stdin wait in a buffer (never dropped) and enter the serial port through
 * vm_input_serial between slices, as many as its receiver has room for.  The VM runs in the
 * slices of pace.h whether or not input is present, so a run without input is the same run
 * every time.  When the guest idles (VM_EXIT_IDLE) softvisor blocks on stdin; when stdin has
 * ended too, nothing can wake the guest and the run ends.  Paced (pace.h), a guest halted until
 * a deadline (VM_EXIT_WAIT) makes softvisor sleep in the same poll, with a timeout, until the
 * deadline is due on the host's clock; input or a signal ends the sleep early.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frontends/term.h"

#define TERM_ESCAPE 0x01      /* Ctrl-A */

static const char term_help[] =
    "\r\n"
    "C-a h    print this help\r\n"
    "C-a x    exit emulator\r\n"
    "C-a c    switch between console and monitor\r\n"
    "C-a C-a  sends C-a\r\n";

typedef enum TermEvent { TERM_EV_NONE, TERM_EV_QUIT, TERM_EV_SIGNAL } TermEvent;

/* ---- terminal settings ---- */

/* The child: restore the terminal unless the parent says it already did. */
static void term_watchdog_main(Term *t, int rd)
{
    /* Once softvisor is gone the shell owns the terminal and this process is in the background:
     * tcsetattr must not stop it. */
    signal(SIGTTOU, SIG_IGN);
    for (int fd = 1; fd <= 2; fd++)
        if (fd != t->in_fd && fd != rd)
            close(fd);
    char c;
    ssize_t n;
    do
        n = read(rd, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        tcsetattr(t->in_fd, TCSANOW, &t->saved);
    _exit(0);
}

static void term_watchdog_start(Term *t)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return;   /* best effort: normal exits restore the terminal anyway */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        term_watchdog_main(t, p[0]);
    }
    close(p[0]);
    if (pid < 0) {
        close(p[1]);
        return;
    }
    t->watchdog = pid;
    t->watchdog_fd = p[1];
}

static int term_raw(Term *t)
{
    if (tcgetattr(t->in_fd, &t->saved) < 0)
        return -1;
    struct termios r = t->saved;
    r.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    r.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    r.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    r.c_cflag |= CS8;
    r.c_cc[VMIN] = 1;
    r.c_cc[VTIME] = 0;
    /* The watchdog exists before raw mode does, so no moment is left unguarded. */
    term_watchdog_start(t);
    t->raw = true;
    if (tcsetattr(t->in_fd, TCSANOW, &r) < 0)
        return -1;
    return 0;
}

int term_open(Term *t, int in_fd, int port, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    t->in_fd = in_fd;
    t->port = port;
    t->sig_fd = -1;
    t->watchdog_fd = -1;
    t->watchdog = -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, &t->old_mask) < 0 ||
        (t->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        snprintf(err, errlen, "cannot set up signal handling: %s", strerror(errno));
        sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
        return -1;
    }
    if (in_fd >= 0 && isatty(in_fd)) {
        t->tty = true;
        if (term_raw(t) < 0) {
            snprintf(err, errlen, "cannot put the terminal in raw mode: %s", strerror(errno));
            term_close(t);
            return -1;
        }
    }
    return 0;
}

void term_close(Term *t)
{
    if (t->raw) {
        tcsetattr(t->in_fd, TCSANOW, &t->saved);
        t->raw = false;
    }
    if (t->watchdog_fd >= 0) {
        ssize_t n;
        do
            n = write(t->watchdog_fd, "x", 1);
        while (n < 0 && errno == EINTR);
        close(t->watchdog_fd);
        t->watchdog_fd = -1;
        waitpid(t->watchdog, NULL, 0);
        t->watchdog = -1;
    }
    if (t->sig_fd >= 0) {
        close(t->sig_fd);
        t->sig_fd = -1;
        sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
    }
    free(t->pend);
    t->pend = NULL;
    t->pend_head = t->pend_len = t->pend_cap = 0;
}

/* ---- input ---- */

static int term_pend_push(Term *t, uint8_t b)
{
    if (t->pend_head + t->pend_len == t->pend_cap) {
        if (t->pend_head) {
            memmove(t->pend, t->pend + t->pend_head, t->pend_len);
            t->pend_head = 0;
        } else {
            size_t cap = t->pend_cap ? 2 * t->pend_cap : 4096;
            uint8_t *p = realloc(t->pend, cap);
            if (!p)
                return -1;
            t->pend = p;
            t->pend_cap = cap;
        }
    }
    t->pend[t->pend_head + t->pend_len++] = b;
    return 0;
}

static void term_out(const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w <= 0 && errno != EINTR)
            return;
        if (w > 0) {
            s += w;
            n -= (size_t)w;
        }
    }
}

/* A byte of a monitor line; at the end of the line, runs it and prints the output. */
static TermEvent term_monitor_key(Term *t, uint8_t b)
{
    if (b != '\r' && b != '\n') {
        if ((b == 0x7f || b == 8) && t->mon_len) {
            t->mon_len--;
            if (t->tty)
                term_out("\b \b", 3);
        } else if (b >= 0x20 && b < 0x7f && t->mon_len + 1 < sizeof(t->mon_line)) {
            t->mon_line[t->mon_len++] = (char)b;
            if (t->tty)
                term_out((const char *)&b, 1);
        }
        return TERM_EV_NONE;
    }
    if (t->tty)
        term_out("\n", 1);
    t->mon_line[t->mon_len] = 0;
    t->mon_len = 0;
    MonOut out = { 0 };
    GdbEvent ev = gdbstub_monitor(t->gdb, t->mon_line, &out);
    if (out.len)
        term_out(out.p, out.len);
    monout_free(&out);
    if (ev == GDB_EV_QUIT)
        return TERM_EV_QUIT;
    term_out("(softvisor) ", 12);
    return TERM_EV_NONE;
}

/* One byte typed or piped in; returns TERM_EV_QUIT for Ctrl-A x. */
static TermEvent term_key(Term *t, uint8_t b)
{
    if (t->tty && t->escape) {
        t->escape = false;
        if (b == 'x')
            return TERM_EV_QUIT;
        if (b == 'c' && t->gdb) {
            t->monitor = !t->monitor;
            term_out(t->monitor ? "\r\n(softvisor) " : "\r\n", t->monitor ? 14 : 2);
            return TERM_EV_NONE;
        }
        if (b == 'h') {
            ssize_t n = write(STDERR_FILENO, term_help, sizeof(term_help) - 1);
            (void)n;
            return TERM_EV_NONE;
        }
        if (b != TERM_ESCAPE)
            return TERM_EV_NONE;
    } else if (t->tty && b == TERM_ESCAPE) {
        t->escape = true;
        return TERM_EV_NONE;
    }
    if (t->monitor)
        return term_monitor_key(t, b);
    if (term_pend_push(t, b) < 0)
        t->eof = true;   /* out of host memory: stop reading rather than lose bytes silently */
    return TERM_EV_NONE;
}

/* Reads whatever stdin and the signalfd have, waiting up to `wait_ns` (PACE_FOREVER: no limit)
 * for one of them to have something. */
static TermEvent term_poll(Term *t, uint64_t wait_ns)
{
    struct pollfd fds[4];
    int n = 0, in_ix = -1, sig_ix = -1, gdb_ix = -1;
    if (t->sig_fd >= 0) {
        sig_ix = n;
        fds[n++] = (struct pollfd){ .fd = t->sig_fd, .events = POLLIN };
    }
    if (t->in_fd >= 0 && !t->eof) {
        in_ix = n;
        fds[n++] = (struct pollfd){ .fd = t->in_fd, .events = POLLIN };
    }
    if (t->gdb) {
        gdb_ix = n;
        n += gdbstub_pollfds(t->gdb, fds + n, 2);
    }
    struct timespec ts = { (time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u) };
    if ((n == 0 && wait_ns == PACE_FOREVER) || ppoll(fds, (nfds_t)n, wait_ns == PACE_FOREVER ? NULL : &ts, NULL) <= 0)
        return TERM_EV_NONE;
    if (sig_ix >= 0 && (fds[sig_ix].revents & POLLIN)) {
        struct signalfd_siginfo si;
        if (read(t->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            t->signal = (int)si.ssi_signo;
            return TERM_EV_SIGNAL;
        }
    }
    if (in_ix >= 0 && fds[in_ix].revents) {
        uint8_t buf[4096];
        ssize_t got = read(t->in_fd, buf, sizeof(buf));
        if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
            t->eof = true;
        for (ssize_t i = 0; i < got; i++)
            if (term_key(t, buf[i]) == TERM_EV_QUIT)
                return TERM_EV_QUIT;
    }
    if (gdb_ix >= 0 && gdbstub_service(t->gdb, fds + gdb_ix, n - gdb_ix) == GDB_EV_QUIT)
        return TERM_EV_QUIT;
    return TERM_EV_NONE;
}

/* Hands waiting bytes to the serial port, as many as its receiver takes now. */
static void term_inject(Term *t, Vm *vm)
{
    while (t->pend_len && vm_serial_room(vm, t->port)) {
        vm_input_serial(vm, t->port, t->pend[t->pend_head]);
        t->pend_head++;
        t->pend_len--;
    }
    if (!t->pend_len)
        t->pend_head = 0;
}

/* Bytes wait for the serial port and it has room for them. */
static bool term_ready(const Term *t, const Vm *vm)
{
    return t->pend_len && vm_serial_room(vm, t->port);
}

TermEnd term_run(Term *t, Vm *vm, Pace *pace, uint64_t icount_limit, VmExit *exit)
{
    uint64_t end = icount_limit ? vm->cpu->icount + icount_limit : UINT64_MAX;
    uint64_t sleep = 0;
    for (;;) {
        if (t->frame && sleep > t->frame_ns)
            sleep = t->frame_ns;
        TermEvent ev = term_poll(t, sleep);
        if (ev == TERM_EV_QUIT)
            return TERM_END_QUIT;
        if (ev == TERM_EV_SIGNAL)
            return TERM_END_SIGNAL;
        if (t->frame) {
            uint64_t now = pace_host_clock(NULL);
            if (now - t->frame_last >= t->frame_ns) {
                t->frame_last = now;
                if (t->frame(t->frame_opaque, vm, pace))
                    return TERM_END_QUIT;
            }
        }
        if (t->gdb && gdbstub_stopped(t->gdb)) {
            struct pollfd unused[2];
            if ((t->in_fd < 0 || t->eof) && gdbstub_pollfds(t->gdb, unused, 2) == 0)
                return TERM_END_VM;   /* stopped, and nothing can ever resume it */
            sleep = PACE_FOREVER;
            continue;
        }
        if (vm->cpu->icount >= end) {   /* gdb's single steps reached the limit */
            *exit = VM_EXIT_INSN_LIMIT;
            return TERM_END_VM;
        }
        if (t->run) {
            *exit = t->run(t->run_opaque, vm, end);   /* a replay: the log is the only input */
            sleep = 0;                                /* no waiting for the host: poll and go on */
        } else {
            if (term_ready(t, vm))
                pace_catch_up(pace, vm);
            term_inject(t, vm);
            *exit = pace_run(pace, vm, end, &sleep);
        }
        if (t->gdb && gdbstub_vm_exit(t->gdb, *exit))
            continue;
        if (*exit == VM_EXIT_INSN_LIMIT) {
            if (vm->cpu->icount >= end)
                return TERM_END_VM;
        } else if (*exit == VM_EXIT_IDLE || *exit == VM_EXIT_WAIT) {
            /* Halted: input wakes the guest at once when bytes are ready for the port already;
             * with no deadline armed only input can, and when none can ever come, nothing can. */
            bool ready = term_ready(t, vm);
            bool more = (t->in_fd >= 0 && !t->eof) || t->frame;
            if (*exit == VM_EXIT_IDLE && !ready && !more)
                return TERM_END_VM;
            if (ready)
                sleep = 0;
        } else {
            return TERM_END_VM;
        }
    }
}
