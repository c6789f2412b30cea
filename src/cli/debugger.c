/* `ceres debug` (debugger.h): commands, forward and backward motion. */
#include "debugger.h"

#include "../debug/gb_ckpt.h"
#include "../debug/disasm.h"
#include "../gb/gb.h"
#include "../gb/gb_events.h"
#include "../debug/trigger.h"
#include "../runner/runner.h"
#include "../trace/ct_host.h"
#include "../trace/ct_tools.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CONTINUE_LIMIT  (60ull * RN_CYCLES_PER_SEC) /* continue/until give up after */
#define STEP_LIMIT      (5ull * RN_CYCLES_PER_SEC)  /* next/finish (step by step) */
#define RING_BYTES      (4u << 20)
#define SCAN_RING_BYTES (64u << 10)

typedef struct bp {
    int id;
    bool watch;     /* watchpoints stop after the access, breakpoints before */
    char text[200]; /* as given */
    char cond[480]; /* the trigger condition */
} bp;

struct dbg {
    dbg_opts o;
    gb *g;
    uint8_t *rom;
    size_t rom_size;
    gb_ckpt *ck;
    ct_recorder *rec;
    /* Re-executions (backward commands) record into this ring, never into
     * `rec`: only the events that event() conditions name are enabled in
     * it, so those conditions see the same records as when running
     * forward. */
    ct_recorder *scan_rec;
    gb_trig_set *trig; /* the breakpoints, armed while running forward */
    gb_trig_set *tmp;  /* a temporary condition (until, last-write) */
    bp bps[GB_TRIG_MAX];
    int nbp, next_id;
    uint64_t break_at; /* the position a breakpoint stopped at (stepped over by continue) */
    /* The flight recorder's ring holds what led to rec_at, recorded since
     * rec_from without a gap (forward motion records; going back does not,
     * and recording again from an earlier point leaves the later events
     * behind them in the ring). */
    uint64_t rec_at, rec_from;
    /* The answer being built. */
    cJSON *ans;
    FILE *txt;
    char *tbuf;
    size_t tlen;
    bool failed;
};

/* One step of a re-execution. */
typedef struct stepinfo {
    uint64_t before, after;
    gb_regs r0, r1;
    uint8_t op;
    uint8_t v0, v1; /* the sampled address before and after */
    unsigned hits;  /* bit per trigger of the armed set that fired */
} stepinfo;

/* ---- answers ------------------------------------------------------------- */

static void say(dbg *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->txt, fmt, ap);
    va_end(ap);
}

static void fail(dbg *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->txt, fmt, ap);
    va_end(ap);
    d->failed = true;
}

/* An error at column `col` of the line: the line and a caret under it. */
static void fail_at(dbg *d, const char *line, size_t col, const char *msg) {
    fail(d, "error: %s\n  %s\n  %*s^\n", msg, line, (int)col, "");
}

static void num(dbg *d, const char *k, double v) {
    cJSON_AddNumberToObject(d->ans, k, v);
}

/* ---- machine helpers -------------------------------------------------------- */

static void clear_request(gb *g) {
    gb_run(g, 0, 0); /* drops a stop request left by a trigger */
}

/* Arm a set: running forward (record) its events reach the flight
 * recorder; re-executing, they reach the scan ring when some condition
 * names an event (its hook sees every record there), else no recorder. */
static void arm(dbg *d, gb_trig_set *s, bool record) {
    bool events = false;
    for (unsigned k = 0; k < s->n; k++)
        if (s->t[k].event_id >= 0) events = true;
    ct_recorder *r = record ? d->rec : events ? d->scan_rec : NULL;
    s->rec = r ? r : d->rec; /* the set enables its events in the ring it is armed with */
    gb_trig_arm(d->g, s);
    s->rec = d->rec;
    gb_set_recorder(d->g, r);
}

static void disarm(dbg *d) {
    gb_trig_arm(d->g, NULL);
    gb_set_recorder(d->g, NULL);
    clear_request(d->g);
}

static uint64_t now(const dbg *d) {
    return gb_cycles(d->g);
}

/* Forward motion records into the flight recorder from here... */
static void rec_begin(dbg *d) {
    if (now(d) != d->rec_at) d->rec_from = now(d);
    gb_set_recorder(d->g, d->rec);
}

/* ... to here. */
static void rec_end(dbg *d) {
    d->rec_at = now(d);
}

static void insn_text(dbg *d, uint16_t pc, char *buf, size_t len) {
    uint8_t op = gb_peek(d->g, pc);
    gb_disasm(pc, op, gb_peek(d->g, (uint16_t)(pc + 1)), gb_peek(d->g, (uint16_t)(pc + 2)), buf,
              len);
}

static void put_regs(dbg *d, cJSON *o, const gb_regs *r) {
    cJSON_AddNumberToObject(o, "a", r->a);
    cJSON_AddNumberToObject(o, "f", r->f);
    cJSON_AddNumberToObject(o, "b", r->b);
    cJSON_AddNumberToObject(o, "c", r->c);
    cJSON_AddNumberToObject(o, "d", r->d);
    cJSON_AddNumberToObject(o, "e", r->e);
    cJSON_AddNumberToObject(o, "h", r->h);
    cJSON_AddNumberToObject(o, "l", r->l);
    cJSON_AddNumberToObject(o, "sp", r->sp);
    cJSON_AddNumberToObject(o, "pc", r->pc);
    cJSON_AddBoolToObject(o, "ime", r->ime);
    cJSON_AddBoolToObject(o, "halted", r->halted);
    (void)d;
}

/* Where the machine is now: cycle, frame, PC and its instruction. */
static void where(dbg *d) {
    gb_regs r;
    gb_get_regs(d->g, &r);
    char ins[64];
    insn_text(d, r.pc, ins, sizeof ins);
    say(d, "cycle %llu frame %llu pc %04X: %s%s\n", (unsigned long long)now(d),
        (unsigned long long)gb_frames(d->g), r.pc, ins, r.halted ? " (halted)" : "");
    num(d, "cycle", (double)now(d));
    num(d, "frame", (double)gb_frames(d->g));
    cJSON *o = cJSON_AddObjectToObject(d->ans, "regs");
    if (o) put_regs(d, o, &r);
}

/* Go to cycle c (the first instruction boundary at or after it): restore
 * the checkpoint before it when it lies behind, re-execute quietly. */
static int go_to(dbg *d, uint64_t c) {
    disarm(d);
    if (c < now(d)) {
        int rc = gb_ckpt_restore(d->ck, d->g, c, NULL);
        if (rc) {
            fail(d, "error: cycle %llu is before the oldest checkpoint (%llu)\n",
                 (unsigned long long)c, (unsigned long long)ct_ckpt_stamp(gb_ckpt_ring(d->ck), 0));
            return rc;
        }
    }
    while (now(d) < c)
        gb_ckpt_run(d->ck, d->g, c - now(d), 0);
    return 0;
}

/* Arm `s` for a re-execution from a checkpoint: its state conditions
 * (ly==144, a==3) start with the value they have there, so one that
 * already holds does not fire at once. Going backwards, the hit of a state
 * is where it became true in forward time (as gdb's reverse-continue has
 * it), which lies before the checkpoint when it holds there. */
static void start_states(dbg *d, gb_trig_set *s) {
    gb_trig_sync_states(d->g, s);
    arm(d, s, false);
}

/* Re-execute from checkpoint i to cycle `end`, one step (instruction, or
 * M-cycle while halted) at a time, with `s` armed (or none), sampling
 * `addr` (when >= 0); calls fn per step. */
