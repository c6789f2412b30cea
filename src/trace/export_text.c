/* Text exporters: Chrome trace event JSON (.json), one line per event (.log),
 * and streaming JSON, the old way of tracing that `ceres bench` compares the
 * ring against. Integers are formatted by hand: no printf per event. */
#include "ct_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- small writers ----------------------------------------------------- */

static inline void put_n(ct_wbuf *w, const char *s, size_t n) {
    if (w->cap - w->n >= n) {
        memcpy(w->buf + w->n, s, n);
        w->n += n;
    } else {
        ct__wbuf_put(w, s, n);
    }
}
#define put_lit(w, lit) put_n(w, lit, sizeof lit - 1)
static void put_s(ct_wbuf *w, const char *s) {
    put_n(w, s, strlen(s));
}

static void put_u(ct_wbuf *w, uint64_t v) {
    char *p = (char *)ct__wbuf_reserve(w, 20);
    w->n += ct__fmt_u64(p, v);
}

static void put_i(ct_wbuf *w, int64_t v) {
    if (v < 0) {
        put_s(w, "-");
        put_u(w, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u(w, (uint64_t)v);
    }
}

static void put_hex(ct_wbuf *w, uint64_t v, unsigned digits) {
    static const char hex[] = "0123456789ABCDEF";
    char *p = (char *)ct__wbuf_reserve(w, 20);
    p[0] = '0';
    p[1] = 'x';
    for (unsigned i = 0; i < digits; i++)
        p[2 + i] = hex[(v >> (4 * (digits - 1 - i))) & 15];
    w->n += 2 + digits;
}

/* A JSON string body (no quotes), escaping what JSON requires. */
static void put_esc(ct_wbuf *w, const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (!s) s = "";
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        ct__wbuf_put(w, run, (size_t)(s - run));
        char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            e[1] = (char)c;
            ct__wbuf_put(w, e, 2);
        } else {
            ct__wbuf_put(w, e, 6);
        }
        run = s + 1;
    }
    ct__wbuf_put(w, run, (size_t)(s - run));
}

/* Microseconds with nanosecond precision ("12.345"), or raw ticks. */
static void put_ts_us(ct_wbuf *w, uint64_t ts, uint64_t hz, bool raw) {
    if (raw) {
        put_u(w, ts);
        return;
    }
    uint64_t ns = ct__ts_ns(ts, hz, false);
    put_u(w, ns / 1000);
    char *p = (char *)ct__wbuf_reserve(w, 4);
    unsigned f = (unsigned)(ns % 1000);
    p[0] = '.';
    p[1] = (char)('0' + f / 100);
    p[2] = (char)('0' + f / 10 % 10);
    p[3] = (char)('0' + f % 10);
    w->n += 4;
}

typedef struct strtab {
    const char *const *s;
    uint32_t n;
} strtab;

/* JSON text of names, escaped once per export: per event
 * `"name":"N","cat":"T","ts":` (counters are named "T.N"), per field
 * `"F":`, per track `,"pid":1,"tid":K`. */
typedef struct span {
    uint32_t off, len;
} span;
typedef struct jnames {
    char *arena;
    size_t len, cap;
    bool oom;
    span ev[CT_MAX_EVENTS], key[CT_MAX_EVENTS][CT_MAX_FIELDS], tid[CT_MAX_TRACKS];
} jnames;

static void jn_add(jnames *j, const char *s, bool esc) {
    for (; s && *s && !j->oom; s++) {
        char e[8];
        size_t n = 1;
        unsigned char c = (unsigned char)*s;
        e[0] = (char)c;
        if (esc && (c == '"' || c == '\\')) {
            e[0] = '\\';
            e[1] = (char)c;
            n = 2;
        } else if (esc && c < 0x20) {
            n = (size_t)snprintf(e, sizeof e, "\\u%04x", c);
        }
        if (j->cap - j->len < n) {
            size_t cap = j->cap ? j->cap * 2 : 4096;
            char *na = realloc(j->arena, cap);
            if (!na) {
                j->oom = true;
                return;
            }
            j->arena = na;
            j->cap = cap;
        }
        memcpy(j->arena + j->len, e, n);
        j->len += n;
    }
}

