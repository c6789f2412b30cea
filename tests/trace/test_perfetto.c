/* A wrapped ring dumped to .perfetto-trace and decoded with protoc against
 * Perfetto's official schema: names, tracks, timestamps and arguments. */
#include "test_util.h"

#include <libgen.h>
#include <zlib.h>

static uint64_t rd_var(const uint8_t *p, size_t n, size_t *at) {
    uint64_t v = 0;
    for (unsigned sh = 0; *at < n && sh < 64; sh += 7) {
        uint8_t b = p[(*at)++];
        v |= (uint64_t)(b & 0x7F) << sh;
        if (!(b & 0x80)) break;
    }
    return v;
}

/* Expand the compressed_packets chunks of a trace: the result must be the
 * same bytes as the uncompressed dump. */
static uint8_t *expand(const uint8_t *f, size_t n, size_t *outlen, unsigned *chunks) {
    size_t cap = n * 16 + (1 << 20), len = 0, at = 0;
    uint8_t *out = malloc(cap);
    *chunks = 0;
    while (out && at < n) {
        size_t start = at;
        if (f[at++] != 0x0A) break; /* Trace.packet */
        uint64_t plen = rd_var(f, n, &at);
        if (plen > n - at) break;
        size_t body = at;
        at += plen;
        if (plen > 3 && f[body] == 0x92 && f[body + 1] == 0x03) { /* field 50, bytes */
            size_t q = body + 2;
            uint64_t zlen = rd_var(f, n, &q);
            uLongf dst = (uLongf)(cap - len);
            if (q + zlen != at || uncompress(out + len, &dst, f + q, (uLong)zlen) != Z_OK) break;
            len += dst;
            ++*chunks;
            CHECK(plen < 512 * 1024); /* Perfetto's limit per chunk */
        } else {
            memcpy(out + len, f + start, at - start);
            len += at - start;
        }
    }
    CHECK_EQ(at, n);
    *outlen = len;
    return out;
}

static char *decode(const char *trace, const char *proto) {
    char dir[512], cmd[2048];
    snprintf(dir, sizeof dir, "%s", proto);
    snprintf(cmd, sizeof cmd,
             "protoc --decode=perfetto.protos.Trace -I'%s' perfetto_trace.proto < '%s' > '%s'",
             dirname(dir), trace, tu_path("decoded.txt"));
    if (system(cmd) != 0) {
        fprintf(stderr, "protoc failed: %s\n", cmd);
        return NULL;
    }
    return tu_read(tu_path("decoded.txt"), NULL);
}

