/* ceres run: run one ROM headless for a number of frames, cycles or
 * emulated seconds, with a screenshot, the flight recorder (dumped at the
 * end) or the old streaming JSON output; prints the serial output.
 *
 * Read top-down: cmd_run parses the options (run_opts.c), loads the
 * machine, attaches the recorder and the triggers, arms the crash dump
 * (crash.c), runs, prints the summary and writes the outputs. */
#include "cli.h"
#include "crash.h"
#include "run_opts.h"
#include "run_replay.h"

#include "../debug/doctor.h"
#include "../gb/gb_events.h"
#include "../play/input.h"
#include "../runner/runner.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fputs("usage: ceres run ROM [options]\n"
          "\n"
          "Run a ROM headless. Time is emulated: 1 s = 4194304 T-cycles, a frame is\n"
          "70224 T-cycles.\n"
          "\n",
          f);
    run_opts_help(f);
    fputs("  --dump-detail D       what a --trace-dump-on snapshot holds: ring (the\n"
          "                        ring as it is, the default), full (also NAME.NNNN.full.EXT:\n"
          "                        its window re-run from the checkpoint before it, kept\n"
          "                        every frame, with every event), full-from-power-on\n"
          "                        (the same re-run from power-on: no checkpoints)\n",
          f);
    fputs("\n"
          "Prints the serial output, if any, to stdout and a summary to stderr. A crash\n"
          "(SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, a stack overflow too) writes the\n"
          "ring to the --crash-dump file, says so on stderr and dies of the same signal.\n"
          "SIGINT/SIGTERM (Ctrl-C) write it the same way, stop the run, still write\n"
          "--trace-out and the other outputs, and exit 130/143 (128+signal); a second\n"
          "one during the run exits at once, one while the outputs are written lets\n"
          "them finish first. SIGUSR1 writes the ring (.perfetto-trace, named after\n"
          "--trace-out, else out/ROMNAME) and the run goes on.\n"
          "\n"
          "Exit status: 0 done, 1 an output could not be written or an input movie's\n"
          "screen differed, 2 bad usage or input,\n"
          "128+signal after SIGINT/SIGTERM.\n",
          f);
}

/* What a run holds between its steps. */
typedef struct run_state {
    gb *g;
    uint8_t *boot;
    ct_recorder *rec;
    gb_trig_set *trig;
    FILE *doctor;
    ct_file doctor_file; /* the safe writer under s->doctor (a copy of its fd) */
    unsigned why;        /* GB_STOP_* of the last slice */
    /* An illegal opcode locks the CPU up; the rest of the machine (PPU,
     * timer, APU, DMA) runs on, as on hardware, so the run goes on too. */
    bool locked;
    uint64_t locked_at;
    uint16_t locked_pc;
    uint8_t locked_op;
    pl_input in; /* --input, --play-input, --record-input */
    bool inputs, desynced;
    run_replay *replay; /* --dump-detail full */
} run_state;

static const char *const prog = "ceres run";

/* The ROM, the boot ROM, the machine. */
static int load_machine(const run_opts *o, run_state *s) {
    char err[512];
    uint8_t *rom = NULL;
    size_t size = 0, boot_size = 0;
    char rerr[160];
    int e = rn_read_rom(o->rom_path, &rom, &size, rerr, sizeof rerr);
    if (e) {
        fprintf(stderr, "%s: %s: %s\n", prog, o->rom_path, rerr);
        return 2;
    }
    if (o->boot_path) {
        e = rn_read_file(o->boot_path, &s->boot, &boot_size);
        if (e || boot_size != 256) {
            fprintf(stderr, "%s: boot ROM %s: %s\n", prog, o->boot_path,
                    e ? strerror(-e) : "must be exactly 256 bytes");
            free(rom);
            return 2;
        }
    }
    gb_config cfg = {.model = GB_MODEL_DMG, .boot_rom = s->boot, .boot_rom_size = boot_size};
    s->g = gb_create(rom, size, &cfg, err, sizeof err);
    if (!s->g) {
        free(rom);
        fprintf(stderr, "%s: %s: %s\n", prog, o->rom_path, err);
        return 2;
    }
    s->inputs = o->input || o->play_input || o->record_input;
    e = s->inputs ? pl_input_open(&s->in, rom, size, o->input, o->play_input, o->record_input, err,
                                  sizeof err)
                  : 0;
    free(rom);
    if (e) {
        s->inputs = false;
        fprintf(stderr, "%s: %s\n", prog, err);
        return 2;
    }
    return 0;
}

