/* APU unit tests on a hand-built machine (only the APU runs): register
 * read-back masks, power off/on, length counters and their trigger quirks,
 * envelopes, sweep (overflow, negate quirk), DACs, samples and trace points. */
#include "gb/gb_internal.h"
#include "check.h"
#include "testrec.h"

#include <string.h>

static gb *new_gb(void) {
    gb *g = calloc(1, sizeof *g);
    gb_apu_init(g);
    return g;
}

static void wr(gb *g, uint16_t a, uint8_t v) {
    gb_apu_write(g, a, v);
}
static uint8_t rd(gb *g, uint16_t a) {
    return gb_apu_read(g, a);
}
static void frame_steps(gb *g, unsigned n) {
    while (n--)
        gb_apu_div_event(g);
}
static void mcycles(gb *g, unsigned n) {
    while (n--) {
        g->cycles += 4;
        gb_apu_tick(g);
    }
}
static void power_cycle(gb *g) {
    wr(g, 0xFF26, 0x00);
    wr(g, 0xFF26, 0x80);
}

static void test_registers(void) {
    gb *g = new_gb();
    CHECK_EQ(rd(g, 0xFF26), 0xF1); /* post-boot: on, square 1 on */
    CHECK_EQ(rd(g, 0xFF24), 0x77);
    CHECK_EQ(rd(g, 0xFF25), 0xF3);
    power_cycle(g);
    CHECK_EQ(rd(g, 0xFF26), 0xF0);
    /* Bits that read 1 whatever was written (blargg dmg_sound 01-registers). */
    static const uint8_t mask[0x17] = {0x80, 0x3F, 0x00, 0xFF, 0xBF, 0xFF, 0x3F, 0x00,
                                       0xFF, 0xBF, 0x7F, 0xFF, 0x9F, 0xFF, 0xBF, 0xFF,
                                       0xFF, 0x00, 0x00, 0xBF, 0x00, 0x00};
    for (unsigned r = 0; r < 0x16; r++) {
        wr(g, (uint16_t)(0xFF10 + r), 0x00);
        CHECK_EQ(rd(g, (uint16_t)(0xFF10 + r)), mask[r]);
        wr(g, (uint16_t)(0xFF10 + r), 0xFF);
        CHECK_EQ(rd(g, (uint16_t)(0xFF10 + r)), 0xFF);
    }
    for (unsigned a = 0xFF27; a < 0xFF30; a++) {
        wr(g, (uint16_t)a, 0x00);
        CHECK_EQ(rd(g, (uint16_t)a), 0xFF);
    }
    /* Powering off clears NR10-NR51 and ignores writes; wave RAM stays. */
    wr(g, 0xFF26, 0x00);
    CHECK_EQ(rd(g, 0xFF26), 0x70);
    wr(g, 0xFF30, 0x12);
    wr(g, 0xFF3F, 0xEF);
    for (unsigned r = 0; r < 0x16; r++) {
        CHECK_EQ(rd(g, (uint16_t)(0xFF10 + r)), mask[r]);
        wr(g, (uint16_t)(0xFF10 + r), 0xFF);
    }
    for (unsigned r = 0; r < 0x16; r++)
        CHECK_EQ(rd(g, (uint16_t)(0xFF10 + r)), mask[r]);
    wr(g, 0xFF26, 0xFF); /* only bit 7 is writable */
    CHECK_EQ(rd(g, 0xFF26), 0xF0);
    CHECK_EQ(rd(g, 0xFF30), 0x12);
    CHECK_EQ(rd(g, 0xFF3F), 0xEF);
    for (unsigned r = 0; r < 0x16; r++)
        CHECK_EQ(rd(g, (uint16_t)(0xFF10 + r)), mask[r]);
    free(g);
}

