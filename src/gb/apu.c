/* APU (DMG): two square channels (the first with frequency sweep), a wave
 * channel and a noise channel, the 512 Hz frame sequencer (clocked by the
 * timer's DIV bit), and a stereo mixer producing 48 kHz int16 samples into
 * a ring inside gb_apu.
 *
 * Timing: the channels are simulated lazily. gb_apu_tick only adds 4 to a
 * pending count; when that reaches the next channel step or output sample
 * (or a register is touched), the channels run forward event by event, each
 * step landing on its exact T-cycle. Register accesses come after the
 * M-cycle's tick (cpu.c), so `now` is the access's own T-cycle.
 *
 * Hardware behaviour follows blargg's dmg_sound tests (named in comments)
 * and the Pan Docs audio pages. */
#include "gb_internal.h"

#include <errno.h>
#include <string.h>

enum { SQ1, SQ2, WAVE, NOISE };

/* Register offsets from $FF10. */
// clang-format off
enum {
    NR10 = 0x00, NR11, NR12, NR13, NR14,
    NR20, NR21, NR22, NR23, NR24,
    NR30, NR31, NR32, NR33, NR34,
    NR40, NR41, NR42, NR43, NR44,
    NR50, NR51, NR52,
    WAVE_RAM = 0x20,
};
// clang-format on

/* Bits that read back as 1 (write-only and unused bits), $FF10-$FF2F
 * (blargg dmg_sound 01-registers). Wave RAM reads back as written. */
static const uint8_t read_or[0x20] = {
    0x80, 0x3F, 0x00, 0xFF, 0xBF,                         /* NR10-NR14 */
    0xFF, 0x3F, 0x00, 0xFF, 0xBF,                         /* (NR20) NR21-NR24 */
    0x7F, 0xFF, 0x9F, 0xFF, 0xBF,                         /* NR30-NR34 */
    0xFF, 0xFF, 0x00, 0x00, 0xBF,                         /* (NR40) NR41-NR44 */
    0x00, 0x00, 0x70,                                     /* NR50-NR52 */
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* $FF27-$FF2F */
};

/* Square duty waveforms, step 0 in bit 7: 12.5 %, 25 %, 50 %, 75 %. */
static const uint8_t duty_waves[4] = {0x01, 0x81, 0x87, 0x7E};

/* Noise divisors for NR43 bits 0-2, in T-cycles before the shift. */
static const uint8_t noise_div[8] = {8, 16, 32, 48, 64, 80, 96, 112};

/* Wave output level NR32 bits 5-6: mute, 100 %, 50 %, 25 %. */
static const uint8_t wave_shift[4] = {4, 0, 1, 2};

/* Length counter maxima (square, square, wave, noise). */
static const uint16_t len_max[4] = {64, 64, 256, 64};

/* Sample rate conversion: 4194304 / 48000 = 87 + 18304 / 48000. */
#define SAMPLE_CYCLES 87u
#define SAMPLE_FRAC   (GB_CLOCK_HZ % GB_AUDIO_RATE)

/* The wave channel starts its first sample this many T-cycles after the
 * usual period following a trigger, and the CPU sees the byte the channel
 * fetched only within WAVE_ACCESS_WINDOW T-cycles of the fetch; elsewhere
 * DMG wave RAM reads $FF and ignores writes while the channel plays
 * (blargg dmg_sound 09-wave read while on, 12-wave write while on). */
#define WAVE_TRIGGER_DELAY 6u
#define WAVE_ACCESS_WINDOW 2u
/* Triggering while the channel is about to fetch corrupts the first bytes of
 * wave RAM (blargg dmg_sound 10-wave trigger while on). */
#define WAVE_CORRUPT_WINDOW 2u

/* ---- output ------------------------------------------------------------------ */

static unsigned ch_output(const gb_apu *a, unsigned i) {
    const gb_apu_ch *c = &a->ch[i];
    if (!c->on) return 0;
    if (i == WAVE) return c->level >> wave_shift[(a->regs[NR32] >> 5) & 3];
    return c->level ? c->vol : 0;
}

/* Recompute the mixed level of each side: each DAC maps 0..15 to an
 * analog level centred on 0; NR51 routes, NR50 scales by 1..8. */
