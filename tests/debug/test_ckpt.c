/* The checkpoint ring (src/trace/ckpt.h) on synthetic blobs, and Game Boy
 * checkpoints (src/debug/gb_ckpt.h) on a synthesized ROM: every restore, also
 * across a ring wrap, re-runs exactly like a run from power-on; the bounds
 * hold over a long run. */
#include "check.h"
#include "testrom.h"

#include "debug/gb_ckpt.h"
#include "gb/gb.h"
#include "trace/ckpt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOB 10000u

static uint32_t rnd_state = 12345;
static uint32_t rnd(void) {
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

/* Blobs that change in a few places per step (like a machine's state
 * between frames); the ring must give each of the last `keep` back. */
static void ring_wrap(void) {
    enum { STEPS = 1000, KEEP = 50 };
    char err[200];
    ct_ckpt *c = ct_ckpt_create(BLOB, 64u << 20, KEEP, err, sizeof err);
    CHECK(c != NULL);
    if (!c) return;
    uint8_t(*hist)[BLOB] = calloc(STEPS, BLOB);
    uint8_t cur[BLOB] = {0}, out[BLOB];
    for (unsigned s = 0; s < STEPS; s++) {
        unsigned changes = rnd() % 40;
        for (unsigned i = 0; i < changes; i++)
            cur[rnd() % BLOB] = (uint8_t)rnd();
        if (s % 97 == 0) memset(cur + rnd() % (BLOB - 2000), (int)(rnd() & 0xFF), 2000);
        memcpy(hist[s], cur, BLOB);
        CHECK_EQ(ct_ckpt_push(c, 1000 + s * 10, s, cur), 0);
        CHECK(ct_ckpt_count(c) <= KEEP);
    }
    CHECK_EQ(ct_ckpt_count(c), KEEP);
    CHECK_EQ(ct_ckpt_evicted(c), STEPS - KEEP);
    int bad = 0;
    for (unsigned i = 0; i < KEEP; i++) {
        unsigned s = STEPS - KEEP + i;
        CHECK_EQ(ct_ckpt_stamp(c, i), 1000 + s * 10);
        CHECK_EQ(ct_ckpt_tag(c, i), s);
        CHECK_EQ(ct_ckpt_get(c, i, out), 0);
        if (memcmp(out, hist[s], BLOB)) bad++;
        if (i + 1 < KEEP) CHECK(ct_ckpt_stored(c, i) < BLOB / 2); /* deltas pay */
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(ct_ckpt_find(c, 1000 + (STEPS - 1) * 10 + 5), KEEP - 1);
    CHECK_EQ(ct_ckpt_find(c, 1000 + (STEPS - KEEP) * 10 + 9), 0);
    CHECK_EQ(ct_ckpt_find(c, 1000 + (STEPS - KEEP) * 10 - 1), -1);

    /* A push into the past (a rewound timeline) drops what came after. */
    unsigned s = STEPS - 10;
    CHECK_EQ(ct_ckpt_push(c, 1000 + s * 10, 777, hist[3]), 0);
    CHECK_EQ(ct_ckpt_count(c), KEEP - 9);
    CHECK_EQ(ct_ckpt_get(c, ct_ckpt_count(c) - 1, out), 0);
    CHECK(!memcmp(out, hist[3], BLOB));
    CHECK_EQ(ct_ckpt_get(c, ct_ckpt_count(c) - 2, out), 0);
    CHECK(!memcmp(out, hist[s - 1], BLOB));
    ct_ckpt_destroy(c);
    free(hist);
}

/* A byte bound: memory never above it, however long the run. */
static void ring_bytes(void) {
    char err[200];
    uint64_t bound = ct_ckpt_min_bytes(BLOB) + 40000;
    ct_ckpt *c = ct_ckpt_create(BLOB, bound, 0, err, sizeof err);
    CHECK(c != NULL);
    if (!c) return;
    CHECK(ct_ckpt_create(BLOB, ct_ckpt_min_bytes(BLOB) - 1, 0, err, sizeof err) == NULL);
    uint8_t cur[BLOB] = {0}, out[BLOB];
    uint64_t worst = 0;
    for (unsigned s = 0; s < 20000; s++) {
        for (unsigned i = 0; i < 1 + rnd() % 300; i++)
            cur[rnd() % BLOB] = (uint8_t)rnd();
        CHECK_EQ(ct_ckpt_push(c, s, 0, cur), 0);
        if (ct_ckpt_bytes(c) > worst) worst = ct_ckpt_bytes(c);
    }
    CHECK(worst <= bound);
    CHECK(ct_ckpt_count(c) > 2);
    CHECK_EQ(ct_ckpt_get(c, ct_ckpt_count(c) - 1, out), 0);
    CHECK(!memcmp(out, cur, BLOB));
    printf("byte bound %llu: worst %llu, %u entries kept\n", (unsigned long long)bound,
           (unsigned long long)worst, ct_ckpt_count(c));
    ct_ckpt_destroy(c);
}

/* Reads the joypad and DIV into WRAM in a loop, so inputs and timing show
 * in memory. */
/* Large all-zero areas (a machine state's unused serial log): the ring
 * compares them against zeros without reading its head; every change into
 * and out of zero, also when a run of changed blocks crosses into such an
 * area and after a push into the past, must give each blob back. */
static void zero_areas(void) {
    enum { SPANB = 2048, N = 8 * SPANB + 100, STEPS = 400 };
    char err[200];
    ct_ckpt *c = ct_ckpt_create(N, 64u << 20, 0, err, sizeof err);
    CHECK(c != NULL);
    uint8_t(*hist)[N] = calloc(STEPS, N);
    uint8_t *cur = calloc(1, N), *out = malloc(N);
    if (!c || !hist || !cur || !out) return;
    int bad = 0;
    for (unsigned s = 0; s < STEPS; s++) {
        switch (rnd() % 6) {
        case 0: cur[rnd() % N] = (uint8_t)(rnd() | 1); break;       /* one byte set */
        case 1: memset(cur + (rnd() % 8) * SPANB, 0, SPANB); break; /* a span cleared */
        case 2:
            cur[3 * SPANB - 1] ^= 0x5A;
            cur[3 * SPANB] ^= 0xA5;
            break;                        /* across a span edge */
        case 3: memset(cur, 0, N); break; /* all zero */
        case 4: memset(cur + rnd() % (N - 3000), (int)(rnd() | 1), 3000); break;
        default: break; /* unchanged */
        }
        if (s == 250) {
            /* Into the past: entries from step 200 on are dropped, the
             * head rebuilt from deltas. */
            CHECK_EQ(ct_ckpt_push(c, 10 + 200 * 10, 200, cur), 0);
            memcpy(hist[200], cur, N);
            for (unsigned i = 0; i < ct_ckpt_count(c); i++) {
                CHECK_EQ(ct_ckpt_get(c, i, out), 0);
                if (memcmp(out, hist[ct_ckpt_tag(c, i)], N)) bad++;
            }
            for (unsigned t = 201; t < 251; t++) {
                CHECK_EQ(ct_ckpt_push(c, 10 + t * 10, t, cur), 0);
                memcpy(hist[t], cur, N);
            }
            continue;
        }
        memcpy(hist[s], cur, N);
        CHECK_EQ(ct_ckpt_push(c, 10 + s * 10, s, cur), 0);
    }
    CHECK_EQ(ct_ckpt_count(c), STEPS);
    for (unsigned i = 0; i < ct_ckpt_count(c); i++) {
        CHECK_EQ(ct_ckpt_get(c, i, out), 0);
        if (memcmp(out, hist[ct_ckpt_tag(c, i)], N)) bad++;
    }
    CHECK_EQ(bad, 0);
    ct_ckpt_destroy(c);
    free(hist);
    free(cur);
    free(out);
}

/* gb_state_update (what checkpoints save with) writes the bytes
 * gb_state_save writes: while the serial log grows, after a load that
 * shortens it, and into a buffer that holds no state. */
static void state_update(void) {
    static const uint8_t code[] = {TESTROM_SEND('a'), TESTROM_SEND('b'), 0x18, 0xE2}; /* jr loop */
    static uint8_t r[TESTROM_SIZE];
    testrom_build(r, code, sizeof code);
    char err[200];
    gb *g = gb_create(r, sizeof r, NULL, err, sizeof err);
    CHECK(g != NULL);
    if (!g) return;
    const size_t n = gb_state_size(g);
    uint8_t *upd = calloc(1, n), *whole = malloc(n), *early = malloc(n);
    if (!upd || !whole || !early) return;
    int same = 0, steps = 0;
    size_t len_early = 0, len_late = 0, kept[2];
    for (int f = 0; f < 40; f++) {
        gb_run(g, 70224 / 4, 0);
        memset(whole, 0xA5, n); /* nothing left over */
        CHECK(gb_state_save(g, whole, n) > 0);
        uint8_t *before = malloc(n);
        if (before) memcpy(before, upd, n);
        CHECK(gb_state_update(g, upd, n, kept) > 0);
        same += !memcmp(upd, whole, n);
        /* What it says it left alone, it left alone. */
        if (f > 0 && before) {
            CHECK(kept[0] < kept[1] && kept[1] <= n);
            CHECK(!memcmp(upd + kept[0], before + kept[0], kept[1] - kept[0]));
        }
        free(before);
        steps++;
        if (f == 5) {
            memcpy(early, whole, n);
            gb_serial_output(g, &len_early);
        }
    }
    gb_serial_output(g, &len_late);
    CHECK(len_late > len_early && len_early > 0);
    /* Back to a shorter serial log. */
    CHECK_EQ(gb_state_load(g, early, n), 0);
    memset(whole, 0x5A, n);
    CHECK(gb_state_save(g, whole, n) > 0);
    CHECK(gb_state_update(g, upd, n, kept) > 0);
    same += !memcmp(upd, whole, n);
    steps++;
    /* Not a state: a whole save. */
    memset(upd, 0x77, n);
    CHECK(gb_state_update(g, upd, n, kept) > 0);
    same += !memcmp(upd, whole, n);
    steps++;
    CHECK_EQ(same, steps);
    printf("gb_state_update: %d of %d saves equal to gb_state_save (serial log %zu, then %zu "
           "bytes)\n",
           same, steps, len_early, len_late);
    free(upd);
    free(whole);
    free(early);
    gb_destroy(g);
}

static const uint8_t prog[] = {
    0x21, 0x00, 0xC0, /* ld hl,$C000 */
    0x3E, 0x20,       /* ld a,$20 */
    0xE0, 0x00,       /* ldh ($00),a */
    0xF0, 0x00,       /* ldh a,($00) */
    0x22,             /* ld (hl+),a */
    0xF0, 0x04,       /* ldh a,($04) */
    0x22,             /* ld (hl+),a */
    0x7C,             /* ld a,h */
    0xFE, 0xD0,       /* cp $D0 */
    0x20, 0xF1,       /* jr nz,$0153 */
    0x18, 0xEC,       /* jr $0150 */
};

static uint8_t rom[TESTROM_SIZE];

/* Buttons pressed at these cycles (not on frame boundaries). */
static const struct {
    uint64_t cycle;
    uint8_t pressed;
} presses[] = {{100000, 0x01}, {700001, 0x10}, {1500000, 0x00}, {2300003, 0x88}, {4000000, 0x02}};
#define NPRESS (sizeof presses / sizeof presses[0])

/* Run g to `until` with the presses applied at their cycles (plain gb_run). */
static void run_plain(gb *g, uint64_t until) {
    for (unsigned i = 0; i < NPRESS; i++) {
        if (presses[i].cycle < gb_cycles(g)) continue;
        if (presses[i].cycle > until) break;
        gb_run(g, presses[i].cycle - gb_cycles(g), 0);
        gb_set_buttons(g, presses[i].pressed);
    }
    if (until > gb_cycles(g)) gb_run(g, until - gb_cycles(g), 0);
}

static uint8_t *state_of(gb *g) {
    size_t n = gb_state_size(g);
    uint8_t *b = malloc(n);
    CHECK_EQ(gb_state_save(g, b, n), (long)n);
    return b;
}

static void gb_rerun(void) {
    char err[200];
    size_t size = testrom_build(rom, prog, sizeof prog);
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    gb *ref = gb_create(rom, size, NULL, err, sizeof err);
    CHECK(g && ref);
    if (!g || !ref) return;
    const size_t ssize = gb_state_size(g);
    /* Every frame, at most 20 kept: 90 frames wrap the ring. */
    gb_ckpt *k = gb_ckpt_create(g, 1, 64u << 20, 20, err, sizeof err);
    CHECK(k != NULL);
    if (!k) return;
    for (unsigned i = 0; i < NPRESS; i++) {
        gb_ckpt_run(k, g, presses[i].cycle - gb_cycles(g), 0);
        CHECK(gb_cycles(g) >= presses[i].cycle && gb_cycles(g) < presses[i].cycle + 32);
        gb_ckpt_buttons(k, g, presses[i].pressed);
    }
    const uint64_t end = 90 * 70224 + 123;
    gb_ckpt_run(k, g, end - gb_cycles(g), 0);
    CHECK(gb_cycles(g) >= end);
    const uint64_t stop = gb_cycles(g);
    uint8_t *final = state_of(g);
    const ct_ckpt *ring = gb_ckpt_ring(k);
    CHECK_EQ(ct_ckpt_count(ring), 20);
    CHECK(ct_ckpt_evicted(ring) > 0);

    /* Every checkpoint equals a power-on run to its cycle, and re-runs from
     * it to the end equal the first run. */
    int bad_ck = 0, bad_end = 0;
    for (unsigned i = 0; i < ct_ckpt_count(ring); i++) {
        CHECK_EQ(gb_ckpt_restore_index(k, g, i), 0);
        uint64_t at = gb_cycles(g);
        CHECK_EQ(at, ct_ckpt_stamp(ring, i));
        gb_reset(ref);
        run_plain(ref, at);
        CHECK_EQ(gb_cycles(ref), at);
        uint8_t *a = state_of(g), *b = state_of(ref);
        if (memcmp(a, b, ssize)) bad_ck++;
        free(a);
        free(b);
        gb_ckpt_run(k, g, stop - gb_cycles(g), 0);
        CHECK_EQ(gb_cycles(g), stop);
        a = state_of(g);
        if (memcmp(a, final, ssize)) bad_end++;
        free(a);
    }
    CHECK_EQ(bad_ck, 0);
    CHECK_EQ(bad_end, 0);
    /* The re-runs kept the ring as it was (the future still holds). */
    CHECK_EQ(ct_ckpt_count(ring), 20);

    /* Registers, cycle and memory of a restore + re-run against power-on,
     * through the public API, at a cycle between two checkpoints. */
    uint64_t mid = ct_ckpt_stamp(ring, 5) + 30001;
    CHECK_EQ(gb_ckpt_restore(k, g, mid, NULL), 0);
    CHECK_EQ(gb_cycles(g), ct_ckpt_stamp(ring, 5));
    gb_ckpt_run(k, g, mid - gb_cycles(g), 0);
    gb_reset(ref);
    run_plain(ref, mid);
    gb_regs r1, r2;
    gb_get_regs(g, &r1);
    gb_get_regs(ref, &r2);
    CHECK_EQ(gb_cycles(g), gb_cycles(ref));
    CHECK(!memcmp(&r1, &r2, sizeof r1));
    int diff = 0;
    for (unsigned a = 0; a < 0x10000; a++)
        diff += gb_peek(g, (uint16_t)a) != gb_peek(ref, (uint16_t)a);
    CHECK_EQ(diff, 0);
    CHECK_EQ(gb_ckpt_restore(k, g, 5, NULL), -ENOENT);

    /* A new input in the past starts a new timeline. */
    CHECK_EQ(gb_ckpt_restore_index(k, g, 3), 0);
    gb_ckpt_buttons(k, g, 0x40);
    CHECK_EQ(ct_ckpt_count(ring), 4);
    CHECK_EQ(gb_ckpt_inputs(k) <= NPRESS + 1, 1);
    free(final);
    gb_ckpt_destroy(k);
    gb_destroy(g);
    gb_destroy(ref);
}

/* A long run under a memory bound: the ring's memory never passes it. */
static void gb_bounds(void) {
    char err[200];
    size_t size = testrom_build(rom, prog, sizeof prog);
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    const uint64_t bound = 1u << 20;
    gb_ckpt *k = gb_ckpt_create(g, 1, bound, 0, err, sizeof err);
    CHECK(k != NULL);
    if (!k) return;
    uint64_t worst = 0;
    for (unsigned f = 0; f < 1500; f++) {
        gb_ckpt_run(k, g, 70224, 0);
        if (f % 100 == 7) gb_ckpt_buttons(k, g, (uint8_t)f);
        uint64_t b = ct_ckpt_bytes(gb_ckpt_ring(k));
        if (b > worst) worst = b;
    }
    CHECK(worst <= bound);
    CHECK(gb_ckpt_inputs(k) <= 15);
    printf("gb: 1500 frames, bound %llu, worst %llu, %u checkpoints kept (state %zu bytes)\n",
           (unsigned long long)bound, (unsigned long long)worst, ct_ckpt_count(gb_ckpt_ring(k)),
           gb_state_size(g));
    gb_ckpt_destroy(k);
    gb_destroy(g);
}

/* With the LCD off no frame ends: checkpoints still come every frame's
 * worth of cycles. */
static void gb_lcd_off(void) {
    static const uint8_t off[] = {0xAF, 0xE0, 0x40, 0x18, 0xFE}; /* xor a; ldh (LCDC),a; jr -2 */
    char err[200];
    size_t size = testrom_build(rom, off, sizeof off);
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    gb_ckpt *k = gb_ckpt_create(g, 2, 64u << 20, 0, err, sizeof err);
    CHECK(g && k);
    if (!g || !k) return;
    gb_ckpt_run(k, g, 20 * GB_CKPT_FRAME_CYCLES + 100, 0);
    CHECK(gb_frames(g) <= 1);
    CHECK_EQ(ct_ckpt_count(gb_ckpt_ring(k)), 9); /* power-on + every 2.5 frames' worth */
    gb_ckpt_destroy(k);
    gb_destroy(g);
}

int main(void) {
    gb_lcd_off();
    ring_wrap();
    zero_areas();
    state_update();
    ring_bytes();
    gb_rerun();
    gb_bounds();
    return test_result();
}
