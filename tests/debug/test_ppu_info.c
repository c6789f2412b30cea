/* gb_get_ppu, the debugger's view of the PPU: on a synthesized ROM (LCD on,
 * SCX = 3, NOPs), stepped one M-cycle at a time through a visible line, the
 * pixel pipeline it reports at each dot is the one the PPU runs: the fine
 * scroll is dropped first, pixels pushed only grow, the FIFO never holds
 * more than 16, mode 3 lasts the 172 + SCX%8 dots it reports, and asking
 * changes nothing in the machine (the state is byte for byte the same, and
 * a machine asked at every step ends three frames later exactly where one
 * never asked does). */
#include "check.h"
#include "testrom.h"

#include "gb/gb.h"

#include <stdlib.h>
#include <string.h>

static uint8_t rom[TESTROM_SIZE];

static gb *machine(void) {
    char err[200];
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    if (!g) fprintf(stderr, "%s\n", err);
    return g;
}

int main(void) {
    static const uint8_t code[] = {0x3E, 0x03, 0xE0, 0x43}; /* ld a,3; ldh (SCX),a; nop... */
    testrom_build(rom, code, sizeof code);
    static const uint8_t loop[] = {0xC3, 0x54, 0x01}; /* jp $0154 */
    memcpy(rom + 0x7F00, loop, sizeof loop);
    testrom_fix_checksum(rom);
    gb *g = machine(), *quiet = machine();
    CHECK(g && quiet);
    if (!g || !quiet) return test_result();
    const size_t size = gb_state_size(g);
    uint8_t *s1 = malloc(size), *s2 = malloc(size);
    CHECK(s1 && s2);
    if (!s1 || !s2) return test_result();

    gb_ppu_info p;
    /* To mode 2 of line 10 (after the SCX write). */
    do {
        gb_step(g);
        gb_get_ppu(g, &p);
    } while (!(p.line == 10 && p.mode == 2));
    int m3_first = -1, m0_first = -1, samples = 0, unchanged = 0;
    unsigned last_pushed = 0, m3_len = 0;
    bool monotonic = true, bounded = true, fine_first = false;
    while (p.line == 10) {
        CHECK(gb_state_save(g, s1, size) > 0);
        gb_get_ppu(g, &p);
        CHECK(gb_state_save(g, s2, size) > 0);
        unchanged += !memcmp(s1, s2, size);
        samples++;
        if (p.mode == 3) {
            CHECK(p.pipeline);
            if (m3_first < 0) {
                m3_first = p.dot;
                /* The first dots: nothing pushed, the fine scroll to drop. */
                fine_first = p.pushed == 0 && p.fine_left == 3;
            }
            if (p.pushed < last_pushed) monotonic = false;
            last_pushed = p.pushed;
            if (p.bg_fifo > 16 || p.fetch_step > 7 || p.pushed > 160 || p.window) bounded = false;
            m3_len = p.mode3_len;
        } else if (p.mode == 0 && m3_first >= 0 && m0_first < 0) {
            m0_first = p.dot;
            CHECK(!p.pipeline);
        }
        gb_step(g);
        gb_get_ppu(g, &p);
    }
    printf("line 10: mode 3 from dot %d, mode 0 from dot %d, reported %u dots; last sample in "
           "mode 3 had %u pixels pushed; %d of %d samples left the state unchanged\n",
           m3_first, m0_first, m3_len, last_pushed, unchanged, samples);
    CHECK(fine_first);
    CHECK(monotonic);
    CHECK(bounded);
    CHECK_EQ(m3_len, 172 + 3);
    CHECK(m3_first >= 0 && m0_first > m3_first);
    /* Sampled every 4 dots: the observed length is within one M-cycle. */
    CHECK(abs((m0_first - m3_first) - (int)m3_len) < 4);
    CHECK(last_pushed >= 150);
    CHECK_EQ(unchanged, samples);

    /* Asked at every step for three frames vs never asked. */
    uint64_t target = gb_cycles(g) + 3 * 70224;
    while (gb_cycles(g) < target) {
        gb_step(g);
        gb_get_ppu(g, &p);
    }
    gb_run(quiet, gb_cycles(g) - gb_cycles(quiet), 0);
    CHECK_EQ(gb_cycles(quiet), gb_cycles(g));
    CHECK(gb_state_save(g, s1, size) > 0 && gb_state_save(quiet, s2, size) > 0);
    CHECK(!memcmp(s1, s2, size));
    CHECK(!memcmp(gb_framebuffer(g), gb_framebuffer(quiet), GB_LCD_W * GB_LCD_H));
    free(s1);
    free(s2);
    gb_destroy(g);
    gb_destroy(quiet);
    return test_result();
}
