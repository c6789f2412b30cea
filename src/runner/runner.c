/* Process isolation: tests run in forked worker processes, o->jobs at a
 * time, each worker running one test after another (a fresh machine and
 * recorder for each) as the parent hands them out over a socket. A worker
 * that dies of a signal while running a test has that test reported as a
 * crash, one whose test passes the wall-clock safety limit is stopped and
 * the test reported as a hang; a new worker takes its place and the others
 * go on. Before running, the worker installs a handler for SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT (and SIGTERM, which the parent sends to a stuck
 * worker, and SIGINT, Ctrl-C): the crash handler of src/trace/ct_crash.c,
 * which writes the flight recorder's ring and the machine's screen to
 * files the parent opened before the fork (and empties before each test),
 * then re-raises. The parent turns those into the failure folder. On
 * SIGINT/SIGTERM the parent starts no more tests, passes SIGINT to the
 * running ones (so each keeps its last events) and reports. */
#include "runner.h"

#include "../debug/disasm.h"
#include "../trace/ct_crash.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the crash handler writes after the screen (fixed layout). */
typedef struct crash_info {
    uint32_t magic;
    uint32_t pad;
    uint64_t cycles, frames;
    gb_regs regs;
} crash_info;
#define CRASH_MAGIC 0x43525348u /* "CRSH" */

/* Worker side. A process runs one test at a time; its crash handler
 * (src/trace/ct_crash.c, the same as `ceres run`'s) writes the ring into
 * the file the parent opened, and `write_screen` adds the machine's screen
 * and state. A handler can only find the machine through a static. */
static struct {
    gb *volatile g;
    int screen_fd, res_fd;
} child;

/* Called with the machine when the test starts and with NULL when its check
 * is decided: the verdict is saved right away, so a child stopped later
 * (while writing its failure folder or replaying) still reports it. */
static void on_machine(void *ctx, gb *g, ct_recorder *rec) {
    ct_crash_set_recorder(rec);
    child.g = g;
    if (!g && ctx && pwrite(child.res_fd, ctx, sizeof(rn_result), 0) < 0) {
        /* the final write below tries again */
    }
}

static void write_all(int fd, const void *p, size_t n) {
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        b += w;
        n -= (size_t)w;
    }
}

/* After the ring, in the crash handler: write(2) only (gb_framebuffer,
 * gb_cycles, gb_frames and gb_get_regs only read fields). */
static void write_screen(void *ctx, int sig) {
    (void)ctx;
    (void)sig;
    gb *g = child.g;
    if (!g) return;
    write_all(child.screen_fd, gb_framebuffer(g), GB_LCD_W * GB_LCD_H);
    crash_info ci = {CRASH_MAGIC, 0, gb_cycles(g), gb_frames(g), {0}};
    gb_get_regs(g, &ci.regs);
    write_all(child.screen_fd, &ci, sizeof ci);
}

/* All n bytes over a worker's socket: 0, or -1 at its end or on an error.
 * MSG_NOSIGNAL: a worker that died gives an error, not SIGPIPE. */