static int open_doctor_log(const run_opts *o, run_state *s) {
    if (!o->doctor_path) return 0;
    int e = ct_file_open(&s->doctor_file, o->doctor_path);
    int fd = e ? -1 : dup(s->doctor_file.fd);
    s->doctor = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!s->doctor) {
        if (!e) e = -errno;
        if (fd >= 0) close(fd);
        if (s->doctor_file.fd >= 0) ct_file_abandon(&s->doctor_file);
        fprintf(stderr, "%s: --doctor-log %s: %s\n", prog, o->doctor_path, ct_file_strerror(e));
        return 2;
    }
    gb_set_doctor_mode(s->g, true);
    return 0;
}

/* The flight recorder: ring, filter, cycle window, streaming. */
static int attach_recorder(const run_opts *o, run_state *s) {
    if (!o->recording && !o->stream) return 0;
    char err[512];
    /* Streaming alone still needs a recorder for the filter; give it the
     * smallest ring. */
    s->rec = o->recording ? rn_recorder_create(&gb_schema, o->buf_spec, err, sizeof err)
                          : ct_recorder_create(&gb_schema, 65536, 0, CT_OVERWRITE, err, sizeof err);
    if (!s->rec) {
        fprintf(stderr, "%s: recorder: %s\n", prog, err);
        return 2;
    }
    if (ct_filter_apply(s->rec, o->filter ? o->filter : GB_DEFAULT_FILTER, err, sizeof err)) {
        fprintf(stderr, "%s: bad trace filter:\n%s\n", prog, err);
        return 2;
    }
    if (!o->recording) ct_recorder_pause(s->rec);
    if (o->win_cycles) ct_recorder_window(s->rec, o->wc_lo, o->wc_hi);
    if (o->stream && ct_stream_open(s->rec, o->stream, o->raw, err, sizeof err)) {
        fprintf(stderr, "%s: --stream-json %s: %s\n", prog, o->stream, err);
        return 2;
    }
    gb_set_recorder(s->g, s->rec);
    return 0;
}

/* Triggers and the frame window, parsed and armed. */
static int arm_triggers(const run_opts *o, run_state *s) {
    if (!o->triggers) return 0;
    char err[512];
    s->trig = calloc(1, sizeof *s->trig);
    if (!s->trig) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    gb_trig_set *trig = s->trig;
    gb_trig_set_init(trig, s->rec);
    trig->pre = o->pre;
    snprintf(trig->dump_base, sizeof trig->dump_base, "%s",
             o->trace_out ? o->trace_out : "trigger.perfetto-trace");
    trig->dump_opts = o->dump;
    if (trig->dump_opts.format == CT_FMT_AUTO)
        trig->dump_opts.format = o->trace_out ? ct_format_from_path(o->trace_out) : CT_FMT_PERFETTO;
    for (unsigned i = 0; i < o->ntrig; i++) {
        if (gb_trig_add(trig, o->trig_expr[i], o->trig_act[i], err, sizeof err)) {
            fprintf(stderr, "%s: bad trigger:\n%s\n", prog, err);
            return 2;
        }
        gb_trigger *t = &trig->t[trig->n - 1];
        if (o->trig_act[i] == GB_TRIG_STOP) {
            t->post = o->stop_after;
            t->post_cycles = o->stop_after_cycles;
        }
        if (o->trig_act[i] == GB_TRIG_DUMP) t->max_dumps = o->max_dumps;
    }
    if (o->win_frames && gb_trig_window_frames(trig, o->wf_lo, o->wf_hi, err, sizeof err)) {
        fprintf(stderr, "%s: --frames window: %s\n", prog, err);
        return 2;
    }
    gb_trig_arm(s->g, trig);
    return 0;
}

/* The crash dump's path (created only if a signal comes) and the signal
 * handlers. */
static int arm_crash_dump(const run_opts *o, run_state *s) {
    char path[4200];
    bool out_dir = false;
    if (o->crash_path) {
        snprintf(path, sizeof path, "%s", o->crash_path);
    } else if (o->trace_out) {
        snprintf(path, sizeof path, "%s.crash.ctrace", o->trace_out);
    } else {
        const char *base = strrchr(o->rom_path, '/');
        base = base ? base + 1 : o->rom_path;
        size_t bl = strlen(base);
        if (bl > 3 && !strcmp(base + bl - 3, ".gb")) bl -= 3;
        snprintf(path, sizeof path, "out/%.*s.crash.ctrace", (int)bl, base);
        out_dir = true;
    }
    return crash_guard_start(prog, path, out_dir, s->g, s->rec) ? 2 : 0;
}

