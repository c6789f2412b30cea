/* Reading back every trace file Ceres writes (cli.h, cli_trace_load): the
 * binary formats through the recorder's reader (ct_trace_load), Gameboy
 * Doctor logs through src/debug, and the two text formats here: Chrome
 * JSON (through cJSON) and Ceres' own .log lines. Both are untrusted
 * input: a file that does not parse gets a message and -EINVAL.
 *
 * The schema of a text trace is rebuilt from what it shows: one event per
 * target.name, its fields in the order of their first appearance, an
 * unsigned field as wide as its largest value needs, a negative number as
 * i32, true/false as bool, a string interned. A .log's cpu.exec lines in
 * the disassembled form ("TS cpu.exec BB:PPPP  BYTES  MNEMONIC  A:.. F:..")
 * come back with the emulator's cpu.exec fields. */
#include "cli.h"

#include "../debug/doctor.h"
#include "../gb/gb_events.h"
#include "../trace/ct_host.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a trace built from text ------------------------------------------- */

typedef struct tb_field {
    char *name;
    uint8_t type; /* CT_T_*: chosen from the values (tb_finish) */
    bool neg, str, boolean;
    uint64_t max;
} tb_field;

typedef struct tb_event {
    char *target, *name;
    uint8_t kind;
    unsigned nfields;
    tb_field f[CT_MAX_FIELDS];
} tb_event;

/* One value of a text event, before its event's field types are known. */
typedef struct tb_val {
    uint8_t field;
    uint64_t v; /* a number, a bool, or a string index */
} tb_val;

typedef struct tb_rec {
    uint64_t ts, seq; /* seq: the place in the recording (file order, or a
                         step's "seq") */
    uint16_t id;
    uint8_t nv;
    bool has_seq;
    tb_val v[CT_MAX_FIELDS];
} tb_rec;

typedef struct tb {
    tb_event ev[CT_MAX_EVENTS];
    unsigned nev;
    tb_rec *recs;
    size_t nrecs, cap;
    char **strings;
    uint32_t nstrings, scap;
    char *err;
    size_t errlen;
    bool by_seq; /* every record's place is known: recorded order, not time */
} tb;

static int tb_fail(tb *b, const char *msg, unsigned long long where) {
    snprintf(b->err, b->errlen, "%s (line or event %llu)", msg, where);
    return -EINVAL;
}

static int tb_event_id(tb *b, const char *target, size_t tl, const char *name, size_t nl,
                       uint8_t kind) {
    for (unsigned i = 0; i < b->nev; i++)
        if (strlen(b->ev[i].target) == tl && !strncmp(b->ev[i].target, target, tl) &&
            strlen(b->ev[i].name) == nl && !strncmp(b->ev[i].name, name, nl))
            return (int)i;
    if (b->nev >= CT_MAX_EVENTS) return -1;
    tb_event *e = &b->ev[b->nev];
    e->target = strndup(target, tl);
    e->name = strndup(name, nl);
    e->kind = kind;
    if (!e->target || !e->name) return -1;
    return (int)b->nev++;
}

static int tb_field_id(tb_event *e, const char *name, size_t nl) {
    for (unsigned i = 0; i < e->nfields; i++)
        if (strlen(e->f[i].name) == nl && !strncmp(e->f[i].name, name, nl)) return (int)i;
    if (e->nfields >= CT_MAX_FIELDS) return -1;
    e->f[e->nfields].name = strndup(name, nl);
    if (!e->f[e->nfields].name) return -1;
    return (int)e->nfields++;
}

static int64_t tb_intern(tb *b, const char *s, size_t n) {
    for (uint32_t i = 0; i < b->nstrings; i++)
        if (strlen(b->strings[i]) == n && !memcmp(b->strings[i], s, n)) return i;
    if (b->nstrings == b->scap) {
        uint32_t cap = b->scap ? b->scap * 2 : 64;
        char **ns = realloc(b->strings, cap * sizeof *ns);
        if (!ns) return -1;
        b->strings = ns;
        b->scap = cap;
    }
    b->strings[b->nstrings] = strndup(s, n);
    if (!b->strings[b->nstrings]) return -1;
    return b->nstrings++;
}

