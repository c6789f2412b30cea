/* Signals during a run, on the crash handler of src/trace/ct_crash.c. A
 * crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, a stack overflow too)
 * writes the ring as .ctrace to a file created only then, exclusively
 * (NAME-1.ctrace, NAME-2.ctrace ... when the path is taken: nothing that
 * exists is truncated), prints the path and re-raises: the exit status
 * stays honest.
 *
 * This file is the run's policy for SIGINT/SIGTERM: the first writes the
 * same file and asks the machine to stop (the run loop also polls
 * crash_guard_signal between slices): the run ends normally, its outputs
 * are written and the exit status is 128+signal. A second one during the
 * run re-raises at once. Once the outputs are being written, signals only
 * write the dump (if not yet) and are remembered: the output being written
 * finishes and is renamed into place instead of leaving a temporary file.
 * A handler can only reach its state through a static. */
#include "crash.h"

#include "../trace/ct_crash.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    gb *volatile g;
    const char *prog;
    volatile sig_atomic_t first_signal, interrupts, outputs;
} cg;

static void say(const char *m) {
    ssize_t w = write(2, m, strlen(m));
    (void)w;
}

static void on_stop(void *ctx, int s) {
    (void)ctx;
    if (!cg.first_signal) cg.first_signal = s;
    if (cg.outputs) {
        /* Outputs are being written: let them finish. */
        if (!cg.interrupts++) {
            ct_crash_dump(s);
            say(cg.prog);
            say(": finishing the outputs, then stopping\n");
        }
        return;
    }
    if (cg.interrupts++ == 0) {
        ct_crash_dump(s);
        if (cg.g) gb_request_stop(cg.g);
        return;
    }
    signal(s, SIG_DFL);
    raise(s);
}

int crash_guard_start(const char *prog, const char *path, bool make_out_dir, gb *g,
                      ct_recorder *rec) {
    cg.prog = prog;
    cg.first_signal = cg.interrupts = cg.outputs = 0;
    if (rec && path) {
        /* The folder must be there (but for out/, made when needed). */
        char dir[4096];
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
                 slash ? path : ".");
        struct stat st;
        errno = 0;
        if (!make_out_dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
            fprintf(stderr, "%s: crash dump %s: %s (running without one)\n", prog, path,
                    strerror(errno ? errno : ENOTDIR));
            path = NULL;
        }
    }
    cg.g = g;
    ct_crash_cfg cfg = {.rec = path ? rec : NULL,
                        .fd = -1,
                        .path = rec ? path : NULL,
                        .make_dir = make_out_dir,
                        .prog = prog,
                        .on_stop = on_stop};
    int e = ct_crash_arm(&cfg);
    if (e == -ENAMETOOLONG) {
        fprintf(stderr, "%s: crash dump %s: path too long\n", prog, path);
        return -1;
    }
    if (e) fprintf(stderr, "%s: crash handler: %s (running without one)\n", prog, strerror(-e));
    return 0;
}

void crash_guard_outputs(void) {
    cg.outputs = 1;
}

int crash_guard_signal(void) {
    return cg.first_signal;
}

void crash_guard_end(void) {
    ct_crash_disarm();
    cg.g = NULL;
}
