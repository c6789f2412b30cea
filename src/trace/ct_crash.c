/* The crash handler (ct_crash.h). A handler reaches its state only through
 * this static; everything it needs (the paths, the alternate stack) is
 * prepared by ct_crash_arm, so the handler itself uses write(2), open(2),
 * mkdir(2), rmdir(2), unlink(2), close(2) and raise(3) only. */
#define _XOPEN_SOURCE 700 /* sigaltstack */
#include "ct_crash.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALT_STACK_BYTES (256u * 1024)

static struct {
    ct_recorder *volatile rec;
    int fd;
    char path[4096];   /* as given ("" none) */
    char dir[4096];    /* its folder, made at the signal ("" none) */
    char actual[4200]; /* the file written: path or a numbered variant */
    const char *prog;
    ct_crash_fn extra, on_stop;
    void *ctx;
    volatile sig_atomic_t dumped, armed;
    void *alt_stack;
} cc;

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

/* cc.actual = the path with "-N" before its .ctrace extension (appended if
 * it has none); N = 0 is the path itself. */
static void numbered(unsigned n) {
    size_t l = strlen(cc.path), ext = 0;
    if (l > 7 && !strcmp(cc.path + l - 7, ".ctrace")) ext = 7;
    memcpy(cc.actual, cc.path, l - ext);
    size_t at = l - ext;
    if (n) {
        char digits[8];
        int k = 0;
        while (n && k < 8) {
            digits[k++] = (char)('0' + n % 10);
            n /= 10;
        }
        cc.actual[at++] = '-';
        while (k)
            cc.actual[at++] = digits[--k];
    }
    memcpy(cc.actual + at, cc.path + l - ext, ext + 1);
}

/* Creates the dump file; never opens one that exists (nor a symlink). */
static int create_dump(void) {
    for (unsigned n = 0; n < 1000; n++) {
        numbered(n);
        int fd = open(cc.actual, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

static int dump_to_path(int sig) {
    bool made_dir = cc.dir[0] && mkdir(cc.dir, 0777) == 0;
    int fd = create_dump();
    if (fd >= 0 && ct_dump_ctrace_fd(cc.rec, fd) == 0 && close(fd) == 0) {
        if (cc.prog) {
            say(cc.prog);
            say(": ");
            say(sig_name(sig));
            say(": flight recorder written to ");
            say(cc.actual);
            say("\n");
        }
        return 0;
    }
    /* Only what this handler created is removed. */
    if (fd >= 0) {
        close(fd);
        unlink(cc.actual);
    } else {
        numbered(0);
    }
    if (made_dir) rmdir(cc.dir);
    cc.actual[0] = 0;
    if (cc.prog) {
        say(cc.prog);
        say(": ");
        say(sig_name(sig));
        say(": could not write the flight recorder to ");
        say(cc.path);
        say("\n");
    }
    return -1;
}

int ct_crash_dump(int sig) {
    if (!cc.armed || cc.dumped) return 0;
    cc.dumped = 1;
    int saved = errno;
    int rc = 0;
    ct_recorder *rec = cc.rec;
    if (rec && cc.fd >= 0)
        rc = ct_dump_ctrace_fd(rec, cc.fd) == 0 ? 0 : -1;
    else if (rec && cc.path[0])
        rc = dump_to_path(sig);
    if (cc.extra) cc.extra(cc.ctx, sig);
    errno = saved;
    return rc;
}

static void on_crash(int sig) {
    ct_crash_dump(sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_stop(int sig) {
    if (cc.on_stop) {
        cc.on_stop(cc.ctx, sig);
        return;
    }
    on_crash(sig);
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

int ct_crash_arm(const ct_crash_cfg *cfg) {
    ct_crash_disarm();
    const char *path = cfg->fd < 0 && cfg->path ? cfg->path : "";
    if (strlen(path) >= sizeof cc.path - 16) return -ENAMETOOLONG;
    /* An alternate stack, so that a stack overflow can still be dumped. */
    cc.alt_stack = malloc(ALT_STACK_BYTES);
    if (!cc.alt_stack) return -ENOMEM;
    stack_t ss = {.ss_sp = cc.alt_stack, .ss_size = ALT_STACK_BYTES, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        free(cc.alt_stack);
        cc.alt_stack = NULL;
        return -errno;
    }
    strcpy(cc.path, path);
    cc.dir[0] = 0;
    const char *slash = strrchr(path, '/');
    if (cfg->make_dir && slash && slash != path)
        memcpy(cc.dir, path, (size_t)(slash - path)), cc.dir[slash - path] = 0;
    cc.actual[0] = 0;
    cc.fd = cfg->fd;
    cc.rec = cfg->rec;
    cc.prog = cfg->prog;
    cc.extra = cfg->extra;
    cc.on_stop = cfg->on_stop;
    cc.ctx = cfg->ctx;
    cc.dumped = 0;
    cc.armed = 1;
    install(on_crash, crash_sigs, sizeof crash_sigs / sizeof *crash_sigs, SA_NODEFER | SA_ONSTACK);
    install(on_stop, stop_sigs, sizeof stop_sigs / sizeof *stop_sigs,
            SA_NODEFER | SA_ONSTACK | SA_RESTART);
    return 0;
}

void ct_crash_set_recorder(ct_recorder *rec) {
    cc.rec = rec;
}

const char *ct_crash_written(void) {
    return cc.actual;
}

void ct_crash_disarm(void) {
    if (cc.armed) {
        install(SIG_DFL, stop_sigs, sizeof stop_sigs / sizeof *stop_sigs, 0);
        install(SIG_DFL, crash_sigs, sizeof crash_sigs / sizeof *crash_sigs, 0);
    }
    cc.armed = 0;
    cc.rec = NULL;
    if (cc.alt_stack) {
        stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&ss, NULL);
        free(cc.alt_stack);
        cc.alt_stack = NULL;
    }
}
