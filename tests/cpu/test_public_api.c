/* The public test API the runner's SM83 vector suite uses instead of the
 * core's internals: flat test mode (plain 64 KiB memory, one log entry per
 * M-cycle), register load and store, IE/IF, gb_step's answer; and the
 * runner's own events kept out of the emulator's schema. */
#include "check.h"
#include "testrom.h"

#include "gb/gb.h"
#include "gb/gb_events.h"
#include "runner/rn_events.h"

#include <stdlib.h>
#include <string.h>

static void test_flat_mode(void) {
    static uint8_t rom[TESTROM_SIZE];
    char err[256];
    testrom_build(rom, (const uint8_t[]){0x00}, 1);
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    CHECK(g != NULL);
    if (!g) return;
    uint8_t *mem = calloc(0x10000, 1);
    gb_bus_access log[8];
    mem[0x1000] = 0x7E; /* LD A,(HL) */
    mem[0x1001] = 0x77; /* LD (HL),A */
    mem[0x1002] = 0xFB; /* EI */
    mem[0x2000] = 0x5A;
    gb_set_flat_mode(g, mem, log, 8);
    gb_regs r = {.h = 0x20, .l = 0x00, .a = 0x11, .sp = 0xD000, .pc = 0x1000};
    gb_set_regs(g, &r);
    gb_set_interrupts(g, 0, 0);

    unsigned w = gb_step(g);
    CHECK(w & GB_STEP_INSN);
    gb_get_regs(g, &r);
    CHECK_EQ(r.a, 0x5A);
    CHECK_EQ(r.pc, 0x1001);
    CHECK_EQ(gb_flat_cycles(g), 2);
    CHECK(log[0].addr == 0x1000 && log[0].value == 0x7E && log[0].kind == 'r');
    CHECK(log[1].addr == 0x2000 && log[1].value == 0x5A && log[1].kind == 'r');

    gb_flat_clear(g);
    r.a = 0xA5;
    gb_set_regs(g, &r);
    gb_step(g);
    CHECK_EQ(mem[0x2000], 0xA5);
    CHECK_EQ(gb_flat_cycles(g), 2);
    CHECK(log[1].addr == 0x2000 && log[1].value == 0xA5 && log[1].kind == 'w');

    /* EI: IME pending, visible and loadable. */
    gb_step(g);
    gb_get_regs(g, &r);
    CHECK(r.ei_pending);
    CHECK(!r.ime);
    r.ei_pending = false;
    gb_set_regs(g, &r);
    gb_get_regs(g, &r);
    CHECK(!r.ei_pending);

    /* Flat mode dispatches no interrupt; out of it, IE and IF set here are
     * what the CPU's interrupt logic sees: the step is a dispatch, not an
     * instruction. */
    gb_set_flat_mode(g, NULL, NULL, 0);
    r.pc = 0x0150;
    r.ime = true;
    gb_set_regs(g, &r);
    gb_set_interrupts(g, 0x04, 0x04);
    w = gb_step(g);
    CHECK(!(w & GB_STEP_INSN));
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x0050);
    CHECK(!r.ime);
    gb_destroy(g);
    free(mem);
}

/* The emulator's schema has no test events; the runner's has the
 * emulator's events first, unchanged, then its own. */
static void test_schemas(void) {
    for (uint32_t i = 0; i < gb_schema.nevents; i++)
        CHECK(strcmp(gb_schema.events[i].target, "test") != 0);
    CHECK_EQ(rn_schema.nevents, gb_schema.nevents + 3);
    for (uint32_t i = 0; i < gb_schema.nevents; i++) {
        CHECK(!strcmp(rn_schema.events[i].target, gb_schema.events[i].target));
        CHECK(!strcmp(rn_schema.events[i].name, gb_schema.events[i].name));
    }
    CHECK_EQ(rn_ev_TEST_BEGIN, gb_ev_count);
    CHECK(!strcmp(rn_schema.events[rn_ev_TEST_RESULT].name, "result"));
}

int main(void) {
    test_flat_mode();
    test_schemas();
    return test_result();
}
