/* Gameboy Doctor logs: writing them from a running machine and reading them
 * back as traces (see doctor.h). */
#include "doctor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int format_line(char *buf, size_t len, const gb_regs *r, const uint8_t mem[4]) {
    int n = snprintf(buf, len,
                     "A:%02X F:%02X B:%02X C:%02X D:%02X E:%02X H:%02X L:%02X SP:%04X PC:%04X "
                     "PCMEM:%02X,%02X,%02X,%02X",
                     r->a, r->f, r->b, r->c, r->d, r->e, r->h, r->l, r->sp, r->pc, mem[0], mem[1],
                     mem[2], mem[3]);
    return n < 0 ? 0 : (n >= (int)len ? (int)len - 1 : n);
}

int gb_doctor_line(gb *g, char *buf, size_t len) {
    gb_regs r;
    gb_get_regs(g, &r);
    uint8_t mem[4];
    for (unsigned i = 0; i < 4; i++)
        mem[i] = gb_peek(g, (uint16_t)(r.pc + i));
    return format_line(buf, len, &r, mem);
}

unsigned gb_doctor_run(gb *g, FILE *f, uint64_t max_cycles, unsigned stop_mask) {
    const unsigned mask = stop_mask | GB_STOP_REQUEST;
    const uint64_t now = gb_cycles(g);
    const uint64_t until = max_cycles > UINT64_MAX - now ? UINT64_MAX : now + max_cycles;
    char line[GB_DOCTOR_LINE_MAX];
    unsigned why = 0;
    while (gb_cycles(g) < until && !(why & mask)) {
        int n = gb_doctor_line(g, line, sizeof line);
        why = gb_step(g);
        if (why & GB_STEP_INSN) {
            line[n] = '\n';
            fwrite(line, 1, (size_t)n + 1, f);
        }
    }
    why &= mask;
    if (gb_cycles(g) >= until) why |= GB_STOP_LIMIT;
    return why;
}

/* ---- reading ------------------------------------------------------------ */

/* Fields of the cpu.exec event a doctor line becomes, in this order. */
const char *const gb_doctor_fields[GB_DOCTOR_NFIELDS] = {
    "pc", "op", "op1", "op2", "op3", "a", "f", "b", "c", "d", "e", "h", "l", "sp"};
enum { NF = GB_DOCTOR_NFIELDS };

