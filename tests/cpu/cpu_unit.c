/* CPU, timer, DMA and machine unit tests on ROMs synthesized in memory: EI
 * delay, HALT bug, interrupt dispatch timing, TIMA reload, OAM DMA bus
 * conflict, illegal-opcode lock-up, save-state validation and determinism,
 * serial, post-boot state, boot ROM mapping and the core's trace points. */
#include "check.h"
#include "testrom.h"
#include "gb/gb_internal.h"
#include "trace/ct_host.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ROM_SIZE 0x8000

/* A 32 KiB ROM-only image with a valid header and `code` at $0100. Unused
 * bytes are NOPs... except the interrupt vectors, which hold LD B,B. */
static uint8_t *make_rom(const uint8_t *code, size_t len) {
    uint8_t *rom = calloc(1, ROM_SIZE);
    for (unsigned v = 0x40; v <= 0x60; v += 8)
        rom[v] = 0x40;
    if (len) memcpy(rom + 0x100, code, len);
    memcpy(rom + 0x134, "CERESCPU", 8);
    rom[0x147] = 0x00;
    rom[0x148] = 0x00;
    rom[0x149] = 0x00;
    testrom_fix_checksum(rom);
    return rom;
}

static gb *boot(const uint8_t *code, size_t len) {
    uint8_t *rom = make_rom(code, len);
    char err[256];
    gb *g = gb_create(rom, ROM_SIZE, NULL, err, sizeof err);
    free(rom);
    if (!g) fprintf(stderr, "gb_create: %s\n", err);
    return g;
}

/* EI takes effect after the next instruction: with an interrupt pending, the
 * instruction after EI runs, the one after it does not. */
static void test_ei_delay(void) {
    static const uint8_t code[] = {
        0xF3,       /* DI */
        0x3E, 0x04, /* LD A,$04 */
        0xE0, 0xFF, /* LDH (IE),A */
        0xE0, 0x0F, /* LDH (IF),A: timer interrupt pending */
        0xFB,       /* EI */
        0x04,       /* INC B: runs (EI delay) */
        0x04,       /* INC B: interrupted before it */
        0x04, 0x40,
    };
    gb *g = boot(code, sizeof code);
    CHECK(g != NULL);
    if (!g) return;
    unsigned why = gb_run(g, 10000, GB_STOP_LD_B_B);
    CHECK(why & GB_STOP_LD_B_B);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.b, 1);
    CHECK_EQ(r.pc, 0x51); /* stopped after LD B,B at the timer vector */
    CHECK_EQ(r.ime, 0);
    /* The return address is the second INC B. */
    CHECK_EQ(gb_peek(g, r.sp) | gb_peek(g, (uint16_t)(r.sp + 1)) << 8, 0x109);
    CHECK_EQ(g->intf & GB_INT_TIMER, 0);
    gb_destroy(g);

    /* EI immediately followed by DI: no interrupt. */
    static const uint8_t code2[] = {0xF3, 0x3E, 0x04, 0xE0, 0xFF, 0xE0,
                                    0x0F, 0xFB, 0xF3, 0x04, 0x04, 0x40};
    g = boot(code2, sizeof code2);
    gb_run(g, 10000, GB_STOP_LD_B_B);
    gb_get_regs(g, &r);
    CHECK_EQ(r.b, 2);
    CHECK_EQ(r.pc, 0x10C);
    gb_destroy(g);
}

/* HALT with IME=0 and an interrupt already pending does not halt, and the
 * next opcode is read twice. */
static void test_halt_bug(void) {
    static const uint8_t code[] = {
        0xF3, 0x3E, 0x04, 0xE0, 0xFF, 0xE0, 0x0F, 0x76, /* HALT */
        0x04,                                           /* INC B: executed twice */
        0x40,
    };
    gb *g = boot(code, sizeof code);
    gb_run(g, 10000, GB_STOP_LD_B_B);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.b, 2);
    CHECK_EQ(r.pc, 0x10A);
    CHECK(!r.halted);
    gb_destroy(g);

    /* Without a pending interrupt HALT halts until one arrives (IME=0: no
     * dispatch, execution resumes after HALT, B incremented once). */
    static const uint8_t code2[] = {
        0xF3, 0x3E, 0x04, 0xE0, 0xFF, 0xAF, 0xE0, 0x0F, /* IE=timer, IF=0 */
        0x3E, 0x05, 0xE0, 0x07,                         /* TAC: on, 262144 Hz */
        0x76, 0x04, 0x40,
    };
    g = boot(code2, sizeof code2);
    for (int i = 0; i < 9; i++)
        gb_step(g);
    gb_get_regs(g, &r);
    CHECK(r.halted);
    gb_run(g, 100000, GB_STOP_LD_B_B);
    gb_get_regs(g, &r);
    CHECK(!r.halted);
    CHECK_EQ(r.b, 1);
    CHECK_EQ(r.pc, 0x10F);
    gb_destroy(g);
}

