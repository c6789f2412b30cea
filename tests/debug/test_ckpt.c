/* The checkpoint ring (src/trace/ckpt.h) on synthetic blobs, and Game Boy
 * checkpoints (src/debug/gb_ckpt.h) on a synthesized ROM: every restore, also
 * across a ring wrap, re-runs exactly like a run from power-on; the bounds
 * hold over a long run. */
#include "check.h"
#include "testrom.h"

#include "debug/gb_ckpt.h"
#include "gb/gb.h"
#include "gb/gb_events.h"
#include "trace/ct_host.h"
#include "trace/ckpt.h"

#include <errno.h>
#include <stdio.h>
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

/* Whole blobs with large all-zero areas (a machine state's unused serial
 * log): every change into and out of zero, also when a run of changed
 * blocks crosses 512-byte compare chunks and after a push into the past,
 * must give each blob back. */
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

/* A ROM that changes a bit of everything a checkpoint tracks: WRAM (a walk
 * over all of it, and writes through the echo at $E000 and $F000), VRAM,
 * cartridge RAM, HRAM, OAM (DMA from VRAM every 64 turns, with a serial
 * byte sent), and the LCD turned off and on every 2048 turns (about 5
 * frames), so frames end, or do not, between two checkpoints. */
static const uint8_t busy[] = {
    0x21, 0x00, 0xC0, /* 0150 ld hl,$C000 */
    0x06, 0x00,       /* 0153 ld b,0 */
    0x0E, 0x00,       /* 0155 ld c,0 */
    0x78,             /* 0157 ld a,b */
    0x22,             /* 0158 ld (hl+),a */
    0xEA, 0x23, 0xF1, /* 0159 ld ($F123),a */
    0xEA, 0x56, 0xE4, /* 015C ld ($E456),a */
    0xEA, 0x00, 0x88, /* 015F ld ($8800),a */
    0xEA, 0x10, 0x9C, /* 0162 ld ($9C10),a */
    0xEA, 0x10, 0xA0, /* 0165 ld ($A010),a */
    0xE0, 0x80,       /* 0168 ldh ($80),a */
    0x04,             /* 016A inc b */
    0x7C,             /* 016B ld a,h */
    0xFE, 0xE0,       /* 016C cp $E0 */
    0x20, 0x02,       /* 016E jr nz,$0172 */
    0x26, 0xC0,       /* 0170 ld h,$C0 */
    0x78,             /* 0172 ld a,b */
    0xE6, 0x3F,       /* 0173 and $3F */
    0x20, 0x0B,       /* 0175 jr nz,$0182 */
    0x3E, 0x88,       /* 0177 ld a,$88 */
    0xE0, 0x46,       /* 0179 ldh (DMA),a */
    0x78,             /* 017B ld a,b */
    0xE0, 0x01,       /* 017C ldh (SB),a */
    0x3E, 0x81,       /* 017E ld a,$81 */
    0xE0, 0x02,       /* 0180 ldh (SC),a */
    0x78,             /* 0182 ld a,b */
    0xB7,             /* 0183 or a */
    0x20, 0x0C,       /* 0184 jr nz,$0192 */
    0x0C,             /* 0186 inc c */
    0x79,             /* 0187 ld a,c */
    0xE6, 0x07,       /* 0188 and 7 */
    0x20, 0x06,       /* 018A jr nz,$0192 */
    0xF0, 0x40,       /* 018C ldh a,(LCDC) */
    0xEE, 0x80,       /* 018E xor $80 */
    0xE0, 0x40,       /* 0190 ldh (LCDC),a */
    0x18, 0xC3,       /* 0192 jr $0157 */
};

static size_t busy_rom(uint8_t *r) {
    size_t n = testrom_build(r, busy, sizeof busy);
    r[0x147] = 0x08; /* ROM + RAM */
    r[0x149] = 0x02; /* 8 KiB */
    testrom_fix_checksum(r);
    return n;
}

