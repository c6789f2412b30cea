/* SM83 disassembly for the text traces (trace.log): cpu.exec events become
 * "PC: bytes  MNEMONIC  registers" lines; other events keep the generic
 * form. Mnemonics are upper case; the lower-case placeholders are operands:
 * n = 8-bit immediate, nn = 16-bit immediate, e = signed 8-bit offset (a JR
 * shows its target), h = offset into the $FF00 page. */
#include "runner.h"

#include "../gb/gb_events.h"
#include "../trace/ct_host.h"

#include <string.h>

static const char *const base_ops[256] = {
    /* 0x00 */ "NOP",
    "LD BC,nn",
    "LD (BC),A",
    "INC BC",
    "INC B",
    "DEC B",
    "LD B,n",
    "RLCA",
    "LD (nn),SP",
    "ADD HL,BC",
    "LD A,(BC)",
    "DEC BC",
    "INC C",
    "DEC C",
    "LD C,n",
    "RRCA",
    /* 0x10 */ "STOP",
    "LD DE,nn",
    "LD (DE),A",
    "INC DE",
    "INC D",
    "DEC D",
    "LD D,n",
    "RLA",
    "JR e",
    "ADD HL,DE",
    "LD A,(DE)",
    "DEC DE",
    "INC E",
    "DEC E",
    "LD E,n",
    "RRA",
    /* 0x20 */ "JR NZ,e",
    "LD HL,nn",
    "LD (HL+),A",
    "INC HL",
    "INC H",
    "DEC H",
    "LD H,n",
    "DAA",
    "JR Z,e",
    "ADD HL,HL",
    "LD A,(HL+)",
    "DEC HL",
    "INC L",
    "DEC L",
    "LD L,n",
    "CPL",
    /* 0x30 */ "JR NC,e",
    "LD SP,nn",
    "LD (HL-),A",
    "INC SP",
    "INC (HL)",
    "DEC (HL)",
    "LD (HL),n",
    "SCF",
    "JR C,e",
    "ADD HL,SP",
    "LD A,(HL-)",
    "DEC SP",
    "INC A",
    "DEC A",
    "LD A,n",
    "CCF",
    /* 0x40-0x7F: LD r,r' and HALT, filled in by name() */
    [0x40] = NULL,
    /* 0x80-0xBF: ALU A,r, filled in by name() */
    /* 0xC0 */[0xC0] = "RET NZ",
    "POP BC",
    "JP NZ,nn",
    "JP nn",
    "CALL NZ,nn",
    "PUSH BC",
    "ADD A,n",
    "RST $00",
    "RET Z",
    "RET",
    "JP Z,nn",
    "PREFIX CB",
    "CALL Z,nn",
    "CALL nn",
    "ADC A,n",
    "RST $08",
    /* 0xD0 */ "RET NC",
    "POP DE",
    "JP NC,nn",
    NULL,
    "CALL NC,nn",
    "PUSH DE",
    "SUB n",
    "RST $10",
    "RET C",
    "RETI",
    "JP C,nn",
    NULL,
    "CALL C,nn",
    NULL,
    "SBC A,n",
    "RST $18",
    /* 0xE0 */ "LDH (h),A",
    "POP HL",
    "LD ($FF00+C),A",
    NULL,
    NULL,
    "PUSH HL",
    "AND n",
    "RST $20",
    "ADD SP,e",
    "JP HL",
    "LD (nn),A",
    NULL,
    NULL,
    NULL,
    "XOR n",
    "RST $28",
    /* 0xF0 */ "LDH A,(h)",
    "POP AF",
    "LD A,($FF00+C)",
    "DI",
    NULL,
    "PUSH AF",
    "OR n",
    "RST $30",
    "LD HL,SPe",
    "LD SP,HL",
    "LD A,(nn)",
    "EI",
    NULL,
    NULL,
    "CP n",
    "RST $38",
};

static const char *const regs8[8] = {"B", "C", "D", "E", "H", "L", "(HL)", "A"};
static const char *const alu[8] = {"ADD A,", "ADC A,", "SUB ", "SBC A,",
                                   "AND ",   "XOR ",   "OR ",  "CP "};
static const char *const cb_rot[8] = {"RLC", "RRC", "RL", "RR", "SLA", "SRA", "SWAP", "SRL"};
static const char *const cb_bit[4] = {NULL, "BIT", "RES", "SET"};

/* Instruction length from its template: mnemonics are upper case, the
 * placeholders lower case. */