static void mix(gb_apu *a) {
    int l = 0, r = 0;
    const unsigned nr51 = a->regs[NR51], nr50 = a->regs[NR50];
    for (unsigned i = 0; i < 4; i++) {
        if (!a->ch[i].dac) continue;
        const int v = 2 * (int)ch_output(a, i) - 15;
        if (nr51 & (0x10u << i)) l += v;
        if (nr51 & (0x01u << i)) r += v;
    }
    l *= (int)(((nr50 >> 4) & 7) + 1);
    r *= (int)((nr50 & 7) + 1);
    if (l != a->mix_l || r != a->mix_r) a->mix_at = a->now;
    a->mix_l = l;
    a->mix_r = r;
}

/* The output capacitor, in 16.16 fixed point: the DC offset decays by
 * 0.99634 per sample at 48 kHz. */
#define HP_KEEP 65296 /* 0.99634 * 65536 */

static int16_t high_pass(int64_t *cap, int32_t in) {
    int32_t out = in - (int32_t)(*cap / 65536);
    *cap = (int64_t)in * 65536 - (int64_t)out * HP_KEEP;
    return (int16_t)(out > 32767 ? 32767 : out < -32768 ? -32768 : out);
}

static void emit_sample(gb_apu *a) {
    /* Average over the sample period (87 or 88 T-cycles); the mix spans
     * +-480 (4 channels x 15 x 8), scaled by 64. */
    const int64_t k = (64 << 16) / (int64_t)(a->acc_cycles ? a->acc_cycles : 1);
    const uint32_t at = (a->ring_head & (GB_APU_RING - 1)) * 2;
    a->ring[at] = high_pass(&a->hp_l, (int32_t)(a->acc_l * k / 65536));
    a->ring[at + 1] = high_pass(&a->hp_r, (int32_t)(a->acc_r * k / 65536));
    a->ring_head++;
    if (a->ring_head - a->ring_tail > GB_APU_RING)
        a->ring_tail = a->ring_head - GB_APU_RING; /* drop the oldest */
    a->acc_l = a->acc_r = 0;
    a->acc_cycles = 0;
    a->sample_frac += SAMPLE_FRAC;
    a->sample_cd = SAMPLE_CYCLES;
    if (a->sample_frac >= GB_AUDIO_RATE) {
        a->sample_frac -= GB_AUDIO_RATE;
        a->sample_cd++;
    }
}

/* ---- channel steps --------------------------------------------------------------- */

static uint32_t square_period(const gb_apu_ch *c) {
    return (2048u - c->freq) * 4u;
}
static uint32_t wave_period(const gb_apu_ch *c) {
    return (2048u - c->freq) * 2u;
}
static uint32_t noise_period(const gb_apu *a) {
    const uint8_t nr43 = a->regs[NR43];
    return (uint32_t)noise_div[nr43 & 7] << (nr43 >> 4);
}

static void step_square(gb_apu *a, unsigned i) {
    gb_apu_ch *c = &a->ch[i];
    c->timer = square_period(c);
    c->pos = (c->pos + 1) & 7;
    const uint8_t duty = duty_waves[a->regs[i == SQ1 ? NR11 : NR21] >> 6];
    c->level = (duty >> (7 - c->pos)) & 1;
}

static void step_wave(gb_apu *a) {
    gb_apu_ch *c = &a->ch[WAVE];
    c->timer = wave_period(c);
    c->pos = (c->pos + 1) & 31;
    a->wave_buf = a->regs[WAVE_RAM + (c->pos >> 1)];
    a->wave_read_at = a->now;
    c->level = (c->pos & 1) ? (a->wave_buf & 0x0F) : (a->wave_buf >> 4);
}

static void step_noise(gb_apu *a) {
    gb_apu_ch *c = &a->ch[NOISE];
    c->timer = noise_period(a);
    if ((a->regs[NR43] >> 4) >= 14) /* shifts 14 and 15 stop the clock */
        return;
    const unsigned x = (a->lfsr ^ (a->lfsr >> 1)) & 1;
    a->lfsr = (uint16_t)((a->lfsr >> 1) | (x << 14));
    if (a->regs[NR43] & 0x08) /* 7-bit mode */
        a->lfsr = (uint16_t)((a->lfsr & ~0x40u) | (x << 6));
    c->level = (~a->lfsr) & 1;
}

/* T-cycles to the next step of any running channel (BUDGET_CAP if none). */
#define BUDGET_CAP 0x10000u

static uint32_t next_step(const gb_apu *a) {
    uint32_t b = BUDGET_CAP;
    for (unsigned i = 0; i < 4; i++)
        if (a->ch[i].on && a->ch[i].timer < b) b = a->ch[i].timer;
    return b;
}

