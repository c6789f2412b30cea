/* `ceres debug ROM`: the debugger's command line (debugger.h).
 * Commands come from a terminal (with line editing and history when built
 * with libedit), from --script FILE, or from stdin when it is not a
 * terminal, so tests and editors can drive it. */
#include "cli.h"
#include "debugger.h"
#include "trace/ct_host.h"
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef CERES_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

static void usage(FILE *f) {
    fputs("usage: ceres debug [options] ROM\n"
          "\n"
          "An interactive debugger that goes backwards: breakpoints and watchpoints in\n"
          "the trigger language, stepping forwards and backwards (backstep,\n"
          "reverse-continue, reverse-finish, last-write, last-change), computed exactly\n"
          "by restoring the checkpoint before the point in question and re-executing.\n"
          "Type `help` for the commands.\n"
          "\n"
          "  --json                  one JSON object per answer\n"
          "  --script FILE           read commands from FILE (default: the terminal,\n"
          "                          or stdin when it is not one)\n"
          "  --checkpoints N         keep at most N checkpoints\n"
          "  --checkpoint-memory SZ  memory for checkpoints: 8M (default), 512K, 1G\n"
          "  --checkpoint-every N    a checkpoint every N frames (default 1)\n"
          "  --suites DIR            manifests for run-to-failure (default: suites/)\n"
          "  --roms DIR              ROM root for run-to-failure\n",
          f);
}

static char *read_line(FILE *in, bool tty, bool json) {
#ifdef CERES_HAVE_LIBEDIT
    if (tty && in == stdin) {
        char *l = readline(json ? "" : "(ceres) ");
        if (l && *l) add_history(l);
        return l;
    }
#endif
    if (tty && !json) {
        fputs("(ceres) ", stdout);
        fflush(stdout);
    }
    size_t cap = 0;
    char *l = NULL;
    if (getline(&l, &cap, in) < 0) {
        free(l);
        return NULL;
    }
    return l;
}

int cmd_debug(int argc, char **argv) {
    dbg_opts o = {.every_frames = 1, .suites_dir = rn_default_suites_dir()};
    o.rom_root = rn_default_rom_root();
    const char *script = NULL;
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {"json", no_argument, NULL, 'J'},
        {"script", required_argument, NULL, 's'},
        {"suites", required_argument, NULL, 'S'},
        {"roms", required_argument, NULL, 'R'},
        {"checkpoints", required_argument, NULL, 'c'},
        {"checkpoint-every", required_argument, NULL, 'e'},
        {"checkpoint-memory", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    bool first = true;
    int c;
    while ((c = cli_getopt("ceres debug", argc, argv, ":h", longs, &first)) != -1) {
        const char *v = optarg;
        uint64_t n;
        switch (c) {
        case 'h': usage(stdout); return 0;
        case 'J': o.json = true; break;
        case 's': script = v; break;
        case 'S': o.suites_dir = v; break;
        case 'R': o.rom_root = v; break;
        case 'c':
        case 'e':
            if (cli_parse_u64(v, &n) || n == 0 || n > 1000000) {
                fprintf(stderr, "ceres debug: --%s needs a number from 1 to 1000000\n",
                        c == 'c' ? "checkpoints" : "checkpoint-every");
                return 2;
            }
            if (c == 'c')
                o.max_count = (unsigned)n;
            else
                o.every_frames = (unsigned)n;
            break;
        case 'm': {
            uint64_t bytes = 0, events = 0;
            char err[256];
            if (ct_parse_size(v, &bytes, &events, err, sizeof err) || events || !bytes) {
                fprintf(stderr, "ceres debug: --checkpoint-memory: a size like 8M, not '%s'\n", v);
                return 2;
            }
            o.max_bytes = bytes;
            break;
        }
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) o.rom_path = argv[optind];
    if (optind + 1 < argc) {
        fprintf(stderr, "ceres debug: one ROM only\n");
        return 2;
    }
    if (o.rom_path && cli_check_input("ceres debug", "ROM", o.rom_path)) return 2;
    if (!o.rom_path) {
        usage(stderr);
        return 2;
    }
    char err[512];
    dbg *d = dbg_create(&o, err, sizeof err);
    if (!d) {
        fprintf(stderr, "ceres debug: %s\n", err);
        return 2;
    }
    FILE *in = stdin;
    if (script && !strcmp(script, "-")) script = NULL; /* commands from stdin */
    if (script && !(in = fopen(script, "r"))) {
        perror(script);
        dbg_destroy(d);
        return 2;
    }
    const bool tty = !script && isatty(0);
    for (;;) {
        char *l = read_line(in, tty, o.json);
        if (!l) break;
        int q = dbg_command(d, l, stdout);
        free(l);
        if (q) break;
    }
    if (in != stdin) fclose(in);
    dbg_destroy(d);
    return 0;
}
