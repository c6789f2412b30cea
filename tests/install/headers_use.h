/* Included by headers_c.c and headers_cxx.cpp: every public header, and a
 * schema of its own expanded through the record macros, so the macros are
 * compiled in the including language too (not only declared). */
#include "gb/gb.h"
#include "gb/gb_events.h"
#include "gb/gb_hooks.h"
#include "trace/ct.h"
#include "trace/ct_host.h"
#include "trace/ct_tools.h"

#define HU_EVENTS(E)                                                                               \
    E(ONE, a, one, INFO, INSTANT, U8, x)                                                           \
    E(ALL, a, all, DEBUG, COUNTER, U64, v, U32, b, U16, c, U8, d, BOOL, e, I32, f, STR, g)         \
    E(SPAN, b, span, TRACE, BEGIN, U16, pc)                                                        \
    E(SPAN_END, b, span_end, TRACE, END, U16, pc)

#define HU__ENUM(ID, ...) hu_ev_##ID,
enum hu_ev { HU_EVENTS(HU__ENUM) hu_ev_count };
#define HU__EMIT(ID, ...) CT_EMITTER(hu_, ID, __VA_ARGS__)
HU_EVENTS(HU__EMIT)
static const ct_event_desc hu_events[] = {HU_EVENTS(CT_DESC)};
static const ct_schema hu_schema = {"headers", 1000, hu_ev_count, hu_events, "ms"};

static inline void hu_record(ct_recorder *r, uint64_t ts) {
    CT_EMIT(r->flags, r, hu_, ONE, ts, 1);
    CT_EMIT(r->flags, r, hu_, ALL, ts, ts, 2u, 3, 4, true, -5, 6u);
    CT_EMIT_COLD(r->flags, r, hu_, SPAN, ts, 0x100);
    CT_EMIT_COLD(r->flags, r, hu_, SPAN_END, ts + 1, 0x100);
    CT_EMIT(r->flags, r, gb_, SERIAL_BYTE, ts, 0x41);
}

static inline const ct_schema *hu_schemas(unsigned k) {
    return k ? &gb_schema : &hu_schema;
}
