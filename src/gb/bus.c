/* The bus: memory map, IO register dispatch, OAM DMA, serial and joypad.
 *
 * The CPU reads ROM and WRAM through read_map page pointers (rebuilt by
 * gb_bus_remap on bank switches and DMA start/end); everything else comes
 * here: VRAM and OAM (blocked by PPU mode and DMA), cartridge RAM, echo RAM
 * at $F000-$FDFF, the unusable region, IO registers, HRAM and IE. */
#include "gb_internal.h"

#include <string.h>

/* ---- map ----------------------------------------------------------------- */

void gb_bus_remap(gb *g) {
    gb_bus *b = &g->bus;
    for (unsigned i = 0; i < 16; i++) {
        b->read_map[i] = NULL;
        b->write_map[i] = NULL;
    }
    /* Flat test mode and running DMA (bus conflicts) take the slow path. */
    if (b->flat || b->dma_active) return;
    for (unsigned i = 0; i < 4; i++) {
        if (g->cart.rom0) b->read_map[i] = g->cart.rom0 + i * 0x1000;
        if (g->cart.romx) b->read_map[4 + i] = g->cart.romx + i * 0x1000;
    }
    if (b->boot_mapped) b->read_map[0] = NULL;
    b->read_map[0xC] = b->write_map[0xC] = b->wram;
    b->read_map[0xD] = b->write_map[0xD] = b->wram + 0x1000;
    b->read_map[0xE] = b->write_map[0xE] = b->wram; /* echo of $C000-$CFFF */
}

/* WRAM as a DMG powers on (the boot ROM never writes it). Not zeros and not
 * noise: the cells wake in stripes of 256 bytes, $00 and $FF in turn from
 * $C000, the order swapped in the upper 2 KiB ($C800 starts with $FF), and
 * $D000-$DFFF repeat $C000-$CFFF. On top of that a few cells flip: a bit
 * set here and there in the even bytes of a $00 stripe, a bit cleared in
 * the odd bytes of a $FF stripe (a power-on dump of a DMG-CPU-08 board in
 * gambatte's sources, the emulator whose hardware tests pin it below).
 * Which cells flip differs from console to console; Ceres flips a fixed,
 * sparse set (a hash of the address) so that every run starts the same.
 * Pinned by gambatte hwtests oamdma/oamdma_srcFE00_* (a DMA from $FE00
 * copies the $DE00 stripe, $FF) against oamdma_srcFF00_*_out1 (from $FF00:
 * the $DF00 stripe, $00), and by bully ("Uninitialized RAM not randomized":
 * $C000-$C0FF neither all $00 nor all $FF). */
static void power_on_wram(uint8_t *w) {
    for (unsigned a = 0; a < 0x2000; a++) {
        const unsigned stripe = (a >> 8) & 0x0F;
        const bool ones = (stripe & 1) ^ (stripe >> 3);
        uint8_t v = ones ? 0xFF : 0x00;
        /* One eligible cell in eight, chosen by a multiplicative hash. */
        const uint32_t h = (uint32_t)(a * 0x9E3779B1u) >> 24;
        if ((a & 1) == ones && (h & 7) == 0) v ^= (uint8_t)(1u << ((h >> 3) & 7));
        w[a] = v;
    }
}

void gb_bus_reset(gb *g) {
    gb_bus *b = &g->bus;
    /* Keep the host-owned tail (flat mode) across resets. */
    memset(b, 0, GB_BUS_STATE_BYTES);
    power_on_wram(b->wram);
    memset(b->io, 0xFF, sizeof b->io);
    b->dma_reg = 0xFF;
    b->joyp_select = 0x00; /* P1 = $CF after the boot ROM */
    b->sc = 0;
    b->boot_mapped = g->has_boot_rom;
    gb_bus_remap(g);
}

/* ---- joypad -------------------------------------------------------------- */

