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
    /* Counter bits whose falling edge matters now: the APU's bit 12 and, with
     * the timer enabled, the TAC-selected bit (kept in step with TAC). */
    uint16_t watch;
} gb_timer;

void gb_timer_reset(gb *g, uint16_t counter);
uint8_t gb_timer_read(gb *g, uint16_t addr); /* $FF04-$FF07 */
void gb_timer_write(gb *g, uint16_t addr, uint8_t v);
void gb_timer_edge(gb *g, unsigned fell); /* slow path of gb_timer_tick */

/* One M-cycle: the counter advances by 4; only watched falling edges and a
 * pending TIMA reload leave this inline fast path. */
static inline void gb_timer_tick(gb_timer *t, gb *g) {
    const unsigned old = t->counter;
    t->counter = (uint16_t)(old + 4);
    const unsigned fell = old & ~(old + 4) & t->watch;
    if (fell | t->reload) gb_timer_edge(g, fell);
}

#endif
