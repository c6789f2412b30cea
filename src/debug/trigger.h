/* Triggers and windows: record exactly the part of a run that matters.
 *
 * A trigger is a condition, parsed once into a small tree, and an action.
 * Conditions (numbers in hex 0x/$ or decimal):
 *   pc==ADDR [&& bank==N]          at instruction fetch
 *   read(A) read(LO..HI) write(..)  at a CPU bus access; `value`, `addr` usable
 *   irq(vblank|stat|timer|serial|joypad)  at interrupt dispatch
 *   event(TARGET.NAME)              at a trace event; its fields usable by name
 *   cycle, frame, ly, pc, bank, value, addr, FIELD, and the CPU registers
 *   a f b c d e h l sp af bc de hl with == != < > <= >=,
 *   optionally masked: value&0xF0==0x40
 *   combined with && || ! and parentheses.
 * A condition with an occurrence atom (pc==, read, write, irq, event) fires at
 * every occurrence that satisfies it; a pure state condition (cycle>=N,
 * frame==N, ly==N) fires when it becomes true (rising edge), at the M-cycle
 * it does (the core's time, line and frame hooks), halted or not. A state
 * on `bank`, a register or a masked cycle is evaluated at each instruction
 * fetch.
 * Windows (a start, then a stop) are inclusive at both ends: the records
 * stamped with the cycle a start or a stop fires at are kept, and so is
 * the event that made the stop's condition hold.
 *
 * Triggers are a client of the core's debug hooks (gb/gb_hooks.h) and act on
 * the recorder through its API (keep the last N, record now, enable an
 * event, freeze, stop after N records). Cost while armed and not firing:
 * one predictable branch per instruction and per bus access, plus a bit
 * test in a 64 Kbit bitmap per access kind; the full condition is evaluated
 * only on a bitmap hit. */
#ifndef CERES_GB_TRIGGER_H
#define CERES_GB_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../gb/gb_hooks.h"
#include "../trace/ct_host.h"

typedef enum gb_trig_action {
    GB_TRIG_START, /* start recording (keeping `pre` events of history) */
    GB_TRIG_STOP,  /* stop recording `post` events or cycles later */
    GB_TRIG_DUMP,  /* write a numbered snapshot, recording goes on */
    GB_TRIG_MARK,  /* put a trace.mark event in the trace */
    GB_TRIG_BREAK, /* stop the run (gb_request_stop): the debugger's breakpoints */
} gb_trig_action;

#define GB_TRIG_MAX       16
#define GB_TRIG_MAX_NODES 48

typedef struct gb_trig_node {
    uint8_t kind, var, op, field;
    int8_t a, b;     /* children */
    uint16_t lo, hi; /* access range, irq bit, event id */
    uint64_t mask, rhs;
    char name[16]; /* unresolved field name */
} gb_trig_node;

typedef struct gb_trigger {
    char text[160];
    gb_trig_node nodes[GB_TRIG_MAX_NODES];
    int nnodes, root;
    uint8_t occ;  /* occurrence kinds it is evaluated at (bit per kind) */
    int event_id; /* the event() named in it, or -1 */
    gb_trig_action action;
    uint64_t post; /* STOP: events or cycles after it holds */
    bool post_cycles;
    unsigned max_dumps; /* DUMP: 0 = unlimited */
    uint64_t fires;     /* times the condition held */
    bool done;          /* START/STOP fired already; DUMP reached max */
    bool state;         /* last value (for edge-triggered state conditions) */
    bool exact;         /* a state on cycle, ly and frame only (gb_trig_arm) */
} gb_trigger;

typedef struct gb_trig_set {
    gb_trigger t[GB_TRIG_MAX];
    unsigned n;
    ct_recorder *rec;
    uint64_t pre;        /* START: events of history kept before it */
    char dump_base[512]; /* DUMP: snapshot path pattern (base name) */
    ct_dump_opts dump_opts;
    unsigned dumps_written;
    int last_dump_error;
    bool stop_on_dump; /* DUMP also asks the run to stop (gb_request_stop), so its
                          caller can act on the snapshot at once */
    bool has_state;    /* some state condition is evaluated at every fetch */
    bool in_hook;      /* re-entrancy guard (marks are events too) */
    uint8_t exec_bm[GB_HOOK_BITMAP_BYTES], read_bm[GB_HOOK_BITMAP_BYTES],
        write_bm[GB_HOOK_BITMAP_BYTES];
    /* Instruction fetches at which the fetch hook must run: exec_bm, or
     * every address when some state condition is not exact (on bank, or a
     * masked cycle). Exact states (cycle, ly, frame) are evaluated by the
     * time, line and frame hooks at the M-cycle they change. */
    uint8_t fetch_bm[GB_HOOK_BITMAP_BYTES];
    uint8_t event_on[CT_MAX_EVENTS];
    int stop_on_id; /* a stop fired by pc/read/write/irq: recording stops once the
                    next record of id stop_on_id - 1 (the trigger's own event) is in */
    gb_hooks hooks; /* what gb_trig_arm hands the machine */
} gb_trig_set;

/* Parse a condition into t (the rest of *t is reset). 0, or -EINVAL with a
 * message in err showing the expression and a caret where it went wrong. */
int gb_trig_parse(gb_trigger *t, const char *expr, const ct_schema *schema, char *err,
                  size_t errlen);

void gb_trig_set_init(gb_trig_set *s, ct_recorder *rec);
/* Add a trigger; 0 or -EINVAL / -ENOSPC with a message. */
int gb_trig_add(gb_trig_set *s, const char *expr, gb_trig_action action, char *err, size_t errlen);

/* Arm the set on a machine: builds the bitmaps, pauses recording when a
 * START trigger exists, arms the set's debug hooks (gb_set_hooks; the set
 * must outlive the arming). NULL disarms. */
void gb_trig_arm(gb *g, gb_trig_set *s);

/* Record only inside a cycle window (exact to the cycle) or frame window
 * (from the M-cycle frame lo begins, the VBlank that counts it, to the one
 * frame hi + 1 begins, both included);
 * hi = UINT64_MAX for an open end. */
int gb_trig_window_frames(gb_trig_set *s, uint64_t lo, uint64_t hi, char *err, size_t errlen);

/* Parse "X..Y", "X.." or "..Y" (decimal or hex). */
int gb_trig_parse_range(const char *s, uint64_t *lo, uint64_t *hi);

/* State conditions hold their last value, and fire when it goes from
 * false to true. gb_trig_sync_states sets that value to the one each state
 * has now, without firing: a re-execution that starts at a checkpoint where
 * a state already holds does not take the checkpoint for its rising edge
 * (it lies earlier). gb_trig_fetch_states evaluates the states that are
 * evaluated at instruction fetches (on bank, masked cycles, registers) as
 * the next fetch would: a re-execution that ends at an instruction boundary
 * sees the edge the last instruction made. The set must be armed. */
void gb_trig_sync_states(gb *g, gb_trig_set *s);
void gb_trig_fetch_states(gb *g, gb_trig_set *s);

/* Print how often each trigger fired (one line each). */
void gb_trig_report(const gb_trig_set *s, FILE *f);

#endif
