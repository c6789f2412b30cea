/* Cartridge unit tests on ROM images synthesized here: every mapper's
 * banking, RAM enable and RAM banking, MBC2 nibble RAM, the MBC3 clock run
 * by the machine's T-cycle counter, save states, trace points and malformed
 * images. A machine struct is built by hand: only the cartridge is used. */
#include "gb/gb_internal.h"
#include "check.h"
#include "testrec.h"
#include "testrom.h"

#include <errno.h>
#include <string.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

/* Every 16 KiB bank starts with its number (low, high byte) and ends with
 * the complement of its low byte, so a read tells which bank is mapped. */
static uint8_t *make_rom(size_t size, uint8_t type, uint8_t rom_code, uint8_t ram_code) {
    uint8_t *rom = malloc(size ? size : 1);
    memset(rom, 0, size);
    for (size_t b = 0; b * 0x4000 < size; b++) {
        size_t base = b * 0x4000;
        if (base + 0x3FFF < size) {
            rom[base + 0x3FFF] = (uint8_t)~b;
        }
        if (b != 0 && base + 1 < size) {
            rom[base] = (uint8_t)b;
            rom[base + 1] = (uint8_t)(b >> 8);
        }
    }
    if (size >= 0x150) {
        memcpy(rom + 0x134, "CERESTEST", 9);
        rom[0x147] = type;
        rom[0x148] = rom_code;
        rom[0x149] = ram_code;
        testrom_fix_checksum(rom);
    }
    return rom;
}

static gb *new_gb(const uint8_t *rom, size_t size) {
    gb *g = calloc(1, sizeof *g);
    char err[256];
    int rc = gb_cart_init(&g->cart, rom, size, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "gb_cart_init: %s\n", err);
        free(g);
        return NULL;
    }
    return g;
}

static void free_gb(gb *g) {
    if (!g) return;
    gb_cart_free(&g->cart);
    free(g);
}

/* Bank number mapped at base ($0000 or $4000), read through the bus view. */
static unsigned bank_at(gb *g, uint16_t base) {
    return gb_cart_read(g, base) | (unsigned)gb_cart_read(g, base + 1) << 8;
}

static void test_rom_only(void) {
    uint8_t *rom = make_rom(32 * KIB, 0x00, 0, 0);
    gb *g = new_gb(rom, 32 * KIB);
    CHECK(g != NULL);
    CHECK_EQ(bank_at(g, 0x4000), 1);
    gb_cart_write(g, 0x2000, 0x05); /* no MBC: ignored */
    CHECK_EQ(bank_at(g, 0x4000), 1);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF); /* no RAM */
    gb_cart_write(g, 0xA000, 0x12);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF);
    CHECK(g->cart.rom0 == g->cart.rom && g->cart.romx == g->cart.rom + 0x4000);
    CHECK_EQ(gb_cart_bank(&g->cart, 0x0100), 0);
    CHECK_EQ(gb_cart_bank(&g->cart, 0x4100), 1);
    free_gb(g);
    free(rom);

    /* ROM+RAM: RAM always selected, 8 KiB. */
    rom = make_rom(32 * KIB, 0x08, 0, 2);
    g = new_gb(rom, 32 * KIB);
    gb_cart_write(g, 0xA123, 0x5A);
    CHECK_EQ(gb_cart_read(g, 0xA123), 0x5A);
    CHECK_EQ(g->cart.ram_size, 8 * KIB);
    free_gb(g);
    free(rom);
}

