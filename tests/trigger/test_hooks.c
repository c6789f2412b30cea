/* The core's debug-hook interface (gb/gb_hooks.h) through the public API
 * only: each hook is called at the moment its header promises, with what it
 * promises, only for the addresses in its bitmap; gb_break() stops before
 * an instruction and the next run executes it; disarmed hooks are silent. */
#include "check.h"
#include "testrom.h"

#include "gb/gb.h"
#include "gb/gb_events.h"
#include "gb/gb_hooks.h"
#include "trace/ct_host.h"

#include <stdlib.h>
#include <string.h>

#include "trig_program.h"

static uint8_t rom[TESTROM_SIZE];
static uint8_t fetch_bm[GB_HOOK_BITMAP_BYTES], read_bm[GB_HOOK_BITMAP_BYTES],
    write_bm[GB_HOOK_BITMAP_BYTES];

typedef struct seen {
    unsigned fetches, bad_fetch, reads, writes, bad_access, irqs, bad_irq, frames, serial;
    uint8_t first_write, old_at_write, first_serial;
    uint64_t last_fetch_cycle;
    bool break_at_fetch;
} seen;

static void set_bit(uint8_t *bm, uint16_t a) {
    bm[a >> 3] |= (uint8_t)(1u << (a & 7));
}

static void on_fetch(gb *g, void *ctx, uint16_t pc) {
    seen *s = ctx;
    gb_regs r;
    gb_get_regs(g, &r);
    s->fetches++;
    s->last_fetch_cycle = gb_cycles(g);
    /* Before the instruction: at pc, with its opcode at pc. */
    if (pc != 0x0162 || r.pc != pc || gb_peek(g, pc) != 0xFA) s->bad_fetch++;
    if (s->break_at_fetch) gb_break(g);
}

static void on_access(gb *g, void *ctx, bool write, uint16_t addr, uint8_t value) {
    seen *s = ctx;
    if (addr != 0xC000) s->bad_access++;
    if (write) {
        /* Before the write lands: memory still holds the old value. */
        if (s->writes == 0) {
            s->first_write = value;
            s->old_at_write = gb_peek(g, addr);
        }
        s->writes++;
    } else {
        if (value != gb_peek(g, addr)) s->bad_access++;
        s->reads++;
    }
}

static void on_irq(gb *g, void *ctx, uint8_t bit) {
    seen *s = ctx;
    gb_regs r;
    gb_get_regs(g, &r);
    if (bit != 0 || r.pc != 0x0040 || r.ime) s->bad_irq++;
    s->irqs++;
}

static void on_frame(gb *g, void *ctx) {
    seen *s = ctx;
    (void)g;
    s->frames++;
}

static void on_event(gb *g, void *ctx, uint16_t id, uint64_t ts, const uint8_t *p) {
    seen *s = ctx;
    (void)g, (void)ts;
    if (id == gb_ev_SERIAL_BYTE && s->serial++ == 0) s->first_serial = p[0];
}

static gb *machine(void) {
    char err[256];
    testrom_build(rom, program, sizeof program);
    rom[0x40] = 0xD9; /* reti */
    gb *g = gb_create(rom, sizeof rom, NULL, err, sizeof err);
    CHECK(g != NULL);
    return g;
}

