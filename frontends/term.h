/*
 * term.h — the headless frontend: the VM's serial port on this process's stdin/stdout.
 *
 * term_open puts a terminal on stdin in raw mode (restored by term_close, and by a watchdog
 * process if softvisor dies of a fatal signal), catches SIGINT/SIGTERM/SIGHUP through a
 * signalfd, and term_run drives the VM in slices, feeding stdin bytes to the serial port as input
 * events between slices, blocking on stdin while the guest idles and, paced, sleeping while it
 * waits for a deadline the host's clock has not reached.
 */
#ifndef SOFTVISOR_TERM_H
#define SOFTVISOR_TERM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "debug/gdbstub.h"
#include "frontends/pace.h"
#include "vm/vm.h"

typedef enum TermEnd {
    TERM_END_VM,              /* the VM stopped by itself: see the VmExit */
    TERM_END_QUIT,            /* the user typed Ctrl-A x */
    TERM_END_SIGNAL,          /* SIGINT, SIGTERM or SIGHUP arrived (Term.signal) */
} TermEnd;

/* A frontend that shows the screen (frontends/sdl.h, curses.h) hooks into the run loop: term_run
 * calls it between slices once `frame_ns` of host time has passed since its last call, and never
 * sleeps past the next frame.  It may inject input (through vm/input.c, after pace_catch_up);
 * a non-zero return ends the run as TERM_END_QUIT. */
typedef int (*TermFrameFn)(void *opaque, Vm *vm, Pace *pace);
/* A replay under a debugger (frontends/main.c): term_run calls this instead of running the VM
 * itself, with no input and no pacing; it runs one piece of the replay, at most up to `end`. */
typedef VmExit (*TermRunFn)(void *opaque, Vm *vm, uint64_t end);

typedef struct Term {
    int in_fd;                /* where input comes from (stdin), or -1 when no port reads it */
    int port;                 /* the serial port stdin feeds (0 = COM1, 1 = COM2) */
    bool tty;                 /* stdin is a terminal: raw mode and the Ctrl-A escapes */
    bool raw;                 /* raw mode is on and must be undone */
    struct termios saved;     /* the terminal's settings before raw mode */
    int sig_fd;               /* signalfd for SIGINT/SIGTERM/SIGHUP, or -1 */
    sigset_t old_mask;
    int watchdog_fd;          /* write end of the pipe to the restore watchdog, or -1 */
    pid_t watchdog;
    bool escape;              /* Ctrl-A seen, waiting for the command key */
    bool eof;                 /* stdin ended: no more input */
    int signal;               /* the signal that ended the run */
    uint8_t *pend;            /* bytes read from stdin, not yet taken by the serial port */
    size_t pend_head, pend_len, pend_cap;
    TermFrameFn frame;        /* set after term_open, or NULL */
    void *frame_opaque;
    uint64_t frame_ns, frame_last;
    GdbStub *gdb;             /* the debugger session (gdb, monitor, stop/cont), or NULL; set
                               * after term_open */
    bool monitor;             /* stdin lines go to the monitor (-monitor stdio, Ctrl-A c) */
    TermRunFn run;            /* set after term_open for a replay, or NULL */
    void *run_opaque;
    char mon_line[256];
    size_t mon_len;
} Term;

/* in_fd: the descriptor to read (-1: no serial port is on stdio); port: which port it feeds.
 * Returns 0, or -1 with a one-line reason in err. */
int term_open(Term *t, int in_fd, int port, char *err, size_t errlen);
/* Restores the terminal and the signal mask; safe to call twice. */
void term_close(Term *t);
/* Runs the VM to its end (or `icount_limit` instructions, 0 = none) while serving input, paced
 * or not as `pace` says.  *exit gets the VM's last exit reason. */
TermEnd term_run(Term *t, Vm *vm, Pace *pace, uint64_t icount_limit, VmExit *exit);

#endif