static unsigned template_len(const char *t) {
    if (strstr(t, "nn")) return 3;
    return strpbrk(t, "neh") ? 2 : 1;
}

/* Disassemble the instruction at pc (bytes op, op1, op2) into buf; returns
 * its length in bytes. */
unsigned rn_disasm(uint16_t pc, uint8_t op, uint8_t op1, uint8_t op2, char *buf, size_t len) {
    char tmp[32];
    const char *t = base_ops[op];
    if (op == 0xCB) {
        unsigned g = op1 >> 6, b = (op1 >> 3) & 7;
        if (g == 0)
            snprintf(buf, len, "%s %s", cb_rot[b], regs8[op1 & 7]);
        else
            snprintf(buf, len, "%s %u,%s", cb_bit[g], b, regs8[op1 & 7]);
        return 2;
    }
    if (op >= 0x40 && op < 0x80) {
        if (op == 0x76)
            snprintf(buf, len, "HALT");
        else
            snprintf(buf, len, "LD %s,%s", regs8[(op >> 3) & 7], regs8[op & 7]);
        return 1;
    }
    if (op >= 0x80 && op < 0xC0) {
        snprintf(buf, len, "%s%s", alu[(op >> 3) & 7], regs8[op & 7]);
        return 1;
    }
    if (!t) {
        snprintf(buf, len, "ILLEGAL $%02X", op);
        return 1;
    }
    unsigned n = template_len(t);
    size_t o = 0;
    for (const char *p = t; *p && o + 8 < sizeof tmp; p++) {
        if (p[0] == 'n' && p[1] == 'n') {
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "$%04X", op1 | op2 << 8);
            p++;
        } else if (p[0] == 'n') {
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "$%02X", op1);
        } else if (p[0] == 'h') {
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "$FF%02X", op1);
        } else if (p[0] == 'e' && op < 0x40) {
            /* JR: the target, relative to the next instruction */
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "$%04X",
                                  (uint16_t)(pc + 2 + (int8_t)op1));
        } else if (p[0] == 'e') {
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "%+d", (int8_t)op1);
        } else {
            tmp[o++] = *p;
        }
    }
    tmp[o] = 0;
    snprintf(buf, len, "%s", tmp);
    return n;
}

/* ct_line_fmt for the emulator's schema: cpu.exec as disassembly and
 * registers, everything else in the generic form (-1). */
int rn_gb_line_fmt(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts, const uint8_t *payload,
                   char *buf, size_t len) {
    (void)ctx;
    if (id >= s->nevents || strcmp(s->events[id].target, "cpu") ||
        strcmp(s->events[id].name, "exec"))
        return -1;
    const ct_event_desc *d = &s->events[id];
    static const char *const names[] = {"pc", "op", "op1", "op2", "a",  "f",   "b",   "c",
                                        "d",  "e",  "h",   "l",   "sp", "ime", "bank"};
    uint64_t v[15];
    for (unsigned i = 0; i < 15; i++) {
        int f = ct_field_index(d, names[i]);
        if (f < 0) return -1;
        v[i] = ct_field_u64(d, (unsigned)f, payload);
    }
    char ins[40], bytes[12];
    unsigned n =
        rn_disasm((uint16_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)v[3], ins, sizeof ins);
    if (n == 1)
        snprintf(bytes, sizeof bytes, "%02X", (unsigned)v[1]);
    else if (n == 2)
        snprintf(bytes, sizeof bytes, "%02X %02X", (unsigned)v[1], (unsigned)v[2]);
    else
        snprintf(bytes, sizeof bytes, "%02X %02X %02X", (unsigned)v[1], (unsigned)v[2],
                 (unsigned)v[3]);
    int r = snprintf(buf, len,
                     "%llu cpu.exec %02X:%04X  %-8s  %-16s A:%02X F:%02X B:%02X C:%02X D:%02X "
                     "E:%02X H:%02X L:%02X SP:%04X IME:%u",
                     (unsigned long long)ts, (unsigned)v[14] & 0xFFFF, (unsigned)v[0], bytes, ins,
                     (unsigned)v[4], (unsigned)v[5], (unsigned)v[6], (unsigned)v[7], (unsigned)v[8],
                     (unsigned)v[9], (unsigned)v[10], (unsigned)v[11], (unsigned)v[12],
                     (unsigned)v[13]);
    return r < 0 ? -1 : (r >= (int)len ? (int)len - 1 : r);
}