static void test_every_hook(void) {
    gb *g = machine();
    if (!g) return;
    char err[256];
    ct_recorder *rec = ct_recorder_create(&gb_schema, 1 << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(rec != NULL);
    CHECK_EQ(ct_filter_apply(rec, "off,serial=info", err, sizeof err), 0);
    gb_set_recorder(g, rec);
    memset(fetch_bm, 0, sizeof fetch_bm);
    memset(read_bm, 0, sizeof read_bm);
    memset(write_bm, 0, sizeof write_bm);
    set_bit(fetch_bm, 0x0162);
    set_bit(read_bm, 0xC000);
    set_bit(write_bm, 0xC000);
    seen s = {0};
    gb_hooks h = {.ctx = &s,
                  .fetch = on_fetch,
                  .fetch_bm = fetch_bm,
                  .access = on_access,
                  .read_bm = read_bm,
                  .write_bm = write_bm,
                  .irq = on_irq,
                  .frame = on_frame,
                  .event = on_event};
    gb_set_hooks(g, &h);
    CHECK(gb_get_hooks(g) == &h);
    const uint8_t power_on = gb_peek(g, 0xC000); /* WRAM is not zeroed at power-on */
    gb_run(g, 4 * 70224, 0);
    /* Each pass of the loop fetches $0162 once, reads and writes $C000 once. */
    CHECK(s.fetches > 1000);
    CHECK_EQ(s.bad_fetch, 0);
    CHECK_EQ(s.bad_access, 0);
    CHECK_EQ(s.reads, s.fetches);
    CHECK_EQ(s.writes, s.reads + 1); /* and the first write at $0157 */
    CHECK_EQ(s.first_write, 0x42);
    CHECK_EQ(s.old_at_write, power_on);
    CHECK_EQ(s.frames, gb_frames(g));
    CHECK(s.frames >= 3);
    CHECK(s.irqs >= 3);
    CHECK_EQ(s.bad_irq, 0);
    CHECK_EQ(s.serial, 1);
    CHECK_EQ(s.first_serial, 0x55);

    /* Disarmed: nothing is called any more. */
    gb_set_hooks(g, NULL);
    CHECK(gb_get_hooks(g) == NULL);
    seen before = s;
    gb_run(g, 70224, 0);
    CHECK_EQ(s.fetches, before.fetches);
    CHECK_EQ(s.reads, before.reads);
    CHECK_EQ(s.irqs, before.irqs);
    CHECK_EQ(s.frames, before.frames);
    gb_destroy(g);
    ct_recorder_destroy(rec);
}

/* A bitmap bit on an address that never runs: no call at all. */
static void test_bitmap_filters(void) {
    gb *g = machine();
    if (!g) return;
    memset(fetch_bm, 0, sizeof fetch_bm);
    set_bit(fetch_bm, 0x3000);
    seen s = {0};
    gb_hooks h = {.ctx = &s, .fetch = on_fetch, .fetch_bm = fetch_bm, .access = on_access};
    gb_set_hooks(g, &h); /* no access bitmap: no access calls */
    gb_run(g, 70224, 0);
    CHECK_EQ(s.fetches, 0);
    CHECK_EQ(s.reads + s.writes, 0);
    /* gb_hooks_fetch_bitmap points the machine elsewhere, NULL back. */
    set_bit(read_bm, 0); /* unused: only the fetch bitmap matters here */
    uint8_t loop[GB_HOOK_BITMAP_BYTES] = {0};
    set_bit(loop, 0x0162);
    gb_hooks_fetch_bitmap(g, loop);
    gb_run(g, 70224, 0);
    CHECK(s.fetches > 100);
    unsigned n = s.fetches;
    gb_hooks_fetch_bitmap(g, NULL);
    gb_run(g, 70224, 0);
    CHECK_EQ(s.fetches, n);
    gb_set_hooks(g, NULL);
    gb_destroy(g);
}

/* gb_break() stops before the instruction; the next run executes it
 * without a second call for it; gb_step says whether it ran one. */
static void test_break_before(void) {
    gb *g = machine();
    if (!g) return;
    memset(fetch_bm, 0, sizeof fetch_bm);
    set_bit(fetch_bm, 0x0162);
    seen s = {.break_at_fetch = true};
    gb_hooks h = {.ctx = &s, .fetch = on_fetch, .fetch_bm = fetch_bm};
    gb_set_hooks(g, &h);
    unsigned why = gb_run(g, 70224, 0);
    CHECK(why & GB_STOP_REQUEST);
    CHECK_EQ(s.fetches, 1);
    gb_regs r;
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x0162);
    CHECK(!r.halted);
    CHECK_EQ(gb_cycles(g), s.last_fetch_cycle); /* nothing ran after the fetch */
    CHECK_EQ(r.a, 0x81);                        /* ld a,($C000) not executed yet */
    /* A state saved at the break resumes the same way. */
    size_t n = gb_state_size(g);
    uint8_t *st = malloc(n);
    CHECK(gb_state_save(g, st, n) > 0);
    /* The step executes the instruction: no fetch call, A loaded, one
     * M-cycle for the fetch already spent, three more for the operands. */
    uint64_t c0 = gb_cycles(g);
    unsigned w = gb_step(g);
    CHECK(w & GB_STEP_INSN);
    CHECK_EQ(s.fetches, 1);
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x0165);
    CHECK_EQ(r.a, 0x42);
    CHECK_EQ(gb_cycles(g) - c0, 12);
    /* The next pass of the loop breaks again. */
    why = gb_run(g, 70224, 0);
    CHECK(why & GB_STOP_REQUEST);
    CHECK_EQ(s.fetches, 2);
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x0162);
    CHECK_EQ(r.a, 0x43);
    /* Back to the saved break: a run resumes it as the step did. */
    CHECK_EQ(gb_state_load(g, st, n), 0);
    s.break_at_fetch = false;
    gb_run(g, 4, 0);
    gb_get_regs(g, &r);
    CHECK_EQ(r.pc, 0x0165);
    CHECK_EQ(r.a, 0x42);
    CHECK_EQ(s.fetches, 2);
    free(st);
    /* gb_step on a plain instruction. */
    w = gb_step(g);
    CHECK(w & GB_STEP_INSN);
    gb_set_hooks(g, NULL);
    gb_destroy(g);
}

int main(void) {
    test_every_hook();
    test_bitmap_filters();
    test_break_before();
    return test_result();
}