static tb_rec *tb_add(tb *b, uint16_t id, uint64_t ts) {
    if (b->nrecs == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        tb_rec *n = realloc(b->recs, cap * sizeof *n);
        if (!n) return NULL;
        b->recs = n;
        b->cap = cap;
    }
    tb_rec *r = &b->recs[b->nrecs];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->ts = ts;
    r->seq = b->nrecs++;
    return r;
}

/* A value of field f of record r: kind 0 unsigned, 1 negative, 2 bool, 3
 * string index. */
static int tb_set(tb *b, tb_rec *r, const char *fname, size_t fl, int kind, uint64_t v) {
    tb_event *e = &b->ev[r->id];
    int f = tb_field_id(e, fname, fl);
    if (f < 0 || r->nv >= CT_MAX_FIELDS) return -1;
    tb_field *fd = &e->f[f];
    if (kind == 1) fd->neg = true;
    if (kind == 2) fd->boolean = true;
    if (kind == 3) fd->str = true;
    if (kind == 0 && v > fd->max) fd->max = v;
    r->v[r->nv].field = (uint8_t)f;
    r->v[r->nv].v = v;
    r->nv++;
    return 0;
}

static int by_seq(const void *pa, const void *pb) {
    const tb_rec *a = pa, *b = pb;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The JSON writer puts a step out when it ends, with its place ("seq")
 * among the events; the other events are in their order: they take the
 * places left, in file order. Without (or with broken) places: by time. */
static void tb_places(tb *b) {
    size_t n = b->nrecs;
    uint8_t *used = calloc(n ? n : 1, 1);
    bool ok = used != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const tb_rec *r = &b->recs[i];
        if (!r->has_seq) continue;
        if (r->seq >= n || used[r->seq])
            ok = false;
        else
            used[r->seq] = 1;
    }
    size_t next = 0;
    for (size_t i = 0; ok && i < n; i++) {
        tb_rec *r = &b->recs[i];
        if (r->has_seq) continue;
        while (next < n && used[next])
            next++;
        r->seq = next++;
    }
    free(used);
    b->by_seq = ok;
    if (!ok)
        for (size_t i = 0; i < n; i++)
            b->recs[i].seq = i;
}

