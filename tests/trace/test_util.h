/* Helpers shared by the recorder's export tests: a temporary folder, whole
 * files, a synthetic recording that wraps its ring. */
#ifndef CERES_TEST_TRACE_UTIL_H
#define CERES_TEST_TRACE_UTIL_H

#include "check.h"
#include "test_schema.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tu_dir[256];

static void tu_rm_dir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
    if (tu_dir[0]) (void)system(cmd);
}

static const char *tu_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    snprintf(tu_dir, sizeof tu_dir, "%s/ceres-trace-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tu_dir)) {
        perror("mkdtemp");
        exit(1);
    }
    atexit(tu_rm_dir);
    return tu_dir;
}

static char *tu_path(const char *name) {
    static char buf[8][512];
    static int k;
    char *p = buf[k++ & 7];
    snprintf(p, 512, "%s/%s", tu_dir, name);
    return p;
}

static char *tu_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, k;
    char *b = malloc(cap + 1);
    while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) b = realloc(b, (cap *= 2) + 1);
    }
    fclose(f);
    if (b) b[n] = 0;
    if (len) *len = n;
    return b;
}

static bool tu_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of directory entries (besides . and ..) in the test folder. */
static inline int tu_count_files(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", tu_dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1) n = -1;
        pclose(p);
    }
    return n;
}

/* A recording: instructions every 4 ticks, a memory read every 10th, an
 * interrupt span every 100th, a counter every 50th and a note with a string,
 * a negative number and a bool every 250th. The last event has ts 4*(n-1). */
static uint32_t tu_hello, tu_world;
static void tu_record(ct_recorder *r, uint64_t n) {
    tu_hello = ct_intern(r, "hello \"quoted\"");
    tu_world = ct_intern(r, "world");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ts = 4 * i;
        ts_emit_EXEC(r, ct_recorder_flag(r), ts, (uint16_t)(0x100 + i), (uint8_t)i);
        if (i % 10 == 3)
            ts_emit_READ(r, ct_recorder_flag(r), ts, (uint16_t)(0xC000 + i % 0x2000), (uint8_t)i,
                         7);
        if (i % 100 == 20) ts_emit_IRQ(r, ct_recorder_flag(r), ts, 0x40);
        if (i % 100 == 40) ts_emit_RETI(r, ct_recorder_flag(r), ts, (uint16_t)(0x100 + i));
        if (i % 50 == 0) ts_emit_LY(r, ct_recorder_flag(r), ts, (uint8_t)(i / 50 % 154));
        if (i % 250 == 0)
            ts_emit_NOTE(r, ct_recorder_flag(r), ts, i % 500 ? tu_hello : tu_world, -5,
                         i % 500 == 0);
    }
}

static ct_recorder *tu_wrapped(uint64_t bytes, uint64_t n) {
    char err[256];
    ct_recorder *r = ct_recorder_create(&ts_schema, bytes, 0, CT_OVERWRITE, err, sizeof err);
    if (!r) {
        fprintf(stderr, "ct_recorder_create: %s\n", err);
        exit(1);
    }
    CHECK_EQ(ct_filter_apply(r, "trace", err, sizeof err), 0);
    tu_record(r, n);
    return r;
}

#endif
