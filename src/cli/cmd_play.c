/* ceres play: play a ROM in a window (SDL2) with sound, keyboard and game
 * controllers, the flight recorder one key away. Without SDL2 at build
 * time the command says it was left out. */
#include "cli.h"

#include "../debug/trigger.h"
#include "../play/keymap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CERES_HAVE_SDL
#include "../play/frontend.h"
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
          "options:\n"
          "  --frames N            stop after N frames (70224 T-cycles each)\n"
          "  --input SCRIPT        scripted presses, e.g. '60:start,120:a*10,200:+right'\n"
          "                        (@FILE reads the script from FILE; see ceres run --help)\n"
          "  --record-input FILE   record every frame's buttons to an input movie\n"
          "  --play-input FILE     play an input movie back; the first frame whose screen\n"
          "                        differs is reported (exit 1)\n"
          "  --desync-dump FILE    write the flight recorder there when the movie desyncs\n"
          "  --save-dir DIR        keep the battery save (ROM.sav) in DIR, not beside the ROM\n"
          "  --no-save             neither read nor write the battery save\n"
          "  --dump-dir DIR        where F12, SIGUSR1 and F9 write (default .)\n"
          "  --palette P           dmg (default), gray, pocket, green\n"
          "  --scale N             initial window size, N x 160x144 (default 4)\n"
          "  --config FILE         key map and settings (default the XDG one)\n"
          "  --fast                run as fast as possible (no pacing)\n"
          "  --mute                no sound\n"
          "  --screenshot FILE.png write the last frame at exit (160x144, 4 grays)\n"
          "  --window-shot FILE.png write the rendered window at the last --frames frame\n"
          "  --boot-rom FILE       start from a 256-byte DMG boot ROM\n"
          "  --trace FILTER        events to record (default as in ceres run)\n"
          "  --trace-buffer SIZE   ring size: 4M (default), 512K, 200000ev; 0 = off\n"
          "  --trace-out FILE      dump the ring at exit (.perfetto-trace, .json, .log,\n"
          "                        .ctrace)\n"
          "  --trace-start, --trace-stop, --trace-dump-on, --mark EXPR\n"
          "                        triggers, as in ceres run (--max-dumps K)\n"
          "\n"
          "Without a display it fails with a clear message (SDL_VIDEODRIVER=dummy runs\n"
          "without a window); without an audio device it runs silent with a warning.\n",
          f);
}

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
    pl_play_opts o;
    memset(&o, 0, sizeof o);
    o.palette = -1;
    o.dump_dir = ".";
    static const struct {
        const char *name;
        gb_trig_action act;
    } trig[] = {{"--trace-start", GB_TRIG_START},
                {"--trace-stop", GB_TRIG_STOP},
                {"--trace-dump-on", GB_TRIG_DUMP},
                {"--mark", GB_TRIG_MARK}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--no-save")) {
            o.no_save = true;
            continue;
        }
        if (!strcmp(a, "--fast")) {
            o.unthrottled = true;
            continue;
        }
        if (!strcmp(a, "--mute")) {
            o.mute = true;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (o.rom_path) {
                fprintf(stderr, "ceres play: one ROM at a time ('%s' and '%s')\n", o.rom_path, a);
                return 2;
            }
            o.rom_path = a;
            continue;
        }
        static const char *const valued[] = {
            "--frames",     "--input",       "--record-input", "--play-input",    "--desync-dump",
            "--save-dir",   "--dump-dir",    "--palette",      "--scale",         "--config",
            "--screenshot", "--window-shot", "--boot-rom",     "--trace",         "--trace-buffer",
            "--trace-out",  "--trace-start", "--trace-stop",   "--trace-dump-on", "--mark",
            "--max-dumps"};
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof *valued; k++)
            known |= !strcmp(a, valued[k]);
        if (!known) {
            fprintf(stderr, "ceres play: unknown option '%s' (see ceres play --help)\n", a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "ceres play: %s needs a value\n", a);
            return 2;
        }
        i++;
        int act = -1;
        for (size_t k = 0; k < sizeof trig / sizeof *trig; k++)
            if (!strcmp(a, trig[k].name)) act = (int)trig[k].act;
        if (act >= 0) {
            if (o.ntrig == GB_TRIG_MAX) {
                fprintf(stderr, "ceres play: at most %d triggers\n", GB_TRIG_MAX);
                return 2;
            }
            o.trig_expr[o.ntrig] = v;
            o.trig_act[o.ntrig++] = (gb_trig_action)act;
        } else if (!strcmp(a, "--frames")) {
            char *e;
            errno = 0;
            unsigned long long n = strtoull(v, &e, 10);
            if (*e || errno || !n || v[0] == '-' || n > (1ull << 40)) {
                fprintf(stderr, "ceres play: --frames wants a positive number, not '%s'\n", v);
                return 2;
            }
            o.frames = n;
        } else if (!strcmp(a, "--max-dumps")) {
            char *e;
            errno = 0;
            unsigned long long n = strtoull(v, &e, 10);
            if (*e || errno || v[0] == '-' || !*v) {
                fprintf(stderr, "ceres play: --max-dumps wants a number, not '%s'\n", v);
                return 2;
            }
            o.max_dumps = n > 1000000 ? 1000000 : (unsigned)n;
        } else if (!strcmp(a, "--scale")) {
            char *e;
            long n = strtol(v, &e, 10);
            if (*e || n < 1 || n > 10) {
                fprintf(stderr, "ceres play: --scale wants 1 to 10, not '%s'\n", v);
                return 2;
            }
            o.scale = (int)n;
        } else if (!strcmp(a, "--palette")) {
            o.palette = pl_palette_parse(v);
            if (o.palette < 0) {
                fprintf(stderr, "ceres play: unknown palette '%s' (dmg, gray, pocket, green)\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--input")) {
            o.input = v;
        } else if (!strcmp(a, "--record-input")) {
            o.record_input = v;
        } else if (!strcmp(a, "--play-input")) {
            o.play_input = v;
        } else if (!strcmp(a, "--desync-dump")) {
            o.desync_dump = v;
        } else if (!strcmp(a, "--save-dir")) {
            o.save_dir = v;
        } else if (!strcmp(a, "--dump-dir")) {
            o.dump_dir = v;
        } else if (!strcmp(a, "--config")) {
            o.config = v;
        } else if (!strcmp(a, "--screenshot")) {
            o.screenshot = v;
        } else if (!strcmp(a, "--window-shot")) {
            o.window_shot = v;
        } else if (!strcmp(a, "--boot-rom")) {
            o.boot_path = v;
        } else if (!strcmp(a, "--trace")) {
            o.filter = v;
        } else if (!strcmp(a, "--trace-buffer")) {
            o.ring = v;
        } else if (!strcmp(a, "--trace-out")) {
            o.trace_out = v;
        }
    }
    if (!o.rom_path) {
        usage(stderr);
        return 2;
    }
    if (o.record_input && o.play_input && !strcmp(o.record_input, o.play_input)) {
        fprintf(stderr, "ceres play: --record-input and --play-input name the same file\n");
        return 2;
    }
    return pl_play(&o);
#endif
}
