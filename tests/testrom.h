/* Test ROMs synthesized in memory: a 32 KiB ROM-only image with a valid
 * header whose entry point jumps to code placed at $0150. */
#ifndef CERES_TEST_TESTROM_H
#define CERES_TEST_TESTROM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TESTROM_SIZE 0x8000

/* Code bytes: send one byte over serial with the internal clock and wait
 * until SC bit 7 clears. */
#define TESTROM_SEND(ch)                                                                           \
    0x3E, ch, 0xE0, 0x01, 0x3E, 0x81, 0xE0, 0x02, 0xF0, 0x02, 0xCB, 0x7F, 0x20, 0xFA
/* Code bytes: print "OK" over serial, set the mooneye pass registers
 * (3/5/8/13/21/34), then LD B,B and JR -2. */
#define TESTROM_OK_PASS_CODE                                                                       \
    TESTROM_SEND('O'), TESTROM_SEND('K'), TESTROM_SEND('\n'), 0x06, 3, 0x0E, 5, 0x16, 8, 0x1E, 13, \
        0x26, 21, 0x2E, 34, 0x40, 0x18, 0xFE

/* Set the header checksum ($014D) over $0134-$014C, as the boot ROM checks it. */
static inline void testrom_fix_checksum(uint8_t *rom) {
    uint8_t sum = 0;
    for (unsigned i = 0x134; i <= 0x14C; i++)
        sum = (uint8_t)(sum - rom[i] - 1);
    rom[0x14D] = sum;
}

/* Fill rom[TESTROM_SIZE]: code at $0150, `nop; jp $0150` at $0100, header
 * checksum set. Returns TESTROM_SIZE. */
static inline size_t testrom_build(uint8_t *rom, const uint8_t *code, size_t len) {
    memset(rom, 0, TESTROM_SIZE);
    static const uint8_t entry[] = {0x00, 0xC3, 0x50, 0x01};
    memcpy(rom + 0x100, entry, sizeof entry);
    memcpy(rom + 0x134, "CERESTEST", 9);
    if (len > TESTROM_SIZE - 0x150) len = TESTROM_SIZE - 0x150;
    memcpy(rom + 0x150, code, len);
    testrom_fix_checksum(rom);
    return TESTROM_SIZE;
}

#endif
