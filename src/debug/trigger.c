/* Triggers and windows (see trigger.h). */
#include "trigger.h"

#include "../gb/gb_events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_OR, N_AND, N_NOT, N_CMP, N_ACCESS, N_IRQ, N_EVENT, N_TRUE };
enum { V_PC, V_BANK, V_CYCLE, V_FRAME, V_LY, V_VALUE, V_ADDR, V_FIELD, V_REG };
/* CPU registers (V_REG, index in the node's field), a state evaluated at
 * each instruction fetch; a field of the condition's event of the same
 * name (cpu.exec has them) comes first. */
static const char *const reg_names[] = {"a", "f",  "b",  "c",  "d",  "e", "h",
                                        "l", "sp", "af", "bc", "de", "hl"};
enum { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };
/* Occurrence kinds. */
enum { OCC_EXEC = 1, OCC_READ = 2, OCC_WRITE = 4, OCC_IRQ = 8, OCC_EVENT = 16, OCC_STATE = 32 };

static const char *const var_names[] = {"pc", "bank", "cycle", "frame", "ly", "value", "addr"};
static const char *const irq_names[] = {"vblank", "stat", "timer", "serial", "joypad"};

/* ---- parser ------------------------------------------------------------ */

typedef struct parser {
    const char *src, *p;
    gb_trigger *t;
    const ct_schema *schema;
    char *err;
    size_t errlen;
    int depth;
    bool failed;
} parser;

static void fail(parser *ps, const char *at, const char *msg) {
    if (ps->failed) return;
    ps->failed = true;
    int col = (int)(at - ps->src);
    snprintf(ps->err, ps->errlen, "trigger: %s at column %d\n  %s\n  %*s^", msg, col + 1, ps->src,
             col, "");
}

static void skip_ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

static bool eat(parser *ps, const char *tok) {
    skip_ws(ps);
    size_t n = strlen(tok);
    if (strncmp(ps->p, tok, n) != 0) return false;
    ps->p += n;
    return true;
}

