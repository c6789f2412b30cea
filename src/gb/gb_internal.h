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
#include "../debug/trigger.h"

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
    uint8_t trace_on[gb_ev_count]; /* copy of rec->enabled, all 0 without recorder */
    struct ct_recorder *rec;
    uint8_t ie, intf;         /* IE ($FFFF), IF ($FF0F, low 5 bits) */
    unsigned stop_reasons;    /* GB_STOP_* bits raised since gb_run() started */
    uint64_t frames;          /* VBlank entries */
    struct gb_trig_set *trig; /* armed triggers, or NULL */
    const uint8_t *trig_xbm;  /* fetches that call gb_trig_exec: trig->fetch_bm,
                                 trig->state_bm for the first fetch of a frame, or
                                 gb_trig_none_bm when nothing is armed */
    uint8_t trig_rw;          /* some armed trigger watches bus accesses */

    gb_model model;
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
};

/* Trace point: stamped with the machine's T-cycle counter. The record is
 * written out of line (the events are rare next to the code around them);
 * GB_TRACE_HOT writes it inline, for the bus accesses. */
#define GB_TRACE(g, ID, ...)                                                                       \
    CT_EMIT_COLD((g)->trace_on, (g)->rec, gb_, ID, (g)->cycles, __VA_ARGS__)
#define GB_TRACE_HOT(g, ID, ...) CT_EMIT((g)->trace_on, (g)->rec, gb_, ID, (g)->cycles, __VA_ARGS__)

/* Trigger hooks: one predictable branch when nothing is armed, then a bit
 * test in the kind's 64 Kbit bitmap; the condition is evaluated only on a hit. */
#define GB_BM_HIT(bm, a) (((bm)[(a) >> 3] >> ((a)&7)) & 1)
/* At each fetch: one bit test in trig_xbm (never NULL), no test of
 * g->trig, so a copy of the loop with triggers armed runs straight through. */
extern const uint8_t gb_trig_none_bm[8192];
#define GB_TRIG_EXEC(g, pc)                                                                        \
    do {                                                                                           \
        if (CT_UNLIKELY(GB_BM_HIT((g)->trig_xbm, (pc)))) gb_trig_exec((g), (pc));                  \
    } while (0)
#define GB_TRIG_READ(g, addr, val)                                                                 \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->trig_rw) && GB_BM_HIT((g)->trig->read_bm, (addr)))                    \
            gb_trig_access((g), false, (addr), (val));                                             \
    } while (0)
#define GB_TRIG_WRITE(g, addr, val)                                                                \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->trig_rw) && GB_BM_HIT((g)->trig->write_bm, (addr)))                   \
            gb_trig_access((g), true, (addr), (val));                                              \
    } while (0)
#define GB_TRIG_IRQ(g, bit)                                                                        \
    do {                                                                                           \
        if (CT_UNLIKELY((g)->trig != NULL)) gb_trig_irq((g), (bit));                               \
    } while (0)

#endif
