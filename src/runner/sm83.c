/* The sm83 check: one SingleStepTests vector file (JSON array of 1000
 * tests, gzip-compressed or plain) through the core's flat-RAM test mode.
 * Each vector sets the registers and a few RAM bytes, runs one instruction
 * and compares the registers, the RAM and the per-M-cycle bus activity. */
#include "runner.h"

#include "../debug/disasm.h"
#include "../gb/gb.h"
#include "../gb/gb_events.h"
#include "../trace/ct_host.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_CYCLES 16

/* Read a whole .json.gz (or plain .json: gzread passes it through). */
static char *read_gz(const char *path, char *msg, size_t msglen) {
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(msg, msglen, "cannot open %s: %s", path, strerror(errno ? errno : ENOENT));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        int got = gzread(f, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            int e;
            snprintf(msg, msglen, "%s: %s", path, gzerror(f, &e));
            free(buf);
            buf = NULL;
            break;
        }
        n += (size_t)got;
        if (got == 0) break;
        if (n == cap) {
            if (cap >= (size_t)1 << 30) {
                snprintf(msg, msglen, "%s: larger than 1 GiB uncompressed", path);
                free(buf);
                buf = NULL;
                break;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    gzclose(f);
    if (buf)
        buf[n] = 0;
    else if (!msg[0])
        snprintf(msg, msglen, "%s: out of memory", path);
    return buf;
}

/* A 32 KiB ROM-only image with a valid header: the machine needs a
 * cartridge, flat mode never reads it. */
static void make_rom(uint8_t *rom, size_t size) {
    memset(rom, 0, size);
    uint8_t sum = 0;
    for (unsigned i = 0x134; i <= 0x14C; i++)
        sum = (uint8_t)(sum - rom[i] - 1);
    rom[0x14D] = sum;
}

/* A JSON number in 0..max (converted only when in range: no UB on junk). */
static bool num_in(const cJSON *v, unsigned max, unsigned *out) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > max) return false;
    *out = (unsigned)v->valuedouble;
    return true;
}

static bool get_u(const cJSON *o, const char *key, unsigned max, unsigned *out) {
    return num_in(cJSON_GetObjectItemCaseSensitive(o, key), max, out);
}

static const char *const reg_names[8] = {"b", "c", "d", "e", "h", "l", "f", "a"};

/* The register of gb_regs named reg_names[i]. */
static uint8_t *reg_of(gb_regs *r, int i) {
    uint8_t *const regs[8] = {&r->b, &r->c, &r->d, &r->e, &r->h, &r->l, &r->f, &r->a};
    return regs[i];
}

/* Load a state (registers, RAM) into the machine; false if malformed. */
static bool load_state(gb *g, uint8_t *flat, const cJSON *s) {
    unsigned v;
    gb_regs r = {0};
    for (int i = 0; i < 8; i++) {
        if (!get_u(s, reg_names[i], 0xFF, &v)) return false;
        *reg_of(&r, i) = (uint8_t)v;
    }
    if (!get_u(s, "pc", 0xFFFF, &v)) return false;
    r.pc = (uint16_t)v;
    if (!get_u(s, "sp", 0xFFFF, &v)) return false;
    r.sp = (uint16_t)v;
    if (!get_u(s, "ime", 1, &v)) return false;
    r.ime = v;
    r.ei_pending = get_u(s, "ei", 1, &v) ? v : 0;
    gb_set_regs(g, &r);
    gb_set_interrupts(g, get_u(s, "ie", 0xFF, &v) ? (uint8_t)v : 0, 0);
    const cJSON *ram = cJSON_GetObjectItemCaseSensitive(s, "ram"), *e;
    if (!cJSON_IsArray(ram)) return false;
    cJSON_ArrayForEach(e, ram) {
        unsigned a, d;
        if (cJSON_GetArraySize(e) != 2 || !num_in(cJSON_GetArrayItem(e, 0), 0xFFFF, &a) ||
            !num_in(cJSON_GetArrayItem(e, 1), 0xFF, &d))
            return false;
        flat[a] = (uint8_t)d;
    }
    return true;
}

