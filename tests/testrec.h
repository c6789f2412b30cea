/* A recorder attached to a machine that unit tests built by hand (without
 * gb_create): a small ring, only the given events enabled, the machine's
 * copy of the flags set as gb_set_recorder would. */
#ifndef CERES_TESTREC_H
#define CERES_TESTREC_H

#include "gb/gb_internal.h"
#include "trace/ct.h"

#include <stdlib.h>
#include <string.h>

typedef struct testrec {
    ct_recorder rec;
    void *mem;
} testrec;

static inline void testrec_attach(testrec *t, gb *g, const uint16_t *ids, unsigned n) {
    const uint64_t words = 1024;
    t->mem = calloc(1, ct_ring_mem_bytes(words));
    ct_recorder_init(&t->rec, &gb_schema, t->mem, words, CT_OVERWRITE, 0);
    for (unsigned i = 0; i < n; i++)
        t->rec.flags[ids[i]] = CT_ON;
    ct_recorder_refresh(&t->rec);
    g->rec = &t->rec;
    memcpy(g->trace_on, t->rec.flags, sizeof g->trace_on);
}

#endif
