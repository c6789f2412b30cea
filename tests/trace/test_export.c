/* Exporters on a synthetic wrapped recording: Chrome JSON (parsed back with
 * cJSON), text log, .ctrace round trip (also from the signal-safe writer),
 * streaming JSON, and dump errors that leave no file behind. */
#define _XOPEN_SOURCE 700 /* sigaltstack */
#include "test_util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>

static bool same_trace(const ct_trace *a, const ct_trace *b) {
    if (a->nev != b->nev || a->written != b->written || a->overwritten != b->overwritten ||
        a->dropped != b->dropped || a->nstrings != b->nstrings ||
        a->schema.nevents != b->schema.nevents || a->schema.ts_hz != b->schema.ts_hz)
        return false;
    for (uint32_t i = 0; i < a->schema.nevents; i++) {
        const ct_event_desc *x = &a->schema.events[i], *y = &b->schema.events[i];
        if (strcmp(x->target, y->target) || strcmp(x->name, y->name) || x->kind != y->kind ||
            x->level != y->level || x->nfields != y->nfields)
            return false;
        for (unsigned f = 0; f < x->nfields; f++)
            if (strcmp(x->fields[f].name, y->fields[f].name) ||
                x->fields[f].type != y->fields[f].type)
                return false;
    }
    for (uint32_t i = 0; i < a->nstrings; i++)
        if (strcmp(a->strings[i], b->strings[i])) return false;
    for (uint64_t i = 0; i < a->nev; i++) {
        const ct_event *x = &a->ev[i], *y = &b->ev[i];
        if (x->ts != y->ts || x->id != y->id ||
            memcmp(x->payload, y->payload, a->schema.events[x->id].payload_bytes))
            return false;
    }
    return true;
}

static void check_json(const char *path, const ct_trace *t) {
    char *txt = tu_read(path, NULL);
    CHECK(txt != NULL);
    if (!txt) return;
    cJSON *root = cJSON_Parse(txt);
    CHECK(root != NULL);
    if (!root) {
        fprintf(stderr, "%s does not parse as JSON\n", path);
        free(txt);
        return;
    }
    cJSON *evs = cJSON_GetObjectItem(root, "traceEvents");
    CHECK(cJSON_IsArray(evs));
    unsigned names = 0, x = 0, i_ = 0, b = 0, e = 0, c = 0, notes = 0;
    double last_ts = -1;
    bool saw_cpu_exec = false, saw_last_read = false;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, evs) {
        const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "ph"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "name"));
        const cJSON *args = cJSON_GetObjectItem(ev, "args");
        CHECK(ph && name);
        if (!ph || !name) continue;
        if (!strcmp(ph, "M")) {
            if (!strcmp(name, "thread_name")) {
                names++;
                const char *tn = cJSON_GetStringValue(cJSON_GetObjectItem(args, "name"));
                if (tn && !strcmp(tn, "cpu.exec")) saw_cpu_exec = true;
            }
            continue;
        }
        double ts = cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "ts"));
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(ev, "pid")));
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(ev, "tid")));
        if (ph[0] != 'X') {
            /* In time order (steps come out when they end). */
            if (ts < last_ts) CHECK(ts >= last_ts);
            last_ts = ts;
        }
        switch (ph[0]) {
        case 'X':
            x++;
            /* Instructions are 4 ticks apart: 0.953 us. */
            CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "dur")) < 0.954);
            break;
        case 'i': i_++; break;
        case 'B': b++; break;
        case 'E': e++; break;
        case 'C':
            c++;
            CHECK(!strcmp(name, "ppu.ly"));
            CHECK(cJSON_IsNumber(cJSON_GetObjectItem(args, "ly")));
            break;
        default: CHECK(!"unexpected phase"); break;
        }
        if (!strcmp(name, "note")) {
            notes++;
            const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(args, "text"));
            CHECK(text && (!strcmp(text, "hello \"quoted\"") || !strcmp(text, "world")));
            CHECK_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(args, "delta")), -5);
            CHECK(cJSON_IsBool(cJSON_GetObjectItem(args, "flag")));
        }
        if (!strcmp(name, "read") && t) {
            /* The newest read of the recording, at its exact time. */
            const ct_event *le = NULL;
            for (uint64_t k = t->nev; k-- > 0;)
                if (t->ev[k].id == ts_ev_READ) {
                    le = &t->ev[k];
                    break;
                }
            if (le && fabs(ts - ts_ns(le->ts) / 1000.0) < 0.0005) {
                saw_last_read = true;
                CHECK_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(args, "addr")),
                         ct_field_u64(&ts_events[ts_ev_READ], 0, le->payload));
                CHECK_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(args, "extra")), 7);
            }
        }
    }
    CHECK_EQ(names, 7); /* cpu, cpu.exec, mem, ppu, ppu.ly, test, big */
    CHECK(saw_cpu_exec);
    CHECK(x > 0 && i_ > 0 && b > 0 && e > 0 && c > 0 && notes > 0);
    if (t) {
        CHECK(saw_last_read);
        uint64_t steps = 0;
        for (uint64_t k = 0; k < t->nev; k++)
            steps += t->ev[k].id == ts_ev_EXEC;
        CHECK_EQ(x, steps);
        CHECK_EQ(x + i_ + b + e + c, t->nev);
        CHECK(b >= e);
    }
    cJSON_Delete(root);
    free(txt);
}

