/* Timer: DIV, TIMA, TMA, TAC, all derived from one free-running 16-bit
 * counter that advances by 4 every M-cycle (DIV is its high byte).
 *
 * TIMA increments on the falling edge of (selected counter bit AND TAC
 * enable), so writing DIV (which clears the counter) or changing TAC can
 * increment TIMA (mooneye acceptance/timer/div_write, rapid_toggle,
 * tim*_div_trigger). On overflow TIMA reads 0 for one M-cycle; in the next
 * M-cycle TMA is copied into TIMA and IF.timer is set (timer/tima_reload). A
 * TIMA write during the zero cycle cancels the reload; during the reload
 * cycle a TIMA write is lost and a TMA write goes through to TIMA as well
 * (timer/tima_write_reloading, timer/tma_write_reloading). */
#include "gb_internal.h"

#include <string.h>

/* Counter bit selected by TAC bits 0-1: 4096, 262144, 65536, 16384 Hz. */
static const uint16_t tac_bit[4] = {1u << 9, 1u << 3, 1u << 5, 1u << 7};

/* The APU frame sequencer steps when counter bit 12 (DIV bit 4) falls. */
#define APU_BIT (1u << 12)

static inline void inc_tima(gb *g) {
    gb_timer *t = &g->timer;
    if (++t->tima == 0) {
        t->reload = 1;
        GB_TRACE(g, TIMER_OVERFLOW, t->tima, t->tma);
    }
}

static void set_watch(gb_timer *t) {
    t->watch = (uint16_t)(APU_BIT | ((t->tac & 4) ? tac_bit[t->tac & 3] : 0));
}

void gb_timer_reset(gb *g, uint16_t counter) {
    gb_timer *t = &g->timer;
    memset(t, 0, sizeof *t);
    t->counter = counter;
    set_watch(t);
}

void gb_timer_edge(gb *g, unsigned fell) {
    gb_timer *t = &g->timer;
    if (t->reload != 0) {
        if (t->reload == 1) {
            t->tima = t->tma;
            g->intf |= GB_INT_TIMER;
            t->reload = 2;
            GB_TRACE(g, TIMER_RELOAD, t->tima, t->tma);
        } else {
            t->reload = 0;
        }
    }
    if (fell & APU_BIT) gb_apu_div_event(g);
    if (fell & ~APU_BIT) inc_tima(g);
}

uint8_t gb_timer_read(gb *g, uint16_t addr) {
    const gb_timer *t = &g->timer;
    switch (addr) {
    case 0xFF04: return (uint8_t)(t->counter >> 8);
    case 0xFF05: return t->tima;
    case 0xFF06: return t->tma;
    default: return (uint8_t)(t->tac | 0xF8);
    }
}

void gb_timer_write(gb *g, uint16_t addr, uint8_t v) {
    gb_timer *t = &g->timer;
    switch (addr) {
    case 0xFF04: {
        const unsigned old = t->counter;
        t->counter = 0;
        GB_TRACE(g, TIMER_DIV_RESET, (uint16_t)old, t->tima);
        if (old & APU_BIT) gb_apu_div_event(g);
        if ((t->tac & 4) && (old & tac_bit[t->tac & 3])) inc_tima(g);
        break;
    }
    case 0xFF05:
        if (t->reload == 2) break; /* TMA is being loaded: the write is lost */
        t->tima = v;
        t->reload = 0; /* a write in the zero cycle cancels the reload */
        break;
    case 0xFF06:
        t->tma = v;
        if (t->reload == 2) t->tima = v;
        break;
    default: {
        const bool was = (t->tac & 4) && (t->counter & tac_bit[t->tac & 3]);
        const bool is = (v & 4) && (t->counter & tac_bit[v & 3]);
        t->tac = v & 7;
        set_watch(t);
        if (was && !is) inc_tima(g);
        break;
    }
    }
}