static void test_mbc1(void) {
    /* 2 MiB: 128 banks, BANK2 supplies bank bits 5-6. */
    uint8_t *rom = make_rom(2 * MIB, 0x01, 6, 0);
    gb *g = new_gb(rom, 2 * MIB);
    CHECK_EQ(bank_at(g, 0x4000), 1);
    gb_cart_write(g, 0x2000, 0x00); /* 0 maps bank 1 */
    CHECK_EQ(bank_at(g, 0x4000), 1);
    gb_cart_write(g, 0x2000, 0x1F);
    CHECK_EQ(bank_at(g, 0x4000), 0x1F);
    gb_cart_write(g, 0x3FFF, 0xE3); /* only 5 bits are kept: $03 */
    CHECK_EQ(bank_at(g, 0x4000), 0x03);
    gb_cart_write(g, 0x2000, 0x20); /* 5-bit zero: bank 1 */
    CHECK_EQ(bank_at(g, 0x4000), 0x01);
    /* BANK2=1: $20 requested gives $21 (the bank 0 remap quirk). */
    gb_cart_write(g, 0x4000, 0x01);
    gb_cart_write(g, 0x2000, 0x00);
    CHECK_EQ(bank_at(g, 0x4000), 0x21);
    gb_cart_write(g, 0x4000, 0x02);
    CHECK_EQ(bank_at(g, 0x4000), 0x41);
    gb_cart_write(g, 0x5FFF, 0xFF); /* 2 bits: 3 */
    CHECK_EQ(bank_at(g, 0x4000), 0x61);
    gb_cart_write(g, 0x2000, 0x05);
    CHECK_EQ(bank_at(g, 0x4000), 0x65);
    CHECK_EQ(gb_cart_bank(&g->cart, 0x4000), 0x65);
    /* Mode 0: $0000 is bank 0; mode 1: bank BANK2<<5. */
    CHECK_EQ(bank_at(g, 0x0000), 0);
    gb_cart_write(g, 0x6000, 0x01);
    CHECK_EQ(bank_at(g, 0x0000), 0x60);
    CHECK_EQ(gb_cart_bank(&g->cart, 0x0000), 0x60);
    gb_cart_write(g, 0x7FFF, 0xFE); /* bit 0 only: mode 0 */
    CHECK_EQ(bank_at(g, 0x0000), 0);
    free_gb(g);
    free(rom);

    /* 256 KiB: bank numbers beyond the ROM wrap (masked). */
    rom = make_rom(256 * KIB, 0x01, 3, 0);
    g = new_gb(rom, 256 * KIB);
    gb_cart_write(g, 0x2000, 0x13); /* 19 & 15 = 3 */
    CHECK_EQ(bank_at(g, 0x4000), 3);
    gb_cart_write(g, 0x2000, 0x10); /* 16 & 15 = 0: bank 0 mapped at $4000 */
    CHECK_EQ(bank_at(g, 0x4000), 0);
    gb_cart_write(g, 0x4000, 0x03);
    gb_cart_write(g, 0x6000, 0x01);
    CHECK_EQ(bank_at(g, 0x0000), 0); /* BANK2 bits land beyond the ROM */
    free_gb(g);
    free(rom);

    /* MBC1+RAM 32 KiB: RAM enable, banking in mode 1 only. */
    rom = make_rom(64 * KIB, 0x03, 1, 3);
    g = new_gb(rom, 64 * KIB);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF); /* disabled */
    gb_cart_write(g, 0xA000, 0x11);
    gb_cart_write(g, 0x0000, 0x1A); /* low nibble $A enables */
    CHECK(g->cart.ram_enable);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF); /* the write while disabled was lost */
    for (unsigned b = 0; b < 4; b++) {
        gb_cart_write(g, 0x6000, 1);
        gb_cart_write(g, 0x4000, (uint8_t)b);
        gb_cart_write(g, 0xA000, (uint8_t)(0x40 + b));
        gb_cart_write(g, 0xBFFF, (uint8_t)(0x80 + b));
    }
    for (unsigned b = 0; b < 4; b++) {
        gb_cart_write(g, 0x4000, (uint8_t)b);
        CHECK_EQ(gb_cart_read(g, 0xA000), 0x40 + b);
        CHECK_EQ(gb_cart_read(g, 0xBFFF), 0x80 + b);
    }
    gb_cart_write(g, 0x6000, 0); /* mode 0: RAM bank 0 whatever BANK2 says */
    CHECK_EQ(gb_cart_read(g, 0xA000), 0x40);
    gb_cart_write(g, 0x1FFF, 0x0B); /* not $A: disables */
    CHECK(!g->cart.ram_enable);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF);
    gb_cart_write(g, 0x0000, 0xFA);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0x40);
    free_gb(g);
    free(rom);

    /* MBC1+RAM with RAM size 0 (blargg halt_bug, interrupt_time): 8 KiB. */
    rom = make_rom(32 * KIB, 0x03, 0, 0);
    g = new_gb(rom, 32 * KIB);
    CHECK_EQ(g->cart.ram_size, 8 * KIB);
    gb_cart_write(g, 0x0000, 0x0A);
    gb_cart_write(g, 0xA000, 0x80);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0x80);
    free_gb(g);
    free(rom);

    /* MBC1 without RAM: enabled RAM still reads $FF. */
    rom = make_rom(32 * KIB, 0x01, 0, 0);
    g = new_gb(rom, 32 * KIB);
    gb_cart_write(g, 0x0000, 0x0A);
    gb_cart_write(g, 0xA000, 0x00);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF);
    free_gb(g);
    free(rom);

    /* 2 KiB RAM mirrors through the 8 KiB window. */
    rom = make_rom(32 * KIB, 0x02, 0, 1);
    g = new_gb(rom, 32 * KIB);
    gb_cart_write(g, 0x0000, 0x0A);
    gb_cart_write(g, 0xA001, 0x77);
    CHECK_EQ(gb_cart_read(g, 0xA801), 0x77);
    CHECK_EQ(gb_cart_read(g, 0xB801), 0x77);
    free_gb(g);
    free(rom);
}

