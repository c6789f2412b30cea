/* The ceres program's subcommands. Each returns the process exit code:
 * 0 success, 1 a failed result (test failed, diff found), 2 usage or input
 * error. Errors go to stderr. */
#ifndef CERES_CLI_H
#define CERES_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

int cmd_run(int argc, char **argv);   /* cmd_run.c */
int cmd_test(int argc, char **argv);  /* cmd_test.c */
int cmd_trace(int argc, char **argv); /* cmd_trace.c */
int cmd_bench(int argc, char **argv); /* cmd_bench.c */
int cmd_debug(int argc, char **argv); /* cmd_debug.c */
int cmd_play(int argc, char **argv);  /* cmd_play.c (SDL2, optional) */

/* ---- option parsing (cli_opt.c) -----------------------------------------
 * Every subcommand parses with getopt_long: --opt=value or --opt value,
 * unique prefixes of long options, bundled short options (-lj2), `--` ends
 * the options, options and operands in any order. */

/* The next option, as getopt_long returns it (its value in optarg), or -1
 * after the last one (operands then start at optind; getopt_long moved them
 * to the end), or '?' after printing what is wrong with it ("PROG: unknown
 * option ..."). `shorts` must start with ':'. Call with *first true once to
 * start over. */
int cli_getopt(const char *prog, int argc, char **argv, const char *shorts,
               const struct option *longs, bool *first);

/* A whole decimal or 0x number, no sign; 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);

/* A positive finite number of seconds; 0 or -1 ("nan", "inf", "-1" are not). */
int cli_parse_seconds(const char *s, double *out);

/* Checks a file the run will write, before the run starts: the folder it
 * goes in exists (or is missing and CLI_OUT_MAKES_DIR says the writer makes
 * it) and is writable, the path is not a folder nor a symbolic link to a
 * file (ct_file_check: the writer's own rules; a FIFO is never opened), and
 * "-" is refused (unless CLI_OUT_DASH) since that output cannot go to
 * stdout. Prints "PROG: OPT
 * PATH: what is wrong" and returns -1, else 0. */
enum {
    CLI_OUT_DASH = 1,      /* "-" means stdout */
    CLI_OUT_MAKES_DIR = 2, /* the writer creates a missing folder (the HTML report) */
};
int cli_check_output(const char *prog, const char *opt, const char *path, unsigned flags);

/* Checks a file to be read: exists, is not a folder; "-" (stdin) is
 * refused. Same conventions. */
int cli_check_input(const char *prog, const char *what, const char *path);

/* `ceres --version` text: version, commit, build options. */
void cli_print_version(FILE *f);

/* Reads any trace file Ceres writes (.ctrace, .perfetto-trace, Chrome
 * .json, .log) or a Gameboy Doctor log into a trace (trace_load.c). 0, or
 * -errno with a message in err. */
struct ct_trace;
int cli_trace_load(const char *path, struct ct_trace **out, char *err, size_t errlen);

#endif
