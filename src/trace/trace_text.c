/* `trace cat` and `trace stats` on a loaded trace: events as text lines,
 * selected by filter flags, a time window and a substring; counts per event
 * and the ring's statistics. */
#include "ct_tools.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

uint64_t ct_ts_convert(uint64_t ts, uint64_t from_hz, uint64_t to_hz) {
    if (!from_hz || !to_hz || from_hz == to_hz) return ts;
    /* 128-bit product: exact for any stamp a trace can hold. */
    unsigned __int128 p = (unsigned __int128)ts * to_hz + from_hz / 2;
    return (uint64_t)(p / from_hz);
}

/* Append printf-style text at *o (bounded, always NUL-terminated). */
static void add(char *buf, size_t len, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *o, const char *fmt, ...) {
    if (*o + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *o, len - *o, fmt, ap);
    va_end(ap);
    if (n > 0) *o = *o + (size_t)n < len ? *o + (size_t)n : len - 1;
}

/* Hex digits per field type (0: decimal); the same conventions as .log. */
static const uint8_t hex_digits[] = {[CT_T_U8] = 2, [CT_T_U16] = 4};

int ct_event_text(const ct_trace *t, const ct_event *e, const ct_view_opts *o, char *buf,
                  size_t len) {
    uint64_t ts = ct_ts_convert(e->ts, t->schema.ts_hz, o ? o->out_hz : 0);
    if (e->id >= t->schema.nevents) return snprintf(buf, len, "%" PRIu64 " ?event%u", ts, e->id);
    if (o && o->line_fmt) {
        int n = o->line_fmt(o->line_fmt_ctx, &t->schema, e->id, ts, e->payload, buf, len);
        if (n >= 0) return n;
    }
    const ct_event_desc *d = &t->schema.events[e->id];
    size_t n = 0;
    buf[0] = 0;
    add(buf, len, &n, "%" PRIu64 " %s.%s", ts, d->target, d->name);
    for (unsigned f = 0; f < d->nfields && f < CT_MAX_FIELDS; f++) {
        uint64_t v = ct_field_u64(d, f, e->payload);
        uint8_t ty = d->fields[f].type;
        add(buf, len, &n, " %s=", d->fields[f].name);
        if (ty == CT_T_STR)
            add(buf, len, &n, "\"%s\"", v < t->nstrings && t->strings[v] ? t->strings[v] : "?");
        else if (ty == CT_T_BOOL)
            add(buf, len, &n, "%s", v ? "true" : "false");
        else if (ty == CT_T_I32)
            add(buf, len, &n, "%" PRId64, (int64_t)v);
        else if (ty < sizeof hex_digits && hex_digits[ty])
            add(buf, len, &n, "%0*" PRIX64, hex_digits[ty], v);
        else
            add(buf, len, &n, "%" PRIu64, v);
    }
    return (int)n;
}

uint64_t ct_trace_cat(FILE *f, const ct_trace *t, const ct_view_opts *o) {
    char line[1024];
    uint64_t shown = 0;
    for (uint64_t i = 0; i < t->nev; i++) {
        const ct_event *e = &t->ev[i];
        if (o->enabled && (e->id >= t->schema.nevents || !o->enabled[e->id])) continue;
        uint64_t ts = ct_ts_convert(e->ts, t->schema.ts_hz, o->out_hz);
        if (ts < o->from || ts > o->to) continue;
        ct_event_text(t, e, o, line, sizeof line);
        if (o->grep && !strstr(line, o->grep)) continue;
        fputs(line, f);
        fputc('\n', f);
        shown++;
    }
    return shown;
}

void ct_trace_stats(FILE *f, const ct_trace *t, uint64_t out_hz, const char *unit) {
    const ct_schema *s = &t->schema;
    uint64_t *count = calloc(s->nevents ? s->nevents : 1, sizeof *count);
    uint64_t unknown = 0;
    for (uint64_t i = 0; i < t->nev; i++) {
        if (t->ev[i].id < s->nevents && count)
            count[t->ev[i].id]++;
        else
            unknown++;
    }
    fprintf(f, "schema      %s, %u event kinds, time stamps at %" PRIu64 " Hz\n",
            s->name ? s->name : "?", s->nevents, s->ts_hz);
    fprintf(f, "events      %" PRIu64 "\n", t->nev);
    if (t->nev) {
        uint64_t a = ct_ts_convert(t->ev[0].ts, s->ts_hz, out_hz);
        uint64_t b = ct_ts_convert(t->ev[t->nev - 1].ts, s->ts_hz, out_hz);
        fprintf(f, "time        %" PRIu64 " .. %" PRIu64 " %s (span %" PRIu64 ")\n", a, b, unit,
                b - a);
    }
    /* A file that carries the ring's statistics (.ctrace, .perfetto-trace
     * and .json by Ceres) knows what was lost; one without (an older
     * .perfetto-trace, a doctor log) holds just its events. */
    if (t->ring_bytes)
        fprintf(f, "ring        %" PRIu64 " bytes\n", t->ring_bytes);
    else
        fprintf(f, "ring        not in this file: events overwritten or dropped unknown\n");
    if (t->ring_bytes && t->written)
        fprintf(f,
                "recorded    written %" PRIu64 ", overwritten %" PRIu64 ", dropped %" PRIu64
                " (%.1f%% of written kept)\n",
                t->written, t->overwritten, t->dropped,
                100.0 * (double)t->nev / (double)t->written);
    fprintf(f, "per event   (target.name  count  share)\n");
    /* Grouped by target in schema order, with a subtotal per target. */
    for (uint32_t i = 0; count && i < s->nevents; i++) {
        bool first = true;
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(s->events[j].target, s->events[i].target)) first = false;
        if (!first) continue;
        uint64_t sub = 0;
        for (uint32_t j = i; j < s->nevents; j++)
            if (!strcmp(s->events[j].target, s->events[i].target)) sub += count[j];
        if (!sub) continue;
        fprintf(f, "  %-22s %10" PRIu64 "  %5.1f%%\n", s->events[i].target, sub,
                100.0 * (double)sub / (double)t->nev);
        for (uint32_t j = i; j < s->nevents; j++)
            if (count[j] && !strcmp(s->events[j].target, s->events[i].target)) {
                char nm[64];
                snprintf(nm, sizeof nm, "%s.%s", s->events[j].target, s->events[j].name);
                fprintf(f, "    %-20s %10" PRIu64 "  %5.1f%%\n", nm, count[j],
                        100.0 * (double)count[j] / (double)t->nev);
            }
    }
    if (unknown) fprintf(f, "  (unknown ids) %" PRIu64 "\n", unknown);
    free(count);
}
