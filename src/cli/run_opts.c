/* `ceres run`'s options: their help text, one parser, the checks of the
 * combination and of the files named, and --list-events. */
#include "run_opts.h"

#include "../debug/disasm.h"
#include "../gb/gb_events.h"
#include "../runner/runner.h"

#include <stdlib.h>
#include <string.h>

void run_opts_help(FILE *f) {
    fputs("length (one of --frames N, --cycles N, --seconds S; default 10 emulated s):\n"
          "  --frames N            run N frames (N x 70224 T-cycles)\n"
          "  --cycles N            run N T-cycles\n"
          "  --seconds S           run S emulated seconds\n"
          "  --until-ld-b-b        stop early at the LD B,B breakpoint (test ROMs)\n"
          "  --frames X..Y         record only frames X to Y (and run to the end of Y)\n"
          "  --cycles X..Y         record only T-cycles X to Y, exactly (and run to Y)\n"
          "                        An open window X.. records from X to the end of the\n"
          "                        run: the length given, else the default 10 s.\n"
          "triggers (EXPR e.g. pc==0x0150, pc==0x4000 && bank==2, write(0xFF46),\n"
          "write(0xC000..0xDFFF) && value==0x42, read(0xFF44), irq(vblank),\n"
          "event(dma.start) && src==0xC000, cycle>=1000000, frame==60, ly==144):\n"
          "  --trace-start EXPR    record nothing until EXPR first holds (--pre N keeps\n"
          "                        N events of history before it)\n"
          "  --trace-stop EXPR     stop recording when EXPR holds, freezing the ring\n"
          "                        (--post N, Nev or Nc: N more events or T-cycles first)\n"
          "  --trace-dump-on EXPR  write a numbered snapshot of the ring (named after\n"
          "                        --trace-out) each time EXPR holds (--max-dumps K)\n"
          "  --mark EXPR           put a trace.mark event in the trace when EXPR holds\n"
          "                        (--start-at, --stop-at, --stop-after, --dump-at are\n"
          "                        accepted as older spellings)\n"
          "output and recording:\n"
          "  --screenshot FILE.png write the last frame (160x144, 4 grays)\n"
          "  --boot-rom FILE       start from a 256-byte DMG boot ROM\n"
          "  --trace FILTER        events to record (env CERES_TRACE; default\n"
          "                        " GB_DEFAULT_FILTER ")\n"
          "  --trace-buffer SIZE   ring memory, used all but a few bytes, never more:\n"
          "                        4M (default), 512K, 200000ev (one ring); 0 = off. A\n"
          "                        size is split into rings by class, merged at dump,\n"
          "                        so instructions cannot evict rare events: an eighth\n"
          "                        for interrupts, IO writes, DMA, banks, timer,\n"
          "                        serial and a state snapshot at each frame start,\n"
          "                        an eighth for PPU modes, LY, IO reads, DMA bytes,\n"
          "                        the rest for instructions and bus accesses.\n"
          "                        all=4M: one ring. Your own rings: e.g.\n"
          "                        debug=512K,rest=3584K (each names targets, events\n"
          "                        or levels joined by +, e.g. debug: the events at\n"
          "                        debug level and above; rest: the others)\n"
          "  --trace-out FILE      dump the ring at the end (.perfetto-trace, .json,\n"
          "                        .log, .ctrace)\n"
          "  --trace-format F      perfetto | json | log | ctrace (else from the extension)\n"
          "  --raw-cycles          time stamps in T-cycles instead of ns of emulated time,\n"
          "                        in every format: .log lines start with the T-cycle\n"
          "                        (else the ns; its first line says which), a\n"
          "                        .perfetto-trace's clock counts T-cycles and says so\n"
          "                        (a viewer shows them as 238 ns each)\n"
          "  --stream-json FILE    stream every recorded event to a Chrome JSON file as it\n"
          "                        happens (the old way, for comparison)\n"
          "  --crash-dump FILE     where a crash or Ctrl-C writes the ring as .ctrace\n"
          "                        (default FILE.crash.ctrace from --trace-out, else\n"
          "                        out/ROMNAME.crash.ctrace); created only then, never\n"
          "                        over an existing file (FILE-1.ctrace, ... instead)\n"
          "  --doctor-log FILE     one line per executed instruction, the state before it,\n"
          "                        in Gameboy Doctor format (A:01 F:B0 ... PC:0100\n"
          "                        PCMEM:00,C3,13,02); LY reads $90 in this mode; an\n"
          "                        interrupt prints the interrupted instruction's line\n"
          "                        before the handler's, as Doctor's reference logs do;\n"
          "                        needs a run length (--frames, --cycles, --seconds)\n"
          "  --list-events         list every event (target.name, level, fields) and exit\n"
          "buttons (a frame is 70224 T-cycles from power-on; its buttons change at a\n"
          "fixed pseudo-random point inside it, as a hand's press would):\n"
          "  --input SCRIPT        scripted presses: FRAME:BUTTONS (a 5-frame tap),\n"
          "                        FRAME:BUTTONS*N (held N frames), FRAME:+BUTTONS (hold),\n"
          "                        FRAME:-BUTTONS (release), FRAME:none; buttons a b start\n"
          "                        select up down left right joined by +; items separated\n"
          "                        by commas or blanks, # comments; @FILE reads a file.\n"
          "                        E.g. '60:start, 120:a*10, 200:+right, 260:-right'\n"
          "  --record-input FILE   write every frame's buttons to an input movie (with a\n"
          "                        hash of the screen every 30 frames)\n"
          "  --play-input FILE     replay an input movie; the first frame whose screen\n"
          "                        differs is reported with its T-cycle (exit 1)\n"
          "  --desync-dump FILE    write the ring there when the movie's screen differs\n"
          "Output files are checked before the run starts: a missing folder, a folder\n"
          "given as a file or an output that cannot go to stdout (-) is an error.\n",
          f);
}