/* gb_state_changes on machine g: a copy of the baseline's state with the
 * parts applied must equal a whole save, after runs that end at a frame,
 * mid-frame, after several frames, or after one M-cycle. Returns the
 * average of bytes listed per call. */
static double changes_run(gb *g, unsigned steps, int *bad) {
    const size_t n = gb_state_size(g);
    uint8_t *mirror = malloc(n), *whole = malloc(n);
    static gb_state_part parts[GB_STATE_PARTS_MAX];
    double listed = 0;
    if (!mirror || !whole) return 0;
    CHECK_EQ(gb_state_save(g, mirror, n), (long)n);
    gb_state_baseline(g);
    for (unsigned st = 0; st < steps; st++) {
        switch (rnd() % 4) {
        case 0: gb_run(g, 3 * 70224, GB_STOP_FRAME); break;
        case 1: gb_run(g, rnd() % 100000 + 1, 0); break;
        case 2: gb_run(g, (rnd() % 4) * 70224 + rnd() % 70224 + 1, 0); break;
        default: gb_run(g, 4, 0); break;
        }
        long np = gb_state_changes(g, parts, GB_STATE_PARTS_MAX);
        CHECK(np > 0);
        for (long i = 0; i < np; i++) {
            CHECK(parts[i].off + parts[i].len <= n && (i == 0 || parts[i].off >= parts[i - 1].off));
            memcpy(mirror + parts[i].off, parts[i].src, parts[i].len);
            listed += (double)parts[i].len;
        }
        CHECK_EQ(gb_state_save(g, whole, n), (long)n);
        if (memcmp(mirror, whole, n)) {
            size_t at = 0;
            while (mirror[at] == whole[at])
                at++;
            if (!*bad) printf("step %u: state differs first at byte %zu\n", st, at);
            (*bad)++;
        }
    }
    free(mirror);
    free(whole);
    return listed / steps;
}

/* What gb_state_changes lists covers every byte that changed, and is much
 * less than the state; no baseline after a load or a reset. */
static void state_changes(void) {
    static uint8_t r[TESTROM_SIZE];
    size_t size = busy_rom(r);
    char err[200];
    gb *g = gb_create(r, size, NULL, err, sizeof err);
    CHECK(g != NULL);
    if (!g) return;
    static gb_state_part parts[GB_STATE_PARTS_MAX];
    CHECK_EQ(gb_state_changes(g, parts, GB_STATE_PARTS_MAX), -ESTALE);
    int bad = 0;
    double avg = changes_run(g, 400, &bad);
    CHECK_EQ(bad, 0);
    size_t serial = 0;
    gb_serial_output(g, &serial);
    CHECK(gb_frames(g) > 20 && serial > 10);
    CHECK(avg < gb_state_size(g) / 3.0);
    printf("gb_state_changes: 400 runs equal to a whole save, %.0f of %zu bytes listed on "
           "average (%llu frames, %zu serial bytes)\n",
           avg, gb_state_size(g), (unsigned long long)gb_frames(g), serial);
    /* Loaded or reset: no baseline. */
    const size_t n = gb_state_size(g);
    uint8_t *b = malloc(n);
    CHECK_EQ(gb_state_save(g, b, n), (long)n);
    CHECK_EQ(gb_state_load(g, b, n), 0);
    CHECK_EQ(gb_state_changes(g, parts, GB_STATE_PARTS_MAX), -ESTALE);
    gb_state_baseline(g);
    gb_run(g, 1000, 0);
    CHECK(gb_state_changes(g, parts, GB_STATE_PARTS_MAX) > 0);
    gb_reset(g);
    CHECK_EQ(gb_state_changes(g, parts, GB_STATE_PARTS_MAX), -ESTALE);
    free(b);
    gb_destroy(g);

    /* Real ROMs when at hand: a text screen with serial output, and a
     * picture drawn with objects. */
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    static const char *const real[] = {"blargg/cpu_instrs/cpu_instrs.gb", "dmg-acid2/dmg-acid2.gb"};
    for (unsigned i = 0; roms && i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", roms, real[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            printf("SKIP part: %s not found\n", path);
            continue;
        }
        static uint8_t big[1 << 20];
        size_t len = fread(big, 1, sizeof big, f);
        fclose(f);
        g = gb_create(big, len, NULL, err, sizeof err);
        CHECK(g != NULL);
        if (!g) continue;
        bad = 0;
        avg = changes_run(g, 150, &bad);
        CHECK_EQ(bad, 0);
        printf("gb_state_changes on %s: %.0f bytes listed on average\n", real[i], avg);
        gb_destroy(g);
    }
}