static void scan(dbg *d, unsigned i, uint64_t end, gb_trig_set *s, int addr,
                 void (*fn)(void *ctx, const stepinfo *st), void *ctx) {
    disarm(d);
    if (gb_ckpt_restore_index(d->ck, d->g, i)) return;
    if (s) start_states(d, s);
    uint64_t fires[GB_TRIG_MAX] = {0};
    if (s)
        for (unsigned k = 0; k < s->n; k++)
            fires[k] = s->t[k].fires;
    while (now(d) < end) {
        stepinfo st;
        memset(&st, 0, sizeof st);
        st.before = now(d);
        gb_get_regs(d->g, &st.r0);
        st.op = gb_peek(d->g, st.r0.pc);
        if (addr >= 0) st.v0 = gb_peek(d->g, (uint16_t)addr);
        gb_ckpt_run(d->ck, d->g, 1, 0);
        st.after = now(d);
        gb_get_regs(d->g, &st.r1);
        if (addr >= 0) st.v1 = gb_peek(d->g, (uint16_t)addr);
        if (s)
            for (unsigned k = 0; k < s->n; k++)
                if (s->t[k].fires != fires[k]) {
                    st.hits |= 1u << k;
                    fires[k] = s->t[k].fires;
                }
        fn(ctx, &st);
    }
    if (s) {
        /* A state evaluated at fetches that the last instruction made true
         * holds from `end` on: the next interval starts with it holding,
         * so the edge is this interval's, at its end. */
        stepinfo st;
        memset(&st, 0, sizeof st);
        st.before = st.after = now(d);
        gb_get_regs(d->g, &st.r0);
        st.r1 = st.r0;
        st.op = gb_peek(d->g, st.r0.pc);
        gb_trig_fetch_states(d->g, s);
        for (unsigned k = 0; k < s->n; k++)
            if (s->t[k].fires != fires[k]) st.hits |= 1u << k;
        if (st.hits) fn(ctx, &st);
    }
    disarm(d);
}

/* Whether `s` holds anywhere from checkpoint i to `end`: one fast run,
 * so intervals without a hit are not re-executed step by step. */
static bool interval_hits(dbg *d, unsigned i, uint64_t end, gb_trig_set *s) {
    disarm(d);
    if (gb_ckpt_restore_index(d->ck, d->g, i)) return false;
    start_states(d, s);
    unsigned bits = 0;
    while (now(d) < end && !(bits & GB_STOP_REQUEST))
        bits = gb_ckpt_run(d->ck, d->g, end - now(d), 0);
    if (!(bits & GB_STOP_REQUEST)) {
        uint64_t fires[GB_TRIG_MAX];
        for (unsigned k = 0; k < s->n; k++)
            fires[k] = s->t[k].fires;
        gb_trig_fetch_states(d->g, s); /* the edge at the end (see scan) */
        for (unsigned k = 0; k < s->n; k++)
            if (s->t[k].fires != fires[k]) bits |= GB_STOP_REQUEST;
    }
    disarm(d);
    return (bits & GB_STOP_REQUEST) != 0;
}

/* Walk backwards from `end` through the checkpoint intervals, newest
 * first, until fn's ctx says it has found what it wants (*done). */
typedef struct back {
    bool done;
} back;

static void scan_back(dbg *d, uint64_t end, gb_trig_set *s, int addr,
                      void (*fn)(void *ctx, const stepinfo *st), void *ctx, bool *done,
                      void (*interval_end)(void *ctx)) {
    const ct_ckpt *ring = gb_ckpt_ring(d->ck);
    int i = ct_ckpt_find(ring, end ? end - 1 : 0);
    uint64_t stop = end;
    while (i >= 0 && !*done) {
        if (s && !interval_hits(d, (unsigned)i, stop, s)) {
            stop = ct_ckpt_stamp(ring, (unsigned)i);
            i--;
            continue;
        }
        scan(d, (unsigned)i, stop, s, addr, fn, ctx);
        if (interval_end) interval_end(ctx);
        stop = ct_ckpt_stamp(ring, (unsigned)i);
        i--;
    }
}

/* ---- backward searches ------------------------------------------------------- */

/* The boundaries of the last n steps before `end`. */
typedef struct bounds {
    uint64_t *v;
    size_t n, cap;
    uint64_t *all; /* accumulated (this interval first, then later ones) */
    size_t nall;
    size_t want;
    bool done;
} bounds;

static void bounds_step(void *ctx, const stepinfo *st) {
    bounds *b = ctx;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        uint64_t *v = realloc(b->v, cap * sizeof *v);
        if (!v) return;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = st->before;
}

static void bounds_end(void *ctx) {
    bounds *b = ctx;
    uint64_t *all = malloc((b->n + b->nall) * sizeof *all + 1);
    if (!all) {
        b->done = true;
        return;
    }
    memcpy(all, b->v, b->n * sizeof *all);
    if (b->nall) memcpy(all + b->n, b->all, b->nall * sizeof *all);
    free(b->all);
    b->all = all;
    b->nall += b->n;
    b->n = 0;
    if (b->nall >= b->want) b->done = true;
}

/* The boundary n steps before the present, or the oldest reachable. */
static bool boundary_back(dbg *d, uint64_t end, size_t n, uint64_t *at) {
    bounds b = {.want = n};
    scan_back(d, end, NULL, -1, bounds_step, &b, &b.done, bounds_end);
    bool ok = b.nall >= n && n > 0;
    if (b.nall)
        *at = ok ? b.all[b.nall - n] : b.all[0];
    else
        *at = end;
    free(b.v);
    free(b.all);
    return ok;
}

/* The last hit of an armed set before `end`. */
typedef struct lasthit {
    stepinfo last, cur;
    bool found, cur_found, done;
    const dbg *d;
    uint64_t end;
} lasthit;

static void hit_step(void *ctx, const stepinfo *st) {
    lasthit *h = ctx;
    if (!st->hits) return;
    /* A breakpoint is at the boundary before its instruction, a
     * watchpoint after it: only hits strictly before the present count. */
    bool watch_only = true;
    for (unsigned k = 0; k < GB_TRIG_MAX; k++)
        if ((st->hits >> k & 1) && !h->d->bps[k].watch) watch_only = false;
    uint64_t pos = watch_only ? st->after : st->before;
    if (pos >= h->end) return;
    h->cur = *st;
    h->cur_found = true;
}

static void hit_end(void *ctx) {
    lasthit *h = ctx;
    if (h->cur_found) {
        h->last = h->cur;
        h->found = h->done = true;
    }
}

/* ---- breakpoints ----------------------------------------------------------------- */

static int rebuild(dbg *d, char *err, size_t errlen) {
    gb_trig_set_init(d->trig, d->rec);
    for (int i = 0; i < d->nbp; i++)
        if (gb_trig_add(d->trig, d->bps[i].cond, GB_TRIG_BREAK, err, errlen)) return -EINVAL;
    return 0;
}

