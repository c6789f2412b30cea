/* PPU unit tests on a machine built from a synthesized 32 KiB ROM. The CPU
 * does not run: the tests write VRAM, OAM and registers directly and drive
 * the PPU one M-cycle at a time with gb_ppu_tick, reading what the CPU would
 * read between ticks.
 *
 * Timing expectations are in dots of the line (LY changes at dot 0) and in
 * the M-cycle grid the CPU sees; each cites the hardware fact behind it. */
#include "check.h"
#include "testrom.h"
#include "gb/gb_internal.h"
#include "trace/ct_host.h"

#include <string.h>

/* ---- machine ------------------------------------------------------------- */

static uint8_t header_logo[48];

static gb *make_gb(void) {
    static uint8_t rom[0x8000];
    memset(rom, 0, sizeof rom);
    memcpy(&rom[0x104], header_logo, sizeof header_logo);
    rom[0x100] = 0x18; /* jr -2 */
    rom[0x101] = 0xFE;
    memcpy(&rom[0x134], "PPUTEST", 7);
    testrom_fix_checksum(rom);
    char err[128];
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    if (!g) {
        fprintf(stderr, "gb_create: %s\n", err);
        exit(1);
    }
    return g;
}

static uint8_t rd(gb *g, uint16_t a) {
    return gb_ppu_read(g, a);
}
static void wr(gb *g, uint16_t a, uint8_t v) {
    gb_ppu_write(g, a, v);
}
static uint8_t stat_mode(gb *g) {
    return rd(g, 0xFF41) & 3;
}

/* Turn the LCD off and on with `lcdc`, clear IF: the PPU is on line 0 at
 * dot 4 (the first line after enabling). */
static void restart(gb *g, uint8_t lcdc) {
    wr(g, 0xFF40, 0x00);
    wr(g, 0xFF40, (uint8_t)(lcdc | 0x80));
    g->intf = 0;
}

/* Tick until the PPU is at (line, dot); dot a multiple of 4. */
static void run_to(gb *g, unsigned line, unsigned dot) {
    for (unsigned n = 0; n < 154 * 114 + 10; n++) {
        if (g->ppu.line == line && g->ppu.dot == dot) return;
        gb_ppu_tick(g);
    }
    fprintf(stderr, "run_to(%u, %u): never reached\n", line, dot);
    exit(1);
}

/* Dot (on the current line) at which STAT first reads `mode`, ticking. */
static int dot_of_mode(gb *g, uint8_t mode) {
    for (unsigned n = 0; n < 114; n++) {
        if (stat_mode(g) == mode) return g->ppu.dot;
        gb_ppu_tick(g);
    }
    return -1;
}

/* Dot at which IF bit `bit` first becomes set, ticking (IF cleared first). */
static int dot_of_irq(gb *g, uint8_t bit) {
    g->intf = 0;
    for (unsigned n = 0; n < 114; n++) {
        gb_ppu_tick(g);
        if (g->intf & bit) return g->ppu.dot;
    }
    return -1;
}

/* Dot at which a halted CPU would wake for IF bit `bit`: as the CPU's halt
 * loop, a bit raised late in an M-cycle (ppu.hold) counts from the next. */
static int dot_of_wake(gb *g, uint8_t bit) {
    g->intf = 0;
    for (unsigned n = 0; n < 114; n++) {
        g->ppu.hold = 0;
        gb_ppu_tick(g);
        if (g->intf & bit & ~g->ppu.hold) return g->ppu.dot;
    }
    return -1;
}

/* ---- mode timing --------------------------------------------------------- */

static void test_line_timeline(void) {
    gb *g = make_gb();
    restart(g, 0x91);
    wr(g, 0xFF45, 1);
    run_to(g, 0, 452);
    CHECK_EQ(rd(g, 0xFF44), 0);
    gb_ppu_tick(g);
    /* First M-cycle of a line: LY is new, STAT still reads mode 0 and the
     * comparator is idle; OAM reads are refused, OAM writes pass (mooneye
     * lcdon_timing-GS / lcdon_write_timing-GS at 111 cycles). */
    CHECK_EQ(g->ppu.dot, 0);
    CHECK_EQ(rd(g, 0xFF44), 1);
    CHECK_EQ(rd(g, 0xFF41), 0x80);
    CHECK(gb_ppu_oam_blocked(g));
    CHECK(!gb_ppu_oam_write_blocked(g));
    CHECK(!gb_ppu_vram_blocked(g));
    gb_ppu_tick(g);
    CHECK_EQ(rd(g, 0xFF41), 0x86); /* mode 2, LY=LYC */
    CHECK(gb_ppu_oam_write_blocked(g));
    run_to(g, 1, 76);
    CHECK(!gb_ppu_vram_blocked(g));
    gb_ppu_tick(g);
    /* Last M-cycle of the OAM scan: VRAM reads refused, OAM writes pass. */
    CHECK_EQ(stat_mode(g), 2);
    CHECK(gb_ppu_vram_blocked(g));
    CHECK(!gb_ppu_vram_write_blocked(g));
    CHECK(!gb_ppu_oam_write_blocked(g));
    gb_ppu_tick(g);
    CHECK_EQ(g->ppu.dot, 84);
    CHECK_EQ(stat_mode(g), 3);
    CHECK(gb_ppu_vram_write_blocked(g) && gb_ppu_oam_write_blocked(g));
    CHECK_EQ(dot_of_mode(g, 0), 256); /* 172 dots of mode 3: 43 M-cycles */
    CHECK(!gb_ppu_vram_blocked(g) && !gb_ppu_oam_blocked(g));
    run_to(g, 2, 0);
    CHECK_EQ(rd(g, 0xFF44), 2);
    gb_destroy(g);
}

/* Mode 0 (STAT bits and interrupt) moves with SCX%8: the interrupt rises
 * at dot 254 + SCX%8, which a running CPU sees at the next tick (SCX%8 =
 * 0-2: 256, 3-6: 260, 7: 264; gambatte m2int_m0irq scx2 vs scx3/scx5), a
 * halted CPU only from 2 dots after it (0: 256, 1-4: 260, 5-7: 264;
 * mooneye hblank_ly_scx_timing-GS); the STAT bits move by one M-cycle for
 * 4-7 only. */
static void test_scx_mode3_length(void) {
    gb *g = make_gb();
    for (unsigned scx = 0; scx < 16; scx++) {
        restart(g, 0x91);
        wr(g, 0xFF43, (uint8_t)scx);
        wr(g, 0xFF41, 0x08);
        run_to(g, 3, 200);
        int irq = dot_of_irq(g, GB_INT_STAT);
        unsigned f = scx & 7;
        CHECK_EQ(irq, f <= 2 ? 256 : f <= 6 ? 260 : 264);
        run_to(g, 3, 200);
        CHECK_EQ(dot_of_wake(g, GB_INT_STAT), f == 0 ? 256 : f <= 4 ? 260 : 264);
        run_to(g, 3, 200);
        CHECK_EQ(dot_of_mode(g, 0), f < 4 ? 256 : 260);
    }
    gb_destroy(g);
}

static void put_obj(gb *g, unsigned i, uint8_t y, uint8_t x, uint8_t tile, uint8_t attr) {
    g->ppu.oam[i * 4] = y;
    g->ppu.oam[i * 4 + 1] = x;
    g->ppu.oam[i * 4 + 2] = tile;
    g->ppu.oam[i * 4 + 3] = attr;
}

/* Objects lengthen mode 3 (Pan Docs, "Mode 3 length"); the extra M-cycles
 * before STAT reads mode 0 are the cases of mooneye
 * intr_2_mode0_timing_sprites: floor(penalty / 4). */
