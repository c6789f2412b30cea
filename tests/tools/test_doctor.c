/* `--doctor-log` on a synthesized ROM: the Gameboy Doctor lines for a short
 * program, worked out by hand from the SM83 semantics (Pan Docs, CPU
 * instruction set and flags), not taken from an earlier run. */
#include "check.h"
#include "testrom.h"

#include "debug/doctor.h"
#include "gb/gb.h"

#include <string.h>

/* The program at $0100 (post-boot state: A=01 F=B0 B=00 C=13 D=00 E=D8
 * H=01 L=4D SP=FFFE, IME=0, IE=0 so no interrupt is ever taken). */
static const struct {
    uint16_t at;
    uint8_t bytes[3];
    uint8_t n;
} prog[] = {
    {0x0100, {0x00}, 1},             /* NOP */
    {0x0101, {0xC3, 0x50, 0x01}, 3}, /* JP $0150 */
    {0x0150, {0x3E, 0x12}, 2},       /* LD A,$12 */
    {0x0152, {0x06, 0x34}, 2},       /* LD B,$34 */
    {0x0154, {0x80}, 1},             /* ADD A,B */
    {0x0155, {0x21, 0x00, 0xC0}, 3}, /* LD HL,$C000 */
    {0x0158, {0x22}, 1},             /* LD [HL+],A */
    {0x0159, {0x3D}, 1},             /* DEC A */
    {0x015A, {0xF0, 0x44}, 2},       /* LDH A,[$FF44] (LY) */
    {0x015C, {0xFE, 0x90}, 2},       /* CP $90 */
    {0x015E, {0xC5}, 1},             /* PUSH BC */
    {0x015F, {0xAF}, 1},             /* XOR A */
    {0x0160, {0x37}, 1},             /* SCF */
    {0x0161, {0xCB, 0x37}, 2},       /* SWAP A */
    {0x0163, {0x18, 0xFE}, 2},       /* JR $0163 (loops on itself) */
};

/* The state before each instruction. PCMEM is the 4 bytes at PC; $0104 is
 * 00 in this ROM (no logo), as are the bytes after $0164. */
static const char *const expected[] = {
    /* power-up state after the boot ROM */
    "A:01 F:B0 B:00 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0100 PCMEM:00,C3,50,01",
    /* NOP: only PC moves */
    "A:01 F:B0 B:00 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0101 PCMEM:C3,50,01,00",
    /* JP $0150: PC = $0150, flags untouched */
    "A:01 F:B0 B:00 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0150 PCMEM:3E,12,06,34",
    /* LD A,$12: A = 12 */
    "A:12 F:B0 B:00 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0152 PCMEM:06,34,80,21",
    /* LD B,$34: B = 34 */
    "A:12 F:B0 B:34 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0154 PCMEM:80,21,00,C0",
    /* ADD A,B: 12+34 = 46; Z=0 N=0, H=0 (2+4 < $10), C=0 -> F=00 */
    "A:46 F:00 B:34 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0155 PCMEM:21,00,C0,22",
    /* LD HL,$C000 */
    "A:46 F:00 B:34 C:13 D:00 E:D8 H:C0 L:00 SP:FFFE PC:0158 PCMEM:22,3D,F0,44",
    /* LD [HL+],A: [C000] = 46, HL = C001 */
    "A:46 F:00 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFE PC:0159 PCMEM:3D,F0,44,FE",
    /* DEC A: 46-1 = 45; Z=0, N=1, H=0 (low nibble 6 needs no borrow), C kept 0 -> F=40 */
    "A:45 F:40 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFE PC:015A PCMEM:F0,44,FE,90",
    /* LDH A,[$FF44]: LY reads $90 in doctor mode */
    "A:90 F:40 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFE PC:015C PCMEM:FE,90,C5,AF",
    /* CP $90: 90-90 = 0 -> Z=1 N=1 H=0 C=0 -> F=C0, A kept */
    "A:90 F:C0 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFE PC:015E PCMEM:C5,AF,37,CB",
    /* PUSH BC: SP = FFFE-2 = FFFC */
    "A:90 F:C0 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFC PC:015F PCMEM:AF,37,CB,37",
    /* XOR A: A = 0; Z=1, N=H=C=0 -> F=80 */
    "A:00 F:80 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFC PC:0160 PCMEM:37,CB,37,18",
    /* SCF: C=1, N=H=0, Z kept 1 -> F=90 */
    "A:00 F:90 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFC PC:0161 PCMEM:CB,37,18,FE",
    /* SWAP A: 00 -> 00; Z=1, N=H=C=0 -> F=80 */
    "A:00 F:80 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFC PC:0163 PCMEM:18,FE,00,00",
    /* JR $0163 jumps to itself: the same line again */
    "A:00 F:80 B:34 C:13 D:00 E:D8 H:C0 L:01 SP:FFFC PC:0163 PCMEM:18,FE,00,00",
};
enum { NEXP = sizeof expected / sizeof *expected };

int main(void) {
    static uint8_t rom[0x8000];
    for (size_t i = 0; i < sizeof prog / sizeof *prog; i++)
        memcpy(rom + prog[i].at, prog[i].bytes, prog[i].n);
    /* Header: ROM only, 32 KiB, no RAM; header checksum over $0134-$014C. */
    testrom_fix_checksum(rom);

    char err[256];
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    if (!g) {
        fprintf(stderr, "gb_create: %s\n", err);
        return 1;
    }
    gb_set_doctor_mode(g, true);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return test_result();
    /* The 14 instructions before the loop take 4+16+8+8+4+12+8+4+12+8+16+4+
     * 4+8 = 116 T-cycles; a JR taken takes 12. Run for 140: JRs start at
     * 116 and 128 (each logged before it runs), the run ends at 140. */
    unsigned why = gb_doctor_run(g, f, 140, 0);
    CHECK(why & GB_STOP_LIMIT);
    rewind(f);
    char line[256];
    unsigned n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (n < NEXP && strcmp(line, expected[n])) {
            fprintf(stderr, "line %u:\n  got  %s\n  want %s\n", n, line, expected[n]);
            CHECK(0);
        }
        n++;
    }
    CHECK_EQ(n, NEXP);
    CHECK_EQ(gb_peek(g, 0xC000), 0x46);
    fclose(f);

    gb_destroy(g);

    /* Without doctor mode the same LDH A,[$FF44] reads the PPU's line: 60
     * T-cycles after the post-boot state that is not line $90. */
    g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    f = tmpfile();
    CHECK(g && f);
    if (!g || !f) return test_result();
    gb_doctor_run(g, f, 140, 0);
    rewind(f);
    for (n = 0; n < 10 && fgets(line, sizeof line, f); n++)
        ;
    CHECK_EQ(n, 10);
    CHECK(strncmp(line, "A:90 ", 5) != 0);
    CHECK(strstr(line, "PC:015C") != NULL);
    fclose(f);
    gb_destroy(g);
    return test_result();
}
