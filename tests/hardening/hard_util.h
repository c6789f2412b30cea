/* Helpers for the hardening tests: a synthesized ROM, running the ceres
 * program (CERES_BIN) as a child with its output captured, temporary
 * folders. */
#ifndef CERES_HARD_UTIL_H
#define CERES_HARD_UTIL_H

#define _DEFAULT_SOURCE /* wait4, putenv */
#include "check.h"
#include "testrom.h"
#include "test_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The synthesized ROM (make_rom): a ROM-only cartridge with a valid header,
 * JP $0150, then a loop of 4 instructions that counts in A and stores it:
 * INC A (4 T-cycles), LD ($C000),A (16), NOP (4), JR $0150 (12). */
#define LOOP_PC     0x0150
#define LOOP_CYCLES 36
#define LOOP_INSNS  4

static inline uint8_t *make_rom(size_t *size) {
    uint8_t *rom = calloc(1, 0x8000);
    if (!rom) exit(1);
    static const uint8_t entry[] = {0x00, 0xC3, 0x50, 0x01}; /* NOP; JP $0150 */
    memcpy(rom + 0x100, entry, sizeof entry);
    memcpy(rom + 0x134, "CERESHARD", 9);
    static const uint8_t loop[] = {0x3C,             /* INC A */
                                   0xEA, 0x00, 0xC0, /* LD ($C000),A */
                                   0x00,             /* NOP */
                                   0x18, 0xF9};      /* JR $0150 */
    memcpy(rom + LOOP_PC, loop, sizeof loop);
    testrom_fix_checksum(rom);
    *size = 0x8000;
    return rom;
}

static inline int write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Write the synthesized ROM to DIR/loop.gb; its path goes to path[len]. */
static inline void write_loop_rom(const char *dir, char *path, size_t len) {
    snprintf(path, len, "%s/loop.gb", dir);
    size_t n;
    uint8_t *rom = make_rom(&n);
    CHECK_EQ(write_file(path, rom, n), 0);
    free(rom);
}

static inline const char *ceres_bin(void) {
    const char *b = getenv("CERES_BIN");
    if (!b || access(b, X_OK)) TEST_SKIP("CERES_BIN is not set to the ceres program");
    return b;
}

static inline char *make_tmpdir(void) {
    const char *t = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/ceres-hard-XXXXXX", t && *t ? t : "/tmp");
    char *d = mkdtemp(tmpl);
    if (!d) {
        perror("mkdtemp");
        exit(1);
    }
    return strdup(d);
}

static inline void rm_rf(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(l);
        if (!p) break;
        snprintf(p, l, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!lstat(p, &st) && S_ISDIR(st.st_mode))
            rm_rf(p);
        else
            unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

/* Number of entries in a folder (-1 if it cannot be opened). */
/* File size limit for the next children (0 = none). */
static long child_fsize_limit;

typedef struct child {
    pid_t pid;
    int status;      /* from wait4 */
    long maxrss_kib; /* ru_maxrss of the child (kept across fork+exec: at least ours) */
    long hwm_kib;    /* VmHWM of the child program, sampled every 5 ms while it runs */
    char *out, *err; /* captured stdout / stderr */
    char out_path[600], err_path[600];
} child;

/* Start `ceres ARGS...` (NULL-terminated) in folder dir with extra
 * environment entries env (NULL-terminated "K=V" list or NULL). */
static inline void child_start(child *c, const char *dir, char *const *env, char *const *args) {
    memset(c, 0, sizeof *c);
    snprintf(c->out_path, sizeof c->out_path, "%s/.stdout", dir);
    snprintf(c->err_path, sizeof c->err_path, "%s/.stderr", dir);
    const char *bin = ceres_bin();
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)bin;
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(NULL);
    c->pid = fork();
    if (c->pid == 0) {
        int o = open(c->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(c->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || chdir(dir)) _exit(126);
        dup2(o, 1);
        dup2(e, 2);
        for (int i = 0; env && env[i]; i++)
            putenv(env[i]);
        if (child_fsize_limit) {
            /* A disk that fills up: writes past the limit fail with EFBIG. */
            struct rlimit rl = {(rlim_t)child_fsize_limit, (rlim_t)child_fsize_limit};
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        execv(bin, argv);
        _exit(127);
    }
}

static inline long vm_hwm_kib(pid_t pid) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    char line[256];
    long v = 0;
    bool ceres = false; /* after the exec: before it, the copy of our memory */
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "Name:", 5)) ceres = strstr(line, "ceres") != NULL;
        if (!strncmp(line, "VmHWM:", 6)) v = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return ceres ? v : 0;
}

static inline void sleep_ms(long ms);

/* Waits for the child, sampling its peak RSS (VmHWM) until it exits: the
 * ring is allocated and pre-faulted at the start, so the samples see the
 * peak of a run. ru_maxrss alone would not do: Linux keeps the forking
 * process's RSS in it across exec. */
static inline void child_wait(child *c) {
    struct rusage ru;
    for (;;) {
        pid_t r = wait4(c->pid, &c->status, WNOHANG, &ru);
        if (r == c->pid) break;
        if (r < 0 && errno != EINTR) break;
        long h = vm_hwm_kib(c->pid);
        if (h > c->hwm_kib) c->hwm_kib = h;
        sleep_ms(5);
    }
    c->maxrss_kib = ru.ru_maxrss;
    c->out = read_text(c->out_path, NULL);
    c->err = read_text(c->err_path, NULL);
    if (!c->out) c->out = strdup("");
    if (!c->err) c->err = strdup("");
    unlink(c->out_path);
    unlink(c->err_path);
}

static inline void child_free(child *c) {
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}

/* Run to the end; returns the exit code, or 128+signal. */
static inline int run_ceres(child *c, const char *dir, char *const *env, char *const *args) {
    child_start(c, dir, env, args);
    child_wait(c);
    return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
}

static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

/* T-cycles the run reports on stderr ("ceres run: N T-cycles ..."), or 0. */
static inline unsigned long long reported_cycles(const char *err) {
    const char *p = strstr(err, "ceres run: ");
    while (p) {
        unsigned long long n;
        if (sscanf(p, "ceres run: %llu T-cycles", &n) == 1) return n;
        p = strstr(p + 1, "ceres run: ");
    }
    return 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define HARD_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HARD_SANITIZED 1
#endif
#endif
#ifndef HARD_SANITIZED
#define HARD_SANITIZED 0
#endif

#endif
