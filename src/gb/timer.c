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
 * (timer/tima_write_reloading, timer/tma_write_reloading).
 *
 * A halted CPU wakes for the timer one M-cycle later than a running one
 * takes it: IF.timer is raised late in the reload M-cycle, after a halted
 * CPU has looked at IF, so `hold` keeps the bit from the halt wake-up until
 * the next M-cycle, while reads of IF and a running CPU's sampling see it at
 * once (gambatte hwtests tima/: after `ei; halt` the handler reads TIMA and
 * IF one M-cycle later than without HALT, e.g. tc00_ff_tma_2 reads $00 and
 * tc00_irq_2 $E4 where a HALT woken with the bit read $FF and $E0; without
 * HALT, tc00_irq_ifw and tc00_late_tc01 keep today's timing; mooneye
 * halt_ime1_timing2-GS shows the VBlank interrupt has no such delay).
 *
 * The counter is derived from the machine's T-cycle count, and the CPU's
 * clock calls gb_timer_event only at the times computed here: the next
 * falling edge of the selected bit (timer on), of bit 12 (the APU frame
 * sequencer), or the M-cycle after an overflow. */
#include "gb_internal.h"

#include <string.h>

/* Counter bit selected by TAC bits 0-1: 4096, 262144, 65536, 16384 Hz. */
static const uint16_t tac_bit[4] = {1u << 9, 1u << 3, 1u << 5, 1u << 7};

/* The APU frame sequencer steps when counter bit 12 (DIV bit 4) falls. */
#define APU_BIT (1u << 12)

uint16_t gb_timer_counter(const gb *g) {
    return (uint16_t)(g->cycles + g->timer.base);
}

/* T-cycles from counter value c to the next falling edge of `bit`: the
 * counter steps by 4, so the bit falls when the counter reaches a multiple
 * of 2 * bit. */
static unsigned to_edge(uint16_t c, unsigned bit) {
    const unsigned period = bit << 1;
    const unsigned rem = period - (c & (period - 1));
    return rem ? rem : period;
}

static void schedule(gb *g) {
    gb_timer *t = &g->timer;
    if (t->reload) {
        t->next = g->cycles + 4;
    } else {
        const uint16_t c = gb_timer_counter(g);
        unsigned d = to_edge(c, APU_BIT);
        if (t->tac & 4) {
            const unsigned e = to_edge(c, tac_bit[t->tac & 3]);
            if (e < d) d = e;
        }
        t->next = g->cycles + d;
    }
    /* A debug hook's time (gb_hooks_at) shares the clock's compare: an
     * early call finds no edge and schedules again. */
    if (t->next > g->hook_at) t->next = g->hook_at;
}

static inline void inc_tima(gb *g) {
    gb_timer *t = &g->timer;
    if (++t->tima == 0) {
        t->reload = 1;
        GB_TRACE(g, TIMER_OVERFLOW, t->tima, t->tma);
    }
}

void gb_timer_reset(gb *g, uint16_t counter) {
    gb_timer *t = &g->timer;
    memset(t, 0, sizeof *t);
    t->base = (uint16_t)(counter - g->cycles);
    schedule(g);
}

void gb_timer_event(gb *g) {
    gb_timer *t = &g->timer;
    if (CT_UNLIKELY(g->cycles >= g->hook_at)) gb_hook_time(g);
    if (t->reload != 0) {
        if (t->reload == 1) {
            t->tima = t->tma;
            g->intf |= GB_INT_TIMER;
            t->hold = GB_INT_TIMER;
            t->reload = 2;
            GB_TRACE(g, TIMER_RELOAD, t->tima, t->tma);
        } else {
            t->reload = 0;
            t->hold = 0;
        }
    }
    /* Edges reached by this M-cycle's step of the counter. */
    const uint16_t c = gb_timer_counter(g);
    if ((c & (2 * APU_BIT - 1)) == 0) gb_apu_div_event(g);
    if ((t->tac & 4) && (c & (2u * tac_bit[t->tac & 3] - 1)) == 0) inc_tima(g);
    schedule(g);
}

uint8_t gb_timer_read(gb *g, uint16_t addr) {
    const gb_timer *t = &g->timer;
    switch (addr) {
    case 0xFF04: return (uint8_t)(gb_timer_counter(g) >> 8);
    case 0xFF05: return t->tima;
    case 0xFF06: return t->tma;
    default: return (uint8_t)(t->tac | 0xF8);
    }
}

void gb_timer_write(gb *g, uint16_t addr, uint8_t v) {
    gb_timer *t = &g->timer;
    const uint16_t c = gb_timer_counter(g);
    switch (addr) {
    case 0xFF04:
        t->base = (uint16_t)(0 - g->cycles);
        GB_TRACE(g, TIMER_DIV_RESET, c, t->tima);
        if (c & APU_BIT) gb_apu_div_event(g);
        gb_bus_div_reset(g, c);
        if ((t->tac & 4) && (c & tac_bit[t->tac & 3])) inc_tima(g);
        break;
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
        const bool was = (t->tac & 4) && (c & tac_bit[t->tac & 3]);
        const bool is = (v & 4) && (c & tac_bit[v & 3]);
        t->tac = v & 7;
        if (was && !is) inc_tima(g);
        break;
    }
    }
    schedule(g);
}