static void test_object_penalties(void) {
    static const struct {
        unsigned cycles, n;
        uint8_t x[10];
    } cases[] = {
        {2, 1, {0}},
        {4, 2, {0, 0}},
        {16, 10, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
        {16, 10, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
        {15, 10, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
        {16, 10, {8, 8, 8, 8, 8, 8, 8, 8, 8, 8}},
        {15, 10, {167, 167, 167, 167, 167, 167, 167, 167, 167, 167}},
        {0, 10, {168, 168, 168, 168, 168, 168, 168, 168, 168, 168}},
        {17, 10, {0, 0, 0, 0, 0, 160, 160, 160, 160, 160}},
        {16, 10, {3, 3, 3, 3, 3, 163, 163, 163, 163, 163}},
        {15, 10, {71, 71, 71, 71, 71, 167, 167, 167, 167, 167}},
        {1, 1, {4}},
        {2, 1, {16}},
        {5, 2, {0, 8}},
        {4, 2, {3, 11}},
        {3, 2, {7, 15}},
        {27, 10, {0, 8, 16, 24, 32, 40, 48, 56, 64, 72}},
        {22, 10, {2, 10, 18, 26, 34, 42, 50, 58, 66, 74}},
        {15, 10, {7, 15, 23, 31, 39, 47, 55, 63, 71, 79}},
        {25, 10, {73, 65, 57, 49, 41, 33, 25, 17, 9, 1}},
    };
    gb *g = make_gb();
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memset(g->ppu.oam, 0, sizeof g->ppu.oam);
        for (unsigned i = 0; i < cases[c].n; i++)
            put_obj(g, i, 0x52, cases[c].x[i], (uint8_t)(0x30 + i), 0);
        restart(g, 0x93);
        run_to(g, 0x42, 200);
        int d = dot_of_mode(g, 0);
        if (d != 256 + 4 * (int)cases[c].cycles)
            fprintf(stderr, "object case %zu: mode 0 at dot %d\n", c, d);
        CHECK_EQ(d, 256 + 4 * (int)cases[c].cycles);
    }
    /* Objects disabled: no fetch, no penalty. */
    restart(g, 0x91);
    run_to(g, 0x42, 200);
    CHECK_EQ(dot_of_mode(g, 0), 256);
    /* Eleven objects on the line: only the first ten in OAM order count. */
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    for (unsigned i = 0; i < 11; i++)
        put_obj(g, i, 0x52, 0, 0, 0);
    restart(g, 0x93);
    run_to(g, 0x42, 200);
    CHECK_EQ(g->ppu.nobj, 10);
    CHECK_EQ(dot_of_mode(g, 0), 256 + 4 * 16);
    gb_destroy(g);
}

/* ---- LY, LYC, interrupts ----------------------------------------------- */

static void test_lyc_and_vblank(void) {
    gb *g = make_gb();
    restart(g, 0x91);
    /* LYC interrupt one M-cycle into the matching line. */
    wr(g, 0xFF45, 5);
    wr(g, 0xFF41, 0x40);
    run_to(g, 4, 400);
    g->intf = 0;
    run_to(g, 5, 0);
    CHECK_EQ(g->intf & GB_INT_STAT, 0);
    CHECK_EQ(rd(g, 0xFF41) & 4, 0);
    gb_ppu_tick(g);
    CHECK(g->intf & GB_INT_STAT);
    CHECK(rd(g, 0xFF41) & 4);
    /* The line stays high for the whole line: one request only. */
    g->intf = 0;
    run_to(g, 5, 452);
    CHECK_EQ(g->intf & GB_INT_STAT, 0);
    gb_ppu_tick(g);
    CHECK_EQ(rd(g, 0xFF41) & 4, 0); /* LY=6 */

    /* VBlank: IF bit 0 and STAT mode 1 one M-cycle into line 144, with the
     * mode 1 and the line-144 mode 2 STAT sources (vblank_stat_intr-GS). */
    wr(g, 0xFF41, 0x20);
    run_to(g, 143, 452);
    g->intf = 0;
    uint64_t frames = g->frames;
    uint8_t front = g->ppu.front;
    gb_ppu_tick(g);
    CHECK_EQ(rd(g, 0xFF44), 144);
    CHECK_EQ(g->intf, 0);
    gb_ppu_tick(g);
    CHECK_EQ(g->intf, GB_INT_VBLANK | GB_INT_STAT);
    CHECK_EQ(stat_mode(g), 1);
    CHECK_EQ(g->frames, frames + 1);
    CHECK(g->stop_reasons & GB_STOP_FRAME);
    CHECK(g->ppu.front != front);
    CHECK(!gb_ppu_oam_blocked(g) && !gb_ppu_vram_blocked(g));

    /* Line 153: LY reads 153 for one M-cycle, then 0; LYC=153 matches in
     * the second M-cycle only, LYC=0 from the fourth. */
    wr(g, 0xFF41, 0x00);
    wr(g, 0xFF45, 153);
    run_to(g, 153, 0);
    CHECK_EQ(rd(g, 0xFF44), 153);
    CHECK_EQ(rd(g, 0xFF41) & 4, 0);
    gb_ppu_tick(g);
    CHECK_EQ(rd(g, 0xFF44), 0);
    CHECK(rd(g, 0xFF41) & 4);
    gb_ppu_tick(g);
    CHECK_EQ(rd(g, 0xFF41) & 4, 0);
    wr(g, 0xFF45, 0);
    CHECK_EQ(rd(g, 0xFF41) & 4, 0);
    gb_ppu_tick(g);
    CHECK(rd(g, 0xFF41) & 4);
    CHECK_EQ(stat_mode(g), 1);
    /* LYC=0 stays matched into line 0: one request per frame. */
    wr(g, 0xFF41, 0x40);
    g->intf = 0;
    run_to(g, 1, 0);
    CHECK_EQ(g->intf & GB_INT_STAT, 0);
    run_to(g, 153, 8);
    g->intf = 0;
    run_to(g, 153, 12);
    CHECK_EQ(g->intf, GB_INT_STAT);
    g->intf = 0;
    run_to(g, 0, 0);
    CHECK(rd(g, 0xFF41) & 4);
    run_to(g, 2, 0);
    CHECK_EQ(g->intf, 0);
    wr(g, 0xFF41, 0x00);
    run_to(g, 153, 100);
    /* Line 0 after VBlank: mode 2 from its second M-cycle. */
    run_to(g, 0, 0);
    CHECK_EQ(stat_mode(g), 1);
    gb_ppu_tick(g);
    CHECK_EQ(stat_mode(g), 2);
    gb_destroy(g);
}

/* Mode 2 interrupt of lines 1-143: with LY, one M-cycle before the STAT
 * mode bits, late in the M-cycle: a halted CPU wakes with the mode bits
 * (gambatte oam_access/postread_1, m2int_m3stat_1 without HALT; mooneye
 * intr_2_mode3_timing with it). Line 0's comes with its mode bits, for a
 * running and a halted CPU alike, as VBlank and line 144's (mooneye
 * intr_1_2_timing-GS, vblank_stat_intr-GS). */
static void test_mode2_irq(void) {
    gb *g = make_gb();
    restart(g, 0x91);
    wr(g, 0xFF41, 0x20);
    run_to(g, 10, 300);
    CHECK_EQ(dot_of_irq(g, GB_INT_STAT), 0);
    CHECK_EQ(g->ppu.line, 11);
    CHECK_EQ(stat_mode(g), 0);
    run_to(g, 11, 300);
    CHECK_EQ(dot_of_wake(g, GB_INT_STAT), 4);
    CHECK_EQ(g->ppu.line, 12);
    CHECK_EQ(stat_mode(g), 2);
    run_to(g, 153, 300);
    CHECK_EQ(dot_of_irq(g, GB_INT_STAT), 4);
    CHECK_EQ(g->ppu.line, 0);
    run_to(g, 153, 300);
    CHECK_EQ(dot_of_wake(g, GB_INT_STAT), 4);
    wr(g, 0xFF41, 0x10);
    run_to(g, 143, 300);
    CHECK_EQ(dot_of_wake(g, GB_INT_VBLANK), 4);
    CHECK_EQ(g->ppu.line, 144);
    run_to(g, 143, 300);
    CHECK_EQ(dot_of_wake(g, GB_INT_STAT), 4);
    gb_destroy(g);
}

/* The mode 2 source is a pulse of one M-cycle, not a level: enabling it in
 * STAT in the M-cycle it begins (with LY on lines 1-143) requests the
 * interrupt, one M-cycle later (STAT reading mode 2) nothing; the DMG STAT write quirk does not see
 * it; a line held high by mode 0 or by LY=LYC on the line before swallows it (gambatte m2enable
 * late_enable_1/_2, late_enable_m0disable_2, enable_after_lycint_1, miscmstatirq
 * lycstatwirq_trigger_00_00, m0statwirq_2). */
static void test_mode2_pulse(void) {
    gb *g = make_gb();
    restart(g, 0x91);
    wr(g, 0xFF45, 99);
    wr(g, 0xFF41, 0x00);
    run_to(g, 10, 0);
    g->intf = 0;
    wr(g, 0xFF41, 0x20); /* in the M-cycle LY changes: the pulse */
    CHECK_EQ(g->intf, GB_INT_STAT);
    run_to(g, 11, 4);
    g->intf = 0;
    wr(g, 0xFF41, 0x20); /* one M-cycle later: the pulse is over */
    CHECK_EQ(g->intf, 0);
    /* The write quirk in mode 2 (no mode 2 source): nothing. */
    wr(g, 0xFF41, 0x00);
    run_to(g, 12, 40);
    wr(g, 0xFF41, 0x00);
    CHECK_EQ(g->intf, 0);
    /* ... nor at the M-cycle mode 2 begins. */
    run_to(g, 13, 4);
    wr(g, 0xFF41, 0x00);
    CHECK_EQ(g->intf, 0);
    /* Mode 0 enabled holds the line into mode 2: enabling mode 2 there
     * (and dropping mode 0) requests nothing. */
    wr(g, 0xFF41, 0x08);
    run_to(g, 14, 300);
    g->intf = 0;
    run_to(g, 15, 4);
    wr(g, 0xFF41, 0x20);
    CHECK_EQ(g->intf, 0);
    /* LY=LYC with its source enabled on the line before: no mode 2
     * request on the next line; on the line after that, one. */
    wr(g, 0xFF41, 0x60);
    wr(g, 0xFF45, 20);
    run_to(g, 20, 200);
    g->intf = 0;
    run_to(g, 21, 100);
    CHECK_EQ(g->intf, 0);
    run_to(g, 22, 100);
    CHECK_EQ(g->intf, GB_INT_STAT);
    /* Line 144 after LY=LYC on 143, with mode 1 and mode 2 enabled: the
     * swallowed mode 2 pulse keeps mode 1 from requesting (gambatte m1
     * m1irq_m2enable_lyc_1); VBlank itself is requested. */
    wr(g, 0xFF41, 0x70);
    wr(g, 0xFF45, 143);
    run_to(g, 143, 200);
    g->intf = 0;
    run_to(g, 144, 100);
    CHECK_EQ(g->intf, GB_INT_VBLANK);
    /* Without LY=LYC on 143: one request at line 144. */
    wr(g, 0xFF45, 99);
    run_to(g, 143, 300);
    g->intf = 0;
    run_to(g, 144, 100);
    CHECK_EQ(g->intf, GB_INT_VBLANK | GB_INT_STAT);
    gb_destroy(g);
}

/* STAT line blocking: with mode 0 and LYC both enabled, the LYC match on
 * the next line does not request again while mode 0 holds the line high,
 * and mode 2 following mode 0 requests nothing (stat_irq_blocking). */
static void test_stat_blocking(void) {
    gb *g = make_gb();
    restart(g, 0x91);
    wr(g, 0xFF41, 0x68); /* mode 0, mode 2, LYC */
    wr(g, 0xFF45, 20);
    run_to(g, 19, 300); /* mode 0 of line 19: line high */
    g->intf = 0;
    run_to(g, 20, 200);
    CHECK_EQ(g->intf & GB_INT_STAT, 0);
    /* Writing STAT with the quirk: in mode 0 with the line already high,
     * nothing; in mode 3 with no source, nothing either. */
    run_to(g, 21, 120);
    wr(g, 0xFF45, 99);
    g->intf = 0;
    wr(g, 0xFF41, 0x00);
    CHECK_EQ(g->intf, 0);
    /* DMG STAT write quirk: a write in mode 0 requests the interrupt. */
    run_to(g, 21, 300);
    wr(g, 0xFF41, 0x00);
    CHECK(g->intf & GB_INT_STAT);
    gb_destroy(g);
}

/* LCD off: LY 0, mode 0, LYC flag kept, comparator stopped; LCD on: line 0
 * without mode 2, mode 3 two dots late (lcdon_timing-GS), comparator
 * restarting at once (stat_lyc_onoff). */
static void test_lcd_off_on(void) {
    gb *g = make_gb();
    restart(g, 0x91);
    wr(g, 0xFF45, 0x90);
    run_to(g, 0x90, 100);
    CHECK(rd(g, 0xFF41) & 4);
    wr(g, 0xFF40, 0x11);
    CHECK_EQ(rd(g, 0xFF44), 0);
    CHECK_EQ(rd(g, 0xFF41), 0x84);
    for (int i = 0; i < 1000; i++)
        gb_ppu_tick(g);
    CHECK_EQ(rd(g, 0xFF44), 0);
    CHECK_EQ(g->ppu.dot, 0);
    CHECK(!gb_ppu_vram_blocked(g) && !gb_ppu_oam_blocked(g));
    wr(g, 0xFF45, 0x01);
    CHECK_EQ(rd(g, 0xFF41), 0x84);
    wr(g, 0xFF41, 0x40);
    g->intf = 0;
    wr(g, 0xFF40, 0x91);
    CHECK_EQ(rd(g, 0xFF41), 0xC0);
    CHECK_EQ(g->intf, 0);
    /* With LYC=0 the flag rises at once and requests the interrupt. */
    wr(g, 0xFF40, 0x11);
    wr(g, 0xFF45, 0x00);
    g->intf = 0;
    wr(g, 0xFF40, 0x91);
    CHECK(g->intf & GB_INT_STAT);
    /* Line 0 after enabling: mode 0 (OAM open) until mode 3. */
    for (int i = 0; i < 18; i++) {
        CHECK_EQ(stat_mode(g), 0);
        CHECK(!gb_ppu_oam_blocked(g));
        gb_ppu_tick(g);
    }
    CHECK_EQ(g->ppu.dot, 76);
    gb_ppu_tick(g);
    CHECK_EQ(stat_mode(g), 0);
    CHECK(!gb_ppu_vram_blocked(g));
    gb_ppu_tick(g);
    CHECK_EQ(stat_mode(g), 3);
    CHECK_EQ(dot_of_mode(g, 0), 256);
    run_to(g, 1, 0);
    CHECK_EQ(rd(g, 0xFF44), 1);
    gb_destroy(g);
}

/* ---- rendering ----------------------------------------------------------- */

/* Tile t, row r: colour of pixel c (0 = leftmost) is (t + r + c) & 3,
 * except tile 0 which is blank. */
static void fill_tiles(gb *g) {
    for (unsigned t = 1; t < 384; t++) {
        for (unsigned r = 0; r < 8; r++) {
            uint8_t lo = 0, hi = 0;
            for (unsigned c = 0; c < 8; c++) {
                unsigned col = (t + r + c) & 3;
                lo |= (uint8_t)((col & 1) << (7 - c));
                hi |= (uint8_t)((col >> 1) << (7 - c));
            }
            g->ppu.vram[t * 16 + r * 2] = lo;
            g->ppu.vram[t * 16 + r * 2 + 1] = hi;
        }
    }
}

static unsigned tile_color(unsigned t, unsigned r, unsigned c) {
    return t ? (t + r + c) & 3 : 0;
}

/* Run a whole frame and return the completed frame. */
static const uint8_t *frame(gb *g) {
    run_to(g, 143, 452);
    run_to(g, 144, 8);
    return g->ppu.fb[g->ppu.front & 1]; /* drawn, shown or not */
}

static void test_bg_scroll(void) {
    gb *g = make_gb();
    fill_tiles(g);
    for (unsigned i = 0; i < 1024; i++) {
        g->ppu.vram[0x1800 + i] = (uint8_t)(i * 7 + 1);
        g->ppu.vram[0x1C00 + i] = (uint8_t)(i * 5 + 3);
    }
    static const struct {
        uint8_t lcdc, scx, scy, bgp;
    } cfg[] = {
        {0x91, 0, 0, 0xE4},   {0x91, 3, 5, 0xE4}, {0x91, 250, 200, 0x1B},
        {0x99, 13, 77, 0xE4}, {0x81, 9, 9, 0xE4}, /* signed tile numbers */
        {0x90, 0, 0, 0xE7},                       /* BG off: colour 0 through BGP */
    };
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        restart(g, cfg[k].lcdc);
        wr(g, 0xFF43, cfg[k].scx);
        wr(g, 0xFF42, cfg[k].scy);
        wr(g, 0xFF47, cfg[k].bgp);
        const uint8_t *fb = frame(g);
        unsigned bad = 0;
        for (unsigned y = 0; y < 144; y++) {
            for (unsigned x = 0; x < 160; x++) {
                unsigned col = 0;
                if (cfg[k].lcdc & 1) {
                    unsigned bx = (x + cfg[k].scx) & 255, by = (y + cfg[k].scy) & 255;
                    unsigned map = (cfg[k].lcdc & 8) ? 0x1C00 : 0x1800;
                    unsigned t = g->ppu.vram[map + (by / 8) * 32 + bx / 8];
                    if (!(cfg[k].lcdc & 0x10)) t = 256 + (unsigned)(int8_t)t;
                    col = tile_color(t, by % 8, bx % 8);
                }
                bad += fb[y * 160 + x] != ((cfg[k].bgp >> (2 * col)) & 3);
            }
        }
        if (bad) fprintf(stderr, "bg config %zu: %u pixels differ\n", k, bad);
        CHECK_EQ(bad, 0);
    }
    gb_destroy(g);
}

/* Window at WX=27 (x 20), WY=30; hidden (WX=200) on lines 50-59: its line
 * counter does not advance there, so line 60 shows window row 20. */
static void test_window(void) {
    gb *g = make_gb();
    fill_tiles(g);
    for (unsigned i = 0; i < 1024; i++) {
        g->ppu.vram[0x1800 + i] = 1;
        g->ppu.vram[0x1C00 + i] = (uint8_t)(i + 2);
    }
    wr(g, 0xFF4A, 30); /* before the LCD starts: WY=0 would match line 0 */
    wr(g, 0xFF4B, 27);
    wr(g, 0xFF47, 0xE4);
    restart(g, 0xF1); /* window on, map $9C00 */
    run_to(g, 50, 8);
    wr(g, 0xFF4B, 200);
    run_to(g, 60, 8);
    wr(g, 0xFF4B, 27);
    const uint8_t *fb = frame(g);
    unsigned bad = 0;
    for (unsigned y = 0; y < 144; y++) {
        bool win = y >= 30 && !(y >= 50 && y < 60);
        unsigned wline = y < 50 ? y - 30 : y - 40;
        for (unsigned x = 0; x < 160; x++) {
            unsigned col;
            if (win && x >= 20) {
                unsigned wx = x - 20;
                col =
                    tile_color(g->ppu.vram[0x1C00 + (wline / 8) * 32 + wx / 8], wline % 8, wx % 8);
            } else {
                col = tile_color(1, y % 8, x % 8);
            }
            bad += fb[y * 160 + x] != col;
        }
    }
    CHECK_EQ(bad, 0);
    /* WY written after the start of its line waits for the next frame;
     * WX=0 cuts 7 window pixels and SCX%8 more (Pan Docs, Window). */
    wr(g, 0xFF4A, 100);
    wr(g, 0xFF4B, 0);
    wr(g, 0xFF43, 3);
    restart(g, 0xF1);
    run_to(g, 5, 40);
    wr(g, 0xFF4A, 5);
    fb = frame(g);
    bad = 0;
    for (unsigned y = 0; y < 144; y++)
        for (unsigned x = 0; x < 160; x++)
            bad += fb[y * 160 + x] != tile_color(1, y % 8, (x + 3) % 8);
    CHECK_EQ(bad, 0);
    fb = frame(g);
    bad = 0;
    for (unsigned y = 5; y < 144; y++) {
        unsigned wl = y - 5;
        for (unsigned x = 0; x < 160; x++) {
            unsigned u = x + 7 + 3;
            unsigned t = g->ppu.vram[0x1C00 + (wl / 8) * 32 + u / 8];
            bad += fb[y * 160 + x] != tile_color(t, wl % 8, u % 8);
        }
    }
    CHECK_EQ(bad, 0);
    wr(g, 0xFF43, 0);
    wr(g, 0xFF4A, 30);
    wr(g, 0xFF4B, 27);

    /* The window adds 6 dots to mode 3: mode 0 one M-cycle later
     * (253 + 6 = 259, seen at 260). */
    run_to(g, 40, 200);
    CHECK_EQ(dot_of_mode(g, 0), 260);
    gb_destroy(g);
}

static void test_objects(void) {
    gb *g = make_gb();
    /* Tile 1: solid colour 1. Tile 2: row 0 is colour 3 in the left column
     * and 2 elsewhere, other rows colour 1 (shows flips). Tiles 4 and 5: an
     * 8x16 pair, colour 2 and 3. Tiles 3 and 6: transparent. */
    memset(g->ppu.vram, 0, 0x1800);
    for (unsigned r = 0; r < 8; r++) {
        g->ppu.vram[16 + r * 2] = 0xFF;
        g->ppu.vram[32 + r * 2] = r == 0 ? 0x80 : 0xFF;
        g->ppu.vram[32 + r * 2 + 1] = r == 0 ? 0xFF : 0x00;
        g->ppu.vram[64 + r * 2 + 1] = 0xFF;
        g->ppu.vram[80 + r * 2] = 0xFF;
        g->ppu.vram[80 + r * 2 + 1] = 0xFF;
    }
    /* BG: tile 1 (colour 1) in map column 10 (x 80..87), elsewhere tile 0. */
    memset(g->ppu.vram + 0x1800, 0, 0x400);
    for (unsigned row = 0; row < 32; row++)
        g->ppu.vram[0x1800 + row * 32 + 10] = 1;
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    put_obj(g, 0, 16 + 10, 8 + 20, 1, 0x00);  /* y 10, x 20, OBP0 */
    put_obj(g, 1, 16 + 10, 8 + 24, 1, 0x10);  /* x 24, OBP1: under object 0 */
    put_obj(g, 2, 16 + 10, 8 + 22, 6, 0x00);  /* transparent, lower X than 1 */
    put_obj(g, 3, 16 + 30, 8 + 40, 2, 0x00);  /* unflipped */
    put_obj(g, 4, 16 + 30, 8 + 50, 2, 0x20);  /* X flip */
    put_obj(g, 5, 16 + 30, 8 + 60, 2, 0x40);  /* Y flip */
    put_obj(g, 6, 16 + 50, 8 + 78, 1, 0x90);  /* OBP1, behind BG colours 1-3 */
    put_obj(g, 7, 16 + 70, 8 + 100, 5, 0x00); /* 8x16: tile 5 means 4/5 */
    put_obj(g, 8, 16 + 70, 8 + 100, 1, 0x00); /* same X, later in OAM: hidden */
    put_obj(g, 9, 16 + 10, 8 + 18, 1, 0x10);  /* later in OAM, lower X: wins */
    for (unsigned i = 0; i < 11; i++)         /* 11 on line 100: last one dropped */
        put_obj(g, 10 + i, 16 + 100, (uint8_t)(8 + i * 12), 1, i == 10 ? 0x10 : 0x00);
    restart(g, 0x93); /* BG, OBJ 8x8, tiles at $8000 */
    wr(g, 0xFF47, 0xE4);
    wr(g, 0xFF48, 0xE4);
    wr(g, 0xFF49, 0x1B); /* OBP1: colour 1 -> shade 2 */
    const uint8_t *fb = frame(g);
#define PX(x, y) fb[(y)*160 + (x)]
    CHECK_EQ(PX(18, 10), 2); /* object 9 (OBP1) */
    CHECK_EQ(PX(25, 10), 2); /* object 9 over object 0: lower X */
    CHECK_EQ(PX(26, 10), 1); /* object 0 */
    CHECK_EQ(PX(27, 10), 1); /* object 0 over object 1: lower X */
    CHECK_EQ(PX(28, 10), 2); /* object 2 transparent: object 1 shows, OBP1 */
    CHECK_EQ(PX(31, 10), 2);
    CHECK_EQ(PX(32, 10), 0);
    CHECK_EQ(PX(40, 30), 3); /* unflipped: row 0, left column */
    CHECK_EQ(PX(41, 30), 2);
    CHECK_EQ(PX(47, 30), 2);
    CHECK_EQ(PX(40, 31), 1);
    CHECK_EQ(PX(57, 30), 3); /* X flip: left column on the right */
    CHECK_EQ(PX(50, 30), 2);
    CHECK_EQ(PX(60, 37), 3); /* Y flip: row 0 at the bottom */
    CHECK_EQ(PX(61, 37), 2);
    CHECK_EQ(PX(60, 30), 1);
    CHECK_EQ(PX(78, 50), 2); /* over BG colour 0: the object */
    CHECK_EQ(PX(79, 50), 2);
    CHECK_EQ(PX(80, 50), 1); /* over BG colour 1: the BG */
    CHECK_EQ(PX(85, 50), 1);
    CHECK_EQ(PX(100, 70), 3); /* tile 5; object 8 at the same X loses */
    CHECK_EQ(PX(107, 77), 3);
    CHECK_EQ(PX(108, 100), 1); /* tenth object on line 100 */
    CHECK_EQ(PX(120, 100), 0); /* the eleventh is not drawn */

    /* 8x16: bit 0 of the tile index ignored; Y flip swaps the halves. */
    restart(g, 0x97);
    fb = frame(g);
    CHECK_EQ(PX(100, 70), 2);
    CHECK_EQ(PX(100, 77), 2);
    CHECK_EQ(PX(100, 78), 3);
    CHECK_EQ(PX(107, 85), 3);
    CHECK_EQ(PX(60, 45), 3); /* tile 2 row 0, flipped to the last row */
    CHECK_EQ(PX(60, 30), 0); /* tile 3 (transparent) on top */
    CHECK_EQ(PX(60, 38), 1);

    /* Objects off: the BG only. */
    restart(g, 0x91);
    fb = frame(g);
    CHECK_EQ(PX(26, 10), 0);
    CHECK_EQ(PX(78, 50), 0);
    CHECK_EQ(PX(80, 50), 1);
#undef PX
    gb_destroy(g);
}

/* OAM DMA during the OAM scan: the line shows no objects and pays no
 * object penalty (Pan Docs, OAM DMA Transfer). */
static void test_dma_hides_objects(void) {
    gb *g = make_gb();
    memset(g->ppu.vram, 0, 0x2000);
    for (unsigned r = 0; r < 8; r++)
        g->ppu.vram[16 + r * 2] = 0xFF; /* tile 1: colour 1 */
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    put_obj(g, 0, 16 + 10, 8 + 40, 1, 0);
    restart(g, 0x93);
    wr(g, 0xFF47, 0xE4);
    wr(g, 0xFF48, 0xE4);
    run_to(g, 12, 0);
    g->bus.dma_active = true;
    run_to(g, 13, 200);
    g->bus.dma_active = false;
    run_to(g, 14, 200);
    CHECK_EQ(dot_of_mode(g, 0), 256 + 8); /* object back: 11-dot penalty */
    const uint8_t *fb = frame(g);
    CHECK_EQ(fb[11 * 160 + 40], 1);
    CHECK_EQ(fb[12 * 160 + 40], 0);
    CHECK_EQ(fb[13 * 160 + 40], 0);
    CHECK_EQ(fb[14 * 160 + 40], 1);
    gb_destroy(g);
}

/* A palette write during mode 3 takes effect from the pixel being drawn:
 * the left of the line keeps the old palette. */
static void test_mid_line_write(void) {
    gb *g = make_gb();
    memset(g->ppu.vram, 0, 0x2000);
    for (unsigned r = 0; r < 8; r++)
        g->ppu.vram[16 + r * 2] = 0xFF; /* tile 1: colour 1 */
    memset(g->ppu.vram + 0x1800, 1, 0x400);
    restart(g, 0x91);
    wr(g, 0xFF47, 0x04); /* colour 1 -> shade 1 */
    run_to(g, 5, 164);
    CHECK_EQ(stat_mode(g), 3);
    wr(g, 0xFF47, 0x0C); /* colour 1 -> shade 3 */
    run_to(g, 6, 0);
    wr(g, 0xFF47, 0x04);
    const uint8_t *fb = frame(g);
    unsigned split = 0;
    while (split < 160 && fb[5 * 160 + split] == 1)
        split++;
    CHECK(split >= 60 && split <= 80);
    for (unsigned x = split; x < 160; x++)
        CHECK_EQ(fb[5 * 160 + x], 3);
    CHECK_EQ(fb[4 * 160 + 100], 1);
    CHECK_EQ(fb[6 * 160 + 10], 1);
    gb_destroy(g);
}

/* The pipeline sees a register write at the end of its M-cycle: with SCX=0
 * pixel x leaves the FIFO 13 + x dots after the pipeline starts (one dot
 * before mode 3 at dot 81), so a BGP write at dot 164 takes effect from
 * pixel 164 - 80 - 13 = 71 (gambatte dmgpalette_during_m3). With SCX=2 the
 * last pixel leaves at dot 80 + 174 = 254: a write at the tick to dot 252
 * reaches pixels 157-159, one in the M-cycle mode 0 began in (STAT reads
 * mode 0 at the tick to dot 256) none. */
static void test_write_dot(void) {
    gb *g = make_gb();
    memset(g->ppu.vram, 0, 0x2000);
    for (unsigned r = 0; r < 8; r++)
        g->ppu.vram[16 + r * 2] = 0xFF; /* tile 1: colour 1 */
    memset(g->ppu.vram + 0x1800, 1, 0x400);
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    restart(g, 0x91);
    wr(g, 0xFF43, 0);
    wr(g, 0xFF47, 0x04); /* colour 1 -> shade 1 */
    run_to(g, 5, 164);
    wr(g, 0xFF47, 0x0C); /* colour 1 -> shade 3 */
    run_to(g, 5, 400);
    wr(g, 0xFF47, 0x04);
    wr(g, 0xFF43, 2);
    run_to(g, 7, 252);
    CHECK_EQ(stat_mode(g), 3);
    wr(g, 0xFF47, 0x0C);
    run_to(g, 7, 400);
    wr(g, 0xFF47, 0x04);
    run_to(g, 8, 256);
    CHECK_EQ(stat_mode(g), 0);
    wr(g, 0xFF47, 0x0C);
    run_to(g, 8, 400);
    wr(g, 0xFF47, 0x04);
    wr(g, 0xFF43, 0);
    const uint8_t *fb = frame(g);
    for (unsigned x = 0; x < 160; x++)
        CHECK_EQ(fb[5 * 160 + x], x < 71 ? 1 : 3);
    CHECK_EQ(fb[7 * 160 + 156], 1);
    CHECK_EQ(fb[7 * 160 + 157], 3);
    CHECK_EQ(fb[7 * 160 + 159], 3);
    CHECK_EQ(fb[8 * 160 + 159], 1);
    gb_destroy(g);
}

/* The fine-scroll discard compares the count of dropped pixels with SCX%8
 * as it reads at each dot, from the first pixel in the FIFO (t = 5, dot 85
 * with the write seen at the end of its M-cycle): SCX written at dot 84
 * (t = 4) sets the line's fine scroll, at dot 88 (t = 8, three pixels
 * dropped) SCX=3 stops the drop there, at dot 96 (t = 16, the drop of 3
 * done) it changes nothing (gambatte scx_during_m3 scx_0360c0_1,
 * scx_0761c0_2, enable_display ly0_late_scx7_m3stat_scx3_2). */
static void test_scx_fine_write(void) {
    gb *g = make_gb();
    fill_tiles(g);
    for (unsigned i = 0; i < 1024; i++)
        g->ppu.vram[0x1800 + i] = (uint8_t)(i * 7 + 1);
    static const struct {
        uint8_t scx0, dot, scx1, fine;
        uint16_t m0; /* dot STAT first reads mode 0 */
    } cfg[] = {
        {3, 84, 0, 0, 256}, /* before the first pixel: no drop */
        {0, 84, 7, 7, 260}, /* before the first pixel: 7 dropped */
        {7, 88, 3, 3, 256}, /* three pixels dropped: stops there */
        {3, 96, 7, 3, 256}, /* after the drop of 3: no change */
    };
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        restart(g, 0x91);
        wr(g, 0xFF47, 0xE4);
        run_to(g, 5, 8);
        wr(g, 0xFF43, cfg[k].scx0);
        run_to(g, 5, cfg[k].dot);
        wr(g, 0xFF43, cfg[k].scx1);
        CHECK_EQ(dot_of_mode(g, 0), cfg[k].m0);
        const uint8_t *fb = frame(g);
        unsigned bad = 0;
        for (unsigned x = 0; x < 160; x++) {
            unsigned bx = (x + (cfg[k].scx1 & ~7u) + cfg[k].fine) & 255, by = 5;
            unsigned t = g->ppu.vram[0x1800 + (by / 8) * 32 + bx / 8];
            bad += fb[5 * 160 + x] != tile_color(t, by % 8, bx % 8);
        }
        if (bad) fprintf(stderr, "scx write %zu: %u pixels differ\n", k, bad);
        CHECK_EQ(bad, 0);
    }
    gb_destroy(g);
}

