/* APU: four channels, frame sequencer, registers $FF10-$FF3F. Owned by apu.c. */
#ifndef CERES_GB_APU_H
#define CERES_GB_APU_H

#include <stddef.h>
#include <stdint.h>

typedef struct gb gb;

typedef struct gb_apu {
    uint8_t regs[0x30]; /* $FF10-$FF3F as last written (wave RAM at $FF30) */
    /* Channel state: filled in by apu.c. */
    uint32_t placeholder;
} gb_apu;

void gb_apu_init(gb *g);
void gb_apu_tick(gb *g);     /* advance one M-cycle (4 T-cycles) */
void gb_apu_div_event(gb *g); /* DIV bit 4 (internal counter bit 12) fell: frame sequencer step */
uint8_t gb_apu_read(gb *g, uint16_t addr);
void gb_apu_write(gb *g, uint16_t addr, uint8_t v);
size_t gb_apu_take(gb *g, int16_t *out, size_t max_frames); /* see gb_audio_take */

#endif