/* The low nibble of P1 as the CPU reads it (0 = pressed on a selected line). */
static uint8_t joyp_lines(const gb_bus *b) {
    uint8_t v = 0x0F;
    if (!(b->joyp_select & 0x10)) v &= (uint8_t) ~(b->buttons & 0x0F);
    if (!(b->joyp_select & 0x20)) v &= (uint8_t) ~(b->buttons >> 4);
    return v;
}

/* A line going from high to low requests the joypad interrupt. */
static void joyp_update(gb *g, uint8_t before) {
    if (before & ~joyp_lines(&g->bus) & 0x0F) g->intf |= GB_INT_JOYPAD;
}

void gb_bus_set_buttons(gb *g, uint8_t pressed) {
    uint8_t before = joyp_lines(&g->bus);
    g->bus.buttons = pressed;
    joyp_update(g, before);
}

/* DMA or serial need the per-M-cycle gb_bus_tick. */
static void update_busy(gb_bus *b) {
    b->busy = (uint8_t)((b->dma_start || b->dma_active ? 1 : 0) | (b->serial_active ? 2 : 0));
}

/* ---- serial -------------------------------------------------------------- */

/* Internal clock: 8192 Hz, a byte in 8 * 512 T-cycles. The transfer counts
 * falling edges of counter bit 7 (every 256 T-cycles) from the SC write on:
 * every second one shifts a bit (with no peer the bits shifted in are 1),
 * the 16th ends the byte and raises IF.serial. So a transfer started while
 * counter bit 8 is high ends half a bit later than on bit 8's own falling
 * edge (gambatte hwtests serial/nopx2_start_wait_read_if_1 reads IF $E0,
 * _2 one M-cycle later $E8), and a DIV reset while bit 7 is high is one of
 * those edges (serial/start_late_div_write_wait_read_if_1a..4: the byte
 * ends 256 T-cycles after a reset at counter $E80 or $F7C, but 512 after
 * one at $E7C and at once for one at $F80). */
static void serial_edge(gb *g) {
    gb_bus *b = &g->bus;
    if (++b->serial_edges & 1) return;
    b->sb = (uint8_t)(b->sb << 1 | 1);
    if (b->serial_edges < 16) return;
    b->serial_active = false;
    update_busy(b);
    b->serial_edges = 0;
    b->sc &= 0x7F;
    g->intf |= GB_INT_SERIAL;
    if (g->serial_len < GB_SERIAL_LOG_MAX) g->serial_log[g->serial_len++] = b->serial_out;
    g->stop_reasons |= GB_STOP_SERIAL;
    GB_TRACE(g, SERIAL_BYTE, b->serial_out);
}

static void serial_tick(gb *g) {
    if ((gb_timer_counter(g) & 0xFF) == 0) serial_edge(g);
}

void gb_bus_div_reset(gb *g, uint16_t counter) {
    if (g->bus.serial_active && (counter & 0x80)) serial_edge(g);
}

static void serial_write_sc(gb *g, uint8_t v) {
    gb_bus *b = &g->bus;
    b->sc = v & 0x81;
    if ((v & 0x81) == 0x81) {
        b->serial_active = true;
        b->serial_edges = 0;
        b->serial_out = b->sb;
    } else {
        b->serial_active = false;
    }
    update_busy(b);
}

/* ---- OAM DMA ------------------------------------------------------------- */

/* Which bus an address is on: the DMA and the CPU conflict only when both use
 * the same one (external: ROM, cart RAM, WRAM; or VRAM). */
static inline int bus_of(uint16_t a) {
    return a >= 0x8000 && a < 0xA000;
}

/* The DMA's own read: $E000-$FFFF sources read WRAM (echo). */
static uint8_t dma_read(gb *g, uint16_t a) {
    if (a < 0x8000) return g->bus.boot_mapped && a < 0x100 ? g->boot_rom[a] : gb_cart_read(g, a);
    if (a < 0xA000) return g->ppu.vram[a & 0x1FFF];
    if (a < 0xC000) return gb_cart_read(g, a);
    return g->bus.wram[a & 0x1FFF];
}