/* EI; HALT with an interrupt pending: HALT still sees IME=0 and hits the
 * HALT bug; the interrupt is taken and returns to the HALT itself. */
static void test_ei_halt(void) {
    static const uint8_t code[] = {
        0xF3, 0x3E, 0x04, 0xE0, 0xFF, 0xE0, 0x0F, /* IE = IF = timer */
        0xFB,                                     /* EI ($0107) */
        0x76,                                     /* HALT ($0108) */
        0x04, 0x40,
    };
    gb *g = boot(code, sizeof code);
    gb_run(g, 10000, GB_STOP_LD_B_B);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x51); /* LD B,B at the timer vector */
    CHECK_EQ(gb_peek(g, r.sp) | gb_peek(g, (uint16_t)(r.sp + 1)) << 8, 0x108);
    CHECK_EQ(r.b, 0);
    CHECK(!g->cpu.halt_bug);
    gb_destroy(g);
}

/* Dispatch: 5 M-cycles, PC pushed, IF bit acknowledged, IME cleared. */
static void test_dispatch_timing(void) {
    static const uint8_t code[] = {0xF3, 0x3E, 0x04, 0xE0, 0xFF, 0xE0, 0x0F, 0xFB, 0x00, 0x00};
    gb *g = boot(code, sizeof code);
    for (int i = 0; i < 6; i++) /* DI .. EI, then the NOP after EI */
        gb_step(g);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x109);
    CHECK(r.ime);
    const uint64_t t0 = gb_cycles(g);
    gb_step(g); /* the dispatch */
    gb_get_regs(g, &r);
    CHECK_EQ(gb_cycles(g) - t0, 20);
    CHECK_EQ(r.pc, 0x50);
    CHECK_EQ(r.sp, 0xFFFC);
    CHECK_EQ(gb_peek(g, 0xFFFC), 0x09);
    CHECK_EQ(gb_peek(g, 0xFFFD), 0x01);
    CHECK(!r.ime);
    CHECK_EQ(g->intf & GB_INT_TIMER, 0);
    gb_destroy(g);
}

/* TIMA overflow: TIMA reads 0 for exactly one M-cycle, then TMA is loaded
 * and IF.timer is raised in the same M-cycle. */
static void test_timer_reload(void) {
    static const uint8_t code[] = {
        0xF3, 0x3E, 0x80, 0xE0, 0x06, /* TMA = $80 */
        0x3E, 0xFE, 0xE0, 0x05,       /* TIMA = $FE */
        0xAF, 0xE0, 0x0F,             /* IF = 0 */
        0x3E, 0x05, 0xE0, 0x07,       /* TAC = on, 16 T-cycles per increment */
    };
    gb *g = boot(code, sizeof code); /* NOPs follow */
    for (int i = 0; i < 9; i++)
        gb_step(g);
    CHECK_EQ(g->cpu.pc, 0x110);
    int zero_cycles = 0, saw_ff = 0, reloaded = 0;
    for (int i = 0; i < 40 && !reloaded; i++) {
        gb_step(g); /* one NOP: one M-cycle */
        uint8_t tima = g->timer.tima;
        if (tima == 0xFF) saw_ff = 1;
        if (tima == 0x00) {
            zero_cycles++;
            CHECK_EQ(g->intf & GB_INT_TIMER, 0);
        }
        if (tima == 0x80) {
            reloaded = 1;
            CHECK(g->intf & GB_INT_TIMER);
        }
    }
    CHECK(saw_ff);
    CHECK_EQ(zero_cycles, 1);
    CHECK(reloaded);
    gb_destroy(g);
}

/* The timer's interrupt wakes a halted CPU one M-cycle later than a running
 * CPU takes it (gambatte hwtests tima/, `ei; halt` against `ei; nop`): the
 * handler's first instruction runs 4 T-cycles later after HALT. */