/* Run the channels whose timer ran out after `elapsed` T-cycles. */
static void step_channels(gb_apu *a, uint32_t elapsed) {
    bool changed = false;
    for (unsigned i = 0; i < 4; i++) {
        gb_apu_ch *c = &a->ch[i];
        if (!c->on) continue;
        c->timer -= elapsed;
        if (c->timer) continue;
        changed = true;
        if (i == WAVE)
            step_wave(a);
        else if (i == NOISE)
            step_noise(a);
        else
            step_square(a, i);
    }
    if (changed) mix(a);
}

/* Simulate n T-cycles: advance to each channel step or sample boundary in
 * turn, integrating the output level between them. Channel timers are
 * brought up to date only at channel steps and on return. */
static void advance(gb_apu *a, uint32_t n) {
    uint32_t next = next_step(a), elapsed = 0;
    while (n) {
        uint32_t step = n < a->sample_cd ? n : a->sample_cd;
        if (next < step) step = next;
        a->acc_l += a->mix_l * (int32_t)step;
        a->acc_r += a->mix_r * (int32_t)step;
        a->acc_cycles += step;
        a->now += step;
        a->sample_cd -= step;
        n -= step;
        elapsed += step;
        next -= step;
        if (next == 0) {
            step_channels(a, elapsed);
            elapsed = 0;
            next = next_step(a);
        }
        if (a->sample_cd == 0) emit_sample(a);
    }
    if (elapsed) step_channels(a, elapsed); /* no timer reaches 0 here */
}

/* Simulation runs from gb_apu_tick when a channel steps; output samples
 * are produced on the way (and when audio is taken). */
static void set_budget(gb_apu *a) {
    a->budget = next_step(a);
}

/* Bring the channels up to the current T-cycle. */
static void sync(gb_apu *a) {
    if (a->pending) {
        advance(a, a->pending);
        a->pending = 0;
    }
}

void gb_apu_catch_up(gb *g) {
    gb_apu *a = &g->apu;
    sync(a);
    set_budget(a);
}

void gb_apu_tick(gb *g) {
    gb_apu_advance(&g->apu, g);
}

/* ---- frame sequencer ---------------------------------------------------------------- */

/* The sweep's next frequency; above 2047 disables square 1 (blargg
 * dmg_sound 04-sweep, 05-sweep details). */
static unsigned sweep_calc(gb_apu *a) {
    const unsigned shift = a->regs[NR10] & 7;
    unsigned f = a->sweep_shadow >> shift;
    if (a->regs[NR10] & 0x08) {
        f = a->sweep_shadow - f;
        a->sweep_neg_used = true;
    } else {
        f = a->sweep_shadow + f;
    }
    if (f > 2047) a->ch[SQ1].on = false;
    return f;
}

static void clock_lengths(gb_apu *a) {
    for (unsigned i = 0; i < 4; i++) {
        gb_apu_ch *c = &a->ch[i];
        if (c->len_en && c->len && --c->len == 0) c->on = false;
    }
}

static void clock_sweep(gb_apu *a) {
    if (a->sweep_timer > 1) {
        a->sweep_timer--;
        return;
    }
    const unsigned period = (a->regs[NR10] >> 4) & 7;
    a->sweep_timer = period ? (uint8_t)period : 8; /* a period of 0 counts as 8 */
    if (!a->sweep_en || !period) return;
    const unsigned f = sweep_calc(a);
    if (f <= 2047 && (a->regs[NR10] & 7)) {
        a->sweep_shadow = (uint16_t)f;
        a->ch[SQ1].freq = (uint16_t)f;
        sweep_calc(a); /* checked again, not written back */
    }
}

static const uint8_t env_reg[4] = {NR12, NR22, 0, NR42};

static void clock_envelopes(gb_apu *a) {
    for (unsigned i = 0; i < 4; i++) {
        if (i == WAVE) continue;
        gb_apu_ch *c = &a->ch[i];
        const uint8_t nrx2 = a->regs[env_reg[i]];
        const unsigned period = nrx2 & 7;
        if (c->env_timer > 1) {
            c->env_timer--;
            continue;
        }
        c->env_timer = period ? (uint8_t)period : 8;
        if (!period) continue;
        if ((nrx2 & 0x08) && c->vol < 15)
            c->vol++;
        else if (!(nrx2 & 0x08) && c->vol > 0)
            c->vol--;
    }
}

/* Steps 0, 2, 4, 6 clock the length counters, 2 and 6 the sweep, 7 the
 * envelopes. */
