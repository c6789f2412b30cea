/* Checkpoints of a Game Boy run: the machine's save state (no ROM) every N
 * frames into a bounded ct_ckpt ring (src/trace/ckpt.h), and the joypad
 * changes logged beside them, so a run restored to a checkpoint and run
 * forward again through gb_ckpt_run is exactly the run that was recorded.
 * Built on the public API (gb.h) only. */
#ifndef CERES_DEBUG_GB_CKPT_H
#define CERES_DEBUG_GB_CKPT_H

#include "../gb/gb.h"
#include "../trace/ckpt.h"

typedef struct gb_ckpt gb_ckpt;

#define GB_CKPT_DEFAULT_BYTES (8u << 20)
/* A frame's worth of T-cycles: with the LCD off no frame ends, and the
 * checkpoints come every N + 1/2 times this many cycles instead. */
#define GB_CKPT_FRAME_CYCLES 70224u

/* A checkpoint every `every_frames` frames, or as many frames' worth of
 * cycles when no frame ends sooner; every_frames 0 = only explicit gb_ckpt_take; max_count 0 =
 * bound by memory only. Takes the first checkpoint now. NULL on error (err). */
gb_ckpt *gb_ckpt_create(gb *g, unsigned every_frames, uint64_t max_bytes, unsigned max_count,
                        char *err, size_t errlen);
void gb_ckpt_destroy(gb_ckpt *k);

/* Take a checkpoint now, stamped with the machine's cycle and `tag`. */
int gb_ckpt_take(gb_ckpt *k, gb *g, uint64_t tag);

/* gb_run, taking a checkpoint at every N-th frame end (or N frames' worth
 * of cycles) and applying the
 * logged joypad changes that lie ahead (after a restore) at their cycles. */
unsigned gb_ckpt_run(gb_ckpt *k, gb *g, uint64_t max_cycles, unsigned stop_mask);

/* Press buttons now (gb_set_buttons) and log it. A change in the past of
 * the log (after a restore) starts a new timeline: later inputs and
 * checkpoints are dropped. */
void gb_ckpt_buttons(gb_ckpt *k, gb *g, uint8_t pressed);

/* Restore the newest checkpoint taken at or before `cycle`: 0 (its tag in
 * *tag when not NULL), -ENOENT when none is that old, or a load error. */
int gb_ckpt_restore(gb_ckpt *k, gb *g, uint64_t cycle, uint64_t *tag);
/* Restore entry i of the ring (0 = oldest). */
int gb_ckpt_restore_index(gb_ckpt *k, gb *g, unsigned i);

/* Re-run a stretch of the recorded run on another machine `other` (made
 * from the same ROM and boot ROM, a recorder attached as the caller likes):
 * restore the newest checkpoint at or before `from` into it and run it to
 * `to` (the first instruction boundary at or after it), applying the logged
 * joypad changes. The ring and the recorded machine's position in the log
 * are left as they were. 0 (the cycle it started from in *start), -ENOENT
 * when no checkpoint is that old, or a load error. */
int gb_ckpt_replay(gb_ckpt *k, gb *other, uint64_t from, uint64_t to, uint64_t *start);

/* Drop everything after the machine's present (after gb_state_load of a
 * foreign state, say) and take a checkpoint there. */
int gb_ckpt_rebase(gb_ckpt *k, gb *g);

const ct_ckpt *gb_ckpt_ring(const gb_ckpt *k);
/* Input log entries held (for bounds checks). */
size_t gb_ckpt_inputs(const gb_ckpt *k);

#endif