static int by_time(const void *pa, const void *pb) {
    const tb_rec *a = pa, *b = pb;
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* An event the emulator's schema has (by target.name): its unsigned fields
 * keep their declared widths (a text trace shows a u16 that held 4 as 4). */
static void tb_gb_widths(tb *b) {
    for (unsigned i = 0; i < b->nev; i++) {
        tb_event *e = &b->ev[i];
        for (uint32_t k = 0; k < gb_schema.nevents; k++) {
            const ct_event_desc *d = &gb_schema.events[k];
            if (strcmp(d->target, e->target) || strcmp(d->name, e->name)) continue;
            for (unsigned f = 0; f < e->nfields; f++) {
                int g = ct_field_index(d, e->f[f].name);
                if (g < 0) continue;
                uint8_t ty = d->fields[g].type;
                uint64_t wmax = ty == CT_T_U8    ? 0xFF
                                : ty == CT_T_U16 ? 0xFFFF
                                : ty == CT_T_U32 ? UINT32_MAX
                                : ty == CT_T_U64 ? UINT64_MAX
                                                 : 0;
                if (wmax && e->f[f].max < wmax) e->f[f].max = wmax;
            }
        }
    }
}

/* The trace: field types from the values, payloads packed, records in time
 * order. Takes what b owns. */
static int tb_finish(tb *b, uint64_t ts_hz, const char *name, ct_trace **out) {
    ct_trace *t = calloc(1, sizeof *t);
    if (!t) return -ENOMEM;
    if (b->nev == 0) {
        free(t);
        snprintf(b->err, b->errlen, "no events");
        return -EINVAL;
    }
    t->events_desc = calloc(b->nev, sizeof *t->events_desc);
    t->schema.name = strdup(name);
    t->ev = malloc((b->nrecs ? b->nrecs : 1) * sizeof *t->ev);
    if (!t->events_desc || !t->schema.name || !t->ev) {
        free(t->events_desc);
        free((void *)t->schema.name);
        free(t->ev);
        free(t);
        return -ENOMEM;
    }
    t->schema.nevents = b->nev;
    t->schema.events = t->events_desc;
    t->schema.ts_hz = ts_hz;
    for (unsigned i = 0; i < b->nev; i++) {
        tb_event *e = &b->ev[i];
        ct_event_desc *d = &t->events_desc[i];
        d->target = e->target;
        d->name = e->name;
        e->target = e->name = NULL;
        d->level = CT_LVL_INFO;
        d->kind = e->kind;
        unsigned bytes = 0, nf = 0;
        for (unsigned f = 0; f < e->nfields; f++) {
            tb_field *fd = &e->f[f];
            uint8_t ty = fd->str                 ? CT_T_STR
                         : fd->neg               ? CT_T_I32
                         : fd->boolean           ? CT_T_BOOL
                         : fd->max <= 0xFF       ? CT_T_U8
                         : fd->max <= 0xFFFF     ? CT_T_U16
                         : fd->max <= UINT32_MAX ? CT_T_U32
                                                 : CT_T_U64;
            if (bytes + ct_field_size(ty) > CT_MAX_PAYLOAD) break;
            bytes += ct_field_size(ty);
            fd->type = ty;
            d->fields[f].type = ty;
            d->fields[f].name = fd->name;
            fd->name = NULL;
            nf++;
        }
        d->nfields = (uint8_t)nf;
        d->payload_bytes = (uint8_t)bytes;
    }
    qsort(b->recs, b->nrecs, sizeof *b->recs, b->by_seq ? by_seq : by_time);
    for (size_t i = 0; i < b->nrecs; i++) {
        const tb_rec *r = &b->recs[i];
        const ct_event_desc *d = &t->events_desc[r->id];
        ct_event *e = &t->ev[i];
        memset(e, 0, sizeof *e);
        e->id = r->id;
        e->ts = r->ts;
        for (unsigned k = 0; k < r->nv; k++) {
            unsigned f = r->v[k].field;
            if (f >= d->nfields) continue;
            unsigned off = 0;
            for (unsigned j = 0; j < f; j++)
                off += ct_field_size(d->fields[j].type);
            unsigned sz = ct_field_size(d->fields[f].type);
            for (unsigned j = 0; j < sz; j++)
                e->payload[off + j] = (uint8_t)(r->v[k].v >> (8 * j));
        }
    }
    t->nev = b->nrecs;
    t->strings = b->strings;
    t->nstrings = b->nstrings;
    b->strings = NULL;
    b->nstrings = 0;
    *out = t;
    return 0;
}

static void tb_free(tb *b) {
    for (unsigned i = 0; i < b->nev; i++) {
        free(b->ev[i].target);
        free(b->ev[i].name);
        for (unsigned f = 0; f < b->ev[i].nfields; f++)
            free(b->ev[i].f[f].name);
    }
    for (uint32_t i = 0; i < b->nstrings; i++)
        free(b->strings[i]);
    free(b->strings);
    free(b->recs);
}

/* ---- Chrome JSON --------------------------------------------------------- */

static int json_value(tb *b, tb_rec *r, const cJSON *a) {
    size_t kl = strlen(a->string);
    if (cJSON_IsBool(a)) return tb_set(b, r, a->string, kl, 2, cJSON_IsTrue(a) ? 1 : 0);
    if (cJSON_IsString(a)) {
        int64_t s = tb_intern(b, a->valuestring, strlen(a->valuestring));
        return s < 0 ? -1 : tb_set(b, r, a->string, kl, 3, (uint64_t)s);
    }
    if (!cJSON_IsNumber(a) || !isfinite(a->valuedouble)) return -1;
    double v = a->valuedouble;
    if (v < 0) {
        if (v < INT32_MIN) return -1;
        return tb_set(b, r, a->string, kl, 1, (uint64_t)(int64_t)llround(v));
    }
    if (v >= 18446744073709551616.0) return -1;
    return tb_set(b, r, a->string, kl, 0, (uint64_t)llround(v));
}

static int parse_json(const char *text, size_t len, tb *b, uint64_t *hz, ct_trace *stats) {
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return tb_fail(b, "not valid JSON", 0);
    int rc = 0;
    const cJSON *evs = cJSON_GetObjectItemCaseSensitive(root, "traceEvents");
    const cJSON *other = cJSON_GetObjectItemCaseSensitive(root, "otherData");
    const cJSON *h = other ? cJSON_GetObjectItemCaseSensitive(other, "ts_hz") : NULL;
    const cJSON *raw = other ? cJSON_GetObjectItemCaseSensitive(other, "raw_cycles") : NULL;
    if (!cJSON_IsArray(evs) || !cJSON_IsNumber(h) || !(h->valuedouble >= 1) ||
        h->valuedouble > 1e15) {
        cJSON_Delete(root);
        return tb_fail(b, "not a Chrome trace written by Ceres (traceEvents, otherData.ts_hz)", 0);
    }
    /* Stamps: raw ticks of ts_hz, or microseconds with nanosecond digits. */
    bool is_raw = cJSON_IsTrue(raw);
    *hz = is_raw ? (uint64_t)h->valuedouble : 1000000000u;
    static const char *const stat_keys[] = {"written", "overwritten", "dropped"};
    uint64_t *stat_dst[] = {&stats->written, &stats->overwritten, &stats->dropped};
    for (int k = 0; k < 3; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(other, stat_keys[k]);
        if (cJSON_IsNumber(v) && v->valuedouble >= 0) *stat_dst[k] = (uint64_t)v->valuedouble;
    }
    unsigned long long n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, evs) {
        n++;
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(e, "ph");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        const cJSON *cat = cJSON_GetObjectItemCaseSensitive(e, "cat");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(e, "ts");
        if (!cJSON_IsString(ph) || !ph->valuestring[0] || ph->valuestring[1]) {
            rc = tb_fail(b, "an event without a phase", n);
            break;
        }
        char p = ph->valuestring[0];
        if (p == 'M') continue;
        /* The closers of slices still open at the end carry no name. */
        if (p == 'E' && !name) continue;
        if (!cJSON_IsString(name) || !cJSON_IsString(cat) || !cJSON_IsNumber(ts) ||
            !(ts->valuedouble >= 0) || ts->valuedouble > 1.8e19 / (is_raw ? 1 : 1000)) {
            rc = tb_fail(b, "an event without name, cat or ts", n);
            break;
        }
        uint8_t kind = p == 'B'   ? CT_BEGIN
                       : p == 'E' ? CT_END
                       : p == 'X' ? CT_STEP
                       : p == 'C' ? CT_COUNTER
                                  : CT_INSTANT;
        const char *nm = name->valuestring, *tg = cat->valuestring;
        size_t tl = strlen(tg);
        /* Counters are named "target.name". */
        if (kind == CT_COUNTER && !strncmp(nm, tg, tl) && nm[tl] == '.') nm += tl + 1;
        int id = tb_event_id(b, tg, tl, nm, strlen(nm), kind);
        if (id < 0) {
            rc = tb_fail(b, "too many kinds of events", n);
            break;
        }
        uint64_t stamp = is_raw ? (uint64_t)llround(ts->valuedouble)
                                : (uint64_t)llround(ts->valuedouble * 1000.0);
        tb_rec *r = tb_add(b, (uint16_t)id, stamp);
        if (!r) {
            rc = -ENOMEM;
            break;
        }
        const cJSON *sq = cJSON_GetObjectItemCaseSensitive(e, "seq");
        if (kind == CT_STEP && cJSON_IsNumber(sq) && sq->valuedouble >= 0 &&
            sq->valuedouble < 1e15) {
            r->seq = (uint64_t)sq->valuedouble;
            r->has_seq = true;
        }
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
        const cJSON *a;
        cJSON_ArrayForEach(a, args) {
            if (json_value(b, r, a)) {
                rc = tb_fail(b, "an argument that is not a number, bool or string", n);
                break;
            }
        }
        if (rc) break;
    }
    cJSON_Delete(root);
    if (!rc) tb_places(b);
    return rc;
}