/* Writing $FF46 schedules a (re)start: the write's M-cycle, then one setup
 * M-cycle, then 160 M-cycles each copying one byte. A transfer already
 * running keeps going (and keeps OAM blocked) until the new one takes over
 * (mooneye acceptance/oam_dma_start, oam_dma_restart, oam_dma_timing). */
#define DMA_START_DELAY 2

static void dma_tick(gb *g) {
    gb_bus *b = &g->bus;
    if (b->dma_active && b->dma_index >= 160) {
        b->dma_active = false;
        GB_TRACE(g, DMA_END, b->dma_src);
        gb_bus_remap(g);
    }
    if (b->dma_start && --b->dma_start == 0) {
        const bool was = b->dma_active;
        b->dma_active = true;
        b->dma_src = b->dma_next;
        b->dma_index = 0;
        if (!was) gb_bus_remap(g);
    }
    if (b->dma_active) {
        const uint16_t src = (uint16_t)(b->dma_src + b->dma_index);
        const uint8_t v = dma_read(g, src);
        b->dma_value = v;
        g->ppu.oam[b->dma_index] = v;
        GB_TRACE(g, DMA_BYTE, src, (uint16_t)(0xFE00 + b->dma_index), v);
        b->dma_index++;
    }
}

void gb_bus_tick(gb *g) {
    gb_bus *b = &g->bus;
    if (b->busy & 1) dma_tick(g);
    if (b->busy & 2) serial_tick(g);
    update_busy(b);
}

/* ---- OAM corruption bug ---------------------------------------------------
 *
 * OAM is 20 rows of 8 bytes (four 16-bit words); the OAM scan (mode 2)
 * reads one row per M-cycle. A CPU access to $FE00-$FEFF in that M-cycle
 * corrupts the row being read, from the row before it (Pan Docs, "OAM
 * Corruption Bug"; blargg oam_bug). Row 0 is never corrupted. */

static unsigned word(const uint8_t *o, unsigned row, unsigned w) {
    return o[row * 8 + w * 2] | (unsigned)o[row * 8 + w * 2 + 1] << 8;
}

static void set_word(uint8_t *o, unsigned row, unsigned w, unsigned v) {
    o[row * 8 + w * 2] = (uint8_t)v;
    o[row * 8 + w * 2 + 1] = (uint8_t)(v >> 8);
}

/* The row the OAM scan reads in the current M-cycle, or -1. */
#define OAM_BUG_DOT_OFS 0
static int scan_row(const gb *g) {
    const gb_ppu *p = &g->ppu;
    if (!(p->lcdc & 0x80) || p->line >= 144 || p->mode != 2) return -1;
    const int row = (p->dot + OAM_BUG_DOT_OFS) / 4;
    return row < 20 ? row : -1;
}

void gb_bus_oam_bug(gb *g, int kind) {
    const int r = scan_row(g);
    if (r <= 0 || g->bus.dma_active) return;
    uint8_t *o = g->ppu.oam;
    const unsigned row = (unsigned)r;
    if (kind == GB_OAM_READ_IDU && row >= 4 && row < 19) {
        const unsigned a = word(o, row - 2, 0), b = word(o, row - 1, 0), c = word(o, row, 0),
                       d = word(o, row - 1, 2);
        set_word(o, row - 1, 0, (b & (a | c | d)) | (a & c & d));
        memcpy(o + row * 8, o + (row - 1) * 8, 8);
        memcpy(o + (row - 2) * 8, o + (row - 1) * 8, 8);
    }
    const unsigned a = word(o, row, 0), b = word(o, row - 1, 0), c = word(o, row - 1, 2);
    set_word(o, row, 0, kind == GB_OAM_WRITE ? ((a ^ c) & (b ^ c)) ^ c : b | (a & c));
    memcpy(o + row * 8 + 2, o + (row - 1) * 8 + 2, 6);
}

