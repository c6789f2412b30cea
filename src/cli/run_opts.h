/* The options of `ceres run`, parsed into one struct by one function, so
 * another subcommand that runs a ROM (e.g. an interactive one) takes the
 * same options with the same names and adds its own. */
#ifndef CERES_RUN_OPTS_H
#define CERES_RUN_OPTS_H

#include "cli.h"

#include "../debug/trigger.h"
#include "../trace/ct_host.h"

typedef struct run_opts {
    const char *rom_path;
    /* Run length: limit T-cycles (default 10 emulated s); nlimits counts
     * --frames N, --cycles N, --seconds S given. */
    uint64_t limit;
    int nlimits;
    bool until_ldbb;
    /* Windows (--frames X..Y, --cycles X..Y); UINT64_MAX as hi: open end. */
    bool win_frames, win_cycles;
    uint64_t wf_lo, wf_hi, wc_lo, wc_hi;
    /* Triggers, in command-line order, and their parameters. */
    unsigned ntrig;
    const char *trig_expr[GB_TRIG_MAX];
    gb_trig_action trig_act[GB_TRIG_MAX];
    uint64_t pre, stop_after;
    bool stop_after_cycles;
    unsigned max_dumps;
    /* Inputs and outputs. */
    const char *shot, *boot_path, *filter, *buf_spec, *trace_out, *fmt_name, *stream;
    const char *doctor_path, *crash_path;
    /* Buttons: a script, an input movie to play or to record (src/play). */
    const char *input, *play_input, *record_input, *desync_dump;
    bool raw, list_events;
    /* Derived by run_opts_parse from the above. */
    uint64_t ring_bytes, ring_events;
    bool recording; /* a ring is kept (--trace-buffer not 0) */
    bool triggers;  /* triggers or a frame window need the trigger set */
    ct_dump_opts dump;
} run_opts;

/* What a subcommand built on run's options adds: its name for messages
 * ("ceres play"), its --help text, its own options (codes >= RUN_OPT_EXTRA)
 * and their handler (returns 0, or an exit code after a message). */
#define RUN_OPT_EXTRA 0x1000
typedef struct run_opts_ext {
    const char *prog;
    void (*usage)(FILE *f);
    const char *shorts; /* extra short options, getopt syntax, without ':' */
    const struct option *longs;
    int (*on_option)(void *ctx, int code, const char *value);
    void *ctx;
} run_opts_ext;

/* The shared options' --help lines (length, triggers, recording, output). */
void run_opts_help(FILE *f);

/* Parse argv (argv[0] is the subcommand's name) into *o, then check the
 * combination and the files it names (inputs exist, outputs can be
 * written) so a bad path fails before the run. Returns -1 to go on, or the
 * exit code: 0 after --help or --list-events, 2 after a message. */
int run_opts_parse(run_opts *o, int argc, char **argv, const run_opts_ext *ext);

/* Every target and event of the emulator's schema with its fields and
 * level, for --list-events. */
void run_list_events(FILE *f);

#endif