/* ---- .log ------------------------------------------------------------- */

static bool hexval(const char *s, size_t n, uint64_t *v) {
    if (n == 0 || n > 16) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                                            : 16u;
        if (d > 15) return false;
        x = x << 4 | d;
    }
    *v = x;
    return true;
}

/* "BB:PPPP  BYTES  MNEMONIC  A:xx F:xx B:xx C:xx D:xx E:xx H:xx L:xx
 * SP:xxxx IME:x": the disassembled cpu.exec line (src/debug/disasm.c). */
static int log_exec_line(tb *b, tb_rec *r, const char *s) {
    unsigned bank, pc;
    int n = 0;
    if (sscanf(s, "%2x:%4x%n", &bank, &pc, &n) != 2) return -1;
    s += n;
    unsigned op[3] = {0, 0, 0}, nb = 0;
    while (nb < 3) {
        while (*s == ' ')
            s++;
        uint64_t v;
        if (!(hexval(s, 2, &v) && (s[2] == ' ' || !s[2]))) break;
        op[nb++] = (unsigned)v;
        s += 2;
    }
    const char *regs = strstr(s, " A:");
    if (!regs || nb == 0) return -1;
    unsigned a, f, bb, c, d, e, h, l, sp, ime;
    if (sscanf(regs, " A:%2x F:%2x B:%2x C:%2x D:%2x E:%2x H:%2x L:%2x SP:%4x IME:%1u", &a, &f, &bb,
               &c, &d, &e, &h, &l, &sp, &ime) != 10)
        return -1;
    /* The emulator's field order (gb_events.h), named as disasm.c reads them. */
    const ct_event_desc *ed = &gb_schema.events[gb_ev_CPU_EXEC];
    for (unsigned k = 0; k < ed->nfields; k++) {
        const char *fn = ed->fields[k].name;
        uint64_t v = !strcmp(fn, "pc")     ? pc
                     : !strcmp(fn, "op")   ? op[0]
                     : !strcmp(fn, "op1")  ? op[1]
                     : !strcmp(fn, "op2")  ? op[2]
                     : !strcmp(fn, "a")    ? a
                     : !strcmp(fn, "f")    ? f
                     : !strcmp(fn, "b")    ? bb
                     : !strcmp(fn, "c")    ? c
                     : !strcmp(fn, "d")    ? d
                     : !strcmp(fn, "e")    ? e
                     : !strcmp(fn, "h")    ? h
                     : !strcmp(fn, "l")    ? l
                     : !strcmp(fn, "sp")   ? sp
                     : !strcmp(fn, "ime")  ? ime
                     : !strcmp(fn, "bank") ? bank
                                           : 0;
        /* Declared widths: the field keeps its type when read back. */
        if (tb_set(b, r, fn, strlen(fn), 0, v)) return -1;
        int fi = tb_field_id(&b->ev[r->id], fn, strlen(fn));
        uint64_t wmax = ed->fields[k].type == CT_T_U16 ? 0xFFFF : 0xFF;
        if (fi >= 0 && b->ev[r->id].f[fi].max < wmax) b->ev[r->id].f[fi].max = wmax;
    }
    return 0;
}