static void test_length(void) {
    gb *g = new_gb();
    power_cycle(g);
    /* Powered off, the DMG still loads length counters (08-len ctr during power). */
    wr(g, 0xFF26, 0x00);
    wr(g, 0xFF16, 0xFE); /* duty bits dropped, length 64 - 62 = 2 */
    wr(g, 0xFF26, 0x80);
    CHECK_EQ(rd(g, 0xFF16), 0x3F);
    wr(g, 0xFF17, 0xF0);
    wr(g, 0xFF19, 0xC0); /* trigger with length enabled; next step is 0 */
    CHECK_EQ(rd(g, 0xFF26) & 0x02, 0x02);
    frame_steps(g, 2); /* step 0: 1 left; step 1: none */
    CHECK_EQ(rd(g, 0xFF26) & 0x02, 0x02);
    frame_steps(g, 1); /* step 2: 0, off */
    CHECK_EQ(rd(g, 0xFF26) & 0x02, 0x00);
    /* The counter keeps 0 until reloaded: a trigger loads 64. */
    wr(g, 0xFF19, 0x80);
    CHECK_EQ(g->apu.ch[1].len, 64);
    CHECK_EQ(rd(g, 0xFF26) & 0x02, 0x02);

    /* Enabling the length counter in the half period after a length clock
     * clocks it once (03-trigger). */
    power_cycle(g);
    wr(g, 0xFF17, 0xF0);
    frame_steps(g, 1); /* next step (1) does not clock length */
    wr(g, 0xFF16, 0x3E);
    wr(g, 0xFF19, 0x80);
    CHECK_EQ(g->apu.ch[1].len, 2);
    wr(g, 0xFF19, 0x40);
    CHECK_EQ(g->apu.ch[1].len, 1);
    wr(g, 0xFF19, 0x40); /* already enabled: nothing */
    CHECK_EQ(g->apu.ch[1].len, 1);
    CHECK_EQ(rd(g, 0xFF26) & 0x02, 0x02);
    wr(g, 0xFF19, 0x00);
    wr(g, 0xFF19, 0x40); /* reaching 0 this way stops the channel */
    CHECK_EQ(g->apu.ch[1].len, 0);
    CHECK_EQ(rd(g, 0xFF26) & 0x02, 0x00);
    /* ... and a trigger reloading it with length enabled loads 63. */
    wr(g, 0xFF19, 0xC0);
    CHECK_EQ(g->apu.ch[1].len, 63);
    CHECK_EQ(rd(g, 0xFF26) & 0x02, 0x02);
    /* In the other half, no extra clock. */
    frame_steps(g, 1);
    wr(g, 0xFF19, 0x00);
    wr(g, 0xFF19, 0x40);
    CHECK_EQ(g->apu.ch[1].len, 63);

    /* Wave: 256 steps. */
    power_cycle(g);
    wr(g, 0xFF1A, 0x80);
    wr(g, 0xFF1B, 0xFF); /* 256 - 255 = 1 */
    wr(g, 0xFF1E, 0xC0);
    CHECK_EQ(rd(g, 0xFF26) & 0x04, 0x04);
    frame_steps(g, 1);
    CHECK_EQ(rd(g, 0xFF26) & 0x04, 0x00);
    wr(g, 0xFF1E, 0x80);
    CHECK_EQ(g->apu.ch[2].len, 256);
    free(g);
}

static void test_envelope_dac(void) {
    gb *g = new_gb();
    power_cycle(g);
    wr(g, 0xFF12, 0xF1); /* 15, down, period 1 */
    wr(g, 0xFF14, 0x80);
    CHECK_EQ(g->apu.ch[0].vol, 15);
    frame_steps(g, 7);
    CHECK_EQ(g->apu.ch[0].vol, 15);
    frame_steps(g, 1); /* step 7 */
    CHECK_EQ(g->apu.ch[0].vol, 14);
    frame_steps(g, 8 * 20);
    CHECK_EQ(g->apu.ch[0].vol, 0);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01); /* volume 0 does not stop it */

    wr(g, 0xFF21, 0x3B); /* noise: 3, up, period 3 */
    wr(g, 0xFF23, 0x80);
    CHECK_EQ(rd(g, 0xFF26) & 0x08, 0x08);
    frame_steps(g, 8 * 3);
    CHECK_EQ(g->apu.ch[3].vol, 4);
    frame_steps(g, 8 * 3 * 20);
    CHECK_EQ(g->apu.ch[3].vol, 15);

    wr(g, 0xFF17, 0x50); /* period 0: no change */
    wr(g, 0xFF19, 0x80);
    frame_steps(g, 64);
    CHECK_EQ(g->apu.ch[1].vol, 5);

    /* DAC: NRx2 bits 3-7 power it; off stops the channel, and a trigger
     * with the DAC off leaves it off. */
    wr(g, 0xFF12, 0x08);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01);
    wr(g, 0xFF12, 0x07);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);
    wr(g, 0xFF14, 0x80);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);
    wr(g, 0xFF1A, 0x00);
    wr(g, 0xFF1E, 0x80);
    CHECK_EQ(rd(g, 0xFF26) & 0x04, 0x00);
    free(g);
}

