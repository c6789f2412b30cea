/* Full-detail replays of trigger snapshots (run_replay.h). */
#define _POSIX_C_SOURCE 200809L
#include "run_replay.h"

#include "../gb/gb_events.h"
#include "../runner/runner.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The replay's ring: every event at trace level for a window of a few
 * frames (the default ring's reach) is tens of MB. */
#define REPLAY_RING_BYTES (64u << 20)

struct run_replay {
    gb_ckpt *ck;
    gb *other; /* the machine that re-runs */
    unsigned seen;
    bool from_power_on;
};

run_replay *run_replay_create(gb *g, const char *rom_path, const uint8_t *boot, size_t boot_size,
                              bool from_power_on, char *err, size_t errlen) {
    run_replay *r = calloc(1, sizeof *r);
    uint8_t *rom = NULL;
    size_t size = 0;
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->from_power_on = from_power_on;
    char rerr[160];
    if (rn_read_rom(rom_path, &rom, &size, rerr, sizeof rerr)) {
        snprintf(err, errlen, "%s: %s", rom_path, rerr);
        goto fail;
    }
    gb_config cfg = {.model = GB_MODEL_DMG, .boot_rom = boot, .boot_rom_size = boot_size};
    r->other = gb_create(rom, size, &cfg, err, errlen);
    free(rom);
    if (!r->other) goto fail;
    /* From power-on: one checkpoint (the first, taken now), none after. */
    r->ck = gb_ckpt_create(g, from_power_on ? 0 : 1, GB_CKPT_DEFAULT_BYTES, 0, err, errlen);
    if (!r->ck) goto fail;
    return r;
fail:
    run_replay_destroy(r);
    return NULL;
}

void run_replay_destroy(run_replay *r) {
    if (!r) return;
    gb_ckpt_destroy(r->ck);
    if (r->other) gb_destroy(r->other);
    free(r);
}

unsigned run_replay_run(run_replay *r, gb *g, uint64_t max_cycles, unsigned stop_mask) {
    return gb_ckpt_run(r->ck, g, max_cycles, stop_mask);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The snapshot trigger.c wrote as number n: BASE.NNNN.EXT; ours is
 * BASE.NNNN.full.EXT. */
static void names(const gb_trig_set *s, unsigned n, char *snap, char *full, size_t len) {
    const char *base = s->dump_base[0] ? s->dump_base : "trigger.perfetto-trace";
    const char *dot = strrchr(base, '.');
    const char *slash = strrchr(base, '/');
    if (!dot || (slash && dot < slash)) dot = base + strlen(base);
    snprintf(snap, len, "%.*s.%04u%s", (int)(dot - base), base, n, dot);
    snprintf(full, len, "%.*s.%04u.full%s", (int)(dot - base), base, n, dot);
}

static bool same_regs(const gb_regs *x, const gb_regs *y) {
    return x->a == y->a && x->f == y->f && x->b == y->b && x->c == y->c && x->d == y->d &&
           x->e == y->e && x->h == y->h && x->l == y->l && x->sp == y->sp && x->pc == y->pc &&
           x->ime == y->ime && x->halted == y->halted;
}

bool run_replay_after(run_replay *r, gb *g, gb_trig_set *trig, const char *prog) {
    if (!trig || trig->dumps_written == r->seen) return false;
    r->seen = trig->dumps_written;
    char snap[700], full[720];
    names(trig, r->seen, snap, full, sizeof snap);
    /* The snapshot's window: from where every ring still holds all it
     * recorded (the instructions' ring: the rare events' ring reaches
     * further back) to now. */
    const uint64_t to = gb_cycles(g);
    uint64_t lo = ct_recorder_written(trig->rec) ? ct_recorder_common_start(trig->rec) : to;
    char err[300];
    ct_recorder *rec =
        ct_recorder_create(&gb_schema, REPLAY_RING_BYTES, 0, CT_OVERWRITE, err, sizeof err);
    if (!rec || ct_filter_apply(rec, "trace", err, sizeof err)) {
        fprintf(stderr, "%s: full-detail replay of %s: %s\n", prog, snap, err);
        if (rec) ct_recorder_destroy(rec);
        return true;
    }
    ct_recorder_window(rec, lo, ~(uint64_t)0);
    gb_set_recorder(r->other, rec);
    uint64_t start = 0;
    double t0 = now_s();
    int rc = gb_ckpt_replay(r->ck, r->other, lo, to, &start);
    double secs = now_s() - t0;
    gb_set_recorder(r->other, NULL);
    if (rc) {
        fprintf(stderr, "%s: full-detail replay of %s: %s\n", prog, snap,
                rc == -ENOENT ? "the window is older than the oldest checkpoint" : strerror(-rc));
        ct_recorder_destroy(rec);
        return true;
    }
    gb_regs a, b;
    gb_get_regs(g, &a);
    gb_get_regs(r->other, &b);
    bool same = gb_cycles(r->other) == to && same_regs(&a, &b);
    ct_dump_opts o = trig->dump_opts;
    rc = ct_dump(rec, full, &o);
    char from[64] = "power-on";
    if (start)
        snprintf(from, sizeof from, "the checkpoint at cycle %llu", (unsigned long long)start);
    if (rc)
        fprintf(stderr, "%s: full-detail replay %s: %s\n", prog, full, strerror(-rc));
    else
        fprintf(stderr,
                "%s: %s replayed in full detail from %s: cycles %llu..%llu, %llu events, "
                "%.3f s, %s: %s\n",
                prog, snap, from, (unsigned long long)lo, (unsigned long long)to,
                (unsigned long long)ct_recorder_written(rec), secs,
                same ? "reproduced" : "NOT reproduced (registers differ)", full);
    ct_recorder_destroy(rec);
    return true;
}