static void test_mbc1_multicart(void) {
    uint8_t *rom = make_rom(1 * MIB, 0x01, 5, 0);
    /* A logo in bank 0 and a copy at bank $10 mark an MBC1M board. */
    for (unsigned i = 0; i < 0x30; i++)
        rom[0x104 + i] = rom[0x40104 + i] = (uint8_t)(0xCE + i * 7);
    testrom_fix_checksum(rom);
    gb *g = new_gb(rom, 1 * MIB);
    CHECK_EQ(g->cart.mapper, GB_MAPPER_MBC1M);
    gb_cart_write(g, 0x2000, 0x05);
    gb_cart_write(g, 0x4000, 0x01);
    CHECK_EQ(bank_at(g, 0x4000), 0x15); /* BANK2 at bit 4 */
    gb_cart_write(g, 0x2000, 0x10);     /* 5-bit nonzero, low 4 bits 0 */
    CHECK_EQ(bank_at(g, 0x4000), 0x10);
    gb_cart_write(g, 0x2000, 0x00); /* zero: 1 */
    CHECK_EQ(bank_at(g, 0x4000), 0x11);
    gb_cart_write(g, 0x6000, 0x01);
    gb_cart_write(g, 0x4000, 0x03);
    CHECK_EQ(bank_at(g, 0x0000), 0x30);
    free_gb(g);

    /* Same image without the second logo: plain MBC1. */
    rom[0x40104] ^= 0xFF;
    g = new_gb(rom, 1 * MIB);
    CHECK_EQ(g->cart.mapper, GB_MAPPER_MBC1);
    gb_cart_write(g, 0x2000, 0x05);
    gb_cart_write(g, 0x4000, 0x01);
    CHECK_EQ(bank_at(g, 0x4000), 0x25);
    free_gb(g);
    free(rom);
}

static void test_mbc2(void) {
    uint8_t *rom = make_rom(256 * KIB, 0x06, 3, 0);
    gb *g = new_gb(rom, 256 * KIB);
    CHECK_EQ(g->cart.ram_size, 512);
    gb_cart_write(g, 0x2100, 0x07); /* A8=1: ROM bank */
    CHECK_EQ(bank_at(g, 0x4000), 7);
    gb_cart_write(g, 0x0100, 0x0F); /* anywhere in $0000-$3FFF with A8=1 */
    CHECK_EQ(bank_at(g, 0x4000), 15);
    gb_cart_write(g, 0x3FFF, 0x00); /* 0 maps 1 */
    CHECK_EQ(bank_at(g, 0x4000), 1);
    gb_cart_write(g, 0x3EFF, 0x0A); /* A8=0: RAM enable, bank unchanged */
    CHECK_EQ(bank_at(g, 0x4000), 1);
    CHECK(g->cart.ram_enable);
    gb_cart_write(g, 0x2000, 0x00); /* A8=0: disables */
    CHECK(!g->cart.ram_enable);
    gb_cart_write(g, 0x4100, 0x03); /* $4000-$7FFF: no register */
    CHECK_EQ(bank_at(g, 0x4000), 1);
    gb_cart_write(g, 0x0000, 0x0A);
    gb_cart_write(g, 0xA000, 0xAB); /* 4-bit cells, upper nibble reads 1 */
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFB);
    CHECK_EQ(gb_cart_read(g, 0xA200), 0xFB); /* 512 cells mirrored */
    CHECK_EQ(gb_cart_read(g, 0xBE00), 0xFB);
    gb_cart_write(g, 0xA1FF, 0x03);
    CHECK_EQ(gb_cart_read(g, 0xBFFF), 0xF3);
    free_gb(g);
    free(rom);
}

