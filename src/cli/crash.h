/* The crash dump of `ceres run` (and of any subcommand that runs a ROM):
 * on a crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, a stack overflow
 * included) or the first SIGINT/SIGTERM, the flight recorder's ring is
 * written as .ctrace to a file created at that moment, never over an
 * existing one. */
#ifndef CERES_CRASH_H
#define CERES_CRASH_H

#include "../gb/gb.h"
#include "../trace/ct_host.h"

#include <stdbool.h>

/* Arms the handlers for machine g and its recorder rec (either may be
 * NULL): reserves the alternate signal stack, remembers the dump's path
 * (created only when a signal comes; with make_out_dir its folder "out" is
 * created then too). `prog` prefixes the messages. Returns 0, or -1 after
 * a message (path too long). */
int crash_guard_start(const char *prog, const char *path, bool make_out_dir, gb *g,
                      ct_recorder *rec);

/* The run is over and the outputs are being written: a SIGINT/SIGTERM from
 * now on writes the crash dump at once and lets the outputs finish (no
 * half-written temporary file is left behind), instead of stopping. */
void crash_guard_outputs(void);

/* The first SIGINT/SIGTERM received since crash_guard_start, or 0. */
int crash_guard_signal(void);

/* Disarms the handlers and frees the reserved stack. */
void crash_guard_end(void);

#endif
