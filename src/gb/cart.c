/* Cartridge: header validation, ROM copy, memory bank controllers and the
 * MBC3 real-time clock.
 *
 * The ROM is copied into a buffer padded with $FF to a power of two of at
 * least 32 KiB, so every bank number is masked with one AND and no write of
 * any value can make a read go out of bounds. External RAM is likewise a
 * power of two and addressed through a mask. */
#include "gb_internal.h"
#include "../trace/ct_host.h" /* ct_errf */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROM_BANK_SIZE 0x4000u
#define RAM_BANK_SIZE 0x2000u
#define ROM_MIN_SIZE  0x8000u
#define ROM_MAX_SIZE  GB_ROM_MAX_SIZE /* MBC5's 512 banks: the largest DMG cartridge */
#define HEADER_END    0x150u

/* ---- header ------------------------------------------------------------- */

/* Error message for the caller, who may pass no buffer. */
/* Cartridge type byte $0147: which mapper and which extras. Unlisted types
 * are unsupported (mapper value 0 with ok == false). */
typedef struct cart_type {
    bool ok;
    uint8_t mapper;
    bool ram, battery, rtc;
} cart_type;

static const cart_type cart_types[256] = {
    [0x00] = {true, GB_MAPPER_NONE, false, false, false},
    [0x01] = {true, GB_MAPPER_MBC1, false, false, false},
    [0x02] = {true, GB_MAPPER_MBC1, true, false, false},
    [0x03] = {true, GB_MAPPER_MBC1, true, true, false},
    [0x05] = {true, GB_MAPPER_MBC2, true, false, false}, /* RAM is built into MBC2 */
    [0x06] = {true, GB_MAPPER_MBC2, true, true, false},
    [0x08] = {true, GB_MAPPER_NONE, true, false, false},
    [0x09] = {true, GB_MAPPER_NONE, true, true, false},
    [0x0F] = {true, GB_MAPPER_MBC3, false, true, true},
    [0x10] = {true, GB_MAPPER_MBC3, true, true, true},
    [0x11] = {true, GB_MAPPER_MBC3, false, false, false},
    [0x12] = {true, GB_MAPPER_MBC3, true, false, false},
    [0x13] = {true, GB_MAPPER_MBC3, true, true, false},
    [0x19] = {true, GB_MAPPER_MBC5, false, false, false},
    [0x1A] = {true, GB_MAPPER_MBC5, true, false, false},
    [0x1B] = {true, GB_MAPPER_MBC5, true, true, false},
    [0x1C] = {true, GB_MAPPER_MBC5, false, false, false}, /* rumble */
    [0x1D] = {true, GB_MAPPER_MBC5, true, false, false},
    [0x1E] = {true, GB_MAPPER_MBC5, true, true, false},
};

/* RAM size code $0149 in bytes (code 1, 2 KiB, is unofficial but seen). */
static const uint32_t ram_sizes[] = {0, 0x800, 0x2000, 0x8000, 0x20000, 0x10000};
#define RAM_CODES (sizeof ram_sizes / sizeof ram_sizes[0])
#define ROM_CODES 9 /* $0148 = 0..8: 32 KiB << code */

typedef struct header {
    cart_type t;
    uint8_t type;
    size_t rom_alloc; /* power of two >= 32 KiB */
    size_t ram_size;  /* power of two or 0 */
} header;

static size_t pow2_at_least(size_t n) {
    size_t p = ROM_MIN_SIZE;
    while (p < n)
        p <<= 1;
    return p;
}