/* Test-only hook, for the hardening tests of the crash handler: with
 * CERES_TEST_CRASH_AT=N in the environment the run dereferences a bad
 * pointer once N T-cycles have run (CERES_TEST_CRASH=stack: overflows the
 * stack instead). Not a user feature. */
static int overflow(volatile char *p, int depth) {
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[1023] = p ? p[0] : 0;
    return depth < 0 ? 0 : overflow(frame, depth + 1) + frame[1023];
}

static void test_crash(void) {
    const char *kind = getenv("CERES_TEST_CRASH");
    if (kind && !strcmp(kind, "stack")) overflow(NULL, 1);
    volatile uintptr_t bad = 16; /* unmapped: the first page */
    *(volatile int *)bad = 1;
}

/* SIGUSR1: write the ring and go on. The handler only counts; the run
 * loop writes the dump between slices. */
static volatile sig_atomic_t usr1_requests;
static void on_usr1(int sig) {
    (void)sig;
    usr1_requests++;
}

static void usr1_dump(const run_opts *o, run_state *s, unsigned n) {
    char path[4300];
    if (!s->rec) {
        fprintf(stderr, "%s: SIGUSR1: no ring to write (--trace-buffer 0)\n", prog);
        return;
    }
    char base[4096];
    if (o->trace_out) {
        snprintf(base, sizeof base, "%s", o->trace_out);
    } else {
        const char *b = strrchr(o->rom_path, '/');
        b = b ? b + 1 : o->rom_path;
        size_t bl = strlen(b);
        if (bl > 3 && !strcmp(b + bl - 3, ".gb")) bl -= 3;
        rn_mkdirs("out");
        snprintf(base, sizeof base, "out/%.*s", (int)bl, b);
    }
    /* Never over an existing file. */
    for (;; n++) {
        snprintf(path, sizeof path, "%s.usr1-%u.perfetto-trace", base, n);
        if (access(path, F_OK)) break;
    }
    ct_dump_opts d = o->dump;
    d.format = CT_FMT_PERFETTO;
    int e = ct_dump(s->rec, path, &d);
    if (e)
        fprintf(stderr, "%s: SIGUSR1: %s: %s\n", prog, path, strerror(-e));
    else
        fprintf(stderr, "%s: SIGUSR1: flight recorder written to %s (T-cycle %llu)\n", prog, path,
                (unsigned long long)gb_cycles(s->g));
}

/* One frame with the buttons of the script or movie; reports a movie's
 * first differing screen (and dumps the ring there with --desync-dump). */
static void input_frame(const run_opts *o, run_state *s, unsigned mask) {
    gb *g = s->g;
    uint8_t b = pl_input_buttons(&s->in, pl_frame_index(g), 0);
    s->why = pl_run_frame(g, b, mask & ~GB_STOP_FRAME);
    char msg[400];
    int r = pl_input_after(&s->in, g, b, msg, sizeof msg);
    if (r < 0) {
        fprintf(stderr, "%s: input movie: out of memory\n", prog);
        s->why |= GB_STOP_REQUEST;
    } else if (r == 1) {
        fprintf(stderr, "%s: %s\n", prog, msg);
        s->desynced = true;
        if (o->desync_dump && s->rec) {
            ct_dump_opts d = o->dump;
            d.format = CT_FMT_AUTO; /* from its own name */
            int e = ct_dump(s->rec, o->desync_dump, &d);
            fprintf(stderr,
                    e ? "%s: --desync-dump %s: %s\n" : "%s: the ring at the desync is in %s\n",
                    prog, o->desync_dump, e ? strerror(-e) : "");
        }
    }
}

/* Runs in slices so a SIGINT/SIGTERM is seen promptly whatever the machine
 * does; slices end at instruction boundaries, which changes nothing in the
 * emulation. */