/* Pushing parts: only the parts change, also when two parts share a
 * 32-byte block; every entry comes back. */
static void ring_parts(void) {
    enum { N = 5000, STEPS = 300 };
    char err[200];
    ct_ckpt *c = ct_ckpt_create(N, 64u << 20, 0, err, sizeof err);
    CHECK(c != NULL);
    uint8_t(*hist)[N] = calloc(STEPS, N);
    uint8_t *cur = calloc(1, N), *out = malloc(N), *src = malloc(N);
    if (!c || !hist || !cur || !out || !src) return;
    CHECK_EQ(ct_ckpt_push(c, 10, 0, cur), 0);
    ct_ckpt_part none = {0, 0, NULL};
    CHECK_EQ(ct_ckpt_push_parts(c, 10, 1, &none, 1), -EINVAL); /* not after the newest */
    for (unsigned s = 1; s < STEPS; s++) {
        ct_ckpt_part p[8];
        unsigned np = 0;
        size_t off = rnd() % 64;
        while (np < 8 && off < N) {
            size_t len = rnd() % 3 ? rnd() % 40 + 1 : rnd() % 700;
            if (len > N - off) len = N - off;
            for (size_t i = 0; i < len; i++)
                src[off + i] = rnd() % 3 ? cur[off + i] : (uint8_t)rnd();
            p[np++] = (ct_ckpt_part){off, len, src + off};
            memcpy(cur + off, src + off, len);
            off += len + rnd() % 3 * (rnd() % 90); /* often adjacent: a block shared */
        }
        memcpy(hist[s], cur, N);
        CHECK_EQ(ct_ckpt_push_parts(c, 10 + s * 10, s, p, np), 0);
    }
    int bad = 0;
    for (unsigned i = 0; i < ct_ckpt_count(c); i++) {
        CHECK_EQ(ct_ckpt_get(c, i, out), 0);
        if (memcmp(out, hist[ct_ckpt_tag(c, i)], N)) bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(ct_ckpt_count(c), STEPS);
    ct_ckpt_part wrong[2] = {{100, 10, src}, {105, 10, src}}; /* overlapping */
    CHECK_EQ(ct_ckpt_push_parts(c, 100000, 0, wrong, 2), -EINVAL);
    ct_ckpt_destroy(c);
    free(hist);
    free(cur);
    free(out);
    free(src);
}

/* Reads the joypad and DIV into WRAM in a loop, so inputs and timing show
 * in memory. */
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

/* Every event of a trace (time, id, fields) in b equals a's. */
static int trace_diff(const ct_trace *a, const ct_trace *b) {
    if (a->nev != b->nev) return 1;
    for (uint64_t i = 0; i < a->nev; i++) {
        const ct_event *x = &a->ev[i], *y = &b->ev[i];
        if (x->ts != y->ts || x->id != y->id) return 1;
        const ct_event_desc *d = &a->schema.events[x->id];
        for (unsigned f = 0; f < d->nfields; f++)
            if (ct_field_u64(d, f, x->payload) != ct_field_u64(d, f, y->payload)) return 1;
    }
    return 0;
}

/* A run with checkpoints taken as changes (the busy ROM: LCD on and off,
 * DMA, serial, cartridge RAM; buttons pressed), restored mid-run at a
 * checkpoint and continued: every event of the continued run (all at trace
 * level: each instruction and bus access) and the final state equal those
 * of one uninterrupted run from power-on. */
static void gb_resume(void) {
    static uint8_t r[TESTROM_SIZE];
    size_t size = busy_rom(r);
    char err[200];
    gb *g = gb_create(r, size, NULL, err, sizeof err);
    gb *ref = gb_create(r, size, NULL, err, sizeof err);
    ct_recorder *rg = ct_recorder_create(&gb_schema, 256u << 20, 0, CT_OVERWRITE, err, sizeof err);
    ct_recorder *rr = ct_recorder_create(&gb_schema, 256u << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(g && ref && rg && rr);
    if (!g || !ref || !rg || !rr) return;
    CHECK_EQ(ct_filter_apply(rg, "trace", err, sizeof err), 0);
    CHECK_EQ(ct_filter_apply(rr, "trace", err, sizeof err), 0);
    gb_ckpt *k = gb_ckpt_create(g, 1, 64u << 20, 0, err, sizeof err);
    CHECK(k != NULL);
    if (!k) return;
    for (unsigned i = 0; i < NPRESS; i++) {
        gb_ckpt_run(k, g, presses[i].cycle - gb_cycles(g), 0);
        gb_ckpt_buttons(k, g, presses[i].pressed);
    }
    const uint64_t end = 62 * 70224 + 77;
    gb_ckpt_run(k, g, end - gb_cycles(g), 0);
    const uint64_t stop = gb_cycles(g);
    uint8_t *final = state_of(g);
    const ct_ckpt *ring = gb_ckpt_ring(k);
    CHECK(ct_ckpt_count(ring) > 50);
    /* Restored 4 frames before the end, in an LCD-on stretch or not. */
    unsigned at = ct_ckpt_count(ring) - 5;
    CHECK_EQ(gb_ckpt_restore_index(k, g, at), 0);
    const uint64_t from = gb_cycles(g);
    gb_set_recorder(g, rg);
    gb_ckpt_run(k, g, stop - gb_cycles(g), 0);
    gb_set_recorder(g, NULL);
    CHECK_EQ(gb_cycles(g), stop);
    run_plain(ref, from);
    CHECK_EQ(gb_cycles(ref), from);
    gb_set_recorder(ref, rr);
    run_plain(ref, stop);
    gb_set_recorder(ref, NULL);
    CHECK_EQ(gb_cycles(ref), stop);
    ct_trace *ta = NULL, *tb = NULL;
    CHECK_EQ(ct_trace_from_recorder(rr, &ta), 0);
    CHECK_EQ(ct_trace_from_recorder(rg, &tb), 0);
    if (ta && tb) {
        CHECK(ta->nev > 100000 && ta->overwritten == 0);
        CHECK_EQ(trace_diff(ta, tb), 0);
        printf("resume at cycle %llu: %llu events equal to an uninterrupted run\n",
               (unsigned long long)from, (unsigned long long)ta->nev);
    }
    ct_trace_free(ta);
    ct_trace_free(tb);
    /* Traced, both runs end in the same state (the PPU's log of its
     * pipeline records depends on the trace points being on); untraced,
     * the continued run ends as the first one did. */
    uint8_t *a = state_of(g), *b = state_of(ref);
    CHECK(!memcmp(a, b, gb_state_size(g)));
    free(a);
    CHECK_EQ(gb_ckpt_restore_index(k, g, at), 0);
    gb_ckpt_run(k, g, stop - gb_cycles(g), 0);
    a = state_of(g);
    CHECK(!memcmp(a, final, gb_state_size(g)));
    free(a);
    free(b);
    free(final);
    gb_ckpt_destroy(k);
    ct_recorder_destroy(rg);
    ct_recorder_destroy(rr);
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
    state_changes();
    ring_parts();
    ring_bytes();
    gb_rerun();
    gb_resume();
    gb_bounds();
    return test_result();
}