static void cmd_break(dbg *d, const char *line, const char *arg, bool watch) {
    if (d->nbp >= GB_TRIG_MAX) {
        fail(d, "error: at most %d breakpoints and watchpoints\n", GB_TRIG_MAX);
        return;
    }
    bp b = {.id = d->next_id, .watch = watch};
    snprintf(b.text, sizeof b.text, "%s", arg);
    if (!watch) {
        if (!*arg) {
            fail_at(d, line, strlen(line), "break needs a condition, e.g. pc==0x150");
            return;
        }
        snprintf(b.cond, sizeof b.cond, "%s", arg);
    } else {
        const char *p = arg;
        const char *kind = "w";
        if (!strncmp(p, "rw ", 3))
            kind = "rw", p += 3;
        else if (!strncmp(p, "r ", 2))
            kind = "r", p += 2;
        else if (!strncmp(p, "w ", 2))
            kind = "w", p += 2;
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0) {
            fail_at(d, line, (size_t)(p - line) + 0, "watch needs an address or range");
            return;
        }
        char range[64];
        snprintf(range, sizeof range, "%.*s", (int)(n < 63 ? n : 63), p);
        const char *rest = p + n;
        while (*rest == ' ')
            rest++;
        const char *cond = "";
        if (!strncmp(rest, "if ", 3))
            cond = rest + 3;
        else if (*rest) {
            fail_at(d, line, (size_t)(rest - line), "expected 'if CONDITION' or the end");
            return;
        }
        char acc[160];
        if (!strcmp(kind, "rw"))
            snprintf(acc, sizeof acc, "(read(%s) || write(%s))", range, range);
        else
            snprintf(acc, sizeof acc, "%s(%s)", kind[0] == 'r' ? "read" : "write", range);
        if (*cond)
            snprintf(b.cond, sizeof b.cond, "%s && (%s)", acc, cond);
        else
            snprintf(b.cond, sizeof b.cond, "%s", acc);
    }
    gb_trigger t;
    char err[600];
    if (gb_trig_parse(&t, b.cond, &gb_schema, err, sizeof err)) {
        fail(d, "error: %s\n", err);
        return;
    }
    d->bps[d->nbp++] = b;
    if (rebuild(d, err, sizeof err)) {
        d->nbp--;
        rebuild(d, err, sizeof err);
        fail(d, "error: %s\n", err);
        return;
    }
    d->next_id++;
    say(d, "%s %d: %s\n", watch ? "watchpoint" : "breakpoint", b.id, b.cond);
    num(d, "id", b.id);
    cJSON_AddStringToObject(d->ans, "condition", b.cond);
}

static void cmd_delete(dbg *d, const char *line, const char *arg) {
    char err[600];
    if (!*arg) {
        d->nbp = 0;
        rebuild(d, err, sizeof err);
        say(d, "deleted all breakpoints and watchpoints\n");
        return;
    }
    char *end;
    long id = strtol(arg, &end, 10);
    for (int i = 0; i < d->nbp; i++)
        if (*end == 0 && d->bps[i].id == id) {
            memmove(&d->bps[i], &d->bps[i + 1], (size_t)(d->nbp - i - 1) * sizeof d->bps[0]);
            d->nbp--;
            rebuild(d, err, sizeof err);
            say(d, "deleted %ld\n", id);
            return;
        }
    fail_at(d, line, (size_t)(arg - line), "no such breakpoint");
}

static void cmd_info(dbg *d) {
    cJSON *arr = cJSON_AddArrayToObject(d->ans, "breakpoints");
    if (!d->nbp) say(d, "no breakpoints or watchpoints\n");
    for (int i = 0; i < d->nbp; i++) {
        const bp *b = &d->bps[i];
        unsigned long long fires = (unsigned long long)d->trig->t[i].fires;
        say(d, "%d %s %s (hit %llu time%s)\n", b->id, b->watch ? "watch" : "break", b->cond, fires,
            fires == 1 ? "" : "s");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", b->id);
        cJSON_AddStringToObject(o, "type", b->watch ? "watch" : "break");
        cJSON_AddStringToObject(o, "condition", b->cond);
        cJSON_AddNumberToObject(o, "hits", (double)fires);
        cJSON_AddItemToArray(arr, o);
    }
}

/* ---- forward motion --------------------------------------------------------------- */

static void hits_answer(dbg *d, unsigned hits) {
    cJSON *arr = cJSON_AddArrayToObject(d->ans, "hit");
    for (int k = 0; k < d->nbp; k++)
        if (hits >> k & 1) {
            say(d, "%s %d hit: %s\n", d->bps[k].watch ? "watchpoint" : "breakpoint", d->bps[k].id,
                d->bps[k].cond);
            cJSON_AddItemToArray(arr, cJSON_CreateNumber(d->bps[k].id));
        }
}

/* The last step before `end` (from the checkpoint before it). */
static bool last_step(dbg *d, uint64_t end, stepinfo *out);

/* Run forward with the breakpoints armed (and the set `extra`), at most
 * `limit` cycles. */
static void run_forward(dbg *d, gb_trig_set *s, uint64_t limit, bool is_until) {
    /* Step off the breakpoint we stopped at, or it would hold again. */
    disarm(d);
    rec_begin(d);
    if (d->break_at == now(d)) gb_ckpt_run(d->ck, d->g, 1, 0);
    uint64_t fires[GB_TRIG_MAX];
    for (unsigned k = 0; k < s->n; k++)
        fires[k] = s->t[k].fires;
    arm(d, s, true);
    unsigned bits = gb_ckpt_run(d->ck, d->g, limit, GB_STOP_LOCKUP);
    rec_end(d);
    unsigned hits = 0;
    for (unsigned k = 0; k < s->n; k++)
        if (s->t[k].fires != fires[k]) hits |= 1u << k;
    disarm(d);
    if (bits & GB_STOP_LOCKUP) say(d, "the CPU locked up (illegal opcode)\n");
    if (!(bits & GB_STOP_REQUEST)) {
        if (!(bits & GB_STOP_LOCKUP))
            say(d, "no %s within %llu cycles\n", is_until ? "match" : "hit",
                (unsigned long long)limit);
        where(d);
        return;
    }
    bool watch_only = true;
    if (s == d->trig) {
        for (int k = 0; k < d->nbp; k++)
            if ((hits >> k & 1) && !d->bps[k].watch) watch_only = false;
        hits_answer(d, hits);
    } else {
        watch_only = false;
        say(d, "condition holds\n");
    }
    if (!watch_only) {
        /* Breakpoints stop before the instruction in which they held. */
        stepinfo st;
        if (last_step(d, now(d), &st)) go_to(d, st.before);
        d->break_at = now(d);
    }
    where(d);
}

static bool last_step(dbg *d, uint64_t end, stepinfo *out) {
    uint64_t at;
    if (!boundary_back(d, end, 1, &at)) return false;
    out->before = at;
    return true;
}

static unsigned long parse_count(dbg *d, const char *line, const char *arg, unsigned long def,
                                 bool *ok) {
    *ok = true;
    if (!*arg) return def;
    char *end;
    unsigned long n = strtoul(arg, &end, 0);
    if (*end || n == 0 || arg[0] == '-') {
        fail_at(d, line, (size_t)(arg - line), "expected a positive count");
        *ok = false;
    }
    return n;
}

static void step_n(dbg *d, unsigned long n) {
    disarm(d);
    rec_begin(d);
    for (unsigned long i = 0; i < n; i++)
        gb_ckpt_run(d->ck, d->g, 1, 0);
    rec_end(d);
    gb_set_recorder(d->g, NULL);
    where(d);
}

static bool is_call(uint8_t op) {
    return op == 0xCD || op == 0xC4 || op == 0xCC || op == 0xD4 || op == 0xDC ||
           (op & 0xC7) == 0xC7;
}

static bool is_ret(uint8_t op) {
    return op == 0xC9 || op == 0xD9 || op == 0xC0 || op == 0xC8 || op == 0xD0 || op == 0xD8;
}

