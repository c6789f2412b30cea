/* `ceres run --dump-detail full`: a snapshot written by --trace-dump-on
 * gets a second file, the same window re-run with every event at trace
 * level. The run keeps a checkpoint every frame (debug/gb_ckpt.h); at a
 * snapshot the run pauses, a second machine restores the checkpoint just
 * before the snapshot's oldest event and runs to the present with a
 * full-detail recorder, and the run goes on. `full-from-power-on` keeps no
 * checkpoints and re-runs from power-on (slower, no memory). */
#ifndef CERES_CLI_RUN_REPLAY_H
#define CERES_CLI_RUN_REPLAY_H

#include "../debug/gb_ckpt.h"
#include "../debug/trigger.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct run_replay run_replay;

/* For a machine `g` made from the ROM at rom_path (and boot, may be NULL);
 * from_power_on: no checkpoints. NULL after a message in err. */
run_replay *run_replay_create(gb *g, const char *rom_path, const uint8_t *boot, size_t boot_size,
                              bool from_power_on, char *err, size_t errlen);
void run_replay_destroy(run_replay *r);

/* gb_run, keeping the checkpoints. */
unsigned run_replay_run(run_replay *r, gb *g, uint64_t max_cycles, unsigned stop_mask);

/* After a run stopped: when `trig` wrote snapshots since the last call,
 * replay the newest one's window in full detail (its file named after the
 * snapshot's: NAME.NNNN.full.EXT); a line on stderr says what was done.
 * Returns true when it did (the stop was the snapshot's, the run goes on). */
bool run_replay_after(run_replay *r, gb *g, gb_trig_set *trig, const char *prog);

#endif
