/* SM83 CPU. Owned by cpu.c.
 *
 * The CPU is M-cycle accurate: every bus access and every internal delay
 * cycle advances the rest of the machine by one M-cycle (gb_cpu_tick) before
 * the next access happens. Instructions begin with their opcode fetch. */
#ifndef CERES_GB_CPU_H
#define CERES_GB_CPU_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gb gb;

/* Register indexes into gb_cpu.r, in the SM83 operand encoding order; slot 6
 * (the (HL) operand in the encoding) holds F. */
enum { GB_R_B, GB_R_C, GB_R_D, GB_R_E, GB_R_H, GB_R_L, GB_R_F, GB_R_A };

typedef struct gb_cpu {
    /* r[], sp and ime in this order, contiguous: the cpu.exec record copies
     * them as they lie. Four things change together: this field order, the
     * cpu.exec fields in gb_events.h (b c d e h l f a sp ime, in this
     * order), the _Static_assert and exec_words in cpu.c, and the save
     * state's CPU section (bump STATE_VERSION in gb.c: the section is
     * gb_cpu as it lies). tests/perf/test_exec_record.c checks the record. */
    uint8_t r[8];
    uint16_t sp;
    bool ime, halted;
    uint16_t pc;
    bool ei_delay; /* EI executed: IME becomes 1 after the next instruction */
    bool halt_bug; /* the next opcode fetch does not increment PC */
    bool stopped;  /* STOP: waiting for a button press */
    bool locked;   /* an illegal opcode locked the CPU up */
    /* gb_break() from a fetch hook: the opcode fetch M-cycle of the
     * instruction at pc is spent, the instruction not executed; `halted` is
     * set too, so the next step takes the rare path and resumes it. */
    bool brk;
} gb_cpu;

void gb_cpu_reset(gb *g); /* post-boot (or boot-ROM start) register state */
/* One instruction, or an interrupt dispatch, or one M-cycle while halted,
 * stopped or locked up. */
void gb_cpu_step(gb *g);
/* Steps until g->cycles >= until or a stop bit in stop_mask was raised. */
void gb_cpu_run(gb *g, uint64_t until, unsigned stop_mask);

#endif
