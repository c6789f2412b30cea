/* ceres run: run one ROM headless for a number of frames, cycles or
 * emulated seconds, with a screenshot, the flight recorder (dumped at the
 * end) or the old streaming JSON output; prints the serial output. */
#include "cli.h"

#include "../gb/doctor.h"
#include "../gb/gb_events.h"
#include "../gb/trigger.h"
#include "../runner/runner.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
          "triggers (EXPR e.g. pc==0x0150, write(0xFF46), irq(vblank), frame==60):\n"
          "  --start-at EXPR       start recording when EXPR holds (--pre N keeps N\n"
          "                        events of history before it)\n"
          "  --stop-at EXPR        stop recording when EXPR holds (--stop-after N or Nc:\n"
          "                        N more events or T-cycles first)\n"
          "  --dump-at EXPR        write a numbered snapshot of the ring (named after\n"
          "                        --trace-out) each time EXPR holds (--max-dumps N)\n"
          "  --mark EXPR           put a trace.mark event in the trace when EXPR holds\n"
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
          "  --doctor-log FILE     one line per executed instruction, the state before it,\n"
          "                        in Gameboy Doctor format (A:01 F:B0 ... PC:0100\n"
          "                        PCMEM:00,C3,13,02); LY reads $90 in this mode\n"
          "\n"
          "Prints the serial output, if any, to stdout and a summary to stderr. Ctrl-C\n"
          "stops the run and still writes --trace-out; a crash writes the ring to\n"
          "FILE.crash.ctrace (FILE from --trace-out).\n",
          f);
}

/* Signals. A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) writes the
 * ring as .ctrace to a file opened before the run, with write(2) only, and
 * re-raises. The first SIGINT/SIGTERM asks the machine to stop, so the run
 * ends normally and --trace-out is written as usual; a second one writes the
 * .ctrace like a crash and exits. A handler can only reach its state
 * through a static. */
static struct {
    gb *volatile g;
    ct_recorder *volatile rec;
    int fd;
    volatile sig_atomic_t interrupts;
} sig = {NULL, NULL, -1, 0};

static void say(const char *m) {
    ssize_t w = write(2, m, strlen(m));
    (void)w;
}

static void crash_dump(void) {
    if (sig.rec && sig.fd >= 0 && ct_dump_ctrace_fd(sig.rec, sig.fd) == 0)
        say("ceres run: flight recorder written to the .crash.ctrace file next to --trace-out\n");
}

static void on_crash(int s) {
    crash_dump();
    signal(s, SIG_DFL);
    raise(s);
}

static void on_interrupt(int s) {
    if (sig.interrupts++ == 0 && sig.g) {
        gb_request_stop(sig.g);
        return;
    }
    crash_dump();
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
    "--frames",     "--cycles",       "--seconds",    "--screenshot",   "--boot-rom",
    "--trace",      "--trace-buffer", "--trace-out",  "--trace-format", "--stream-json",
    "--start-at",   "--stop-at",      "--dump-at",    "--mark",         "--pre",
    "--stop-after", "--max-dumps",    "--doctor-log",
};

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
    const char *doctor_path = NULL;
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
    char crash_path[4200] = "";
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
        } else if (!strcmp(a, "--start-at") || !strcmp(a, "--stop-at") || !strcmp(a, "--dump-at") ||
                   !strcmp(a, "--mark")) {
            if (ntrig == GB_TRIG_MAX) {
                fprintf(stderr, "ceres run: at most %d triggers\n", GB_TRIG_MAX);
                return 2;
            }
            trig_expr[ntrig] = v;
            trig_act[ntrig++] = a[3] == 't'   ? (a[4] == 'a' ? GB_TRIG_START : GB_TRIG_STOP)
                                : a[2] == 'd' ? GB_TRIG_DUMP
                                              : GB_TRIG_MARK;
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
        } else if (!strcmp(a, "--stop-after")) {
            char num[32];
            size_t l = strlen(v);
            stop_after_cycles = l && v[l - 1] == 'c';
            snprintf(num, sizeof num, "%.*s", (int)(l - stop_after_cycles), v);
            if (l >= sizeof num || parse_u64(num, &stop_after)) {
                fprintf(stderr, "ceres run: --stop-after wants N events or Nc T-cycles, not '%s'\n",
                        v);
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
    ct_dump_opts dopts = {.format = CT_FMT_AUTO, .raw_cycles = raw, .line_fmt = rn_gb_line_fmt};
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
    int e = rn_read_file(rom_path, &rom, &size);
    if (e) {
        fprintf(stderr, "ceres run: %s: %s\n", rom_path, strerror(-e));
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

    /* The crash file exists only while the machine runs. */
    if (trace_out && rec &&
        snprintf(crash_path, sizeof crash_path, "%s.crash.ctrace", trace_out) <
            (int)sizeof crash_path)
        sig.fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    sig.g = g;
    sig.rec = rec;
    install(on_crash, crash_sigs, sizeof crash_sigs / sizeof *crash_sigs);
    install(on_interrupt, stop_sigs, sizeof stop_sigs / sizeof *stop_sigs);

    /* A frame window without a run length ends after its last frame. */
    bool to_frame = win_frames && !nlimits && wf_hi != UINT64_MAX;
    unsigned mask =
        GB_STOP_LOCKUP | (until_ldbb ? GB_STOP_LD_B_B : 0) | (to_frame ? GB_STOP_FRAME : 0);
    unsigned why = 0;
    while (gb_cycles(g) < limit) {
        why = doctor ? gb_doctor_run(g, doctor, limit - gb_cycles(g), mask)
                     : gb_run(g, limit - gb_cycles(g), mask);
        if (why & (GB_STOP_LOCKUP | GB_STOP_LD_B_B)) break;
        if (to_frame && gb_frames(g) > wf_hi) break;
        if (why & GB_STOP_REQUEST) break;
    }
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
                    (unsigned long long)rec->ring.written);
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
        unlink(crash_path);
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