/* The records of every ring of `r`, merged in time order as a dump reads
 * them; false (and the copy freed) after the last. */
typedef struct merged_recs {
    ct_trace *t;
    uint64_t k;
} merged_recs;
static bool merged_next(const ct_recorder *r, merged_recs *it, uint16_t *id, uint64_t *ts,
                        uint8_t *pay) {
    if (!it->t && ct_trace_from_recorder(r, &it->t)) return false;
    if (it->k >= it->t->nev) {
        ct_trace_free(it->t);
        it->t = NULL;
        return false;
    }
    const ct_event *e = &it->t->ev[it->k++];
    *id = e->id;
    *ts = e->ts;
    memcpy(pay, e->payload, CT_MAX_PAYLOAD);
    return true;
}

/* LCDC's tile-data bit written during mode 3 reaches the fetcher at one
 * dot, and the fetcher's reads keep the odd-dot grid after an object
 * stall of odd length: with an object at X=9 (penalty 10) and at X=10
 * (penalty 9) a write at the same dot shows the same tiles with the old
 * data, the new data, and one tile (colour 2) whose low plane was read
 * before the write and whose high plane after (gambatte bgtiledata_spx09_*,
 * bgtiledata_spx0A_*). */
static void render_lcdc_write(gb *g, uint8_t objx, unsigned dot, uint8_t *row) {
    restart(g, 0x83); /* tiles at $8800: tile 0 is $9000, all 0 */
    wr(g, 0xFF47, 0xE4);
    wr(g, 0xFF48, 0xE4);
    g->ppu.oam[0] = 5 + 16;
    g->ppu.oam[1] = objx;
    run_to(g, 5, dot);
    wr(g, 0xFF40, 0x93); /* tiles at $8000: tile 0 all 1s, colour 3 */
    run_to(g, 6, 0);
    wr(g, 0xFF40, 0x83);
    memcpy(row, frame(g) + 5 * 160, 160);
}