void gb_apu_div_event(gb *g) {
    gb_apu *a = &g->apu;
    if (!a->power) return;
    sync(a);
    const unsigned step = a->fs_step;
    a->fs_step = (a->fs_step + 1) & 7;
    if (!(step & 1)) clock_lengths(a);
    if (step == 2 || step == 6) clock_sweep(a);
    if (step == 7) clock_envelopes(a);
    mix(a);
    set_budget(a);
}

/* ---- registers --------------------------------------------------------------------- */

/* Trigger (NRx4 bit 7). The caller has dealt with the length counter. */
static void trigger(gb *g, unsigned i) {
    gb_apu *a = &g->apu;
    gb_apu_ch *c = &a->ch[i];
    GB_TRACE(g, APU_TRIGGER, (uint8_t)(i + 1));
    if (i == WAVE) {
        if (c->on && c->timer <= WAVE_CORRUPT_WINDOW) {
            /* The fetch in flight lands in the first bytes of wave RAM: the
             * byte itself if it is among the first four, else its aligned
             * block of four (blargg dmg_sound 10-wave trigger while on). */
            const unsigned at = ((c->pos + 1) & 31) >> 1;
            uint8_t *w = &a->regs[WAVE_RAM];
            if (at < 4)
                w[0] = w[at];
            else
                memmove(w, w + (at & ~3u), 4);
        }
        c->timer = wave_period(c) + WAVE_TRIGGER_DELAY;
        c->pos = 0; /* the first sample played is sample 1 */
    } else {
        const uint8_t nrx2 = a->regs[env_reg[i]];
        c->vol = nrx2 >> 4;
        c->env_timer = (nrx2 & 7) ? (nrx2 & 7) : 8;
        if (i == NOISE) {
            a->lfsr = 0x7FFF;
            c->timer = noise_period(a);
        } else {
            c->timer = square_period(c);
        }
    }
    c->on = c->dac; /* a channel whose DAC is off stays off */
    if (i == SQ1) {
        const unsigned period = (a->regs[NR10] >> 4) & 7, shift = a->regs[NR10] & 7;
        a->sweep_shadow = c->freq;
        a->sweep_timer = period ? (uint8_t)period : 8;
        a->sweep_en = period || shift;
        a->sweep_neg_used = false;
        if (shift) /* overflow check at trigger (blargg dmg_sound 06-overflow on trigger) */
            sweep_calc(a);
    }
}

/* NRx4: length enable, frequency high bits, trigger. */
static void write_nrx4(gb *g, unsigned i, uint8_t v) {
    gb_apu *a = &g->apu;
    gb_apu_ch *c = &a->ch[i];
    const bool was_en = c->len_en;
    /* In the half of a frame-sequencer period right after a length clock
     * (the next step clocks nothing), enabling the length counter clocks it
     * once, and a trigger that reloads it to the maximum loads max - 1
     * (blargg dmg_sound 03-trigger). */
    const bool quirk = a->fs_step & 1;
    c->len_en = v & 0x40;
    if (i != NOISE) c->freq = (uint16_t)((c->freq & 0xFF) | (v & 7) << 8);
    if (quirk && !was_en && c->len_en && c->len) {
        if (--c->len == 0 && !(v & 0x80)) c->on = false;
    }
    if (v & 0x80) {
        if (c->len == 0) {
            c->len = len_max[i];
            if (c->len_en && quirk) c->len--;
        }
        trigger(g, i);
    }
}

static void power_off(gb_apu *a) {
    /* Every register from NR10 to NR51 is cleared; the DMG keeps its length
     * counters (blargg dmg_sound 08-len ctr during power, 11-regs after
     * power). */
    memset(a->regs, 0, NR52);
    for (unsigned i = 0; i < 4; i++) {
        gb_apu_ch *c = &a->ch[i];
        const uint16_t len = c->len;
        memset(c, 0, sizeof *c);
        c->len = len;
    }
    a->sweep_en = a->sweep_neg_used = false;
    a->sweep_shadow = 0;
    a->sweep_timer = 0;
    a->power = false;
}

