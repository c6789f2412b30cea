/* The SM83 disassembler: instructions of every kind against their RGBDS
 * spelling (Pan Docs, CPU instruction set), lengths, and the whole table
 * filled in (no placeholder left, no opcode missing but the eleven the
 * SM83 does not have). */
#include "check.h"

#include "debug/disasm.h"

#include <ctype.h>
#include <string.h>

static const struct {
    uint16_t pc;
    uint8_t b[3];
    const char *text;
    unsigned len;
} cases[] = {
    {0x0100, {0x00}, "NOP", 1},
    {0x0100, {0x2A}, "LD A,[HL+]", 1},
    {0x0100, {0x32}, "LD [HL-],A", 1},
    {0x0100, {0xC4, 0x21, 0x4A}, "CALL NZ,$4A21", 3},
    {0x0100, {0xC3, 0x13, 0x02}, "JP $0213", 3},
    {0x020D, {0x20, 0xF7}, "JR NZ,$0206", 2}, /* 020F - 9 */
    {0xCC5F, {0x18, 0xFE}, "JR $CC5F", 2},    /* jumps to itself */
    {0x0150, {0x18, 0x7F}, "JR $01D1", 2},    /* 0152 + 127 */
    {0x0100, {0x36, 0x42}, "LD [HL],$42", 2},
    {0x0100, {0x08, 0x00, 0xC0}, "LD [$C000],SP", 3},
    {0x0100, {0xEA, 0x00, 0x20}, "LD [$2000],A", 3},
    {0x0100, {0xF0, 0x44}, "LDH A,[$FF44]", 2},
    {0x0100, {0xE0, 0x46}, "LDH [$FF46],A", 2},
    {0x0100, {0xE2}, "LDH [C],A", 1},
    {0x0100, {0xF2}, "LDH A,[C]", 1},
    {0x0100, {0xE8, 0xFE}, "ADD SP,-2", 2},
    {0x0100, {0xF8, 0x05}, "LD HL,SP+5", 2},
    {0x0100, {0xF8, 0x80}, "LD HL,SP-128", 2},
    {0x0100, {0x40}, "LD B,B", 1},
    {0x0100, {0x7E}, "LD A,[HL]", 1},
    {0x0100, {0x70}, "LD [HL],B", 1},
    {0x0100, {0x76}, "HALT", 1},
    {0x0100, {0x86}, "ADD A,[HL]", 1},
    {0x0100, {0x8F}, "ADC A,A", 1},
    {0x0100, {0x90}, "SUB B", 1},
    {0x0100, {0x9A}, "SBC A,D", 1},
    {0x0100, {0xA4}, "AND H", 1},
    {0x0100, {0xAF}, "XOR A", 1},
    {0x0100, {0xB1}, "OR C", 1},
    {0x0100, {0xBE}, "CP [HL]", 1},
    {0x0100, {0xFE, 0x90}, "CP $90", 2},
    {0x0100, {0xDE, 0x01}, "SBC A,$01", 2},
    {0x0100, {0xFF}, "RST $38", 1},
    {0x0100, {0xC7}, "RST $00", 1},
    {0x0100, {0xD9}, "RETI", 1},
    {0x0100, {0xE9}, "JP HL", 1},
    {0x0100, {0xF1}, "POP AF", 1},
    {0x0100, {0x10, 0x00}, "STOP $00", 2},
    {0x0100, {0x34}, "INC [HL]", 1},
    {0x0100, {0x3D}, "DEC A", 1},
    {0x0100, {0x27}, "DAA", 1},
    {0x0100, {0xCB, 0x7C}, "BIT 7,H", 2},
    {0x0100, {0xCB, 0x37}, "SWAP A", 2},
    {0x0100, {0xCB, 0x86}, "RES 0,[HL]", 2},
    {0x0100, {0xCB, 0xD8}, "SET 3,B", 2},
    {0x0100, {0xCB, 0x01}, "RLC C", 2},
    {0x0100, {0xCB, 0x1E}, "RR [HL]", 2},
    {0x0100, {0xCB, 0x3F}, "SRL A", 2},
    {0x0100, {0xCB, 0x2A}, "SRA D", 2},
    {0x0100, {0xD3}, "DB $D3", 1},
    {0x0100, {0xFD}, "DB $FD", 1},
};

int main(void) {
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        unsigned n =
            gb_disasm(cases[i].pc, cases[i].b[0], cases[i].b[1], cases[i].b[2], buf, sizeof buf);
        if (strcmp(buf, cases[i].text) || n != cases[i].len) {
            fprintf(stderr, "%02X %02X %02X at %04X: got \"%s\" (%u), want \"%s\" (%u)\n",
                    cases[i].b[0], cases[i].b[1], cases[i].b[2], cases[i].pc, buf, n, cases[i].text,
                    cases[i].len);
            CHECK(0);
        }
    }
    /* The whole base table: upper case only once filled in, lengths as the
     * operands say, DB for exactly the eleven missing opcodes. */
    unsigned db = 0, lens[4] = {0};
    for (unsigned op = 0; op < 256; op++) {
        unsigned n = gb_disasm(0x8000, (uint8_t)op, 0x12, 0x34, buf, sizeof buf);
        bool lower = false;
        for (const char *p = buf; *p; p++)
            lower |= islower((unsigned char)*p) != 0;
        if (lower) fprintf(stderr, "%02X: placeholder left in \"%s\"\n", op, buf);
        CHECK(!lower && buf[0]);
        CHECK(n >= 1 && n <= 3);
        CHECK_EQ(n, gb_insn_len((uint8_t)op));
        if (n <= 3) lens[n]++;
        db += !strncmp(buf, "DB $", 4);
        /* three-byte ones show the operand $3412 (little-endian) */
        if (n == 3) CHECK(strstr(buf, "$3412") != NULL);
    }
    CHECK_EQ(db, 11);
    /* Counted by hand from Pan Docs' opcode table. Three bytes: LD BC/DE/
     * HL/SP,nn (4), LD [nn],SP, LD [nn],A, LD A,[nn] (3), JP nn and its
     * four conditions (5), CALL nn and its four (5) = 17. */
    CHECK_EQ(lens[3], 17);
    /* Two bytes: LD r,n (8 with [HL]), ALU A,n (8), JR (5), the two LDH
     * with $FFxx, ADD SP,d and LD HL,SP+d (2), STOP, the CB prefix = 27. */
    CHECK_EQ(lens[2], 27);
    /* CB page: every one is two bytes and names a register */
    for (unsigned x = 0; x < 256; x++) {
        CHECK_EQ(gb_disasm(0, 0xCB, (uint8_t)x, 0, buf, sizeof buf), 2);
        const char *last = strrchr(buf, ' ');
        const char *comma = strrchr(buf, ',');
        const char *reg = comma ? comma + 1 : last ? last + 1 : buf;
        CHECK(strstr("B C D E H L [HL] A", reg) != NULL);
    }
    return test_result();
}