static int parse_header(const uint8_t *rom, size_t size, header *h, char *err, size_t errlen) {
    if (!rom || size < HEADER_END) {
        ct_errf(err, errlen,
                "ROM too small: %zu bytes, a cartridge needs at least %u (header ends at $014F)",
                rom ? size : (size_t)0, HEADER_END);
        return -EINVAL;
    }
    if (size > ROM_MAX_SIZE) {
        ct_errf(err, errlen, "ROM too large: %zu bytes (the largest DMG cartridge is 8 MiB)", size);
        return -EFBIG;
    }
    /* The boot ROM refuses a cartridge whose header checksum is wrong. */
    uint8_t sum = 0;
    for (unsigned i = 0x134; i <= 0x14C; i++)
        sum = (uint8_t)(sum - rom[i] - 1);
    if (sum != rom[0x14D]) {
        ct_errf(err, errlen, "bad header checksum: $014D is $%02X, header sums to $%02X",
                rom[0x14D], sum);
        return -EINVAL;
    }
    h->type = rom[0x147];
    h->t = cart_types[h->type];
    if (!h->t.ok) {
        ct_errf(err, errlen, "unsupported cartridge type $%02X", h->type);
        return -ENOTSUP;
    }
    uint8_t rom_code = rom[0x148], ram_code = rom[0x149];
    if (rom_code >= ROM_CODES) {
        ct_errf(err, errlen, "invalid ROM size code $%02X at $0148", rom_code);
        return -EINVAL;
    }
    if (ram_code >= RAM_CODES) {
        ct_errf(err, errlen, "invalid RAM size code $%02X at $0149", ram_code);
        return -EINVAL;
    }
    /* A file shorter than its header claims is padded with $FF (open bus);
     * a longer one is used whole. */
    size_t claimed = (size_t)ROM_MIN_SIZE << rom_code;
    h->rom_alloc = pow2_at_least(size > claimed ? size : claimed);

    h->ram_size = 0;
    if (h->t.mapper == GB_MAPPER_MBC2) {
        h->ram_size = 512; /* 512 x 4 bits inside the MBC2 */
    } else if (h->t.ram) {
        h->ram_size = ram_sizes[ram_code];
        /* blargg's halt_bug and interrupt_time declare MBC1+RAM with a RAM
         * size of 0 yet report their result at $A000: real MBC1 boards with
         * a RAM chip always carry at least 8 KiB, so give them that. */
        if (h->ram_size == 0 && h->t.mapper == GB_MAPPER_MBC1) h->ram_size = RAM_BANK_SIZE;
    }
    return 0;
}

int gb_cart_check(const uint8_t *rom, size_t size, char *err, size_t errlen) {
    header h;
    return parse_header(rom, size, &h, err, errlen);
}

/* ---- banking ------------------------------------------------------------ */

/* Recompute the mapped banks from the registers and refresh the fast read
 * pointers. The masks keep every bank inside the (power-of-two) buffers. */
static void map_banks(gb_cart *c) {
    unsigned b1 = c->bank1, b0 = 0, bx = 1, rb = 0;
    switch (c->mapper) {
    case GB_MAPPER_MBC1:
        /* BANK1 is 5 bits and 0 reads as 1 (only the 5-bit value is tested,
         * so $20/$40/$60 still select $21/$41/$61: mooneye mbc1/rom_*).
         * BANK2 drives A19-A20 of $4000-$7FFF, and of $0000-$3FFF and the
         * RAM bank in mode 1 (mooneye mbc1/bits_mode, ram_*). */
        b1 = (b1 & 0x1F) ? (b1 & 0x1F) : 1;
        bx = (unsigned)c->bank2 << 5 | b1;
        b0 = c->mode ? (unsigned)c->bank2 << 5 : 0;
        rb = c->mode ? c->bank2 : 0;
        break;
    case GB_MAPPER_MBC1M:
        /* Multicart boards wire BANK1 bit 4 nowhere and BANK2 to A18-A19;
         * the zero check still sees all 5 bits (mooneye mbc1/multicart_rom_8Mb). */
        b1 = (b1 & 0x1F) ? (b1 & 0x1F) : 1;
        bx = (unsigned)c->bank2 << 4 | (b1 & 0x0F);
        b0 = c->mode ? (unsigned)c->bank2 << 4 : 0;
        rb = c->mode ? c->bank2 : 0;
        break;
    case GB_MAPPER_MBC2:
        bx = (b1 & 0x0F) ? (b1 & 0x0F) : 1; /* mooneye mbc2/bits_romb */
        break;
    case GB_MAPPER_MBC3:
        bx = (b1 & 0x7F) ? (b1 & 0x7F) : 1;
        rb = c->bank2 & 0x07;
        break;
    case GB_MAPPER_MBC5:
        bx = (unsigned)(c->bank_hi & 1) << 8 | b1; /* bank 0 can be mapped here */
        rb = c->bank2 & 0x0F;
        break;
    default: break;
    }
    unsigned rom_mask = (unsigned)(c->rom_size / ROM_BANK_SIZE) - 1;
    c->rom_bank0 = b0 & rom_mask;
    c->rom_bankx = bx & rom_mask;
    c->ram_bank =
        c->ram_size > RAM_BANK_SIZE ? rb & (unsigned)(c->ram_size / RAM_BANK_SIZE - 1) : 0;
    c->rom0 = c->rom + (size_t)c->rom_bank0 * ROM_BANK_SIZE;
    c->romx = c->rom + (size_t)c->rom_bankx * ROM_BANK_SIZE;
    for (unsigned p = 0; p < 16; p++)
        c->page_bank[p] = (uint16_t)(p < 4 ? c->rom_bank0 : p < 8 ? c->rom_bankx : 0);
}

