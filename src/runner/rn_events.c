/* The runner's events: their descriptors after the emulator's, and the
 * runner's emitter (rn_events.h). */
#include "rn_events.h"

#include "../trace/ct_host.h"

static const ct_event_desc events[] = {GB_EVENTS(CT_DESC) RN_EVENTS(CT_DESC)};
const ct_schema rn_schema = {"gb", GB_CLOCK_HZ, rn_ev_end, events, "T-cycle"};

void rn_emit_test_begin(ct_recorder *rec, uint64_t cycles, const char *rom) {
    if (!rec) return;
    uint32_t name = ct_intern(rec, rom);
    (void)name; /* unused when trace points are compiled out */
    (void)cycles;
    CT_EMIT(rec->flags, rec, rn_, TEST_BEGIN, cycles, name);
}

void rn_emit_test_result(ct_recorder *rec, uint64_t cycles, const char *rom, const char *verdict) {
    if (!rec) return;
    uint32_t name = ct_intern(rec, rom);
    uint32_t v = ct_intern(rec, verdict);
    (void)name;
    (void)v;
    (void)cycles;
    CT_EMIT(rec->flags, rec, rn_, TEST_RESULT, cycles, name, v);
    CT_EMIT(rec->flags, rec, rn_, TEST_END, cycles, v);
}
