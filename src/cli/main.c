/* ceres: one program, subcommands run, test, trace, bench. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fputs("usage: ceres <command> [options]\n"
          "       ceres --version | --help\n"
          "\n"
          "Ceres is a cycle-accurate Game Boy (DMG) emulator with a flight recorder:\n"
          "a tracer that keeps the latest events in a fixed ring and writes them out\n"
          "only when needed.\n"
          "\n"
          "commands:\n"
          "  run ROM [options]       run a ROM headless (screenshot, tracing, triggers)\n"
          "  play ROM [options]      play a ROM in a window (SDL2), F12 dumps the recorder\n"
          "  test [options] [ROM...] run test ROM suites, dump traces of failures\n"
          "  trace convert|cat|stats|diff ...  work with dumped traces\n"
          "  bench [recorder|emu|suite|ckpt] [--json FILE]  measure the performance budgets\n"
          "  debug ROM [options]     a debugger that goes backwards (checkpoints)\n"
          "\n"
          "`ceres <command> --help` (or -h) describes each command. Options follow the\n"
          "usual conventions: --opt=value or --opt value, any unique prefix of a long\n"
          "option, bundled short options, and -- ends the options.\n",
          f);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        cli_print_version(stdout);
        return 0;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "test")) return cmd_test(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace")) return cmd_trace(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "play")) return cmd_play(argc - 1, argv + 1);
    if (!strcmp(cmd, "debug")) return cmd_debug(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "ceres: unknown option '%s' (options come after the command)\n", cmd);
    else
        fprintf(stderr, "ceres: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