static void power_on(gb *g) {
    gb_apu *a = &g->apu;
    /* The frame sequencer restarts at step 0, the square duty steps at the
     * start of their waveform, the wave sample buffer at 0. Powered on
     * while counter bit 12 (DIV bit 4, whose falling edge steps the
     * sequencer) is high at the end of the write's M-cycle, the sequencer
     * counts that half period as its step 0: the next step is 1 (gambatte
     * hwtests sound/ch2_late_reset_nr52_1b vs 2b: a length of 3 enabled by
     * a trigger after a power-on at counter $FF8 runs out at the fifth DIV
     * event, after one at $FFC at the fourth, the odd step's trigger quirk
     * taking one off at once). */
    a->power = true;
    a->fs_step = ((gb_timer_counter(g) + 4) & 0x1000) ? 1 : 0;
    a->ch[SQ1].pos = a->ch[SQ2].pos = 0;
    a->wave_buf = 0;
}

static void reg_write(gb *g, unsigned r, uint8_t v) {
    gb_apu *a = &g->apu;
    if (r >= WAVE_RAM) {
        gb_apu_ch *c = &a->ch[WAVE];
        if (!c->on)
            a->regs[r] = v;
        else if (a->now - a->wave_read_at < WAVE_ACCESS_WINDOW)
            a->regs[WAVE_RAM + (c->pos >> 1)] = v;
        return;
    }
    if (r == NR52) {
        if ((v & 0x80) && !a->power)
            power_on(g);
        else if (!(v & 0x80) && a->power)
            power_off(a);
        a->regs[NR52] = v & 0x80;
        return;
    }
    if (!a->power) {
        /* Powered off, the DMG still takes the length part of NRx1. */
        if (r == NR11 || r == NR21 || r == NR31 || r == NR41)
            v &= r == NR31 ? 0xFF : 0x3F;
        else
            return;
    }
    if (r > NR52) return;
    const uint8_t old = a->regs[r];
    a->regs[r] = v;
    const unsigned i = r / 5;
    gb_apu_ch *c = i < 4 ? &a->ch[i] : NULL;
    switch (r) {
    case NR10:
        /* Leaving negate mode after a negated calculation since the last
         * trigger disables the channel (blargg dmg_sound 05-sweep details). */
        if ((old & 0x08) && !(v & 0x08) && a->sweep_neg_used) a->ch[SQ1].on = false;
        break;
    case NR11:
    case NR21:
    case NR41: c->len = 64 - (v & 63); break;
    case NR31: c->len = 256 - v; break;
    case NR12:
    case NR22:
    case NR42:
        c->dac = (v & 0xF8) != 0;
        if (!c->dac) c->on = false;
        break;
    case NR30:
        c->dac = (v & 0x80) != 0;
        if (!c->dac) c->on = false;
        break;
    case NR13:
    case NR23:
    case NR33: c->freq = (uint16_t)((c->freq & 0x700) | v); break;
    case NR14:
    case NR24:
    case NR34:
    case NR44: write_nrx4(g, i, v); break;
    default: break; /* NR20, NR32, NR40, NR43, NR50, NR51: stored only */
    }
}

void gb_apu_write(gb *g, uint16_t addr, uint8_t v) {
    gb_apu *a = &g->apu;
    if (addr < 0xFF10 || addr > 0xFF3F) return;
    GB_TRACE(g, APU_WRITE, addr, v);
    sync(a);
    reg_write(g, addr - 0xFF10u, v);
    mix(a);
    set_budget(a);
}

uint8_t gb_apu_read(gb *g, uint16_t addr) {
    gb_apu *a = &g->apu;
    if (addr < 0xFF10 || addr > 0xFF3F) return 0xFF;
    const unsigned r = addr - 0xFF10u;
    if (r >= WAVE_RAM) {
        if (!a->ch[WAVE].on) return a->regs[r];
        sync(a);
        set_budget(a);
        if (a->now - a->wave_read_at < WAVE_ACCESS_WINDOW)
            return a->regs[WAVE_RAM + (a->ch[WAVE].pos >> 1)];
        return 0xFF;
    }
    if (r == NR52) {
        sync(a);
        set_budget(a);
        uint8_t v = (uint8_t)(a->power << 7 | read_or[NR52]);
        for (unsigned i = 0; i < 4; i++)
            v |= (uint8_t)(a->ch[i].on << i);
        return v;
    }
    return a->regs[r] | read_or[r];
}

size_t gb_apu_take(gb *g, int16_t *out, size_t max_frames) {
    gb_apu *a = &g->apu;
    sync(a);
    set_budget(a);
    size_t n = a->ring_head - a->ring_tail;
    if (!out) return n;
    if (n > max_frames) n = max_frames;
    for (size_t k = 0; k < n; k++) {
        const uint32_t at = (a->ring_tail & (GB_APU_RING - 1)) * 2;
        out[2 * k] = a->ring[at];
        out[2 * k + 1] = a->ring[at + 1];
        a->ring_tail++;
    }
    return n;
}

