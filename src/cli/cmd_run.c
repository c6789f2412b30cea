/* ceres run: run one ROM headless for a number of frames, cycles or
 * emulated seconds, with a screenshot, the flight recorder (dumped at the
 * end) or the old streaming JSON output; prints the serial output. */
#include "cli.h"

#include "../gb/doctor.h"
#include "../gb/disasm.h"
#include "../gb/gb_events.h"
#include "../gb/trigger.h"
#include "../runner/runner.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fputs("usage: ceres run ROM [options]\n"
          "\n"
          "Run a ROM headless. Time is emulated: 1 s = 4194304 T-cycles, a frame is\n"
          "70224 T-cycles.\n"
          "\n"
          "length:\n"
          "  --frames N            run N frames\n"
          "  --cycles N            run N T-cycles\n"
          "  --seconds S           run S emulated seconds (default 10)\n"
          "  --until-ld-b-b        stop early at the LD B,B breakpoint (test ROMs)\n"
          "  --frames X..Y         record only frames X to Y (and run to the end of Y)\n"
          "  --cycles X..Y         record only T-cycles X to Y, exactly (and run to Y)\n"
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
          "  --trace-buffer SIZE   ring size: 4M (default), 512K, 200000ev; 0 = off\n"
          "  --trace-out FILE      dump the ring at the end (.perfetto-trace, .json,\n"
          "                        .log, .ctrace)\n"
          "  --trace-format F      perfetto | json | log | ctrace (else from the extension)\n"
          "  --raw-cycles          timestamps in T-cycles instead of nanoseconds\n"
          "  --stream-json FILE    stream every recorded event to a Chrome JSON file as it\n"
          "                        happens (the old way, for comparison)\n"
          "  --crash-dump FILE     where a crash or Ctrl-C writes the ring as .ctrace\n"
          "                        (default FILE.crash.ctrace from --trace-out, else\n"
          "                        out/ROMNAME.crash.ctrace)\n"
          "  --doctor-log FILE     one line per executed instruction, the state before it,\n"
          "                        in Gameboy Doctor format (A:01 F:B0 ... PC:0100\n"
          "                        PCMEM:00,C3,13,02); LY reads $90 in this mode\n"
          "\n"
          "Prints the serial output, if any, to stdout and a summary to stderr. A crash\n"
          "(SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) writes the ring to the --crash-dump\n"
          "file, says so on stderr and dies of the same signal. SIGINT/SIGTERM (Ctrl-C)\n"
          "write it the same way, stop the run, still write --trace-out and exit 0; a\n"
          "second one exits at once.\n",
          f);
}

/* Signals. A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) writes the
 * ring as .ctrace to the --crash-dump file, opened before the run, with
 * write(2) only (ct_dump_ctrace_fd: no malloc, no stdio), prints its path
 * and re-raises, so the exit status stays honest. The first SIGINT/SIGTERM
 * writes the same file, then asks the machine to stop (the run loop also
 * polls `interrupts` between slices), so the run ends normally, --trace-out
 * is written as usual and the exit is clean; a second one re-raises at once.
 * A dump that fails is unlinked: no partial file. A handler can only reach
 * its state through a static. */
static struct {
    gb *volatile g;
    ct_recorder *volatile rec;
    int fd;
    volatile sig_atomic_t interrupts, dumped;
    char path[4200];
} sig = {NULL, NULL, -1, 0, 0, ""};

static void say(const char *m) {
    ssize_t w = write(2, m, strlen(m));
    (void)w;
}

static const char *sig_name(int s) {
    switch (s) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
    }
}

static void crash_dump(int s) {
    if (!sig.rec || sig.fd < 0 || sig.dumped) return;
    sig.dumped = 1;
    say("ceres run: ");
    say(sig_name(s));
    if (ct_dump_ctrace_fd(sig.rec, sig.fd) == 0) {
        say(": flight recorder written to ");
        say(sig.path);
        say("\n");
    } else {
        unlink(sig.path);
        say(": could not write the flight recorder to ");
        say(sig.path);
        say("\n");
    }
}

