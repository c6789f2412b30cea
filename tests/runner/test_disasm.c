/* SM83 disassembly for text traces, and the trace.log line formatter. */
#include "check.h"
#include "gb/gb_events.h"
#include "runner/runner.h"
#include "trace/ct_host.h"

#include <string.h>

static void dis(uint16_t pc, uint8_t op, uint8_t a, uint8_t b, const char *want, unsigned len) {
    char buf[40];
    unsigned n = rn_disasm(pc, op, a, b, buf, sizeof buf);
    if (strcmp(buf, want) || n != len)
        fprintf(stderr, "  %02X %02X %02X: got '%s' (%u), want '%s' (%u)\n", op, a, b, buf, n, want,
                len);
    CHECK(!strcmp(buf, want));
    CHECK_EQ(n, len);
}

int main(void) {
    dis(0x100, 0x00, 0, 0, "NOP", 1);
    dis(0x100, 0x01, 0x34, 0x12, "LD BC,$1234", 3);
    dis(0x100, 0x08, 0x00, 0xC0, "LD ($C000),SP", 3);
    dis(0x100, 0x18, 0xFE, 0, "JR $0100", 2);
    dis(0x150, 0x20, 0x05, 0, "JR NZ,$0157", 2);
    dis(0x100, 0x06, 0x42, 0, "LD B,$42", 2);
    dis(0x100, 0x22, 0, 0, "LD (HL+),A", 1);
    dis(0x100, 0x36, 0x99, 0, "LD (HL),$99", 2);
    dis(0x100, 0x40, 0, 0, "LD B,B", 1);
    dis(0x100, 0x76, 0, 0, "HALT", 1);
    dis(0x100, 0x7E, 0, 0, "LD A,(HL)", 1);
    dis(0x100, 0x86, 0, 0, "ADD A,(HL)", 1);
    dis(0x100, 0x97, 0, 0, "SUB A", 1);
    dis(0x100, 0xBE, 0, 0, "CP (HL)", 1);
    dis(0x100, 0xC3, 0x50, 0x01, "JP $0150", 3);
    dis(0x100, 0xCD, 0x00, 0x40, "CALL $4000", 3);
    dis(0x100, 0xCE, 0x01, 0, "ADC A,$01", 2);
    dis(0x100, 0xD3, 0, 0, "ILLEGAL $D3", 1);
    dis(0x100, 0xE0, 0x44, 0, "LDH ($FF44),A", 2);
    dis(0x100, 0xE2, 0, 0, "LD ($FF00+C),A", 1);
    dis(0x100, 0xE8, 0xFE, 0, "ADD SP,-2", 2);
    dis(0x100, 0xF0, 0x00, 0, "LDH A,($FF00)", 2);
    dis(0x100, 0xF8, 0x05, 0, "LD HL,SP+5", 2);
    dis(0x100, 0xFA, 0x34, 0x12, "LD A,($1234)", 3);
    dis(0x100, 0xFF, 0, 0, "RST $38", 1);
    dis(0x100, 0xCB, 0x7C, 0, "BIT 7,H", 2);
    dis(0x100, 0xCB, 0x37, 0, "SWAP A", 2);
    dis(0x100, 0xCB, 0x06, 0, "RLC (HL)", 2);
    dis(0x100, 0xCB, 0x86, 0, "RES 0,(HL)", 2);
    dis(0x100, 0xCB, 0xFF, 0, "SET 7,A", 2);
    /* Every opcode gives a non-empty line and a length of 1 to 3. */
    for (unsigned op = 0; op < 256; op++) {
        char buf[40];
        unsigned n = rn_disasm(0, (uint8_t)op, 0x12, 0x34, buf, sizeof buf);
        CHECK(buf[0] != 0 && n >= 1 && n <= 3);
    }

    /* The line formatter on a real cpu.exec payload; other events: -1. */
    uint8_t p[CT_MAX_PAYLOAD];
    memset(p, 0, sizeof p);
    const ct_event_desc *d = &gb_schema.events[gb_ev_CPU_EXEC];
    static const uint64_t vals[] = {0x0150, 0xC3, 0x00, 0x40, 0x01,   0xB0, 0x00, 0x13,
                                    0x00,   0xD8, 0x01, 0x4D, 0xFFFE, 1,    2};
    unsigned off = 0;
    for (unsigned f = 0; f < d->nfields; f++) {
        for (unsigned i = 0; i < ct_field_size(d->fields[f].type); i++)
            p[off++] = (uint8_t)(vals[f] >> (8 * i));
    }
    char line[256];
    int n = rn_gb_line_fmt(NULL, &gb_schema, gb_ev_CPU_EXEC, 1234, p, line, sizeof line);
    printf("%s\n", line);
    CHECK(n > 0);
    CHECK(!strcmp(line, "1234 cpu.exec 02:0150  C3 00 40  JP $4000         A:01 F:B0 B:00 C:13 "
                        "D:00 E:D8 H:01 L:4D SP:FFFE IME:1"));
    CHECK_EQ(rn_gb_line_fmt(NULL, &gb_schema, gb_ev_MEM_READ, 1234, p, line, sizeof line), -1);
    return test_result();
}