static void test_sweep(void) {
    gb *g = new_gb();
    power_cycle(g);
    wr(g, 0xFF10, 0x11); /* period 1, add, shift 1 */
    wr(g, 0xFF12, 0xF0);
    wr(g, 0xFF13, 0x00);
    wr(g, 0xFF14, 0x84); /* 0x400 */
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01);
    frame_steps(g, 2); /* steps 0, 1 */
    CHECK_EQ(g->apu.ch[0].freq, 0x400);
    frame_steps(g, 1); /* step 2: 0x600, then 0x900 overflows */
    CHECK_EQ(g->apu.ch[0].freq, 0x600);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);

    /* Shift 0: the frequency is not written back (0x3FF + 0x3FF fits). */
    wr(g, 0xFF10, 0x10);
    wr(g, 0xFF13, 0xFF);
    wr(g, 0xFF14, 0x83);
    frame_steps(g, 8);
    CHECK_EQ(g->apu.ch[0].freq, 0x3FF);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01);
    /* ... but the overflow check still runs: 0x7FF + 0x7FF stops it. */
    wr(g, 0xFF14, 0x87);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01);
    frame_steps(g, 8);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);

    /* Overflow check at trigger (06-overflow on trigger). */
    wr(g, 0xFF10, 0x01);
    wr(g, 0xFF14, 0x87);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);
    wr(g, 0xFF10, 0x02); /* 0x7FF + 0x1FF > 2047 too */
    wr(g, 0xFF14, 0x87);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);
    wr(g, 0xFF13, 0x00);
    wr(g, 0xFF10, 0x01); /* 0x700 + 0x380 overflows */
    wr(g, 0xFF14, 0x87);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);
    wr(g, 0xFF14, 0x86); /* 0x600 + 0x300 overflows; 0x500 + 0x280 does not */
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);
    wr(g, 0xFF14, 0x85);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01);

    /* Subtract mode, then leaving it after a calculation stops the channel
     * (05-sweep details). */
    wr(g, 0xFF10, 0x19);
    wr(g, 0xFF14, 0x84);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01);
    wr(g, 0xFF10, 0x11);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x00);
    /* Without a calculation since the trigger, it does not. */
    wr(g, 0xFF10, 0x78); /* period 7, negate, shift 0 */
    wr(g, 0xFF14, 0x84);
    wr(g, 0xFF10, 0x70);
    CHECK_EQ(rd(g, 0xFF26) & 0x01, 0x01);
    free(g);
}

static void test_wave_ram(void) {
    gb *g = new_gb();
    power_cycle(g);
    for (unsigned i = 0; i < 16; i++)
        wr(g, (uint16_t)(0xFF30 + i), (uint8_t)(i * 0x11));
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ(rd(g, (uint16_t)(0xFF30 + i)), i * 0x11);
    /* Playing, the DMG reads the byte the channel is fetching, or $FF. */
    wr(g, 0xFF1A, 0x80);
    wr(g, 0xFF1D, 0x01); /* period 510 T-cycles: fetches fall on both halves of an M-cycle */
    wr(g, 0xFF1E, 0x87);
    unsigned hits = 0, ffs = 0;
    for (unsigned k = 0; k < 2000; k++) {
        mcycles(g, 1);
        uint8_t v = rd(g, 0xFF30);
        if (v == 0xFF)
            ffs++;
        else if (v % 0x11 == 0)
            hits++;
        else
            CHECK(0);
    }
    CHECK(hits > 0 && ffs > 0);
    /* Stopped, direct access again. */
    wr(g, 0xFF1A, 0x00);
    CHECK_EQ(rd(g, 0xFF35), 0x55);
    free(g);
}

