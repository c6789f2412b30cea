/* Fuzz target: the trigger expression parser (--start-at, --stop-at,
 * --dump-at, --mark) against the emulator's schema, and the window range
 * parser (--frames X..Y, --cycles X..Y). An expression that parses is armed
 * (as a mark, then as start/stop) on a small machine running a loop that
 * reads and writes memory, so evaluation runs on it too. */
#include "fuzz.h"

#include "gb/gb.h"
#include "gb/gb_events.h"
#include "debug/trigger.h"

#include <stdlib.h>
#include <string.h>

/* A ROM-only cartridge: JP $0150; INC A; LD ($C000),A; LD A,($FF44);
 * JR $0150. */
static void make_rom(uint8_t *rom) {
    static const uint8_t entry[] = {0x00, 0xC3, 0x50, 0x01};
    static const uint8_t loop[] = {0x3C, 0xEA, 0x00, 0xC0, 0xF0, 0x44, 0x18, 0xF8};
    memset(rom, 0, 0x8000);
    memcpy(rom + 0x100, entry, sizeof entry);
    memcpy(rom + 0x150, loop, sizeof loop);
    uint8_t sum = 0;
    for (unsigned i = 0x134; i <= 0x14C; i++)
        sum = (uint8_t)(sum - rom[i] - 1);
    rom[0x14D] = sum;
}

static void arm_and_run(const char *expr, gb_trig_action a1, gb_trig_action a2) {
    static uint8_t rom[0x8000];
    if (!rom[0x101]) make_rom(rom);
    char err[256];
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    ct_recorder *rec = ct_recorder_create(&gb_schema, 32 << 10, 0, CT_OVERWRITE, err, sizeof err);
    gb_trig_set *s = calloc(1, sizeof *s);
    if (g && rec && s && ct_filter_apply(rec, "trace", err, sizeof err) == 0) {
        gb_set_recorder(g, rec);
        gb_trig_set_init(s, rec);
        int ok = gb_trig_add(s, expr, a1, err, sizeof err) == 0;
        ok &= gb_trig_add(s, expr, a2, err, sizeof err) == 0;
        if (ok) {
            s->t[s->n - 1].post = 100;
            gb_trig_arm(g, s);
            gb_run(g, 20000, 0);
            gb_trig_arm(g, NULL);
        }
    }
    free(s);
    ct_recorder_destroy(rec);
    gb_destroy(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *expr = malloc(size + 1);
    gb_trigger *t = malloc(sizeof *t);
    if (!expr || !t) {
        free(expr);
        free(t);
        return 0;
    }
    memcpy(expr, data, size);
    expr[size] = 0;
    char err[512];
    int rc = gb_trig_parse(t, expr, &gb_schema, err, sizeof err);
    gb_trig_parse(t, expr, &gb_schema, err, 2);
    uint64_t lo, hi;
    gb_trig_parse_range(expr, &lo, &hi);
    free(t);
    if (rc == 0) {
        arm_and_run(expr, GB_TRIG_MARK, GB_TRIG_MARK);
        arm_and_run(expr, GB_TRIG_START, GB_TRIG_STOP);
    }
    free(expr);
    return 0;
}
