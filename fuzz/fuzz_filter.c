/* Fuzz target: the filter spec parser (--trace / CERES_TRACE), against the
 * emulator's schema. The input is taken as a NUL-terminated string. */
#include "fuzz.h"

#include "gb/gb_events.h"
#include "trace/ct_host.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *spec = malloc(size + 1);
    if (!spec) return 0;
    memcpy(spec, data, size);
    spec[size] = 0;
    uint8_t enabled[CT_MAX_EVENTS];
    char err[512];
    ct_filter_parse(&gb_schema, spec, enabled, err, sizeof err);
    /* A tiny error buffer must be safe too. */
    ct_filter_parse(&gb_schema, spec, enabled, err, 3);
    uint64_t bytes, events;
    ct_parse_size(spec, &bytes, &events, err, sizeof err);
    free(spec);
    return 0;
}