static void test_timer_halt_wake(void) {
    uint64_t at[2] = {0, 0};
    for (int halt = 0; halt < 2; halt++) {
        const uint8_t code[] = {
            0xF3, 0x3E,
            0xFE, 0xE0,
            0x05, /* DI; TIMA = $FE */
            0x3E, 0x04,
            0xE0, 0xFF, /* IE = timer */
            0xAF, 0xE0,
            0x0F, /* IF = 0 */
            0x3E, 0x05,
            0xE0, 0x07,               /* TAC = on, 16 T-cycles per increment */
            0xFB, halt ? 0x76 : 0x00, /* EI; HALT or NOP, NOPs follow */
        };
        gb *g = boot(code, sizeof code);
        unsigned why = gb_run(g, 10000, GB_STOP_LD_B_B); /* LD B,B at $0050 */
        CHECK(why & GB_STOP_LD_B_B);
        gb_regs r;
        gb_get_regs(g, &r);
        CHECK_EQ(r.pc, 0x51);
        at[halt] = gb_cycles(g);
        gb_destroy(g);
    }
    CHECK_EQ(at[1] - at[0], 4);
}

/* OAM DMA from WRAM, run from HRAM: a CPU read of ROM during the transfer
 * sees the DMA's byte; HRAM stays readable; OAM ends up a copy. */
static void test_dma_conflict(void) {
    static const uint8_t code[] = {0x3E, 0xC0, 0xC3, 0x80, 0xFF, 0x00, 0x00, 0x00, 0x55};
    static const uint8_t hram[] = {
        0xE0, 0x46,       /* LDH ($46),A: DMA from $C000 */
        0x00, 0x00,       /* the setup M-cycles */
        0xFA, 0x08, 0x01, /* LD A,($0108): $55 in ROM, but the DMA owns the bus */
        0x47,             /* LD B,A */
        0xF0, 0xA0,       /* LDH A,($A0): HRAM is not affected */
        0x4F,             /* LD C,A */
        0x3E, 0x30,       /* LD A,$30 */
        0x3D, 0x20, 0xFD, /* DEC A; JR NZ: wait for the DMA to end */
        0x40,
    };
    gb *g = boot(code, sizeof code);
    memcpy(g->bus.hram, hram, sizeof hram);
    g->bus.hram[0x20] = 0x99;
    for (unsigned i = 0; i < 0xA0; i++)
        g->bus.wram[i] = (uint8_t)(0x10 + i);
    gb_run(g, 100000, GB_STOP_LD_B_B);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK(r.b != 0x55);
    CHECK(r.b >= 0x10 && r.b < 0x10 + 0xA0);
    CHECK_EQ(r.c, 0x99);
    CHECK(memcmp(g->ppu.oam, g->bus.wram, 0xA0) == 0);
    CHECK(!g->bus.dma_active);
    gb_destroy(g);
}

/* A CPU write on the DMA's bus during OAM DMA is lost, and the byte the DMA
 * moves in that M-cycle meets the written value: from WRAM OAM gets the
 * AND, from ROM the CPU's value (gambatte hwtests oamdma busypush). */
static void test_dma_write_conflict(void) {
    for (int from_rom = 0; from_rom < 2; from_rom++) {
        const uint8_t page = from_rom ? 0x02 : 0xC0;
        const uint8_t code[] = {0x3E, page,        /* LD A,page */
                                0x21, 0x00, 0xC1,  /* LD HL,$C100 */
                                0xC3, 0x80, 0xFF}; /* JP $FF80 */
        static const uint8_t hram[] = {
            0xE0, 0x46,       /* LDH ($46),A: start the DMA */
            0x3E, 0x0F,       /* LD A,$0F */
            0x77,             /* LD (HL),A: $C100 is on the DMA's bus */
            0x3E, 0x30,       /* LD A,$30 */
            0x3D, 0x20, 0xFD, /* DEC A; JR NZ: wait for the DMA to end */
            0x40,
        };
        uint8_t *rom = make_rom(code, sizeof code);
        for (unsigned i = 0; i < 0xA0; i++)
            rom[0x200 + i] = (uint8_t)(0x10 + i);
        char err[256];
        gb *g = gb_create(rom, ROM_SIZE, NULL, err, sizeof err);
        free(rom);
        CHECK(g != NULL);
        if (!g) return;
        memcpy(g->bus.hram, hram, sizeof hram);
        for (unsigned i = 0; i < 0xA0; i++)
            g->bus.wram[i] = (uint8_t)(0x10 + i);
        g->bus.wram[0x100] = 0x77;
        gb_run(g, 100000, GB_STOP_LD_B_B);
        CHECK(!g->bus.dma_active);
        CHECK_EQ(g->bus.wram[0x100], 0x77); /* the write was lost */
        unsigned hit = 0, other = 0;
        for (unsigned i = 0; i < 0xA0; i++) {
            const uint8_t src = (uint8_t)(0x10 + i);
            const uint8_t want = from_rom ? 0x0F : (uint8_t)(src & 0x0F);
            if (g->ppu.oam[i] == want)
                hit++;
            else if (g->ppu.oam[i] != src)
                other++;
        }
        CHECK_EQ(hit, 1);
        CHECK_EQ(other, 0);
        gb_destroy(g);
    }
}

