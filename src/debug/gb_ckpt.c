/* Checkpoints of a Game Boy run (ckpt.h). */
#include "gb_ckpt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct input {
    uint64_t cycle;
    uint8_t pressed;
} input;

struct gb_ckpt {
    ct_ckpt *ring;
    uint8_t *buf;  /* one state (whole saves, restores) */
    bool tracking; /* the ring's newest entry is the machine's state at its
                      baseline (gb_state_changes): a take pushes the changes */
    gb_state_part parts[GB_STATE_PARTS_MAX];
    ct_ckpt_part cparts[GB_STATE_PARTS_MAX];
    size_t size;
    unsigned every;
    uint64_t next_frame; /* frame count at which the next one is taken */
    uint64_t next_cycle; /* ... or this cycle, whichever comes first (LCD off: no frames) */
    input *in;           /* joypad changes, in cycle order */
    size_t nin, capin;
    size_t in_next; /* first change not applied yet */
};

/* The cycle by which the next checkpoint is due when no frame ends: half a
 * frame later than the frame would have ended, so with the LCD on the frame
 * end always comes first (one checkpoint per interval, not two). */
static uint64_t deadline(const gb_ckpt *k, const gb *g) {
    return gb_cycles(g) + (uint64_t)k->every * GB_CKPT_FRAME_CYCLES + GB_CKPT_FRAME_CYCLES / 2;
}

gb_ckpt *gb_ckpt_create(gb *g, unsigned every_frames, uint64_t max_bytes, unsigned max_count,
                        char *err, size_t errlen) {
    gb_ckpt *k = calloc(1, sizeof *k);
    if (!k) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->size = gb_state_size(g);
    k->every = every_frames;
    k->buf = malloc(k->size);
    k->ring = k->buf ? ct_ckpt_create(k->size, max_bytes, max_count, err, errlen) : NULL;
    if (!k->ring || gb_ckpt_take(k, g, 0)) {
        if (k->ring && err && errlen) snprintf(err, errlen, "cannot take a checkpoint");
        if (!k->buf && err && errlen) snprintf(err, errlen, "out of memory");
        gb_ckpt_destroy(k);
        return NULL;
    }
    return k;
}

void gb_ckpt_destroy(gb_ckpt *k) {
    if (!k) return;
    ct_ckpt_destroy(k->ring);
    free(k->buf);
    free(k->in);
    free(k);
}

/* Push what changed since the newest entry (which the machine's baseline
 * is): -ESTALE when the changes are not known, so the whole state must go. */
static int take_changes(gb_ckpt *k, gb *g, uint64_t tag) {
    unsigned n = ct_ckpt_count(k->ring);
    if (!k->tracking || !n || ct_ckpt_stamp(k->ring, n - 1) >= gb_cycles(g)) return -ESTALE;
    long np = gb_state_changes(g, k->parts, GB_STATE_PARTS_MAX);
    if (np < 0) return -ESTALE;
    for (long i = 0; i < np; i++)
        k->cparts[i] = (ct_ckpt_part){k->parts[i].off, k->parts[i].len, k->parts[i].src};
    /* The baseline moved to the present: the ring must follow, or the
     * next take cannot rely on it. */
    int rc = ct_ckpt_push_parts(k->ring, gb_cycles(g), tag, k->cparts, (unsigned)np);
    k->tracking = rc == 0;
    return rc;
}

int gb_ckpt_take(gb_ckpt *k, gb *g, uint64_t tag) {
    int rc = take_changes(k, g, tag);
    if (rc == -ESTALE) {
        long n = gb_state_save(g, k->buf, k->size);
        if (n < 0) return (int)n;
        rc = ct_ckpt_push(k->ring, gb_cycles(g), tag, k->buf);
        k->tracking = rc == 0;
        if (!rc) gb_state_baseline(g);
    }
    if (rc) return rc;
    k->next_frame = gb_frames(g) + k->every;
    k->next_cycle = deadline(k, g);
    /* Inputs older than the oldest checkpoint can never be replayed. */
    uint64_t oldest = ct_ckpt_stamp(k->ring, 0);
    size_t drop = 0;
    while (drop < k->in_next && k->in[drop].cycle < oldest)
        drop++;
    if (drop) {
        memmove(k->in, k->in + drop, (k->nin - drop) * sizeof *k->in);
        k->nin -= drop;
        k->in_next -= drop;
    }
    return 0;
}

