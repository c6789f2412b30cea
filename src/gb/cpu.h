/* SM83 CPU. Owned by cpu.c. (Skeleton: the CPU work fills this in.) */
#ifndef CERES_GB_CPU_H
#define CERES_GB_CPU_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gb gb;

typedef struct gb_cpu {
    uint8_t a, f, b, c, d, e, h, l;
    uint16_t sp, pc;
    bool ime, halted;
} gb_cpu;

#endif