static bool is_ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static size_t ident(parser *ps, char *out, size_t cap) {
    skip_ws(ps);
    size_t n = 0;
    if (!((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z') || *ps->p == '_'))
        return 0;
    while (is_ident_char(ps->p[n]))
        n++;
    if (n >= cap) {
        fail(ps, ps->p, "name too long");
        return 0;
    }
    memcpy(out, ps->p, n);
    out[n] = 0;
    ps->p += n;
    return n;
}

static bool number(parser *ps, uint64_t *v) {
    skip_ws(ps);
    const char *s = ps->p;
    int base = 10;
    if (*s == '$') {
        base = 16;
        s++;
    } else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uint64_t x = 0;
    const char *d = s;
    for (;; d++) {
        int k;
        if (*d >= '0' && *d <= '9')
            k = *d - '0';
        else if (base == 16 && *d >= 'a' && *d <= 'f')
            k = *d - 'a' + 10;
        else if (base == 16 && *d >= 'A' && *d <= 'F')
            k = *d - 'A' + 10;
        else if (*d == '_' && d > s)
            continue;
        else
            break;
        if (x > (UINT64_MAX - (uint64_t)k) / (uint64_t)base) {
            fail(ps, ps->p, "number too large");
            return false;
        }
        x = x * (uint64_t)base + (uint64_t)k;
    }
    if (d == s) {
        fail(ps, ps->p, "expected a number");
        return false;
    }
    ps->p = d;
    *v = x;
    return true;
}

static int new_node(parser *ps, int kind) {
    gb_trigger *t = ps->t;
    if (t->nnodes >= GB_TRIG_MAX_NODES) {
        fail(ps, ps->p, "expression too long");
        return -1;
    }
    gb_trig_node *n = &t->nodes[t->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->a = n->b = -1;
    n->mask = ~(uint64_t)0;
    return t->nnodes++;
}

static int parse_or(parser *ps);

static bool parse_range(parser *ps, uint16_t *lo, uint16_t *hi) {
    uint64_t a, b;
    const char *at = ps->p;
    if (!number(ps, &a)) return false;
    b = a;
    if (eat(ps, "..") && !number(ps, &b)) return false;
    if (a > 0xFFFF || b > 0xFFFF || b < a) {
        fail(ps, at, "address range must be within 0..0xFFFF, low..high");
        return false;
    }
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return true;
}

static int parse_cmp_rhs(parser *ps, int node) {
    gb_trig_node *n = &ps->t->nodes[node];
    uint64_t v;
    if (eat(ps, "&")) {
        if (!number(ps, &v)) return -1;
        n->mask = v;
    }
    static const struct {
        const char *tok;
        uint8_t op;
    } ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE},
               {">=", OP_GE}, {"<", OP_LT},  {">", OP_GT}};
    skip_ws(ps);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (eat(ps, ops[i].tok)) {
            n->op = ops[i].op;
            if (!number(ps, &v)) return -1;
            n->rhs = v;
            return node;
        }
    fail(ps, ps->p, "expected a comparison (== != < > <= >=)");
    return -1;
}

static int parse_primary(parser *ps) {
    skip_ws(ps);
    const char *at = ps->p;
    if (eat(ps, "(")) {
        int e = parse_or(ps);
        if (e < 0) return -1;
        if (!eat(ps, ")")) {
            fail(ps, ps->p, "expected ')'");
            return -1;
        }
        return e;
    }
    char name[32];
    if (!ident(ps, name, sizeof name)) {
        fail(ps, at, "expected a condition");
        return -1;
    }
    if (!strcmp(name, "read") || !strcmp(name, "write")) {
        int n = new_node(ps, N_ACCESS);
        if (n < 0) return -1;
        ps->t->nodes[n].var = name[0] == 'w';
        if (!eat(ps, "(")) {
            fail(ps, ps->p, "expected '('");
            return -1;
        }
        if (!parse_range(ps, &ps->t->nodes[n].lo, &ps->t->nodes[n].hi)) return -1;
        if (!eat(ps, ")")) {
            fail(ps, ps->p, "expected ')'");
            return -1;
        }
        ps->t->occ |= name[0] == 'w' ? OCC_WRITE : OCC_READ;
        return n;
    }
    if (!strcmp(name, "irq")) {
        int n = new_node(ps, N_IRQ);
        if (n < 0) return -1;
        if (!eat(ps, "(")) {
            fail(ps, ps->p, "expected '('");
            return -1;
        }
        char which[16];
        const char *wat = (skip_ws(ps), ps->p);
        if (!ident(ps, which, sizeof which)) {
            fail(ps, wat, "expected vblank, stat, timer, serial or joypad");
            return -1;
        }
        size_t i = 0;
        while (i < 5 && strcmp(which, irq_names[i]))
            i++;
        if (i == 5) {
            fail(ps, wat, "unknown interrupt (vblank, stat, timer, serial, joypad)");
            return -1;
        }
        ps->t->nodes[n].lo = (uint16_t)i;
        if (!eat(ps, ")")) {
            fail(ps, ps->p, "expected ')'");
            return -1;
        }
        ps->t->occ |= OCC_IRQ;
        return n;
    }
    if (!strcmp(name, "event")) {
        int n = new_node(ps, N_EVENT);
        if (n < 0) return -1;
        if (!eat(ps, "(")) {
            fail(ps, ps->p, "expected '('");
            return -1;
        }
        char tgt[32], ev[32];
        const char *eat_at = (skip_ws(ps), ps->p);
        if (!ident(ps, tgt, sizeof tgt) || !eat(ps, ".") || !ident(ps, ev, sizeof ev)) {
            fail(ps, eat_at, "expected TARGET.NAME");
            return -1;
        }
        int id = -1;
        for (uint32_t i = 0; i < ps->schema->nevents; i++)
            if (!strcmp(ps->schema->events[i].target, tgt) &&
                !strcmp(ps->schema->events[i].name, ev))
                id = (int)i;
        if (id < 0) {
            fail(ps, eat_at, "unknown event");
            return -1;
        }
        if (ps->t->event_id >= 0 && ps->t->event_id != id) {
            fail(ps, eat_at, "only one event() per trigger");
            return -1;
        }
        ps->t->event_id = id;
        ps->t->nodes[n].lo = (uint16_t)id;
        if (!eat(ps, ")")) {
            fail(ps, ps->p, "expected ')'");
            return -1;
        }
        ps->t->occ |= OCC_EVENT;
        return n;
    }
    int n = new_node(ps, N_CMP);
    if (n < 0) return -1;
    gb_trig_node *nd = &ps->t->nodes[n];
    nd->var = V_FIELD;
    for (size_t i = 0; i < sizeof var_names / sizeof var_names[0]; i++)
        if (!strcmp(name, var_names[i])) nd->var = (uint8_t)i;
    if (nd->var == V_FIELD) {
        if (strlen(name) >= sizeof nd->name) {
            fail(ps, at, "name too long");
            return -1;
        }
        strcpy(nd->name, name);
        nd->lo = (uint16_t)(at - ps->src); /* for the error message when unresolved */
    }
    if (nd->var == V_PC) ps->t->occ |= OCC_EXEC;
    return parse_cmp_rhs(ps, n);
}

static int parse_unary(parser *ps) {
    if (++ps->depth > 32) {
        fail(ps, ps->p, "expression nested too deeply");
        return -1;
    }
    int r;
    if (eat(ps, "!")) {
        if (*ps->p == '=') { /* "!=" is not a unary not */
            fail(ps, ps->p - 1, "expected a condition");
            return -1;
        }
        int a = parse_unary(ps);
        if (a < 0) return -1;
        r = new_node(ps, N_NOT);
        if (r >= 0) ps->t->nodes[r].a = (int8_t)a;
    } else {
        r = parse_primary(ps);
    }
    ps->depth--;
    return r;
}

static int parse_and(parser *ps) {
    int l = parse_unary(ps);
    while (l >= 0 && eat(ps, "&&")) {
        int r = parse_unary(ps);
        if (r < 0) return -1;
        int n = new_node(ps, N_AND);
        if (n < 0) return -1;
        ps->t->nodes[n].a = (int8_t)l;
        ps->t->nodes[n].b = (int8_t)r;
        l = n;
    }
    return l;
}

static int parse_or(parser *ps) {
    int l = parse_and(ps);
    while (l >= 0 && eat(ps, "||")) {
        int r = parse_and(ps);
        if (r < 0) return -1;
        int n = new_node(ps, N_OR);
        if (n < 0) return -1;
        ps->t->nodes[n].a = (int8_t)l;
        ps->t->nodes[n].b = (int8_t)r;
        l = n;
    }
    return l;
}

int gb_trig_parse(gb_trigger *t, const char *expr, const ct_schema *schema, char *err,
                  size_t errlen) {
    memset(t, 0, sizeof *t);
    t->event_id = -1;
    if (strlen(expr) >= sizeof t->text) {
        snprintf(err, errlen, "trigger: expression longer than %zu characters", sizeof t->text - 1);
        return -EINVAL;
    }
    strcpy(t->text, expr);
    parser ps = {t->text, t->text, t, schema, err, errlen, 0, false};
    t->root = parse_or(&ps);
    skip_ws(&ps);
    if (!ps.failed && *ps.p) fail(&ps, ps.p, "unexpected text");
    if (ps.failed || t->root < 0) return -EINVAL;
    /* Resolve field names against the event named in the expression. */
    for (int i = 0; i < t->nnodes; i++) {
        gb_trig_node *n = &t->nodes[i];
        if (n->kind != N_CMP) continue;
        if (n->var == V_VALUE) { /* at an event: its `value` field, if any */
            int f = t->event_id >= 0 ? ct_field_index(&schema->events[t->event_id], "value") : -1;
            n->field = f < 0 ? 0xFF : (uint8_t)f;
            continue;
        }
        if (n->var != V_FIELD) continue;
        int f = t->event_id >= 0 ? ct_field_index(&schema->events[t->event_id], n->name) : -1;
        for (size_t r = 0; f < 0 && r < sizeof reg_names / sizeof reg_names[0]; r++)
            if (!strcmp(n->name, reg_names[r])) {
                n->var = V_REG;
                n->field = (uint8_t)r;
            }
        if (n->var == V_REG) continue;
        if (f < 0) {
            ps.failed = false;
            fail(&ps, t->text + n->lo,
                 t->event_id >= 0 ? "not a field of the event" : "unknown name");
            return -EINVAL;
        }
        n->field = (uint8_t)f;
    }
    if (!(t->occ & (OCC_EXEC | OCC_READ | OCC_WRITE | OCC_IRQ | OCC_EVENT))) t->occ = OCC_STATE;
    return 0;
}

int gb_trig_parse_range(const char *s, uint64_t *lo, uint64_t *hi) {
    const char *dots = strstr(s, "..");
    if (!dots) return -EINVAL;
    char *end;
    *lo = 0;
    *hi = UINT64_MAX;
    if (dots != s) {
        *lo = strtoull(s, &end, 0);
        if (end != dots) return -EINVAL;
    }
    if (dots[2]) {
        *hi = strtoull(dots + 2, &end, 0);
        if (*end) return -EINVAL;
    }
    return *hi >= *lo ? 0 : -EINVAL;
}

/* ---- evaluation -------------------------------------------------------- */

typedef struct occ {
    const ct_schema *schema;
    uint8_t kind;
    uint16_t pc, addr;
    uint8_t value, irq;
    uint16_t event_id;
    const uint8_t *payload;
} occ;

static bool cmp(const gb_trig_node *n, uint64_t v) {
    v &= n->mask;
    switch (n->op) {
    case OP_EQ: return v == n->rhs;
    case OP_NE: return v != n->rhs;
    case OP_LT: return v < n->rhs;
    case OP_GT: return v > n->rhs;
    case OP_LE: return v <= n->rhs;
    default: return v >= n->rhs;
    }
}

static bool eval(gb *g, const gb_trigger *t, int i, const occ *o) {
    const gb_trig_node *n = &t->nodes[i];
    switch (n->kind) {
    case N_OR: return eval(g, t, n->a, o) || eval(g, t, n->b, o);
    case N_AND: return eval(g, t, n->a, o) && eval(g, t, n->b, o);
    case N_NOT: return !eval(g, t, n->a, o);
    case N_ACCESS:
        return o->kind == (n->var ? OCC_WRITE : OCC_READ) && o->addr >= n->lo && o->addr <= n->hi;
    case N_IRQ: return o->kind == OCC_IRQ && o->irq == n->lo;
    case N_EVENT: return o->kind == OCC_EVENT && o->event_id == n->lo;
    case N_CMP: break;
    default: return true;
    }
    uint64_t v = 0;
    switch (n->var) {
    case V_PC: v = o->pc; break;
    case V_BANK: v = o->pc < 0x8000 ? gb_rom_bank(g, o->pc) : 0; break;
    case V_CYCLE: v = gb_cycles(g); break;
    case V_FRAME: v = gb_frames(g); break;
    case V_LY: v = gb_peek(g, 0xFF44); break;
    case V_ADDR: v = o->addr; break;
    case V_VALUE:
        if (o->kind == OCC_EVENT) { /* field resolved at parse time */
            if ((int)o->event_id != t->event_id || n->field == 0xFF) return false;
            v = ct_field_u64(&o->schema->events[o->event_id], n->field, o->payload);
        } else {
            v = o->value;
        }
        break;
    case V_REG: {
        gb_regs r;
        gb_get_regs(g, &r);
        const unsigned pair[4][2] = {{r.a, r.f}, {r.b, r.c}, {r.d, r.e}, {r.h, r.l}};
        const unsigned one[9] = {r.a, r.f, r.b, r.c, r.d, r.e, r.h, r.l, r.sp};
        v = n->field < 9 ? one[n->field] : (pair[n->field - 9][0] << 8 | pair[n->field - 9][1]);
        break;
    }
    default: /* V_FIELD: only meaningful at the trigger's own event */
        if (o->kind != OCC_EVENT || (int)o->event_id != t->event_id) return false;
        v = ct_field_u64(&o->schema->events[o->event_id], n->field, o->payload);
        break;
    }
    return cmp(n, v);
}

static void snapshot(gb_trig_set *s) {
    char path[600];
    const char *base = s->dump_base[0] ? s->dump_base : "trigger.perfetto-trace";
    const char *dot = strrchr(base, '.');
    const char *slash = strrchr(base, '/');
    if (!dot || (slash && dot < slash)) dot = base + strlen(base);
    snprintf(path, sizeof path, "%.*s.%04u%s", (int)(dot - base), base, s->dumps_written + 1, dot);
    int rc = ct_dump(s->rec, path, &s->dump_opts);
    if (rc) {
        s->last_dump_error = rc;
        fprintf(stderr, "ceres: trigger snapshot %s: %s\n", path, strerror(-rc));
    } else {
        s->dumps_written++;
    }
}

static void fire(gb *g, gb_trig_set *s, gb_trigger *t, unsigned idx, const occ *o) {
    t->fires++;
    ct_recorder *r = s->rec;
    switch (t->action) {
    case GB_TRIG_START:
        if (t->done) return;
        t->done = true;
        if (s->pre) {
            /* Recording never paused: keep the last `pre` records before this one. */
            ct_recorder_keep_last(r, s->pre);
        } else {
            ct_recorder_keep_last(r, 0);
            ct_recorder_window(r, gb_cycles(g), ~(uint64_t)0);
            /* An event that fires a start is the first record: it went past the
             * closed gate a moment ago, so write it now. */
            if (o->kind == OCC_EVENT) {
                const ct_event_desc *d = &o->schema->events[o->event_id];
                ct_recorder_record_now(r, o->event_id, gb_cycles(g), o->payload, d->payload_bytes);
            }
        }
        break;
    case GB_TRIG_STOP:
        if (t->done) return;
        t->done = true;
        if (t->post_cycles) {
            ct_recorder_stop_at(r, gb_cycles(g) + t->post);
        } else if (t->post == 0) {
            /* The triggering event is kept, whatever the condition: an
             * event() condition sees its record after it was written; a
             * fetch, an access or a dispatch is seen just before its record
             * (cpu.exec, mem.read, mem.write, cpu.irq), so recording stops
             * once that record is in (if it is recorded at all). */
            int id = o->kind == OCC_EXEC    ? gb_ev_CPU_EXEC
                     : o->kind == OCC_READ  ? gb_ev_MEM_READ
                     : o->kind == OCC_WRITE ? gb_ev_MEM_WRITE
                     : o->kind == OCC_IRQ   ? gb_ev_CPU_IRQ
                                            : -1;
            if (id >= 0 && r->flags[id])
                s->stop_on_id = id + 1;
            else if (o->kind == OCC_STATE)
                /* cycle, ly, frame: the window ends at this M-cycle,
                 * inclusive, so the records stamped with it stay (the
                 * ppu.ly of ly==, the ppu.frame_end of frame== come just
                 * after the hook that fired it). */
                ct_recorder_stop_at(r, gb_cycles(g));
            else
                ct_recorder_pause(r);
        } else {
            ct_recorder_stop_after(r, t->post);
        }
        break;
    case GB_TRIG_DUMP:
        if (t->done) return;
        snapshot(s);
        if (t->max_dumps && s->dumps_written >= t->max_dumps) t->done = true;
        if (s->stop_on_dump) gb_request_stop(g);
        break;
    case GB_TRIG_MARK:
#ifndef CERES_TRACE_OFF
        if (r && ct_recorder_event_flag(r, gb_ev_TRACE_MARK))
            gb_emit_TRACE_MARK_cold(r, ct_recorder_event_flag(r, gb_ev_TRACE_MARK), gb_cycles(g),
                                    (uint16_t)idx, (uint32_t)t->fires);
#else
        (void)idx;
#endif
        break;
    case GB_TRIG_BREAK: gb_request_stop(g); break;
    }
}

static void run_occ(gb *g, gb_trig_set *s, occ *o) {
    if (s->in_hook) return;
    s->in_hook = true;
    /* The recorder's schema: gb_schema's events, maybe followed by its
     * user's (the runner's test events). */
    o->schema = s->rec ? ct_recorder_schema(s->rec) : &gb_schema;
    for (unsigned i = 0; i < s->n; i++) {
        gb_trigger *t = &s->t[i];
        if (!(t->occ & o->kind)) continue;
        if (eval(g, t, t->root, o)) fire(g, s, t, i, o);
    }
    s->in_hook = false;
}

static uint16_t current_pc(const gb *g) {
    gb_regs r;
    gb_get_regs(g, &r);
    return r.pc;
}

/* ---- the debug hooks (gb_hooks.h) ----------------------------------------- */

/* Exact states (conditions on cycle, ly and frame only) change value only
 * when the frame count or LY changes (the frame and line hooks) or when
 * the cycle count crosses one of their thresholds (the time hook): they are
 * evaluated at exactly those moments, so they fire at the M-cycle in which
 * they become true, halted or not. Other states (on bank, or a masked
 * cycle) are evaluated at every fetch. */
static void run_states(gb *g, gb_trig_set *s, bool exact) {
    if (s->in_hook) return;
    s->in_hook = true;
    occ st = {.kind = OCC_STATE, .pc = current_pc(g)};
    st.schema = s->rec ? ct_recorder_schema(s->rec) : &gb_schema;
    for (unsigned i = 0; i < s->n; i++) {
        gb_trigger *t = &s->t[i];
        if (t->occ != OCC_STATE || t->exact != exact) continue;
        bool v = eval(g, t, t->root, &st);
        bool rising = v && !t->state;
        t->state = v;
        if (rising) fire(g, s, t, i, &st);
    }
    s->in_hook = false;
}

void gb_trig_sync_states(gb *g, gb_trig_set *s) {
    occ st = {.kind = OCC_STATE, .pc = current_pc(g)};
    st.schema = s->rec ? ct_recorder_schema(s->rec) : &gb_schema;
    for (unsigned i = 0; i < s->n; i++) {
        gb_trigger *t = &s->t[i];
        if (t->occ == OCC_STATE) t->state = eval(g, t, t->root, &st);
    }
}

void gb_trig_fetch_states(gb *g, gb_trig_set *s) {
    if (s->has_state) run_states(g, s, false);
}

/* The next cycle after now at which a cycle comparison of an exact state
 * can change value, or UINT64_MAX. */
static uint64_t next_threshold(const gb_trig_set *s, uint64_t now) {
    uint64_t best = UINT64_MAX;
    for (unsigned i = 0; i < s->n; i++) {
        const gb_trigger *t = &s->t[i];
        if (t->occ != OCC_STATE || !t->exact) continue;
        for (int k = 0; k < t->nnodes; k++) {
            const gb_trig_node *n = &t->nodes[k];
            if (n->kind != N_CMP || n->var != V_CYCLE) continue;
            /* the value changes at rhs (==, !=, <, >=) or at rhs + 1 (>, <=, ==, !=) */
            uint64_t a = n->rhs, b = n->rhs + 1;
            if (a > now && a < best) best = a;
            if (b > now && b != 0 && b < best) best = b;
        }
    }
    return best;
}

static void on_time(gb *g, void *ctx) {
    gb_trig_set *s = ctx;
    run_states(g, s, true);
    gb_hooks_at(g, next_threshold(s, gb_cycles(g)));
}

static void on_line(gb *g, void *ctx, uint8_t ly) {
    (void)ly;
    run_states(g, ctx, true);
}

static void on_frame(gb *g, void *ctx) {
    run_states(g, ctx, true);
}

static void on_fetch(gb *g, void *ctx, uint16_t pc) {
    gb_trig_set *s = ctx;
    if (s->has_state) run_states(g, s, false);
    if (GB_HOOK_BIT(s->exec_bm, pc)) {
        occ o = {.kind = OCC_EXEC, .pc = pc};
        run_occ(g, s, &o);
    }
}

static void on_access(gb *g, void *ctx, bool write, uint16_t addr, uint8_t value) {
    occ o = {.kind = write ? OCC_WRITE : OCC_READ, .addr = addr, .value = value};
    o.pc = current_pc(g);
    run_occ(g, ctx, &o);
}

static void on_irq(gb *g, void *ctx, uint8_t bit) {
    occ o = {.kind = OCC_IRQ, .irq = bit};
    o.pc = current_pc(g);
    run_occ(g, ctx, &o);
}

/* After every recorded event. */
static void on_event(gb *g, void *ctx, uint16_t id, uint64_t ts, const uint8_t *p) {
    (void)ts;
    gb_trig_set *s = ctx;
    if (s->stop_on_id && id == s->stop_on_id - 1) {
        ct_recorder_pause(s->rec);
        s->stop_on_id = 0;
    }
    if (s->event_on[id]) {
        occ o = {.kind = OCC_EVENT, .event_id = id, .payload = p};
        o.pc = current_pc(g);
        run_occ(g, s, &o);
    }
}

/* ---- set-up ------------------------------------------------------------ */

void gb_trig_set_init(gb_trig_set *s, ct_recorder *rec) {
    memset(s, 0, sizeof *s);
    s->rec = rec;
    s->dump_opts.format = CT_FMT_AUTO;
}

int gb_trig_add(gb_trig_set *s, const char *expr, gb_trig_action action, char *err, size_t errlen) {
    if (s->n >= GB_TRIG_MAX) {
        snprintf(err, errlen, "trigger: at most %d triggers", GB_TRIG_MAX);
        return -ENOSPC;
    }
    gb_trigger *t = &s->t[s->n];
    int rc = gb_trig_parse(t, expr, ct_recorder_schema(s->rec), err, errlen);
    if (rc) return rc;
    t->action = action;
    s->n++;
    return 0;
}

static void set_bits(uint8_t *bm, unsigned lo, unsigned hi) {
    for (unsigned a = lo; a <= hi; a++)
        bm[a >> 3] |= (uint8_t)(1u << (a & 7));
}

/* Addresses at which node i can be true for an occurrence of `kind` (OCC_EXEC:
 * the pc; OCC_READ/OCC_WRITE: the bus address), ORed into bm. Conjunctions
 * narrow, disjunctions widen; anything that does not pin the address down
 * (a negation, a comparison on something else) allows every address. */
static void collect(const gb_trigger *t, int i, int kind, uint8_t *bm) {
    const gb_trig_node *n = &t->nodes[i];
    switch (n->kind) {
    case N_OR:
        collect(t, n->a, kind, bm);
        collect(t, n->b, kind, bm);
        return;
    case N_AND: {
        uint8_t *l = calloc(2, 8192);
        if (!l) break;
        uint8_t *r = l + 8192;
        collect(t, n->a, kind, l);
        collect(t, n->b, kind, r);
        for (int k = 0; k < 8192; k++)
            bm[k] |= l[k] & r[k];
        free(l);
        return;
    }
    case N_ACCESS:
        if (kind != OCC_EXEC && (kind == OCC_WRITE) == (n->var == 1)) set_bits(bm, n->lo, n->hi);
        return;
    case N_IRQ:
    case N_EVENT: return; /* never true at a fetch or a bus access */
    case N_CMP:
        if (kind == OCC_EXEC && n->var == V_PC && n->op == OP_EQ && (n->mask & 0xFFFF) == 0xFFFF) {
            if (n->rhs <= 0xFFFF) set_bits(bm, (unsigned)n->rhs, (unsigned)n->rhs);
            return;
        }
        break;
    default: break;
    }
    memset(bm, 0xFF, 8192);
}

void gb_trig_arm(gb *g, gb_trig_set *s) {
    if (!s) {
        gb_set_hooks(g, NULL);
        return;
    }
    memset(s->exec_bm, 0, sizeof s->exec_bm);
    memset(s->read_bm, 0, sizeof s->read_bm);
    memset(s->write_bm, 0, sizeof s->write_bm);
    memset(s->event_on, 0, sizeof s->event_on);
    s->has_state = false;
    bool has_start = false;
    for (unsigned i = 0; i < s->n; i++) {
        gb_trigger *t = &s->t[i];
        if (t->occ & OCC_EXEC) collect(t, t->root, OCC_EXEC, s->exec_bm);
        if (t->occ & OCC_READ) collect(t, t->root, OCC_READ, s->read_bm);
        if (t->occ & OCC_WRITE) collect(t, t->root, OCC_WRITE, s->write_bm);
        if (t->event_id >= 0) {
            s->event_on[t->event_id] = 1;
            /* The event must reach the recorder to be seen: enable it. */
            if (s->rec) ct_recorder_enable(s->rec, (uint16_t)t->event_id);
        }
        if (t->action == GB_TRIG_START) has_start = true;
        if (t->action == GB_TRIG_MARK && s->rec) ct_recorder_enable(s->rec, gb_ev_TRACE_MARK);
    }
    if (s->rec) {
        if (has_start && !s->pre) ct_recorder_pause(s->rec);
        gb_set_recorder(g, s->rec);
    }
    /* Which states are exact (see run_states), and which moments they need. */
    bool need_line = false, need_frame = false, need_time = false;
    for (unsigned i = 0; i < s->n; i++) {
        gb_trigger *t = &s->t[i];
        if (t->occ != OCC_STATE) continue;
        t->exact = true;
        bool line = false, frame = false, time = false;
        for (int k = 0; k < t->nnodes; k++) {
            const gb_trig_node *n = &t->nodes[k];
            if (n->kind != N_CMP) continue;
            if (n->var == V_LY)
                line = true;
            else if (n->var == V_FRAME)
                frame = true;
            else if (n->var == V_CYCLE && n->mask == ~(uint64_t)0)
                time = true;
            else
                t->exact = false;
        }
        if (!t->exact) {
            s->has_state = true;
            continue;
        }
        need_line |= line;
        need_frame |= frame;
        need_time |= time;
    }
    for (size_t k = 0; k < sizeof s->fetch_bm; k++)
        s->fetch_bm[k] = s->has_state ? 0xFF : s->exec_bm[k];
    s->hooks = (gb_hooks){
        .ctx = s,
        .fetch = on_fetch,
        .fetch_bm = s->fetch_bm,
        .access = on_access,
        .read_bm = s->read_bm,
        .write_bm = s->write_bm,
        .irq = on_irq,
        .frame = need_frame ? on_frame : NULL,
        .line = need_line ? on_line : NULL,
        .time = need_time ? on_time : NULL,
        /* Also when no trigger names an event: the event hook keeps every
         * record on the recorder's checked path, where a window moved by a
         * start or stop in the middle of a run takes effect at once. */
        .event = s->rec ? on_event : NULL,
    };
    gb_set_hooks(g, &s->hooks);
    /* The exact states as they are now (a state true from the start fires
     * at once), then at each threshold. */
    run_states(g, s, true);
    if (need_time) gb_hooks_at(g, next_threshold(s, gb_cycles(g)));
}

int gb_trig_window_frames(gb_trig_set *s, uint64_t lo, uint64_t hi, char *err, size_t errlen) {
    char expr[64];
    int rc;
    if (lo > 0) {
        snprintf(expr, sizeof expr, "frame>=%llu", (unsigned long long)lo);
        if ((rc = gb_trig_add(s, expr, GB_TRIG_START, err, errlen))) return rc;
    }
    if (hi != UINT64_MAX) {
        snprintf(expr, sizeof expr, "frame>%llu", (unsigned long long)hi);
        if ((rc = gb_trig_add(s, expr, GB_TRIG_STOP, err, errlen))) return rc;
    }
    return 0;
}

void gb_trig_report(const gb_trig_set *s, FILE *f) {
    static const char *const act[] = {"start", "stop", "dump", "mark", "break"};
    for (unsigned i = 0; i < s->n; i++)
        fprintf(f, "trigger %u (%s) %s: fired %llu time%s\n", i, act[s->t[i].action], s->t[i].text,
                (unsigned long long)s->t[i].fires, s->t[i].fires == 1 ? "" : "s");
    if (s->dumps_written) fprintf(f, "snapshots written: %u\n", s->dumps_written);
}