static void set_banks(gb *g) {
    gb_cart *c = &g->cart;
    unsigned old0 = c->rom_bank0, oldx = c->rom_bankx, oldr = c->ram_bank;
    map_banks(c);
    if (c->rom_bank0 != old0 || c->rom_bankx != oldx || c->ram_bank != oldr)
        GB_TRACE(g, CART_BANK, (uint16_t)c->rom_bankx, (uint8_t)c->ram_bank);
}

static void set_ram_enable(gb *g, uint8_t v) {
    /* Any value with $A in the low nibble enables RAM (mooneye mbc1/bits_ramg,
     * mbc2/bits_ramg). */
    bool on = (v & 0x0F) == 0x0A;
    if (on != g->cart.ram_enable) {
        g->cart.ram_enable = on;
        GB_TRACE(g, CART_RAM_ENABLE, on);
    }
}

/* ---- MBC3 clock ----------------------------------------------------------- */

/* One second of the clock. Seconds and minutes are 6-bit counters that carry
 * at 60, hours 5 bits carrying at 24; a counter set out of range counts on to
 * its width and wraps to 0 without a carry. The day counter is 9 bits; its
 * overflow sets the sticky carry bit 7 of DH. */
static void rtc_tick_second(uint8_t *r) {
    r[GB_RTC_S] = (r[GB_RTC_S] + 1) & 0x3F;
    if (r[GB_RTC_S] != 60) return;
    r[GB_RTC_S] = 0;
    r[GB_RTC_M] = (r[GB_RTC_M] + 1) & 0x3F;
    if (r[GB_RTC_M] != 60) return;
    r[GB_RTC_M] = 0;
    r[GB_RTC_H] = (r[GB_RTC_H] + 1) & 0x1F;
    if (r[GB_RTC_H] != 24) return;
    r[GB_RTC_H] = 0;
    unsigned day = ((unsigned)(r[GB_RTC_DH] & 1) << 8 | r[GB_RTC_DL]) + 1;
    r[GB_RTC_DL] = (uint8_t)day;
    r[GB_RTC_DH] = (uint8_t)((r[GB_RTC_DH] & 0xFE) | ((day >> 8) & 1));
    if (day >= 512) r[GB_RTC_DH] |= 0x80;
}

/* Bring the clock up to the machine's T-cycle counter (emulated time, never
 * the host's clock). */
static void rtc_sync(gb *g) {
    gb_cart *c = &g->cart;
    uint64_t now = g->cycles;
    if (now < c->rtc_synced) /* the machine was reset or a state loaded */
        c->rtc_synced = now;
    uint64_t elapsed = now - c->rtc_synced;
    c->rtc_synced = now;
    if (c->rtc[GB_RTC_DH] & 0x40) /* halted */
        return;
    uint64_t total = c->rtc_sub + elapsed;
    for (; total >= GB_CLOCK_HZ; total -= GB_CLOCK_HZ)
        rtc_tick_second(c->rtc);
    c->rtc_sub = (uint32_t)total;
}

