/* Gameboy Doctor logs: one line per executed instruction with the CPU state
 * before it, e.g.
 *   A:01 F:B0 B:00 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0100 PCMEM:00,C3,13,02
 * (uppercase hex; PCMEM the four bytes at PC). Written by `ceres run
 * --doctor-log`, read back as a trace of cpu.exec events so `ceres trace
 * diff` can compare a Ceres trace or log with another emulator's log. */
#ifndef CERES_GB_DOCTOR_H
#define CERES_GB_DOCTOR_H

#include "../gb/gb.h"
#include "../trace/ct_host.h"

#include <stdio.h>

/* The line for the machine's current state (no newline); returns its length
 * (GB_DOCTOR_LINE_MAX - 1 at most). Reads PCMEM with gb_peek. */
#define GB_DOCTOR_LINE_MAX 80
int gb_doctor_line(gb *g, char *buf, size_t len);

/* Doctor mode (LY reads $90) is the core's: gb_set_doctor_mode in gb.h. */

/* Run until `max_cycles` more T-cycles have elapsed or one of stop_mask's
 * bits happens, writing one line per instruction to f before executing it.
 * Returns the bits that stopped it, as gb_run. */
unsigned gb_doctor_run(gb *g, FILE *f, uint64_t max_cycles, unsigned stop_mask);

/* True when the text looks like a doctor log (its first line parses). */
bool gb_doctor_sniff(const char *text, size_t len);

/* Parse one line into the fields below (pc, op, op1, op2, op3, a, f, b, c,
 * d, e, h, l, sp); 0, or -1 when it is not a doctor line. */
#define GB_DOCTOR_NFIELDS 14
extern const char *const gb_doctor_fields[GB_DOCTOR_NFIELDS];
int gb_doctor_parse(const char *line, unsigned v[GB_DOCTOR_NFIELDS]);

/* Load a doctor log as a trace: one cpu.exec event per line with fields
 * pc, op, op1, op2, op3 (PCMEM), a, f, b, c, d, e, h, l, sp; the time stamp
 * is the line's index and the schema has no clock (ts_hz 0), so a diff
 * aligns it on instruction order. Malformed lines give -EINVAL and the line
 * number in err. */
int gb_doctor_load(const char *path, ct_trace **out, char *err, size_t errlen);

/* ct_line_fmt printing cpu.exec events (of any schema with the fields
 * above; op3 optional) as doctor lines; -1 for other events. */
int gb_doctor_line_fmt(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts,
                       const uint8_t *payload, char *buf, size_t len);

#endif
