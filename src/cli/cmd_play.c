/* ceres play: play a ROM in a window (SDL2) with sound, keyboard and game
 * controllers, the flight recorder one key away. Takes `ceres run`'s
 * options (run_opts.c) with the same names, and its own. Without SDL2 at
 * build time the command says it was left out. */
#include "cli.h"
#include "run_opts.h"

#include "../play/keymap.h"
#include "../runner/runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CERES_HAVE_SDL
#include "play_frontend.h"
#endif

static void usage(FILE *f) {
    fputs("usage: ceres play ROM [options]\n"
          "\n"
          "Play a ROM in a window with sound, keyboard and game controllers. Keys (change\n"
          "them in $XDG_CONFIG_HOME/ceres/play.conf, e.g. `a = K` or `dump = F11, D`):\n"
          "  arrows = pad, X = A, Z = B, Return = Start, Backspace/Right Shift = Select,\n"
          "  P pause, N frame advance, Tab fast-forward (held), 1-9 choose a state slot,\n"
          "  F5 save state, F7 load state, F9 screenshot, F3 reset, F10 next palette,\n"
          "  F12 dump the flight recorder (also on SIGUSR1), Escape quit.\n"
          "A dump writes DIR/ROM-DATE-TIME.perfetto-trace with the last screen (.png) and\n"
          "the machine state (.state) beside it, while play goes on.\n"
          "\n"
          "play's own options:\n"
          "  --save-dir DIR        keep the battery save (ROM.sav) in DIR, not beside the ROM\n"
          "  --no-save             neither read nor write the battery save\n"
          "  --dump-dir DIR        where F12, SIGUSR1, F9 and dump triggers write (default .)\n"
          "  --palette P           dmg (default), gray, pocket, green\n"
          "  --scale N             initial window size, N x 160x144 (default 4)\n"
          "  --config FILE         key map and settings (default the XDG one)\n"
          "  --fast                run as fast as possible (no pacing)\n"
          "  --mute                no sound\n"
          "  --window-shot FILE.png write the rendered window at the last --frames frame\n"
          "\n"
          "The options of ceres run, with the same names (a run length ends the session;\n"
          "without one it runs until you quit):\n",
          f);
    run_opts_help(f);
    fputs("\n"
          "Without a display it fails with a clear message (SDL_VIDEODRIVER=dummy runs\n"
          "without a window); without an audio device it runs silent with a warning.\n",
          f);
}

#ifdef CERES_HAVE_SDL
enum {
    P_SAVE_DIR = RUN_OPT_EXTRA,
    P_NO_SAVE,
    P_DUMP_DIR,
    P_PALETTE,
    P_SCALE,
    P_CONFIG,
    P_FAST,
    P_MUTE,
    P_WINDOW_SHOT,
};

static const struct option play_longs[] = {
    {"save-dir", required_argument, NULL, P_SAVE_DIR},
    {"no-save", no_argument, NULL, P_NO_SAVE},
    {"dump-dir", required_argument, NULL, P_DUMP_DIR},
    {"palette", required_argument, NULL, P_PALETTE},
    {"scale", required_argument, NULL, P_SCALE},
    {"config", required_argument, NULL, P_CONFIG},
    {"fast", no_argument, NULL, P_FAST},
    {"mute", no_argument, NULL, P_MUTE},
    {"window-shot", required_argument, NULL, P_WINDOW_SHOT},
    {NULL, 0, NULL, 0},
};

static int play_option(void *ctx, int code, const char *v) {
    pl_play_opts *o = ctx;
    switch (code) {
    case P_SAVE_DIR: o->save_dir = v; return 0;
    case P_NO_SAVE: o->no_save = true; return 0;
    case P_DUMP_DIR: o->dump_dir = v; return 0;
    case P_CONFIG: o->config = v; return 0;
    case P_FAST: o->unthrottled = true; return 0;
    case P_MUTE: o->mute = true; return 0;
    case P_WINDOW_SHOT: o->window_shot = v; return 0;
    case P_PALETTE:
        o->palette = pl_palette_parse(v);
        if (o->palette < 0) {
            fprintf(stderr, "ceres play: unknown palette '%s' (dmg, gray, pocket, green)\n", v);
            return 2;
        }
        return 0;
    case P_SCALE: {
        char *e;
        long n = strtol(v, &e, 10);
        if (*e || n < 1 || n > 10) {
            fprintf(stderr, "ceres play: --scale wants 1 to 10, not '%s'\n", v);
            return 2;
        }
        o->scale = (int)n;
        return 0;
    }
    }
    return 2;
}
#endif

int cmd_play(int argc, char **argv) {
#ifndef CERES_HAVE_SDL
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            break;
        }
    fprintf(stderr, "ceres play: left out of this build: SDL2 was not found when it was "
                    "configured (Debian: apt-get install libsdl2-dev, then rebuild)\n");
    return 2;
#else
    pl_play_opts p;
    memset(&p, 0, sizeof p);
    p.palette = -1;
    p.dump_dir = ".";
    run_opts o;
    const run_opts_ext ext = {.prog = "ceres play",
                              .usage = usage,
                              .longs = play_longs,
                              .on_option = play_option,
                              .ctx = &p};
    int rc = run_opts_parse(&o, argc, argv, &ext);
    if (rc >= 0) return rc;
    if (o.stream || o.doctor_path) {
        fprintf(stderr, "ceres play: --%s is for ceres run only\n",
                o.stream ? "stream-json" : "doctor-log");
        return 2;
    }
    if (o.record_input && o.play_input && !strcmp(o.record_input, o.play_input)) {
        fprintf(stderr, "ceres play: --record-input and --play-input name the same file\n");
        return 2;
    }
    p.rom_path = o.rom_path;
    p.boot_path = o.boot_path;
    /* A run length ends the session (rounded up to whole frames). */
    p.frames = o.nlimits ? (o.limit + RN_CYCLES_PER_FRAME - 1) / RN_CYCLES_PER_FRAME : 0;
    if (!o.nlimits && o.win_cycles && o.wc_hi != UINT64_MAX)
        p.frames = o.limit / RN_CYCLES_PER_FRAME + 1;
    p.input = o.input;
    p.play_input = o.play_input;
    p.record_input = o.record_input;
    p.desync_dump = o.desync_dump;
    p.screenshot = o.shot;
    p.trace_out = o.trace_out;
    p.filter = o.filter;
    p.ring = o.buf_spec;
    p.max_dumps = o.max_dumps;
    p.pre = o.pre;
    p.stop_after = o.stop_after;
    p.stop_after_cycles = o.stop_after_cycles;
    p.win_frames = o.win_frames;
    p.wf_lo = o.wf_lo;
    p.wf_hi = o.wf_hi;
    p.win_cycles = o.win_cycles;
    p.wc_lo = o.wc_lo;
    p.wc_hi = o.wc_hi;
    p.until_ldbb = o.until_ldbb;
    p.dump = o.dump;
    p.ntrig = o.ntrig;
    for (unsigned i = 0; i < o.ntrig; i++) {
        p.trig_expr[i] = o.trig_expr[i];
        p.trig_act[i] = o.trig_act[i];
    }
    return pl_play(&p);
#endif
}