static void on_crash(int s) {
    crash_dump(s);
    signal(s, SIG_DFL);
    raise(s);
}

static void on_interrupt(int s) {
    if (sig.interrupts++ == 0) {
        crash_dump(s);
        if (sig.g) gb_request_stop(sig.g);
        return;
    }
    signal(s, SIG_DFL);
    raise(s);
}

static void install(void (*fn)(int), const int *sigs, size_t n) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    for (size_t i = 0; i < n; i++)
        sigaction(sigs[i], &sa, NULL);
}

static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static const int stop_sigs[] = {SIGINT, SIGTERM};

/* Options that take a value. */
static const char *const with_value[] = {
    "--frames",      "--cycles",       "--seconds",       "--screenshot",   "--boot-rom",
    "--trace",       "--trace-buffer", "--trace-out",     "--trace-format", "--stream-json",
    "--trace-start", "--trace-stop",   "--trace-dump-on", "--post",         "--start-at",
    "--stop-at",     "--dump-at",      "--mark",          "--pre",          "--stop-after",
    "--max-dumps",   "--doctor-log",   "--crash-dump",
};

/* The trigger options and their actions; -1 for any other option. */
static int trigger_action(const char *opt) {
    static const struct {
        const char *name;
        gb_trig_action act;
    } opts[] = {
        {"--trace-start", GB_TRIG_START},  {"--trace-stop", GB_TRIG_STOP},
        {"--trace-dump-on", GB_TRIG_DUMP}, {"--mark", GB_TRIG_MARK},
        {"--start-at", GB_TRIG_START},     {"--stop-at", GB_TRIG_STOP},
        {"--dump-at", GB_TRIG_DUMP},
    };
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (!strcmp(opt, opts[i].name)) return (int)opts[i].act;
    return -1;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *e;
    errno = 0;
    if (!s || s[0] == '-' || !s[0]) return -1;
    unsigned long long v = strtoull(s, &e, 0);
    if (errno || *e) return -1;
    *out = v;
    return 0;
}