static span jn_span(const jnames *j, size_t start) {
    span sp = {(uint32_t)start, (uint32_t)(j->len - start)};
    return sp;
}

static jnames *jn_build(const ct_schema *s, const ct_tracks *tr) {
    jnames *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    char num[32];
    for (uint32_t id = 0; id < s->nevents && id < CT_MAX_EVENTS; id++) {
        const ct_event_desc *d = &s->events[id];
        size_t at = j->len;
        jn_add(j, "\"name\":\"", false);
        if (d->kind == CT_COUNTER) {
            jn_add(j, d->target, true);
            jn_add(j, ".", false);
        }
        jn_add(j, d->name, true);
        jn_add(j, "\",\"cat\":\"", false);
        jn_add(j, d->target, true);
        jn_add(j, "\",\"ts\":", false);
        j->ev[id] = jn_span(j, at);
        for (unsigned f = 0; f < d->nfields && f < CT_MAX_FIELDS; f++) {
            at = j->len;
            jn_add(j, "\"", false);
            jn_add(j, d->fields[f].name, true);
            jn_add(j, "\":", false);
            j->key[id][f] = jn_span(j, at);
        }
    }
    for (unsigned t = 0; t < tr->n; t++) {
        size_t at = j->len;
        snprintf(num, sizeof num, ",\"pid\":1,\"tid\":%u", t + 1);
        jn_add(j, num, false);
        j->tid[t] = jn_span(j, at);
    }
    if (j->oom) {
        free(j->arena);
        free(j);
        return NULL;
    }
    return j;
}

static void jn_free(jnames *j) {
    if (j) free(j->arena);
    free(j);
}

static inline void put_span(ct_wbuf *w, const jnames *j, span sp) {
    put_n(w, j->arena + sp.off, sp.len);
}

/* One Chrome trace event. ph: 'i', 'B', 'E', 'X' (with dur) or 'C' (the
 * counter's value is its first field). */
static void put_json_event(ct_wbuf *w, const jnames *jn, const ct_schema *s, uint16_t id,
                           uint64_t ts, const uint8_t *payload, char ph, uint64_t dur, unsigned tid,
                           const strtab *st, bool raw, int64_t seq) {
    const ct_event_desc *d = &s->events[id];
    char head[] = "{\"ph\":\"i\",";
    head[7] = ph;
    put_lit(w, head);
    if (ph == 'i') put_lit(w, "\"s\":\"t\",");
    put_span(w, jn, jn->ev[id]);
    put_ts_us(w, ts, s->ts_hz, raw);
    if (ph == 'X') {
        put_lit(w, ",\"dur\":");
        put_ts_us(w, dur, s->ts_hz, raw);
    }
    put_span(w, jn, jn->tid[tid]);
    if (seq >= 0) {
        /* A step comes out when it ends: its place among the events, so a
         * reader puts it back where it was recorded. */
        put_lit(w, ",\"seq\":");
        put_u(w, (uint64_t)seq);
    }
    put_lit(w, ",\"args\":{");
    const unsigned nf = ph == 'C' ? 1 : d->nfields;
    for (unsigned f = 0; f < nf && f < d->nfields; f++) {
        if (f) put_lit(w, ",");
        put_span(w, jn, jn->key[id][f]);
        uint64_t v = ct_field_u64(d, f, payload);
        switch (d->fields[f].type) {
        case CT_T_I32: put_i(w, (int64_t)v); break;
        case CT_T_BOOL:
            if (v)
                put_lit(w, "true");
            else
                put_lit(w, "false");
            break;
        case CT_T_STR:
            put_lit(w, "\"");
            put_esc(w, v < st->n && st->s[v] ? st->s[v] : "?");
            put_lit(w, "\"");
            break;
        default: put_u(w, v); break;
        }
    }
    put_lit(w, "}}");
}