static void test_mbc3(void) {
    uint8_t *rom = make_rom(2 * MIB, 0x10, 6, 3); /* MBC3+TIMER+RAM+BATTERY */
    gb *g = new_gb(rom, 2 * MIB);
    CHECK(g->cart.has_rtc);
    gb_cart_write(g, 0x2000, 0x00);
    CHECK_EQ(bank_at(g, 0x4000), 1);
    gb_cart_write(g, 0x2000, 0x7F);
    CHECK_EQ(bank_at(g, 0x4000), 0x7F);
    gb_cart_write(g, 0x2000, 0xC0); /* 7 bits: $40 */
    CHECK_EQ(bank_at(g, 0x4000), 0x40);
    CHECK_EQ(bank_at(g, 0x0000), 0);
    /* RAM banks 0-3. */
    gb_cart_write(g, 0x0000, 0x0A);
    for (unsigned b = 0; b < 4; b++) {
        gb_cart_write(g, 0x4000, (uint8_t)b);
        gb_cart_write(g, 0xA010, (uint8_t)(0x10 * b + 1));
    }
    for (unsigned b = 0; b < 4; b++) {
        gb_cart_write(g, 0x4000, (uint8_t)b);
        CHECK_EQ(gb_cart_read(g, 0xA010), 0x10 * b + 1);
    }
    /* Clock: set 23:59:58 day 511, let the machine run 3 s, latch. */
    g->cycles = 1000;
    static const uint8_t set[5] = {58, 59, 23, 0xFF, 0x01};
    for (unsigned r = 0; r < 5; r++) {
        gb_cart_write(g, 0x4000, (uint8_t)(0x08 + r));
        gb_cart_write(g, 0xA000, set[r]);
    }
    g->cycles += 3ull * GB_CLOCK_HZ - 1;
    gb_cart_write(g, 0x6000, 0x00);
    gb_cart_write(g, 0x6000, 0x01);
    gb_cart_write(g, 0x4000, 0x08);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0); /* 58 + 2 s: 00, carried into the day */
    gb_cart_write(g, 0x4000, 0x09);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0);
    gb_cart_write(g, 0x4000, 0x0A);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0);
    gb_cart_write(g, 0x4000, 0x0B);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0);
    gb_cart_write(g, 0x4000, 0x0C);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0x80); /* day 512 overflowed: carry, day 0 */
    /* Latched values hold while the clock runs on. */
    g->cycles += 10ull * GB_CLOCK_HZ;
    gb_cart_write(g, 0x4000, 0x08);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0);
    gb_cart_write(g, 0x6000, 0x01); /* no $00 first: no latch */
    CHECK_EQ(gb_cart_read(g, 0xA000), 0);
    gb_cart_write(g, 0x6000, 0x00);
    gb_cart_write(g, 0x6000, 0x01);
    CHECK_EQ(gb_cart_read(g, 0xA000), 10); /* 1 cycle short of the 3rd second */
    g->cycles += 1;
    gb_cart_write(g, 0x6000, 0x00);
    gb_cart_write(g, 0x6000, 0x01);
    CHECK_EQ(gb_cart_read(g, 0xA000), 11);
    /* Halt (DH bit 6) stops it. */
    gb_cart_write(g, 0x4000, 0x0C);
    gb_cart_write(g, 0xA000, 0x40);
    g->cycles += 100ull * GB_CLOCK_HZ;
    gb_cart_write(g, 0x6000, 0x00);
    gb_cart_write(g, 0x6000, 0x01);
    gb_cart_write(g, 0x4000, 0x08);
    CHECK_EQ(gb_cart_read(g, 0xA000), 11);
    /* Seconds written out of range count to 63 and wrap without a carry. */
    gb_cart_write(g, 0xA000, 62);
    gb_cart_write(g, 0x4000, 0x09);
    gb_cart_write(g, 0xA000, 5);
    gb_cart_write(g, 0x4000, 0x0C);
    gb_cart_write(g, 0xA000, 0x00); /* run */
    g->cycles += 2ull * GB_CLOCK_HZ;
    gb_cart_write(g, 0x6000, 0x00);
    gb_cart_write(g, 0x6000, 0x01);
    gb_cart_write(g, 0x4000, 0x08);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0);
    gb_cart_write(g, 0x4000, 0x09);
    CHECK_EQ(gb_cart_read(g, 0xA000), 5);
    /* A disabled clock reads $FF; selects $0D-$0F read $FF. */
    gb_cart_write(g, 0x0000, 0x00);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF);
    gb_cart_write(g, 0x0000, 0x0A);
    gb_cart_write(g, 0x4000, 0x0D);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF);
    free_gb(g);
    free(rom);

    /* MBC3 without a clock: register selects $08-$0C read $FF. */
    rom = make_rom(64 * KIB, 0x13, 1, 2);
    g = new_gb(rom, 64 * KIB);
    gb_cart_write(g, 0x0000, 0x0A);
    gb_cart_write(g, 0x4000, 0x08);
    gb_cart_write(g, 0xA000, 0x12);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF);
    gb_cart_write(g, 0x4000, 0x00);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF); /* the write did not reach RAM */
    free_gb(g);
    free(rom);
}