/* An interrupt dispatch pushes PC in its 4th and 5th M-cycles: pushed into
 * ROM during an OAM DMA from ROM, the bytes land in OAM one place later than
 * a dispatch pushing in its 3rd and 4th would put them (gambatte hwtests
 * oamdma/oamdma_src0000_busyint0002: $FF at $FE9E, $94 at $FE9F). */
static void test_dispatch_push_timing(void) {
    static const uint8_t code[] = {0xC3, 0x80, 0xFF}; /* JP $FF80 */
    static const uint8_t hram[] = {
        0x31, 0x02, 0x00,             /* LD SP,$0002: the pushes go to $0001, $0000 */
        0x3E, 0x04, 0xE0, 0x0F, 0xE0, /* IF = IE = timer */
        0xFF, 0xAF, 0xE0, 0x46,       /* XOR A; LDH ($46),A: DMA from $0000 */
        0x0E, 0x26, 0x0D, 0x20, 0xFD, /* wait */
        0x00, 0xFB, 0x00,             /* NOP; EI; NOP: the dispatch pushes $FF94 */
    };
    uint8_t *rom = make_rom(code, sizeof code);
    for (unsigned i = 0x98; i < 0xA0; i++)
        rom[i] = (uint8_t)(0x10 + i);
    char err[256];
    gb *g = gb_create(rom, ROM_SIZE, NULL, err, sizeof err);
    free(rom);
    CHECK(g != NULL);
    if (!g) return;
    memcpy(g->bus.hram, hram, sizeof hram);
    CHECK(gb_run(g, 100000, GB_STOP_LD_B_B) & GB_STOP_LD_B_B); /* the handler at $0050 */
    CHECK_EQ(g->cpu.pc, 0x51);
    gb_run(g, 2000, 0);
    CHECK(!g->bus.dma_active);
    CHECK_EQ(g->ppu.oam[0x9D], 0x10 + 0x9D); /* the ROM's byte */
    CHECK_EQ(g->ppu.oam[0x9E], 0xFF);
    CHECK_EQ(g->ppu.oam[0x9F], 0x94);
    gb_destroy(g);
}

/* STOP waits for a button press and resets the divider. */
static void test_stop(void) {
    static const uint8_t code[] = {0x10, 0x04, 0x40}; /* STOP; INC B; LD B,B */
    gb *g = boot(code, sizeof code);
    unsigned why = gb_run(g, 50000, GB_STOP_LD_B_B);
    CHECK(why & GB_STOP_LIMIT);
    CHECK(g->cpu.stopped);
    CHECK_EQ(gb_peek(g, 0xFF04), 50000 / 256);
    gb_set_buttons(g, GB_BTN_A);
    why = gb_run(g, 1000, GB_STOP_LD_B_B);
    CHECK(why & GB_STOP_LD_B_B);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.b, 1);
    CHECK(!g->cpu.stopped);
    gb_destroy(g);
}

/* An illegal opcode locks the CPU up: gb_run reports it, PC stays put and
 * time goes on. */
static void test_lockup(void) {
    static const uint8_t code[] = {0x00, 0xD3, 0x04};
    gb *g = boot(code, sizeof code);
    unsigned why = gb_run(g, 100000, GB_STOP_LOCKUP);
    CHECK(why & GB_STOP_LOCKUP);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x102);
    uint64_t t = gb_cycles(g);
    why = gb_run(g, 1000, GB_STOP_LD_B_B);
    CHECK(why & GB_STOP_LIMIT);
    CHECK(gb_cycles(g) >= t + 1000);
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x102);
    CHECK_EQ(r.b, 0);
    gb_destroy(g);
}

static uint32_t get_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Save, run N frames, load, run N frames: identical machine. Corrupt or
 * truncated states are refused and leave the machine unchanged. */