/* Readable bits of each clock register. */
static const uint8_t rtc_masks[GB_RTC_COUNT] = {0x3F, 0x3F, 0x1F, 0xFF, 0xC1};

static void rtc_write(gb *g, unsigned reg, uint8_t v) {
    gb_cart *c = &g->cart;
    rtc_sync(g);
    v &= rtc_masks[reg];
    c->rtc[reg] = v;
    c->rtc_latched[reg] = v;
    if (reg == GB_RTC_S) /* writing the seconds restarts the current second */
        c->rtc_sub = 0;
}

/* ---- register writes ($0000-$7FFF), one function per mapper ---------------- */

static void write_none(gb *g, uint16_t addr, uint8_t v) {
    (void)g, (void)addr, (void)v;
}

static void write_mbc1(gb *g, uint16_t addr, uint8_t v) {
    gb_cart *c = &g->cart;
    switch (addr >> 13) { /* the MBC1 decodes A13-A14 only */
    case 0: set_ram_enable(g, v); return;
    case 1: c->bank1 = v & 0x1F; break;
    case 2: c->bank2 = v & 0x03; break;
    default: c->mode = v & 0x01; break;
    }
    set_banks(g);
}

static void write_mbc2(gb *g, uint16_t addr, uint8_t v) {
    /* Registers live in $0000-$3FFF; A8 selects ROM bank (1) or RAM enable
     * (0) (mooneye mbc2/bits_ramg, bits_romb, bits_unused). */
    if (addr >= 0x4000) return;
    if (addr & 0x100) {
        g->cart.bank1 = v & 0x0F;
        set_banks(g);
    } else {
        set_ram_enable(g, v);
    }
}

static void write_mbc3(gb *g, uint16_t addr, uint8_t v) {
    gb_cart *c = &g->cart;
    switch (addr >> 13) {
    case 0: set_ram_enable(g, v); return; /* RAM and clock */
    case 1: c->bank1 = v & 0x7F; break;
    case 2: c->bank2 = v & 0x0F; break; /* $00-$07 RAM bank, $08-$0C clock */
    default:
        /* Writing $00 then $01 copies the running clock to the latched
         * registers that $A000-$BFFF reads. */
        if (c->has_rtc && c->rtc_latch_last == 0x00 && v == 0x01) {
            rtc_sync(g);
            memcpy(c->rtc_latched, c->rtc, sizeof c->rtc);
        }
        c->rtc_latch_last = v;
        return;
    }
    set_banks(g);
}

static void write_mbc5(gb *g, uint16_t addr, uint8_t v) {
    gb_cart *c = &g->cart;
    switch (addr >> 12) {
    case 0:
    case 1: set_ram_enable(g, v); return;
    case 2: c->bank1 = v; break;          /* ROM bank bits 0-7 */
    case 3: c->bank_hi = v & 0x01; break; /* ROM bank bit 8 */
    case 4:
    case 5: c->bank2 = v & 0x0F; break; /* RAM bank (bit 3 drives rumble carts' motor) */
    default: return;
    }
    set_banks(g);
}

typedef void (*reg_write_fn)(gb *g, uint16_t addr, uint8_t v);

static const reg_write_fn reg_writes[GB_MAPPER_COUNT] = {
    [GB_MAPPER_NONE] = write_none, [GB_MAPPER_MBC1] = write_mbc1, [GB_MAPPER_MBC1M] = write_mbc1,
    [GB_MAPPER_MBC2] = write_mbc2, [GB_MAPPER_MBC3] = write_mbc3, [GB_MAPPER_MBC5] = write_mbc5,
};

/* ---- external RAM ($A000-$BFFF) ------------------------------------------ */

static size_t ram_offset(const gb_cart *c, uint16_t addr) {
    /* Smaller RAMs (2 KiB, MBC2's 512 nibbles) mirror across the window. */
    return ((size_t)c->ram_bank * RAM_BANK_SIZE + (addr & 0x1FFFu)) & (c->ram_size - 1);
}