static void put_json_head(ct_wbuf *w, const ct_schema *s, const ct_tracks *tr) {
    put_s(w, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
             "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":\"");
    put_esc(w, s->name ? s->name : "ceres");
    put_s(w, "\"}}");
    for (unsigned i = 0; i < tr->n; i++) {
        put_s(w, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":");
        put_u(w, i + 1);
        put_s(w, ",\"args\":{\"name\":\"");
        put_esc(w, tr->t[i].target);
        if (tr->t[i].event >= 0) {
            put_s(w, ".");
            put_esc(w, s->events[tr->t[i].event].name);
        }
        put_s(w, "\"}}");
        put_s(w, ",\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":");
        put_u(w, i + 1);
        put_s(w, ",\"args\":{\"sort_index\":");
        put_u(w, i + 1);
        put_s(w, "}}");
    }
}

/* A step lasts until the next event with its id: it is held until then (a
 * step's "X" event comes out when it ends; viewers sort by time). */
typedef struct steps {
    uint8_t pending[CT_MAX_EVENTS];
    uint64_t ts[CT_MAX_EVENTS];
    int64_t seq[CT_MAX_EVENTS]; /* its place among the events, or -1 */
    uint8_t payload[CT_MAX_EVENTS][CT_MAX_PAYLOAD];
} steps;

static void step_event(ct_wbuf *w, const jnames *jn, const ct_schema *s, steps *st, uint16_t id,
                       uint64_t ts, const uint8_t *p, unsigned plen, unsigned tid,
                       const strtab *strs, bool raw, int64_t seq) {
    if (st->pending[id]) {
        put_s(w, ",\n");
        put_json_event(w, jn, s, id, st->ts[id], st->payload[id], 'X',
                       ts > st->ts[id] ? ts - st->ts[id] : 0, tid, strs, raw, st->seq[id]);
    }
    st->pending[id] = 1;
    st->ts[id] = ts;
    st->seq[id] = seq;
    memcpy(st->payload[id], p, plen < CT_MAX_PAYLOAD ? plen : CT_MAX_PAYLOAD);
}

/* The last step of each id lasts until `end`. */
static void steps_flush(ct_wbuf *w, const jnames *jn, const ct_schema *s, steps *st,
                        const ct_tracks *tr, uint64_t end, const strtab *strs, bool raw) {
    for (unsigned id = 0; id < s->nevents && id < CT_MAX_EVENTS; id++)
        if (st->pending[id]) {
            put_s(w, ",\n");
            put_json_event(w, jn, s, (uint16_t)id, st->ts[id], st->payload[id], 'X',
                           end > st->ts[id] ? end - st->ts[id] : 0, tr->of_event[id], strs, raw,
                           st->seq[id]);
            st->pending[id] = 0;
        }
}

int ct__write_json(const ct_src *t, ct_wbuf *w, const ct_dump_opts *o) {
    const ct_schema *s = t->schema;
    ct_tracks tr;
    ct__tracks_build(s, &tr);
    steps *st = calloc(1, sizeof *st);
    jnames *jn = jn_build(s, &tr);
    if (!st || !jn) {
        free(st);
        jn_free(jn);
        return -ENOMEM;
    }
    strtab strs = {t->strings, t->nstrings};
    uint32_t depth[CT_MAX_TRACKS] = {0};
    uint64_t last = 0, seq = 0;
    put_json_head(w, s, &tr);
    ct_src_it it;
    ct__src_begin(t, &it);
    for (const ct_event *e; (e = ct__src_next(t, &it)) != NULL && !w->err; seq++) {
        const ct_event_desc *d = &s->events[e->id];
        unsigned tid = tr.of_event[e->id];
        char ph = 'i';
        last = e->ts;
        switch (d->kind) {
        case CT_BEGIN:
            ph = 'B';
            depth[tid]++;
            break;
        case CT_END:
            /* An end whose begin was overwritten stays visible as an instant. */
            if (depth[tid]) {
                ph = 'E';
                depth[tid]--;
            }
            break;
        case CT_STEP:
            step_event(w, jn, s, st, e->id, e->ts, e->payload, d->payload_bytes, tid, &strs,
                       o->raw_cycles, (int64_t)seq);
            continue;
        case CT_COUNTER: ph = 'C'; break;
        default: break;
        }
        put_s(w, ",\n");
        put_json_event(w, jn, s, e->id, e->ts, e->payload, ph, 0, tid, &strs, o->raw_cycles, -1);
    }
    steps_flush(w, jn, s, st, &tr, last, &strs, o->raw_cycles);
    /* Balanced slices: whatever is still open (the frame in progress, a
     * handler the ring ended in) ends with the trace. */
    for (unsigned k = 0; k < tr.n; k++)
        for (; depth[k]; depth[k]--) {
            put_lit(w, ",\n{\"ph\":\"E\",\"ts\":");
            put_ts_us(w, last, s->ts_hz, o->raw_cycles);
            put_span(w, jn, jn->tid[k]);
            put_lit(w, "}");
        }
    free(st);
    jn_free(jn);
    put_s(w, "\n],\"otherData\":{\"written\":");
    put_u(w, t->written);
    put_s(w, ",\"overwritten\":");
    put_u(w, t->overwritten);
    put_s(w, ",\"dropped\":");
    put_u(w, t->dropped);
    put_s(w, ",\"ts_hz\":");
    put_u(w, s->ts_hz);
    /* How to read "ts" back: raw ticks of ts_hz, or microseconds. */
    put_s(w, o->raw_cycles ? ",\"raw_cycles\":true" : ",\"raw_cycles\":false");
    put_s(w, "}}\n");
    return w->err;
}

/* ---- .log -------------------------------------------------------------- */

static void put_log_value(ct_wbuf *w, const ct_event_desc *d, unsigned f, const uint8_t *payload,
                          const strtab *st) {
    uint64_t v = ct_field_u64(d, f, payload);
    switch (d->fields[f].type) {
    case CT_T_U8: put_hex(w, v, 2); break;
    case CT_T_U16: put_hex(w, v, 4); break;
    case CT_T_I32: put_i(w, (int64_t)v); break;
    case CT_T_BOOL: put_s(w, v ? "true" : "false"); break;
    case CT_T_STR:
        put_s(w, "\"");
        put_esc(w, v < st->n && st->s[v] ? st->s[v] : "?");
        put_s(w, "\"");
        break;
    default: put_u(w, v); break;
    }
}

int ct__write_log(const ct_src *t, ct_wbuf *w, const ct_dump_opts *o) {
    const ct_schema *s = t->schema;
    strtab st = {t->strings, t->nstrings};
    char line[1024];
    /* Stamps: ns of emulated time, as in the other formats, or raw ticks
     * (T-cycles in the emulator) with raw_cycles; the header says which
     * (trace_load.c reads it; a .log without one is in ticks). */
    const bool raw = o->raw_cycles || s->ts_hz == 0 || s->ts_hz == 1000000000u;
    /* A formatter's lines stand alone (e.g. Gameboy Doctor logs compared
     * line by line with a reference), so no header then, unless events were
     * lost (then the log is incomplete and its first line says so) or the
     * stamps are ns (then the first line says that). */
    if (!o->line_fmt || t->overwritten || t->dropped || !raw) {
        put_s(w, "# ceres trace: ");
        put_u(w, t->nev);
        put_s(w, " events (written ");
        put_u(w, t->written);
        put_s(w, ", overwritten ");
        put_u(w, t->overwritten);
        put_s(w, ", dropped ");
        put_u(w, t->dropped);
        put_s(w,
              raw ? "), timestamps in ticks of " : "), timestamps in ns (emulated time, ticks of ");
        put_u(w, s->ts_hz);
        put_s(w, raw ? " Hz\n" : " Hz)\n");
    }
    ct_src_it it;
    ct__src_begin(t, &it);
    for (const ct_event *e; (e = ct__src_next(t, &it)) != NULL && !w->err;) {
        const ct_event_desc *d = &s->events[e->id];
        const uint64_t ts = raw ? e->ts : ct__ts_ns(e->ts, s->ts_hz, false);
        if (o->line_fmt) {
            int n = o->line_fmt(o->line_fmt_ctx, s, e->id, ts, e->payload, line, sizeof line);
            if (n >= 0) { /* the formatter's line as it is */
                ct__wbuf_put(w, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
                put_s(w, "\n");
                continue;
            }
        }
        put_u(w, ts);
        put_s(w, " ");
        put_s(w, d->target);
        put_s(w, ".");
        put_s(w, d->name);
        for (unsigned f = 0; f < d->nfields; f++) {
            put_s(w, " ");
            put_s(w, d->fields[f].name);
            put_s(w, "=");
            put_log_value(w, d, f, e->payload, &st);
        }
        put_s(w, "\n");
    }
    return w->err;
}

/* ---- streaming JSON ---------------------------------------------------- */

/* Every event is formatted as it happens into a 1 MiB buffer flushed with
 * write(2): a fair version of the old way, with no per-event flush. A step
 * is held until the next event with its id, which gives its duration. */
struct ct_stream {
    ct_wbuf w;
    ct_file file; /* committed by ct_stream_close */
    const ct_recorder *rec;
    bool raw;
    ct_tracks tr;
    jnames *jn;
    uint32_t depth[CT_MAX_TRACKS];
    uint64_t last_ts;
    steps st;
};

static void stream_event(void *ctx, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen) {
    struct ct_stream *s = ctx;
    const ct_recorder *r = s->rec;
    const ct_schema *sc = r->schema;
    if (id >= sc->nevents) return;
    const ct_event_desc *d = &sc->events[id];
    strtab st = {r->strings, r->nstrings};
    unsigned tid = s->tr.of_event[id];
    char ph = 'i';
    s->last_ts = ts;
    switch (d->kind) {
    case CT_BEGIN:
        ph = 'B';
        s->depth[tid]++;
        break;
    case CT_END:
        if (s->depth[tid]) {
            ph = 'E';
            s->depth[tid]--;
        }
        break;
    case CT_COUNTER: ph = 'C'; break;
    case CT_STEP:
        step_event(&s->w, s->jn, sc, &s->st, id, ts, p, plen, tid, &st, s->raw, -1);
        return;
    default: break;
    }
    put_s(&s->w, ",\n");
    put_json_event(&s->w, s->jn, sc, id, ts, p, ph, 0, tid, &st, s->raw, -1);
}

int ct_stream_open(ct_recorder *r, const char *path, bool raw_cycles, char *err, size_t errlen) {
    if (ct_recorder_hook_ctx(r, stream_event)) {
        if (err && errlen) snprintf(err, errlen, "a stream is already open");
        return -EBUSY;
    }
    struct ct_stream *s = calloc(1, sizeof *s);
    uint8_t *buf = malloc(CT_WBUF_HOSTED);
    int e = s && buf ? ct_file_open(&s->file, path) : -ENOMEM;
    int fd = e ? -1 : s->file.fd;
    if (e) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path ? path : "(null)", ct_file_strerror(e));
        free(s);
        free(buf);
        return e;
    }
    ct__wbuf_init(&s->w, fd, buf, CT_WBUF_HOSTED);
    s->rec = r;
    s->raw = raw_cycles;
    ct__tracks_build(r->schema, &s->tr);
    s->jn = jn_build(r->schema, &s->tr);
    if (!s->jn) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        ct_file_abandon(&s->file);
        free(s);
        free(buf);
        return -ENOMEM;
    }
    if (ct_recorder_add_hook(r, stream_event, s)) {
        if (err && errlen) snprintf(err, errlen, "too many recorder hooks");
        close(fd);
        unlink(path);
        jn_free(s->jn);
        free(s);
        free(buf);
        return -EBUSY;
    }
    put_json_head(&s->w, r->schema, &s->tr);
    return 0;
}

int ct_stream_close(ct_recorder *r) {
    struct ct_stream *s = ct_recorder_hook_ctx(r, stream_event);
    if (!s) return 0;
    ct_recorder_remove_hook(r, stream_event, s);
    const ct_schema *sc = r->schema;
    strtab st = {r->strings, r->nstrings};
    steps_flush(&s->w, s->jn, sc, &s->st, &s->tr, s->last_ts, &st, s->raw);
    for (unsigned k = 0; k < s->tr.n; k++) /* balanced slices, as in ct__write_json */
        for (; s->depth[k]; s->depth[k]--) {
            put_lit(&s->w, ",\n{\"ph\":\"E\",\"ts\":");
            put_ts_us(&s->w, s->last_ts, sc->ts_hz, s->raw);
            put_span(&s->w, s->jn, s->jn->tid[k]);
            put_lit(&s->w, "}");
        }
    put_s(&s->w, "\n]}\n");
    ct__wbuf_flush(&s->w);
    int rc = ct_file_commit(&s->file, s->w.err);
    free(s->w.buf);
    jn_free(s->jn);
    free(s);
    return rc;
}