unsigned gb_ckpt_run(gb_ckpt *k, gb *g, uint64_t max_cycles, unsigned stop_mask) {
    const uint64_t start = gb_cycles(g);
    const uint64_t until = max_cycles > UINT64_MAX - start ? UINT64_MAX : start + max_cycles;
    const unsigned mask = stop_mask | (k->every ? GB_STOP_FRAME : 0);
    for (;;) {
        uint64_t now = gb_cycles(g);
        while (k->in_next < k->nin && k->in[k->in_next].cycle <= now)
            gb_set_buttons(g, k->in[k->in_next++].pressed);
        uint64_t target = until;
        if (k->in_next < k->nin && k->in[k->in_next].cycle < target)
            target = k->in[k->in_next].cycle;
        if (k->every && k->next_cycle < target) target = k->next_cycle;
        unsigned bits = target > now ? gb_run(g, target - now, mask) : 0;
        /* Re-running the past (after a restore) meets the checkpoints it
         * took the first time: they still hold, keep them. */
        if (k->every && (((bits & GB_STOP_FRAME) && gb_frames(g) >= k->next_frame) ||
                         gb_cycles(g) >= k->next_cycle)) {
            unsigned n = ct_ckpt_count(k->ring);
            if (!n || gb_cycles(g) > ct_ckpt_stamp(k->ring, n - 1))
                gb_ckpt_take(k, g, 0);
            else {
                k->next_frame = gb_frames(g) + k->every;
                k->next_cycle = deadline(k, g);
            }
        }
        unsigned mine = bits & stop_mask & ~(unsigned)GB_STOP_LIMIT;
        if (bits & GB_STOP_REQUEST) mine |= GB_STOP_REQUEST;
        if (gb_cycles(g) >= until) return mine | GB_STOP_LIMIT;
        if (mine) return mine;
    }
}

/* A new timeline from the present on. */
static void cut_future(gb_ckpt *k, gb *g) {
    uint64_t now = gb_cycles(g);
    k->tracking = false;
    while (k->nin && k->in[k->nin - 1].cycle >= now)
        k->nin--;
    if (k->in_next > k->nin) k->in_next = k->nin;
    int keep = ct_ckpt_find(k->ring, now);
    if (keep >= 0 && ct_ckpt_stamp(k->ring, (unsigned)keep) == now) keep--;
    ct_ckpt_truncate(k->ring, keep);
}

void gb_ckpt_buttons(gb_ckpt *k, gb *g, uint8_t pressed) {
    int i = ct_ckpt_find(k->ring, gb_cycles(g));
    bool had = i >= 0 && ct_ckpt_stamp(k->ring, (unsigned)i) == gb_cycles(g);
    cut_future(k, g);
    gb_set_buttons(g, pressed);
    if (k->nin == k->capin) {
        size_t cap = k->capin ? k->capin * 2 : 64;
        input *in = realloc(k->in, cap * sizeof *in);
        if (!in) return; /* applied, not logged: a later re-run would differ */
        k->in = in;
        k->capin = cap;
    }
    k->in[k->nin].cycle = gb_cycles(g);
    k->in[k->nin].pressed = pressed;
    k->nin++;
    k->in_next = k->nin;
    /* The checkpoint of this cycle (if any) was dropped: take it again with
     * the new buttons, so restoring it needs no input from the log. */
    if (had || ct_ckpt_count(k->ring) == 0) gb_ckpt_take(k, g, 0);
}

int gb_ckpt_restore_index(gb_ckpt *k, gb *g, unsigned i) {
    if (i >= ct_ckpt_count(k->ring)) return -ENOENT;
    k->tracking = false;
    int rc = ct_ckpt_get(k->ring, i, k->buf);
    if (!rc) rc = gb_state_load(g, k->buf, k->size);
    if (rc) return rc;
    uint64_t now = gb_cycles(g);
    k->in_next = 0;
    while (k->in_next < k->nin && k->in[k->in_next].cycle <= now)
        k->in_next++;
    k->next_frame = gb_frames(g) + k->every;
    k->next_cycle = deadline(k, g);
    return 0;
}

int gb_ckpt_restore(gb_ckpt *k, gb *g, uint64_t cycle, uint64_t *tag) {
    int i = ct_ckpt_find(k->ring, cycle);
    if (i < 0) return -ENOENT;
    if (tag) *tag = ct_ckpt_tag(k->ring, (unsigned)i);
    return gb_ckpt_restore_index(k, g, (unsigned)i);
}

int gb_ckpt_replay(gb_ckpt *k, gb *other, uint64_t from, uint64_t to, uint64_t *start) {
    int i = ct_ckpt_find(k->ring, from);
    if (i < 0) return -ENOENT;
    int rc = ct_ckpt_get(k->ring, (unsigned)i, k->buf);
    if (!rc) rc = gb_state_load(other, k->buf, k->size);
    if (rc) return rc;
    if (start) *start = gb_cycles(other);
    size_t in = 0;
    while (in < k->nin && k->in[in].cycle <= gb_cycles(other))
        in++;
    while (gb_cycles(other) < to) {
        uint64_t now = gb_cycles(other), target = to;
        while (in < k->nin && k->in[in].cycle <= now)
            gb_set_buttons(other, k->in[in++].pressed);
        if (in < k->nin && k->in[in].cycle < target) target = k->in[in].cycle;
        gb_run(other, target - now, 0);
    }
    return 0;
}

int gb_ckpt_rebase(gb_ckpt *k, gb *g) {
    k->nin = k->in_next = 0;
    k->tracking = false;
    ct_ckpt_truncate(k->ring, -1);
    return gb_ckpt_take(k, g, 0);
}

const ct_ckpt *gb_ckpt_ring(const gb_ckpt *k) {
    return k->ring;
}

size_t gb_ckpt_inputs(const gb_ckpt *k) {
    return k->nin;
}