static void run_loop(const run_opts *o, run_state *s) {
    /* A frame window without a run length ends after its last frame. */
    bool to_frame = o->win_frames && !o->nlimits && o->wf_hi != UINT64_MAX;
    unsigned mask =
        GB_STOP_LOCKUP | (o->until_ldbb ? GB_STOP_LD_B_B : 0) | (to_frame ? GB_STOP_FRAME : 0);
    const char *crash_at_env = getenv("CERES_TEST_CRASH_AT");
    uint64_t crash_at = UINT64_MAX;
    if (crash_at_env && cli_parse_u64(crash_at_env, &crash_at)) crash_at = UINT64_MAX;
    const uint64_t slice = 1u << 22;
    gb *g = s->g;
    s->why = 0;
    struct sigaction sa, old_usr1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, &old_usr1);
    sig_atomic_t usr1_seen = usr1_requests;
    unsigned ndumps = 0;
    while (gb_cycles(g) < o->limit && !crash_guard_signal()) {
        if (usr1_requests != usr1_seen) {
            usr1_seen = usr1_requests;
            usr1_dump(o, s, ++ndumps);
        }
        uint64_t end = o->limit < crash_at ? o->limit : crash_at;
        uint64_t n = end - gb_cycles(g) < slice ? end - gb_cycles(g) : slice;
        if (s->inputs)
            input_frame(o, s, mask);
        else
            s->why = s->doctor   ? gb_doctor_run(g, s->doctor, n, mask)
                     : s->replay ? run_replay_run(s->replay, g, n, mask)
                                 : gb_run(g, n, mask);
        if (gb_cycles(g) >= crash_at) test_crash();
        if ((s->why & GB_STOP_LOCKUP) && !s->locked) {
            gb_regs r;
            gb_get_regs(g, &r);
            s->locked = true;
            s->locked_at = gb_cycles(g);
            s->locked_pc = (uint16_t)(r.pc - 1);
            s->locked_op = gb_peek(g, s->locked_pc);
        }
        if (s->why & GB_STOP_LD_B_B) break;
        if (to_frame && gb_frames(g) > o->wf_hi) break;
        if (s->replay && run_replay_after(s->replay, g, s->trig, prog)) continue;
        if (s->why & GB_STOP_REQUEST) break;
    }
    sigaction(SIGUSR1, &old_usr1, NULL);
    if (crash_guard_signal()) s->why |= GB_STOP_REQUEST;
    if (s->trig) {
        gb_trig_arm(g, NULL);
        gb_trig_report(s->trig, stderr);
    }
    gb_set_recorder(g, NULL);
}

/* Serial output to stdout, the summary line to stderr. Frames are
 * frame-times of emulated time (70224 T-cycles), so --frames N says N;
 * VBlanks count the frames the LCD showed (fewer while it is off). */
static void print_summary(const run_state *s) {
    gb *g = s->g;
    size_t slen;
    const uint8_t *serial = gb_serial_output(g, &slen);
    if (slen) {
        fwrite(serial, 1, slen, stdout);
        if (serial[slen - 1] != '\n') fputc('\n', stdout);
    }
    gb_regs r;
    gb_get_regs(g, &r);
    fprintf(stderr,
            "%s: %llu T-cycles (%.3f emulated s, %llu VBlanks), %llu frames; stopped: %s; "
            "PC=%04X A:%02X F:%02X B:%02X C:%02X D:%02X E:%02X H:%02X L:%02X SP:%04X\n",
            prog, (unsigned long long)gb_cycles(g), (double)gb_cycles(g) / RN_CYCLES_PER_SEC,
            (unsigned long long)gb_frames(g),
            (unsigned long long)(gb_cycles(g) / RN_CYCLES_PER_FRAME),
            s->why & GB_STOP_LD_B_B    ? "LD B,B"
            : s->why & GB_STOP_REQUEST ? "interrupted"
                                       : "time limit",
            r.pc, r.a, r.f, r.b, r.c, r.d, r.e, r.h, r.l, r.sp);
    if (s->locked)
        fprintf(stderr,
                "%s: the CPU locked up at T-cycle %llu (illegal opcode $%02X at PC=%04X); the "
                "rest of the machine ran on\n",
                prog, (unsigned long long)s->locked_at, s->locked_op, s->locked_pc);
}

