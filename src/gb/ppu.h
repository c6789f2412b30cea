/* PPU: modes, STAT/LYC, rendering (DMG). Owned by ppu.c. */
#ifndef CERES_GB_PPU_H
#define CERES_GB_PPU_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gb gb;

typedef struct gb_ppu {
    uint8_t vram[0x2000];
    uint8_t oam[0xA0];
    /* Shades 0..3; front is the last completed frame. */
    uint8_t fb[2][160 * 144];
    uint8_t front;
    /* Registers and state: filled in by ppu.c. */
    uint8_t lcdc, stat, scy, scx, ly, lyc, bgp, obp0, obp1, wy, wx;
    uint8_t mode;
    uint16_t dot; /* dot within the line, 0..455 */
} gb_ppu;

void gb_ppu_init(gb *g);                  /* post-boot state (LCD on, LY 0) */
void gb_ppu_tick(gb *g);                  /* advance one M-cycle (4 dots) */
uint8_t gb_ppu_read(gb *g, uint16_t addr); /* $FF40-$FF45, $FF47-$FF4B */
void gb_ppu_write(gb *g, uint16_t addr, uint8_t v);
bool gb_ppu_vram_blocked(const gb *g); /* CPU cannot access VRAM now (mode 3) */
bool gb_ppu_oam_blocked(const gb *g);  /* CPU cannot access OAM now (modes 2, 3) */

#endif