static void test_save_states(void) {
    static const uint8_t code[] = {
        0x3E, 0x05, 0xE0, 0x07, /* timer on */
        0x21, 0x00, 0x80,       /* LD HL,$8000 */
        0x04,                   /* INC B */
        0x78,                   /* LD A,B */
        0x22,                   /* LD (HL+),A */
        0xCB, 0x6C,             /* BIT 5,H */
        0x28, 0xF9,             /* JR Z,-7 */
        0xC3, 0x04, 0x01,       /* JP $0104 */
    };
    gb *g = boot(code, sizeof code);
    gb_run(g, 3 * 70224, 0);
    const size_t n = gb_state_size(g);
    uint8_t *st = malloc(n), *st2 = malloc(n);
    CHECK_EQ(gb_state_save(g, st, n), (long)n);
    CHECK(gb_state_save(g, st, n - 1) < 0);

    gb_run(g, 10 * 70224, 0);
    uint8_t fb1[GB_LCD_W * GB_LCD_H];
    memcpy(fb1, gb_framebuffer(g), sizeof fb1);
    const uint64_t c1 = gb_cycles(g), f1 = gb_frames(g);
    gb_regs r1, r2;
    gb_get_regs(g, &r1);
    CHECK_EQ(gb_state_save(g, st2, n), (long)n);

    CHECK_EQ(gb_state_load(g, st, n), 0);
    CHECK(gb_cycles(g) < c1);
    gb_run(g, 10 * 70224, 0);
    CHECK_EQ(gb_cycles(g), c1);
    CHECK_EQ(gb_frames(g), f1);
    CHECK(memcmp(fb1, gb_framebuffer(g), sizeof fb1) == 0);
    gb_get_regs(g, &r2);
    CHECK(memcmp(&r1, &r2, sizeof r1) == 0);
    uint8_t *st3 = malloc(n);
    CHECK_EQ(gb_state_save(g, st3, n), (long)n);
    CHECK(memcmp(st2, st3, n) == 0);

    /* Refusals leave the machine as it was. */
    const uint64_t before = gb_cycles(g);
    CHECK(gb_state_load(g, st, n - 1) < 0);
    CHECK(gb_state_load(g, st, 10) < 0);
    memcpy(st3, st, n);
    st3[0] ^= 1; /* magic */
    CHECK(gb_state_load(g, st3, n) < 0);
    memcpy(st3, st, n);
    st3[8] ^= 1; /* version */
    CHECK(gb_state_load(g, st3, n) < 0);
    memcpy(st3, st, n);
    st3[16 + 4] ^= 1; /* first section's size */
    CHECK(gb_state_load(g, st3, n) < 0);
    /* A flag byte that is not 0 or 1 (CPU section: after CORE). */
    memcpy(st3, st, n);
    const size_t cpu_at = 16 + 8 + (size_t)get_u32(st + 16 + 4) + 8;
    st3[cpu_at + offsetof(gb_cpu, halted)] = 7;
    CHECK(gb_state_load(g, st3, n) < 0);
    memcpy(st3, st, n);
    st3[cpu_at + offsetof(gb_cpu, halted)] = 1; /* a valid change loads */
    CHECK_EQ(gb_state_load(g, st3, n), 0);
    CHECK(g->cpu.halted);
    CHECK_EQ(gb_state_load(g, st2, n), 0); /* back to where the refusals began */
    CHECK_EQ(gb_cycles(g), before);
    gb_get_regs(g, &r2);
    CHECK(memcmp(&r1, &r2, sizeof r1) == 0);
    /* Random bytes in the CPU, bus and timer sections either load or are
     * refused; a loaded machine then runs without touching memory out of
     * bounds (checked under the sanitizers). */
    const size_t core_len = get_u32(st + 16 + 4);
    const size_t from = 16 + 8 + core_len,
                 to = from + 3 * 8 + sizeof(gb_cpu) + GB_BUS_STATE_BYTES + sizeof(gb_timer);
    uint32_t seed = 12345;
    for (int round = 0; round < 300; round++) {
        memcpy(st3, st, n);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1103515245u + 12345u;
            const size_t at = from + (seed >> 8) % (to - from);
            seed = seed * 1103515245u + 12345u;
            st3[at] = (uint8_t)(seed >> 16);
        }
        if (gb_state_load(g, st3, n) == 0) gb_run(g, 2000, 0);
    }
    free(st);
    free(st2);
    free(st3);
    gb_destroy(g);
}

