/* Fuzz target: the trigger expression parser (--start-at, --stop-at,
 * --dump-at, --mark), against the emulator's schema, and the window range
 * parser (--frames X..Y, --cycles X..Y). */
#include "fuzz.h"

#include "gb/gb_events.h"
#include "gb/trigger.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *expr = malloc(size + 1);
    gb_trigger *t = malloc(sizeof *t);
    if (!expr || !t) {
        free(expr);
        free(t);
        return 0;
    }
    memcpy(expr, data, size);
    expr[size] = 0;
    char err[512];
    gb_trig_parse(t, expr, &gb_schema, err, sizeof err);
    gb_trig_parse(t, expr, &gb_schema, err, 2);
    uint64_t lo, hi;
    gb_trig_parse_range(expr, &lo, &hi);
    free(t);
    free(expr);
    return 0;
}