enum {
    O_FRAMES = 256,
    O_CYCLES,
    O_SECONDS,
    O_UNTIL,
    O_START,
    O_STOP,
    O_DUMP_ON,
    O_MARK,
    O_START_AT,
    O_STOP_AT,
    O_DUMP_AT,
    O_PRE,
    O_POST,
    O_STOP_AFTER,
    O_MAX_DUMPS,
    O_SHOT,
    O_BOOT,
    O_TRACE,
    O_BUFFER,
    O_OUT,
    O_FORMAT,
    O_RAW,
    O_STREAM,
    O_CRASH,
    O_DOCTOR,
    O_LIST_EVENTS,
    O_INPUT,
    O_PLAY_INPUT,
    O_RECORD_INPUT,
    O_DESYNC_DUMP,
};

static const struct option run_longs[] = {
    {"help", no_argument, NULL, 'h'},
    {"frames", required_argument, NULL, O_FRAMES},
    {"cycles", required_argument, NULL, O_CYCLES},
    {"seconds", required_argument, NULL, O_SECONDS},
    {"until-ld-b-b", no_argument, NULL, O_UNTIL},
    {"trace-start", required_argument, NULL, O_START},
    {"trace-stop", required_argument, NULL, O_STOP},
    {"trace-dump-on", required_argument, NULL, O_DUMP_ON},
    {"mark", required_argument, NULL, O_MARK},
    {"start-at", required_argument, NULL, O_START_AT},
    {"stop-at", required_argument, NULL, O_STOP_AT},
    {"dump-at", required_argument, NULL, O_DUMP_AT},
    {"pre", required_argument, NULL, O_PRE},
    {"post", required_argument, NULL, O_POST},
    {"stop-after", required_argument, NULL, O_STOP_AFTER},
    {"max-dumps", required_argument, NULL, O_MAX_DUMPS},
    {"screenshot", required_argument, NULL, O_SHOT},
    {"boot-rom", required_argument, NULL, O_BOOT},
    {"trace", required_argument, NULL, O_TRACE},
    {"trace-buffer", required_argument, NULL, O_BUFFER},
    {"trace-out", required_argument, NULL, O_OUT},
    {"trace-format", required_argument, NULL, O_FORMAT},
    {"raw-cycles", no_argument, NULL, O_RAW},
    {"stream-json", required_argument, NULL, O_STREAM},
    {"crash-dump", required_argument, NULL, O_CRASH},
    {"doctor-log", required_argument, NULL, O_DOCTOR},
    {"list-events", no_argument, NULL, O_LIST_EVENTS},
    {"input", required_argument, NULL, O_INPUT},
    {"play-input", required_argument, NULL, O_PLAY_INPUT},
    {"record-input", required_argument, NULL, O_RECORD_INPUT},
    {"desync-dump", required_argument, NULL, O_DESYNC_DUMP},
};
#define N_RUN_LONGS (sizeof run_longs / sizeof *run_longs)