/* Serial with the internal clock: 8 * 512 T-cycles per byte, logged, IF set. */
static void test_serial(void) {
    static const uint8_t code[] = {
        0x3E, 'C',  0xE0, 0x01, /* SB = 'C' */
        0x3E, 0x81, 0xE0, 0x02, /* SC = $81 */
        0x00,
    };
    gb *g = boot(code, sizeof code);
    unsigned why = gb_run(g, 10000, GB_STOP_SERIAL);
    CHECK(why & GB_STOP_SERIAL);
    size_t len;
    const uint8_t *out = gb_serial_output(g, &len);
    CHECK_EQ(len, 1);
    CHECK_EQ(out[0], 'C');
    CHECK(g->intf & GB_INT_SERIAL);
    CHECK_EQ(gb_peek(g, 0xFF01), 0xFF); /* no peer: ones shifted in */
    CHECK_EQ(gb_peek(g, 0xFF02) & 0x80, 0);
    CHECK(gb_cycles(g) > 8 * 512 - 512 && gb_cycles(g) <= 8 * 512 + 64);
    gb_destroy(g);
}

/* One NOP (one M-cycle) per step, n times. */
static void nops(gb *g, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        gb_step(g);
}

/* A transfer started at internal counter `start` ends (IF.serial) exactly
 * `end` T-cycles later, and not 4 T-cycles before. With `div_at` nonzero,
 * DIV is written that many T-cycles after the start and `end` counts from
 * the write. */
static void serial_case(uint16_t start, unsigned div_at, unsigned end) {
    gb *g = boot(NULL, 0); /* NOPs */
    gb_timer_reset(g, start);
    g->intf = 0;
    gb_bus_write(g, 0xFF02, 0x81);
    if (div_at) {
        nops(g, div_at / 4);
        gb_bus_write(g, 0xFF04, 0);
    }
    nops(g, end / 4 - 1);
    CHECK_EQ(g->intf & GB_INT_SERIAL, 0);
    nops(g, 1);
    CHECK(g->intf & GB_INT_SERIAL);
    CHECK_EQ(gb_peek(g, 0xFF01), 0xFF); /* eight ones shifted in */
    gb_destroy(g);
}

/* The serial clock counts falling edges of counter bit 7, 16 to a byte: a
 * start with bit 8 high ends on a rising edge of bit 8, and a DIV reset
 * with bit 7 high is an edge (gambatte hwtests serial/nopx2_start_wait_*,
 * start_late_div_write_wait_read_if_*). */
static void test_serial_edges(void) {
    serial_case(0x0010, 0, 0x1000 - 0x0010); /* bit 8 low: 8 bit-8 periods */
    serial_case(0x0100, 0, 0x1000);          /* bit 8 high: half a bit later */
    serial_case(0x002C, 3712 - 44, 256);     /* DIV reset at $0E80: the 15th edge */
    serial_case(0x002C, 3708 - 44, 512);     /* at $0E7C: not an edge */
    serial_case(0x002C, 3964 - 44, 256);     /* at $0F7C: 15 edges, not one */
    gb *g = boot(NULL, 0);                   /* at $0F80: the 16th edge ends the byte */
    gb_timer_reset(g, 0x002C);
    g->intf = 0;
    gb_bus_write(g, 0xFF02, 0x81);
    nops(g, (3968 - 44) / 4);
    CHECK_EQ(g->intf & GB_INT_SERIAL, 0);
    gb_bus_write(g, 0xFF04, 0);
    CHECK(g->intf & GB_INT_SERIAL);
    gb_destroy(g);
}

/* An interrupt dispatch takes IF (and clears the bit it serves) in its
 * fifth M-cycle, before the low byte of PC lands; IE after the high byte's
 * push (gambatte hwtests serial/start_wait_trigger_int8_read_if_1..3,
 * irq_precedence/if_and_ie_0_vector_3/4). */
static void dispatch_case(unsigned m, bool want_if) {
    gb *g = boot(NULL, 0);
    gb_timer_reset(g, 0x0004);
    gb_bus_write(g, 0xFF02, 0x81); /* ends when the counter reaches $1000 */
    /* The dispatch's M-cycle m (1..5, 6 = the next) is the one the counter
     * reaches $1000 in. */
    nops(g, (0x1000 - 0x0004) / 4 - m);
    g->ie = GB_INT_SERIAL;
    g->intf = GB_INT_SERIAL;
    g->cpu.ime = true;
    gb_step(g);
    CHECK_EQ(g->cpu.pc, 0x58);
    if (m > 5) gb_step(g); /* the handler's first M-cycle (LD B,B) */
    CHECK_EQ((g->intf & GB_INT_SERIAL) != 0, want_if);
    gb_destroy(g);
}

static void vector_case(uint16_t sp, uint16_t want_pc, uint8_t want_if) {
    gb *g = boot(NULL, 0);
    nops(g, 0x80); /* PC $0180: the low byte pushed is $80 */
    g->cpu.sp = sp;
    g->ie = GB_INT_TIMER;
    g->intf = GB_INT_TIMER;
    g->cpu.ime = true;
    gb_step(g);
    CHECK_EQ(g->cpu.pc, want_pc);
    CHECK_EQ(g->intf & 0x1F, want_if);
    gb_destroy(g);
}