/* Compare the machine with `final`; writes the first difference. */
static bool compare_state(gb *g, const uint8_t *flat, const cJSON *s, char *diff, size_t len) {
    unsigned v;
    gb_regs r;
    gb_get_regs(g, &r);
    for (int i = 0; i < 8; i++)
        if (get_u(s, reg_names[i], 0xFF, &v) && *reg_of(&r, i) != v) {
            snprintf(diff, len, "%s=%02X, expected %02X", reg_names[i], *reg_of(&r, i), v);
            return false;
        }
    if (get_u(s, "pc", 0xFFFF, &v) && r.pc != v) {
        snprintf(diff, len, "pc=%04X, expected %04X", r.pc, v);
        return false;
    }
    if (get_u(s, "sp", 0xFFFF, &v) && r.sp != v) {
        snprintf(diff, len, "sp=%04X, expected %04X", r.sp, v);
        return false;
    }
    if (get_u(s, "ime", 1, &v) && r.ime != (bool)v) {
        snprintf(diff, len, "ime=%d, expected %u", r.ime, v);
        return false;
    }
    if (get_u(s, "ei", 1, &v) && r.ei_pending != (bool)v) {
        snprintf(diff, len, "ei (IME pending)=%d, expected %u", r.ei_pending, v);
        return false;
    }
    const cJSON *ram = cJSON_GetObjectItemCaseSensitive(s, "ram"), *e;
    cJSON_ArrayForEach(e, ram) {
        unsigned a, d;
        if (!num_in(cJSON_GetArrayItem(e, 0), 0xFFFF, &a) ||
            !num_in(cJSON_GetArrayItem(e, 1), 0xFF, &d)) {
            snprintf(diff, len, "malformed final RAM entry");
            return false;
        }
        if (flat[a] != d) {
            snprintf(diff, len, "RAM[%04X]=%02X, expected %02X", a, flat[a], d);
            return false;
        }
    }
    return true;
}

/* Per-M-cycle bus activity: "r-m" read, "-wm" write, "---" no access. */
static bool compare_cycles(const gb *g, const gb_bus_access *log, const cJSON *cycles, char *diff,
                           size_t len) {
    unsigned n = (unsigned)cJSON_GetArraySize(cycles);
    if (gb_flat_cycles(g) != n) {
        snprintf(diff, len, "%u M-cycles, expected %u", gb_flat_cycles(g), n);
        return false;
    }
    for (unsigned i = 0; i < n && i < MAX_CYCLES; i++) {
        const cJSON *c = cJSON_GetArrayItem(cycles, (int)i);
        const cJSON *ca = cJSON_GetArrayItem(c, 0), *cd = cJSON_GetArrayItem(c, 1),
                    *ck = cJSON_GetArrayItem(c, 2);
        if (!cJSON_IsString(ck) || strlen(ck->valuestring) != 3) {
            snprintf(diff, len, "M-cycle %u: malformed kind in the vector", i + 1);
            return false;
        }
        char kind = ck->valuestring[0] == 'r' ? 'r' : (ck->valuestring[1] == 'w' ? 'w' : '-');
        const gb_bus_access *got = &log[i];
        if (got->kind != kind) {
            snprintf(diff, len, "M-cycle %u: '%c' access, expected '%c'", i + 1, got->kind, kind);
            return false;
        }
        unsigned wa, wd;
        if (kind != '-' && num_in(ca, 0xFFFF, &wa) && num_in(cd, 0xFF, &wd) &&
            (got->addr != wa || got->value != wd)) {
            snprintf(diff, len, "M-cycle %u: %c %04X=%02X, expected %04X=%02X", i + 1, kind,
                     got->addr, got->value, wa, wd);
            return false;
        }
    }
    return true;
}

static void clear_ram(uint8_t *flat, const cJSON *s) {
    const cJSON *ram = cJSON_GetObjectItemCaseSensitive(s, "ram"), *e;
    cJSON_ArrayForEach(e, ram) {
        unsigned a;
        if (num_in(cJSON_GetArrayItem(e, 0), 0xFFFF, &a)) flat[a] = 0;
    }
}

/* Run one vector; true when it matches, else the difference in diff. */
static bool run_vector(gb *g, uint8_t *flat, const gb_bus_access *log, const cJSON *t, char *diff,
                       size_t len, bool *bad) {
    const cJSON *ini = cJSON_GetObjectItemCaseSensitive(t, "initial");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(t, "final");
    const cJSON *cyc = cJSON_GetObjectItemCaseSensitive(t, "cycles");
    if (!cJSON_IsObject(ini) || !cJSON_IsObject(fin) || !cJSON_IsArray(cyc) ||
        !load_state(g, flat, ini)) {
        *bad = true;
        return false;
    }
    gb_flat_clear(g);
    /* HALT and STOP vectors list the M-cycles spent halted after the
     * instruction: keep stepping (one M-cycle each) to cover them. */
    const unsigned ncyc = (unsigned)cJSON_GetArraySize(cyc);
    gb_step(g);
    gb_regs r;
    while (gb_flat_cycles(g) < ncyc && (gb_get_regs(g, &r), r.halted || r.stopped))
        gb_step(g);
    bool ok = compare_state(g, flat, fin, diff, len) && compare_cycles(g, log, cyc, diff, len);
    clear_ram(flat, ini);
    clear_ram(flat, fin);
    for (unsigned i = 0; i < gb_flat_cycles(g) && i < MAX_CYCLES; i++)
        flat[log[i].addr] = 0;
    return ok;
}