static gb_trig_action trigger_action(int code) {
    switch (code) {
    case O_START:
    case O_START_AT: return GB_TRIG_START;
    case O_STOP:
    case O_STOP_AT: return GB_TRIG_STOP;
    case O_DUMP_ON:
    case O_DUMP_AT: return GB_TRIG_DUMP;
    default: return GB_TRIG_MARK;
    }
}

/* --post / --stop-after: N or Nev events, Nc or Ncycles T-cycles. */
static int parse_post(run_opts *o, const char *v) {
    char num[32];
    size_t l = strlen(v), unit = 0;
    if (l > 6 && !strcmp(v + l - 6, "cycles"))
        unit = 6;
    else if (l > 2 && !strcmp(v + l - 2, "ev"))
        unit = 2;
    else if (l > 1 && v[l - 1] == 'c')
        unit = 1;
    o->stop_after_cycles = unit == 6 || unit == 1;
    snprintf(num, sizeof num, "%.*s", (int)(l - unit), v);
    return l >= sizeof num || cli_parse_u64(num, &o->stop_after) ? -1 : 0;
}

/* One option of run's own; 0, or 2 after a message. */
static int take_option(run_opts *o, const char *prog, int c, const char *name, const char *v) {
    uint64_t n;
    switch (c) {
    case O_FRAMES:
    case O_CYCLES:
        if (strstr(v, "..")) {
            uint64_t lo, hi;
            if (gb_trig_parse_range(v, &lo, &hi) || hi < lo) {
                fprintf(stderr, "%s: --%s wants N or a window X..Y, not '%s'\n", prog, name, v);
                return 2;
            }
            if (c == O_FRAMES) {
                o->win_frames = true;
                o->wf_lo = lo;
                o->wf_hi = hi;
            } else {
                o->win_cycles = true;
                o->wc_lo = lo;
                o->wc_hi = hi;
            }
            return 0;
        }
        if (cli_parse_u64(v, &n) || n == 0 || n > (1ull << 50)) {
            fprintf(stderr, "%s: --%s wants a positive number, not '%s'\n", prog, name, v);
            return 2;
        }
        o->limit = c == O_FRAMES ? n * RN_CYCLES_PER_FRAME : n;
        o->nlimits++;
        return 0;
    case O_SECONDS: {
        double s;
        if (cli_parse_seconds(v, &s) || s > 1e6) {
            fprintf(stderr, "%s: --seconds wants a positive number, not '%s'\n", prog, v);
            return 2;
        }
        o->limit = (uint64_t)(s * RN_CYCLES_PER_SEC);
        if (!o->limit) o->limit = 1;
        o->nlimits++;
        return 0;
    }
    case O_START:
    case O_STOP:
    case O_DUMP_ON:
    case O_MARK:
    case O_START_AT:
    case O_STOP_AT:
    case O_DUMP_AT:
        if (o->ntrig == GB_TRIG_MAX) {
            fprintf(stderr, "%s: at most %d triggers\n", prog, GB_TRIG_MAX);
            return 2;
        }
        o->trig_expr[o->ntrig] = v;
        o->trig_act[o->ntrig++] = trigger_action(c);
        return 0;
    case O_PRE:
    case O_MAX_DUMPS:
        if (cli_parse_u64(v, &n)) {
            fprintf(stderr, "%s: --%s wants a number, not '%s'\n", prog, name, v);
            return 2;
        }
        if (c == O_PRE)
            o->pre = n;
        else
            o->max_dumps = n > 1000000 ? 1000000 : (unsigned)n;
        return 0;
    case O_POST:
    case O_STOP_AFTER:
        if (parse_post(o, v)) {
            fprintf(stderr, "%s: --%s wants N (events), Nev or Nc (T-cycles), not '%s'\n", prog,
                    name, v);
            return 2;
        }
        return 0;
    case O_UNTIL: o->until_ldbb = true; return 0;
    case O_SHOT: o->shot = v; return 0;
    case O_BOOT: o->boot_path = v; return 0;
    case O_TRACE: o->filter = v; return 0;
    case O_BUFFER: o->buf_spec = v; return 0;
    case O_OUT: o->trace_out = v; return 0;
    case O_FORMAT: o->fmt_name = v; return 0;
    case O_RAW: o->raw = true; return 0;
    case O_STREAM: o->stream = v; return 0;
    case O_CRASH: o->crash_path = v; return 0;
    case O_DOCTOR: o->doctor_path = v; return 0;
    case O_LIST_EVENTS: o->list_events = true; return 0;
    case O_INPUT: o->input = v; return 0;
    case O_PLAY_INPUT: o->play_input = v; return 0;
    case O_RECORD_INPUT: o->record_input = v; return 0;
    case O_DESYNC_DUMP: o->desync_dump = v; return 0;
    }
    return 2;
}