int cmd_run(int argc, char **argv) {
    const char *rom_path = NULL, *shot = NULL, *boot_path = NULL, *filter = getenv("CERES_TRACE");
    const char *buf_spec = "4M", *trace_out = NULL, *fmt_name = NULL, *stream = NULL;
    const char *doctor_path = NULL, *crash_opt = NULL;
    FILE *doctor = NULL;
    bool raw = false, until_ldbb = false;
    uint64_t limit = 10ull * RN_CYCLES_PER_SEC;
    int nlimits = 0;
    /* Windows and triggers. */
    bool win_frames = false, win_cycles = false, stop_after_cycles = false;
    uint64_t wf_lo = 0, wf_hi = 0, wc_lo = 0, wc_hi = 0, pre = 0, stop_after = 0;
    unsigned max_dumps = 0, ntrig = 0;
    const char *trig_expr[GB_TRIG_MAX];
    gb_trig_action trig_act[GB_TRIG_MAX];
    gb_trig_set *trig = NULL;
    if (filter && !*filter) filter = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = false;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            takes |= !strcmp(a, with_value[k]);
        if (takes) {
            if (!v) {
                fprintf(stderr, "ceres run: %s needs a value\n", a);
                return 2;
            }
            i++;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(a, "--frames") || !strcmp(a, "--cycles")) && strstr(v, "..")) {
            uint64_t lo, hi;
            if (gb_trig_parse_range(v, &lo, &hi) || hi < lo) {
                fprintf(stderr, "ceres run: %s wants N or a window X..Y, not '%s'\n", a, v);
                return 2;
            }
            if (a[2] == 'f') {
                win_frames = true;
                wf_lo = lo;
                wf_hi = hi;
            } else {
                win_cycles = true;
                wc_lo = lo;
                wc_hi = hi;
            }
        } else if (trigger_action(a) >= 0) {
            if (ntrig == GB_TRIG_MAX) {
                fprintf(stderr, "ceres run: at most %d triggers\n", GB_TRIG_MAX);
                return 2;
            }
            trig_expr[ntrig] = v;
            trig_act[ntrig++] = (gb_trig_action)trigger_action(a);
        } else if (!strcmp(a, "--pre") || !strcmp(a, "--max-dumps")) {
            uint64_t n;
            if (parse_u64(v, &n)) {
                fprintf(stderr, "ceres run: %s wants a number, not '%s'\n", a, v);
                return 2;
            }
            if (a[2] == 'p')
                pre = n;
            else
                max_dumps = n > 1000000 ? 1000000 : (unsigned)n;
        } else if (!strcmp(a, "--post") || !strcmp(a, "--stop-after")) {
            /* N or Nev: events; Nc or Ncycles: T-cycles. */
            char num[32];
            size_t l = strlen(v), unit = 0;
            if (l > 6 && !strcmp(v + l - 6, "cycles"))
                unit = 6;
            else if (l > 2 && !strcmp(v + l - 2, "ev"))
                unit = 2;
            else if (l > 1 && v[l - 1] == 'c')
                unit = 1;
            stop_after_cycles = unit == 6 || unit == 1;
            snprintf(num, sizeof num, "%.*s", (int)(l - unit), v);
            if (l >= sizeof num || parse_u64(num, &stop_after)) {
                fprintf(stderr, "ceres run: %s wants N (events), Nev or Nc (T-cycles), not '%s'\n",
                        a, v);
                return 2;
            }
        } else if (!strcmp(a, "--frames") || !strcmp(a, "--cycles")) {
            uint64_t n;
            if (parse_u64(v, &n) || n == 0 || n > (1ull << 50)) {
                fprintf(stderr, "ceres run: %s wants a positive number, not '%s'\n", a, v);
                return 2;
            }
            limit = a[2] == 'f' ? n * RN_CYCLES_PER_FRAME : n;
            nlimits++;
        } else if (!strcmp(a, "--seconds")) {
            char *e;
            double s = strtod(v, &e);
            if (*e || !(s > 0) || s > 1e6) {
                fprintf(stderr, "ceres run: --seconds wants a positive number, not '%s'\n", v);
                return 2;
            }
            limit = (uint64_t)(s * RN_CYCLES_PER_SEC);
            if (!limit) limit = 1;
            nlimits++;
        } else if (!strcmp(a, "--screenshot")) {
            shot = v;
        } else if (!strcmp(a, "--boot-rom")) {
            boot_path = v;
        } else if (!strcmp(a, "--trace")) {
            filter = v;
        } else if (!strcmp(a, "--trace-buffer")) {
            buf_spec = v;
        } else if (!strcmp(a, "--trace-out")) {
            trace_out = v;
        } else if (!strcmp(a, "--trace-format")) {
            fmt_name = v;
        } else if (!strcmp(a, "--stream-json")) {
            stream = v;
        } else if (!strcmp(a, "--doctor-log")) {
            doctor_path = v;
        } else if (!strcmp(a, "--crash-dump")) {
            crash_opt = v;
        } else if (!strcmp(a, "--raw-cycles")) {
            raw = true;
        } else if (!strcmp(a, "--until-ld-b-b")) {
            until_ldbb = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ceres run: unknown option '%s' (see ceres run --help)\n", a);
            return 2;
        } else if (rom_path) {
            fprintf(stderr, "ceres run: one ROM at a time ('%s' and '%s')\n", rom_path, a);
            return 2;
        } else {
            rom_path = a;
        }
    }
    if (!rom_path) {
        usage(stderr);
        return 2;
    }
    if (nlimits > 1) {
        fprintf(stderr, "ceres run: give one of --frames, --cycles, --seconds\n");
        return 2;
    }
    char err[512];
    uint64_t bytes = 0, events = 0;
    if (ct_parse_size(buf_spec, &bytes, &events, err, sizeof err)) {
        fprintf(stderr, "ceres run: --trace-buffer: %s\n", err);
        return 2;
    }
    bool recording = bytes || events;
    bool triggers = ntrig || win_frames;
    if ((triggers || win_cycles) && !recording) {
        fprintf(stderr, "ceres run: windows and triggers need a ring (--trace-buffer is 0)\n");
        return 2;
    }
    /* A window without a run length runs to the window's end. */
    if (!nlimits && (win_frames || win_cycles)) {
        limit = UINT64_MAX;
        if (win_cycles) limit = wc_hi == UINT64_MAX ? limit : wc_hi + 1;
        if (win_frames && wf_hi == UINT64_MAX && !win_cycles) limit = 10ull * RN_CYCLES_PER_SEC;
    }
    if (trace_out && !recording) {
        fprintf(stderr, "ceres run: --trace-out needs a ring (--trace-buffer is 0)\n");
        return 2;
    }
    /* Text logs show instructions disassembled, with the registers. */
    ct_dump_opts dopts = {.format = CT_FMT_AUTO, .raw_cycles = raw, .line_fmt = gb_disasm_line_fmt};
    if (fmt_name && ct_format_parse(fmt_name, &dopts.format)) {
        fprintf(stderr,
                "ceres run: --trace-format: unknown format '%s' (perfetto, json, log, "
                "ctrace)\n",
                fmt_name);
        return 2;
    }
    if (trace_out && dopts.format == CT_FMT_AUTO) {
        dopts.format = ct_format_from_path(trace_out);
        if (dopts.format == CT_FMT_AUTO) {
            fprintf(stderr,
                    "ceres run: --trace-out %s: unknown extension (.perfetto-trace, .json, "
                    ".log, .ctrace), or give --trace-format\n",
                    trace_out);
            return 2;
        }
    }

    uint8_t *rom = NULL, *boot = NULL;
    size_t size = 0, boot_size = 0;
    int e = rn_read_rom(rom_path, &rom, &size, err, sizeof err);
    if (e) {
        fprintf(stderr, "ceres run: %s: %s\n", rom_path, err);
        return 2;
    }
    if (boot_path) {
        e = rn_read_file(boot_path, &boot, &boot_size);
        if (e || boot_size != 256) {
            fprintf(stderr, "ceres run: boot ROM %s: %s\n", boot_path,
                    e ? strerror(-e) : "must be exactly 256 bytes");
            free(rom);
            free(boot);
            return 2;
        }
    }
    gb_config cfg = {.model = GB_MODEL_DMG, .boot_rom = boot, .boot_rom_size = boot_size};
    gb *g = gb_create(rom, size, &cfg, err, sizeof err);
    free(rom);
    if (!g) {
        fprintf(stderr, "ceres run: %s: %s\n", rom_path, err);
        free(boot);
        return 2;
    }
    int rc = 0;
    ct_recorder *rec = NULL;
    if (doctor_path) {
        doctor = fopen(doctor_path, "w");
        if (!doctor) {
            fprintf(stderr, "ceres run: --doctor-log %s: %s\n", doctor_path, strerror(errno));
            rc = 2;
            goto out;
        }
        gb_set_doctor_mode(g, true);
    }
    if (recording || stream) {
        /* Streaming alone still needs a recorder for the filter; give it the
         * smallest ring. */
        rec = ct_recorder_create(&gb_schema, recording ? bytes : 65536, recording ? events : 0,
                                 CT_OVERWRITE, err, sizeof err);
        if (!rec) {
            fprintf(stderr, "ceres run: recorder: %s\n", err);
            rc = 2;
            goto out;
        }
        if (ct_filter_apply(rec, filter ? filter : GB_DEFAULT_FILTER, err, sizeof err)) {
            fprintf(stderr, "ceres run: bad trace filter:\n%s\n", err);
            rc = 2;
            goto out;
        }
        if (!recording) ct_recorder_pause(rec);
        if (win_cycles) ct_recorder_window(rec, wc_lo, wc_hi);
        if (stream && ct_stream_open(rec, stream, raw, err, sizeof err)) {
            fprintf(stderr, "ceres run: --stream-json %s: %s\n", stream, err);
            rc = 2;
            goto out;
        }
        gb_set_recorder(g, rec);
    }
    if (triggers) {
        trig = calloc(1, sizeof *trig);
        if (!trig) {
            fprintf(stderr, "ceres run: out of memory\n");
            rc = 2;
            goto out;
        }
        gb_trig_set_init(trig, rec);
        trig->pre = pre;
        snprintf(trig->dump_base, sizeof trig->dump_base, "%s",
                 trace_out ? trace_out : "trigger.perfetto-trace");
        trig->dump_opts = dopts;
        if (trig->dump_opts.format == CT_FMT_AUTO)
            trig->dump_opts.format = trace_out ? ct_format_from_path(trace_out) : CT_FMT_PERFETTO;
        for (unsigned i = 0; i < ntrig; i++) {
            if (gb_trig_add(trig, trig_expr[i], trig_act[i], err, sizeof err)) {
                fprintf(stderr, "ceres run: bad trigger:\n%s\n", err);
                rc = 2;
                goto out;
            }
            gb_trigger *t = &trig->t[trig->n - 1];
            if (trig_act[i] == GB_TRIG_STOP) {
                t->post = stop_after;
                t->post_cycles = stop_after_cycles;
            }
            if (trig_act[i] == GB_TRIG_DUMP) t->max_dumps = max_dumps;
        }
        if (win_frames && gb_trig_window_frames(trig, wf_lo, wf_hi, err, sizeof err)) {
            fprintf(stderr, "ceres run: --frames window: %s\n", err);
            rc = 2;
            goto out;
        }
        gb_trig_arm(g, trig);
    }

    /* The crash file exists only while the machine runs, and after it only
     * if a signal wrote it. */
    if (rec) {
        int n;
        if (crash_opt) {
            n = snprintf(sig.path, sizeof sig.path, "%s", crash_opt);
        } else if (trace_out) {
            n = snprintf(sig.path, sizeof sig.path, "%s.crash.ctrace", trace_out);
        } else {
            const char *base = strrchr(rom_path, '/');
            base = base ? base + 1 : rom_path;
            size_t bl = strlen(base);
            if (bl > 3 && !strcmp(base + bl - 3, ".gb")) bl -= 3;
            mkdir("out", 0777);
            n = snprintf(sig.path, sizeof sig.path, "out/%.*s.crash.ctrace", (int)bl, base);
        }
        if (n > 0 && n < (int)sizeof sig.path)
            sig.fd = open(sig.path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (sig.fd < 0)
            fprintf(stderr, "ceres run: crash dump %s: %s (running without one)\n", sig.path,
                    n > 0 && n < (int)sizeof sig.path ? strerror(errno) : "path too long");
    }
    sig.dumped = 0;
    sig.interrupts = 0;
    sig.g = g;
    sig.rec = rec;
    install(on_crash, crash_sigs, sizeof crash_sigs / sizeof *crash_sigs);
    install(on_interrupt, stop_sigs, sizeof stop_sigs / sizeof *stop_sigs);

    /* A frame window without a run length ends after its last frame. */
    bool to_frame = win_frames && !nlimits && wf_hi != UINT64_MAX;
    unsigned mask =
        GB_STOP_LOCKUP | (until_ldbb ? GB_STOP_LD_B_B : 0) | (to_frame ? GB_STOP_FRAME : 0);
    /* Test-only hook, for the hardening tests of the crash handler: with
     * CERES_TEST_CRASH_AT=N in the environment the run dereferences a bad
     * pointer once N T-cycles have run. Not a user feature. */
    const char *crash_at_env = getenv("CERES_TEST_CRASH_AT");
    uint64_t crash_at = UINT64_MAX;
    if (crash_at_env && parse_u64(crash_at_env, &crash_at)) crash_at = UINT64_MAX;
    /* Runs in slices so a SIGINT/SIGTERM is seen promptly whatever the
     * machine does; slices end at instruction boundaries, which changes
     * nothing in the emulation. */
    const uint64_t slice = 1u << 22;
    unsigned why = 0;
    while (gb_cycles(g) < limit && !sig.interrupts) {
        uint64_t end = limit < crash_at ? limit : crash_at;
        uint64_t n = end - gb_cycles(g) < slice ? end - gb_cycles(g) : slice;
        why = doctor ? gb_doctor_run(g, doctor, n, mask) : gb_run(g, n, mask);
        if (gb_cycles(g) >= crash_at) {
            volatile uintptr_t bad = 16; /* unmapped: the first page */
            *(volatile int *)bad = 1;
        }
        if (why & (GB_STOP_LOCKUP | GB_STOP_LD_B_B)) break;
        if (to_frame && gb_frames(g) > wf_hi) break;
        if (why & GB_STOP_REQUEST) break;
    }
    if (sig.interrupts) why |= GB_STOP_REQUEST;
    install(SIG_DFL, stop_sigs, sizeof stop_sigs / sizeof *stop_sigs);
    if (trig) {
        gb_trig_arm(g, NULL);
        gb_trig_report(trig, stderr);
    }
    gb_set_recorder(g, NULL);

    size_t slen;
    const uint8_t *serial = gb_serial_output(g, &slen);
    if (slen) {
        fwrite(serial, 1, slen, stdout);
        if (serial[slen - 1] != '\n') fputc('\n', stdout);
    }
    gb_regs r;
    gb_get_regs(g, &r);
    fprintf(stderr,
            "ceres run: %llu T-cycles (%.3f emulated s), %llu frames; stopped: %s; PC=%04X "
            "A:%02X F:%02X B:%02X C:%02X D:%02X E:%02X H:%02X L:%02X SP:%04X\n",
            (unsigned long long)gb_cycles(g), (double)gb_cycles(g) / RN_CYCLES_PER_SEC,
            (unsigned long long)gb_frames(g),
            why & GB_STOP_LOCKUP    ? "CPU locked up (illegal opcode)"
            : why & GB_STOP_LD_B_B  ? "LD B,B"
            : why & GB_STOP_REQUEST ? "interrupted"
                                    : "time limit",
            r.pc, r.a, r.f, r.b, r.c, r.d, r.e, r.h, r.l, r.sp);

    if (shot) {
        e = rn_png_write_shades(shot, gb_framebuffer(g), GB_LCD_W, GB_LCD_H);
        if (e) {
            fprintf(stderr, "ceres run: --screenshot %s: %s\n", shot, strerror(-e));
            rc = 1;
        }
    }
    if (stream && rec) {
        e = ct_stream_close(rec);
        if (e) {
            fprintf(stderr, "ceres run: --stream-json %s: %s\n", stream, strerror(-e));
            rc = 1;
        }
    }
    if (trace_out && rec) {
        e = ct_dump(rec, trace_out, &dopts);
        if (e) {
            fprintf(stderr, "ceres run: --trace-out %s: %s\n", trace_out, strerror(-e));
            rc = 1;
        } else {
            fprintf(stderr, "ceres run: trace written to %s (%llu events recorded)\n", trace_out,
                    (unsigned long long)ct_ring_written(&rec->ring));
        }
    }
    if (doctor) {
        int bad = ferror(doctor);
        if (fclose(doctor) != 0 || bad) {
            fprintf(stderr, "ceres run: --doctor-log %s: write error\n", doctor_path);
            rc = 1;
        }
        doctor = NULL;
    }
out:
    if (doctor) fclose(doctor);
    install(SIG_DFL, crash_sigs, sizeof crash_sigs / sizeof *crash_sigs);
    sig.g = NULL;
    sig.rec = NULL;
    if (sig.fd >= 0) {
        close(sig.fd);
        sig.fd = -1;
        if (!sig.dumped) unlink(sig.path);
    }
    if (trig) {
        gb_trig_arm(g, NULL);
        free(trig);
    }
    if (rec) ct_recorder_destroy(rec);
    gb_destroy(g);
    free(boot);
    return rc;
}
