/* The crash handler, written once for every process that records: `ceres
 * run` (and play, debug) and each `ceres test` child. On a crash (SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE, SIGABRT; a stack overflow too: the handler runs
 * on an alternate stack reserved when armed) the recorder's ring is
 * written as .ctrace with write(2) only (ct_dump_ctrace_fd), then the
 * caller's `extra` (e.g. the machine's screen), then the signal is raised
 * again so the exit status stays honest.
 *
 * Where the ring goes: a file descriptor opened before (a `ceres test`
 * child writes into a file its parent made), or a path created only when
 * the signal comes (open(2) is async-signal-safe), exclusively and without
 * following a symbolic link: when PATH exists, PATH-1.ctrace, PATH-2.ctrace
 * ... are tried, so nothing that exists is ever truncated, and a clean run
 * creates nothing. Only what the handler created is removed when the dump
 * fails.
 *
 * SIGINT and SIGTERM are crashes too unless the caller handles them
 * (`on_stop`: `ceres run` dumps with ct_crash_dump, stops the machine and
 * writes its outputs). Internal to Ceres (not installed). */
#ifndef CERES_CT_CRASH_H
#define CERES_CT_CRASH_H

#include "ct_host.h"

#include <stdbool.h>

/* Called in signal context: async-signal-safe code only. */
typedef void (*ct_crash_fn)(void *ctx, int sig);

typedef struct ct_crash_cfg {
    ct_recorder *rec;    /* the ring written (NULL: none yet; see ct_crash_set_recorder) */
    int fd;              /* write into this open file, or -1 to create `path` */
    const char *path;    /* created at the signal (see above); NULL: no file */
    bool make_dir;       /* create path's folder at the signal when missing */
    const char *prog;    /* prefix of the messages on stderr; NULL: silent */
    ct_crash_fn extra;   /* after the ring, once (NULL: nothing) */
    ct_crash_fn on_stop; /* SIGINT/SIGTERM; NULL: handled as a crash */
    void *ctx;
} ct_crash_cfg;

/* Reserves the alternate signal stack and installs the handlers. 0, or
 * -ENAMETOOLONG / -ENOMEM (nothing installed). */
int ct_crash_arm(const ct_crash_cfg *cfg);

/* The recorder the handler writes (NULL: none), e.g. when a new test's
 * machine starts. Async-signal-safe to race with a signal. */
void ct_crash_set_recorder(ct_recorder *rec);

/* Async-signal-safe: writes the ring and calls `extra`, the first time it
 * is called after ct_crash_arm (later calls do nothing). 0 when the ring
 * was written (or there was none to write), else -1 (a message says so
 * when `prog` is set). For on_stop handlers. */
int ct_crash_dump(int sig);

/* The file the handler wrote (path, or a numbered variant), or "" before. */
const char *ct_crash_written(void);

/* Restores the default handlers and frees the alternate stack. */
void ct_crash_disarm(void);

#endif