uint64_t gb_apu_steady(gb *g) {
    gb_apu *a = &g->apu;
    sync(a);
    set_budget(a);
    return a->now - a->mix_at;
}

void gb_apu_init(gb *g) {
    gb_apu *a = &g->apu;
    memset(a, 0, sizeof *a);
    a->sample_cd = SAMPLE_CYCLES;
    /* The state the boot ROM leaves: sound on, both sides at full volume,
     * square 1 played its chime and still counts as on (NR52 = $F1). With a
     * boot ROM, gb.c powers the APU off again. */
    static const uint8_t post_boot[][2] = {
        {NR52, 0x80}, {NR50, 0x77}, {NR51, 0xF3}, {NR11, 0x80},
        {NR12, 0xF3}, {NR13, 0xC1}, {NR14, 0x87},
    };
    for (size_t k = 0; k < sizeof post_boot / sizeof post_boot[0]; k++)
        reg_write(g, post_boot[k][0], post_boot[k][1]);
    a->ch[SQ1].vol = 0; /* the chime has faded */
    /* Square 1 keeps running at the chime's last frequency ($7C1, a step
     * every 252 T-cycles): at the hand-over it is at duty step 2, 28
     * T-cycles before the next step (gambatte hwtests sound/ch1_init_pos_1..8:
     * a trigger at T-cycle 528 finds step 4, one at 532 step 5, and one at
     * 1536 / 1540 steps 8 / 9 of the 50 % duty). */
    a->ch[SQ1].pos = 2;
    a->ch[SQ1].timer = 28;
    /* The frame sequencer's next step is 1: the envelope step (7) comes at
     * the seventh DIV event after the hand-over, T-cycle 54328 (gambatte
     * hwtests sound/ch2_init_env_counter_timing_1..4: square 2 triggered at
     * once with volume 0 rising every envelope step, its period rewritten to
     * 0 at T-cycle 54324 stays silent, at 54328 or later it plays at volume
     * 1; after an NR52 power cycle the next step is 0,
     * ch2_init_reset_env_counter_timing_*). */
    a->fs_step = 1;
    a->ch[SQ1].level = (duty_waves[a->regs[NR11] >> 6] >> (7 - 2)) & 1;
    mix(a);
    set_budget(a);
}

/* ---- save states --------------------------------------------------------------- */

int gb_apu_state_check(const gb_apu *a) {
    /* Every value the APU itself can produce, nothing else: counters and
     * indices in range (they index tables and rings), levels 0..15, the
     * output sums within what the mixer makes. Booleans are checked as
     * bytes by the caller before the struct is copied. */
    static const uint16_t max_len[4] = {64, 64, 256, 64};
    static const uint8_t max_pos[4] = {7, 7, 31, 31};
    bool ok = a->fs_step < 8 && a->sweep_timer <= 8 && a->sweep_shadow <= 2047 &&
              a->lfsr <= 0x7FFF && a->budget <= BUDGET_CAP && a->pending <= BUDGET_CAP + 4 &&
              a->wave_read_at <= a->now && a->mix_l >= -480 && a->mix_l <= 480 &&
              a->mix_r >= -480 && a->mix_r <= 480 && a->acc_cycles <= SAMPLE_CYCLES + 1 &&
              a->sample_cd <= SAMPLE_CYCLES + 1 && a->sample_frac < GB_AUDIO_RATE &&
              a->acc_l >= -480LL * (SAMPLE_CYCLES + 1) && a->acc_l <= 480LL * (SAMPLE_CYCLES + 1) &&
              a->acc_r >= -480LL * (SAMPLE_CYCLES + 1) && a->acc_r <= 480LL * (SAMPLE_CYCLES + 1) &&
              a->hp_l >= -(1LL << 40) && a->hp_l <= (1LL << 40) && a->hp_r >= -(1LL << 40) &&
              a->hp_r <= (1LL << 40) && a->ring_head - a->ring_tail <= GB_APU_RING;
    for (unsigned i = 0; ok && i < 4; i++) {
        const gb_apu_ch *c = &a->ch[i];
        ok = c->len <= max_len[i] && c->freq <= 2047 && c->pos <= max_pos[i] && c->level <= 15 &&
             c->vol <= 15 && c->env_timer <= 8 && c->timer <= (1u << 24);
    }
    return ok ? 0 : -EINVAL;
}
