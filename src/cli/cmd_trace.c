/* `ceres trace`: work with dumped traces. */
#include "cli.h"

#include "../debug/disasm.h"
#include "../debug/doctor.h"
#include "../gb/gb_events.h"
#include "../runner/runner.h"
#include "../trace/ct_tools.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
          "Read IN (any trace Ceres writes: a .ctrace dump; a .perfetto-trace, .json\n"
          "or .log, whose schema is rebuilt from the file: time stamps in ns, or raw\n"
          "ticks as written with --raw-cycles; field widths as the values need) and write\n"
          "OUT (- for stdout, with --format). The format comes from OUT's extension\n"
          "unless --format is given:\n"
          "  perfetto  .perfetto-trace  Perfetto protobuf (open in ui.perfetto.dev)\n"
          "  json      .json            Chrome trace event format\n"
          "  log       .log             text, one event a line\n"
          "  ctrace    .ctrace          native: header, schema, raw records\n"
          "\n"
          "options:\n"
          "  --format F     perfetto, json, log or ctrace\n"
          "  --raw-cycles   time stamps in raw ticks (T-cycles) instead of ns of emulated\n"
          "                 time: a .log's lines start with the tick (else the ns; its\n"
          "                 first line says which), a .perfetto-trace's clock counts\n"
          "                 ticks and says so; every reader here takes either\n"
          "  --uncompressed .perfetto-trace: plain packets (readable by protoc)\n"
          "                 instead of deflate-compressed chunks\n"
          "  --help         this text\n",
          f);
}

/* `convert IN -`: the trace is written to a temporary file (the writers
 * work on paths), then copied to stdout. Returns 0 or -errno. */
static int write_stdout(const ct_trace *t, const ct_dump_opts *o) {
    const char *tmpdir = getenv("TMPDIR");
    char path[4200];
    snprintf(path, sizeof path, "%s/ceres-convert-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -errno;
    close(fd);
    int rc = ct_trace_write(t, path, o);
    FILE *f = rc ? NULL : fopen(path, "rb");
    if (!rc && !f) rc = -errno;
    if (f) {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            if (fwrite(buf, 1, n, stdout) != n) rc = -EIO;
        if (ferror(f)) rc = -EIO;
        fclose(f);
        if (fflush(stdout) != 0) rc = -EIO;
    }
    unlink(path);
    return rc;
}

static int cmd_convert(int argc, char **argv) {
    static const char *const prog = "ceres trace convert";
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {"raw-cycles", no_argument, NULL, 'r'},
        {"uncompressed", no_argument, NULL, 'u'},
        {"format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *in = NULL, *out = NULL;
    ct_dump_opts o = {0};
    bool first = true;
    int c;
    while ((c = cli_getopt(prog, argc, argv, ":h", longs, &first)) != -1) {
        switch (c) {
        case 'h': convert_usage(stdout); return 0;
        case 'r': o.raw_cycles = true; break;
        case 'u': o.uncompressed = true; break;
        case 'f':
            if (ct_format_parse(optarg, &o.format) != 0) {
                fprintf(stderr, "%s: bad --format '%s' (perfetto, json, log or ctrace)\n", prog,
                        optarg);
                return 2;
            }
            break;
        default: convert_usage(stderr); return 2;
        }
    }
    if (optind < argc) in = argv[optind];
    if (optind + 1 < argc) out = argv[optind + 1];
    if (optind + 2 < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind + 2]);
        return 2;
    }
    if (!in || !out) {
        convert_usage(stderr);
        return 2;
    }
    if (cli_check_input(prog, "IN", in)) return 2;
    bool to_stdout = !strcmp(out, "-");
    if (to_stdout && o.format == CT_FMT_AUTO) {
        fprintf(stderr, "%s: writing to stdout (-) needs --format\n", prog);
        return 2;
    }
    if (!to_stdout && cli_check_output(prog, "OUT", out, 0)) return 2;
    if (o.format == CT_FMT_AUTO && ct_format_from_path(out) == CT_FMT_AUTO) {
        fprintf(stderr,
                "ceres trace convert: cannot tell the format of '%s' from its name: use "
                "--format or one of .perfetto-trace, .json, .log, .ctrace\n",
                out);
        return 2;
    }
    char err[512];
    ct_trace *t = NULL;
    if (is_doctor_log(in) || cli_trace_load(in, &t, err, sizeof err) != 0) {
        if (is_doctor_log(in))
            snprintf(err, sizeof err,
                     "%s is a Gameboy Doctor log: without a clock it does not convert to a timed "
                     "format (read it "
                     "with trace cat, stats or diff)",
                     in);
        fprintf(stderr, "ceres trace convert: %s\n", err);
        return 2;
    }
    /* A .log keeps the disassembly, as `ceres run --trace-out X.log` writes it. */
    ct_format of = o.format != CT_FMT_AUTO ? o.format : ct_format_from_path(out);
    if (of == CT_FMT_LOG && !o.line_fmt) o.line_fmt = gb_disasm_line_fmt;
    /* A .perfetto-trace names instructions and PPU modes, in hex. */
    o.look = &gb_look;
    int rc = to_stdout ? write_stdout(t, &o) : ct_trace_write(t, out, &o);
    ct_trace_free(t);
    if (rc != 0) {
        fprintf(stderr, "ceres trace convert: cannot write %s: %s\n", out, strerror(-rc));
        return 2;
    }
    return 0;
}

/* ---- reading any trace --------------------------------------------------- */

/* Any trace Ceres writes (.ctrace, .perfetto-trace, .json, .log) or a
 * Gameboy Doctor log: trace_load.c. */
static int load_any(const char *path, ct_trace **t, char *err, size_t errlen) {
    return cli_trace_load(path, t, err, errlen);
}