/* A .log: stamps in ns of emulated time, or ticks with raw_cycles, as its
 * header says. */
static void check_log(const char *path, const ct_trace *t, bool raw) {
    char *txt = tu_read(path, NULL);
    CHECK(txt != NULL);
    if (!txt) return;
    unsigned lines = 0;
    for (char *p = txt; *p; p++)
        lines += *p == '\n';
    CHECK_EQ(lines, t->nev + 1); /* a header line and one per event */
    const char *nl = strchr(txt, '\n');
    const char *unit = raw ? "timestamps in ticks of 4194304 Hz"
                           : "timestamps in ns (emulated time, ticks of 4194304 Hz)";
    CHECK(nl && nl - txt > (ptrdiff_t)strlen(unit) &&
          !strncmp(nl - strlen(unit), unit, strlen(unit)));
    const ct_event *e = &t->ev[t->nev - 1];
    char want[128];
    snprintf(want, sizeof want, "\n%llu cpu.exec pc=0x%04X op=0x%02X\n",
             raw ? (unsigned long long)e->ts : ts_ns(e->ts),
             (unsigned)ct_field_u64(&ts_events[ts_ev_EXEC], 0, e->payload),
             (unsigned)ct_field_u64(&ts_events[ts_ev_EXEC], 1, e->payload));
    CHECK(strstr(txt, want) != NULL);
    CHECK(strstr(txt, " test.note text=\"hello \\\"quoted\\\"\" delta=-5 flag=false\n") != NULL);
    CHECK(strstr(txt, " mem.read addr=0x") != NULL);
    free(txt);
}

static int upper_fmt(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts,
                     const uint8_t *payload, char *buf, size_t len) {
    (void)ctx;
    (void)ts;
    if (id != ts_ev_EXEC) return -1;
    return snprintf(buf, len, "EXEC PC:%04X", (unsigned)ct_field_u64(&s->events[id], 0, payload));
}

/* The crash handler's path: ct_dump_ctrace_fd from a signal handler running
 * on a small alternate stack. */
static const ct_recorder *sig_rec;
static int sig_fd, sig_rc = 1;
static void on_signal(int sig) {
    (void)sig;
    sig_rc = ct_dump_ctrace_fd(sig_rec, sig_fd);
}