/* MBC3 register select $08-$0C maps the clock instead of RAM. */
static int rtc_selected(const gb_cart *c) {
    if (c->mapper != GB_MAPPER_MBC3 || c->bank2 < 0x08) return -1;
    return c->has_rtc && c->bank2 <= 0x0C ? c->bank2 - 0x08 : GB_RTC_COUNT;
}

static uint8_t ram_read(gb *g, uint16_t addr) {
    gb_cart *c = &g->cart;
    if (!c->ram_enable) return 0xFF;
    int r = rtc_selected(c);
    if (r >= 0) return r < GB_RTC_COUNT ? c->rtc_latched[r] : 0xFF;
    if (!c->ram) return 0xFF;
    uint8_t v = c->ram[ram_offset(c, addr)];
    /* MBC2 RAM is 4 bits wide; the upper nibble reads 1 (mooneye mbc2/ram). */
    return c->mapper == GB_MAPPER_MBC2 ? (uint8_t)(v | 0xF0) : v;
}

static void ram_write(gb *g, uint16_t addr, uint8_t v) {
    gb_cart *c = &g->cart;
    if (!c->ram_enable) return;
    int r = rtc_selected(c);
    if (r >= 0) {
        if (r < GB_RTC_COUNT) rtc_write(g, (unsigned)r, v);
        return;
    }
    if (c->ram) c->ram[ram_offset(c, addr)] = c->mapper == GB_MAPPER_MBC2 ? (uint8_t)(v & 0x0F) : v;
}

/* ---- public --------------------------------------------------------------- */

uint8_t gb_cart_read(gb *g, uint16_t addr) {
    if (addr < 0x4000) return g->cart.rom0[addr];
    if (addr < 0x8000) return g->cart.romx[addr - 0x4000];
    if (addr >= 0xA000 && addr < 0xC000) return ram_read(g, addr);
    return 0xFF;
}

void gb_cart_write(gb *g, uint16_t addr, uint8_t v) {
    if (addr < 0x8000)
        reg_writes[g->cart.mapper](g, addr, v);
    else if (addr >= 0xA000 && addr < 0xC000)
        ram_write(g, addr, v);
}

unsigned gb_cart_bank(const gb_cart *c, uint16_t addr) {
    return addr < 0x4000 ? c->rom_bank0 : c->rom_bankx;
}

/* MBC1 multicarts (MBC1M) are 1 MiB boards holding several 256 KiB games; the
 * game at bank $10 carries its own Nintendo logo at $40104. */
static bool is_multicart(const uint8_t *rom, size_t size) {
    return size == (1u << 20) && memcmp(rom + 0x104, rom + 0x40104, 0x30) == 0;
}

int gb_cart_init(gb_cart *c, const uint8_t *rom, size_t size, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    header h;
    int rc = parse_header(rom, size, &h, err, errlen);
    if (rc < 0) return rc;
    c->rom = malloc(h.rom_alloc);
    if (!c->rom) {
        ct_errf(err, errlen, "out of memory for a %zu-byte ROM", h.rom_alloc);
        return -ENOMEM;
    }
    memcpy(c->rom, rom, size);
    memset(c->rom + size, 0xFF, h.rom_alloc - size);
    c->rom_size = h.rom_alloc;
    if (h.ram_size) {
        c->ram = malloc(h.ram_size);
        if (!c->ram) {
            free(c->rom);
            c->rom = NULL;
            ct_errf(err, errlen, "out of memory for %zu bytes of cartridge RAM", h.ram_size);
            return -ENOMEM;
        }
        /* Uninitialised SRAM: any value will do; $FF like an erased chip. */
        memset(c->ram, 0xFF, h.ram_size);
        c->ram_size = h.ram_size;
    }
    c->type = h.type;
    c->mapper = h.t.mapper;
    if (c->mapper == GB_MAPPER_MBC1 && is_multicart(c->rom, size)) c->mapper = GB_MAPPER_MBC1M;
    c->has_rtc = h.t.rtc;
    c->has_battery = h.t.battery;
    gb_cart_reset(c);
    return 0;
}

void gb_cart_free(gb_cart *c) {
    free(c->rom);
    free(c->ram);
    c->rom = c->ram = NULL;
    c->rom0 = c->romx = NULL;
    c->rom_size = c->ram_size = 0;
}

