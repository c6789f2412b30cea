/* The core's debug-hook interface: how tools above the core watch a running
 * machine (triggers and the Gameboy Doctor logger in src/debug/, the
 * breakpoints, watchpoints and stepping of an interactive debugger) without
 * the core knowing any of them. Public: a client needs only gb.h and this
 * header, never gb_internal.h.
 *
 * A client fills one gb_hooks and arms it with gb_set_hooks(); the machine
 * keeps the pointer (the struct and its bitmaps must outlive the arming) and
 * calls the callbacks below at seven kinds of moments. One client at a time:
 * a tool that wants triggers and breakpoints together folds them into one
 * set (the trigger language already is the condition language).
 *
 * Cost. Disarmed, each hook is one predictable branch and nothing else:
 *   fetch   one bit test in a 64 Kbit bitmap that is never NULL (an all-zero
 *           bitmap when nothing is armed), per instruction; the instruction
 *           loop copy without hooks (cpu.c, the variants table) has no test
 *   access  one test of a byte flag per bus access, and a bit test in the
 *           read or write bitmap only when some bit is set in one of them
 *   irq     one pointer test per interrupt dispatch (rare)
 *   frame   one pointer test per frame (rare)
 *   line    one pointer test per change of LY (154 a frame)
 *   time    nothing: the time set with gb_hooks_at shares the timer's
 *           next-event compare that the clock makes every M-cycle anyway
 *   event   nothing on the machine: the recorder calls it from its checked
 *           record path (the event's flag gets CT_SLOW while it is armed)
 * A callback runs only on a bitmap hit; it then sees the exact moment, and
 * it may evaluate anything it likes, because hits are rare by construction.
 *
 * What a callback may do: read the machine through gb.h (gb_get_regs,
 * gb_peek, gb_cycles, gb_frames, gb_rom_bank), change the fetch bitmap
 * (gb_hooks_fetch_bitmap), use the attached recorder through its own API
 * (ct_recorder_*: keep the last N, record now, enable an event, freeze,
 * stop after N more records, dump), and ask the run to end with
 * gb_request_stop(): gb_run() then returns GB_STOP_REQUEST at the next
 * instruction boundary; gb_break() from a fetch callback stops before the
 * instruction instead, which is how a debugger breaks. It must not run the
 * machine (gb_run, gb_step) or arm other hooks from inside a callback.
 * The machine copies the recorder's per-event flags only between runs
 * (gb_run, gb_set_recorder, gb_set_hooks): a callback that moves the
 * recorder's window or freezes it in the middle of a run relies on the
 * records taking the recorder's checked path, which an armed `event`
 * callback guarantees (it gives every flag CT_SLOW). */
#ifndef CERES_GB_HOOKS_H
#define CERES_GB_HOOKS_H

#include "gb.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A bitmap over the 64 KiB address space: bit (addr & 7) of byte addr >> 3. */
#define GB_HOOK_BITMAP_BYTES  8192
#define GB_HOOK_BIT(bm, addr) (((bm)[(addr) >> 3] >> ((addr)&7)) & 1)