static void cmd_next(dbg *d) {
    gb_regs r;
    gb_get_regs(d->g, &r);
    uint8_t op = gb_peek(d->g, r.pc);
    if (!is_call(op)) {
        step_n(d, 1);
        return;
    }
    uint16_t ret = (uint16_t)(r.pc + gb_insn_len(op));
    disarm(d);
    rec_begin(d);
    uint64_t limit = now(d) + STEP_LIMIT;
    const uint16_t sp0 = r.sp;
    do {
        gb_ckpt_run(d->ck, d->g, 1, 0);
        gb_get_regs(d->g, &r);
    } while (!(r.pc == ret && r.sp == sp0) && now(d) < limit);
    rec_end(d);
    gb_set_recorder(d->g, NULL);
    where(d);
}

static void cmd_finish(dbg *d) {
    gb_regs r;
    gb_get_regs(d->g, &r);
    const uint16_t sp0 = r.sp;
    disarm(d);
    rec_begin(d);
    uint64_t limit = now(d) + STEP_LIMIT;
    for (;;) {
        uint8_t op = gb_peek(d->g, r.pc);
        gb_ckpt_run(d->ck, d->g, 1, 0);
        gb_get_regs(d->g, &r);
        if (is_ret(op) && r.sp > sp0) break;
        if (now(d) >= limit) {
            say(d, "no return within %llu cycles\n", (unsigned long long)STEP_LIMIT);
            break;
        }
    }
    rec_end(d);
    gb_set_recorder(d->g, NULL);
    where(d);
}

static void cmd_stepl(dbg *d, bool frame) {
    disarm(d);
    rec_begin(d);
    if (frame) {
        gb_ckpt_run(d->ck, d->g, 2 * RN_CYCLES_PER_FRAME, GB_STOP_FRAME);
    } else {
        uint8_t ly = gb_peek(d->g, 0xFF44);
        uint64_t limit = now(d) + 2 * RN_CYCLES_PER_FRAME;
        while (gb_peek(d->g, 0xFF44) == ly && now(d) < limit)
            gb_ckpt_run(d->ck, d->g, 1, 0);
    }
    rec_end(d);
    gb_set_recorder(d->g, NULL);
    where(d);
}

/* ---- backward motion ----------------------------------------------------------------- */

static void cmd_backstep(dbg *d, unsigned long n) {
    uint64_t at;
    bool ok = boundary_back(d, now(d), n, &at);
    uint64_t end = now(d);
    if (!ok && at == end) {
        fail(d, "error: no earlier instruction in the checkpoint ring\n");
        return;
    }
    go_to(d, at);
    if (!ok) say(d, "reached the oldest checkpoint\n");
    where(d);
}

static void cmd_reverse_continue(dbg *d) {
    if (!d->nbp) {
        fail(d, "error: no breakpoints or watchpoints\n");
        return;
    }
    lasthit h = {.d = d, .end = now(d)};
    scan_back(d, now(d), d->trig, -1, hit_step, &h, &h.done, hit_end);
    if (!h.found) {
        const ct_ckpt *ring = gb_ckpt_ring(d->ck);
        go_to(d, ct_ckpt_stamp(ring, 0));
        say(d, "no earlier hit in the checkpoint ring: at the oldest checkpoint\n");
        where(d);
        return;
    }
    bool watch_only = true;
    for (int k = 0; k < d->nbp; k++)
        if ((h.last.hits >> k & 1) && !d->bps[k].watch) watch_only = false;
    go_to(d, watch_only ? h.last.after : h.last.before);
    d->break_at = watch_only ? ~0ull : now(d);
    hits_answer(d, h.last.hits);
    where(d);
}

/* reverse-finish: back to the call of the current function (a CALL or RST
 * whose return address sits just above the present SP, or an interrupt
 * dispatch). */
typedef struct callfind {
    uint16_t sp;
    stepinfo cur, last;
    bool cur_found, found, done;
} callfind;

static void call_step(void *ctx, const stepinfo *st) {
    callfind *c = ctx;
    bool call = st->r1.sp == (uint16_t)(st->r0.sp - 2) &&
                (is_call(st->op) || st->r1.pc != (uint16_t)(st->r0.pc + gb_insn_len(st->op)));
    if (call && st->r1.sp == c->sp) {
        c->cur = *st;
        c->cur_found = true;
    }
}

static void call_end(void *ctx) {
    callfind *c = ctx;
    if (c->cur_found) {
        c->last = c->cur;
        c->found = c->done = true;
    }
}

static void cmd_reverse_finish(dbg *d) {
    gb_regs r;
    gb_get_regs(d->g, &r);
    callfind c = {.sp = r.sp};
    scan_back(d, now(d), NULL, -1, call_step, &c, &c.done, call_end);
    if (!c.found) {
        go_to(d, now(d));
        fail(d, "error: no call of this function in the checkpoint ring\n");
        return;
    }
    go_to(d, c.last.before);
    where(d);
}

/* last-write / last-change. */
typedef struct change {
    int reg; /* -1: memory (hits of the armed set) */
    stepinfo cur, last;
    bool cur_found, found, done;
} change;

static const char *const reg_names[] = {"a", "f",  "b",  "c",  "d",  "e",  "h",
                                        "l", "sp", "pc", "af", "bc", "de", "hl"};
#define NREGS (sizeof reg_names / sizeof reg_names[0])

static unsigned reg_value(const gb_regs *r, int i) {
    switch (i) {
    case 0: return r->a;
    case 1: return r->f;
    case 2: return r->b;
    case 3: return r->c;
    case 4: return r->d;
    case 5: return r->e;
    case 6: return r->h;
    case 7: return r->l;
    case 8: return r->sp;
    case 9: return r->pc;
    case 10: return (unsigned)r->a << 8 | r->f;
    case 11: return (unsigned)r->b << 8 | r->c;
    case 12: return (unsigned)r->d << 8 | r->e;
    default: return (unsigned)r->h << 8 | r->l;
    }
}

static void change_step(void *ctx, const stepinfo *st) {
    change *c = ctx;
    bool hit =
        c->reg < 0 ? st->hits != 0 : reg_value(&st->r0, c->reg) != reg_value(&st->r1, c->reg);
    if (hit) {
        c->cur = *st;
        c->cur_found = true;
    }
}

static void change_end(void *ctx) {
    change *c = ctx;
    if (c->cur_found) {
        c->last = c->cur;
        c->found = c->done = true;
    }
}

static bool parse_addr(const char *s, char **end, unsigned *out) {
    const char *p = s;
    int base = 10;
    if (*p == '$') {
        p++;
        base = 16;
    } else if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        base = 16;
    }
    if (!isxdigit((unsigned char)*p)) {
        *end = (char *)s;
        return false;
    }
    unsigned long v = strtoul(p, end, base);
    if (v > 0xFFFF) return false;
    *out = (unsigned)v;
    return true;
}

static void report_change(dbg *d, const stepinfo *st, const char *what, unsigned oldv,
                          unsigned newv, int width) {
    char ins[64];
    go_to(d, st->before);
    insn_text(d, st->r0.pc, ins, sizeof ins);
    say(d, "%s changed from $%0*X to $%0*X at cycle %llu by pc %04X: %s\n", what, width, oldv,
        width, newv, (unsigned long long)st->before, st->r0.pc, ins);
    num(d, "old", oldv);
    num(d, "new", newv);
    num(d, "at_cycle", (double)st->before);
    num(d, "at_pc", st->r0.pc);
    cJSON_AddStringToObject(d->ans, "instruction", ins);
    where(d);
}

