/* `ceres trace`: work with dumped traces. */
#include "cli.h"

#include "../gb/disasm.h"
#include "../gb/doctor.h"
#include "../gb/gb_events.h"
#include "../runner/runner.h"
#include "../trace/ct_tools.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_doctor_log(const char *path);

static void usage(FILE *f) {
    fputs("usage: ceres trace <command> ...\n"
          "\n"
          "commands:\n"
          "  convert IN OUT [--format F] [--raw-cycles] [--uncompressed]\n"
          "                 convert a trace to another format\n"
          "  cat TRACE [--filter SPEC] [--from C] [--to C] [--grep TEXT]\n"
          "                 print a trace as text, one event a line\n"
          "  stats TRACE    events per target and name, time span, ring losses\n"
          "  diff A B [--filter SPEC] [--context N] [--align cycles|order]\n"
          "                 the first event where two traces diverge\n"
          "\n"
          "`ceres trace <command> --help` describes each command.\n",
          f);
}

static void convert_usage(FILE *f) {
    fputs("usage: ceres trace convert IN OUT [--format F] [--raw-cycles] [--uncompressed]\n"
          "\n"
          "Read IN (a .ctrace dump, or a .perfetto-trace written by Ceres: its\n"
          "timestamps come back in ns, field widths as the values need) and write\n"
          "OUT. The format comes from OUT's extension unless --format is given:\n"
          "  perfetto  .perfetto-trace  Perfetto protobuf (open in ui.perfetto.dev)\n"
          "  json      .json            Chrome trace event format\n"
          "  log       .log             text, one event a line\n"
          "  ctrace    .ctrace          native: header, schema, raw records\n"
          "\n"
          "options:\n"
          "  --format F     perfetto, json, log or ctrace\n"
          "  --raw-cycles   timestamps in raw ticks instead of nanoseconds\n"
          "  --uncompressed .perfetto-trace: plain packets (readable by protoc)\n"
          "                 instead of deflate-compressed chunks\n"
          "  --help         this text\n",
          f);
}

static int cmd_convert(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    ct_dump_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            convert_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--raw-cycles")) {
            o.raw_cycles = true;
        } else if (!strcmp(a, "--uncompressed")) {
            o.uncompressed = true;
        } else if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || ct_format_parse(v, &o.format) != 0) {
                fprintf(stderr,
                        "ceres trace convert: bad --format '%s' (perfetto, json, log or "
                        "ctrace)\n",
                        v ? v : "");
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "ceres trace convert: unknown option '%s'\n", a);
            convert_usage(stderr);
            return 2;
        } else if (!in) {
            in = a;
        } else if (!out) {
            out = a;
        } else {
            fprintf(stderr, "ceres trace convert: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (!in || !out) {
        convert_usage(stderr);
        return 2;
    }
    if (o.format == CT_FMT_AUTO && ct_format_from_path(out) == CT_FMT_AUTO) {
        fprintf(stderr,
                "ceres trace convert: cannot tell the format of '%s' from its name: use "
                "--format or one of .perfetto-trace, .json, .log, .ctrace\n",
                out);
        return 2;
    }
    char err[512];
    ct_trace *t = NULL;
    if (ct_trace_load(in, &t, err, sizeof err) != 0) {
        if (is_doctor_log(in))
            snprintf(err, sizeof err,
                     "%s is a Gameboy Doctor log: without a clock it does not convert to a timed "
                     "format (read it "
                     "with trace cat, stats or diff)",
                     in);
        fprintf(stderr, "ceres trace convert: %s\n", err);
        return 2;
    }
    int rc = ct_trace_write(t, out, &o);
    ct_trace_free(t);
    if (rc != 0) {
        fprintf(stderr, "ceres trace convert: cannot write %s: %s\n", out, strerror(-rc));
        return 2;
    }
    return 0;
}

/* ---- reading any trace --------------------------------------------------- */

/* A .ctrace, a .perfetto-trace written by Ceres, or a Gameboy Doctor log. */
static int load_any(const char *path, ct_trace **t, char *err, size_t errlen) {
    char head[160] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -ENOENT;
    }
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    if (gb_doctor_sniff(head, n)) return gb_doctor_load(path, t, err, errlen);
    return ct_trace_load(path, t, err, errlen);
}

/* Whether a trace is the emulator's (shown in T-cycles, with frames and
 * disassembly) or another program's (shown in its own clock and generic
 * lines). A .ctrace names its schema; a .perfetto-trace does not, so one
 * counts as the emulator's when every event recorded in it is one of gb's. */
