/* DIV/TIMA/TMA/TAC from the internal 16-bit counter. Owned by timer.c.
 * (Skeleton: the timer work fills this in.) */
#ifndef CERES_GB_TIMER_H
#define CERES_GB_TIMER_H

#include <stdint.h>

typedef struct gb gb;

typedef struct gb_timer {
    uint16_t counter; /* DIV is the high byte */
    uint8_t tima, tma, tac;
} gb_timer;

#endif