/* Whether a trace is the emulator's (shown in T-cycles, with frames and
 * disassembly) or another program's (shown in its own clock and generic
 * lines). A .ctrace names its schema; a .perfetto-trace, .json or .log does
 * not, so one counts as the emulator's when every event recorded in it is
 * one of gb's. */
static bool is_gb_trace(const ct_trace *t) {
    const char *n = t->schema.name ? t->schema.name : "";
    if (!strcmp(n, "gb") || !strcmp(n, "gameboy-doctor")) return true;
    /* Read back from a format without the schema's name: by its events. */
    bool rebuilt = !strcmp(n, "perfetto") || !strcmp(n, "json") || !strcmp(n, "log");
    if (!rebuilt || t->nev == 0) return false;
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

/* ---- cat ---------------------------------------------------------------- */

static void cat_usage(FILE *f) {
    fputs("usage: ceres trace cat TRACE [--filter SPEC] [--from CYCLE] [--to CYCLE]\n"
          "                       [--grep TEXT]\n"
          "\n"
          "Print TRACE (any trace Ceres writes: .ctrace, .perfetto-trace, .json, .log;\n"
          "or a Gameboy Doctor log) as text, one\n"
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
    static const char *const prog = "ceres trace cat";
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},       {"filter", required_argument, NULL, 'f'},
        {"grep", required_argument, NULL, 'g'}, {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},   {NULL, 0, NULL, 0},
    };
    const char *path = NULL, *filter = NULL;
    ct_view_opts v = {.to = UINT64_MAX, .out_hz = GB_CLOCK_HZ, .line_fmt = gb_cat_fmt};
    bool first = true;
    int c;
    while ((c = cli_getopt(prog, argc, argv, ":h", longs, &first)) != -1) {
        switch (c) {
        case 'h': cat_usage(stdout); return 0;
        case 'f': filter = optarg; break;
        case 'g': v.grep = optarg; break;
        case 'F':
        case 'T':
            if (!parse_u64(optarg, c == 'F' ? &v.from : &v.to)) {
                fprintf(stderr, "%s: %s wants a cycle number, got '%s'\n", prog,
                        c == 'F' ? "--from" : "--to", optarg);
                return 2;
            }
            break;
        default: cat_usage(stderr); return 2;
        }
    }
    if (optind < argc) path = argv[optind];
    if (optind + 1 < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind + 1]);
        return 2;
    }
    if (!path) {
        cat_usage(stderr);
        return 2;
    }
    if (cli_check_input(prog, "TRACE", path)) return 2;
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

static void stats_usage(FILE *f) {
    fputs("usage: ceres trace stats TRACE\n"
          "\n"
          "Events per target and name, the time span in T-cycles and frames (another\n"
          "program's trace: in its own clock, as its schema names it), the\n"
          "ring's size and how many events were overwritten or dropped, and the\n"
          "triggers that fired (their trace.mark events).\n",
          f);
}

static int cmd_stats(int argc, char **argv) {
    static const char *const prog = "ceres trace stats";
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *path = NULL;
    bool first = true;
    int c;
    while ((c = cli_getopt(prog, argc, argv, ":h", longs, &first)) != -1) {
        if (c == 'h') {
            stats_usage(stdout);
            return 0;
        }
        return 2;
    }
    if (optind < argc) path = argv[optind];
    if (optind + 1 < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind + 1]);
        return 2;
    }
    if (!path) {
        stats_usage(stderr);
        return 2;
    }
    if (cli_check_input(prog, "TRACE", path)) return 2;
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
    size_t n;
    return ct_read_head(path, head, sizeof head - 1, &n) == 0 && gb_doctor_sniff(head, n);
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
        memcpy(l->text, buf, n + 1); /* n < sizeof l->text, checked above */
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
          "the fields that differ. A and B are traces Ceres wrote (.ctrace,\n"
          ".perfetto-trace, .json, .log) or Gameboy Doctor logs (e.g. from `ceres run\n"
          "--doctor-log` or another emulator). A .log's disassembled cpu.exec lines\n"
          "show only the instruction's own bytes: op1 and op2 past it read back as 0.\n"
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
    static const char *const prog = "ceres trace diff";
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {"filter", required_argument, NULL, 'f'},
        {"context", required_argument, NULL, 'C'},
        {"align", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *pa = NULL, *pb = NULL;
    ct_diff_opts o = {.context = 5, .view = {.out_hz = GB_CLOCK_HZ, .line_fmt = gb_cat_fmt}};
    bool first = true;
    int c;
    uint64_t n;
    while ((c = cli_getopt(prog, argc, argv, ":h", longs, &first)) != -1) {
        switch (c) {
        case 'h': diff_usage(stdout); return 0;
        case 'f': o.filter = optarg; break;
        case 'C':
            if (!parse_u64(optarg, &n) || n > 100000) {
                fprintf(stderr, "%s: --context wants a count, got '%s'\n", prog, optarg);
                return 2;
            }
            o.context = (unsigned)n;
            break;
        case 'a':
            if (!strcmp(optarg, "cycles"))
                o.align = CT_ALIGN_CYCLES;
            else if (!strcmp(optarg, "order"))
                o.align = CT_ALIGN_ORDER;
            else {
                fprintf(stderr, "%s: --align cycles or --align order\n", prog);
                return 2;
            }
            break;
        default: diff_usage(stderr); return 2;
        }
    }
    if (optind < argc) pa = argv[optind];
    if (optind + 1 < argc) pb = argv[optind + 1];
    if (optind + 2 < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind + 2]);
        return 2;
    }
    if (!pa || !pb) {
        diff_usage(stderr);
        return 2;
    }
    if (cli_check_input(prog, "A", pa) || cli_check_input(prog, "B", pb)) return 2;
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