static void test_samples(void) {
    gb *g = new_gb();
    CHECK_EQ(gb_apu_take(g, NULL, 0), 0);
    power_cycle(g);
    wr(g, 0xFF24, 0x77);
    wr(g, 0xFF25, 0x22); /* square 2 on both sides */
    wr(g, 0xFF16, 0x80); /* 50 % */
    wr(g, 0xFF17, 0xF0);
    const unsigned freq = 2048 - 131072 / 1000; /* ~1 kHz */
    wr(g, 0xFF18, (uint8_t)freq);
    wr(g, 0xFF19, (uint8_t)(0x80 | freq >> 8));
    mcycles(g, GB_CLOCK_HZ / 4 / 20); /* 50 ms */
    size_t avail = gb_apu_take(g, NULL, 0);
    CHECK(avail >= 2399 && avail <= 2401);
    int16_t buf[2 * 2400];
    size_t n = gb_apu_take(g, buf, 2400);
    CHECK_EQ(n, avail);
    CHECK_EQ(gb_apu_take(g, NULL, 0), 0);
    unsigned crossings = 0, peak = 0;
    for (size_t k = 1; k < n; k++) {
        CHECK_EQ(buf[2 * k], buf[2 * k + 1]);
        if ((buf[2 * k] >= 0) != (buf[2 * k - 2] >= 0)) crossings++;
        unsigned m = (unsigned)abs(buf[2 * k]);
        if (m > peak) peak = m;
    }
    CHECK(crossings >= 90 && crossings <= 110); /* 1 kHz over 50 ms */
    CHECK(peak > 4000);
    /* Right only: the left side settles to silence. */
    wr(g, 0xFF25, 0x02);
    mcycles(g, GB_CLOCK_HZ / 4 / 2);
    n = gb_apu_take(g, buf, 2400);
    CHECK_EQ(n, 2400);
    int left_max = 0, right_max = 0;
    for (size_t k = n - 200; k < n; k++) {
        left_max = abs(buf[2 * k]) > left_max ? abs(buf[2 * k]) : left_max;
        right_max = abs(buf[2 * k + 1]) > right_max ? abs(buf[2 * k + 1]) : right_max;
    }
    CHECK_EQ(left_max, 0);
    CHECK(right_max > 4000);
    /* Nobody took the rest: the ring kept the newest GB_APU_RING frames. */
    CHECK_EQ(gb_apu_take(g, NULL, 0), GB_APU_RING - 2400);
    free(g);
}

static void test_trace(void) {
#ifndef CERES_TRACE_OFF
    gb *g = new_gb();
    power_cycle(g);
    testrec t;
    testrec_attach(&t, g, (const uint16_t[]){gb_ev_APU_WRITE, gb_ev_APU_TRIGGER}, 2);
    const ct_ring *ring = &t.rec.ring;
    g->cycles = 1234;
    wr(g, 0xFF21, 0xF0);
    wr(g, 0xFF23, 0x80);
    static const struct {
        uint16_t id, a;
        uint8_t b;
    } want[] = {
        {gb_ev_APU_WRITE, 0xFF21, 0xF0},
        {gb_ev_APU_WRITE, 0xFF23, 0x80},
        {gb_ev_APU_TRIGGER, 4, 0},
    };
    uint64_t off = ct_ring_first(ring, 0), ts;
    uint8_t p[CT_MAX_PAYLOAD];
    for (unsigned k = 0; k < 3; k++) {
        CHECK(off < ct_ring_head(ring));
        CHECK_EQ(ct_ring_read(ring, off, &ts, p), want[k].id);
        CHECK_EQ(ts, 1234);
        if (want[k].id == gb_ev_APU_WRITE) {
            CHECK_EQ(p[0] | p[1] << 8, want[k].a);
            CHECK_EQ(p[2], want[k].b);
        } else {
            CHECK_EQ(p[0], want[k].a);
        }
        off += ct_ring_rec_words(ring, off);
    }
    CHECK_EQ(off, ct_ring_head(ring));
    free(t.mem);
    free(g);
#endif
}

/* Random register writes, ticks and frame-sequencer steps: invariants hold
 * (a playing channel has its DAC on; nothing plays while powered off) and
 * the sanitizer build sees no bad access. */