/* Power-on mapper state; RAM and clock keep their contents (battery). */
void gb_cart_reset(gb_cart *c) {
    c->ram_enable = c->mapper == GB_MAPPER_NONE; /* no MBC: RAM is always selected */
    c->bank1 = 1;
    c->bank2 = 0;
    c->bank_hi = 0;
    c->mode = 0;
    c->rtc_latch_last = 0xFF;
    c->rtc_synced = 0;
    if (c->rom) map_banks(c);
}

/* ---- save states ------------------------------------------------------------
 * Little-endian, fixed layout: magic "CART", version, mapper, ROM size, RAM
 * size (both must match the loaded cartridge), registers, clock, RAM. */

#define STATE_VERSION 1
#define STATE_FIXED   (4 + 1 + 1 + 4 + 4 + 6 + 2 * GB_RTC_COUNT + 1 + 8 + 4)

static uint8_t *put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t gb_cart_state_size(const gb_cart *c) {
    return STATE_FIXED + c->ram_size;
}

size_t gb_cart_state_fixed(const gb_cart *c, uint8_t *buf) {
    uint8_t *p = buf;
    memcpy(p, "CART", 4);
    p += 4;
    *p++ = STATE_VERSION;
    *p++ = c->mapper;
    p = put32(p, (uint32_t)c->rom_size);
    p = put32(p, (uint32_t)c->ram_size);
    *p++ = c->ram_enable;
    *p++ = c->bank1;
    *p++ = c->bank2;
    *p++ = c->bank_hi;
    *p++ = c->mode;
    *p++ = c->rtc_latch_last;
    memcpy(p, c->rtc, GB_RTC_COUNT);
    p += GB_RTC_COUNT;
    memcpy(p, c->rtc_latched, GB_RTC_COUNT);
    p += GB_RTC_COUNT;
    *p++ = 0; /* reserved */
    p = put32(p, (uint32_t)c->rtc_synced);
    p = put32(p, (uint32_t)(c->rtc_synced >> 32));
    p = put32(p, c->rtc_sub);
    return (size_t)(p - buf);
}

size_t gb_cart_state_save(const gb_cart *c, uint8_t *buf) {
    uint8_t *p = buf + gb_cart_state_fixed(c, buf);
    if (c->ram_size) memcpy(p, c->ram, c->ram_size);
    p += c->ram_size;
    return (size_t)(p - buf);
}

