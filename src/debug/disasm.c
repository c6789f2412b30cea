/* SM83 disassembly (see disasm.h). Opcode names follow Pan Docs' "CPU
 * instruction set" tables in RGBDS notation. In the templates the
 * mnemonics are upper case and the operands to fill in lower case:
 *   n  8-bit immediate          $XX
 *   nn 16-bit immediate         $XXXX (little-endian in the code)
 *   e  JR offset                shown as the target $XXXX
 *   h  offset into $FF00-$FFFF  $FFXX
 *   d  signed 8-bit             -2, 5      (ADD SP,d)
 *   s  signed 8-bit with sign   -2, +5     (LD HL,SPs) */
#include "disasm.h"

#include "../trace/ct_host.h"

#include <stdio.h>
#include <string.h>

static const char *const base[256] = {
    /* 00 */ "NOP",
    "LD BC,nn",
    "LD [BC],A",
    "INC BC",
    "INC B",
    "DEC B",
    "LD B,n",
    "RLCA",
    "LD [nn],SP",
    "ADD HL,BC",
    "LD A,[BC]",
    "DEC BC",
    "INC C",
    "DEC C",
    "LD C,n",
    "RRCA",
    /* 10 */ "STOP n",
    "LD DE,nn",
    "LD [DE],A",
    "INC DE",
    "INC D",
    "DEC D",
    "LD D,n",
    "RLA",
    "JR e",
    "ADD HL,DE",
    "LD A,[DE]",
    "DEC DE",
    "INC E",
    "DEC E",
    "LD E,n",
    "RRA",
    /* 20 */ "JR NZ,e",
    "LD HL,nn",
    "LD [HL+],A",
    "INC HL",
    "INC H",
    "DEC H",
    "LD H,n",
    "DAA",
    "JR Z,e",
    "ADD HL,HL",
    "LD A,[HL+]",
    "DEC HL",
    "INC L",
    "DEC L",
    "LD L,n",
    "CPL",
    /* 30 */ "JR NC,e",
    "LD SP,nn",
    "LD [HL-],A",
    "INC SP",
    "INC [HL]",
    "DEC [HL]",
    "LD [HL],n",
    "SCF",
    "JR C,e",
    "ADD HL,SP",
    "LD A,[HL-]",
    "DEC SP",
    "INC A",
    "DEC A",
    "LD A,n",
    "CCF",
    /* 40 */ "LD B,B",
    "LD B,C",
    "LD B,D",
    "LD B,E",
    "LD B,H",
    "LD B,L",
    "LD B,[HL]",
    "LD B,A",
    "LD C,B",
    "LD C,C",
    "LD C,D",
    "LD C,E",
    "LD C,H",
    "LD C,L",
    "LD C,[HL]",
    "LD C,A",
    /* 50 */ "LD D,B",
    "LD D,C",
    "LD D,D",
    "LD D,E",
    "LD D,H",
    "LD D,L",
    "LD D,[HL]",
    "LD D,A",
    "LD E,B",
    "LD E,C",
    "LD E,D",
    "LD E,E",
    "LD E,H",
    "LD E,L",
    "LD E,[HL]",
    "LD E,A",
    /* 60 */ "LD H,B",
    "LD H,C",
    "LD H,D",
    "LD H,E",
    "LD H,H",
    "LD H,L",
    "LD H,[HL]",
    "LD H,A",
    "LD L,B",
    "LD L,C",
    "LD L,D",
    "LD L,E",
    "LD L,H",
    "LD L,L",
    "LD L,[HL]",
    "LD L,A",
    /* 70 */ "LD [HL],B",
    "LD [HL],C",
    "LD [HL],D",
    "LD [HL],E",
    "LD [HL],H",
    "LD [HL],L",
    "HALT",
    "LD [HL],A",
    "LD A,B",
    "LD A,C",
    "LD A,D",
    "LD A,E",
    "LD A,H",
    "LD A,L",
    "LD A,[HL]",
    "LD A,A",
    /* 80 */ "ADD A,B",
    "ADD A,C",
    "ADD A,D",
    "ADD A,E",
    "ADD A,H",
    "ADD A,L",
    "ADD A,[HL]",
    "ADD A,A",
    "ADC A,B",
    "ADC A,C",
    "ADC A,D",
    "ADC A,E",
    "ADC A,H",
    "ADC A,L",
    "ADC A,[HL]",
    "ADC A,A",
    /* 90 */ "SUB B",
    "SUB C",
    "SUB D",
    "SUB E",
    "SUB H",
    "SUB L",
    "SUB [HL]",
    "SUB A",
    "SBC A,B",
    "SBC A,C",
    "SBC A,D",
    "SBC A,E",
    "SBC A,H",
    "SBC A,L",
    "SBC A,[HL]",
    "SBC A,A",
    /* A0 */ "AND B",
    "AND C",
    "AND D",
    "AND E",
    "AND H",
    "AND L",
    "AND [HL]",
    "AND A",
    "XOR B",
    "XOR C",
    "XOR D",
    "XOR E",
    "XOR H",
    "XOR L",
    "XOR [HL]",
    "XOR A",
    /* B0 */ "OR B",
    "OR C",
    "OR D",
    "OR E",
    "OR H",
    "OR L",
    "OR [HL]",
    "OR A",
    "CP B",
    "CP C",
    "CP D",
    "CP E",
    "CP H",
    "CP L",
    "CP [HL]",
    "CP A",
    /* C0 */ "RET NZ",
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
    /* D0 */ "RET NC",
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
    /* E0 */ "LDH [h],A",
    "POP HL",
    "LDH [C],A",
    NULL,
    NULL,
    "PUSH HL",
    "AND n",
    "RST $20",
    "ADD SP,d",
    "JP HL",
    "LD [nn],A",
    NULL,
    NULL,
    NULL,
    "XOR n",
    "RST $28",
    /* F0 */ "LDH A,[h]",
    "POP AF",
    "LDH A,[C]",
    "DI",
    NULL,
    "PUSH AF",
    "OR n",
    "RST $30",
    "LD HL,SPs",
    "LD SP,HL",
    "LD A,[nn]",
    "EI",
    NULL,
    NULL,
    "CP n",
    "RST $38",
};