static void cmd_last_write(dbg *d, const char *line, const char *arg) {
    unsigned addr;
    char *end;
    if (!parse_addr(arg, &end, &addr) || *end) {
        fail_at(d, line, (size_t)(end - line), "expected an address ($C000, 0xC000 or 49152)");
        return;
    }
    char cond[32], err[400];
    snprintf(cond, sizeof cond, "write(0x%04X)", addr);
    gb_trig_set_init(d->tmp, d->rec);
    if (gb_trig_add(d->tmp, cond, GB_TRIG_BREAK, err, sizeof err)) {
        fail(d, "error: %s\n", err);
        return;
    }
    change c = {.reg = -1};
    const uint64_t from = now(d);
    scan_back(d, from, d->tmp, (int)addr, change_step, &c, &c.done, change_end);
    if (!c.found) {
        go_to(d, from);
        fail(d, "error: no write to $%04X in the checkpoint ring\n", addr);
        return;
    }
    char what[16];
    snprintf(what, sizeof what, "$%04X", addr);
    num(d, "addr", addr);
    report_change(d, &c.last, what, c.last.v0, c.last.v1, 2);
}

static void cmd_last_change(dbg *d, const char *line, const char *arg) {
    int reg = -1;
    for (unsigned i = 0; i < NREGS; i++)
        if (!strcmp(arg, reg_names[i])) reg = (int)i;
    if (reg < 0) {
        fail_at(d, line, (size_t)(arg - line),
                "expected a register: a f b c d e h l sp pc af bc de hl");
        return;
    }
    change c = {.reg = reg};
    const uint64_t from = now(d);
    scan_back(d, from, NULL, -1, change_step, &c, &c.done, change_end);
    if (!c.found) {
        go_to(d, from);
        fail(d, "error: %s did not change in the checkpoint ring\n", arg);
        return;
    }
    cJSON_AddStringToObject(d->ans, "reg", arg);
    report_change(d, &c.last, arg, reg_value(&c.last.r0, reg), reg_value(&c.last.r1, reg),
                  reg >= 8 ? 4 : 2);
}

/* ---- inspection -------------------------------------------------------------------- */

static void cmd_regs(dbg *d) {
    gb_regs r;
    gb_get_regs(d->g, &r);
    say(d, "A:%02X F:%02X B:%02X C:%02X D:%02X E:%02X H:%02X L:%02X SP:%04X PC:%04X IME:%d%s\n",
        r.a, r.f, r.b, r.c, r.d, r.e, r.h, r.l, r.sp, r.pc, r.ime, r.halted ? " halted" : "");
    where(d);
}

/* The optional count after an address (`x ADDR [N]`, `disasm [ADDR] [N]`):
 * false, with a caret under it, when it is not a number from 1 to max; *n is
 * left as it was when there is none. */
static bool opt_count(dbg *d, const char *line, char *end, unsigned long max, unsigned *n) {
    while (*end == ' ')
        end++;
    if (!*end) return true;
    char *e2;
    unsigned long v = strtoul(end, &e2, 0);
    if (*e2 || v == 0 || v > max) {
        char msg[64];
        snprintf(msg, sizeof msg, "expected a count from 1 to %lu", max);
        fail_at(d, line, (size_t)(end - line), msg);
        return false;
    }
    *n = (unsigned)v;
    return true;
}

static void cmd_x(dbg *d, const char *line, const char *arg) {
    unsigned addr, n = 16;
    char *end;
    if (!parse_addr(arg, &end, &addr)) {
        fail_at(d, line, (size_t)(end - line), "expected an address ($C000, 0xC000 or 49152)");
        return;
    }
    if (!opt_count(d, line, end, 0x10000, &n)) return;
    cJSON *arr = cJSON_AddArrayToObject(d->ans, "bytes");
    num(d, "addr", addr);
    for (unsigned i = 0; i < n; i++) {
        uint16_t a = (uint16_t)(addr + i);
        if (i % 16 == 0) say(d, "%s%04X:", i ? "\n" : "", a);
        uint8_t v = gb_peek(d->g, a);
        say(d, " %02X", v);
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(v));
    }
    say(d, "\n");
}

static const struct {
    uint16_t addr;
    const char *name;
} io_regs[] = {
    {0xFF00, "P1"},   {0xFF01, "SB"},   {0xFF02, "SC"},   {0xFF04, "DIV"},  {0xFF05, "TIMA"},
    {0xFF06, "TMA"},  {0xFF07, "TAC"},  {0xFF0F, "IF"},   {0xFF40, "LCDC"}, {0xFF41, "STAT"},
    {0xFF42, "SCY"},  {0xFF43, "SCX"},  {0xFF44, "LY"},   {0xFF45, "LYC"},  {0xFF46, "DMA"},
    {0xFF47, "BGP"},  {0xFF48, "OBP0"}, {0xFF49, "OBP1"}, {0xFF4A, "WY"},   {0xFF4B, "WX"},
    {0xFF26, "NR52"}, {0xFFFF, "IE"},
};

static void cmd_io(dbg *d) {
    cJSON *o = cJSON_AddObjectToObject(d->ans, "io");
    for (size_t i = 0; i < sizeof io_regs / sizeof io_regs[0]; i++) {
        uint8_t v = gb_peek(d->g, io_regs[i].addr);
        say(d, "%-5s $%04X = $%02X%s", io_regs[i].name, io_regs[i].addr, v,
            i % 4 == 3 ? "\n" : "   ");
        cJSON_AddNumberToObject(o, io_regs[i].name, v);
    }
    say(d, "\n");
}

static void cmd_disasm(dbg *d, const char *line, const char *arg) {
    gb_regs r;
    gb_get_regs(d->g, &r);
    unsigned addr = r.pc, n = 8;
    char *end = (char *)arg;
    if (*arg && !parse_addr(arg, &end, &addr)) {
        fail_at(d, line, (size_t)(end - line), "expected an address");
        return;
    }
    if (!opt_count(d, line, end, 1000, &n)) return;
    cJSON *arr = cJSON_AddArrayToObject(d->ans, "lines");
    uint16_t pc = (uint16_t)addr;
    for (unsigned i = 0; i < n; i++) {
        char ins[64], l[96];
        insn_text(d, pc, ins, sizeof ins);
        snprintf(l, sizeof l, "%s%04X: %s", pc == r.pc ? "=> " : "   ", pc, ins);
        say(d, "%s\n", l);
        cJSON_AddItemToArray(arr, cJSON_CreateString(l));
        pc = (uint16_t)(pc + gb_insn_len(gb_peek(d->g, pc)));
    }
}

/* bt: replay the last few checkpoint intervals, keeping a shadow stack of
 * calls (CALL, RST, interrupt dispatch) popped when SP rises above them. */
typedef struct shadow {
    struct {
        uint16_t from, to, sp;
    } f[256];
    int n;
} shadow;

static void bt_step(void *ctx, const stepinfo *st) {
    shadow *s = ctx;
    while (s->n && st->r1.sp > s->f[s->n - 1].sp)
        s->n--;
    bool call = st->r1.sp == (uint16_t)(st->r0.sp - 2) &&
                (is_call(st->op) || st->r1.pc != (uint16_t)(st->r0.pc + gb_insn_len(st->op))) &&
                st->r1.pc != (uint16_t)(st->r0.pc + gb_insn_len(st->op));
    if (call && s->n < 256) {
        s->f[s->n].from = st->r0.pc;
        s->f[s->n].to = st->r1.pc;
        s->f[s->n].sp = st->r1.sp;
        s->n++;
    }
}