int gb_cart_state_load(gb_cart *c, const uint8_t *buf, size_t size) {
    if (!buf || size != gb_cart_state_size(c)) return -EINVAL;
    const uint8_t *p = buf;
    if (memcmp(p, "CART", 4) != 0 || p[4] != STATE_VERSION || p[5] != c->mapper) return -EINVAL;
    p += 6;
    if (get32(p) != c->rom_size || get32(p + 4) != c->ram_size) return -EINVAL;
    p += 8;
    uint32_t sub = get32(p + 6 + 2 * GB_RTC_COUNT + 1 + 8);
    if (sub >= GB_CLOCK_HZ) return -EINVAL;
    /* Validated: apply. */
    c->ram_enable = p[0] != 0;
    c->bank1 = p[1];
    c->bank2 = p[2];
    c->bank_hi = p[3];
    c->mode = p[4];
    c->rtc_latch_last = p[5];
    p += 6;
    for (unsigned i = 0; i < GB_RTC_COUNT; i++) {
        c->rtc[i] = p[i] & rtc_masks[i];
        c->rtc_latched[i] = p[GB_RTC_COUNT + i] & rtc_masks[i];
    }
    p += 2 * GB_RTC_COUNT + 1;
    c->rtc_synced = (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
    c->rtc_sub = sub;
    p += 12;
    if (c->ram_size) memcpy(c->ram, p, c->ram_size);
    map_banks(c);
    return 0;
}

/* ---- battery saves ------------------------------------------------------------
 * What a cartridge's battery keeps: the external RAM as it is, then, for an
 * MBC3 with a clock, 48 bytes in the layout other emulators use for .sav
 * files: the five live and the five latched clock registers as 32-bit
 * little-endian words, then the host time of the save (seconds since the
 * epoch) as a 64-bit word. A cartridge without a battery keeps nothing. */

#define BATTERY_RTC_BYTES 48

size_t gb_battery_size(const gb *g) {
    const gb_cart *c = &g->cart;
    if (!c->has_battery) return 0;
    return c->ram_size + (c->has_rtc ? BATTERY_RTC_BYTES : 0);
}

long gb_battery_save(gb *g, uint8_t *buf, size_t size, int64_t host_time) {
    gb_cart *c = &g->cart;
    size_t need = gb_battery_size(g);
    if (!need) return 0;
    if (!buf || size < need) return -EINVAL;
    if (c->ram_size) memcpy(buf, c->ram, c->ram_size);
    if (c->has_rtc) {
        rtc_sync(g);
        uint8_t *p = buf + c->ram_size;
        for (unsigned i = 0; i < GB_RTC_COUNT; i++)
            p = put32(p, c->rtc[i]);
        for (unsigned i = 0; i < GB_RTC_COUNT; i++)
            p = put32(p, c->rtc_latched[i]);
        p = put32(p, (uint32_t)(uint64_t)host_time);
        put32(p, (uint32_t)((uint64_t)host_time >> 32));
    }
    return (long)need;
}

int gb_battery_load(gb *g, const uint8_t *buf, size_t size, int64_t host_time) {
    gb_cart *c = &g->cart;
    if (!c->has_battery || !buf) return -EINVAL;
    /* The RAM alone is accepted for a clock cartridge too (the clock then
     * keeps its state). */
    if (size != c->ram_size && !(c->has_rtc && size == c->ram_size + BATTERY_RTC_BYTES))
        return -EINVAL;
    if (c->ram_size) memcpy(c->ram, buf, c->ram_size);
    g->ck_valid = 0; /* written behind the CPU's back: no checkpoint baseline */
    if (size == c->ram_size) return 0;
    const uint8_t *p = buf + c->ram_size;
    rtc_sync(g);
    for (unsigned i = 0; i < GB_RTC_COUNT; i++) {
        c->rtc[i] = (uint8_t)get32(p + 4 * i) & rtc_masks[i];
        c->rtc_latched[i] = (uint8_t)get32(p + 4 * (GB_RTC_COUNT + i)) & rtc_masks[i];
    }
    int64_t saved = (int64_t)((uint64_t)get32(p + 40) | (uint64_t)get32(p + 44) << 32);
    /* The clock ran on while the game was off, unless it was halted. */
    if (host_time > saved && !(c->rtc[GB_RTC_DH] & 0x40)) {
        uint64_t secs = (uint64_t)(host_time - saved);
        uint8_t *r = c->rtc;
        if (r[GB_RTC_S] < 60 && r[GB_RTC_M] < 60 && r[GB_RTC_H] < 24) {
            uint64_t t = secs + r[GB_RTC_S] + 60u * r[GB_RTC_M] + 3600u * r[GB_RTC_H];
            uint64_t days = ((unsigned)(r[GB_RTC_DH] & 1) << 8 | r[GB_RTC_DL]) + t / 86400;
            t %= 86400;
            r[GB_RTC_S] = (uint8_t)(t % 60);
            r[GB_RTC_M] = (uint8_t)(t / 60 % 60);
            r[GB_RTC_H] = (uint8_t)(t / 3600);
            r[GB_RTC_DL] = (uint8_t)days;
            r[GB_RTC_DH] = (uint8_t)((r[GB_RTC_DH] & 0xFE) | ((days >> 8) & 1));
            if (days >= 512) r[GB_RTC_DH] |= 0x80;
        } else {
            /* Registers set out of range count through their width first. */
            for (uint64_t i = 0; i < secs && i < 86400u * 512; i++)
                rtc_tick_second(r);
        }
    }
    return 0;
}

void gb_rtc_get(gb *g, uint8_t regs[5]) {
    if (g->cart.has_rtc) rtc_sync(g);
    memcpy(regs, g->cart.rtc, GB_RTC_COUNT);
}