static unsigned count(const char *hay, const char *needle) {
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Every needle found in hay, in this order. */
static bool in_order(const char *hay, const char *const *needles, unsigned n) {
    const char *p = hay;
    for (unsigned i = 0; i < n; i++) {
        const char *q = strstr(p, needles[i]);
        if (!q) {
            fprintf(stderr, "not found (in order): %s\n", needles[i]);
            return false;
        }
        p = q + strlen(needles[i]);
    }
    return true;
}

/* A look of our own: exec slices named after their opcode ("op 01"), pc in
 * hex. */
static void look_event(void *ctx, const ct_schema *s, uint16_t id, uint32_t *hex, uint32_t *key) {
    (void)ctx;
    *hex = *key = 0;
    if (!strcmp(s->events[id].name, "exec")) {
        *hex = 1u << ct_field_index(&s->events[id], "pc");
        *key = 1u << ct_field_index(&s->events[id], "op");
    }
    if (!strcmp(s->events[id].name, "read")) *hex = 1u; /* addr */
}
static int look_name(void *ctx, const ct_schema *s, uint16_t id, const uint8_t *p, char *buf,
                     size_t len) {
    (void)ctx;
    const ct_event_desc *d = &s->events[id];
    return snprintf(buf, len, "op %02X", (unsigned)ct_field_u64(d, 1, p));
}
static const ct_look test_look = {look_event, look_name, NULL};

/* Step slices with a look: each name interned once with the packet that
 * first uses it, key fields with the first slice of each name only, the
 * other fields on the end of the slice before where they changed, hex as
 * pointer values, SEQ_NEEDS_INCREMENTAL_STATE on every event packet, the
 * exec track as the default; and read back, every field of every event. */
static void test_look_layout(const char *proto) {
    ct_recorder *r = ct_recorder_create(&ts_schema, 1 << 20, 0, CT_OVERWRITE, NULL, 0);
    CHECK(r != NULL);
    if (!r) return;
    ct_filter_apply(r, "trace", NULL, 0);
    static const struct {
        uint16_t pc;
        uint8_t op;
    } ex[] = {{0x100, 1}, {0x102, 2}, {0x104, 1}, {0x104, 2}, {0x1234, 2}};
    for (unsigned i = 0; i < 5; i++)
        CT_EMIT(r->flags, r, ts_, EXEC, 10 * (i + 1), ex[i].pc, ex[i].op);
    CT_EMIT(r->flags, r, ts_, READ, 70, 0xC123, 7, 9);
    ct_dump_opts o = {.uncompressed = true, .look = &test_look};
    CHECK_EQ(ct_dump(r, tu_path("look.perfetto-trace"), &o), 0);
    char *txt = decode(tu_path("look.perfetto-trace"), proto);
    CHECK(txt != NULL);
    if (txt) {
        const char *seq[] = {
            /* defaults: the exec track (uuid 2, the first step's) */
            "track_event_defaults {\n      track_uuid: 2\n",
            /* slice 1: every field, a new name interned with it */
            "name_iid: 1\n      pointer_value: 256\n", "name_iid: 2\n      uint_value: 1\n",
            "type: TYPE_SLICE_BEGIN\n    name_iid: 257\n  }",
            "event_names {\n      iid: 257\n      name: \"op 01\"", "sequence_flags: 2",
            /* its end: pc changed (hex), op is the key */
            "name_iid: 1\n      pointer_value: 258\n    }\n    type: TYPE_SLICE_END\n  }",
            /* slice 2: a new name: its key only */
            "name_iid: 2\n      uint_value: 2\n    }\n    type: TYPE_SLICE_BEGIN\n    "
            "name_iid: 258\n",
            "name: \"op 02\"", "pointer_value: 260\n    }\n    type: TYPE_SLICE_END",
            /* slice 3: the first name again, announced now (slice 1 had every field) */
            "name_iid: 2\n      uint_value: 1\n    }\n    type: TYPE_SLICE_BEGIN\n    "
            "name_iid: 257\n  }\n  sequence_flags: 2",
            /* slice 4: nothing changed, a known name: no arguments at all */
            "track_event {\n    type: TYPE_SLICE_END\n  }",
            "track_event {\n    type: TYPE_SLICE_BEGIN\n    name_iid: 258\n  }",
            /* slice 5 */
            "pointer_value: 4660\n    }\n    type: TYPE_SLICE_END",
            "track_event {\n    type: TYPE_SLICE_BEGIN\n    name_iid: 258\n  }",
            /* the read, on its own track, addr in hex */
            "pointer_value: 49443\n", "track_uuid: 3\n"};
        CHECK(in_order(txt, seq, sizeof seq / sizeof *seq));
        CHECK_EQ(count(txt, "name: \"op 01\""), 1);
        CHECK_EQ(count(txt, "name: \"op 02\""), 1);
        CHECK_EQ(count(txt, "sequence_flags: 2"), count(txt, "track_event {"));
        /* 5 begins, 4 ends before the next begin, the last end, the read */
        CHECK_EQ(count(txt, "track_event {"), 11);
    }
    free(txt);
    ct_trace *l = NULL;
    char err[256];
    CHECK_EQ(ct_trace_load(tu_path("look.perfetto-trace"), &l, err, sizeof err), 0);
    if (l) {
        CHECK_EQ(l->nev, 6);
        for (unsigned i = 0; i < 5 && i < l->nev; i++) {
            const ct_event_desc *d = &l->schema.events[l->ev[i].id];
            CHECK(!strcmp(d->name, "exec") && !strcmp(d->target, "cpu") && d->kind == CT_STEP);
            CHECK_EQ(ct_field_u64(d, (unsigned)ct_field_index(d, "pc"), l->ev[i].payload),
                     ex[i].pc);
            CHECK_EQ(ct_field_u64(d, (unsigned)ct_field_index(d, "op"), l->ev[i].payload),
                     ex[i].op);
            CHECK_EQ(l->ev[i].ts, ts_ns(10 * (i + 1)));
        }
        if (l->nev == 6) {
            const ct_event_desc *d = &l->schema.events[l->ev[5].id];
            CHECK(!strcmp(d->name, "read"));
            CHECK_EQ(ct_field_u64(d, 0, l->ev[5].payload), 0xC123);
        }
    }
    ct_trace_free(l);
    ct_recorder_destroy(r);
}

int main(void) {
    const char *proto = getenv("CERES_PERFETTO_PROTO");
    if (!proto || !tu_exists(proto)) TEST_SKIP("CERES_PERFETTO_PROTO not set or missing");
    if (system("protoc --version > /dev/null 2>&1") != 0) TEST_SKIP("protoc not installed");
    tu_tmpdir();
    test_look_layout(proto);

    const uint64_t n = 20000;
    ct_recorder *r = tu_wrapped(64 << 10, n);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    CHECK(t->overwritten > 0); /* the ring wrapped */
    char path[600];
    snprintf(path, sizeof path, "%s", tu_path("w.perfetto-trace"));
    ct_dump_opts plain = {.uncompressed = true};
    CHECK_EQ(ct_dump(r, path, &plain), 0);
    char *txt = decode(path, proto);
    CHECK(txt != NULL);
    if (!txt) return test_result();

    /* Tracks: one per target, children for steps and counters. */
    CHECK(strstr(txt, "name: \"cpu\"") != NULL);
    CHECK(strstr(txt, "name: \"mem\"") != NULL);
    CHECK(strstr(txt, "name: \"big\"") != NULL); /* named even with no events */
    CHECK(strstr(txt, "name: \"cpu.exec\"") != NULL);
    const char *ly = strstr(txt, "name: \"ppu.ly\"");
    CHECK(ly != NULL && strstr(ly, "counter {") != NULL &&
          strstr(ly, "counter {") < strstr(ly, "packet {"));
    /* Interned names and incremental state. */
    CHECK(strstr(txt, "event_names {\n      iid: 1\n      name: \"exec\"") != NULL);
    CHECK(strstr(txt, "name: \"addr\"") != NULL);
    CHECK(strstr(txt, "sequence_flags: 1") != NULL);
    CHECK(strstr(txt, "is_incremental: true") != NULL);
    CHECK_EQ(count(txt, "trusted_packet_sequence_id: 1\n"), count(txt, "packet {"));

    /* Events: as many packets as the trace has (steps add an end each). */
    uint64_t steps = 0, reads = 0, notes = 0;
    for (uint64_t i = 0; i < t->nev; i++) {
        steps += t->ev[i].id == ts_ev_EXEC;
        reads += t->ev[i].id == ts_ev_READ;
        notes += t->ev[i].id == ts_ev_NOTE;
    }
    CHECK_EQ(count(txt, "track_event {"), t->nev + steps);
    CHECK_EQ(count(txt, "type: TYPE_COUNTER"),
             count(txt, "counter_value: ")); /* every counter has a value */
    CHECK(reads > 0 && notes > 0);

    /* Argument values: the newest read, a string, a negative int, a bool. */
    uint64_t last_read = 0;
    for (uint64_t i = 0; i < n; i++)
        if (i % 10 == 3) last_read = i;
    char want[256];
    snprintf(want, sizeof want, "uint_value: %llu",
             (unsigned long long)(0xC000 + last_read % 0x2000));
    CHECK(strstr(txt, want) != NULL);
    CHECK(strstr(txt, "string_value: \"hello \\\"quoted\\\"\"") != NULL);
    CHECK(strstr(txt, "string_value: \"world\"") != NULL);
    CHECK(strstr(txt, "int_value: -5") != NULL);
    CHECK(strstr(txt, "bool_value: true") != NULL);

    /* Timestamps: the clock snapshot holds the first event's time in ns and
     * the deltas of the event packets add up to the last event's time. */
    unsigned long long t0 = ts_ns(t->ev[0].ts), sum = 0, snap = 0;
    static const char snap_at[] = "clocks {\n      clock_id: 64\n      timestamp: ";
    static const char ev_at[] = "packet {\n  timestamp: ";
    const char *p = strstr(txt, snap_at);
    CHECK(p != NULL);
    if (p) snap = strtoull(p + strlen(snap_at), NULL, 10);
    CHECK_EQ(snap, t0);
    sum = snap;
    for (p = txt; (p = strstr(p, ev_at)) != NULL; p++) {
        char *end;
        unsigned long long v = strtoull(p + strlen(ev_at), &end, 10);
        if (!strncmp(end, "\n  trusted_packet_sequence_id: 1\n  track_event {", 48)) sum += v;
    }
    CHECK_EQ(sum, ts_ns(4 * (n - 1)));

    /* Raw cycles: the same trace in ticks. */
    ct_dump_opts raw = {.format = CT_FMT_PERFETTO, .raw_cycles = true, .uncompressed = true};
    CHECK_EQ(ct_dump(r, tu_path("raw.bin"), &raw), 0);
    free(txt);
    txt = decode(tu_path("raw.bin"), proto);
    CHECK(txt != NULL);
    if (txt) {
        snprintf(want, sizeof want, "clock_id: 64\n      timestamp: %llu\n",
                 (unsigned long long)t->ev[0].ts);
        CHECK(strstr(txt, want) != NULL);
        /* The file says its clock counts ticks: a unit in whole ns (a
         * T-cycle is 238.4 ns), BOOTTIME the first event's time in ns, and
         * the exact rate in the first track's description. */
        snprintf(want, sizeof want,
                 "clock_id: 64\n      timestamp: %llu\n      is_incremental: true\n"
                 "      unit_multiplier_ns: 238\n    }\n    clocks {\n      clock_id: 6\n"
                 "      timestamp: %llu\n",
                 (unsigned long long)t->ev[0].ts, ts_ns(t->ev[0].ts));
        CHECK(strstr(txt, want) != NULL);
        CHECK(strstr(txt, "description: \"time stamps in ticks of 4194304 Hz (one tick each)\"") !=
              NULL);
    }
    free(txt);
    /* ... and reads back in ticks at that rate, every stamp as recorded;
     * the same file compressed too. */
    for (int z = 0; z < 2; z++) {
        if (z) {
            raw.uncompressed = false;
            CHECK_EQ(ct_dump(r, tu_path("raw.bin"), &raw), 0);
        }
        ct_trace *rb = NULL;
        char rerr[256];
        CHECK_EQ(ct_trace_load(tu_path("raw.bin"), &rb, rerr, sizeof rerr), 0);
        CHECK(rb != NULL);
        if (!rb) continue;
        CHECK_EQ(rb->schema.ts_hz, (uint64_t)TS_HZ);
        CHECK_EQ(rb->nev, t->nev);
        bool same = rb->nev == t->nev;
        for (uint64_t i = 0; same && i < t->nev; i++)
            same = rb->ev[i].ts == t->ev[i].ts;
        CHECK(same);
        ct_trace_free(rb);
    }
    /* Without raw ticks: ns, no unit, no description. */
    txt = decode(path, proto);
    CHECK(txt && !strstr(txt, "unit_multiplier_ns") && !strstr(txt, "description:"));
    free(txt);
    txt = NULL;

    /* The default, compressed: protoc still parses it, and expanding the
     * chunks gives back the uncompressed dump byte for byte, at a fraction
     * of its size. */
    CHECK_EQ(ct_dump(r, tu_path("z.perfetto-trace"), NULL), 0);
    txt = decode(tu_path("z.perfetto-trace"), proto);
    CHECK(txt && strstr(txt, "compressed_packets: \""));
    free(txt);
    size_t np, nz, nx;
    unsigned chunks;
    uint8_t *pl = (uint8_t *)tu_read(path, &np),
            *z = (uint8_t *)tu_read(tu_path("z.perfetto-trace"), &nz);
    CHECK(pl && z);
    if (pl && z) {
        uint8_t *x = expand(z, nz, &nx, &chunks);
        CHECK(x && nx == np && !memcmp(x, pl, np));
        CHECK(chunks >= 1);
        CHECK(nz * 3 < np);
        printf("perfetto: %zu bytes plain, %zu compressed (%u chunks), %llu events\n", np, nz,
               chunks, (unsigned long long)t->nev);
        free(x);
    }
    free(pl);
    free(z);
    /* A big recording spans many chunks. */
    ct_recorder *big = tu_wrapped(4 << 20, 400000);
    CHECK_EQ(ct_dump(big, tu_path("big.perfetto-trace"), NULL), 0);
    CHECK_EQ(ct_dump(big, tu_path("bigp.perfetto-trace"), &plain), 0);
    pl = (uint8_t *)tu_read(tu_path("bigp.perfetto-trace"), &np);
    z = (uint8_t *)tu_read(tu_path("big.perfetto-trace"), &nz);
    if (pl && z) {
        uint8_t *x = expand(z, nz, &nx, &chunks);
        CHECK(x && nx == np && !memcmp(x, pl, np));
        CHECK(chunks > 10);
        free(x);
    }
    free(pl);
    free(z);
    ct_recorder_destroy(big);

    /* Read back (compressed and plain): the same events, times in ns, field
     * values and strings. */
    const char *files[] = {"z.perfetto-trace", "w.perfetto-trace"};
    for (int k = 0; k < 2; k++) {
        ct_trace *l = NULL;
        char err[256];
        CHECK_EQ(ct_trace_load(tu_path(files[k]), &l, err, sizeof err), 0);
        if (!l) {
            fprintf(stderr, "%s\n", err);
            continue;
        }
        CHECK_EQ(l->nev, t->nev);
        CHECK_EQ(l->schema.ts_hz, 1000000000);
        unsigned bad = 0;
        for (uint64_t i = 0; i < l->nev && i < t->nev && bad < 5; i++) {
            const ct_event *a = &t->ev[i], *b = &l->ev[i];
            const ct_event_desc *da = &ts_events[a->id], *db = &l->schema.events[b->id];
            bool ok = a->id == b->id && b->ts == ts_ns(a->ts) && da->nfields == db->nfields &&
                      !strcmp(da->name, db->name) && !strcmp(da->target, db->target) &&
                      da->kind == db->kind;
            for (unsigned f = 0; ok && f < da->nfields; f++) {
                uint64_t va = ct_field_u64(da, f, a->payload), vb = ct_field_u64(db, f, b->payload);
                if (da->fields[f].type == CT_T_STR)
                    ok = vb < l->nstrings && !strcmp(t->strings[va], l->strings[vb]);
                else
                    ok = va == vb;
                ok = ok && !strcmp(da->fields[f].name, db->fields[f].name);
            }
            if (!ok) {
                bad++;
                fprintf(stderr, "%s: event %llu differs\n", files[k], (unsigned long long)i);
            }
        }
        CHECK_EQ(bad, 0);
        ct_trace_free(l);
    }

    /* Malformed .perfetto-trace files are rejected cleanly. */
    unsigned accepted = 0;
    uint32_t seed = 777;
    for (int round = 0; round < 1200; round++) {
        size_t nf;
        char *orig = tu_read(tu_path(files[round & 1]), &nf);
        if (!orig) break;
        char *m = malloc(nf);
        memcpy(m, orig, nf);
        size_t n = nf;
        if (round < 400) {
            n = (size_t)round * (nf / 400); /* truncated */
        } else {
            for (int k = 0; k < 3; k++) {
                seed = seed * 1103515245u + 12345u;
                m[(seed >> 8) % nf] = (char)(seed >> 24);
            }
        }
        FILE *f = fopen(tu_path("bad.perfetto-trace"), "wb");
        fwrite(m, 1, n, f);
        fclose(f);
        ct_trace *x = NULL;
        char err[256];
        if (ct_trace_load(tu_path("bad.perfetto-trace"), &x, err, sizeof err) == 0) {
            accepted++;
            CHECK_EQ(ct_trace_write(x, tu_path("bad.json"), NULL), 0);
            CHECK_EQ(ct_trace_write(x, tu_path("bad.ctrace"), NULL), 0);
            ct_trace_free(x);
        }
        free(m);
        free(orig);
    }
    printf("malformed .perfetto-trace files still loadable: %u/1200\n", accepted);

    ct_trace_free(t);
    ct_recorder_destroy(r);
    return test_result();
}