static void test_mbc5(void) {
    uint8_t *rom = make_rom(8 * MIB, 0x1B, 8, 4); /* 512 banks, 128 KiB RAM */
    gb *g = new_gb(rom, 8 * MIB);
    CHECK_EQ(bank_at(g, 0x4000), 1);
    gb_cart_write(g, 0x2000, 0x00); /* MBC5 maps bank 0 as asked */
    CHECK_EQ(bank_at(g, 0x4000), 0);
    gb_cart_write(g, 0x2FFF, 0xFF);
    CHECK_EQ(bank_at(g, 0x4000), 0xFF);
    gb_cart_write(g, 0x3000, 0x01);
    CHECK_EQ(bank_at(g, 0x4000), 0x1FF);
    gb_cart_write(g, 0x2000, 0x23);
    CHECK_EQ(bank_at(g, 0x4000), 0x123);
    CHECK_EQ(gb_cart_bank(&g->cart, 0x4000), 0x123);
    gb_cart_write(g, 0x3FFF, 0xFE); /* bit 8 only */
    CHECK_EQ(bank_at(g, 0x4000), 0x23);
    CHECK_EQ(bank_at(g, 0x0000), 0);
    gb_cart_write(g, 0x0000, 0x0A);
    for (unsigned b = 0; b < 16; b++) {
        gb_cart_write(g, 0x4000, (uint8_t)b);
        gb_cart_write(g, 0xB000, (uint8_t)(0xA0 + b));
    }
    for (unsigned b = 0; b < 16; b++) {
        gb_cart_write(g, 0x5FFF, (uint8_t)(0xF0 | b));
        CHECK_EQ(gb_cart_read(g, 0xB000), 0xA0 + b);
    }
    gb_cart_write(g, 0x6000, 0x55); /* no register */
    CHECK_EQ(bank_at(g, 0x4000), 0x23);
    free_gb(g);
    free(rom);

    /* 64 KiB MBC5: bank numbers wrap at 4. */
    rom = make_rom(64 * KIB, 0x19, 1, 0);
    g = new_gb(rom, 64 * KIB);
    gb_cart_write(g, 0x2000, 0x06);
    gb_cart_write(g, 0x3000, 0x01);
    CHECK_EQ(bank_at(g, 0x4000), 2);
    gb_cart_write(g, 0x0000, 0x0A);
    CHECK_EQ(gb_cart_read(g, 0xA000), 0xFF);
    free_gb(g);
    free(rom);
}