static void test_random(void) {
    gb *g = new_gb();
    uint32_t seed = 99;
    unsigned bad = 0;
    for (unsigned k = 0; k < 200000; k++) {
        seed = seed * 1103515245u + 12345u;
        const unsigned r = seed >> 16;
        if ((r & 7) < 3)
            wr(g, (uint16_t)(0xFF10 + (r >> 3) % 0x30), (uint8_t)(seed >> 8));
        else if ((r & 7) == 3)
            gb_apu_div_event(g);
        else
            mcycles(g, 1 + (r >> 3) % 64);
        if ((r & 0xFF) == 0xFF) wr(g, 0xFF26, (uint8_t)(seed & 0x80));
        const uint8_t nr52 = rd(g, 0xFF26);
        for (unsigned i = 0; i < 4; i++)
            if (((nr52 >> i) & 1) && (!g->apu.ch[i].dac || !(nr52 & 0x80))) bad++;
    }
    CHECK_EQ(bad, 0);
    int16_t buf[2 * 512];
    while (gb_apu_take(g, buf, 512) == 512)
        ;
    free(g);
}

/* Square 1 after the hand-over: still running the chime's $7C1 at duty
 * step 2, stepping at T-cycle 28 and every 252 after (gambatte hwtests
 * sound/ch1_init_pos_*): a trigger keeps the step it finds, so its duty
 * bit says where the channel was. */
static void test_post_boot_square1_phase(void) {
    static const struct {
        unsigned t;
        uint8_t pos, level;
    } at[] = {{528, 4, 0}, {532, 5, 1}, {1536, 8 & 7, 1}, {1540, 9 & 7, 0}};
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        gb *g = new_gb();
        mcycles(g, at[k].t / 4);
        wr(g, 0xFF12, 0x80);
        wr(g, 0xFF14, 0x80); /* trigger, frequency $0C1: no step for 7420 T */
        CHECK_EQ(g->apu.ch[0].pos, at[k].pos);
        CHECK_EQ(g->apu.ch[0].level, at[k].level);
        free(g);
    }
}

/* The frame sequencer hands over with step 1 next: the envelope step is the
 * seventh DIV event (gambatte hwtests sound/ch2_init_env_counter_timing_*). */
static void test_post_boot_frame_sequencer(void) {
    gb *g = new_gb();
    wr(g, 0xFF17, 0x09); /* square 2: volume 0, rising, period 1 */
    wr(g, 0xFF19, 0x87); /* trigger */
    frame_steps(g, 6);
    CHECK_EQ(g->apu.ch[1].vol, 0);
    frame_steps(g, 1);
    CHECK_EQ(g->apu.ch[1].vol, 1);
    free(g);
}

/* Powered on (NR52 bit 7) while counter bit 12 is high at the end of the
 * write's M-cycle, the frame sequencer's next step is 1, else 0 (gambatte
 * hwtests sound/ch2_late_reset_nr52_1b, 2a, 2b): a length of 3 enabled by
 * the trigger runs out at the fifth DIV event, or at the fourth with the
 * extra clock of an odd step (the trigger quirk). */
static unsigned events_until_off(uint16_t counter_at_write) {
    gb *g = new_gb();
    g->cycles = counter_at_write; /* the timer's base is 0 */
    wr(g, 0xFF26, 0x00);
    wr(g, 0xFF26, 0x80);
    wr(g, 0xFF16, 0x3D); /* length 64 - 61 = 3 */
    wr(g, 0xFF17, 0xF0);
    wr(g, 0xFF19, 0xC7); /* trigger, length enabled */
    unsigned n = 0;
    while ((rd(g, 0xFF26) & 2) && n < 10) {
        frame_steps(g, 1);
        n++;
    }
    free(g);
    return n;
}

static void test_power_on_frame_sequencer_phase(void) {
    CHECK_EQ(events_until_off(0x0FF8), 5); /* bit 12 low at the M-cycle's end */
    CHECK_EQ(events_until_off(0x0FFC), 4); /* high from that end on */
    CHECK_EQ(events_until_off(0x1800), 4);
    CHECK_EQ(events_until_off(0x1FFC), 5); /* falling: low again */
}

int main(void) {
    test_post_boot_frame_sequencer();
    test_power_on_frame_sequencer_phase();
    test_post_boot_square1_phase();
    test_registers();
    test_length();
    test_envelope_dac();
    test_sweep();
    test_wave_ram();
    test_samples();
    test_trace();
    test_random();
    return test_result();
}
