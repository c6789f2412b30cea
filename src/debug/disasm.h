/* SM83 disassembly in RGBDS syntax (`LD A,[HL+]`, `CALL NZ,$4A21`,
 * `BIT 7,H`) for the trace tools: one table of the 256 base opcodes, the
 * CB page decoded from its regular fields. */
#ifndef CERES_GB_DISASM_H
#define CERES_GB_DISASM_H

#include "../trace/ct_host.h"

#include <stddef.h>
#include <stdint.h>

/* Length in bytes of the instruction starting with op (1..3). */
unsigned gb_insn_len(uint8_t op);

/* Disassemble the instruction at pc (bytes op, op1, op2) into buf (24 bytes
 * are always enough); returns its length in bytes. Immediates are $hex, a
 * JR shows its target, ADD SP / LD HL,SP+ their signed offset in decimal,
 * an opcode the SM83 does not have shows as DB $XX. */
unsigned gb_disasm(uint16_t pc, uint8_t op, uint8_t op1, uint8_t op2, char *buf, size_t len);

/* ct_line_fmt for the emulator's schema: cpu.exec events as
 * "TS cpu.exec BANK:PC  bytes  mnemonic  registers" (the registers before
 * the instruction), -1 (the generic form) for other events. */
int gb_disasm_line_fmt(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts,
                       const uint8_t *payload, char *buf, size_t len);

/* How a .perfetto-trace shows the emulator's events (ct_dump_opts.look):
 * instruction slices named by their disassembly with bank and address
 * (`LD A,[HL+] @01:4A3C`, one interned name per instruction site), PPU mode
 * slices by mode (`OAM scan`, `drawing`, `HBlank`, `VBlank`), addresses,
 * registers and bytes in hex. Events are found by name, so it also fits a
 * trace read back from a file. */
extern const ct_look gb_look;

#endif