static void cmd_bt(dbg *d) {
    const uint64_t end = now(d);
    const ct_ckpt *ring = gb_ckpt_ring(d->ck);
    int i = ct_ckpt_find(ring, end);
    int from = i - 60 > 0 ? i - 60 : 0; /* about a second of history */
    shadow *s = calloc(1, sizeof *s);
    if (!s || i < 0) {
        free(s);
        fail(d, "error: no checkpoint\n");
        return;
    }
    scan(d, (unsigned)from, end, NULL, -1, bt_step, s);
    gb_regs r;
    gb_get_regs(d->g, &r);
    cJSON *arr = cJSON_AddArrayToObject(d->ans, "frames");
    say(d, "#0 %04X\n", r.pc);
    for (int k = s->n - 1, depth = 1; k >= 0; k--, depth++) {
        say(d, "#%d %04X called from %04X (sp %04X)\n", depth, s->f[k].to, s->f[k].from,
            s->f[k].sp);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "to", s->f[k].to);
        cJSON_AddNumberToObject(o, "from", s->f[k].from);
        cJSON_AddNumberToObject(o, "sp", s->f[k].sp);
        cJSON_AddItemToArray(arr, o);
    }
    free(s);
}

static void cmd_ppu(dbg *d) {
    uint8_t lcdc = gb_peek(d->g, 0xFF40), stat = gb_peek(d->g, 0xFF41);
    gb_ppu_info p;
    gb_get_ppu(d->g, &p);
    say(d, "LCD %s, mode %u, LY %u (line %u), dot %u, LYC %u, STAT $%02X, LCDC $%02X\n",
        p.lcd_on ? "on" : "off", p.mode, p.ly, p.line, p.dot, gb_peek(d->g, 0xFF45), stat, lcdc);
    if (p.mode3_len)
        say(d, "mode 3 of this line: %u dots; pipeline %s\n", p.mode3_len,
            p.pipeline ? "running" : "done");
    if (p.pipeline)
        say(d,
            "fetcher: step %u of tile %u (%s); BG FIFO %u pixels; %u pushed; fine scroll %u "
            "left; objects %u (next %u)%s\n",
            p.fetch_step, p.fetch_x, p.window ? "window" : "background", p.bg_fifo, p.pushed,
            p.fine_left, p.objs, p.obj_next, p.obj_fetch ? ", fetching an object" : "");
    say(d, "window: %s, line counter %u\n", p.win_hit ? "WY matched this frame" : "not reached",
        p.win_line);
    num(d, "mode", p.mode);
    num(d, "ly", p.ly);
    num(d, "line", p.line);
    num(d, "dot", p.dot);
    num(d, "lcdc", lcdc);
    num(d, "stat", stat);
    cJSON_AddBoolToObject(d->ans, "lcd_on", p.lcd_on);
    num(d, "mode3_len", p.mode3_len);
    cJSON *f = cJSON_AddObjectToObject(d->ans, "fifo");
    if (f) {
        cJSON_AddBoolToObject(f, "running", p.pipeline);
        cJSON_AddNumberToObject(f, "fetch_step", p.fetch_step);
        cJSON_AddNumberToObject(f, "fetch_x", p.fetch_x);
        cJSON_AddNumberToObject(f, "bg_pixels", p.bg_fifo);
        cJSON_AddNumberToObject(f, "pushed", p.pushed);
        cJSON_AddNumberToObject(f, "fine_left", p.fine_left);
        cJSON_AddBoolToObject(f, "window", p.window);
        cJSON_AddBoolToObject(f, "obj_fetch", p.obj_fetch);
        cJSON_AddNumberToObject(f, "objects", p.objs);
        cJSON_AddNumberToObject(f, "obj_next", p.obj_next);
    }
    cJSON_AddBoolToObject(d->ans, "win_hit", p.win_hit);
    num(d, "win_line", p.win_line);
}

/* Whether the ring's last n events are what led to the present: recorded
 * up to here, in order, since the recording without a gap began. */
static bool ring_leads_here(const dbg *d, const ct_trace *tr, uint64_t n) {
    if (now(d) != d->rec_at) return false;
    /* Fewer than n: only when nothing older was recorded or lost. */
    if (tr->nev < n && (tr->overwritten || d->rec_from != 0)) return false;
    const uint64_t first = tr->nev > n ? tr->nev - n : 0;
    for (uint64_t i = first; i < tr->nev; i++)
        if (tr->ev[i].ts < d->rec_from || (i > first && tr->ev[i].ts < tr->ev[i - 1].ts))
            return false;
    return true;
}

/* The events the flight recorder's filter keeps, re-executed from a
 * checkpoint before the present up to it: at least n of them, going back a
 * checkpoint, then 2, 4, ... further, as far as the ring of checkpoints
 * reaches. The machine ends where it was. NULL when no checkpoint lies
 * before the present. */
static ct_trace *reexecute_events(dbg *d, uint64_t n, uint64_t *from) {
    const uint64_t end = now(d);
    const ct_ckpt *ring = gb_ckpt_ring(d->ck);
    int i = end ? ct_ckpt_find(ring, end - 1) : -1;
    unsigned back = 1;
    ct_trace *tr = NULL;
    char err[300];
    while (i >= 0) {
        ct_recorder *r =
            ct_recorder_create(&gb_schema, RING_BYTES, 0, CT_OVERWRITE, err, sizeof err);
        if (!r) break;
        ct_filter_apply(r, "off", err, sizeof err);
        for (uint16_t id = 0; id < gb_ev_count; id++)
            if (ct_recorder_event_flag(d->rec, id)) ct_recorder_enable(r, id);
        disarm(d);
        if (gb_ckpt_restore_index(d->ck, d->g, (unsigned)i)) {
            ct_recorder_destroy(r);
            break;
        }
        *from = now(d);
        gb_set_recorder(d->g, r);
        while (now(d) < end)
            gb_ckpt_run(d->ck, d->g, end - now(d), 0);
        gb_set_recorder(d->g, NULL);
        ct_trace_free(tr);
        tr = NULL;
        int rc = ct_trace_from_recorder(r, &tr);
        ct_recorder_destroy(r);
        if (rc) break;
        if (tr->nev >= n || tr->overwritten || i == 0) break;
        i = (unsigned)i > back ? i - (int)back : 0;
        back *= 2;
    }
    if (now(d) != end) go_to(d, end);
    return tr;
}

/* trace [N]: the last N events before the present. Where the present is
 * the end of what was recorded running forward, the flight recorder's
 * ring; after going back (or forward again from an earlier point), the
 * same events re-executed from the checkpoints: what led here. */
static void cmd_trace(dbg *d, const char *line, const char *arg) {
    bool ok;
    unsigned long n = parse_count(d, line, arg, 20, &ok);
    if (!ok) return;
    ct_trace *tr = NULL;
    int rc = ct_trace_from_recorder(d->rec, &tr);
    if (rc) {
        fail(d, "error: %s\n", strerror(-rc));
        return;
    }
    uint64_t from = 0;
    bool ring = ring_leads_here(d, tr, n);
    if (!ring) {
        ct_trace_free(tr);
        tr = reexecute_events(d, n, &from);
        if (!tr) {
            fail(d, "error: no checkpoint before the present to re-execute from\n");
            return;
        }
        say(d, "(re-executed from the checkpoint at cycle %llu)\n", (unsigned long long)from);
        num(d, "since", (double)from);
    }
    cJSON_AddStringToObject(d->ans, "source", ring ? "ring" : "re-execution");
    cJSON *arr = cJSON_AddArrayToObject(d->ans, "events");
    ct_view_opts v = {.to = UINT64_MAX, .line_fmt = gb_disasm_line_fmt};
    uint64_t total = tr->nev, start = total > n ? total - n : 0;
    for (uint64_t i = start; i < total; i++) {
        char l[512];
        ct_event_text(tr, &tr->ev[i], &v, l, sizeof l);
        say(d, "%s\n", l);
        cJSON_AddItemToArray(arr, cJSON_CreateString(l));
    }
    ct_trace_free(tr);
}