/* One "name=value" of a key=value line; *s moves past it. */
static int log_value(tb *b, tb_rec *r, const char **sp) {
    const char *s = *sp;
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) return -1;
    size_t kl = (size_t)(eq - s);
    for (size_t i = 0; i < kl; i++)
        if (s[i] == ' ' || s[i] == '"') return -1;
    const char *v = eq + 1;
    if (*v == '"') {
        /* put_esc's escapes: \" \\ \n \t \uXXXX */
        char buf[1024];
        size_t n = 0;
        const char *q = v + 1;
        for (; *q && *q != '"' && n < sizeof buf - 1; q++) {
            if (*q != '\\') {
                buf[n++] = *q;
                continue;
            }
            q++;
            if (*q == 'n')
                buf[n++] = '\n';
            else if (*q == 't')
                buf[n++] = '\t';
            else if (*q == 'r')
                buf[n++] = '\r';
            else if (*q == 'u') {
                uint64_t x;
                if (!hexval(q + 1, 4, &x)) return -1;
                buf[n++] = (char)x;
                q += 4;
            } else if (*q) {
                buf[n++] = *q;
            } else {
                return -1;
            }
        }
        if (*q != '"') return -1;
        int64_t si = tb_intern(b, buf, n);
        if (si < 0 || tb_set(b, r, s, kl, 3, (uint64_t)si)) return -1;
        *sp = q + 1;
        return 0;
    }
    size_t vl = strcspn(v, " ");
    uint64_t x = 0;
    int kind = 0;
    if (vl == 4 && !strncmp(v, "true", 4)) {
        kind = 2;
        x = 1;
    } else if (vl == 5 && !strncmp(v, "false", 5)) {
        kind = 2;
    } else if (vl > 2 && v[0] == '0' && v[1] == 'x') {
        if (!hexval(v + 2, vl - 2, &x)) return -1;
        /* The digits show the field's width (0x04: u8, 0x0004: u16). */
        if (tb_set(b, r, s, kl, 0, x)) return -1;
        int fi = tb_field_id(&b->ev[r->id], s, kl);
        uint64_t wmax = vl - 2 >= 16 ? UINT64_MAX : (1ull << (4 * (vl - 2))) - 1;
        if (fi >= 0 && b->ev[r->id].f[fi].max < wmax) b->ev[r->id].f[fi].max = wmax;
        *sp = v + vl;
        return 0;
    } else {
        char num[32];
        if (vl == 0 || vl >= sizeof num) return -1;
        memcpy(num, v, vl);
        num[vl] = 0;
        char *end;
        errno = 0;
        if (num[0] == '-') {
            long long sv = strtoll(num, &end, 10);
            if (errno || *end || sv < INT32_MIN) return -1;
            kind = 1;
            x = (uint64_t)sv;
        } else {
            x = strtoull(num, &end, 10);
            if (errno || *end) return -1;
        }
    }
    if (tb_set(b, r, s, kl, kind, x)) return -1;
    *sp = v + vl;
    return 0;
}

