/* DIV/TIMA/TMA/TAC from the internal 16-bit counter. Owned by timer.c. */
#ifndef CERES_GB_TIMER_H
#define CERES_GB_TIMER_H

#include <stdint.h>

typedef struct gb gb;

typedef struct gb_timer {
    uint16_t counter; /* DIV is the high byte; advances 4 per M-cycle */
    uint8_t tima, tma, tac;
    /* TIMA overflow: 1 = TIMA reads 0 during the M-cycle after the overflow
     * (reload pending), 2 = the M-cycle in which TMA was just reloaded. */
    uint8_t reload;
} gb_timer;

void gb_timer_reset(gb *g, uint16_t counter);
void gb_timer_tick(gb *g);                   /* one M-cycle */
uint8_t gb_timer_read(gb *g, uint16_t addr); /* $FF04-$FF07 */
void gb_timer_write(gb *g, uint16_t addr, uint8_t v);

#endif
