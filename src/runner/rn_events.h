/* The test runner's own trace events (the test span and its verdict),
 * appended to the emulator's: the runner's recorders use rn_schema, whose
 * first gb_ev_count events are gb_schema's, so the machine records into
 * them unchanged and a failure's trace shows the test around the machine's
 * events. The core knows nothing of tests. */
#ifndef CERES_RN_EVENTS_H
#define CERES_RN_EVENTS_H

#include "../gb/gb_events.h"

#define RN_EVENTS(E)                                                                               \
    E(TEST_BEGIN, test, test, INFO, BEGIN, STR, name)                                              \
    E(TEST_END, test, test_end, INFO, END, STR, verdict)                                           \
    E(TEST_RESULT, test, result, INFO, INSTANT, STR, name, STR, verdict)

#define RN__ENUM(ID, ...) rn_ev_##ID,
enum rn_ev { rn_ev_first_ = gb_ev_count - 1, RN_EVENTS(RN__ENUM) rn_ev_end };

#define RN__EMIT(ID, ...) CT_EMITTER(rn_, ID, __VA_ARGS__)
RN_EVENTS(RN__EMIT)

/* gb_schema's events, then the runner's. */
extern const ct_schema rn_schema;

/* The runner's emitter: the only place its events are recorded (each is
 * off when the recorder's filter leaves it out; rec may be NULL). A test's
 * span starts with rn_emit_test_begin; rn_emit_test_result records the
 * verdict (test.result) and closes the span (test.test_end). */
struct ct_recorder;
void rn_emit_test_begin(struct ct_recorder *rec, uint64_t cycles, const char *rom);
void rn_emit_test_result(struct ct_recorder *rec, uint64_t cycles, const char *rom,
                         const char *verdict);

#endif