/* ---- IO registers -------------------------------------------------------- */

static uint8_t io_read(gb *g, uint16_t a) {
    gb_bus *b = &g->bus;
    switch (a) {
    case 0xFF00: return (uint8_t)(0xC0 | b->joyp_select | joyp_lines(b));
    case 0xFF01: return b->sb;
    case 0xFF02: return (uint8_t)(b->sc | 0x7E);
    case 0xFF04:
    case 0xFF05:
    case 0xFF06:
    case 0xFF07: return gb_timer_read(g, a);
    case 0xFF0F: return (uint8_t)(g->intf | 0xE0);
    case 0xFF44:
        /* Gameboy Doctor mode: LY reads $90, as its reference logs assume. */
        if (g->doctor_ly) return 0x90;
        break;
    case 0xFF46: return b->dma_reg;
    case 0xFFFF: return g->ie;
    default: break;
    }
    if (a >= 0xFF10 && a <= 0xFF3F) return gb_apu_read(g, a);
    if (a >= 0xFF40 && a <= 0xFF4B) return gb_ppu_read(g, a);
    return 0xFF; /* unused registers read all ones (acceptance/bits/unused_hwio-GS) */
}

static void io_write(gb *g, uint16_t a, uint8_t v) {
    gb_bus *b = &g->bus;
    switch (a) {
    case 0xFF00: {
        uint8_t before = joyp_lines(b);
        b->joyp_select = v & 0x30;
        joyp_update(g, before);
        return;
    }
    case 0xFF01: b->sb = v; return;
    case 0xFF02: serial_write_sc(g, v); return;
    case 0xFF04:
    case 0xFF05:
    case 0xFF06:
    case 0xFF07: gb_timer_write(g, a, v); return;
    case 0xFF0F: g->intf = v & 0x1F; return;
    case 0xFF46:
        b->dma_reg = v;
        b->dma_next = (uint16_t)(v << 8);
        b->dma_start = DMA_START_DELAY;
        update_busy(b);
        GB_TRACE(g, DMA_START, b->dma_next, DMA_START_DELAY);
        return;
    case 0xFF50:
        if (b->boot_mapped && (v & 1)) {
            b->boot_mapped = false;
            gb_bus_remap(g);
        }
        return;
    case 0xFFFF: g->ie = v; return;
    default: break;
    }
    if (a >= 0xFF10 && a <= 0xFF3F) {
        gb_apu_write(g, a, v);
        return;
    }
    if (a >= 0xFF40 && a <= 0xFF4B) {
        gb_ppu_write(g, a, v);
        return;
    }
    b->io[a & 0x7F] = v;
}

/* ---- CPU accesses (slow path) -------------------------------------------- */

/* Plain read without DMA conflicts or PPU blocking (also gb_peek). */
static uint8_t plain_read(gb *g, uint16_t a, bool blocking) {
    gb_bus *b = &g->bus;
    switch (a >> 12) {
    case 0x0:
        if (b->boot_mapped && a < 0x100) return g->boot_rom[a];
        /* fall through */
    case 0x1:
    case 0x2:
    case 0x3:
    case 0x4:
    case 0x5:
    case 0x6:
    case 0x7:
    case 0xA:
    case 0xB: return gb_cart_read(g, a);
    case 0x8:
    case 0x9:
        if (blocking && gb_ppu_vram_blocked(g)) return 0xFF;
        return g->ppu.vram[a & 0x1FFF];
    case 0xC:
    case 0xD:
    case 0xE: return b->wram[a & 0x1FFF];
    default: break;
    }
    if (a < 0xFE00) return b->wram[a & 0x1FFF];
    if (a < 0xFEA0) {
        if (blocking && (b->dma_active || gb_ppu_oam_blocked(g))) return 0xFF;
        return g->ppu.oam[a & 0xFF];
    }
    if (a < 0xFF00) /* unusable: $00 on DMG, $FF while OAM is blocked */
        return blocking && (b->dma_active || gb_ppu_oam_blocked(g)) ? 0xFF : 0x00;
    if (a >= 0xFF80 && a != 0xFFFF) return b->hram[a - 0xFF80];
    return io_read(g, a);
}