static void test_malformed(void) {
    char err[256];
    gb_cart c;
    err[0] = 0;
    CHECK_EQ(gb_cart_check(NULL, 0, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "too small") != NULL);
    CHECK_EQ(gb_cart_init(&c, NULL, 0, err, sizeof err), -EINVAL);
    CHECK_EQ(gb_cart_check(NULL, 0, NULL, 0), -EINVAL); /* no message buffer */

    uint8_t *rom = make_rom(0x100, 0x00, 0, 0);
    CHECK_EQ(gb_cart_check(rom, 0x100, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "too small") != NULL);
    free(rom);

    rom = make_rom(32 * KIB, 0x00, 0, 0);
    rom[0x14D] ^= 1;
    CHECK_EQ(gb_cart_check(rom, 32 * KIB, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "checksum") != NULL);
    CHECK_EQ(gb_cart_init(&c, rom, 32 * KIB, err, sizeof err), -EINVAL);
    free(rom);

    static const uint8_t unsupported[] = {0x04, 0x07, 0x0B, 0x0D, 0x20, 0x22, 0xFC, 0xFE, 0xFF};
    for (size_t i = 0; i < sizeof unsupported; i++) {
        rom = make_rom(32 * KIB, unsupported[i], 0, 0);
        CHECK_EQ(gb_cart_check(rom, 32 * KIB, err, sizeof err), -ENOTSUP);
        char want[64];
        snprintf(want, sizeof want, "unsupported cartridge type $%02X", unsupported[i]);
        CHECK(strcmp(err, want) == 0);
        free(rom);
    }

    rom = make_rom(32 * KIB, 0x01, 9, 0);
    CHECK_EQ(gb_cart_check(rom, 32 * KIB, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "ROM size code") != NULL);
    free(rom);
    rom = make_rom(32 * KIB, 0x03, 0, 6);
    CHECK_EQ(gb_cart_check(rom, 32 * KIB, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "RAM size code") != NULL);
    free(rom);

    /* Header claims 2 MiB, the file holds 32 KiB: padded with $FF. */
    rom = make_rom(32 * KIB, 0x01, 6, 0);
    gb *g = new_gb(rom, 32 * KIB);
    CHECK(g != NULL);
    CHECK_EQ(g->cart.rom_size, 2 * MIB);
    gb_cart_write(g, 0x2000, 0x1F);
    CHECK_EQ(gb_cart_read(g, 0x4000), 0xFF);
    gb_cart_write(g, 0x2000, 0x01);
    CHECK_EQ(bank_at(g, 0x4000), 1);
    free_gb(g);
    free(rom);

    /* A 336-byte header-only image runs: everything past it reads $FF. */
    rom = make_rom(0x150, 0x19, 0, 0);
    g = new_gb(rom, 0x150);
    CHECK(g != NULL);
    CHECK_EQ(g->cart.rom_size, 32 * KIB);
    CHECK_EQ(gb_cart_read(g, 0x7FFF), 0xFF);
    for (unsigned v = 0; v < 256; v++) {
        gb_cart_write(g, 0x2000, (uint8_t)v);
        gb_cart_write(g, 0x3000, (uint8_t)v);
        CHECK(gb_cart_bank(&g->cart, 0x4000) < 2);
    }
    free_gb(g);
    free(rom);

    /* Larger than the header says, not a power of two: rounded up. */
    rom = make_rom(96 * KIB, 0x01, 0, 0);
    g = new_gb(rom, 96 * KIB);
    CHECK_EQ(g->cart.rom_size, 128 * KIB);
    gb_cart_write(g, 0x2000, 0x05);
    CHECK_EQ(bank_at(g, 0x4000), 5);
    gb_cart_write(g, 0x2000, 0x06);
    CHECK_EQ(gb_cart_read(g, 0x4000), 0xFF);
    free_gb(g);
    free(rom);

    /* 8 MiB + 1 byte: more than any DMG cartridge. */
    rom = make_rom(8 * MIB + 1, 0x19, 8, 0);
    CHECK_EQ(gb_cart_check(rom, 8 * MIB + 1, err, sizeof err), -EFBIG);
    CHECK(strstr(err, "too large") != NULL);
    free(rom);

    /* Random headers and random register writes never go out of bounds
     * (the sanitizer build checks the accesses). */
    uint32_t seed = 12345;
    for (int n = 0; n < 200; n++) {
        size_t size = 0x150 + (n * 7919u) % (96 * KIB);
        rom = make_rom(size, 0, 0, 0);
        seed = seed * 1103515245u + 12345u;
        rom[0x147] = (uint8_t)(seed >> 16);
        rom[0x148] = (uint8_t)((seed >> 8) % 10);
        rom[0x149] = (uint8_t)(seed % 7);
        testrom_fix_checksum(rom);
        gb *f = calloc(1, sizeof *f);
        if (gb_cart_init(&f->cart, rom, size, err, sizeof err) == 0) {
            for (int k = 0; k < 2000; k++) {
                seed = seed * 1103515245u + 12345u;
                uint16_t a = (uint16_t)(seed >> 8);
                if ((a & 0xE000) == 0x8000 || a >= 0xC000) continue;
                if (seed & 1)
                    gb_cart_write(f, a, (uint8_t)(seed >> 24));
                else
                    (void)gb_cart_read(f, a);
                f->cycles += seed & 0xFFFF;
            }
            CHECK(f->cart.romx >= f->cart.rom &&
                  f->cart.romx + 0x4000 <= f->cart.rom + f->cart.rom_size);
            gb_cart_free(&f->cart);
        }
        free(f);
        free(rom);
    }
}

