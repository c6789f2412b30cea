/* The small program the trigger and debug-hook tests run: one write, one
 * serial byte, an interrupt and a loop, each at a known address. */
#ifndef CERES_TESTS_TRIG_PROGRAM_H
#define CERES_TESTS_TRIG_PROGRAM_H

#include <stdint.h>

/* The program (at $0150), with the vblank handler `reti` at $0040:
 *   0150 ld a,1 / ldh (IE),a / ei        enable the vblank interrupt
 *   0155 ld a,$42 / ld ($C000),a         the first write to $C000, value $42
 *   015A ld a,$55 / ldh (SB),a / ld a,$81 / ldh (SC),a   send $55 over serial
 *   0162 ld a,($C000) / inc a / ld ($C000),a / jr $0162   count up forever */
static const uint8_t program[] = {
    0x3E, 0x01, 0xE0, 0xFF, 0xFB,             /* 0150 */
    0x3E, 0x42, 0xEA, 0x00, 0xC0,             /* 0155 */
    0x3E, 0x55, 0xE0, 0x01, 0x3E, 0x81, 0xE0, /* 015A */
    0x02,                                     /* 0161 */
    0xFA, 0x00, 0xC0, 0x3C, 0xEA, 0x00, 0xC0, /* 0162 */
    0x18, 0xF7,                               /* 0169 */
};

#endif
