/* SM83 conformance: every SingleStepTests sm83 vector file (500 files of
 * 1000 cases): final registers, RAM, and the bus activity of every M-cycle.
 *
 * The CPU runs in the bus's flat test mode (a plain 64 KiB RAM, nothing else
 * ticked, every M-cycle logged). HALT and STOP are stepped for as many
 * M-cycles as the vector lists. */
#include "check.h"
#include "gb/gb_internal.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define LOG_CAP 64

static uint8_t ram[0x10000];
static gb_bus_access log_buf[LOG_CAP];

static char *read_gz(const char *path, size_t *len) {
    gzFile f = gzopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (cap - n < 65536) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) break;
            buf = nb;
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        if (r <= 0) break;
        n += (size_t)r;
    }
    gzclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static int num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return v ? v->valueint : -1;
}

static const char *reg_names[8] = {"b", "c", "d", "e", "h", "l", "f", "a"};

static void load_state(gb *g, const cJSON *s) {
    gb_cpu *c = &g->cpu;
    memset(c, 0, sizeof *c);
    for (unsigned i = 0; i < 8; i++)
        c->r[i] = (uint8_t)num(s, reg_names[i]);
    c->pc = (uint16_t)num(s, "pc");
    c->sp = (uint16_t)num(s, "sp");
    c->ime = num(s, "ime") == 1;
    g->ie = (uint8_t)num(s, "ie");
    g->intf = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s, "ram")) {
        ram[cJSON_GetArrayItem(e, 0)->valueint] = (uint8_t)cJSON_GetArrayItem(e, 1)->valueint;
    }
}

/* Returns NULL if the case passes, else a description. */
static const char *run_case(gb *g, const cJSON *t, char *why, size_t whylen) {
    const cJSON *init = cJSON_GetObjectItemCaseSensitive(t, "initial");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(t, "final");
    const cJSON *cycles = cJSON_GetObjectItemCaseSensitive(t, "cycles");
    load_state(g, init);
    g->bus.flat_len = 0;
    const unsigned ncyc = (unsigned)cJSON_GetArraySize(cycles);
    gb_cpu_step(g);
    while (g->bus.flat_len < ncyc && (g->cpu.halted || g->cpu.stopped))
        gb_cpu_step(g);

    const char *bad = NULL;
    const gb_cpu *c = &g->cpu;
    for (unsigned i = 0; i < 8 && !bad; i++)
        if (c->r[i] != num(fin, reg_names[i])) bad = reg_names[i];
    if (!bad && c->pc != num(fin, "pc")) bad = "pc";
    if (!bad && c->sp != num(fin, "sp")) bad = "sp";
    if (!bad && (int)c->ime != num(fin, "ime")) bad = "ime";
    if (!bad && cJSON_GetObjectItemCaseSensitive(fin, "ei") && (int)c->ei_delay != num(fin, "ei"))
        bad = "ei";
    const cJSON *e;
    if (!bad) {
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(fin, "ram")) {
            if (ram[cJSON_GetArrayItem(e, 0)->valueint] != cJSON_GetArrayItem(e, 1)->valueint) {
                bad = "ram";
                break;
            }
        }
    }
    if (!bad && g->bus.flat_len != ncyc) bad = "cycle count";
    if (!bad) {
        unsigned i = 0;
        cJSON_ArrayForEach(e, cycles) {
            const char *kind = cJSON_GetArrayItem(e, 2)->valuestring;
            const char want = kind[0] == 'r' ? 'r' : kind[1] == 'w' ? 'w' : '-';
            const gb_bus_access *a = &log_buf[i++];
            if (a->kind != want) {
                bad = "cycle kind";
                break;
            }
            if (want != '-' && (a->addr != cJSON_GetArrayItem(e, 0)->valueint ||
                                a->value != cJSON_GetArrayItem(e, 1)->valueint)) {
                bad = "cycle addr/data";
                break;
            }
        }
    }
    /* Clean RAM for the next case. */
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(init, "ram")) {
        ram[cJSON_GetArrayItem(e, 0)->valueint] = 0;
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(fin, "ram")) {
        ram[cJSON_GetArrayItem(e, 0)->valueint] = 0;
    }
    for (unsigned i = 0; i < g->bus.flat_len && i < LOG_CAP; i++)
        if (log_buf[i].kind == 'w') ram[log_buf[i].addr] = 0;
    if (bad) snprintf(why, whylen, "%s", bad);
    return bad ? why : NULL;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    if (!roms || !*roms) TEST_SKIP("set CERES_TESTROMS to the test ROM folder");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/sm83/v1", roms);
    DIR *d = opendir(dir);
    if (!d) {
        printf("SKIP: no SM83 vectors in %s\n", dir);
        return 77;
    }
    char *names[600];
    unsigned nfiles = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && nfiles < 600) {
        size_t n = strlen(de->d_name);
        if (n > 8 && strcmp(de->d_name + n - 8, ".json.gz") == 0)
            names[nfiles++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, nfiles, sizeof names[0], cmp_str);

    gb *g = calloc(1, sizeof *g);
    g->bus.flat = ram;
    g->bus.flat_log = log_buf;
    g->bus.flat_cap = LOG_CAP;

    unsigned files_ok = 0;
    unsigned long cases = 0, cases_ok = 0;
    for (unsigned f = 0; f < nfiles; f++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        size_t len;
        char *text = read_gz(path, &len);
        cJSON *arr = text ? cJSON_ParseWithLength(text, len) : NULL;
        free(text);
        if (!arr) {
            printf("FAIL %s: cannot read\n", names[f]);
            CHECK(arr != NULL);
            continue;
        }
        unsigned bad = 0, ncase = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, arr) {
            char why[64];
            cases++;
            ncase++;
            if (run_case(g, t, why, sizeof why) == NULL) {
                cases_ok++;
            } else if (bad++ == 0) {
                printf("FAIL %s: %s (%s)\n", names[f],
                       cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring, why);
            }
        }
        cJSON_Delete(arr);
        if (bad == 0)
            files_ok++;
        else
            printf("FAIL %s: %u of %u cases\n", names[f], bad, ncase);
        CHECK_EQ(bad, 0);
        free(names[f]);
    }
    printf("SM83 vectors: %u/%u files, %lu/%lu cases\n", files_ok, nfiles, cases_ok, cases);
    CHECK_EQ(nfiles, 500);
    free(g);
    return test_result();
}