static int parse_log(char *text, tb *b, uint64_t *hz, ct_trace *stats) {
    unsigned long long lineno = 0;
    *hz = GB_CLOCK_HZ;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        if (!*line) continue;
        if (*line == '#') {
            /* export_text.c's header: the ring's counts, and the stamps'
             * unit: ticks of the clock (--raw-cycles), or ns. */
            unsigned long long nev, w, o, d, h;
            int at = -1;
            if (sscanf(line,
                       "# ceres trace: %llu events (written %llu, overwritten %llu, dropped %llu), "
                       "timestamps in %n",
                       &nev, &w, &o, &d, &at) == 4 &&
                at > 0) {
                const char *u = line + at;
                bool ns = sscanf(u, "ns (emulated time, ticks of %llu Hz)", &h) == 1;
                if (ns || sscanf(u, "ticks of %llu Hz", &h) == 1) {
                    stats->written = w;
                    stats->overwritten = o;
                    stats->dropped = d;
                    *hz = ns ? 1000000000u : h;
                }
            }
            continue;
        }
        /* TS target.name ... */
        char *end;
        errno = 0;
        if (*line < '0' || *line > '9') return tb_fail(b, "a line without a time stamp", lineno);
        uint64_t ts = strtoull(line, &end, 10);
        if (errno || *end != ' ') return tb_fail(b, "a line without a time stamp", lineno);
        const char *nm = end + 1;
        size_t nl = strcspn(nm, " ");
        const char *dot = memchr(nm, '.', nl);
        if (!dot || dot == nm || dot + 1 == nm + nl)
            return tb_fail(b, "a line without target.name", lineno);
        const char *rest = nm + nl;
        while (*rest == ' ')
            rest++;
        bool exec_line =
            (size_t)(dot - nm) == 3 && !strncmp(nm, "cpu.exec", 8) && nl == 8 && !strchr(rest, '=');
        /* cpu.exec is a step (it lasts until the next instruction). */
        int id = tb_event_id(b, nm, (size_t)(dot - nm), dot + 1, nl - (size_t)(dot - nm) - 1,
                             exec_line ? CT_STEP : CT_INSTANT);
        if (id < 0) return tb_fail(b, "too many kinds of events", lineno);
        tb_rec *r = tb_add(b, (uint16_t)id, ts);
        if (!r) return -ENOMEM;
        if (exec_line) {
            if (log_exec_line(b, r, rest))
                return tb_fail(b, "a cpu.exec line that does not parse", lineno);
            continue;
        }
        while (*rest) {
            if (log_value(b, r, &rest)) return tb_fail(b, "a field that does not parse", lineno);
            while (*rest == ' ')
                rest++;
        }
    }
    return 0;
}