/* The combination of options, once all are read; 0 or 2. */
static int check_combination(run_opts *o, const char *prog) {
    char err[512];
    if (o->nlimits > 1) {
        fprintf(stderr, "%s: give one of --frames, --cycles, --seconds\n", prog);
        return 2;
    }
    if (strchr(o->buf_spec, '=')) {
        /* Rings by data class (cpu=4M,rest=1M) or all=SIZE: checked by
         * making them. */
        ct_recorder *r = rn_recorder_create(&gb_schema, o->buf_spec, err, sizeof err);
        if (!r) {
            fprintf(stderr, "%s: --trace-buffer: %s\n", prog, err);
            return 2;
        }
        o->ring_bytes = ct_recorder_bytes(r);
        o->ring_events = 0;
        ct_recorder_destroy(r);
    } else if (ct_parse_size(o->buf_spec, &o->ring_bytes, &o->ring_events, err, sizeof err)) {
        fprintf(stderr, "%s: --trace-buffer: %s\n", prog, err);
        return 2;
    }
    o->recording = o->ring_bytes || o->ring_events;
    o->triggers = o->ntrig || o->win_frames;
    if ((o->triggers || o->win_cycles) && !o->recording) {
        fprintf(stderr, "%s: windows and triggers need a ring (--trace-buffer is 0)\n", prog);
        return 2;
    }
    /* A window without a run length runs to the window's end; an open
     * window (X..) runs the default length. */
    if (!o->nlimits && o->win_cycles && o->wc_hi != UINT64_MAX)
        o->limit = o->wc_hi + 1;
    else if (!o->nlimits && o->win_frames && o->wf_hi != UINT64_MAX)
        o->limit = UINT64_MAX; /* ends after the window's last frame */
    if ((o->trace_out || o->desync_dump) && !o->recording) {
        fprintf(stderr, "%s: --%s needs a ring (--trace-buffer is 0)\n", prog,
                o->trace_out ? "trace-out" : "desync-dump");
        return 2;
    }
    if ((o->input || o->play_input || o->record_input) && o->doctor_path) {
        fprintf(stderr,
                "%s: --doctor-log does not go with --input, --play-input, "
                "--record-input\n",
                prog);
        return 2;
    }
    if (o->doctor_path && !o->nlimits && !(o->win_cycles && o->wc_hi != UINT64_MAX) &&
        !(o->win_frames && o->wf_hi != UINT64_MAX)) {
        fprintf(stderr,
                "%s: --doctor-log needs a run length (--frames, --cycles, --seconds): a line "
                "per instruction is about 350 MB for the default 10 s\n",
                prog);
        return 2;
    }
    /* Text logs show instructions disassembled, with the registers. */
    o->dump = (ct_dump_opts){.format = CT_FMT_AUTO,
                             .raw_cycles = o->raw,
                             .line_fmt = gb_disasm_line_fmt,
                             .look = &gb_look};
    if (o->fmt_name && ct_format_parse(o->fmt_name, &o->dump.format)) {
        fprintf(stderr, "%s: --trace-format: unknown format '%s' (perfetto, json, log, ctrace)\n",
                prog, o->fmt_name);
        return 2;
    }
    if (o->trace_out && o->dump.format == CT_FMT_AUTO) {
        o->dump.format = ct_format_from_path(o->trace_out);
        if (o->dump.format == CT_FMT_AUTO) {
            fprintf(stderr,
                    "%s: --trace-out %s: unknown extension (.perfetto-trace, .json, .log, "
                    ".ctrace), or give --trace-format\n",
                    prog, o->trace_out);
            return 2;
        }
    }
    return 0;
}