static void test_dispatch_ack(void) {
    dispatch_case(4, false);         /* raised again in the 4th M-cycle: acknowledged */
    dispatch_case(5, false);         /* in the 5th: acknowledged with the dispatch */
    dispatch_case(6, true);          /* in the handler's first: stays */
    vector_case(0xFF11, 0x50, 0x00); /* low byte $80 pushed into IF: still $50 */
    vector_case(0xFF10, 0x00, 0x01); /* high byte $01 pushed into IF: no vector */
}

/* Post-boot state of DMG rev ABC. */
static void test_post_boot(void) {
    static const uint8_t code[] = {0x00};
    gb *g = boot(code, sizeof code);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.a, 0x01);
    CHECK_EQ(r.f, 0xB0);
    CHECK_EQ(r.c, 0x13);
    CHECK_EQ(r.e, 0xD8);
    CHECK_EQ(r.h, 0x01);
    CHECK_EQ(r.l, 0x4D);
    CHECK_EQ(r.sp, 0xFFFE);
    CHECK_EQ(r.pc, 0x0100);
    CHECK_EQ(gb_peek(g, 0xFF00), 0xCF);
    CHECK_EQ(gb_peek(g, 0xFF04), 0xAB);
    CHECK_EQ(gb_peek(g, 0xFF0F), 0xE1);
    CHECK_EQ(gb_peek(g, 0xFF07), 0xF8);
    CHECK_EQ(gb_peek(g, 0xFFFF), 0x00);
    /* Buttons: a press on a selected line raises the joypad interrupt. */
    gb_set_buttons(g, GB_BTN_START);
    CHECK(g->intf & GB_INT_JOYPAD);
    CHECK_EQ(gb_peek(g, 0xFF00) & 0x0F, 0x07);
    gb_destroy(g);
}

/* A synthesized boot ROM runs from $0000 and unmaps itself by writing $FF50
 * from its last bytes, landing on the cartridge's $0100. */
static void test_boot_rom(void) {
    uint8_t boot[256];
    memset(boot, 0x00, sizeof boot);
    const uint8_t head[] = {0x31, 0xFE, 0xFF, 0x06, 0x77}; /* LD SP,$FFFE; LD B,$77 */
    memcpy(boot, head, sizeof head);
    const uint8_t tail[] = {0x3E, 0x01, 0xE0, 0x50}; /* LD A,1; LDH ($50),A */
    memcpy(boot + 0xFC, tail, sizeof tail);
    static const uint8_t code[] = {0x04, 0x40}; /* INC B; LD B,B */
    uint8_t *rom = make_rom(code, sizeof code);
    rom[0] = 0xC3;
    gb_config cfg = {GB_MODEL_DMG, boot, sizeof boot};
    char err[256];
    gb *g = gb_create(rom, ROM_SIZE, &cfg, err, sizeof err);
    free(rom);
    CHECK(g != NULL);
    if (!g) return;
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0);
    CHECK_EQ(gb_peek(g, 0x0000), 0x31); /* boot ROM mapped */
    CHECK_EQ(gb_peek(g, 0xFF04), 0x00); /* power-on divider */
    unsigned why = gb_run(g, 100000, GB_STOP_LD_B_B);
    CHECK(why & GB_STOP_LD_B_B);
    gb_get_regs(g, &r);
    CHECK_EQ(r.b, 0x78);
    CHECK_EQ(r.pc, 0x102);
    CHECK_EQ(gb_peek(g, 0x0000), 0xC3); /* the cartridge is visible again */
    gb_destroy(g);

    cfg.boot_rom_size = 100;
    rom = make_rom(code, sizeof code);
    CHECK(gb_create(rom, ROM_SIZE, &cfg, err, sizeof err) == NULL);
    free(rom);
}

static uint64_t count_ev(const ct_trace *t, unsigned id) {
    uint64_t n = 0;
    for (uint64_t i = 0; i < t->nev; i++)
        n += t->ev[i].id == id;
    return n;
}

static const ct_event *find_ev(const ct_trace *t, unsigned id) {
    for (uint64_t i = 0; i < t->nev; i++)
        if (t->ev[i].id == id) return &t->ev[i];
    return NULL;
}

/* Trace points: every kind the core emits shows up with its fields, in
 * emulated time; without a recorder nothing is recorded. */