uint8_t gb_bus_read(gb *g, uint16_t a) {
    gb_bus *b = &g->bus;
    /* During OAM DMA a CPU read on the DMA's bus sees the byte the DMA is
     * moving (mooneye acceptance/oam_dma/basic, sources-GS). OAM reads $FF;
     * IO and HRAM are not affected. */
    if (CT_UNLIKELY(b->dma_active) && a < 0xFE00 && bus_of(a) == bus_of(b->dma_src))
        return b->dma_value;
    if (CT_UNLIKELY((a >> 8) == 0xFE)) gb_bus_oam_bug(g, b->idu ? GB_OAM_READ_IDU : GB_OAM_READ);
    const uint8_t v = plain_read(g, a, true);
    if (a >= 0xFF00 && (a < 0xFF80 || a == 0xFFFF)) GB_TRACE(g, IO_READ, a, v);
    return v;
}

uint8_t gb_bus_peek(gb *g, uint16_t a) {
    if (g->bus.flat) return g->bus.flat[a];
    if (a >= 0xFF00 && (a < 0xFF80 || a == 0xFFFF)) {
        /* Registers without read side effects only. */
        return io_read(g, a);
    }
    return plain_read(g, a, false);
}

void gb_bus_write(gb *g, uint16_t a, uint8_t v) {
    gb_bus *b = &g->bus;
    if (CT_UNLIKELY(b->dma_active) && a < 0xFE00 && bus_of(a) == bus_of(b->dma_src)) {
        /* The DMA owns this bus: the CPU's write is lost, but the value it
         * drives lands on the data lines while the DMA moves a byte. From
         * WRAM both drive them and OAM gets the AND; from ROM, cartridge RAM
         * or VRAM the CPU's value wins (gambatte hwtests
         * oamdma/oamdma_src*_busypush*: pushing $55AA while $65 and $76
         * move leaves $45 $22 from WRAM, $55 $AA from the others). */
        if (b->dma_index) {
            uint8_t *o = &g->ppu.oam[b->dma_index - 1];
            *o = b->dma_src >= 0xC000 ? (uint8_t)(*o & v) : v;
        }
        return;
    }
    switch (a >> 12) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x3:
    case 0x4:
    case 0x5:
    case 0x6:
    case 0x7:
        gb_cart_write(g, a, v);
        gb_bus_remap(g); /* the mapper may have switched banks */
        return;
    case 0xA:
    case 0xB: gb_cart_write(g, a, v); return;
    case 0x8:
    case 0x9:
        if (!gb_ppu_vram_write_blocked(g)) g->ppu.vram[a & 0x1FFF] = v;
        return;
    case 0xC:
    case 0xD:
    case 0xE: b->wram[a & 0x1FFF] = v; return;
    default: break;
    }
    if (a < 0xFE00) {
        b->wram[a & 0x1FFF] = v;
    } else if (a < 0xFF00) {
        gb_bus_oam_bug(g, GB_OAM_WRITE);
        /* $FEA0-$FEFF is unusable: writes are ignored */
        if (a < 0xFEA0 && !b->dma_active && !gb_ppu_oam_write_blocked(g)) g->ppu.oam[a & 0xFF] = v;
    } else if (a >= 0xFF80 && a != 0xFFFF) {
        b->hram[a - 0xFF80] = v;
    } else {
        GB_TRACE(g, IO_WRITE, a, v);
        io_write(g, a, v);
    }
}