/* The files named, before the run: inputs readable, outputs writable. */
static int check_files(const run_opts *o, const char *prog) {
    if (cli_check_input(prog, "ROM", o->rom_path)) return 2;
    if (o->boot_path && cli_check_input(prog, "--boot-rom", o->boot_path)) return 2;
    if (o->play_input && cli_check_input(prog, "--play-input", o->play_input)) return 2;
    /* --crash-dump is checked when the run starts: a warning, and the run
     * goes on without one (crash.c). */
    const struct {
        const char *opt, *path;
    } outs[] = {
        {"--trace-out", o->trace_out},       {"--screenshot", o->shot},
        {"--stream-json", o->stream},        {"--doctor-log", o->doctor_path},
        {"--record-input", o->record_input}, {"--desync-dump", o->desync_dump},
    };
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        if (outs[i].path && cli_check_output(prog, outs[i].opt, outs[i].path, 0)) return 2;
    return 0;
}

int run_opts_parse(run_opts *o, int argc, char **argv, const run_opts_ext *ext) {
    memset(o, 0, sizeof *o);
    o->limit = 10ull * RN_CYCLES_PER_SEC;
    o->buf_spec = "4M";
    o->filter = getenv("CERES_TRACE");
    if (o->filter && !*o->filter) o->filter = NULL;

    const char *prog = ext && ext->prog ? ext->prog : "ceres run";
    /* run's options, then the extension's. */
    size_t nextra = 0;
    while (ext && ext->longs && ext->longs[nextra].name)
        nextra++;
    struct option *longs = calloc(N_RUN_LONGS + nextra + 1, sizeof *longs);
    char shorts[64];
    snprintf(shorts, sizeof shorts, ":h%s", ext && ext->shorts ? ext->shorts : "");
    if (!longs) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    memcpy(longs, run_longs, sizeof run_longs);
    if (nextra) memcpy(longs + N_RUN_LONGS, ext->longs, nextra * sizeof *longs);

    int rc = -1, c;
    bool first = true;
    while (rc < 0 && (c = cli_getopt(prog, argc, argv, shorts, longs, &first)) != -1) {
        /* The long name, for messages: the option just read. */
        const char *name = "";
        for (size_t k = 0; k < N_RUN_LONGS; k++)
            if (run_longs[k].val == c) name = run_longs[k].name;
        if (c == '?') {
            rc = 2;
        } else if (c == 'h') {
            if (ext && ext->usage)
                ext->usage(stdout);
            else
                fputs("usage: ceres run ROM [options]\n", stdout);
            rc = 0;
        } else if (c >= 256 && c < RUN_OPT_EXTRA) {
            int e = take_option(o, prog, c, name, optarg);
            if (e) rc = e;
        } else if (ext && ext->on_option) {
            int e = ext->on_option(ext->ctx, c, optarg);
            if (e) rc = e;
        } else {
            rc = 2;
        }
    }
    free(longs);
    if (rc >= 0) return rc;
    if (o->list_events) {
        run_list_events(stdout);
        return 0;
    }
    if (optind < argc) o->rom_path = argv[optind];
    if (optind + 1 < argc) {
        fprintf(stderr, "%s: one ROM at a time ('%s' and '%s')\n", prog, argv[optind],
                argv[optind + 1]);
        return 2;
    }
    if (!o->rom_path) {
        if (ext && ext->usage) ext->usage(stderr);
        return 2;
    }
    if (check_files(o, prog)) return 2;
    if (check_combination(o, prog)) return 2;
    return -1;
}

void run_list_events(FILE *f) {
    static const char *const level[] = {"off", "error", "warn", "info", "debug", "trace"};
    static const char *const kind[] = {"instant", "begin", "end", "counter", "step"};
    static const char *const type[] = {"u8", "u16", "u32", "u64", "i32", "bool", "str"};
    fprintf(f, "%-24s %-6s %-8s fields\n", "event", "level", "kind");
    for (uint32_t i = 0; i < gb_schema.nevents; i++) {
        const ct_event_desc *d = &gb_schema.events[i];
        char name[64];
        snprintf(name, sizeof name, "%s.%s", d->target, d->name);
        fprintf(f, "%-24s %-6s %-8s", name, d->level < 6 ? level[d->level] : "?",
                d->kind < 5 ? kind[d->kind] : "?");
        for (unsigned k = 0; k < d->nfields; k++)
            fprintf(f, "%s%s:%s", k ? ", " : " ", d->fields[k].name,
                    d->fields[k].type < 7 ? type[d->fields[k].type] : "?");
        fputc('\n', f);
    }
    fprintf(f,
            "(filter: --trace TARGET=LEVEL,TARGET.EVENT=LEVEL; default " GB_DEFAULT_FILTER ")\n");
}