static const char *const r8[8] = {"B", "C", "D", "E", "H", "L", "[HL]", "A"};
static const char *const cb_shift[8] = {"RLC", "RRC", "RL", "RR", "SLA", "SRA", "SWAP", "SRL"};
static const char *const cb_bit[4] = {NULL, "BIT", "RES", "SET"};

unsigned gb_insn_len(uint8_t op) {
    const char *t = base[op];
    if (!t || op == 0xCB) return op == 0xCB ? 2 : 1;
    if (strstr(t, "nn")) return 3;
    return strpbrk(t, "nehds") ? 2 : 1;
}

unsigned gb_disasm(uint16_t pc, uint8_t op, uint8_t op1, uint8_t op2, char *buf, size_t len) {
    if (!len) return gb_insn_len(op);
    if (op == 0xCB) {
        /* CB xx: bits 7-6 the group, 5-3 the shift or bit number, 2-0 the
         * register. */
        const unsigned g = op1 >> 6, b = (op1 >> 3) & 7;
        if (g == 0)
            snprintf(buf, len, "%s %s", cb_shift[b], r8[op1 & 7]);
        else
            snprintf(buf, len, "%s %u,%s", cb_bit[g], b, r8[op1 & 7]);
        return 2;
    }
    const char *t = base[op];
    if (!t) {
        snprintf(buf, len, "DB $%02X", op);
        return 1;
    }
    size_t o = 0;
    buf[0] = 0;
    for (const char *p = t; *p && o + 1 < len; p++) {
        int n;
        if (p[0] == 'n' && p[1] == 'n') {
            n = snprintf(buf + o, len - o, "$%04X", (unsigned)(op1 | op2 << 8));
            p++;
        } else if (*p == 'n') {
            n = snprintf(buf + o, len - o, "$%02X", op1);
        } else if (*p == 'e') {
            n = snprintf(buf + o, len - o, "$%04X", (uint16_t)(pc + 2 + (int8_t)op1));
        } else if (*p == 'h') {
            n = snprintf(buf + o, len - o, "$FF%02X", op1);
        } else if (*p == 'd') {
            n = snprintf(buf + o, len - o, "%d", (int8_t)op1);
        } else if (*p == 's') {
            n = snprintf(buf + o, len - o, "%+d", (int8_t)op1);
        } else {
            buf[o] = *p;
            buf[o + 1] = 0;
            n = 1;
        }
        o = n < 0 ? o : (o + (size_t)n < len ? o + (size_t)n : len - 1);
    }
    return gb_insn_len(op);
}