static int io_all(int fd, void *p, size_t n, bool out) {
    uint8_t *b = p;
    while (n) {
        ssize_t k = out ? send(fd, b, n, MSG_NOSIGNAL) : recv(fd, b, n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A worker runs the tests the parent sends it, one at a time, each with a
 * fresh machine and an emptied recorder (rn_run_one_kept: the ring's memory
 * and its faulted-in pages are kept from test to test), until the parent closes
 * its socket. Its crash handler is armed once; the parent empties the
 * result, ring and screen files before each test, so what the handler or
 * the test writes there is that test's. Keeping the process saves each test
 * the fork, the copy-on-write faults of a fresh process and its first
 * calls through the dynamic linker; memory the previous test freed is
 * reused without new page faults. */
static void worker_main(const rn_test *const *tests, size_t n, const rn_opts *o, int sock,
                        int res_fd, int ring_fd, int screen_fd) {
    child.screen_fd = screen_fd;
    child.res_fd = res_fd;
    /* Not the parent's handler: a signal before the crash handler is armed
     * (or without one) ends the worker. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, and SIGTERM (which the
     * parent sends to a stuck worker) and SIGINT (Ctrl-C) as crashes: the
     * ring, the screen, then the signal again. */
    ct_crash_cfg cfg = {.fd = ring_fd, .extra = write_screen};
    if (ct_crash_arm(&cfg) != 0) {
        /* no alternate stack: the tests run without a crash dump */
    }
    rn_keep keep = {0};
    for (;;) {
        uint64_t idx;
        if (io_all(sock, &idx, sizeof idx, false) != 0 || idx >= n) _exit(0);
        rn_result res;
        memset(&res, 0, sizeof res);
        rn_run_one_kept(tests[idx], o, &res, on_machine, &res, &keep);
        if (pwrite(res_fd, &res, sizeof res, 0) != (ssize_t)sizeof res) _exit(3);
        if (io_all(sock, &idx, sizeof idx, true) != 0) _exit(0);
    }
}

/* ---- parent side ---------------------------------------------------------- */

/* One worker process (pid 0: none) and the test it runs (busy). */
typedef struct slot {
    pid_t pid;
    int sock; /* the parent's end of the worker's socket */
    FILE *res_f, *ring_f, *screen_f;
    bool busy;
    size_t idx;
    double start, term_time;
    bool term_sent, kill_sent;
} slot;

static double wall_limit(const rn_test *t, const rn_opts *o) {
    if (t->wall_limit > 0) return t->wall_limit;
    if (o->wall_limit > 0) return o->wall_limit;
    /* Generous: only a truly stuck child gets here. The emulator runs many
     * times faster than the real machine, even under sanitizers. */
    double emu = (double)t->limit_cycles / RN_CYCLES_PER_SEC;
    if (t->check.kind == RN_CHECK_SM83) emu = 60;
    return 60 + emu * (o->replay_window ? 4 : 2);
}

static long file_size(FILE *f) {
    struct stat st;
    return fstat(fileno(f), &st) ? -1 : (long)st.st_size;
}

/* The crash or hang's failure folder, from what the child's handler wrote. */
static void crash_artifacts(const rn_test *t, const rn_opts *o, slot *s, rn_result *res) {
    char dir[4200], path[4300];
    rn_failure_dir(o, t, dir, sizeof dir);
    int dir_rc = rn_failure_mkdir(o, dir);
    if (dir_rc) {
        rn_artifact_lost(res, "failure folder", dir_rc);
        return;
    }
    rn_failure_clear_files(dir);
    res->artifacts = true;
    char *extra = NULL;
    size_t elen = 0;
    FILE *info = open_memstream(&extra, &elen);
    long rsize = file_size(s->ring_f);
    if (rsize > 0) {
        uint8_t *buf = malloc((size_t)rsize);
        if (buf && pread(fileno(s->ring_f), buf, (size_t)rsize, 0) == rsize) {
            snprintf(path, sizeof path, "%s/trace.ctrace", dir);
            int rc = rn_write_file(path, buf, (size_t)rsize);
            rn_artifact_lost(res, "trace.ctrace", rc);
            ct_trace *tr = NULL;
            char err[256] = "";
            if (!rc) rc = ct_trace_load(path, &tr, err, sizeof err);
            if (!rc) {
                ct_dump_opts po = {.format = CT_FMT_PERFETTO, .look = &gb_look};
                snprintf(path, sizeof path, "%s/trace.perfetto-trace", dir);
                int r1 = ct_trace_write(tr, path, &po);
                snprintf(path, sizeof path, "%s/trace.log", dir);
                int r2 = rn_write_log_tail(tr, path, NULL);
                rn_artifact_lost(res, "trace.perfetto-trace", r1);
                rn_artifact_lost(res, "trace.log", r2);
                if (info)
                    fprintf(info,
                            "trace: written by the crash handler as trace.ctrace; "
                            "trace.perfetto-trace %s, trace.log %s\n",
                            r1 ? strerror(-r1) : "ok", r2 ? strerror(-r2) : "ok");
                ct_trace_free(tr);
            } else if (info) {
                fprintf(info, "trace: trace.ctrace from the crash handler unreadable: %s\n",
                        err[0] ? err : strerror(-rc));
            }
        }
        free(buf);
    } else if (info) {
        fprintf(info, "trace: none (recording off, or the child died before the test started)\n");
    }
    long ssize = file_size(s->screen_f);
    if (ssize == GB_LCD_W * GB_LCD_H + (long)sizeof(crash_info)) {
        uint8_t *buf = malloc((size_t)ssize);
        if (buf && pread(fileno(s->screen_f), buf, (size_t)ssize, 0) == ssize) {
            crash_info ci;
            memcpy(&ci, buf + GB_LCD_W * GB_LCD_H, sizeof ci);
            if (ci.magic == CRASH_MAGIC) {
                res->cycles = ci.cycles;
                res->frames = ci.frames;
                res->regs = ci.regs;
                res->have_regs = true;
            }
            snprintf(path, sizeof path, "%s/screen.png", dir);
            rn_artifact_lost(res, "screen.png", rn_png_write_shades(path, buf, GB_LCD_W, GB_LCD_H));
        }
        free(buf);
    }
    if (info) {
        fprintf(info,
                "replay: not run for a %s (the replay would take the runner down the "
                "same way; run `ceres run` on the ROM under a debugger)\n",
                rn_status_name(res->status));
        fclose(info);
    }
    snprintf(path, sizeof path, "%s/state.txt", dir);
    rn_artifact_lost(res, "state.txt", rn_write_state(path, t, o, res, extra));
    free(extra);
}

static const char *signame(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGKILL: return "SIGKILL";
    default: return "signal";
    }
}

/* The busy slot's test is over: its worker reported it (died false), or
 * died with `status` (waitpid's) while running it. */
static void finish(const rn_test *t, const rn_opts *o, slot *s, bool died, int status,
                   rn_result *res) {
    memset(res, 0, sizeof *res);
    res->replay = -1;
    double wall = rn_now() - s->start;
    long rsize = file_size(s->res_f);
    bool have = rsize == (long)sizeof *res &&
                pread(fileno(s->res_f), res, sizeof *res, 0) == (ssize_t)sizeof *res;
    if (have) {
        res->message[RN_MSG_MAX - 1] = 0;
        res->serial[RN_SERIAL_MAX - 1] = 0;
    }
    if (have && (!died || (WIFEXITED(status) && WEXITSTATUS(status) == 0))) {
        /* the normal case */
    } else if (have && WIFSIGNALED(status)) {
        /* The verdict was in; the process died afterwards, while writing
         * the failure folder or replaying: keep the verdict, say so. */
        int sig = WTERMSIG(status);
        res->signal = sig;
        char note[160];
        snprintf(note, sizeof note, " [then %s by %s while writing the failure folder]",
                 s->term_sent ? "stopped" : "killed", signame(sig));
        size_t l = strlen(res->message);
        snprintf(res->message + l, sizeof res->message - l, "%s", note);
        if (o->out_dir) {
            char dir[4200], path[4300];
            rn_failure_dir(o, t, dir, sizeof dir);
            snprintf(path, sizeof path, "%s/state.txt", dir);
            int dir_rc = rn_failure_mkdir(o, dir);
            if (!dir_rc) {
                rn_artifact_lost(res, "state.txt", rn_write_state(path, t, o, res, NULL));
                res->artifacts = true;
            } else {
                rn_artifact_lost(res, "failure folder", dir_rc);
            }
        }
    } else if (WIFSIGNALED(status)) {
        memset(res, 0, sizeof *res);
        res->replay = -1;
        int sig = WTERMSIG(status);
        res->signal = sig;
        if (s->term_sent) {
            res->status = RN_HANG;
            snprintf(res->message, sizeof res->message,
                     "no result after %.0f s of wall-clock time: stopped (%s)", wall, signame(sig));
        } else if (sig == SIGINT) {
            /* Ctrl-C: not the test's fault, but it has no verdict. */
            res->status = RN_ERROR;
            snprintf(res->message, sizeof res->message,
                     "interrupted (SIGINT) after %.1f s, before a verdict", wall);
        } else {
            res->status = RN_CRASH;
            snprintf(res->message, sizeof res->message, "the test process died of signal %d (%s)",
                     sig, signame(sig));
        }
        if (o->out_dir) crash_artifacts(t, o, s, res);
    } else {
        memset(res, 0, sizeof *res);
        res->replay = -1;
        res->status = RN_ERROR;
        snprintf(res->message, sizeof res->message,
                 "the test process exited with status %d without a result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        if (o->out_dir) crash_artifacts(t, o, s, res);
    }
    res->wall_seconds = wall;
    s->busy = false;
}

/* A worker's files and socket closed; its process already reaped. */
static void release(slot *s) {
    if (s->res_f) fclose(s->res_f);
    if (s->ring_f) fclose(s->ring_f);
    if (s->screen_f) fclose(s->screen_f);
    if (s->sock >= 0) close(s->sock);
    memset(s, 0, sizeof *s);
    s->sock = -1;
}

/* Wait for the slot's worker to end (it is stopped first: one whose
 * socket reached its end is already dead, and an idle one that cannot take
 * a test is of no use); its status in *status. 0, or -1 (errno set). */
static int reap(slot *s, int *status) {
    kill(s->pid, SIGKILL);
    pid_t w;
    while ((w = waitpid(s->pid, status, 0)) < 0 && errno == EINTR)
        ;
    return w == s->pid ? 0 : -1;
}

/* Start a worker in slot si: its result, ring and screen files, a socket
 * pair, then fork. The worker keeps none of the other workers' descriptors,
 * so each one's end of its socket is the only one: when it dies, the parent
 * reads the end of the stream at once. */
static int spawn(const rn_test *const *tests, size_t n, const rn_opts *o, slot *slots, int nslots,
                 int si) {
    slot *s = &slots[si];
    release(s);
    int sv[2] = {-1, -1};
    s->res_f = tmpfile();
    s->ring_f = tmpfile();
    s->screen_f = tmpfile();
    if (!s->res_f || !s->ring_f || !s->screen_f ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        int e = errno ? -errno : -EIO;
        release(s);
        return e;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(sv[0]);
        close(sv[1]);
        release(s);
        return e;
    }
    if (pid == 0) {
        close(sv[0]);
        for (int k = 0; k < nslots; k++)
            if (k != si && slots[k].sock >= 0) close(slots[k].sock);
        worker_main(tests, n, o, sv[1], fileno(s->res_f), fileno(s->ring_f), fileno(s->screen_f));
    }
    close(sv[1]);
    s->sock = sv[0];
    s->pid = pid;
    return 0;
}

/* Give the idle worker in slot s test idx: its files emptied first (the
 * worker waits for the index, so nothing writes them meanwhile). 0, or -1
 * when the worker is gone (the caller reaps it). */
static int assign(slot *s, size_t idx) {
    FILE *f[3] = {s->res_f, s->ring_f, s->screen_f};
    for (int k = 0; k < 3; k++) {
        /* The worker's descriptors share these offsets: its crash handler
         * writes at offset 0 again. */
        if (ftruncate(fileno(f[k]), 0) != 0 || lseek(fileno(f[k]), 0, SEEK_SET) != 0) return -1;
    }
    uint64_t v = idx;
    if (io_all(s->sock, &v, sizeof v, true) != 0) return -1;
    s->busy = true;
    s->idx = idx;
    s->start = rn_now();
    s->term_sent = s->kill_sent = false;
    return 0;
}

/* Parent side of Ctrl-C / SIGTERM: set while rn_run_all forks. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
    interrupted = sig;
}

int rn_interrupted(void) {
    return interrupted;
}

/* A test that was not started. */
static void not_run(rn_result *r, const char *why) {
    memset(r, 0, sizeof *r);
    r->status = RN_ERROR;
    r->replay = -1;
    snprintf(r->message, sizeof r->message, "%s", why);
}

/* One run at a time per --out: the folder itself is locked (flock) for the
 * whole run, so two runs never mix files in a failure folder. A folder that
 * did not exist is created to be locked and removed again at the end if the
 * run left nothing in it (a run of passes writes nothing). */
static int lock_out(const char *out, int *fd_out, bool *created) {
    *fd_out = -1;
    *created = false;
    if (!out) return 0;
    struct stat st;
    if (stat(out, &st) != 0) {
        if (errno != ENOENT) return -errno;
        int e = rn_mkdirs(out);
        if (e) return e;
        *created = true;
    }
    int fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno == EWOULDBLOCK ? -EBUSY : -errno;
        close(fd);
        if (*created) rmdir(out);
        *created = false;
        return e;
    }
    *fd_out = fd;
    return 0;
}

static int run_all(const rn_test *const *tests, size_t n, const rn_opts *o, rn_result *res,
                   rn_progress_fn progress, void *ctx);

int rn_run_all(const rn_test *const *tests, size_t n, const rn_opts *o, rn_result *res,
               rn_progress_fn progress, void *ctx) {
    int lock = -1;
    bool created = false;
    int rc = lock_out(o->out_dir, &lock, &created);
    if (rc) {
        for (size_t i = 0; i < n; i++) {
            memset(&res[i], 0, sizeof res[i]);
            res[i].status = RN_ERROR;
            res[i].replay = -1;
            if (rc == -EBUSY)
                snprintf(res[i].message, sizeof res[i].message,
                         "not run: another `ceres test` is writing to %s", o->out_dir);
            else
                snprintf(res[i].message, sizeof res[i].message, "not run: cannot lock %s: %s",
                         o->out_dir, strerror(-rc));
            if (progress) progress(ctx, i, tests[i], &res[i], i + 1, n);
        }
        return rc;
    }
    rc = run_all(tests, n, o, res, progress, ctx);
    if (created) rmdir(o->out_dir); /* only if still empty */
    if (lock >= 0) close(lock);     /* releases the lock */
    return rc;
}

static int run_all(const rn_test *const *tests, size_t n, const rn_opts *o, rn_result *res,
                   rn_progress_fn progress, void *ctx) {
    bool stop_new = false; /* --fail-fast: an unexpected result was seen */
    if (!o->fork) {
        rn_keep keep = {0}; /* one ring for every test, as in a worker */
        for (size_t i = 0; i < n; i++) {
            if (stop_new) {
                not_run(&res[i], "not run: stopped at the first unexpected result (fail-fast)");
                if (progress) progress(ctx, i, tests[i], &res[i], i + 1, n);
                continue;
            }
            if (progress) progress(ctx, i, tests[i], NULL, i, n);
            rn_clear_failure(o, tests[i]);
            rn_run_one_kept(tests[i], o, &res[i], NULL, NULL, &keep);
            stop_new = o->fail_fast && !rn_result_expected(tests[i], &res[i]);
            if (progress) progress(ctx, i, tests[i], &res[i], i + 1, n);
        }
        rn_keep_free(&keep);
        return 0;
    }
    int jobs = o->jobs > 0 ? o->jobs : 1;
    if (jobs > 64) jobs = 64;
    if ((size_t)jobs > n) jobs = n ? (int)n : 1;
    slot slots[64];
    memset(slots, 0, sizeof slots);
    for (int si = 0; si < 64; si++)
        slots[si].sock = -1;
    size_t next = 0, done = 0;
    int running = 0, rc = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    bool passed_on = false;
    while (done < n) {
        if (interrupted && !passed_on) {
            /* Ctrl-C reaches the workers too (one process group); a
             * SIGTERM or a SIGINT sent to us alone is passed on. The tests
             * not started yet are not run. */
            passed_on = true;
            for (int si = 0; si < jobs; si++)
                if (slots[si].busy) kill(slots[si].pid, SIGINT);
            for (; next < n; next++, done++) {
                not_run(&res[next], "not run: interrupted");
                if (progress) progress(ctx, next, tests[next], &res[next], done + 1, n);
            }
            if (done >= n) break;
        }
        if (stop_new) {
            for (; next < n; next++, done++) {
                not_run(&res[next], "not run: stopped at the first unexpected result (fail-fast)");
                if (progress) progress(ctx, next, tests[next], &res[next], done + 1, n);
            }
            if (done >= n) break;
        }
        while (running < jobs && next < n) {
            int si = 0;
            while (slots[si].busy)
                si++;
            slot *s = &slots[si];
            rn_clear_failure(o, tests[next]);
            int e = 0;
            if (!s->pid || assign(s, next) != 0) {
                /* No worker yet, or it is gone (a signal while idle): a new one. */
                if (s->pid) {
                    int st;
                    reap(s, &st);
                }
                e = spawn(tests, n, o, slots, jobs, si);
                if (!e && assign(s, next) != 0) {
                    int st;
                    reap(s, &st);
                    release(s);
                    e = -EPIPE;
                }
            }
            if (e) {
                if (running == 0) {
                    /* Nothing runs and nothing can start: give up on the rest. */
                    for (; next < n; next++, done++) {
                        not_run(&res[next], "cannot start a test process");
                        snprintf(res[next].message, sizeof res[next].message,
                                 "cannot start a test process: %s", strerror(-e));
                        if (progress) progress(ctx, next, tests[next], &res[next], done + 1, n);
                    }
                    rc = e;
                    break;
                }
                break;
            }
            if (progress) progress(ctx, next, tests[next], NULL, done, n);
            next++;
            running++;
        }
        if (done >= n) break;
        /* Wait for a worker to report or die, at most until the next
         * wall-clock limit is due (and half a second, for Ctrl-C). */
        struct pollfd pf[64];
        int who[64], np = 0;
        double now = rn_now(), wait = 0.5;
        for (int si = 0; si < jobs; si++) {
            slot *s = &slots[si];
            if (!s->pid) continue;
            pf[np].fd = s->sock;
            pf[np].events = POLLIN;
            pf[np].revents = 0;
            who[np++] = si;
            if (!s->busy) continue;
            double left = s->term_sent ? s->term_time + 10 - now
                                       : s->start + wall_limit(tests[s->idx], o) - now;
            if (left < wait) wait = left;
        }
        int pr = poll(pf, (nfds_t)np, wait > 0 ? (int)(wait * 1000) + 1 : 0);
        for (int k = 0; pr > 0 && k < np; k++) {
            if (!pf[k].revents) continue;
            slot *s = &slots[who[k]];
            uint64_t got;
            if (s->busy && io_all(s->sock, &got, sizeof got, false) == 0 && got == s->idx) {
                size_t i = s->idx;
                finish(tests[i], o, s, false, 0, &res[i]);
            } else {
                /* The end of its stream: the worker died (or said something
                 * it should not: it is stopped). */
                bool busy = s->busy;
                size_t i = s->idx;
                int status = 0;
                if (reap(s, &status) != 0) {
                    not_run(&res[i], "");
                    snprintf(res[i].message, sizeof res[i].message, "waitpid: %s", strerror(errno));
                    res[i].wall_seconds = rn_now() - s->start;
                } else if (busy) {
                    finish(tests[i], o, s, true, status, &res[i]);
                }
                release(s);
                if (!busy) continue;
            }
            size_t i = s->idx;
            if (o->fail_fast && !rn_result_expected(tests[i], &res[i])) stop_new = true;
            running--;
            done++;
            if (progress) progress(ctx, i, tests[i], &res[i], done, n);
        }
        now = rn_now();
        for (int si = 0; si < jobs; si++) {
            slot *s = &slots[si];
            if (!s->busy) continue;
            if (!s->term_sent && now - s->start > wall_limit(tests[s->idx], o)) {
                kill(s->pid, SIGTERM); /* its handler dumps the ring, then it dies */
                s->term_sent = true;
                s->term_time = now;
            } else if (s->term_sent && !s->kill_sent && now - s->term_time > 10) {
                kill(s->pid, SIGKILL);
                s->kill_sent = true;
            }
        }
    }
    /* The workers end when their socket closes. */
    for (int si = 0; si < jobs; si++) {
        slot *s = &slots[si];
        if (!s->pid) continue;
        close(s->sock);
        s->sock = -1;
        int status;
        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
            ;
        release(s);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}