static void test_trace_points(void) {
    static const uint8_t code[] = {
        0x3E, 0x80, 0xE0, 0x46,       /* DMA from VRAM: the CPU keeps running from ROM */
        0x06, 0x30, 0x05, 0x20, 0xFD, /* wait for it */
        0xAF, 0xE0, 0x04,             /* DIV reset */
        0x3E, 'x',  0xE0, 0x01,       /* serial byte */
        0x3E, 0x81, 0xE0, 0x02, 0x76, /* HALT (IME=0, woken by the serial interrupt if enabled) */
        0x00, 0xD3,
    };
    gb *g = boot(code, sizeof code);
    g->ie = GB_INT_SERIAL;
    char err[256];
    /* Rings by class, as ceres run makes them: everything is read merged. */
    ct_recorder *rec = ct_recorder_create_spec(
        &gb_schema, "rest=3M,ppu.mode+ppu.ly+io.read+dma.byte=512K,debug=512K", CT_OVERWRITE, err,
        sizeof err);
    CHECK(rec != NULL);
    if (!rec) {
        gb_destroy(g);
        return;
    }
    CHECK_EQ(ct_filter_apply(rec, "trace", err, sizeof err), 0);
    gb_set_recorder(g, rec);
    unsigned why = gb_run(g, 200000, GB_STOP_LOCKUP);
    CHECK(why & GB_STOP_LOCKUP);
    ct_trace *t = NULL;
    CHECK_EQ(ct_trace_from_recorder(rec, &t), 0);
    if (t) {
        static const unsigned ids[] = {
            gb_ev_CPU_EXEC,    gb_ev_MEM_READ, gb_ev_MEM_WRITE, gb_ev_IO_WRITE,
            gb_ev_DMA_START,   gb_ev_DMA_BYTE, gb_ev_DMA_END,   gb_ev_TIMER_DIV_RESET,
            gb_ev_SERIAL_BYTE, gb_ev_CPU_HALT, gb_ev_CPU_WAKE,  gb_ev_CPU_LOCKUP,
        };
        for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
            if (count_ev(t, ids[i]) == 0)
                fprintf(stderr, "no %s event\n", gb_schema.events[ids[i]].name);
            CHECK(count_ev(t, ids[i]) > 0);
        }
        CHECK_EQ(count_ev(t, gb_ev_DMA_BYTE), 160);
        const ct_event_desc *d = &gb_schema.events[gb_ev_CPU_EXEC];
        const ct_event *e = find_ev(t, gb_ev_CPU_EXEC);
        CHECK(e != NULL);
        if (e) {
            static const struct {
                const char *name;
                uint64_t want;
            } f[] = {{"pc", 0x100}, {"op", 0x3E}, {"op1", 0x80}, {"op2", 0xE0},  {"a", 0x01},
                     {"f", 0xB0},   {"b", 0x00},  {"c", 0x13},   {"sp", 0xFFFE}, {"bank", 0}};
            for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
                int i = ct_field_index(d, f[k].name);
                CHECK(i >= 0);
                if (i >= 0) CHECK_EQ(ct_field_u64(d, (unsigned)i, e->payload), f[k].want);
            }
        }
        e = find_ev(t, gb_ev_DMA_START);
        if (e) CHECK_EQ(ct_field_u64(&gb_schema.events[gb_ev_DMA_START], 0, e->payload), 0x8000);
        e = find_ev(t, gb_ev_SERIAL_BYTE);
        if (e) CHECK_EQ(e->payload[0], 'x');
        /* Timestamps are the machine's T-cycles, in order. */
        for (uint64_t i = 1; i < t->nev; i++)
            CHECK(t->ev[i].ts >= t->ev[i - 1].ts);
        CHECK(t->ev[t->nev - 1].ts <= gb_cycles(g));
        ct_trace_free(t);
    }
    /* Detached: nothing more is recorded. */
    const uint64_t written = ct_recorder_written(rec);
    gb_set_recorder(g, NULL);
    gb_run(g, 10000, 0);
    CHECK_EQ(ct_recorder_written(rec), written);
    ct_recorder_destroy(rec);
    gb_destroy(g);
}

int main(void) {
    test_ei_delay();
    test_halt_bug();
    test_ei_halt();
    test_dispatch_timing();
    test_timer_reload();
    test_timer_halt_wake();
    test_dma_conflict();
    test_dma_write_conflict();
    test_dispatch_push_timing();
    test_stop();
    test_lockup();
    test_save_states();
    test_serial();
    test_serial_edges();
    test_dispatch_ack();
    test_post_boot();
    test_boot_rom();
    test_trace_points();
    return test_result();
}
