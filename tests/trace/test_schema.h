/* A small schema of our own for the recorder's tests: the recorder knows
 * nothing of the Game Boy, so neither do its tests. */
#ifndef CERES_TEST_SCHEMA_H
#define CERES_TEST_SCHEMA_H

#include "trace/ct_host.h"

#define TS_EVENTS(E)                                                                               \
    E(EXEC, cpu, exec, TRACE, STEP, U16, pc, U8, op)                                               \
    E(READ, mem, read, TRACE, INSTANT, U16, addr, U8, value, U16, extra)                           \
    E(IRQ, cpu, irq, DEBUG, BEGIN, U16, vector)                                                    \
    E(RETI, cpu, reti, DEBUG, END, U16, pc)                                                        \
    E(LY, ppu, ly, DEBUG, COUNTER, U8, ly)                                                         \
    E(NOTE, test, note, INFO, INSTANT, STR, text, I32, delta, BOOL, flag)                          \
    E(BLOB, big, blob, WARN, INSTANT, U64, a, U64, b, U64, c, U32, d)

#define TS__ENUM(ID, ...) ts_ev_##ID,
enum ts_ev { TS_EVENTS(TS__ENUM) ts_ev_count };
#define TS__EMIT(ID, ...) CT_EMITTER(ts_, ID, __VA_ARGS__)
TS_EVENTS(TS__EMIT)

#define TS_HZ 4194304u

static const ct_event_desc ts_events[] = {TS_EVENTS(CT_DESC)};
static const ct_schema ts_schema = {"test", TS_HZ, ts_ev_count, ts_events, "tick"};

/* Expected nanoseconds of a tick count, computed independently. */
static inline unsigned long long ts_ns(unsigned long long ticks) {
    return (unsigned long long)((long double)ticks * 1e9L / TS_HZ);
}

#endif