static void test_state(void) {
    uint8_t *rom = make_rom(128 * KIB, 0x10, 2, 3);
    gb *g = new_gb(rom, 128 * KIB);
    gb_cart_write(g, 0x0000, 0x0A);
    gb_cart_write(g, 0x2000, 0x05);
    gb_cart_write(g, 0x4000, 0x02);
    gb_cart_write(g, 0xA100, 0x99);
    gb_cart_write(g, 0x4000, 0x09);
    gb_cart_write(g, 0xA000, 42); /* minutes */
    size_t n = gb_cart_state_size(&g->cart);
    uint8_t *buf = malloc(n);
    CHECK_EQ(gb_cart_state_save(&g->cart, buf), n);

    gb *h = new_gb(rom, 128 * KIB);
    CHECK_EQ(gb_cart_state_load(&h->cart, buf, n - 1), -EINVAL);
    CHECK_EQ(bank_at(h, 0x4000), 1); /* unchanged on error */
    buf[0] ^= 1;
    CHECK_EQ(gb_cart_state_load(&h->cart, buf, n), -EINVAL);
    buf[0] ^= 1;
    CHECK_EQ(gb_cart_state_load(&h->cart, buf, n), 0);
    CHECK_EQ(bank_at(h, 0x4000), 5);
    CHECK(h->cart.romx == h->cart.rom + 5 * 0x4000);
    CHECK_EQ(gb_cart_read(h, 0xA000), 42);
    gb_cart_write(h, 0x4000, 0x02);
    CHECK_EQ(gb_cart_read(h, 0xA100), 0x99);

    /* A state from a cartridge with other RAM is refused. */
    uint8_t *rom2 = make_rom(128 * KIB, 0x10, 2, 2);
    gb *k = new_gb(rom2, 128 * KIB);
    CHECK_EQ(gb_cart_state_load(&k->cart, buf, n), -EINVAL);

    /* Reset: registers back to power-on, RAM kept. */
    gb_cart_reset(&h->cart);
    CHECK_EQ(bank_at(h, 0x4000), 1);
    CHECK(!h->cart.ram_enable);
    gb_cart_write(h, 0x0000, 0x0A);
    gb_cart_write(h, 0x4000, 0x02);
    CHECK_EQ(gb_cart_read(h, 0xA100), 0x99);

    free(buf);
    free_gb(g);
    free_gb(h);
    free_gb(k);
    free(rom);
    free(rom2);
}

static void test_trace(void) {
#ifndef CERES_TRACE_OFF
    uint8_t *rom = make_rom(128 * KIB, 0x03, 2, 2);
    gb *g = new_gb(rom, 128 * KIB);
    testrec t;
    testrec_attach(&t, g, (const uint16_t[]){gb_ev_CART_BANK, gb_ev_CART_RAM_ENABLE}, 2);
    const ct_ring *ring = &t.rec.ring;
    g->cycles = 77;
    gb_cart_write(g, 0x2000, 0x03);
    gb_cart_write(g, 0x2000, 0x03); /* same bank: no event */
    gb_cart_write(g, 0x0000, 0x0A);
    uint64_t off = ct_ring_first(ring, 0), ts;
    uint8_t p[CT_MAX_PAYLOAD];
    CHECK(off < ct_ring_head(ring));
    CHECK_EQ(ct_ring_read(ring, off, &ts, p), gb_ev_CART_BANK);
    CHECK_EQ(ts, 77);
    CHECK_EQ(p[0] | p[1] << 8, 3);
    CHECK_EQ(p[2], 0);
    off += ct_ring_rec_words(ring, off);
    CHECK_EQ(ct_ring_read(ring, off, &ts, p), gb_ev_CART_RAM_ENABLE);
    CHECK_EQ(p[0], 1);
    off += ct_ring_rec_words(ring, off);
    CHECK_EQ(off, ct_ring_head(ring));
    free(t.mem);
    free_gb(g);
    free(rom);
#endif
}

int main(void) {
    test_rom_only();
    test_mbc1();
    test_mbc1_multicart();
    test_mbc2();
    test_mbc3();
    test_mbc5();
    test_malformed();
    test_state();
    test_trace();
    return test_result();
}
