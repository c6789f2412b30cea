/* The machine context shared by the core's files. Not a public header.
 * Cross-file internals are prefixed gb_<subsystem>_; file statics are not
 * prefixed. Every sub-struct except the cartridge's is plain data without
 * pointers, so save states can write it as a sized, versioned section. */
#ifndef CERES_GB_INTERNAL_H
#define CERES_GB_INTERNAL_H

#include "gb.h"
#include "gb_events.h"
#include "cpu.h"
#include "bus.h"
#include "timer.h"
#include "ppu.h"
#include "apu.h"
#include "cart.h"
#include "gb_hooks.h"

/* Interrupt bits (IF $FF0F / IE $FFFF). */
enum {
    GB_INT_VBLANK = 1 << 0,
    GB_INT_STAT = 1 << 1,
    GB_INT_TIMER = 1 << 2,
    GB_INT_SERIAL = 1 << 3,
    GB_INT_JOYPAD = 1 << 4,
};

#define GB_SERIAL_LOG_MAX 65536

struct gb {
    /* Hot fields first. */
    uint64_t cycles;               /* T-cycles since power-on (trace timestamp) */
    uint8_t trace_on[gb_ev_count]; /* copy of rec->flags, all 0 without recorder */
    struct ct_recorder *rec;
    uint8_t ie, intf;             /* IE ($FFFF), IF ($FF0F, low 5 bits) */
    unsigned stop_reasons;        /* GB_STOP_* bits raised since gb_run() started */
    uint64_t frames;              /* VBlank entries */
    const gb_hooks *hooks;        /* armed debug hooks (gb_hooks.h), or NULL */
    const uint8_t *hook_fetch_bm; /* fetches that call hooks->fetch; never NULL:
                                     gb_hook_none_bm when none is armed */
    const uint8_t *hook_read_bm;  /* reads / writes that call hooks->access; */
    const uint8_t *hook_write_bm; /* never NULL while hook_rw is set */
    uint8_t hook_rw;              /* some bit is set in hook_read_bm or hook_write_bm */
    uint8_t hook_reads;           /* some bit is set in hook_read_bm */
    uint64_t hook_at;             /* gb_hooks_at's time (UINT64_MAX none); the
                                     timer's next event is never later (timer.c) */
    /* Checkpoint change marks (gb_state_changes in gb.c; not saved): the
     * 256-byte pages (address >> 8) the CPU wrote since the baseline. One
     * store per write (cpu.c). */
    uint8_t ck_page[256];

    gb_model model;
    /* Interrupt handlers entered and not yet returned from: SP right after
     * each dispatch pushed its return address. A return (RETI, RET, RET cc
     * taken) that brings SP back up to or past one of them ends that
     * handler's trace slice, whatever the instruction (EI; RET as well as
     * RETI). Not saved in states: a loaded state starts with none. */
    uint16_t irq_sp[8];
    uint8_t irq_depth;
    gb_cpu cpu;
    gb_bus bus; /* WRAM, HRAM, IO latch, DMA, serial, joypad */
    gb_timer timer;
    gb_ppu ppu;
    gb_apu apu;
    gb_cart cart;

    uint8_t boot_rom[256];
    bool has_boot_rom;
    bool doctor_ly; /* LY ($FF44) reads $90: Gameboy Doctor mode (doctor.h) */

    uint8_t serial_log[GB_SERIAL_LOG_MAX];
    size_t serial_len;

    /* The checkpoint baseline (gb_state_changes): whether there is one
     * (reset, state and battery loads clear it), and the frame count, front
     * frame buffer, serial length and audio ring head it had. */
    uint8_t ck_valid, ck_front;
    uint64_t ck_frames;
    size_t ck_serial;
    uint32_t ck_audio;
    uint8_t ck_scratch[512]; /* the sections built field by field, as parts */
};

/* Trace point: stamped with the machine's T-cycle counter. The record is
 * written out of line (the events are rare next to the code around them);
 * GB_TRACE_HOT writes it inline, for the bus accesses. */
#define GB_TRACE(g, ID, ...)                                                                       \
    CT_EMIT_COLD((g)->trace_on, (g)->rec, gb_, ID, (g)->cycles, __VA_ARGS__)
#define GB_TRACE_HOT(g, ID, ...) CT_EMIT((g)->trace_on, (g)->rec, gb_, ID, (g)->cycles, __VA_ARGS__)

/* Debug hooks (gb_hooks.h): one predictable branch when nothing is armed,
 * then a bit test in the kind's 64 Kbit bitmap; the callback runs only on a
 * hit. At each fetch: one bit test in hook_fetch_bm (never NULL), no test
 * of g->hooks, so a copy of the loop with hooks armed runs straight through. */
extern const uint8_t gb_hook_none_bm[GB_HOOK_BITMAP_BYTES];
#define GB_HOOK_FETCH(g, pc)                                                                       \
    do {                                                                                           \
        if (CT_UNLIKELY(GB_HOOK_BIT((g)->hook_fetch_bm, (pc))))                                    \
            (g)->hooks->fetch((g), (g)->hooks->ctx, (pc));                                         \
    } while (0)
#define GB_HOOK_READ(g, addr, val)                                                                 \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->hook_rw) && GB_HOOK_BIT((g)->hook_read_bm, (addr)))                   \
            (g)->hooks->access((g), (g)->hooks->ctx, false, (addr), (val));                        \
    } while (0)
#define GB_HOOK_WRITE(g, addr, val)                                                                \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->hook_rw) && GB_HOOK_BIT((g)->hook_write_bm, (addr)))                  \
            (g)->hooks->access((g), (g)->hooks->ctx, true, (addr), (val));                         \
    } while (0)
#define GB_HOOK_IRQ(g, bit)                                                                        \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->hooks != NULL) && (g)->hooks->irq)                                    \
            (g)->hooks->irq((g), (g)->hooks->ctx, (bit));                                          \
    } while (0)
#define GB_HOOK_LINE(g, ly)                                                                        \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->hooks != NULL) && (g)->hooks->line)                                   \
            (g)->hooks->line((g), (g)->hooks->ctx, (ly));                                          \
    } while (0)
/* The state.cpu, state.lcd and state.io snapshot records, if enabled
 * (at each frame start and when the LCD goes off). */
void gb_trace_state(gb *g);
/* The time of gb_hooks_at was reached (called from the timer's event). */
void gb_hook_time(gb *g);
#define GB_HOOK_FRAME(g)                                                                           \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->hooks != NULL) && (g)->hooks->frame)                                  \
            (g)->hooks->frame((g), (g)->hooks->ctx);                                               \
    } while (0)

#endif