int gb_disasm_line_fmt(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts,
                       const uint8_t *payload, char *buf, size_t len) {
    (void)ctx;
    if (id >= s->nevents || strcmp(s->events[id].target, "cpu") ||
        strcmp(s->events[id].name, "exec"))
        return -1;
    const ct_event_desc *d = &s->events[id];
    /* By name: a .perfetto-trace read back has its own field widths. */
    static const char *const names[] = {"pc", "op", "op1", "op2", "a",  "f",   "b",   "c",
                                        "d",  "e",  "h",   "l",   "sp", "ime", "bank"};
    enum { N = sizeof names / sizeof *names };
    unsigned v[N];
    for (unsigned i = 0; i < N; i++) {
        int f = ct_field_index(d, names[i]);
        if (f < 0) return -1;
        v[i] = (unsigned)ct_field_u64(d, (unsigned)f, payload);
    }
    char ins[32], bytes[12];
    unsigned n =
        gb_disasm((uint16_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)v[3], ins, sizeof ins);
    static const char *const byte_fmt[4] = {"", "%02X", "%02X %02X", "%02X %02X %02X"};
    snprintf(bytes, sizeof bytes, byte_fmt[n], v[1] & 0xFF, v[2] & 0xFF, v[3] & 0xFF);
    int r = snprintf(buf, len,
                     "%llu cpu.exec %02X:%04X  %-8s  %-16s A:%02X F:%02X B:%02X C:%02X D:%02X "
                     "E:%02X H:%02X L:%02X SP:%04X IME:%u",
                     (unsigned long long)ts, v[14] & 0xFF, v[0] & 0xFFFF, bytes, ins, v[4] & 0xFF,
                     v[5] & 0xFF, v[6] & 0xFF, v[7] & 0xFF, v[8] & 0xFF, v[9] & 0xFF, v[10] & 0xFF,
                     v[11] & 0xFF, v[12] & 0xFFFF, v[13] & 1);
    return r < 0 ? -1 : (r >= (int)len ? (int)len - 1 : r);
}

/* ---- the Perfetto look of the emulator's events ------------------------ */

static bool is_event(const ct_schema *s, uint16_t id, const char *target, const char *name) {
    return id < s->nevents && !strcmp(s->events[id].target, target) &&
           !strcmp(s->events[id].name, name);
}

/* Fields shown in hex: addresses, registers, bytes. */
static bool hex_field(const char *n) {
    static const char *const names[] = {
        "pc", "sp", "addr", "reg", "value", "src", "dst", "vector", "op",   "op1", "op2",
        "a",  "f",  "b",    "c",   "d",     "e",   "h",   "l",      "tima", "tma", "div"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(n, names[i])) return true;
    return false;
}

static void look_event(void *ctx, const ct_schema *s, uint16_t id, uint32_t *hex, uint32_t *key) {
    (void)ctx;
    *hex = *key = 0;
    if (id >= s->nevents) return;
    const ct_event_desc *d = &s->events[id];
    for (unsigned f = 0; f < d->nfields && f < 32; f++)
        if (d->fields[f].type != CT_T_BOOL && d->fields[f].type != CT_T_STR &&
            hex_field(d->fields[f].name))
            *hex |= 1u << f;
    /* By name: a trace read back has its own field order and widths. */
    static const char *const exec_key[] = {"pc", "op", "op1", "op2", "bank"};
    if (is_event(s, id, "cpu", "exec")) {
        for (size_t i = 0; i < sizeof exec_key / sizeof *exec_key; i++) {
            int f = ct_field_index(d, exec_key[i]);
            if (f < 0) {
                *key = 0;
                return;
            }
            *key |= 1u << f;
        }
    } else if (is_event(s, id, "ppu", "mode")) {
        int f = ct_field_index(d, "mode");
        if (f >= 0) *key = 1u << f;
    }
}

static int look_name(void *ctx, const ct_schema *s, uint16_t id, const uint8_t *payload, char *buf,
                     size_t len) {
    (void)ctx;
    const ct_event_desc *d = &s->events[id];
    if (is_event(s, id, "cpu", "exec")) {
        int fpc = ct_field_index(d, "pc"), fop = ct_field_index(d, "op"),
            f1 = ct_field_index(d, "op1"), f2 = ct_field_index(d, "op2"),
            fb = ct_field_index(d, "bank");
        if (fpc < 0 || fop < 0 || f1 < 0 || f2 < 0 || fb < 0) return -1;
        unsigned pc = (unsigned)ct_field_u64(d, (unsigned)fpc, payload) & 0xFFFF;
        char ins[32];
        gb_disasm((uint16_t)pc, (uint8_t)ct_field_u64(d, (unsigned)fop, payload),
                  (uint8_t)ct_field_u64(d, (unsigned)f1, payload),
                  (uint8_t)ct_field_u64(d, (unsigned)f2, payload), ins, sizeof ins);
        int r = snprintf(buf, len, "%s @%02X:%04X", ins,
                         (unsigned)ct_field_u64(d, (unsigned)fb, payload) & 0xFFFF, pc);
        return r < 0 || (size_t)r >= len ? -1 : r;
    }
    if (is_event(s, id, "ppu", "mode")) {
        int f = ct_field_index(d, "mode");
        if (f < 0) return -1;
        static const char *const modes[4] = {"HBlank", "VBlank", "OAM scan", "drawing"};
        uint64_t m = ct_field_u64(d, (unsigned)f, payload);
        if (m > 3) return -1;
        int r = snprintf(buf, len, "%s", modes[m]);
        return r < 0 || (size_t)r >= len ? -1 : r;
    }
    return -1;
}

const ct_look gb_look = {look_event, look_name, NULL};