/* The first failing vector once more with every event recorded: its
 * instruction and bus accesses as trace.perfetto-trace and trace.log. */
static void trace_vector(gb *g, uint8_t *flat, const gb_bus_access *log, const cJSON *t,
                         const char *dir, FILE *info) {
    char err[256], path[4200], diff[200];
    ct_recorder *rec = ct_recorder_create(&gb_schema, 1u << 20, 0, CT_OVERWRITE, err, sizeof err);
    if (!rec || ct_filter_apply(rec, "trace", err, sizeof err)) {
        fprintf(info, "trace: not written (%s)\n", err);
        if (rec) ct_recorder_destroy(rec);
        return;
    }
    gb_set_recorder(g, rec);
    bool bad = false;
    run_vector(g, flat, log, t, diff, sizeof diff, &bad);
    gb_set_recorder(g, NULL);
    static const struct {
        const char *name;
        ct_format fmt;
    } outs[] = {{"trace.perfetto-trace", CT_FMT_PERFETTO}, {"trace.log", CT_FMT_LOG}};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) {
        ct_dump_opts o = {.format = outs[i].fmt,
                          .raw_cycles = true,
                          .line_fmt = gb_disasm_line_fmt,
                          .look = &gb_look};
        if (snprintf(path, sizeof path, "%s/%s", dir, outs[i].name) >= (int)sizeof path) continue;
        int rc = ct_dump(rec, path, &o);
        fprintf(info, "%s: %s\n", outs[i].name,
                rc ? strerror(-rc) : "the first failing vector, every event");
    }
    ct_recorder_destroy(rec);
}

rn_status rn_sm83_run_file(const char *path, char *msg, size_t msglen, unsigned *npassed,
                           unsigned *ntotal, const char *dir, FILE *info) {
    *npassed = *ntotal = 0;
    msg[0] = 0;
    char *text = read_gz(path, msg, msglen);
    if (!text) return RN_ERROR;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsArray(root)) {
        snprintf(msg, msglen, "%s: not a JSON array of tests", path);
        cJSON_Delete(root);
        return RN_ERROR;
    }
    uint8_t *rom = malloc(0x8000);
    char err[256] = "out of memory";
    gb *g = NULL;
    if (rom) {
        make_rom(rom, 0x8000);
        g = gb_create(rom, 0x8000, &(gb_config){.model = GB_MODEL_DMG}, err, sizeof err);
        free(rom);
    }
    uint8_t *flat = calloc(0x10000, 1);
    gb_bus_access *log = calloc(MAX_CYCLES, sizeof *log);
    rn_status st = RN_PASS;
    if (!g || !flat || !log) {
        snprintf(msg, msglen, "cannot set up the machine: %s", g ? "out of memory" : err);
        st = RN_ERROR;
        goto out;
    }
    gb_set_flat_mode(g, flat, log, MAX_CYCLES);
    unsigned failed = 0;
    char first[RN_MSG_MAX] = "";
    const cJSON *t, *first_t = NULL;
    cJSON_ArrayForEach(t, root) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
        (*ntotal)++;
        char diff[200];
        bool bad = false;
        bool ok = run_vector(g, flat, log, t, diff, sizeof diff, &bad);
        if (bad) {
            snprintf(msg, msglen, "%s: test %u is malformed", path, *ntotal);
            st = RN_ERROR;
            break;
        }
        if (ok) {
            (*npassed)++;
        } else if (failed++ == 0) {
            first_t = t;
            snprintf(first, sizeof first, "%s: %s", cJSON_IsString(name) ? name->valuestring : "?",
                     diff);
        }
    }
    if (st == RN_PASS && failed) {
        st = RN_FAIL;
        snprintf(msg, msglen, "%u of %u vectors failed; first: %s", failed, *ntotal, first);
        if (dir && info) trace_vector(g, flat, log, first_t, dir, info);
    } else if (st == RN_PASS) {
        snprintf(msg, msglen, "%u of %u vectors passed", *npassed, *ntotal);
    }
out:
    if (g) {
        gb_set_flat_mode(g, NULL, NULL, 0);
        gb_destroy(g);
    }
    free(log);
    free(flat);
    cJSON_Delete(root);
    return st;
}