/* The event kinds a .log does not carry (spans, counters, steps), from the
 * emulator's schema when an event of the same name is in it. */
static void log_kinds(tb *b) {
    for (unsigned i = 0; i < b->nev; i++)
        for (uint32_t k = 0; k < gb_schema.nevents; k++)
            if (!strcmp(gb_schema.events[k].target, b->ev[i].target) &&
                !strcmp(gb_schema.events[k].name, b->ev[i].name))
                b->ev[i].kind = gb_schema.events[k].kind;
}

/* ---- any trace ------------------------------------------------------------ */

int cli_trace_load(const char *path, ct_trace **out, char *err, size_t errlen) {
    *out = NULL;
    char head[512];
    size_t n = 0;
    int rc = ct_read_head(path, head, sizeof head - 1, &n);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, ct_file_strerror(rc));
        return rc;
    }
    head[n] = 0;
    if (gb_doctor_sniff(head, n)) return gb_doctor_load(path, out, err, errlen);
    bool json = n > 0 && head[0] == '{';
    bool log = n > 0 && (head[0] == '#' || (head[0] >= '0' && head[0] <= '9'));
    if (!json && !log) return ct_trace_load(path, out, err, errlen);
    uint8_t *buf = NULL;
    size_t len = 0;
    rc = ct_read_file(path, CT_TRACE_FILE_MAX, &buf, &len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, ct_file_strerror(rc));
        return rc;
    }
    tb *b = calloc(1, sizeof *b);
    if (!b) {
        free(buf);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    char why[300] = "";
    b->err = why;
    b->errlen = sizeof why;
    ct_trace stats = {0};
    uint64_t hz = 0;
    rc = json ? parse_json((const char *)buf, len, b, &hz, &stats)
              : parse_log((char *)buf, b, &hz, &stats);
    if (!rc && !json) log_kinds(b);
    if (!rc) tb_gb_widths(b);
    free(buf);
    if (!rc) rc = tb_finish(b, hz, json ? "json" : "log", out);
    tb_free(b);
    free(b);
    if (rc) {
        if (rc == -ENOMEM)
            snprintf(err, errlen, "%s: out of memory", path);
        else
            snprintf(err, errlen, "%s: not a %s trace Ceres can read: %s", path,
                     json ? "JSON" : ".log", why[0] ? why : "malformed");
        return rc;
    }
    (*out)->written = stats.written ? stats.written : (*out)->nev;
    (*out)->overwritten = stats.overwritten;
    (*out)->dropped = stats.dropped;
    return 0;
}