static void check_signal_dump(const ct_recorder *r, const ct_trace *t) {
    static char altstack[32 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    sig_rec = r;
    sig_fd = open(tu_path("sig.ctrace"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(sig_fd >= 0);
    raise(SIGUSR1);
    close(sig_fd);
    sigaction(SIGUSR1, &old, NULL);
    CHECK_EQ(sig_rc, 0);
    ct_trace *c = NULL;
    char err[256];
    CHECK_EQ(ct_trace_load(tu_path("sig.ctrace"), &c, err, sizeof err), 0);
    CHECK(c && c->nev > 0 && c->nev <= t->nev);
    if (c && c->nev) {
        /* the newest events, the same as the snapshot's */
        const ct_event *a = &c->ev[c->nev - 1], *b = &t->ev[t->nev - 1];
        CHECK(a->ts == b->ts && a->id == b->id);
        CHECK_EQ(c->written, t->written);
    }
    ct_trace_free(c);
}

static void check_ctrace(ct_recorder *r, const ct_trace *t) {
    char err[256];
    const char *p = tu_path("a.ctrace");
    CHECK_EQ(ct_dump(r, p, NULL), 0);
    ct_trace *l = NULL;
    CHECK_EQ(ct_trace_load(p, &l, err, sizeof err), 0);
    CHECK(l && same_trace(t, l));
    /* Written again from the loaded trace: byte for byte the same file. */
    if (l) CHECK_EQ(ct_trace_write(l, tu_path("b.ctrace"), NULL), 0);
    size_t na, nb;
    char *a = tu_read(p, &na), *b = tu_read(tu_path("b.ctrace"), &nb);
    CHECK(a && b && na == nb && !memcmp(a, b, na));
    /* The crash handler's writer produces the same content. */
    int fd = open(tu_path("c.ctrace"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(ct_dump_ctrace_fd(r, fd), 0);
    close(fd);
    ct_trace *c = NULL;
    CHECK_EQ(ct_trace_load(tu_path("c.ctrace"), &c, err, sizeof err), 0);
    /* (it may skip one more sync chunk at the old end) */
    CHECK(c && c->nev <= t->nev && c->nev + 600 >= t->nev);
    if (c && c->nev)
        CHECK(!memcmp(&c->ev[c->nev - 1], &t->ev[t->nev - 1], sizeof(uint64_t) + sizeof(uint16_t)));
    ct_trace_free(c);

    /* Malformed files: every truncation and many corruptions are rejected
     * cleanly (run under ASan to see that nothing is read out of bounds). */
    const char *q = tu_path("bad.ctrace");
    unsigned accepted = 0;
    for (size_t cut = 0; cut < na; cut += cut < 2048 ? 1 : 997) {
        FILE *f = fopen(q, "wb");
        fwrite(a, 1, cut, f);
        fclose(f);
        ct_trace *x = NULL;
        CHECK(ct_trace_load(q, &x, err, sizeof err) < 0);
        CHECK(x == NULL);
    }
    uint32_t seed = 12345;
    for (int round = 0; round < 400; round++) {
        char *m = malloc(na);
        memcpy(m, a, na);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (round < 200 ? (na < 1500 ? na : 1500) : na);
            m[at] = (char)(seed >> 24);
        }
        FILE *f = fopen(q, "wb");
        fwrite(m, 1, na, f);
        fclose(f);
        ct_trace *x = NULL;
        if (ct_trace_load(q, &x, err, sizeof err) == 0) {
            accepted++;
            /* Whatever loads must export without trouble. */
            CHECK_EQ(ct_trace_write(x, tu_path("fz.json"), NULL), 0);
            CHECK_EQ(ct_trace_write(x, tu_path("fz.log"), NULL), 0);
            CHECK_EQ(ct_trace_write(x, tu_path("fz.perfetto-trace"), NULL), 0);
            ct_trace_free(x);
        }
        free(m);
    }
    printf("corrupted .ctrace files still loadable: %u/400\n", accepted);
    free(a);
    free(b);
    ct_trace_free(l);
}

static void check_errors(ct_recorder *r) {
    int before = tu_count_files();
    CHECK_EQ(ct_dump(r, "/dev/full", NULL), -ENOSPC);
    ct_dump_opts json = {.format = CT_FMT_JSON};
    CHECK_EQ(ct_dump(r, "/dev/full", &json), -ENOSPC);
    CHECK_EQ(ct_dump(r, tu_path("missing/x.perfetto-trace"), NULL), -ENOENT);
    CHECK(!tu_exists(tu_path("missing")));
    CHECK_EQ(ct_dump(r, tu_dir, NULL), -EISDIR);
    if (geteuid() != 0) { /* root may write anywhere */
        mkdir(tu_path("ro"), 0555);
        CHECK_EQ(ct_dump(r, tu_path("ro/x.json"), NULL), -EACCES);
        rmdir(tu_path("ro"));
    }
    CHECK_EQ(tu_count_files(), before); /* no temporary file left behind */
    ct_trace *t = NULL;
    char err[256];
    CHECK_EQ(ct_trace_load(tu_path("nope.ctrace"), &t, err, sizeof err), -ENOENT);
    CHECK(strstr(err, "nope.ctrace") != NULL);
    CHECK(ct_trace_load(tu_path("a.log"), &t, err, sizeof err) == -EINVAL);
}

int main(void) {
    tu_tmpdir();
    const uint64_t n = 30000;
    ct_recorder *r = tu_wrapped(64 << 10, n);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    CHECK(t->overwritten > 0);

    CHECK_EQ(ct_dump(r, tu_path("a.json"), NULL), 0);
    check_json(tu_path("a.json"), t);
    CHECK_EQ(ct_dump(r, tu_path("a.log"), NULL), 0);
    check_log(tu_path("a.log"), t, false);
    ct_dump_opts rawlog = {.format = CT_FMT_LOG, .raw_cycles = true};
    CHECK_EQ(ct_dump(r, tu_path("r.log"), &rawlog), 0);
    check_log(tu_path("r.log"), t, true);
    ct_dump_opts o = {.format = CT_FMT_LOG, .line_fmt = upper_fmt};
    CHECK_EQ(ct_dump(r, tu_path("b.txt"), &o), 0);
    char *txt = tu_read(tu_path("b.txt"), NULL);
    /* the formatter's lines as they are (no time stamp), the generic form
     * for the events it declines; the ring wrapped, so a first line says
     * what was lost */
    CHECK(txt && !strncmp(txt, "# ceres trace: ", 15) && strstr(txt, ", overwritten ") &&
          strstr(txt, "\nEXEC PC:") && strstr(txt, " mem.read addr="));
    free(txt);
    check_ctrace(r, t);
    check_signal_dump(r, t);
    check_errors(r);

    /* Dumping again while recording goes on: each dump is a consistent
     * snapshot of its moment. */
    ts_emit_EXEC(r, ct_recorder_flag(r), 4 * n, 0x1234, 0x56);
    CHECK_EQ(ct_dump(r, tu_path("a.json"), NULL), 0);
    txt = tu_read(tu_path("a.json"), NULL);
    CHECK(txt && strstr(txt, "\"pc\":4660,\"op\":86"));
    free(txt);

    /* Streaming: every event as it happens, a valid file once closed. */
    char err[256];
    ct_recorder *s = ct_recorder_create(&ts_schema, 64 << 10, 0, CT_OVERWRITE, err, sizeof err);
    CHECK_EQ(ct_filter_apply(s, "trace", err, sizeof err), 0);
    CHECK_EQ(ct_stream_open(s, tu_path("s.json"), false, err, sizeof err), 0);
    CHECK_EQ(ct_stream_open(s, tu_path("s2.json"), false, err, sizeof err), -EBUSY);
    tu_record(s, 2000);
    CHECK_EQ(ct_stream_close(s), 0);
    check_json(tu_path("s.json"), NULL);
    CHECK(ct_stream_open(s, tu_path("missing/s.json"), false, err, sizeof err) == -ENOENT);
    ct_recorder_destroy(s);

    /* An empty recorder dumps and loads back in every format. */
    ct_recorder *e = ct_recorder_create(&ts_schema, 64 << 10, 0, CT_OVERWRITE, err, sizeof err);
    const char *names[] = {"e.ctrace", "e.perfetto-trace", "e.json", "e.log"};
    for (int i = 0; e && i < 4; i++) {
        CHECK_EQ(ct_dump(e, tu_path(names[i]), NULL), 0);
        if (i < 2) {
            ct_trace *x = NULL;
            CHECK_EQ(ct_trace_load(tu_path(names[i]), &x, err, sizeof err), 0);
            CHECK(x && x->nev == 0 && x->schema.nevents == ts_ev_count);
            ct_trace_free(x);
        }
    }
    char *ej = tu_read(tu_path("e.json"), NULL);
    cJSON *ejs = ej ? cJSON_Parse(ej) : NULL;
    CHECK(ejs != NULL);
    cJSON_Delete(ejs);
    free(ej);
    ct_recorder_destroy(e);

    ct_trace_free(t);
    ct_recorder_destroy(r);
    return test_result();
}
