/* Signals during a run. A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT)
 * writes the ring as .ctrace with write(2) only (ct_dump_ctrace_fd: no
 * malloc, no stdio) to a file the handler creates (open(2) is
 * async-signal-safe) exclusively, so nothing that exists is truncated:
 * when the path is taken, NAME-1.ctrace, NAME-2.ctrace ... are tried. It
 * runs on an alternate stack reserved at start-up, so a stack overflow
 * leaves a dump too, prints the path and re-raises: the exit status stays
 * honest.
 *
 * The first SIGINT/SIGTERM writes the same file and asks the machine to
 * stop (the run loop also polls crash_guard_signal between slices): the
 * run ends normally, its outputs are written and the exit status is
 * 128+signal. A second one during the run re-raises at once. Once the
 * outputs are being written, signals only write the dump (if not yet) and
 * are remembered: the output being written finishes and is renamed into
 * place instead of leaving a temporary file. A handler can only reach its
 * state through a static. */
#define _XOPEN_SOURCE 700 /* sigaltstack */
#include "crash.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALT_STACK_BYTES (256u * 1024)

static struct {
    gb *volatile g;
    ct_recorder *volatile rec;
    const char *prog;
    char path[4096];   /* as given */
    char actual[4200]; /* the file written (path, or a numbered variant) */
    bool make_out_dir;
    volatile sig_atomic_t first_signal, interrupts, dumped, outputs;
    void *alt_stack;
} cg;

static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static const int stop_sigs[] = {SIGINT, SIGTERM};

static void say(const char *m) {
    ssize_t w = write(2, m, strlen(m));
    (void)w;
}

static const char *sig_name(int s) {
    switch (s) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
    }
}

/* cg.actual = the path with "-N" before its .ctrace extension (appended if
 * it has none); N = 0 is the path itself. No stdio: signal context. */
static void numbered(unsigned n) {
    size_t l = strlen(cg.path), ext = 0;
    if (l > 7 && !strcmp(cg.path + l - 7, ".ctrace")) ext = 7;
    memcpy(cg.actual, cg.path, l - ext);
    size_t at = l - ext;
    if (n) {
        char digits[8];
        int k = 0;
        while (n && k < 8) {
            digits[k++] = (char)('0' + n % 10);
            n /= 10;
        }
        cg.actual[at++] = '-';
        while (k)
            cg.actual[at++] = digits[--k];
    }
    memcpy(cg.actual + at, cg.path + l - ext, ext + 1);
}

/* Creates the dump file; never opens one that exists (nor a symlink). */
static int open_dump(void) {
    for (unsigned n = 0; n < 1000; n++) {
        numbered(n);
        int fd = open(cg.actual, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

static void crash_dump(int s) {
    if (!cg.rec || cg.dumped) return;
    cg.dumped = 1;
    int saved = errno;
    say(cg.prog);
    say(": ");
    say(sig_name(s));
    bool made_out = cg.make_out_dir && mkdir("out", 0777) == 0;
    int fd = open_dump();
    if (fd >= 0 && ct_dump_ctrace_fd(cg.rec, fd) == 0 && close(fd) == 0) {
        say(": flight recorder written to ");
        say(cg.actual);
        say("\n");
    } else {
        /* Only what this handler created is removed. */
        if (fd >= 0) {
            close(fd);
            unlink(cg.actual);
        } else {
            numbered(0);
        }
        if (made_out) rmdir("out");
        say(": could not write the flight recorder to ");
        say(cg.actual);
        say("\n");
    }
    errno = saved;
}

static void on_crash(int s) {
    crash_dump(s);
    signal(s, SIG_DFL);
    raise(s);
}

static void on_stop(int s) {
    if (!cg.first_signal) cg.first_signal = s;
    if (cg.outputs) {
        /* Outputs are being written: let them finish. */
        if (!cg.dumped) {
            crash_dump(s);
            say(cg.prog);
            say(": finishing the outputs, then stopping\n");
        }
        return;
    }
    if (cg.interrupts++ == 0) {
        crash_dump(s);
        if (cg.g) gb_request_stop(cg.g);
        return;
    }
    signal(s, SIG_DFL);
    raise(s);
}

static void install(void (*fn)(int), const int *sigs, size_t n, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    for (size_t i = 0; i < n; i++)
        sigaction(sigs[i], &sa, NULL);
}

int crash_guard_start(const char *prog, const char *path, bool make_out_dir, gb *g,
                      ct_recorder *rec) {
    cg.prog = prog;
    cg.first_signal = cg.interrupts = cg.dumped = cg.outputs = 0;
    cg.make_out_dir = make_out_dir;
    cg.path[0] = 0;
    if (rec && path) {
        if (strlen(path) >= sizeof cg.path - 16) {
            fprintf(stderr, "%s: crash dump %s: path too long\n", prog, path);
            return -1;
        }
        strcpy(cg.path, path);
        numbered(0);
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
            cg.path[0] = 0;
        }
    }
    /* An alternate stack, so that a stack overflow can still be dumped. */
    if (!cg.alt_stack) cg.alt_stack = malloc(ALT_STACK_BYTES);
    if (cg.alt_stack) {
        stack_t ss = {.ss_sp = cg.alt_stack, .ss_size = ALT_STACK_BYTES, .ss_flags = 0};
        if (sigaltstack(&ss, NULL) != 0) {
            free(cg.alt_stack);
            cg.alt_stack = NULL;
        }
    }
    cg.g = g;
    cg.rec = cg.path[0] ? rec : NULL;
    install(on_crash, crash_sigs, sizeof crash_sigs / sizeof *crash_sigs, SA_NODEFER | SA_ONSTACK);
    install(on_stop, stop_sigs, sizeof stop_sigs / sizeof *stop_sigs, SA_NODEFER | SA_RESTART);
    return 0;
}

void crash_guard_outputs(void) {
    cg.outputs = 1;
}

int crash_guard_signal(void) {
    return cg.first_signal;
}

void crash_guard_end(void) {
    install(SIG_DFL, stop_sigs, sizeof stop_sigs / sizeof *stop_sigs, 0);
    install(SIG_DFL, crash_sigs, sizeof crash_sigs / sizeof *crash_sigs, 0);
    cg.g = NULL;
    cg.rec = NULL;
    if (cg.alt_stack) {
        stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&ss, NULL);
        free(cg.alt_stack);
        cg.alt_stack = NULL;
    }
}
