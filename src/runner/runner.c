/* Process isolation: every test runs in a forked child, o->jobs at a time.
 * A child that dies of a signal is reported as a crash, one that passes the
 * wall-clock safety limit is stopped and reported as a hang; the others go
 * on. Before running, the child installs a handler for SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT (and SIGTERM, which the parent sends to a stuck
 * child, and SIGINT, Ctrl-C): the crash handler of src/trace/ct_crash.c,
 * which writes the flight recorder's ring and the machine's screen to
 * files the parent opened before the fork, then re-raises. The parent
 * turns those into the failure folder. On SIGINT/SIGTERM the parent starts
 * no more tests, passes SIGINT to the running ones (so each keeps its last
 * events) and reports. */
#include "runner.h"

#include "../debug/disasm.h"
#include "../trace/ct_crash.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
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

/* Child side. A process runs one test at a time; its crash handler
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

static void child_main(const rn_test *t, const rn_opts *o, int res_fd, int ring_fd, int screen_fd) {
    child.screen_fd = screen_fd;
    child.res_fd = res_fd;
    /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, and SIGTERM (which the
     * parent sends to a stuck child) and SIGINT (Ctrl-C) as crashes: the
     * ring, the screen, then the signal again. */
    ct_crash_cfg cfg = {.fd = ring_fd, .extra = write_screen};
    if (ct_crash_arm(&cfg) != 0) {
        /* no alternate stack: the test runs without a crash dump */
    }
    rn_result res;
    memset(&res, 0, sizeof res);
    rn_run_one_hooked(t, o, &res, on_machine, &res);
    if (pwrite(res_fd, &res, sizeof res, 0) != (ssize_t)sizeof res) _exit(3);
    _exit(0);
}

/* ---- parent side ---------------------------------------------------------- */

typedef struct slot {
    pid_t pid;
    size_t idx;
    FILE *res_f, *ring_f, *screen_f;
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

static void finish(const rn_test *t, const rn_opts *o, slot *s, int status, rn_result *res) {
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
    if (have && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
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
    fclose(s->res_f);
    fclose(s->ring_f);
    fclose(s->screen_f);
    s->pid = 0;
}

static int start(const rn_test *t, const rn_opts *o, size_t idx, slot *s) {
    memset(s, 0, sizeof *s);
    s->res_f = tmpfile();
    s->ring_f = tmpfile();
    s->screen_f = tmpfile();
    if (!s->res_f || !s->ring_f || !s->screen_f) {
        int e = errno ? -errno : -EIO;
        if (s->res_f) fclose(s->res_f);
        if (s->ring_f) fclose(s->ring_f);
        if (s->screen_f) fclose(s->screen_f);
        return e;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        fclose(s->res_f);
        fclose(s->ring_f);
        fclose(s->screen_f);
        return e;
    }
    if (pid == 0) child_main(t, o, fileno(s->res_f), fileno(s->ring_f), fileno(s->screen_f));
    s->pid = pid;
    s->idx = idx;
    s->start = rn_now();
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
        for (size_t i = 0; i < n; i++) {
            if (stop_new) {
                not_run(&res[i], "not run: stopped at the first unexpected result (fail-fast)");
                if (progress) progress(ctx, i, tests[i], &res[i], i + 1, n);
                continue;
            }
            if (progress) progress(ctx, i, tests[i], NULL, i, n);
            rn_clear_failure(o, tests[i]);
            rn_run_one(tests[i], o, &res[i]);
            stop_new = o->fail_fast && !rn_result_expected(tests[i], &res[i]);
            if (progress) progress(ctx, i, tests[i], &res[i], i + 1, n);
        }
        return 0;
    }
    int jobs = o->jobs > 0 ? o->jobs : 1;
    if (jobs > 64) jobs = 64;
    slot slots[64];
    memset(slots, 0, sizeof slots);
    size_t next = 0, done = 0;
    int running = 0;
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
            /* Ctrl-C reaches the children too (one process group); a
             * SIGTERM or a SIGINT sent to us alone is passed on. The tests
             * not started yet are not run. */
            passed_on = true;
            for (int si = 0; si < jobs; si++)
                if (slots[si].pid) kill(slots[si].pid, SIGINT);
            for (; next < n; next++, done++) {
                memset(&res[next], 0, sizeof res[next]);
                res[next].status = RN_ERROR;
                res[next].replay = -1;
                snprintf(res[next].message, sizeof res[next].message, "not run: interrupted");
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
            while (slots[si].pid)
                si++;
            rn_clear_failure(o, tests[next]);
            int rc = start(tests[next], o, next, &slots[si]);
            if (rc) {
                if (running == 0) {
                    /* Nothing runs and nothing can start: give up on the rest. */
                    for (; next < n; next++, done++) {
                        memset(&res[next], 0, sizeof res[next]);
                        res[next].status = RN_ERROR;
                        res[next].replay = -1;
                        snprintf(res[next].message, sizeof res[next].message,
                                 "cannot start a test process: %s", strerror(-rc));
                        if (progress) progress(ctx, next, tests[next], &res[next], done + 1, n);
                    }
                    sigaction(SIGINT, &old_int, NULL);
                    sigaction(SIGTERM, &old_term, NULL);
                    return rc;
                }
                break;
            }
            if (progress) progress(ctx, next, tests[next], NULL, done, n);
            next++;
            running++;
        }
        bool any = false;
        double now = rn_now();
        for (int si = 0; si < jobs; si++) {
            slot *s = &slots[si];
            if (!s->pid) continue;
            int status;
            pid_t w = waitpid(s->pid, &status, WNOHANG);
            if (w == s->pid) {
                size_t i = s->idx;
                finish(tests[i], o, s, status, &res[i]);
                if (o->fail_fast && !rn_result_expected(tests[i], &res[i])) stop_new = true;
                running--;
                done++;
                any = true;
                if (progress) progress(ctx, i, tests[i], &res[i], done, n);
                continue;
            }
            if (w < 0 && errno != EINTR) {
                /* Lost the child (should not happen): report and move on. */
                size_t i = s->idx;
                memset(&res[i], 0, sizeof res[i]);
                res[i].status = RN_ERROR;
                res[i].replay = -1;
                snprintf(res[i].message, sizeof res[i].message, "waitpid: %s", strerror(errno));
                fclose(s->res_f);
                fclose(s->ring_f);
                fclose(s->screen_f);
                s->pid = 0;
                running--;
                done++;
                if (progress) progress(ctx, i, tests[i], &res[i], done, n);
                continue;
            }
            if (!s->term_sent && now - s->start > wall_limit(tests[s->idx], o)) {
                kill(s->pid, SIGTERM); /* its handler dumps the ring, then it dies */
                s->term_sent = true;
                s->term_time = now;
            } else if (s->term_sent && !s->kill_sent && now - s->term_time > 10) {
                kill(s->pid, SIGKILL);
                s->kill_sent = true;
            }
        }
        if (!any) {
            struct timespec ts = {0, 2 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return 0;
}