static void test_tiledata_write(void) {
    gb *g = make_gb();
    memset(g->ppu.vram, 0, 0x2000);
    memset(g->ppu.vram, 0xFF, 16);
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    unsigned mixed = 0;
    for (unsigned dot = 96; dot <= 236; dot += 4) {
        uint8_t a[160], b[160];
        render_lcdc_write(g, 9, dot, a);
        render_lcdc_write(g, 10, dot, b);
        unsigned bad = 0, two = 0;
        for (unsigned x = 16; x < 160; x++) {
            bad += a[x] != b[x];
            two += a[x] == 2;
        }
        if (bad)
            fprintf(stderr, "LCDC write at dot %u: X=9 and X=10 differ in %u pixels\n", dot, bad);
        CHECK_EQ(bad, 0);
        /* The write reaches the fetcher at the end of its M-cycle, the
         * dot given here: every other M-cycle it falls between the two
         * data reads of the tile at x = dot - 100 (a write at dot 116
         * mixes x = 16..23). */
        unsigned mx = dot % 8 == 4 && dot >= 116 ? dot - 100 : 999;
        for (unsigned x = 16; x < 160; x++)
            mixed += (a[x] == 2) != (x >= mx && x < mx + 8);
        CHECK_EQ(two, mx < 160 ? 8 : 0);
    }
    CHECK_EQ(mixed, 0);
    gb_destroy(g);
}