static bool is_gb_trace(const ct_trace *t) {
    const char *n = t->schema.name ? t->schema.name : "";
    if (!strcmp(n, "gb") || !strcmp(n, "gameboy-doctor")) return true;
    if (strcmp(n, "perfetto") || t->nev == 0) return false;
    bool used[CT_MAX_EVENTS] = {0};
    for (uint64_t i = 0; i < t->nev; i++)
        if (t->ev[i].id < CT_MAX_EVENTS) used[t->ev[i].id] = true;
    for (uint32_t i = 0; i < t->schema.nevents && i < CT_MAX_EVENTS; i++) {
        if (!used[i]) continue;
        const ct_event_desc *d = &t->schema.events[i];
        bool known = false;
        for (uint32_t k = 0; k < gb_schema.nevents && !known; k++)
            known = !strcmp(d->target, gb_schema.events[k].target) &&
                    !strcmp(d->name, gb_schema.events[k].name);
        if (!known) return false;
    }
    return true;
}

/* The plural name of a trace's own tick: its schema's ts_unit ("step" ->
 * "steps"), "ns" for a .perfetto-trace, else "ticks". */
static const char *own_unit(const ct_trace *t, char *buf, size_t len) {
    const char *u = t->schema.ts_unit;
    if (!u || !*u) return t->schema.ts_hz == 1000000000u ? "ns" : "ticks";
    size_t n = strlen(u);
    snprintf(buf, len, "%s%s", u, u[n - 1] == 's' ? "" : "s");
    return buf;
}

/* Lines for the emulator's events: cpu.exec disassembled (bank:pc, bytes,
 * mnemonic, registers); a doctor log's lines as they are, with the
 * disassembly after them; everything else generic. */
static int gb_cat_fmt(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts,
                      const uint8_t *payload, char *buf, size_t len) {
    int n = gb_disasm_line_fmt(ctx, s, id, ts, payload, buf, len);
    if (n >= 0) return n;
    char dl[GB_DOCTOR_LINE_MAX];
    if (gb_doctor_line_fmt(ctx, s, id, ts, payload, dl, sizeof dl) < 0) return -1;
    const ct_event_desc *d = &s->events[id];
    uint64_t v[4];
    static const char *const names[4] = {"pc", "op", "op1", "op2"};
    for (unsigned i = 0; i < 4; i++)
        v[i] = ct_field_u64(d, (unsigned)ct_field_index(d, names[i]), payload);
    char ins[40];
    gb_disasm((uint16_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)v[3], ins, sizeof ins);
    n = snprintf(buf, len, "%" PRIu64 " %s  %s", ts, dl, ins);
    return n < 0 ? -1 : (n >= (int)len ? (int)len - 1 : n);
}

static bool parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || s[0] == '-') return false;
    *out = v;
    return true;
}

/* Option value: `--opt V` or `--opt=V`; NULL when missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] == 0 && *i + 1 < argc) return argv[++*i];
    return NULL;
}
static bool is_opt(const char *a, const char *name) {
    size_t n = strlen(name);
    return !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
}

/* ---- cat ---------------------------------------------------------------- */

static void cat_usage(FILE *f) {
    fputs("usage: ceres trace cat TRACE [--filter SPEC] [--from CYCLE] [--to CYCLE]\n"
          "                       [--grep TEXT]\n"
          "\n"
          "Print TRACE (.ctrace, .perfetto-trace, or a Gameboy Doctor log) as text, one\n"
          "event a line, stamped with its T-cycle (a doctor log: its line number from\n"
          "0; another program's trace: its own clock's ticks). cpu.exec events show\n"
          "bank:pc, the instruction bytes, the disassembly and the registers before it.\n"
          "\n"
          "options:\n"
          "  --filter SPEC  events to show, as for recording: e.g. cpu.exec,io or\n"
          "                 info,ppu=debug (levels: error warn info debug trace off)\n"
          "  --from CYCLE   first T-cycle to show (inclusive)\n"
          "  --to CYCLE     last T-cycle to show (inclusive)\n"
          "  --grep TEXT    only lines containing TEXT\n",
          f);
}

