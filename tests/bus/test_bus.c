/* Bus unit tests on a machine built from a synthesized 32 KiB ROM: the
 * state the DMG powers on with (WRAM), the blank first frame after the LCD
 * is switched on, and OAM DMA rules, driven through the
 * CPU's bus accesses (gb_bus_read/gb_bus_write) and gb_bus_tick, one
 * M-cycle at a time. Each expectation cites the hardware fact behind it. */
#include "check.h"
#include "testrom.h"
#include "gb/gb_internal.h"

#include <string.h>

static gb *make_gb(void) {
    static uint8_t rom[TESTROM_SIZE];
    static const uint8_t code[] = {0x18, 0xFE}; /* jr -2 */
    testrom_build(rom, code, sizeof code);
    char err[128];
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    if (!g) {
        fprintf(stderr, "gb_create: %s\n", err);
        exit(1);
    }
    return g;
}

/* ---- power-on WRAM --------------------------------------------------------- */

/* How many bytes of the 256 at `a` are not `base`, and whether every such
 * byte differs from it in exactly one bit. */
static unsigned flipped(gb *g, uint16_t a, uint8_t base, bool *one_bit) {
    unsigned n = 0;
    *one_bit = true;
    for (unsigned i = 0; i < 256; i++) {
        const uint8_t v = gb_peek(g, (uint16_t)(a + i));
        if (v == base) continue;
        n++;
        const uint8_t d = v ^ base;
        if (d & (d - 1)) *one_bit = false;
    }
    return n;
}

/* Stripes of 256 bytes, $00/$FF from $C000, swapped from $C800, repeated at
 * $D000, with a few single-bit flips (bully: not all $00 or $FF; gambatte
 * oamdma_srcFE00_* read the $DE00 stripe as $FF, srcFF00_* $DF00 as $00). */
static void test_power_on_wram(void) {
    gb *g = make_gb();
    static const struct {
        uint16_t a;
        uint8_t base;
    } stripes[] = {{0xC000, 0x00}, {0xC100, 0xFF}, {0xC600, 0x00}, {0xC700, 0xFF},
                   {0xC800, 0xFF}, {0xC900, 0x00}, {0xCE00, 0xFF}, {0xCF00, 0x00},
                   {0xD000, 0x00}, {0xD100, 0xFF}, {0xDE00, 0xFF}, {0xDF00, 0x00}};
    for (size_t i = 0; i < sizeof stripes / sizeof stripes[0]; i++) {
        bool one_bit;
        const unsigned n = flipped(g, stripes[i].a, stripes[i].base, &one_bit);
        CHECK(n > 0);   /* not uniform */
        CHECK(n < 64);  /* but mostly the stripe's value */
        CHECK(one_bit); /* a flip is one cell */
    }
    /* $C000 is neither all $00 nor all $FF (bully). */
    bool zero = true, ones = true;
    for (unsigned i = 0; i < 256; i++) {
        const uint8_t v = gb_peek(g, (uint16_t)(0xC000 + i));
        zero &= v == 0x00;
        ones &= v == 0xFF;
    }
    CHECK(!zero && !ones);
    /* Flips set bits in even bytes of a $00 stripe, clear them in odd bytes
     * of a $FF stripe. */
    for (unsigned a = 0xC000; a < 0xE000; a++) {
        const uint8_t v = gb_peek(g, (uint16_t)a);
        const unsigned s = (a >> 8) & 0x0F;
        const uint8_t base = ((s & 1) ^ (s >> 3)) ? 0xFF : 0x00;
        if (v != base) CHECK_EQ(a & 1, base & 1);
    }
    /* The echo at $E000 reads the same cells. */
    for (unsigned i = 0; i < 0x1E00; i += 0x101)
        CHECK_EQ(gb_peek(g, (uint16_t)(0xE000 + i)), gb_peek(g, (uint16_t)(0xC000 + i)));
    /* Every run starts the same: a reset gives back the same cells. */
    uint8_t before[0x2000];
    for (unsigned i = 0; i < 0x2000; i++)
        before[i] = gb_peek(g, (uint16_t)(0xC000 + i));
    gb_bus_write(g, 0xC000, 0x5A);
    gb_reset(g);
    unsigned same = 0;
    for (unsigned i = 0; i < 0x2000; i++)
        same += gb_peek(g, (uint16_t)(0xC000 + i)) == before[i];
    CHECK_EQ(same, 0x2000);
    gb_destroy(g);
}

/* ---- the first frame after LCD enable ---------------------------------------- */

/* Every pixel of the shown frame is `shade`. */
static bool frame_is(gb *g, uint8_t shade) {
    const uint8_t *fb = gb_framebuffer(g);
    for (unsigned i = 0; i < 160 * 144; i++)
        if (fb[i] != shade) return false;
    return true;
}

/* The frame the PPU draws first after LCDC bit 7 is set is not shown: the
 * screen stays white (shade 0) until the second frame (little-things-gb
 * firstwhite). A background of colour 0 through BGP $FF is black. */
static void test_first_frame_blank(void) {
    gb *g = make_gb();
    for (unsigned i = 0; i < 0x2000; i++)
        g->ppu.vram[i] = 0;
    gb_ppu_write(g, 0xFF47, 0xFF);
    CHECK(gb_run(g, 2 * 70224, GB_STOP_FRAME) & GB_STOP_FRAME);
    CHECK(frame_is(g, 3)); /* the LCD was on: frames are shown */
    gb_ppu_write(g, 0xFF40, 0x11);
    gb_ppu_write(g, 0xFF40, 0x91);
    CHECK(gb_run(g, 2 * 70224, GB_STOP_FRAME) & GB_STOP_FRAME);
    CHECK(frame_is(g, 0)); /* first frame after enabling: white */
    CHECK(gb_run(g, 2 * 70224, GB_STOP_FRAME) & GB_STOP_FRAME);
    CHECK(frame_is(g, 3)); /* the second is shown */
    CHECK(gb_run(g, 2 * 70224, GB_STOP_FRAME) & GB_STOP_FRAME);
    CHECK(frame_is(g, 3));
    gb_destroy(g);
}

int main(void) {
    test_power_on_wram();
    test_first_frame_blank();
    return test_result();
}
