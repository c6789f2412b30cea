/* The crash handler written once (src/trace/ct_crash.c, issue 11 item 6),
 * used by `ceres run` and by each `ceres test` child; the behaviours both
 * rely on, in forked children of this test:
 * - a file created only at the crash, exclusively: an existing file at the
 *   path is left as it was and the dump goes to PATH-1.ctrace; its folder
 *   is made then when asked; a clean arm/disarm creates nothing;
 * - a stack overflow is dumped (the alternate stack);
 * - into a file descriptor opened before (the runner's child), the ring,
 *   then the caller's extra, then the signal raised again (SIGTERM too);
 * - on_stop handles SIGINT/SIGTERM instead, and ct_crash_dump writes once. */
#define _DEFAULT_SOURCE
#include "test_util.h"

#include "trace/ct_crash.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

static int extra_fd = -1;
static void extra(void *ctx, int sig) {
    (void)ctx;
    char b[2] = {'X', (char)('0' + sig % 10)};
    ssize_t w = write(extra_fd, b, 2);
    (void)w;
}

static int stops;
static void on_stop(void *ctx, int sig) {
    (void)ctx;
    stops++;
    ct_crash_dump(sig);
}

static int overflow(volatile char *p, int depth) {
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[1023] = p ? p[0] : 0;
    return depth < 0 ? 0 : overflow(frame, depth + 1) + frame[1023];
}

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void)) {
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        fn();
        _exit(0);
    }
    int st = 0;
    waitpid(p, &st, 0);
    return st;
}

static uint64_t events_in(const char *path) {
    ct_trace *t = NULL;
    char err[256] = "";
    if (ct_trace_load(path, &t, err, sizeof err) != 0) {
        printf("%s: %s\n", path, err);
        return 0;
    }
    uint64_t n = t->nev;
    ct_trace_free(t);
    return n;
}

static void child_overflow(void) {
    ct_recorder *r = tu_wrapped(64 << 10, 5000);
    ct_crash_cfg cfg = {
        .rec = r, .fd = -1, .path = tu_path("made/crash.ctrace"), .make_dir = true, .prog = "test"};
    if (ct_crash_arm(&cfg) || mkdir(tu_path("made"), 0777)) _exit(3);
    /* an earlier crash's dump is there: kept */
    int fd = open(tu_path("made/crash.ctrace"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || write(fd, "earlier", 7) != 7) _exit(4);
    close(fd);
    overflow(NULL, 1);
}

static void child_fd(void) {
    ct_recorder *r = tu_wrapped(64 << 10, 3000);
    int fd = open(tu_path("ring.ctrace"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    extra_fd = open(tu_path("extra"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    ct_crash_cfg cfg = {.fd = fd, .extra = extra};
    if (fd < 0 || extra_fd < 0 || ct_crash_arm(&cfg)) _exit(3);
    ct_crash_set_recorder(r); /* the test's machine starts */
    raise(SIGTERM);
    _exit(5); /* not reached: SIGTERM is a crash here */
}

static void child_stop(void) {
    ct_recorder *r = tu_wrapped(64 << 10, 1000);
    ct_crash_cfg cfg = {.rec = r,
                        .fd = -1,
                        .path = tu_path("stopdir/stop.ctrace"),
                        .make_dir = true, /* made at the signal */
                        .on_stop = on_stop};
    if (ct_crash_arm(&cfg)) _exit(3);
    raise(SIGINT);
    raise(SIGTERM); /* handled, but the ring is written once */
    if (stops != 2 || strcmp(ct_crash_written(), tu_path("stopdir/stop.ctrace"))) _exit(6);
    ct_crash_disarm();
    _exit(0);
}

static void child_clean(void) {
    ct_recorder *r = tu_wrapped(64 << 10, 1000);
    ct_crash_cfg cfg = {.rec = r, .fd = -1, .path = tu_path("clean/none.ctrace"), .make_dir = true};
    if (ct_crash_arm(&cfg)) _exit(3);
    ct_crash_disarm();
    /* disarmed: the default action again */
    raise(SIGTERM);
    _exit(0);
}

int main(void) {
    tu_tmpdir();
    int st = in_child(child_overflow);
    printf("overflow: status %#x\n", st);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    size_t n = 0;
    char *old = tu_read(tu_path("made/crash.ctrace"), &n);
    CHECK(old && n == 7 && !memcmp(old, "earlier", 7));
    free(old);
    CHECK(events_in(tu_path("made/crash-1.ctrace")) > 1000);

    st = in_child(child_fd);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK(events_in(tu_path("ring.ctrace")) > 1000);
    char *x = tu_read(tu_path("extra"), &n);
    CHECK(x && n == 2 && x[0] == 'X' && x[1] == '0' + SIGTERM % 10);
    free(x);

    st = in_child(child_stop);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(events_in(tu_path("stopdir/stop.ctrace")) > 500);
    CHECK(!tu_exists(tu_path("stopdir/stop-1.ctrace")));

    st = in_child(child_clean);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK(!tu_exists(tu_path("clean")));

    tu_rm_dir();
    return test_result();
}
