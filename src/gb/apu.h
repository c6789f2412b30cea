/* APU: four channels, frame sequencer, registers $FF10-$FF3F. Owned by apu.c.
 * gb_apu is plain data without pointers (save states write it raw). */
#ifndef CERES_GB_APU_H
#define CERES_GB_APU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gb gb;

/* Stereo frames kept for gb_apu_take (~85 ms at 48 kHz); the oldest are
 * dropped when nobody takes them. Power of two. */
#define GB_APU_RING 4096u

/* One sound channel. Timers count T-cycles down to the next step of the
 * channel's waveform. */
typedef struct gb_apu_ch {
    bool on;       /* NR52 status bit */
    bool dac;      /* DAC powered (NRx2 & $F8, NR30 bit 7) */
    bool len_en;   /* NRx4 bit 6 */
    uint16_t len;  /* length counter: steps left before the channel stops */
    uint16_t freq; /* 11-bit frequency (squares, wave) */
    uint32_t timer;
    uint8_t pos;   /* duty step (0-7) or wave sample index (0-31) */
    uint8_t level; /* digital output 0-15 before the envelope / wave shift */
    uint8_t vol;   /* envelope volume */
    uint8_t env_timer;
} gb_apu_ch;

typedef struct gb_apu {
    uint8_t regs[0x30]; /* $FF10-$FF3F as last written (wave RAM at $FF30) */
    bool power;
    uint8_t fs_step; /* next frame-sequencer step (0-7) */
    gb_apu_ch ch[4];

    /* Square 1 sweep. */
    bool sweep_en, sweep_neg_used;
    uint16_t sweep_shadow;
    uint8_t sweep_timer;
    /* Noise shift register. */
    uint16_t lfsr;
    /* Wave: the byte the channel last fetched and when (APU T-cycles). */
    uint8_t wave_buf;
    uint64_t wave_read_at;

    /* Time: `now` is the T-cycle the channels are simulated to; `pending`
     * T-cycles were ticked but not simulated yet; simulation runs once they
     * reach `budget` (the next channel step) or when a register is accessed
     * or audio taken. */
    uint64_t now;
    uint32_t pending, budget;

    /* Output: mixed level per side (updated when a channel changes), its
     * integral over the current sample, the T-cycles to the next sample
     * and the fractional remainder of the 4194304 / 48000 ratio. */
    int32_t mix_l, mix_r;
    int64_t acc_l, acc_r;
    uint32_t acc_cycles, sample_cd, sample_frac;
    int64_t hp_l, hp_r; /* high-pass (output capacitor) state, 16.16 */
    uint32_t ring_head, ring_tail;
    int16_t ring[GB_APU_RING * 2];
} gb_apu;

void gb_apu_init(gb *g);     /* power-on state (post-boot state without a boot ROM) */
void gb_apu_tick(gb *g);     /* advance one M-cycle (4 T-cycles) */
void gb_apu_catch_up(gb *g); /* pending reached budget: simulate up to now */
/* gb_apu_tick inlined into the caller's M-cycle loop: most M-cycles only
 * add to `pending`, and the call cost more than that. */
static inline void gb_apu_advance(gb_apu *a, gb *g) {
    a->pending += 4;
    if (a->pending >= a->budget) gb_apu_catch_up(g);
}
void gb_apu_div_event(gb *g); /* DIV bit 4 (internal counter bit 12) fell: frame sequencer step */
uint8_t gb_apu_read(gb *g, uint16_t addr);
void gb_apu_write(gb *g, uint16_t addr, uint8_t v);
/* Move up to max_frames stereo frames (L, R interleaved) out of the ring, oldest
 * first; returns how many. With out == NULL, returns how many are waiting. */
size_t gb_apu_take(gb *g, int16_t *out, size_t max_frames);
/* Save states: 0 if every field of a loaded APU section holds a value the
 * APU can produce, else -EINVAL (the booleans are checked as bytes before). */
int gb_apu_state_check(const gb_apu *a);

#endif