static void cmd_dump(dbg *d, const char *line, const char *arg) {
    if (!*arg) {
        fail_at(d, line, strlen(line), "dump needs a file name");
        return;
    }
    ct_dump_opts o = {.format = CT_FMT_AUTO, .line_fmt = gb_disasm_line_fmt, .look = &gb_look};
    int rc = ct_dump(d->rec, arg, &o);
    if (rc)
        fail(d, "error: %s: %s\n", arg, strerror(-rc));
    else
        say(d, "wrote %s\n", arg);
}

static void cmd_state(dbg *d, const char *line, const char *arg) {
    bool save = !strncmp(arg, "save ", 5), load = !strncmp(arg, "load ", 5);
    if (!save && !load) {
        fail_at(d, line, (size_t)(arg - line), "expected: state save FILE | state load FILE");
        return;
    }
    const char *path = arg + 5;
    size_t n = gb_state_size(d->g);
    uint8_t *buf = malloc(n);
    if (!buf) {
        fail(d, "error: out of memory\n");
        return;
    }
    if (save) {
        long w = gb_state_save(d->g, buf, n);
        int rc = w < 0 ? (int)w : rn_write_file(path, buf, (size_t)w);
        if (rc)
            fail(d, "error: %s: %s\n", path, strerror(-rc));
        else
            say(d, "saved %s (%ld bytes)\n", path, w);
    } else {
        uint8_t *data = NULL;
        size_t size = 0;
        int rc = rn_read_file(path, &data, &size);
        if (!rc) rc = gb_state_load(d->g, data, size);
        free(data);
        if (rc) {
            fail(d, "error: %s: %s\n", path,
                 rc == -EINVAL ? "not a state of this build" : strerror(-rc));
        } else {
            /* A new timeline: the checkpoints of the old one do not lead here. */
            gb_ckpt_rebase(d->ck, d->g);
            say(d, "loaded %s\n", path);
            where(d);
        }
    }
    free(buf);
}

static void cmd_run_to_failure(dbg *d, const char *line, const char *arg) {
    (void)line;
    rn_manifest *mans = NULL;
    size_t nmans = 0;
    char err[600];
    if (rn_suites_load(d->o.suites_dir, NULL, &mans, &nmans, err, sizeof err)) {
        fail(d, "error: %s\n", err);
        return;
    }
    const rn_test *t = NULL;
    for (size_t m = 0; m < nmans && !t; m++)
        for (size_t i = 0; i < mans[m].ntests && !t; i++) {
            const char *rel = mans[m].tests[i].rom;
            size_t lp = strlen(d->o.rom_path), lr = strlen(rel);
            if (lp >= lr && !strcmp(d->o.rom_path + lp - lr, rel) &&
                (!*arg || !strcmp(arg, mans[m].suite)))
                t = &mans[m].tests[i];
        }
    if (!t) {
        fail(d, "error: no suite manifest lists this ROM\n");
        rn_suites_free(mans, nmans);
        return;
    }
    rn_opts o;
    rn_opts_default(&o);
    o.rom_root = d->o.rom_root;
    o.out_dir = NULL;
    o.fork = false;
    o.trace_bytes = 0;
    rn_test copy = *t;
    copy.rom = (char *)d->o.rom_path;
    rn_result res;
    rn_run_one(&copy, &o, &res);
    say(d, "%s %s: %s at cycle %llu: %s\n", t->suite, t->rom, rn_status_name(res.status),
        (unsigned long long)res.cycles, res.message);
    cJSON_AddStringToObject(d->ans, "status", rn_status_name(res.status));
    cJSON_AddStringToObject(d->ans, "message", res.message);
    rn_suites_free(mans, nmans);
    if (res.status != RN_PASS && res.have_regs) {
        /* The run is deterministic: the failure is that cycle of this one. */
        rec_begin(d);
        while (now(d) < res.cycles)
            gb_ckpt_run(d->ck, d->g, res.cycles - now(d), 0);
        rec_end(d);
        gb_set_recorder(d->g, NULL);
        if (now(d) > res.cycles) go_to(d, res.cycles);
    }
    where(d);
}

/* ---- the command table ------------------------------------------------------------------------
 */

static const char help_text[] =
    "break|b COND            stop before the instruction in which COND holds\n"
    "                        (trigger language: pc==0x150 && bank==2, write(0xFF41) && "
    "value&0x40,\n"
    "                        ly==144, a==3, irq(vblank), ...)\n"
    "watch|w [r|w|rw] A[..B] [if COND]   stop after an access to A..B\n"
    "delete|d [ID]           delete one or all; info break|i b: list them\n"
    "step|s|si [N]           N instructions (an M-cycle while halted)\n"
    "next|n                  step over CALL/RST; finish|fin: run to the return\n"
    "stepd N                 N dots (T-cycles); stepl: to the next line; stepf: to the next frame\n"
    "continue|c              run to the next hit; until|u COND: run until COND holds\n"
    "backstep|bs [N]         N instructions back\n"
    "reverse-continue|rc     back to the last hit of a breakpoint or watchpoint; a\n"
    "                        state (ly==144, a==3) hits where it last became true\n"
    "                        in forward time (as gdb), also when that is before\n"
    "                        the checkpoint the search restores\n"
    "reverse-finish|rf       back to the call of this function\n"
    "last-write|lw ADDR      back to the last write of ADDR (old, new value, by whom)\n"
    "last-change|lc REG      back to the last change of a register\n"
    "regs|reg, x ADDR [N], io, disasm|dis [ADDR] [N], bt, ppu\n"
    "trace|t [N]             the last N events before the present (after going back:\n"
    "                        re-executed from the checkpoints with the ring's filter)\n"
    "dump FILE               the flight recorder's ring now (.perfetto-trace, .json, .log, "
    ".ctrace)\n"
    "state save|load FILE    save states (loading one starts a new timeline)\n"
    "checkpoints             the checkpoint ring: how many, how far back, memory\n"
    "run-to-failure [SUITE]  run this ROM's suite check and stop at its failure\n"
    "quit|q\n";

static void cmd_ckpts(dbg *d) {
    const ct_ckpt *r = gb_ckpt_ring(d->ck);
    unsigned n = ct_ckpt_count(r);
    say(d, "%u checkpoints, cycles %llu..%llu, %llu of %llu bytes, %llu evicted\n", n,
        (unsigned long long)ct_ckpt_stamp(r, 0),
        (unsigned long long)ct_ckpt_stamp(r, n ? n - 1 : 0), (unsigned long long)ct_ckpt_bytes(r),
        (unsigned long long)ct_ckpt_max_bytes(r), (unsigned long long)ct_ckpt_evicted(r));
    num(d, "count", n);
    num(d, "oldest", (double)ct_ckpt_stamp(r, 0));
    num(d, "newest", (double)ct_ckpt_stamp(r, n ? n - 1 : 0));
    num(d, "bytes", (double)ct_ckpt_bytes(r));
    num(d, "max_bytes", (double)ct_ckpt_max_bytes(r));
}

static bool is(const char *w, const char *a, const char *b, const char *c) {
    return !strcmp(w, a) || (b && !strcmp(w, b)) || (c && !strcmp(w, c));
}

