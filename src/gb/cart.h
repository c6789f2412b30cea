/* Cartridge: header validation, ROM only, MBC1 (+multicart), MBC2, MBC3 (+RTC),
 * MBC5, external RAM. Owned by cart.c. */
#ifndef CERES_GB_CART_H
#define CERES_GB_CART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gb gb;

typedef struct gb_cart {
    uint8_t *rom; /* owned copy, size rounded up to a power of two >= 32 KiB */
    size_t rom_size;
    uint8_t *ram; /* owned, may be NULL */
    size_t ram_size;
    /* Fast read pointers for $0000-$3FFF and $4000-$7FFF, updated on bank
     * switches (the bus reads through them). */
    const uint8_t *rom0, *romx;
    /* Mapper state: filled in by cart.c. */
    uint8_t type;
} gb_cart;

int gb_cart_check(const uint8_t *rom, size_t size, char *err, size_t errlen);
int gb_cart_init(gb_cart *c, const uint8_t *rom, size_t size, char *err, size_t errlen);
void gb_cart_free(gb_cart *c);
void gb_cart_reset(gb_cart *c);
uint8_t gb_cart_read(gb *g, uint16_t addr);           /* $0000-$7FFF, $A000-$BFFF */
void gb_cart_write(gb *g, uint16_t addr, uint8_t v);  /* $0000-$7FFF, $A000-$BFFF */
unsigned gb_cart_bank(const gb_cart *c, uint16_t addr); /* ROM bank mapped at addr */
size_t gb_cart_state_size(const gb_cart *c);
size_t gb_cart_state_save(const gb_cart *c, uint8_t *buf);           /* returns bytes */
int gb_cart_state_load(gb_cart *c, const uint8_t *buf, size_t size); /* 0 or -EINVAL */

#endif
