/* Save states are untrusted input (issue 12 item 13): gb_state_load checks
 * every field before changing anything. Each patched field below gives
 * -EINVAL and leaves the machine as it was; among them the APU values that
 * reached undefined behaviour in apu.c before (a bool holding 2 read by
 * next_step and clock_sweep; indices and counters out of range). */
#include "gb/gb_internal.h"
#include "check.h"
#include "testrom.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Offset of a section's body in a state: found by its tag and size. */
static size_t section(const uint8_t *st, size_t n, const char *tag, size_t size) {
    for (size_t off = 16; off + 8 <= n;) {
        uint32_t sz;
        memcpy(&sz, st + off + 4, 4);
        if (!memcmp(st + off, tag, 4)) {
            CHECK_EQ(sz, size);
            return off + 8;
        }
        off += 8 + sz;
    }
    CHECK(0);
    return 0;
}

typedef struct patch {
    const char *what, *tag;
    size_t size, at;
    uint8_t bytes[8];
    size_t n;
} patch;

#define APU(field) "APU_", sizeof(gb_apu), offsetof(gb_apu, field)
#define CH(i, field)                                                                               \
    "APU_", sizeof(gb_apu),                                                                        \
        offsetof(gb_apu, ch) + (i) * sizeof(gb_apu_ch) + offsetof(gb_apu_ch, field)

int main(void) {
    /* Sound on, square 1 with sweep, wave and noise playing: LD A,$80; LDH
     * ($26),A; LD A,$FF; LDH ($25),A; LDH ($24),A; LD A,$F0; LDH ($12),A;
     * LD A,$17; LDH ($10),A; LD A,$87; LDH ($14),A; LDH ($1A),A (wave DAC);
     * LDH ($1E),A; LDH ($21),A; LDH ($23),A; loop: JR loop. */
    static const uint8_t code[] = {0x3E, 0x80, 0xE0, 0x26, 0x3E, 0xFF, 0xE0, 0x25, 0xE0, 0x24, 0x3E,
                                   0xF0, 0xE0, 0x12, 0x3E, 0x17, 0xE0, 0x10, 0x3E, 0x87, 0xE0, 0x14,
                                   0xE0, 0x1A, 0xE0, 0x1E, 0xE0, 0x21, 0xE0, 0x23, 0x18, 0xFE};
    static uint8_t rom[TESTROM_SIZE];
    testrom_build(rom, code, sizeof code);
    char err[256];
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    CHECK(g != NULL);
    if (!g) return test_result();
    gb_run(g, 70224 * 3, 0);
    size_t n = gb_state_size(g);
    uint8_t *st = malloc(n), *mod = malloc(n), *after = malloc(n);
    CHECK_EQ(gb_state_save(g, st, n), (long)n);
    CHECK_EQ(gb_state_load(g, st, n), 0); /* as saved: accepted */

    const uint16_t big16 = 5000;
    patch ps[] = {
        {"apu.power = 2", APU(power), {2}, 1},
        {"apu.sweep_en = 2", APU(sweep_en), {2}, 1},
        {"apu.sweep_neg_used = 7", APU(sweep_neg_used), {7}, 1},
        {"apu.ch[0].on = 2", CH(0, on), {2}, 1},
        {"apu.ch[3].dac = 255", CH(3, dac), {255}, 1},
        {"apu.ch[2].len_en = 3", CH(2, len_en), {3}, 1},
        {"apu.fs_step = 8", APU(fs_step), {8}, 1},
        {"apu.sweep_timer = 9", APU(sweep_timer), {9}, 1},
        {"apu.ch[0].pos = 8", CH(0, pos), {8}, 1},
        {"apu.ch[2].pos = 32", CH(2, pos), {32}, 1},
        {"apu.ch[1].level = 16", CH(1, level), {16}, 1},
        {"apu.ch[3].vol = 16", CH(3, vol), {16}, 1},
        {"apu.ch[0].len = 5000", CH(0, len), {big16 & 0xFF, big16 >> 8}, 2},
        {"apu.ch[0].freq = 5000", CH(0, freq), {big16 & 0xFF, big16 >> 8}, 2},
        {"apu.lfsr = 0xFFFF", APU(lfsr), {0xFF, 0xFF}, 2},
        {"apu.mix_l = 0x10000", APU(mix_l), {0, 0, 1, 0}, 4},
        {"apu.sample_cd = 0x1000000", APU(sample_cd), {0, 0, 0, 1}, 4},
        {"apu.ring_tail = 0x80000000", APU(ring_tail), {0, 0, 0, 0x80}, 4},
        {"apu.hp_l = 2^56", APU(hp_l), {0, 0, 0, 0, 0, 0, 0, 1}, 8},
        {"apu.wave_read_at = 2^56", APU(wave_read_at), {0, 0, 0, 0, 0, 0, 0, 1}, 8},
        {"timer.reload = 3", "TIMR", sizeof(gb_timer), offsetof(gb_timer, reload), {3}, 1},
        {"bus.dma_index = 200", "BUS_", GB_BUS_STATE_BYTES, offsetof(gb_bus, dma_index), {200}, 1},
        {"bus.serial_edges = 16",
         "BUS_",
         GB_BUS_STATE_BYTES,
         offsetof(gb_bus, serial_edges),
         {16},
         1},
        {"cpu.ime = 2", "CPU_", sizeof(gb_cpu), offsetof(gb_cpu, ime), {2}, 1},
    };
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        const patch *p = &ps[k];
        memcpy(mod, st, n);
        size_t at = section(st, n, p->tag, p->size) + p->at;
        memcpy(mod + at, p->bytes, p->n);
        int rc = gb_state_load(g, mod, n);
        if (rc != -EINVAL) printf("accepted: %s\n", p->what);
        CHECK_EQ(rc, -EINVAL);
        CHECK_EQ(gb_state_save(g, after, n), (long)n);
        CHECK(!memcmp(after, st, n)); /* unchanged */
    }
    /* The machine still runs from the accepted state. */
    gb_run(g, 70224, 0);
    free(st);
    free(mod);
    free(after);
    gb_destroy(g);
    return test_result();
}
