/* `trace diff`: the first event where two traces part ways. Events are
 * matched by target.name and fields by name, so traces with different
 * schemas (another build, a .perfetto-trace read back with widened fields, a
 * log of instructions from another emulator) can be compared on what they
 * have in common. */
#include "ct_tools.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NO_MATCH 0xFFFF

/* One side of the comparison: the events kept (filter and common kinds) as
 * indices into the trace, time stamps in the common unit. */
typedef struct side {
    const ct_trace *t;
    const char *name;
    uint8_t keep[CT_MAX_EVENTS];
    uint16_t other[CT_MAX_EVENTS]; /* matching event id in the other schema */
    uint64_t *idx, n;
    uint64_t unit_hz; /* time stamps compared in these ticks */
} side;

static int find_event(const ct_schema *s, const ct_event_desc *d) {
    for (uint32_t i = 0; i < s->nevents; i++)
        if (!strcmp(s->events[i].target, d->target) && !strcmp(s->events[i].name, d->name))
            return (int)i;
    return -1;
}

/* Filter flags for `s`; a spec naming targets this schema lacks falls back
 * to the flags already made for the other schema, by event name. */
static int side_filter(side *x, const side *y, const char *spec, bool y_done, char *err,
                       size_t errlen) {
    const ct_schema *s = &x->t->schema;
    if (s->nevents > CT_MAX_EVENTS) {
        snprintf(err, errlen, "%s: more than %d event kinds", x->name, CT_MAX_EVENTS);
        return -EINVAL;
    }
    memset(x->keep, 1, sizeof x->keep);
    if (!spec) return 0;
    char e2[256];
    if (ct_filter_parse(s, spec, x->keep, e2, sizeof e2) == 0) return 0;
    if (!y_done) {
        snprintf(err, errlen, "--filter for %s: %s", x->name, e2);
        return -EINVAL;
    }
    for (uint32_t i = 0; i < s->nevents; i++) {
        int j = find_event(&y->t->schema, &s->events[i]);
        x->keep[i] = j >= 0 && y->keep[j];
    }
    return 0;
}

static int side_index(side *x, const side *y) {
    const ct_schema *s = &x->t->schema;
    for (uint32_t i = 0; i < s->nevents; i++) {
        int j = find_event(&y->t->schema, &s->events[i]);
        x->other[i] = j < 0 ? NO_MATCH : (uint16_t)j;
        if (j < 0) x->keep[i] = 0;
    }
    x->idx = malloc((x->t->nev ? x->t->nev : 1) * sizeof *x->idx);
    if (!x->idx) return -ENOMEM;
    x->n = 0;
    for (uint64_t i = 0; i < x->t->nev; i++) {
        uint16_t id = x->t->ev[i].id;
        if (id < s->nevents && x->keep[id]) x->idx[x->n++] = i;
    }
    return 0;
}

static uint64_t stamp(const side *x, uint64_t k) {
    return ct_ts_convert(x->t->ev[x->idx[k]].ts, x->t->schema.ts_hz, x->unit_hz);
}

static void put_value(FILE *f, uint8_t type, uint64_t v) {
    if (type == CT_T_U8)
        fprintf(f, "%02" PRIX64, v);
    else if (type == CT_T_U16)
        fprintf(f, "%04" PRIX64, v);
    else
        fprintf(f, "%" PRIu64, v);
}