typedef struct gb_hooks {
    void *ctx; /* handed to every callback */

    /* Instruction fetch: for each instruction whose PC has its bit set in
     * the current fetch bitmap. Called after the opcode fetch M-cycle and
     * before the instruction executes: gb_get_regs() shows the registers
     * before it (pc == the `pc` argument), gb_cycles() the end of the fetch
     * M-cycle. Not called for an interrupt dispatch (which replaces the
     * fetched opcode) nor for the M-cycles spent halted or stopped; an
     * instruction repeated by the HALT bug is fetched, and seen, twice.
     * Breakpoints on PC set their bits; a condition on machine state (ly,
     * cycle, a register) sets every bit, and may narrow it between calls
     * with gb_hooks_fetch_bitmap (stepping by instruction sets every bit and
     * stops at the first call). */
    void (*fetch)(gb *g, void *ctx, uint16_t pc);
    const uint8_t *fetch_bm; /* GB_HOOK_BITMAP_BYTES, or NULL for none */

    /* A CPU bus access to an address set in read_bm (reads) or write_bm
     * (writes), at its M-cycle: after the machine advanced by that M-cycle;
     * for a write, before it lands (memory and IO still hold the old value,
     * `value` is the new one), so a watchpoint sees both. The opcode fetch
     * itself is not an access here (that is `fetch`); operand reads, stack
     * pushes and pops, and (HL) accesses are. Accesses by OAM DMA are not
     * CPU accesses. gb_get_regs().pc is past the opcode (and operands read
     * so far) of the instruction doing the access. */
    void (*access)(gb *g, void *ctx, bool write, uint16_t addr, uint8_t value);
    const uint8_t *read_bm, *write_bm; /* GB_HOOK_BITMAP_BYTES each, or NULL */

    /* Interrupt dispatch (bit 0 VBlank, 1 STAT, 2 timer, 3 serial, 4
     * joypad), when the CPU has pushed PC and jumps to the vector: the
     * registers show PC at the vector, IME off. A dispatch cancelled by its
     * own push to IE (it jumps to $0000) is not reported. */
    void (*irq)(gb *g, void *ctx, uint8_t bit);

    /* A frame ended: the PPU entered VBlank (gb_frames() was just
     * incremented; line 144, dot 0). Stepping by frame stops here. */
    void (*frame)(gb *g, void *ctx);

    /* A trace event was recorded (it passed the recorder's filter, and its
     * window or freeze, if any, let it through: a frozen recorder still
     * calls it). `payload` is laid out as its gb_schema descriptor says
     * (ct_field_u64 reads a field); `ts` is its T-cycle. Needs a recorder
     * attached (gb_set_recorder) before gb_set_hooks; the client enables
     * the events it wants with ct_recorder_enable. A line or dot position
     * comes from ppu.* events or from gb_peek(g, 0xFF44) at a fetch. */
    void (*event)(gb *g, void *ctx, uint16_t id, uint64_t ts, const uint8_t *payload);

    /* LY changed: the PPU set a new LY (each line's start, line 153's early
     * LY = 0, the LCD turned off), at that dot, before the ppu.ly record.
     * `ly` is the new value; gb_cycles() the M-cycle it happened in. A
     * condition on LY is exact here (a fetch may come up to 6 M-cycles
     * later, or never while the CPU is halted). */
    void (*line)(gb *g, void *ctx, uint8_t ly);

    /* A time was reached: called once, in the first M-cycle at whose end
     * gb_cycles() is at or past the time set with gb_hooks_at (the clock
     * moves by 4 T-cycles), halted or not, before the rest of the machine
     * (PPU, APU, DMA) advances in that M-cycle, so the records stamped with
     * that M-cycle come after it. One-shot: the callback sets the next time
     * with gb_hooks_at if it wants one. */
    void (*time)(gb *g, void *ctx);
} gb_hooks;

/* Arm `h` on the machine (NULL disarms). Reads the bitmaps once to know
 * whether any access is watched; call it again after changing read_bm or
 * write_bm, or the set of callbacks. Also refreshes the machine's copy of
 * the recorder's flags. Call between runs, never from a callback. */
void gb_set_hooks(gb *g, const gb_hooks *h);

/* From a fetch callback only: stop before the instruction being fetched.
 * gb_run() returns GB_STOP_REQUEST at once, with the opcode fetch M-cycle
 * spent (gb_cycles() as the callback saw it) and the instruction not
 * executed (gb_get_regs() shows pc at it). The next gb_run() or gb_step()
 * executes it without calling the fetch callback for it again, so a
 * breakpoint does not hold the machine in place. */
void gb_break(gb *g);

/* Call the `time` hook when gb_cycles() reaches `cycle` (UINT64_MAX: no
 * time). Cheap, allowed from inside any callback; gb_set_hooks clears it. */
void gb_hooks_at(gb *g, uint64_t cycle);

/* The armed hooks, or NULL. */
const gb_hooks *gb_get_hooks(const gb *g);

/* Replace the fetch bitmap the machine tests from the next instruction on
 * (NULL: back to h->fetch_bm). Cheap, allowed from inside a callback: e.g.
 * every bit for the first fetch of each frame, then back to the
 * breakpoints. Ignored when no fetch callback is armed. */
void gb_hooks_fetch_bitmap(gb *g, const uint8_t *bm);

#ifdef __cplusplus
}
#endif

#endif
