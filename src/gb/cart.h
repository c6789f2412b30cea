/* Cartridge: header validation, ROM only, MBC1 (+multicart), MBC2, MBC3 (+RTC),
 * MBC5, external RAM. Owned by cart.c. */
#ifndef CERES_GB_CART_H
#define CERES_GB_CART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gb gb;

/* Mapper kinds (index into cart.c's mapper table). */
enum {
    GB_MAPPER_NONE = 0, /* ROM only, optionally with RAM ($00, $08, $09) */
    GB_MAPPER_MBC1,
    GB_MAPPER_MBC1M, /* MBC1 multicart wiring: BANK2 drives ROM A18-A19 */
    GB_MAPPER_MBC2,
    GB_MAPPER_MBC3,
    GB_MAPPER_MBC5,
    GB_MAPPER_COUNT
};

/* MBC3 real-time clock registers, in register-select order $08-$0C. */
enum { GB_RTC_S, GB_RTC_M, GB_RTC_H, GB_RTC_DL, GB_RTC_DH, GB_RTC_COUNT };

typedef struct gb_cart {
    uint8_t *rom; /* owned copy, size rounded up to a power of two >= 32 KiB */
    size_t rom_size;
    uint8_t *ram; /* owned, may be NULL */
    size_t ram_size;
    /* Fast read pointers for $0000-$3FFF and $4000-$7FFF, updated on bank
     * switches (the bus reads through them). */
    const uint8_t *rom0, *romx;
    uint8_t type;   /* header byte $0147 */
    uint8_t mapper; /* GB_MAPPER_* */
    bool has_rtc;
    bool has_battery;

    /* Mapper registers (meaning per mapper, see cart.c). */
    bool ram_enable;
    uint8_t bank1;   /* MBC1 BANK1 (5 bits), MBC2/MBC3 ROM bank, MBC5 ROM bank bits 0-7 */
    uint8_t bank2;   /* MBC1 BANK2 (2 bits), MBC3 RAM bank / RTC select, MBC5 RAM bank */
    uint8_t bank_hi; /* MBC5 ROM bank bit 8 */
    uint8_t mode;    /* MBC1 mode bit */
    unsigned rom_bank0, rom_bankx, ram_bank; /* derived: banks currently mapped */
    uint16_t page_bank[16]; /* derived: ROM bank seen in each 4 KiB page (0 outside ROM) */

    /* MBC3 clock: live and latched registers, the last byte written to the
     * latch register, the T-cycle counter of the last sync and the T-cycles
     * accumulated towards the next second. */
    uint8_t rtc[GB_RTC_COUNT];
    uint8_t rtc_latched[GB_RTC_COUNT];
    uint8_t rtc_latch_last;
    uint64_t rtc_synced;
    uint32_t rtc_sub;
} gb_cart;

int gb_cart_check(const uint8_t *rom, size_t size, char *err, size_t errlen);
int gb_cart_init(gb_cart *c, const uint8_t *rom, size_t size, char *err, size_t errlen);
void gb_cart_free(gb_cart *c);
void gb_cart_reset(gb_cart *c);
uint8_t gb_cart_read(gb *g, uint16_t addr);             /* $0000-$7FFF, $A000-$BFFF */
void gb_cart_write(gb *g, uint16_t addr, uint8_t v);    /* $0000-$7FFF, $A000-$BFFF */
unsigned gb_cart_bank(const gb_cart *c, uint16_t addr); /* ROM bank mapped at addr */
size_t gb_cart_state_size(const gb_cart *c);
size_t gb_cart_state_save(const gb_cart *c, uint8_t *buf); /* returns bytes */
/* The section without the RAM (which follows it in a state): its bytes. */
size_t gb_cart_state_fixed(const gb_cart *c, uint8_t *buf);
int gb_cart_state_load(gb_cart *c, const uint8_t *buf, size_t size); /* 0 or -EINVAL */

#endif