static int cmd_cat(int argc, char **argv) {
    const char *path = NULL, *filter = NULL;
    ct_view_opts v = {.to = UINT64_MAX, .out_hz = GB_CLOCK_HZ, .line_fmt = gb_cat_fmt};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cat_usage(stdout);
            return 0;
        } else if (is_opt(a, "--filter")) {
            if (!(filter = opt_value(argc, argv, &i, "--filter"))) goto missing;
        } else if (is_opt(a, "--grep")) {
            if (!(v.grep = opt_value(argc, argv, &i, "--grep"))) goto missing;
        } else if (is_opt(a, "--from") || is_opt(a, "--to")) {
            bool from = is_opt(a, "--from");
            val = opt_value(argc, argv, &i, from ? "--from" : "--to");
            if (!parse_u64(val, from ? &v.from : &v.to)) {
                fprintf(stderr, "ceres trace cat: %s wants a cycle number, got '%s'\n",
                        from ? "--from" : "--to", val ? val : "");
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ceres trace cat: unknown option '%s'\n", a);
            cat_usage(stderr);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "ceres trace cat: unexpected argument '%s'\n", a);
            return 2;
        }
        continue;
    missing:
        fprintf(stderr, "ceres trace cat: %s needs a value\n", a);
        return 2;
    }
    if (!path) {
        cat_usage(stderr);
        return 2;
    }
    char err[512];
    ct_trace *t = NULL;
    if (load_any(path, &t, err, sizeof err) != 0) {
        fprintf(stderr, "ceres trace cat: %s\n", err);
        return 2;
    }
    if (!is_gb_trace(t)) { /* its own clock, generic lines */
        v.out_hz = 0;
        v.line_fmt = NULL;
    }
    uint8_t en[CT_MAX_EVENTS];
    if (filter) {
        if (t->schema.nevents > CT_MAX_EVENTS ||
            ct_filter_parse(&t->schema, filter, en, err, sizeof err) != 0) {
            fprintf(stderr, "ceres trace cat: --filter: %s\n", err);
            ct_trace_free(t);
            return 2;
        }
        v.enabled = en;
    }
    ct_trace_cat(stdout, t, &v);
    ct_trace_free(t);
    return fflush(stdout) == 0 ? 0 : 2;
}

/* ---- stats -------------------------------------------------------------- */

static int cmd_stats(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: ceres trace stats TRACE\n"
                 "\n"
                 "Events per target and name, the time span in T-cycles and frames (another\n"
                 "program's trace: in its own clock, as its schema names it), the\n"
                 "ring's size and how many events were overwritten or dropped, and the\n"
                 "triggers that fired (their trace.mark events).");
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ceres trace stats: unknown option '%s'\n", argv[i]);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "ceres trace stats: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!path) {
        fputs("usage: ceres trace stats TRACE\n", stderr);
        return 2;
    }
    char err[512];
    ct_trace *t = NULL;
    if (load_any(path, &t, err, sizeof err) != 0) {
        fprintf(stderr, "ceres trace stats: %s\n", err);
        return 2;
    }
    const bool clock = t->schema.ts_hz != 0;
    if (!is_gb_trace(t)) {
        char unit[64];
        ct_trace_stats(stdout, t, 0, clock ? own_unit(t, unit, sizeof unit) : "lines");
        ct_trace_free(t);
        return 0;
    }
    ct_trace_stats(stdout, t, clock ? GB_CLOCK_HZ : 0, clock ? "T-cycles" : "lines");
    /* The Game Boy's view: frames spanned, frames begun, triggers fired. */
    if (clock && t->nev) {
        uint64_t a = ct_ts_convert(t->ev[0].ts, t->schema.ts_hz, GB_CLOCK_HZ);
        uint64_t b = ct_ts_convert(t->ev[t->nev - 1].ts, t->schema.ts_hz, GB_CLOCK_HZ);
        printf("frames      %.2f frames of 70224 T-cycles (from frame %" PRIu64 ")\n",
               (double)(b - a) / RN_CYCLES_PER_FRAME, a / RN_CYCLES_PER_FRAME);
    }
    uint64_t fires[64] = {0}, last[64] = {0};
    unsigned nmarks = 0;
    for (uint32_t id = 0; id < t->schema.nevents; id++) {
        const ct_event_desc *d = &t->schema.events[id];
        if (strcmp(d->target, "trace") || strcmp(d->name, "mark")) continue;
        int ft = ct_field_index(d, "trigger");
        for (uint64_t i = 0; ft >= 0 && i < t->nev; i++) {
            if (t->ev[i].id != id) continue;
            uint64_t k = ct_field_u64(d, (unsigned)ft, t->ev[i].payload);
            if (k < 64) {
                fires[k]++;
                last[k] = ct_ts_convert(t->ev[i].ts, t->schema.ts_hz, GB_CLOCK_HZ);
            }
            nmarks++;
        }
    }
    if (!nmarks) {
        printf("triggers    none fired (or none marked: --mark EXPR puts trace.mark events)\n");
    } else {
        printf("triggers    %u trace.mark events\n", nmarks);
        for (unsigned k = 0; k < 64; k++)
            if (fires[k])
                printf("  trigger %-3u fired %" PRIu64
                       " times in the trace, last at T-cycle %" PRIu64 "\n",
                       k, fires[k], last[k]);
    }
    ct_trace_free(t);
    return 0;
}