/* Line 0 after VBlank: the pipeline is timed as on the other lines, a
 * tile-data write at the same dot of line 0 and of line 5 gives the same
 * row, and STAT reads mode 0 at the same dot (gambatte bgtiledata,
 * bgtilemap, scy line 0, with the mode 2 interrupt raised with LY). */
static void test_line0_pipeline(void) {
    gb *g = make_gb();
    memset(g->ppu.vram, 0, 0x2000);
    memset(g->ppu.vram, 0xFF, 16);
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    uint8_t rows[2][160];
    unsigned m0[2];
    for (unsigned k = 0; k < 2; k++) {
        unsigned line = k ? 5 : 0, dot = 96;
        restart(g, 0x83);
        wr(g, 0xFF47, 0xE4);
        run_to(g, 1, 0); /* past the first line after enabling */
        run_to(g, line, dot);
        wr(g, 0xFF40, 0x93);
        m0[k] = dot_of_mode(g, 0);
        run_to(g, line + 1, 0);
        wr(g, 0xFF40, 0x83);
        memcpy(rows[k], frame(g) + line * 160, 160);
    }
    CHECK(memcmp(rows[0], rows[1], 160) == 0);
    CHECK_EQ(rows[0][0], 0);
    CHECK_EQ(rows[0][8], 3);
    CHECK_EQ(m0[0], m0[1]);
    gb_destroy(g);
}