int gb_doctor_parse(const char *s, unsigned v[GB_DOCTOR_NFIELDS]) {
    /* Register order in the line: A F B C D E H L SP PC PCMEM x4. */
    unsigned r[14];
    int used = 0;
    int k = sscanf(s,
                   " A:%2x F:%2x B:%2x C:%2x D:%2x E:%2x H:%2x L:%2x SP:%4x PC:%4x "
                   "PCMEM:%2x,%2x,%2x,%2x%n",
                   &r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7], &r[8], &r[9], &r[10],
                   &r[11], &r[12], &r[13], &used);
    if (k != 14) return -1;
    for (const char *p = s + used; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return -1;
    static const uint8_t from[NF] = {9, 10, 11, 12, 13, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    for (unsigned i = 0; i < NF; i++)
        v[i] = r[from[i]];
    return 0;
}

bool gb_doctor_sniff(const char *text, size_t len) {
    char line[160];
    size_t n = 0;
    while (n < len && n + 1 < sizeof line && text[n] != '\n') {
        line[n] = text[n];
        n++;
    }
    line[n] = 0;
    unsigned v[NF];
    return gb_doctor_parse(line, v) == 0;
}

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

int gb_doctor_load(const char *path, ct_trace **out, char *err, size_t errlen) {
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    ct_trace *t = calloc(1, sizeof *t);
    ct_event_desc *d = calloc(1, sizeof *d);
    char *sname = dup("gameboy-doctor"), *tg = dup("cpu"), *nm = dup("exec");
    int rc = -ENOMEM;
    if (!t || !d || !sname || !tg || !nm) {
        free(sname);
        free(tg);
        free(nm);
        free(d);
        free(t);
        goto fail;
    }
    d->target = tg;
    d->name = nm;
    d->level = CT_LVL_TRACE;
    d->kind = CT_STEP;
    d->nfields = NF;
    for (unsigned i = 0; i < NF; i++) {
        d->fields[i].type = (i == 0 || i == NF - 1) ? CT_T_U16 : CT_T_U8;
        d->fields[i].name = dup(gb_doctor_fields[i]);
        if (!d->fields[i].name) goto nomem;
        d->payload_bytes = (uint8_t)(d->payload_bytes + ct_field_size(d->fields[i].type));
    }
    t->events_desc = d;
    t->schema.name = sname;
    t->schema.ts_hz = 0; /* no clock: lines are in instruction order */
    t->schema.nevents = 1;
    t->schema.events = d;

    uint64_t cap = 0, lineno = 0;
    char buf[256];
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t bl = strlen(buf);
        if (bl == sizeof buf - 1 && buf[bl - 1] != '\n') {
            snprintf(err, errlen, "%s:%llu: line too long for a Gameboy Doctor log", path,
                     (unsigned long long)lineno);
            rc = -EINVAL;
            goto fail_t;
        }
        if (strspn(buf, " \t\r\n") == bl) continue;
        unsigned v[NF];
        if (gb_doctor_parse(buf, v) != 0) {
            snprintf(err, errlen,
                     "%s:%llu: not a Gameboy Doctor line (want A:.. F:.. B:.. C:.. D:.. E:.. "
                     "H:.. L:.. SP:.... PC:.... PCMEM:..,..,..,..)",
                     path, (unsigned long long)lineno);
            rc = -EINVAL;
            goto fail_t;
        }
        if (t->nev == cap) {
            cap = cap ? cap * 2 : 4096;
            ct_event *ne = realloc(t->ev, cap * sizeof *ne);
            if (!ne) goto nomem;
            t->ev = ne;
        }
        ct_event *e = &t->ev[t->nev];
        memset(e, 0, sizeof *e);
        e->ts = t->nev;
        e->id = 0;
        unsigned o = 0;
        for (unsigned i = 0; i < NF; i++) {
            unsigned sz = ct_field_size(d->fields[i].type);
            for (unsigned b = 0; b < sz; b++)
                e->payload[o++] = (uint8_t)(v[i] >> (8 * b));
        }
        t->nev++;
    }
    fclose(f);
    *out = t;
    return 0;
nomem:
    snprintf(err, errlen, "%s: out of memory", path);
    rc = -ENOMEM;
fail_t:
    ct_trace_free(t);
    fclose(f);
    return rc;
fail:
    snprintf(err, errlen, "%s: out of memory", path);
    fclose(f);
    return rc;
}

int gb_doctor_line_fmt(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts,
                       const uint8_t *payload, char *buf, size_t len) {
    (void)ctx;
    (void)ts;
    if (id >= s->nevents || strcmp(s->events[id].target, "cpu") ||
        strcmp(s->events[id].name, "exec"))
        return -1;
    const ct_event_desc *d = &s->events[id];
    gb_regs c = {0};
    uint8_t mem[4] = {0};
    uint8_t *const reg_of[8] = {&c.a, &c.f, &c.b, &c.c, &c.d, &c.e, &c.h, &c.l};
    static const char *const regs[8] = {"a", "f", "b", "c", "d", "e", "h", "l"};
    for (unsigned i = 0; i < 8; i++) {
        int f = ct_field_index(d, regs[i]);
        if (f < 0) return -1;
        *reg_of[i] = (uint8_t)ct_field_u64(d, (unsigned)f, payload);
    }
    static const char *const mems[4] = {"op", "op1", "op2", "op3"};
    for (unsigned i = 0; i < 4; i++) {
        int f = ct_field_index(d, mems[i]);
        if (f < 0 && i < 3) return -1;
        if (f >= 0) mem[i] = (uint8_t)ct_field_u64(d, (unsigned)f, payload);
    }
    int fp = ct_field_index(d, "pc"), fs = ct_field_index(d, "sp");
    if (fp < 0 || fs < 0) return -1;
    c.pc = (uint16_t)ct_field_u64(d, (unsigned)fp, payload);
    c.sp = (uint16_t)ct_field_u64(d, (unsigned)fs, payload);
    int n = format_line(buf, len, &c, mem);
    /* A trace's cpu.exec carries three instruction bytes: the fourth is
     * shown as ?? rather than guessed. */
    if (ct_field_index(d, "op3") < 0 && n >= 2) buf[n - 1] = buf[n - 2] = '?';
    return n;
}