/* Compare event k of a with event l of b; with `f`, list the differences. */
static bool same(const side *a, uint64_t k, const side *b, uint64_t l, bool stamps, FILE *f) {
    const ct_event *ea = &a->t->ev[a->idx[k]], *eb = &b->t->ev[b->idx[l]];
    bool eq = true;
    if (a->other[ea->id] != eb->id) {
        if (f) {
            const ct_event_desc *da = &a->t->schema.events[ea->id],
                                *db = &b->t->schema.events[eb->id];
            fprintf(f, "  event: %s.%s vs %s.%s\n", da->target, da->name, db->target, db->name);
        }
        return false;
    }
    if (stamps && stamp(a, k) != stamp(b, l)) {
        eq = false;
        if (f) {
            int64_t d = (int64_t)(stamp(b, l) - stamp(a, k));
            fprintf(f, "  time: %" PRIu64 " vs %" PRIu64 " (%+" PRId64 ")\n", stamp(a, k),
                    stamp(b, l), d);
        }
    }
    const ct_event_desc *da = &a->t->schema.events[ea->id], *db = &b->t->schema.events[eb->id];
    for (unsigned i = 0; i < da->nfields; i++) {
        int j = ct_field_index(db, da->fields[i].name);
        if (j < 0) continue;
        uint64_t va = ct_field_u64(da, i, ea->payload),
                 vb = ct_field_u64(db, (unsigned)j, eb->payload);
        if (da->fields[i].type == CT_T_STR) {
            const char *sa = va < a->t->nstrings ? a->t->strings[va] : NULL;
            const char *sb = vb < b->t->nstrings ? b->t->strings[vb] : NULL;
            if (sa && sb ? !strcmp(sa, sb) : sa == sb) continue;
            eq = false;
            if (f)
                fprintf(f, "  %s: \"%s\" vs \"%s\"\n", da->fields[i].name, sa ? sa : "?",
                        sb ? sb : "?");
            continue;
        }
        if (va == vb) continue;
        eq = false;
        if (f) {
            fprintf(f, "  %s: ", da->fields[i].name);
            put_value(f, da->fields[i].type, va);
            fputs(" vs ", f);
            put_value(f, da->fields[i].type, vb);
            fputc('\n', f);
        }
    }
    return eq;
}

/* Where x's start lies in y: of the places where x's first SYNC events (or
 * all, when fewer) appear in a row, the one that then agrees longest (a
 * loop repeats the same few states, so the first such place may be an
 * earlier iteration). */
enum { SYNC = 32 };
/* Event comparisons the search may spend (a long loop of identical states
 * offers a candidate per iteration): then the best place so far is used. */
#define SYNC_BUDGET 50000000u
static bool find_run(const side *x, const side *y, uint64_t *at) {
    uint64_t k = x->n < SYNC ? x->n : SYNC, best = 0, budget = SYNC_BUDGET;
    bool found = false;
    for (uint64_t p = 1; p + k <= y->n && budget; p++) {
        uint64_t q = 0;
        while (q < x->n && p + q < y->n && budget && same(x, q, y, p + q, false, NULL)) {
            q++;
            budget--;
        }
        if (budget) budget--;
        if (q < k || q <= best) continue;
        best = q;
        *at = p;
        found = true;
        if (q == x->n || p + q == y->n) break; /* agrees to the end */
    }
    return found;
}

static void line(FILE *f, const char *mark, const side *x, uint64_t k, const ct_view_opts *v) {
    char buf[1024];
    ct_event_text(x->t, &x->t->ev[x->idx[k]], v, buf, sizeof buf);
    fprintf(f, "%s #%-8" PRIu64 " %s\n", mark, x->idx[k], buf);
}