/* Screenshot, streamed JSON, the trace, the Doctor log; 0 or 1. */
static int write_outputs(const run_opts *o, run_state *s) {
    int rc = 0, e;
    if (o->shot) {
        e = rn_png_write_shades(o->shot, gb_framebuffer(s->g), GB_LCD_W, GB_LCD_H);
        if (e) {
            fprintf(stderr, "%s: --screenshot %s: %s\n", prog, o->shot, strerror(-e));
            rc = 1;
        }
    }
    if (o->stream && s->rec) {
        e = ct_stream_close(s->rec);
        if (e) {
            fprintf(stderr, "%s: --stream-json %s: %s\n", prog, o->stream, strerror(-e));
            rc = 1;
        }
    }
    if (o->trace_out && s->rec) {
        e = ct_dump(s->rec, o->trace_out, &o->dump);
        if (e) {
            fprintf(stderr, "%s: --trace-out %s: %s\n", prog, o->trace_out, strerror(-e));
            rc = 1;
        } else {
            fprintf(stderr, "%s: trace written to %s (%llu events recorded)\n", prog, o->trace_out,
                    (unsigned long long)ct_recorder_written(s->rec));
        }
    }
    if (s->inputs) {
        char err[600];
        if (pl_input_close(&s->in, err, sizeof err)) {
            fprintf(stderr, "%s: --record-input %s\n", prog, err);
            rc = 1;
        } else if (o->record_input) {
            fprintf(stderr, "%s: input movie written to %s (%llu frames)\n", prog, o->record_input,
                    (unsigned long long)s->in.rec.nframes);
        }
        if (s->desynced) rc = 1;
    }
    if (s->doctor) {
        int bad = ferror(s->doctor);
        if (fclose(s->doctor) != 0) bad = 1;
        s->doctor = NULL;
        int e = ct_file_commit(&s->doctor_file, bad ? -EIO : 0);
        if (e) {
            fprintf(stderr, "%s: --doctor-log %s: %s\n", prog, o->doctor_path, ct_file_strerror(e));
            rc = 1;
        }
    }
    return rc;
}

static void release(run_state *s) {
    if (s->inputs) pl_input_free(&s->in);
    if (s->doctor) {
        fclose(s->doctor);
        ct_file_abandon(&s->doctor_file);
    }
    crash_guard_end();
    if (s->trig) {
        gb_trig_arm(s->g, NULL);
        free(s->trig);
    }
    run_replay_destroy(s->replay);
    if (s->rec) ct_recorder_destroy(s->rec);
    if (s->g) gb_destroy(s->g);
    free(s->boot);
}

/* --dump-detail: 0 ring, 1 full, 2 full-from-power-on. */
enum { O_DUMP_DETAIL = RUN_OPT_EXTRA };
static const struct option run_own_longs[] = {
    {"dump-detail", required_argument, NULL, O_DUMP_DETAIL}, {NULL, 0, NULL, 0}};

static int run_own_option(void *ctx, int code, const char *v) {
    int *detail = ctx;
    if (code != O_DUMP_DETAIL) return 2;
    *detail = !strcmp(v, "ring")                 ? 0
              : !strcmp(v, "full")               ? 1
              : !strcmp(v, "full-from-power-on") ? 2
                                                 : -1;
    if (*detail >= 0) return 0;
    fprintf(stderr, "%s: --dump-detail wants ring, full or full-from-power-on, not '%s'\n", prog,
            v);
    return 2;
}

/* --dump-detail full: checkpoints, and the triggers pause the run at each snapshot. */
static int arm_replay(const run_opts *o, run_state *s, int detail) {
    if (!detail) return 0;
    if (!s->trig || s->inputs) {
        fprintf(stderr,
                "%s: --dump-detail %s needs --trace-dump-on and no --input, --play-input, "
                "--record-input\n",
                prog, detail == 1 ? "full" : "full-from-power-on");
        return 2;
    }
    char err[600];
    s->replay = run_replay_create(s->g, o->rom_path, s->boot, s->boot ? 256 : 0, detail == 2, err,
                                  sizeof err);
    if (!s->replay) {
        fprintf(stderr, "%s: --dump-detail: %s\n", prog, err);
        return 2;
    }
    s->trig->stop_on_dump = true;
    return 0;
}

int cmd_run(int argc, char **argv) {
    run_opts o;
    int detail = 0;
    run_opts_ext ext = {.prog = prog,
                        .usage = usage,
                        .longs = run_own_longs,
                        .on_option = run_own_option,
                        .ctx = &detail};
    int rc = run_opts_parse(&o, argc, argv, &ext);
    if (rc >= 0) return rc;

    run_state s = {0};
    rc = load_machine(&o, &s);
    if (!rc) rc = open_doctor_log(&o, &s);
    if (!rc) rc = attach_recorder(&o, &s);
    if (!rc) rc = arm_triggers(&o, &s);
    if (!rc) rc = arm_replay(&o, &s, detail);
    if (!rc) rc = arm_crash_dump(&o, &s);
    if (!rc) {
        run_loop(&o, &s);
        print_summary(&s);
        crash_guard_outputs();
        rc = write_outputs(&o, &s);
        int sig = crash_guard_signal();
        if (sig) rc = 128 + sig;
    }
    release(&s);
    return rc;
}