static void dispatch(dbg *d, const char *line, const char *w, size_t wcol, const char *arg) {
    bool ok = true;
    if (is(w, "break", "b", "br"))
        cmd_break(d, line, arg, false);
    else if (is(w, "watch", "w", NULL))
        cmd_break(d, line, arg, true);
    else if (is(w, "delete", "d", NULL))
        cmd_delete(d, line, arg);
    else if (is(w, "info", "i", NULL)) {
        if (!*arg || is(arg, "break", "b", "breakpoints"))
            cmd_info(d);
        else if (is(arg, "checkpoints", NULL, NULL))
            cmd_ckpts(d);
        else
            fail_at(d, line, (size_t)(arg - line), "info break | info checkpoints");
    } else if (is(w, "step", "s", "si")) {
        unsigned long n = parse_count(d, line, arg, 1, &ok);
        if (ok) step_n(d, n);
    } else if (is(w, "next", "n", NULL))
        cmd_next(d);
    else if (is(w, "finish", "fin", NULL))
        cmd_finish(d);
    else if (is(w, "stepd", NULL, NULL)) {
        unsigned long n = parse_count(d, line, arg, 1, &ok);
        if (ok) {
            disarm(d);
            rec_begin(d);
            gb_ckpt_run(d->ck, d->g, n, 0);
            rec_end(d);
            gb_set_recorder(d->g, NULL);
            where(d);
        }
    } else if (is(w, "stepl", NULL, NULL))
        cmd_stepl(d, false);
    else if (is(w, "stepf", NULL, NULL))
        cmd_stepl(d, true);
    else if (is(w, "continue", "c", "cont")) {
        if (!d->nbp) {
            fail(d, "error: no breakpoints or watchpoints (continue would run %llu s)\n",
                 CONTINUE_LIMIT / RN_CYCLES_PER_SEC);
            return;
        }
        run_forward(d, d->trig, CONTINUE_LIMIT, false);
    } else if (is(w, "until", "u", NULL)) {
        char err[600];
        gb_trig_set_init(d->tmp, d->rec);
        if (!*arg)
            fail_at(d, line, strlen(line), "until needs a condition");
        else if (gb_trig_add(d->tmp, arg, GB_TRIG_BREAK, err, sizeof err))
            fail(d, "error: %s\n", err);
        else
            run_forward(d, d->tmp, CONTINUE_LIMIT, true);
    } else if (is(w, "backstep", "bs", "rs")) {
        unsigned long n = parse_count(d, line, arg, 1, &ok);
        if (ok) cmd_backstep(d, n);
    } else if (is(w, "reverse-continue", "rc", NULL))
        cmd_reverse_continue(d);
    else if (is(w, "reverse-finish", "rf", NULL))
        cmd_reverse_finish(d);
    else if (is(w, "last-write", "lw", NULL))
        cmd_last_write(d, line, arg);
    else if (is(w, "last-change", "lc", NULL))
        cmd_last_change(d, line, arg);
    else if (is(w, "regs", "reg", "registers"))
        cmd_regs(d);
    else if (is(w, "x", NULL, NULL))
        cmd_x(d, line, arg);
    else if (is(w, "io", NULL, NULL))
        cmd_io(d);
    else if (is(w, "disasm", "dis", NULL))
        cmd_disasm(d, line, arg);
    else if (is(w, "bt", "backtrace", "where"))
        cmd_bt(d);
    else if (is(w, "ppu", NULL, NULL))
        cmd_ppu(d);
    else if (is(w, "trace", "t", NULL))
        cmd_trace(d, line, arg);
    else if (is(w, "dump", NULL, NULL))
        cmd_dump(d, line, arg);
    else if (is(w, "state", NULL, NULL))
        cmd_state(d, line, arg);
    else if (is(w, "checkpoints", NULL, NULL))
        cmd_ckpts(d);
    else if (is(w, "run-to-failure", "rtf", NULL))
        cmd_run_to_failure(d, line, arg);
    else if (is(w, "help", "h", "?"))
        say(d, "%s", help_text);
    else
        fail_at(d, line, wcol, "unknown command (help lists them)");
}

int dbg_command(dbg *d, const char *line_in, FILE *out) {
    char line[1024];
    snprintf(line, sizeof line, "%s", line_in);
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
        line[--l] = 0;
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '#') return 0;
    /* The command word, then its argument (kept in `line` for carets). */
    char word[64];
    size_t wn = strcspn(p, " \t");
    snprintf(word, sizeof word, "%.*s", (int)(wn < 63 ? wn : 63), p);
    const char *arg = p + wn;
    while (*arg == ' ' || *arg == '\t')
        arg++;
    if (is(word, "quit", "q", "exit")) return 1;
    d->ans = cJSON_CreateObject();
    d->tbuf = NULL;
    d->tlen = 0;
    d->txt = open_memstream(&d->tbuf, &d->tlen);
    d->failed = false;
    if (!d->ans || !d->txt) {
        fprintf(out, "error: out of memory\n");
        return 0;
    }
    cJSON_AddStringToObject(d->ans, "cmd", word);
    dispatch(d, line, word, (size_t)(p - line), arg);
    fclose(d->txt);
    d->txt = NULL;
    if (d->o.json) {
        cJSON_AddBoolToObject(d->ans, "ok", !d->failed);
        cJSON_AddStringToObject(d->ans, "text", d->tbuf ? d->tbuf : "");
        char *s = cJSON_PrintUnformatted(d->ans);
        if (s) fprintf(out, "%s\n", s);
        free(s);
    } else {
        fputs(d->tbuf ? d->tbuf : "", out);
    }
    fflush(out);
    free(d->tbuf);
    d->tbuf = NULL;
    cJSON_Delete(d->ans);
    d->ans = NULL;
    return 0;
}

dbg *dbg_create(const dbg_opts *o, char *err, size_t errlen) {
    dbg *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->o = *o;
    d->break_at = ~0ull;
    d->next_id = 1;
    int rc = rn_read_file(o->rom_path, &d->rom, &d->rom_size);
    if (rc) {
        snprintf(err, errlen, "%s: %s", o->rom_path, strerror(-rc));
        goto fail;
    }
    d->g = gb_create(d->rom, d->rom_size, NULL, err, errlen);
    if (!d->g) goto fail;
    d->ck = gb_ckpt_create(d->g, o->every_frames ? o->every_frames : 1,
                           o->max_bytes ? o->max_bytes : GB_CKPT_DEFAULT_BYTES, o->max_count, err,
                           errlen);
    if (!d->ck) goto fail;
    d->rec = ct_recorder_create(&gb_schema, RING_BYTES, 0, CT_OVERWRITE, err, errlen);
    if (!d->rec || ct_filter_apply(d->rec, GB_DEFAULT_FILTER, err, errlen)) goto fail;
    d->scan_rec = ct_recorder_create(&gb_schema, SCAN_RING_BYTES, 0, CT_OVERWRITE, err, errlen);
    if (!d->scan_rec || ct_filter_apply(d->scan_rec, "off", err, errlen)) goto fail;
    d->trig = malloc(sizeof *d->trig);
    d->tmp = malloc(sizeof *d->tmp);
    if (!d->trig || !d->tmp) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    gb_trig_set_init(d->trig, d->rec);
    gb_trig_set_init(d->tmp, d->rec);
    return d;
fail:
    dbg_destroy(d);
    return NULL;
}

void dbg_destroy(dbg *d) {
    if (!d) return;
    if (d->g) gb_trig_arm(d->g, NULL);
    gb_ckpt_destroy(d->ck);
    if (d->rec) ct_recorder_destroy(d->rec);
    if (d->scan_rec) ct_recorder_destroy(d->scan_rec);
    gb_destroy(d->g);
    free(d->trig);
    free(d->tmp);
    free(d->rom);
    free(d);
}