int ct_trace_diff(FILE *f, const ct_trace *ta, const ct_trace *tb, const ct_diff_opts *o, char *err,
                  size_t errlen) {
    side *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    int rc = -ENOMEM;
    if (err && errlen) err[0] = 0;
    if (!a || !b) goto out;
    a->t = ta;
    b->t = tb;
    a->name = o->name_a ? o->name_a : "A";
    b->name = o->name_b ? o->name_b : "B";
    bool a_ok = side_filter(a, b, o->filter, false, err, errlen) == 0;
    if ((rc = side_filter(b, a, o->filter, a_ok, err, errlen)) != 0) goto out;
    if (!a_ok && (rc = side_filter(a, b, o->filter, true, err, errlen)) != 0) goto out;
    if ((rc = side_index(a, b)) != 0 || (rc = side_index(b, a)) != 0) goto out;

    ct_align al = o->align;
    bool clocks = ta->schema.ts_hz && tb->schema.ts_hz;
    if (al == CT_ALIGN_AUTO) al = clocks ? CT_ALIGN_CYCLES : CT_ALIGN_ORDER;
    if (al == CT_ALIGN_CYCLES && !clocks) {
        snprintf(err, errlen, "%s has no time stamps: align on order",
                 ta->schema.ts_hz ? b->name : a->name);
        rc = -EINVAL;
        goto out;
    }
    /* Compare in the coarser clock when the two differ (a .perfetto-trace
     * read back is in ns, rounded: its stamps go back to exact cycles). */
    uint64_t hz = ta->schema.ts_hz < tb->schema.ts_hz ? ta->schema.ts_hz : tb->schema.ts_hz;
    a->unit_hz = b->unit_hz = hz;

    /* Event kinds compared. */
    unsigned kinds = 0, left_out = 0;
    for (uint32_t i = 0; i < ta->schema.nevents; i++) {
        if (a->keep[i])
            kinds++;
        else if (a->other[i] == NO_MATCH)
            left_out++;
    }
    if (!kinds) {
        snprintf(err, errlen,
                 "nothing to compare: no event kind is both selected and declared by both "
                 "traces");
        rc = -EINVAL;
        goto out;
    }
    fprintf(f, "A: %s (%" PRIu64 " events, %" PRIu64 " compared)\n", a->name, ta->nev, a->n);
    fprintf(f, "B: %s (%" PRIu64 " events, %" PRIu64 " compared)\n", b->name, tb->nev, b->n);
    fprintf(f, "compared: %u event kinds", kinds);
    if (left_out) fprintf(f, " (%u kinds of A not in B's schema left out)", left_out);
    fputc('\n', f);

    uint64_t i = 0, j = 0;
    if (al == CT_ALIGN_CYCLES) {
        uint64_t start = 0;
        if (a->n && b->n) start = stamp(a, 0) > stamp(b, 0) ? stamp(a, 0) : stamp(b, 0);
        while (i < a->n && stamp(a, i) < start)
            i++;
        while (j < b->n && stamp(b, j) < start)
            j++;
        fprintf(f,
                "aligned on cycle stamps: from %" PRIu64 " (the later first stamp; A skips %" PRIu64
                ", B skips %" PRIu64 " events)\n",
                ct_ts_convert(start, hz, o->view.out_hz ? o->view.out_hz : hz), i, j);
    } else {
        fprintf(f, "aligned on instruction order: events paired in sequence, time stamps not "
                   "compared\n");
        /* A flight recorder keeps the end of a run: when the first events
         * differ, look for one trace's first SYNC events inside the other
         * and start there. */
        if (a->n && b->n && !same(a, 0, b, 0, false, NULL)) {
            uint64_t at;
            if (find_run(a, b, &at)) {
                j = at;
                fprintf(f,
                        "  A starts later: its first events found at B #%" PRIu64
                        ", compared from there\n",
                        b->idx[at]);
            } else if (find_run(b, a, &at)) {
                i = at;
                fprintf(f,
                        "  B starts later: its first events found at A #%" PRIu64
                        ", compared from there\n",
                        a->idx[at]);
            }
        }
    }
    const uint64_t i0 = i;
    bool stamps = al == CT_ALIGN_CYCLES;
    while (i < a->n && j < b->n && same(a, i, b, j, stamps, NULL)) {
        i++;
        j++;
    }
    if (i == a->n && j == b->n) {
        fprintf(f, "no difference: %" PRIu64 " events equal\n", i - i0);
        rc = 0;
        goto out;
    }
    fprintf(f,
            "\nfirst difference after %" PRIu64 " equal events: A #%" PRIu64 ", B #%" PRIu64 "\n",
            i - i0, i < a->n ? a->idx[i] : ta->nev, j < b->n ? b->idx[j] : tb->nev);
    unsigned c = o->context;
    for (uint64_t k = (i - i0 > c ? i - c : i0); k < i; k++)
        line(f, " ", a, k, &o->view);
    if (i < a->n)
        line(f, "-", a, i, &o->view);
    else
        fprintf(f, "- (A ends here)\n");
    if (j < b->n)
        line(f, "+", b, j, &o->view);
    else
        fprintf(f, "+ (B ends here)\n");
    if (i < a->n && j < b->n) {
        fputs("what differs (A vs B):\n", f);
        same(a, i, b, j, stamps, f);
    }
    if (c) {
        fprintf(f, "after it:\n");
        for (uint64_t k = i + 1; k < a->n && k <= i + c; k++)
            line(f, "-", a, k, &o->view);
        for (uint64_t k = j + 1; k < b->n && k <= j + c; k++)
            line(f, "+", b, k, &o->view);
    }
    rc = 1;
out:
    if (a) free(a->idx);
    if (b) free(b->idx);
    free(a);
    free(b);
    if (rc == -ENOMEM && err && !err[0]) snprintf(err, errlen, "out of memory");
    return rc;
}
