/* ceres-trace tools: read loaded traces as text, count them, compare two of
 * them. Schema-driven and Game-Boy-agnostic like the rest of src/trace; the
 * caller supplies the per-event line formatter and the clock to print in.
 * Errors: 0 or a negative errno-style code, messages in err. */
#ifndef CERES_CT_TOOLS_H
#define CERES_CT_TOOLS_H

#include "ct_host.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How events are shown and selected. */
typedef struct ct_view_opts {
    const uint8_t *enabled; /* per-event flags for the trace's schema, NULL = all */
    uint64_t from, to;      /* inclusive window in out_hz ticks (to = UINT64_MAX: open) */
    const char *grep;       /* keep lines containing this text, NULL = all */
    uint64_t out_hz;        /* time stamps printed in these ticks; 0 = the trace's own */
    ct_line_fmt line_fmt;   /* per-event text (gets the converted time stamp), or NULL */
    void *line_fmt_ctx;
} ct_view_opts;

/* ts (ticks of from_hz) in ticks of to_hz, rounded to nearest; unchanged if
 * either is 0 or they are equal. */
uint64_t ct_ts_convert(uint64_t ts, uint64_t from_hz, uint64_t to_hz);

/* One event as a line (no newline): the formatter's line, else the generic
 * "TICKS target.name field=value ..." form. Returns the length. */
int ct_event_text(const ct_trace *t, const ct_event *e, const ct_view_opts *o, char *buf,
                  size_t len);

/* Print the events that pass the filter, window and grep, one a line;
 * returns how many were printed. */
uint64_t ct_trace_cat(FILE *f, const ct_trace *t, const ct_view_opts *o);

/* Statistics: events per target and name, time span, ring size and
 * losses. `unit` names out_hz's ticks ("cycles"). */
void ct_trace_stats(FILE *f, const ct_trace *t, uint64_t out_hz, const char *unit);

/* Comparing two traces. */
typedef enum ct_align {
    CT_ALIGN_AUTO = 0, /* cycles when both traces carry time stamps, else order */
    CT_ALIGN_CYCLES,   /* start at the first common time stamp; compare stamps too */
    CT_ALIGN_ORDER,    /* pair the events in sequence; time stamps not compared. When the
                          first events differ and one trace's first 32 events appear in a
                          row in the other (a ring that kept only the end of a run), the
                          comparison starts there. */
} ct_align;

typedef struct ct_diff_opts {
    const char *filter; /* spec as for recording, applied to each trace; NULL = all */
    unsigned context;   /* events of context on each side */
    ct_align align;
    ct_view_opts view; /* how lines are printed (out_hz, line_fmt); filter fields unused */
    const char *name_a, *name_b;
} ct_diff_opts;

/* Events are matched by target.name and fields by name: only events both
 * schemas declare are compared, and of those only the fields both carry.
 * A trace without a clock (ts_hz 0, e.g. a log of instructions) is aligned
 * on order. Prints the verdict and the first difference with context.
 * Returns 0 equal, 1 different, or a negative error (message in err). */
int ct_trace_diff(FILE *f, const ct_trace *a, const ct_trace *b, const ct_diff_opts *o, char *err,
                  size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
