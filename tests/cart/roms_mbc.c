/* Mapper ROM conformance: every mooneye emulator-only mbc1, mbc2 and mbc5
 * ROM present in the test ROM folder (the folder's listing decides, since
 * some suites ship without their largest images).
 *
 * Pass: the ROM executes LD B,B with B/C/D/E/H/L = 3/5/8/13/21/34. A ROM
 * named in `known` is expected to fail for the reason given; the test fails
 * on a regression and on an unexpected pass. */
#include "check.h"
#include "gb/gb.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct known_failure {
    const char *path; /* relative to the test ROM folder */
    const char *reason;
} known_failure;

/* None today: every mbc1/mbc2/mbc5 ROM of the suite passes. */
static const known_failure known[] = {
    {NULL, NULL},
};

static const char *const suites[] = {
    "mooneye/emulator-only/mbc1",
    "mooneye/emulator-only/mbc2",
    "mooneye/emulator-only/mbc5",
};

#define TIME_LIMIT_S 120 /* emulated seconds, as the suite's own harnesses use */

static const char *known_reason(const char *rel) {
    for (size_t i = 0; known[i].path; i++)
        if (strcmp(known[i].path, rel) == 0) return known[i].reason;
    return NULL;
}

static uint8_t *load(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                *size = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}

/* 1 pass, 0 fail; *why says how it ended. */
static int run_rom(const char *path, char *why, size_t whylen) {
    size_t size = 0;
    uint8_t *rom = load(path, &size);
    if (!rom) {
        snprintf(why, whylen, "cannot read the ROM");
        return 0;
    }
    char err[256];
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    free(rom);
    if (!g) {
        snprintf(why, whylen, "rejected: %s", err);
        return 0;
    }
    int pass = 0;
    snprintf(why, whylen, "no LD B,B within %d emulated seconds", TIME_LIMIT_S);
    for (unsigned s = 0; s < TIME_LIMIT_S; s++) {
        unsigned r = gb_run(g, 4194304u, GB_STOP_LD_B_B | GB_STOP_LOCKUP);
        if (r & GB_STOP_LOCKUP) {
            snprintf(why, whylen, "CPU locked up");
            break;
        }
        if (r & GB_STOP_LD_B_B) {
            gb_regs q;
            gb_get_regs(g, &q);
            pass = q.b == 3 && q.c == 5 && q.d == 8 && q.e == 13 && q.h == 21 && q.l == 34;
            snprintf(why, whylen, "LD B,B with B=%02X C=%02X D=%02X E=%02X H=%02X L=%02X", q.b, q.c,
                     q.d, q.e, q.h, q.l);
            break;
        }
    }
    gb_destroy(g);
    return pass;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void) {
    const char *root = getenv("CERES_TESTROMS");
    if (!root || !*root) root = getenv("CERES_TESTROMS_DEFAULT");
    if (!root || !*root)
        TEST_SKIP("test ROMs not found: set CERES_TESTROMS to the test ROM folder");
    int found = 0, passed = 0, expected_fail = 0;
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, suites[s]);
        DIR *d = opendir(dir);
        if (!d) {
            printf("missing folder %s\n", dir);
            continue;
        }
        char *names[256];
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < 256) {
            size_t len = strlen(e->d_name);
            if (len > 3 && strcmp(e->d_name + len - 3, ".gb") == 0) names[n++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof names[0], cmp_str);
        for (size_t i = 0; i < n; i++) {
            char rel[512], path[4096 + 512], why[320];
            snprintf(rel, sizeof rel, "%s/%s", suites[s], names[i]);
            snprintf(path, sizeof path, "%s/%s", root, rel);
            free(names[i]);
            found++;
            int ok = run_rom(path, why, sizeof why);
            const char *reason = known_reason(rel);
            if (ok)
                passed++;
            else if (reason)
                expected_fail++;
            printf("%-4s %-48s %s", ok ? "pass" : "FAIL", rel, why);
            if (reason) printf("  [known failure: %s]", reason);
            printf("\n");
            CHECK(ok == !reason); /* a regression, or a known failure that now passes */
        }
    }
    if (found == 0) TEST_SKIP("no mooneye emulator-only mbc ROMs in the test ROM folder");
    printf("mooneye mbc: %d/%d passed, %d known failures\n", passed, found, expected_fail);
    return test_result();
}
