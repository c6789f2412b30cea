/* Memory map, IO dispatch, OAM DMA, serial, joypad. Owned by bus.c. */
#ifndef CERES_GB_BUS_H
#define CERES_GB_BUS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gb gb;

#include "gb.h" /* gb_bus_access: one bus access recorded in flat test mode */

typedef struct gb_bus {
    uint8_t wram[0x2000];
    uint8_t hram[0x7F];
    uint8_t io[0x80]; /* last written value of registers nobody else owns */

    /* OAM DMA ($FF46). A write starts (or restarts) a transfer after a one
     * M-cycle setup; 160 M-cycles then copy one byte each. */
    uint8_t dma_reg;
    uint8_t dma_start; /* M-cycles until a pending (re)start takes over, 0 = none */
    uint16_t dma_next; /* source of the pending (re)start */
    bool dma_active;   /* a transfer is running (bus conflict, OAM blocked) */
    uint16_t dma_src;  /* source address of the running transfer */
    uint8_t dma_index; /* next byte 0..159 */
    uint8_t dma_value; /* the byte on the bus during the transfer */

    /* Serial ($FF01/$FF02), internal clock only (no peer: receives $FF). */
    uint8_t sb, sc;
    bool serial_active;   /* a transfer is shifting out */
    uint8_t serial_edges; /* counter bit 7 falling edges since the start, 0..15 */
    uint8_t serial_out;   /* the byte being sent */

    /* Joypad ($FF00). */
    uint8_t joyp_select; /* bits 4-5 as written */
    uint8_t buttons;     /* GB_BTN_* pressed */

    bool idu;         /* the CPU's 16-bit inc/dec unit acts in this access's M-cycle */
    bool boot_mapped; /* boot ROM visible at $0000-$00FF until $FF50 written */
    /* Nonzero while OAM DMA or a serial transfer needs the per-M-cycle
     * gb_bus_tick (one flag for the CPU's clock to test). */
    uint8_t busy;

    /* ---- not saved in states (rebuilt or host-owned) ---- */
    /* Fast read pages (addr >> 12): NULL sends the access to the slow path. */
    const uint8_t *read_map[16];
    uint8_t *write_map[16];
    /* Test mode: when set, every CPU access goes to this 64 KiB array, no
     * other component is ticked and each M-cycle is appended to flat_log. */
    uint8_t *flat;
    gb_bus_access *flat_log;
    unsigned flat_len, flat_cap;
} gb_bus;

/* Bytes of gb_bus written to save states (everything before read_map). */
#define GB_BUS_STATE_BYTES offsetof(gb_bus, read_map)

void gb_bus_reset(gb *g);
void gb_bus_remap(gb *g);                  /* rebuild read_map/write_map */
uint8_t gb_bus_read(gb *g, uint16_t addr); /* slow path, one CPU access */
void gb_bus_write(gb *g, uint16_t addr, uint8_t v);
uint8_t gb_bus_peek(gb *g, uint16_t addr); /* no side effects */
void gb_bus_tick(gb *g);                   /* one M-cycle of OAM DMA and serial (when busy) */
void gb_bus_set_buttons(gb *g, uint8_t pressed);
/* DIV was written while the internal counter read `counter` (serial clock). */
void gb_bus_div_reset(gb *g, uint16_t counter);

/* DMG OAM corruption bug: an access to $FE00-$FEFF (or the 16-bit inc/dec
 * unit holding such an address) while the PPU scans OAM corrupts the row it
 * is reading. GB_OAM_READ_IDU is a read in the same M-cycle as an inc/dec. */
enum { GB_OAM_READ, GB_OAM_WRITE, GB_OAM_READ_IDU };
void gb_bus_oam_bug(gb *g, int kind);
/* The inc/dec unit alone (INC rr, DEC rr, the SP updates of PUSH/CALL). */
static inline void gb_bus_idu(gb *g, uint16_t addr) {
    if ((addr >> 8) == 0xFE) gb_bus_oam_bug(g, GB_OAM_WRITE);
}

#endif