/* ---- diff --------------------------------------------------------------- */

static bool is_doctor_log(const char *path) {
    char head[160] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    return gb_doctor_sniff(head, n);
}

/* The next non-blank line of a doctor log: 1, 0 at the end, -1 on a line
 * that does not parse. */
typedef struct doc_line {
    char text[GB_DOCTOR_LINE_MAX + 16];
    unsigned v[GB_DOCTOR_NFIELDS];
} doc_line;

static int doc_next(FILE *f, const char *path, uint64_t *lineno, doc_line *l) {
    char buf[256];
    while (fgets(buf, sizeof buf, f)) {
        ++*lineno;
        size_t n = strcspn(buf, "\r\n");
        if (strspn(buf, " \t\r\n") == strlen(buf)) continue;
        buf[n] = 0;
        if (n >= sizeof l->text || gb_doctor_parse(buf, l->v) != 0) {
            fprintf(stderr, "ceres trace diff: %s:%llu: not a Gameboy Doctor line\n", path,
                    (unsigned long long)*lineno);
            return -1;
        }
        snprintf(l->text, sizeof l->text, "%s", buf);
        return 1;
    }
    return 0;
}

static void doc_print(const char *mark, uint64_t idx, const doc_line *l) {
    char ins[40];
    gb_disasm((uint16_t)l->v[0], (uint8_t)l->v[1], (uint8_t)l->v[2], (uint8_t)l->v[3], ins,
              sizeof ins);
    printf("%s #%-8" PRIu64 " %" PRIu64 " %s  %s\n", mark, idx, idx, l->text, ins);
}

/* Two Gameboy Doctor logs, compared line by line as they are read: logs of
 * whole test ROMs run to millions of lines, too many to load. The output
 * is that of ct_trace_diff on the loaded logs. */
static int doctor_diff(const char *pa, const char *pb, unsigned context) {
    FILE *fa = fopen(pa, "r"), *fb = fopen(pb, "r");
    doc_line *hist = calloc(context ? context : 1, sizeof *hist), la, lb;
    int rc = 2;
    if (!fa || !fb || !hist) {
        fprintf(stderr, "ceres trace diff: %s: %s\n", !fa ? pa : pb, strerror(errno));
        goto out;
    }
    printf("A: %s\nB: %s\ncompared: 1 event kinds\n", pa, pb);
    printf("aligned on instruction order: both are Gameboy Doctor logs, compared line by "
           "line\n");
    uint64_t n = 0, na = 0, nb = 0;
    int ra, rb;
    for (;;) {
        ra = doc_next(fa, pa, &na, &la);
        rb = doc_next(fb, pb, &nb, &lb);
        if (ra < 0 || rb < 0) goto out;
        if (!ra && !rb) {
            printf("no difference: %" PRIu64 " events equal\n", n);
            rc = 0;
            goto out;
        }
        if (!ra || !rb || memcmp(la.v, lb.v, sizeof la.v)) break;
        if (context) hist[n % context] = la;
        n++;
    }
    printf("\nfirst difference after %" PRIu64 " equal events: A #%" PRIu64 ", B #%" PRIu64 "\n", n,
           n, n);
    for (uint64_t k = n > context ? n - context : 0; k < n; k++)
        doc_print(" ", k, &hist[k % context]);
    if (ra)
        doc_print("-", n, &la);
    else
        printf("- (A ends here)\n");
    if (rb)
        doc_print("+", n, &lb);
    else
        printf("+ (B ends here)\n");
    if (ra && rb) {
        puts("what differs (A vs B):");
        for (unsigned i = 0; i < GB_DOCTOR_NFIELDS; i++)
            if (la.v[i] != lb.v[i])
                printf(i == 0 || i == GB_DOCTOR_NFIELDS - 1 ? "  %s: %04X vs %04X\n"
                                                            : "  %s: %02X vs %02X\n",
                       gb_doctor_fields[i], la.v[i], lb.v[i]);
    }
    if (context) {
        puts("after it:");
        for (unsigned k = 1; ra > 0 && k <= context && (ra = doc_next(fa, pa, &na, &la)) > 0; k++)
            doc_print("-", n + k, &la);
        for (unsigned k = 1; rb > 0 && k <= context && (rb = doc_next(fb, pb, &nb, &lb)) > 0; k++)
            doc_print("+", n + k, &lb);
    }
    rc = ra < 0 || rb < 0 ? 2 : 1;
out:
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    free(hist);
    return fflush(stdout) == 0 ? rc : 2;
}

