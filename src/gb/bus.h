/* Memory map, IO dispatch, OAM DMA, serial, joypad. Owned by bus.c.
 * (Skeleton: the bus work fills this in.) */
#ifndef CERES_GB_BUS_H
#define CERES_GB_BUS_H

#include <stdint.h>

typedef struct gb gb;

typedef struct gb_bus {
    uint8_t wram[0x2000];
    uint8_t hram[0x7F];
    uint8_t io[0x80];
} gb_bus;

#endif
