/* `ceres debug`: an interactive debugger that goes backwards. One session
 * holds a machine, its checkpoint ring (debug/gb_ckpt.h, a checkpoint every frame)
 * and flight recorder, and the breakpoints and watchpoints (trigger
 * conditions, gb/trigger.h, with the BREAK action). Every backward command
 * restores the checkpoint before the point in question and re-executes
 * forward one instruction at a time with full detail: exact, as far back as
 * the checkpoint ring reaches. Answers are plain text, or one JSON object
 * per answer (cJSON). */
#ifndef CERES_CLI_DEBUGGER_H
#define CERES_CLI_DEBUGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct dbg dbg;

typedef struct dbg_opts {
    const char *rom_path;
    bool json;
    unsigned every_frames;  /* checkpoint interval (default 1) */
    unsigned max_count;     /* --checkpoints N (0 = memory bound only) */
    uint64_t max_bytes;     /* --checkpoint-memory (default 8 MiB) */
    const char *suites_dir; /* for run-to-failure */
    const char *rom_root;
} dbg_opts;

/* NULL on error (err says why). */
dbg *dbg_create(const dbg_opts *o, char *err, size_t errlen);
void dbg_destroy(dbg *d);

/* Run one command line, writing its answer to out. Returns 1 for quit,
 * 0 otherwise (errors are answers too). */
int dbg_command(dbg *d, const char *line, FILE *out);

#endif