static void diff_usage(FILE *f) {
    fputs("usage: ceres trace diff A B [--filter SPEC] [--context N] [--align cycles|order]\n"
          "\n"
          "Find the first event where traces A and B diverge (the same ROM on two builds\n"
          "or settings, or two emulators) and show N events of context on each side and\n"
          "the fields that differ. A and B are .ctrace, .perfetto-trace or Gameboy\n"
          "Doctor logs (e.g. from `ceres run --doctor-log` or another emulator).\n"
          "\n"
          "Events are matched by name and fields by name: only the events both traces\n"
          "can hold are compared, and of those the fields both carry (a doctor log has\n"
          "cpu.exec with registers and PCMEM only).\n"
          "\n"
          "options:\n"
          "  --filter SPEC   compare only these events (as for recording: cpu.exec,io)\n"
          "  --context N     events of context on each side (default 5)\n"
          "  --align cycles  start at the later of the two first time stamps and compare\n"
          "                  time stamps too (default when both have them)\n"
          "  --align order   pair events in sequence, time stamps ignored (default when\n"
          "                  one is a doctor log)\n"
          "\n"
          "exit status: 0 equal, 1 different, 2 error\n",
          f);
}

static int cmd_diff(int argc, char **argv) {
    const char *pa = NULL, *pb = NULL;
    ct_diff_opts o = {.context = 5, .view = {.out_hz = GB_CLOCK_HZ, .line_fmt = gb_cat_fmt}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            diff_usage(stdout);
            return 0;
        } else if (is_opt(a, "--filter")) {
            if (!(o.filter = opt_value(argc, argv, &i, "--filter"))) goto missing;
        } else if (is_opt(a, "--context")) {
            uint64_t n;
            val = opt_value(argc, argv, &i, "--context");
            if (!parse_u64(val, &n) || n > 100000) {
                fprintf(stderr, "ceres trace diff: --context wants a count, got '%s'\n",
                        val ? val : "");
                return 2;
            }
            o.context = (unsigned)n;
        } else if (is_opt(a, "--align")) {
            val = opt_value(argc, argv, &i, "--align");
            if (val && !strcmp(val, "cycles"))
                o.align = CT_ALIGN_CYCLES;
            else if (val && !strcmp(val, "order"))
                o.align = CT_ALIGN_ORDER;
            else {
                fprintf(stderr, "ceres trace diff: --align cycles or --align order\n");
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ceres trace diff: unknown option '%s'\n", a);
            diff_usage(stderr);
            return 2;
        } else if (!pa) {
            pa = a;
        } else if (!pb) {
            pb = a;
        } else {
            fprintf(stderr, "ceres trace diff: unexpected argument '%s'\n", a);
            return 2;
        }
        continue;
    missing:
        fprintf(stderr, "ceres trace diff: %s needs a value\n", a);
        return 2;
    }
    if (!pa || !pb) {
        diff_usage(stderr);
        return 2;
    }
    /* Two doctor logs with nothing to select: streamed, not loaded. */
    if (!o.filter && o.align != CT_ALIGN_CYCLES && is_doctor_log(pa) && is_doctor_log(pb))
        return doctor_diff(pa, pb, o.context > 10000 ? 10000 : o.context);
    char err[512];
    ct_trace *ta = NULL, *tb = NULL;
    if (load_any(pa, &ta, err, sizeof err) != 0 || load_any(pb, &tb, err, sizeof err) != 0) {
        fprintf(stderr, "ceres trace diff: %s\n", err);
        ct_trace_free(ta);
        return 2;
    }
    o.name_a = pa;
    o.name_b = pb;
    int rc = ct_trace_diff(stdout, ta, tb, &o, err, sizeof err);
    ct_trace_free(ta);
    ct_trace_free(tb);
    if (rc < 0) {
        fprintf(stderr, "ceres trace diff: %s\n", err);
        return 2;
    }
    return fflush(stdout) == 0 ? rc : 2;
}

int cmd_trace(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "convert")) return cmd_convert(argc - 1, argv + 1);
    if (!strcmp(sub, "cat")) return cmd_cat(argc - 1, argv + 1);
    if (!strcmp(sub, "stats")) return cmd_stats(argc - 1, argv + 1);
    if (!strcmp(sub, "diff")) return cmd_diff(argc - 1, argv + 1);
    fprintf(stderr, "ceres trace: unknown command '%s'\n", sub);
    usage(stderr);
    return 2;
}
