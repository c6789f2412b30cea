/* DIV/TIMA/TMA/TAC from the internal 16-bit counter. Owned by timer.c. */
#ifndef CERES_GB_TIMER_H
#define CERES_GB_TIMER_H

#include <stdint.h>

typedef struct gb gb;

/* The counter is not stored: it is (g->cycles + base) mod 2^16, so the
 * per-M-cycle work is one compare of g->cycles against `next`, the machine
 * time of the next falling edge that matters (or of a pending TIMA reload). */
typedef struct gb_timer {
    uint64_t next; /* g->cycles at which gb_timer_event must run */
    uint16_t base; /* counter = g->cycles + base (mod 2^16) */
    uint8_t tima, tma, tac;
    /* TIMA overflow: 1 = TIMA reads 0 during the M-cycle after the overflow
     * (reload pending), 2 = the M-cycle in which TMA was just reloaded. */
    uint8_t reload;
    /* IF bits a halted CPU does not wake for yet: IF.timer during the
     * reload M-cycle (see timer.c). */
    uint8_t hold;
} gb_timer;

void gb_timer_reset(gb *g, uint16_t counter);
uint16_t gb_timer_counter(const gb *g);      /* the internal counter now */
void gb_timer_event(gb *g);                  /* g->cycles reached timer.next */
uint8_t gb_timer_read(gb *g, uint16_t addr); /* $FF04-$FF07 */
void gb_timer_write(gb *g, uint16_t addr, uint8_t v);

#endif