/* ppu.sprite gives each object fetch with its penalty (6 dots, plus the wait
 * for the background fetch: 5 dots for an object at X=0, 1 for X=20, whose
 * pixel 12 is 4 into its tile); ppu.push one record per 8 pixels sent to
 * the screen (x = 0, 8, ..., 152, with the dot it left the FIFO); ppu.fetch
 * one per background fetch, at the dot its pixels enter the FIFO: the
 * line's first (thrown away) and the 20 tiles shown (the 22nd fetch is
 * still waiting for room when the line ends). The records cost what they
 * tell: a few dozen a line, not one per pixel and fetch step. */
static void test_pipeline_trace(void) {
    gb *g = make_gb();
    char err[256];
    /* Rings by class, as ceres run makes them: the fetches and pushes in
     * one, the sprites in the other, read back merged. */
    ct_recorder *r =
        ct_recorder_create_spec(&gb_schema, "rest=3M,debug=1M", CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ(ct_filter_apply(r, "off,ppu=trace", err, sizeof err), 0);
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    put_obj(g, 0, 0x52, 20, 0x30, 0);
    put_obj(g, 1, 0x52, 0, 0x31, 0);
    restart(g, 0x93);
    run_to(g, 0x42, 0);
    gb_set_recorder(g, r);
    run_to(g, 0x43, 0);
    gb_set_recorder(g, NULL);
    unsigned pushes = 0, fetches = 0, sprites = 0, order_ok = 1, dots_ok = 1;
    uint16_t last_push = 0, last_fetch = 0;
    uint8_t pay[CT_MAX_PAYLOAD];
    merged_recs it_ = {0};
    uint16_t id;
    uint64_t ts;
    while (merged_next(r, &it_, &id, &ts, pay)) {
        if (id == gb_ev_PPU_PUSH) {
            uint16_t dot = (uint16_t)(pay[2] | pay[3] << 8);
            order_ok &= pay[0] == pushes * 8;
            /* pixel 0 at dot 80 + 13 + 11 (the object at X=0), then 8
             * dots apart, but for the 7 of the object at pixel 12 */
            if (pushes == 0) dots_ok &= dot == 104;
            if (pushes > 0) dots_ok &= dot - last_push == (pushes == 2 ? 15 : 8);
            last_push = dot;
            pushes++;
        } else if (id == gb_ev_PPU_FETCH) {
            uint16_t dot = (uint16_t)(pay[3] | pay[4] << 8);
            /* tile column fetches++ - 1 (the first fetch is column 0 too),
             * on the background, first at dot 80 + 6 */
            CHECK_EQ(pay[1], fetches ? fetches - 1 : 0);
            CHECK_EQ(pay[2], 0);
            if (fetches == 0) dots_ok &= dot == 85;
            dots_ok &= dot > last_fetch;
            last_fetch = dot;
            fetches++;
        } else if (id == gb_ev_PPU_SPRITE) {
            /* X order: the object at X=0 first */
            CHECK_EQ(pay[0], sprites == 0 ? 1 : 0);
            CHECK_EQ(pay[1], sprites == 0 ? 0 : 20);
            CHECK_EQ(pay[2], sprites == 0 ? 11 : 7);
            sprites++;
        }
    }
    CHECK_EQ(pushes, 20);
    CHECK(order_ok);
    CHECK(dots_ok);
    CHECK_EQ(fetches, 21);
    CHECK_EQ(sprites, 2);
    /* At debug level (the default filter) only ppu.sprite, from the run
     * ahead's log: the same two records. */
    ct_recorder_destroy(r);
    r = ct_recorder_create(&gb_schema, 1u << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ(ct_filter_apply(r, "off,ppu=debug", err, sizeof err), 0);
    run_to(g, 0x42, 0);
    gb_set_recorder(g, r);
    run_to(g, 0x43, 0);
    gb_set_recorder(g, NULL);
    unsigned n = 0, heavy = 0;
    it_ = (merged_recs){0};
    while (merged_next(r, &it_, &id, &ts, pay)) {
        heavy += id == gb_ev_PPU_PUSH || id == gb_ev_PPU_FETCH;
        if (id != gb_ev_PPU_SPRITE) continue;
        CHECK_EQ(pay[0], n == 0 ? 1 : 0);
        CHECK_EQ(pay[2], n == 0 ? 11 : 7);
        n++;
    }
    CHECK_EQ(n, 2);
    CHECK_EQ(heavy, 0);
    ct_recorder_destroy(r);
    gb_destroy(g);
}

/* The pipeline's records are kept as it runs ahead and written when mode 3
 * ends; a BGP write mid-line (from pixel 69, see test_write_dot) drops the
 * records from its dot on and the run from the write logs them again: one
 * record per 8 pixels still, in order, the ones after the write with the
 * new shade. */
static void test_pipeline_trace_write(void) {
    gb *g = make_gb();
    char err[256];
    ct_recorder *r = ct_recorder_create(&gb_schema, 1u << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ(ct_filter_apply(r, "off,ppu=trace", err, sizeof err), 0);
    memset(g->ppu.vram, 0, 0x2000);
    for (unsigned rr = 0; rr < 8; rr++)
        g->ppu.vram[16 + rr * 2] = 0xFF; /* tile 1: colour 1 */
    memset(g->ppu.vram + 0x1800, 1, 0x400);
    memset(g->ppu.oam, 0, sizeof g->ppu.oam);
    restart(g, 0x91);
    wr(g, 0xFF47, 0x04); /* colour 1 -> shade 1 */
    run_to(g, 5, 0);
    gb_set_recorder(g, r);
    run_to(g, 5, 164);
    wr(g, 0xFF47, 0x0C); /* colour 1 -> shade 3 */
    run_to(g, 6, 0);
    gb_set_recorder(g, NULL);
    unsigned pushes = 0, fetches = 0, ok = 1;
    uint8_t pay[CT_MAX_PAYLOAD];
    merged_recs it_ = {0};
    uint16_t id;
    uint64_t ts;
    while (merged_next(r, &it_, &id, &ts, pay)) {
        if (id == gb_ev_PPU_PUSH) {
            ok &= pay[0] == pushes * 8;
            ok &= pay[1] == (pay[0] < 69 ? 1 : 3);
            pushes++;
        }
        fetches += id == gb_ev_PPU_FETCH;
    }
    CHECK_EQ(pushes, 20);
    CHECK_EQ(fetches, 21);
    CHECK(ok);
    ct_recorder_destroy(r);
    gb_destroy(g);
}

/* Trace points: one PPU_MODE per mode change with its line and dot, LY as a
 * counter, frame spans, STAT requests with their source, LYC matches. */
static void test_trace_points(void) {
    gb *g = make_gb();
    char err[256];
    ct_recorder *r = ct_recorder_create(&gb_schema, 4u << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ(ct_filter_apply(r, "off,ppu=debug", err, sizeof err), 0);
    restart(g, 0x91);
    wr(g, 0xFF45, 10);
    wr(g, 0xFF41, 0x40);
    run_to(g, 0, 300);
    gb_set_recorder(g, r);
    run_to(g, 0, 200); /* one whole frame */
    gb_set_recorder(g, NULL);
    unsigned modes[4] = {0}, lys = 0, begins = 0, ends = 0, irqs = 0, lycs = 0, other = 0;
    bool line5_ok = false;
    uint8_t pay[CT_MAX_PAYLOAD];
    unsigned l5 = 0;
    merged_recs it_ = {0};
    uint16_t id;
    uint64_t ts;
    while (merged_next(r, &it_, &id, &ts, pay)) {
        switch (id) {
        case gb_ev_PPU_MODE:
            modes[pay[0] & 3]++;
            if (pay[1] == 5) {
                /* mode 2 at dot 2 (seen at the tick to 4), 3 at 81, 0 at 253 */
                static const uint8_t want_mode[3] = {2, 3, 0};
                static const uint16_t want_dot[3] = {2, 81, 253};
                uint16_t dot = (uint16_t)(pay[2] | pay[3] << 8);
                if (l5 < 3 && pay[0] == want_mode[l5] && dot == want_dot[l5]) l5++;
                line5_ok = l5 == 3;
            }
            break;
        case gb_ev_PPU_LY: lys++; break;
        case gb_ev_PPU_FRAME_BEGIN: begins++; break;
        case gb_ev_PPU_FRAME_END: ends++; break;
        case gb_ev_PPU_STAT_IRQ:
            irqs++;
            CHECK_EQ(pay[0], 10);
            CHECK_EQ(pay[1], 0x40);
            break;
        case gb_ev_PPU_LYC:
            lycs++;
            CHECK_EQ(pay[0], 10);
            break;
        default: other++; break;
        }
    }
    CHECK_EQ(modes[2], 144);
    CHECK_EQ(modes[3], 144);
    CHECK_EQ(modes[0], 143); /* line 0 ended before the window */
    CHECK_EQ(modes[1], 1);
    CHECK(line5_ok);
    CHECK_EQ(lys, 155); /* 154 lines, and LY reading 0 early on line 153 */
    CHECK_EQ(begins, 1);
    CHECK_EQ(ends, 1);
    CHECK_EQ(irqs, 1);
    CHECK_EQ(lycs, 1);
    CHECK_EQ(other, 0);

    /* The LCD turned off mid-frame closes the frame span. */
    for (unsigned k = 0; k < r->nrings; k++)
        ct_ring_reset(r->rings[k]);
    gb_set_recorder(g, r);
    wr(g, 0xFF40, 0x11);
    wr(g, 0xFF40, 0x91);
    gb_set_recorder(g, NULL);
    begins = ends = 0;
    it_ = (merged_recs){0};
    while (merged_next(r, &it_, &id, &ts, pay)) {
        begins += id == gb_ev_PPU_FRAME_BEGIN;
        ends += id == gb_ev_PPU_FRAME_END;
    }
    CHECK_EQ(ends, 1);
    CHECK_EQ(begins, 1);
    ct_recorder_destroy(r);
    gb_destroy(g);
}

/* The state snapshot: state.cpu, state.lcd and state.io at each frame start
 * (with the frame span's stamp) and when the LCD goes off, holding the
 * registers as the bus reads them, so a wrapped ring's oldest frame starts
 * from a known state. */
static void test_state_snapshot(void) {
    gb *g = make_gb();
    char err[256];
    ct_recorder *r =
        ct_recorder_create_spec(&gb_schema, "rest=1M,info=256K", CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) return;
    CHECK_EQ(ct_filter_apply(r, "off,state=info,ppu.frame=debug", err, sizeof err), 0);
    CHECK(r->ring_of[gb_ev_STATE_CPU] != r->ring_of[gb_ev_CPU_EXEC]); /* the rare ring */
    restart(g, 0x91);
    wr(g, 0xFF42, 0x12);           /* SCY */
    wr(g, 0xFF47, 0xE4);           /* BGP */
    gb_bus_write(g, 0xFF06, 0x77); /* TMA */
    g->cpu.r[GB_R_A] = 0x5A;
    g->cpu.sp = 0xDFF0;
    run_to(g, 0, 300);
    gb_set_recorder(g, r);
    run_to(g, 0, 200);   /* one frame start */
    wr(g, 0xFF40, 0x11); /* LCD off */
    gb_set_recorder(g, NULL);
    unsigned cpu = 0, lcd = 0, io = 0, begins = 0;
    uint64_t begin_ts = 0;
    uint8_t pay[CT_MAX_PAYLOAD];
    merged_recs it_ = {0};
    uint16_t id;
    uint64_t ts;
    const ct_event_desc *dl = &gb_schema.events[gb_ev_STATE_LCD];
    const ct_event_desc *dc = &gb_schema.events[gb_ev_STATE_CPU];
    const ct_event_desc *di = &gb_schema.events[gb_ev_STATE_IO];
    while (merged_next(r, &it_, &id, &ts, pay)) {
        if (id == gb_ev_PPU_FRAME_BEGIN) begins++, begin_ts = ts;
        if (id == gb_ev_STATE_CPU) {
            CHECK_EQ(ct_field_u64(dc, (unsigned)ct_field_index(dc, "a"), pay), 0x5A);
            CHECK_EQ(ct_field_u64(dc, (unsigned)ct_field_index(dc, "sp"), pay), 0xDFF0);
            CHECK_EQ(ct_field_u64(dc, (unsigned)ct_field_index(dc, "rom_bank"), pay), 1);
            cpu++;
        }
        if (id == gb_ev_STATE_IO) {
            CHECK_EQ(ct_field_u64(di, (unsigned)ct_field_index(di, "tma"), pay), 0x77);
            io++;
        }
        if (id == gb_ev_STATE_LCD) {
            const unsigned lcdc = (unsigned)ct_field_u64(dl, 0, pay);
            CHECK_EQ(ct_field_u64(dl, (unsigned)ct_field_index(dl, "scy"), pay), 0x12);
            CHECK_EQ(ct_field_u64(dl, (unsigned)ct_field_index(dl, "bgp"), pay), 0xE4);
            CHECK_EQ(ct_field_u64(dl, (unsigned)ct_field_index(dl, "ly"), pay), 0);
            if (lcd == 0) {
                /* the frame start: LCD on, the same stamp as the span */
                CHECK_EQ(lcdc, 0x91);
                CHECK_EQ(ts, begin_ts);
                CHECK_EQ(ct_field_u64(dl, (unsigned)ct_field_index(dl, "frame"), pay),
                         gb_frames(g));
            } else {
                CHECK_EQ(lcdc, 0x11); /* LCD off, mode 0 */
                CHECK_EQ(ct_field_u64(dl, (unsigned)ct_field_index(dl, "mode"), pay), 0);
            }
            lcd++;
        }
    }
    CHECK_EQ(begins, 1);
    CHECK_EQ(cpu, 2);
    CHECK_EQ(lcd, 2);
    CHECK_EQ(io, 2);
    ct_recorder_destroy(r);
    gb_destroy(g);
}

static void test_post_boot(void) {
    gb *g = make_gb();
    /* Post-boot DMG: LCDC $91, STAT $85 (mode 1, LY=LYC), LY 0, BGP $FC
     * (Pan Docs, Power Up Sequence; mooneye boot_hwio-dmgABCmgb). */
    CHECK_EQ(rd(g, 0xFF40), 0x91);
    CHECK_EQ(rd(g, 0xFF41), 0x85);
    CHECK_EQ(rd(g, 0xFF44), 0x00);
    CHECK_EQ(rd(g, 0xFF47), 0xFC);
    CHECK_EQ(rd(g, 0xFF48), 0xFF);
    CHECK_EQ(rd(g, 0xFF49), 0xFF);
    /* The frame starts soon after, with line 0 in mode 2. */
    int n = 0;
    while (g->ppu.line != 0 && n < 200) {
        gb_ppu_tick(g);
        n++;
    }
    CHECK(n < 200);
    gb_ppu_tick(g);
    CHECK_EQ(stat_mode(g), 2);
    gb_destroy(g);
}

/* The boot ROM's logo left in VRAM: nibble bits widened to pixel pairs,
 * each nibble on two rows, colour 1 (lo plane only). */
static void test_boot_logo(void) {
    for (unsigned i = 0; i < 48; i++)
        header_logo[i] = (uint8_t)(i * 37 + 0x5A);
    gb *g = make_gb();
    memset(header_logo, 0, sizeof header_logo);
    static const uint8_t widen[16] = {0x00, 0x03, 0x0C, 0x0F, 0x30, 0x33, 0x3C, 0x3F,
                                      0xC0, 0xC3, 0xCC, 0xCF, 0xF0, 0xF3, 0xFC, 0xFF};
    unsigned bad = 0;
    for (unsigned i = 0; i < 48; i++) {
        uint8_t b = (uint8_t)(i * 37 + 0x5A);
        const uint8_t *rows = &g->ppu.vram[0x10 + i * 8];
        bad += rows[0] != widen[b >> 4] || rows[2] != widen[b >> 4];
        bad += rows[4] != widen[b & 15] || rows[6] != widen[b & 15];
        bad += rows[1] || rows[3] || rows[5] || rows[7];
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(g->ppu.vram[0x190], 0x3C); /* (R) mark, tile 25 */
    CHECK_EQ(g->ppu.vram[0x1904], 1);
    CHECK_EQ(g->ppu.vram[0x190F], 12);
    CHECK_EQ(g->ppu.vram[0x1910], 25);
    CHECK_EQ(g->ppu.vram[0x1924], 13);
    CHECK_EQ(g->ppu.vram[0x192F], 24);
    CHECK_EQ(g->ppu.vram[0x1903], 0);
    gb_destroy(g);
}

/* Save states are untrusted: the check accepts every state a running PPU
 * goes through and refuses broken ones, and the PPU stays in bounds even
 * if a broken one is loaded unchecked. */
static void test_state_check(void) {
    gb *g = make_gb();
    fill_tiles(g);
    for (unsigned i = 0; i < 40; i++)
        put_obj(g, i, (uint8_t)(16 + i * 3), (uint8_t)(i * 4), 1, 0);
    restart(g, 0xF3);
    wr(g, 0xFF4B, 50);
    unsigned bad = 0;
    for (unsigned n = 0; n < 154 * 114 * 2; n++) {
        gb_ppu_tick(g);
        bad += gb_ppu_state_check(&g->ppu) != 0;
    }
    wr(g, 0xFF40, 0x00);
    gb_ppu_tick(g);
    bad += gb_ppu_state_check(&g->ppu) != 0;
    CHECK_EQ(bad, 0);

    restart(g, 0xF3);
    gb_ppu saved = g->ppu;
    g->ppu.kind = 200;
    CHECK(gb_ppu_state_check(&g->ppu) != 0);
    g->ppu = saved;
    g->ppu.step = 99;
    CHECK(gb_ppu_state_check(&g->ppu) != 0);
    g->ppu = saved;
    g->ppu.front = 7;
    CHECK(gb_ppu_state_check(&g->ppu) != 0);
    g->ppu = saved;
    g->ppu.nobj = 3;
    g->ppu.obj[1] = 41;
    CHECK(gb_ppu_state_check(&g->ppu) != 0);

    /* Everything broken at once, run unchecked (ASan watches). */
    g->ppu.kind = 200;
    g->ppu.step = 99;
    g->ppu.front = 7;
    g->ppu.nobj = 200;
    memset(g->ppu.obj, 0xFF, sizeof g->ppu.obj);
    g->ppu.fifo.px = 2000;
    g->ppu.fifo.bg_n = 250;
    g->ppu.fifo.fstep = 200;
    g->ppu.fifo.onext = 99;
    g->ppu.fifo.ocur = 99;
    for (unsigned n = 0; n < 154 * 114 * 2; n++)
        gb_ppu_tick(g);
    CHECK_EQ(gb_ppu_state_check(&g->ppu), 0);
    gb_destroy(g);
}

int main(void) {
    test_line_timeline();
    test_scx_mode3_length();
    test_object_penalties();
    test_lyc_and_vblank();
    test_mode2_irq();
    test_mode2_pulse();
    test_stat_blocking();
    test_lcd_off_on();
    test_bg_scroll();
    test_window();
    test_objects();
    test_mid_line_write();
    test_write_dot();
    test_scx_fine_write();
    test_tiledata_write();
    test_line0_pipeline();
    test_pipeline_trace();
    test_pipeline_trace_write();
    test_dma_hides_objects();
    test_trace_points();
    test_state_snapshot();
    test_post_boot();
    test_boot_logo();
    test_state_check();
    return test_result();
}
