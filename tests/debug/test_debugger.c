/* Scripted `ceres debug --json` sessions on a synthesized ROM (interrupts,
 * HALT, OAM DMA from HRAM, MBC1 bank switches, a subroutine) and on a real
 * test ROM: every backward command is checked against a forward run from
 * power-on to the cycle it landed on (the whole save state equal: registers,
 * cycle, memory, every device); a watchpoint and a breakpoint agree with
 * their reverse twins on every hit; the checkpoint ring wraps and keeps its
 * bounds; bad commands and expressions get a caret and the session goes on. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "testrom.h"

#include "gb/gb.h"
#include "runner/runner.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *bin;
static char dir[64] = "/tmp/ceres-debug-XXXXXX";
static char rom_path[128];
static uint8_t rom[0x10000];

static void put(unsigned at, const uint8_t *b, size_t n) {
    memcpy(rom + at, b, n);
}

/* 64 KiB MBC1 image; code at $0150, handlers at $0040 (VBlank) and $0050
 * (timer), a subroutine at $0200, an OAM DMA routine copied to HRAM. */
static void build_rom(void) {
    static const uint8_t main_code[] = {
        0x31, 0xFE, 0xDF, /* 0150 ld sp,$DFFE */
        0x21, 0x00, 0x03, /* 0153 ld hl,$0300 */
        0x0E, 0x80,       /* 0156 ld c,$80 */
        0x2A,             /* 0158 ld a,(hl+) */
        0xE2,             /* 0159 ld ($FF00+c),a */
        0x0C,             /* 015A inc c */
        0x79,             /* 015B ld a,c */
        0xFE, 0x88,       /* 015C cp $88 */
        0x20, 0xF8,       /* 015E jr nz,$0158 */
        0x3E, 0x05,       /* 0160 ld a,$05 */
        0xE0, 0xFF,       /* 0162 ldh (IE),a: VBlank, timer */
        0x3E, 0x05,       /* 0164 ld a,$05 */
        0xE0, 0x07,       /* 0166 ldh (TAC),a: on, 262144 Hz */
        0xFB,             /* 0168 ei */
        0xCD, 0x00, 0x02, /* 0169 call $0200 */
        0x76,             /* 016C halt */
        0x00,             /* 016D nop */
        0x3E, 0xC1,       /* 016E ld a,$C1 */
        0xCD, 0x80, 0xFF, /* 0170 call $FF80 (OAM DMA from $C100) */
        0x3E, 0x02,       /* 0173 ld a,2 */
        0xEA, 0x00, 0x20, /* 0175 ld ($2000),a: bank 2 */
        0xFA, 0x00, 0x40, /* 0178 ld a,($4000) */
        0xEA, 0x20, 0xC0, /* 017B ld ($C020),a */
        0x3E, 0x03,       /* 017E ld a,3 */
        0xEA, 0x00, 0x20, /* 0180 ld ($2000),a: bank 3 */
        0xFA, 0x00, 0x40, /* 0183 ld a,($4000) */
        0xEA, 0x21, 0xC0, /* 0186 ld ($C021),a */
        0x18, 0xDE,       /* 0189 jr $0169 */
    };
    static const uint8_t sub[] = {
        0x21, 0x10, 0xC0, /* 0200 ld hl,$C010 */
        0x34,             /* 0203 inc (hl) */
        0x7E,             /* 0204 ld a,(hl) */
        0xEA, 0x11, 0xC0, /* 0205 ld ($C011),a */
        0xC9,             /* 0208 ret */
    };
    static const uint8_t vblank[] = {0xF5, 0xFA, 0x30, 0xC0, 0x3C, 0xEA, 0x30, 0xC0, 0xF1, 0xD9};
    static const uint8_t timer[] = {0xF5, 0xFA, 0x31, 0xC0, 0x3C, 0xEA, 0x31, 0xC0, 0xF1, 0xD9};
    /* ldh ($46),a; ld a,40; dec a; jr nz,-3; ret */
    static const uint8_t dma[] = {0xE0, 0x46, 0x3E, 0x28, 0x3D, 0x20, 0xFD, 0xC9};
    testrom_build(rom, main_code, sizeof main_code);
    memset(rom + 0x8000, 0x22, 0x4000);
    memset(rom + 0xC000, 0x33, 0x4000);
    put(0x200, sub, sizeof sub);
    put(0x40, vblank, sizeof vblank);
    put(0x50, timer, sizeof timer);
    put(0x300, dma, sizeof dma);
    rom[0x147] = 0x01; /* MBC1 */
    rom[0x148] = 0x01; /* 64 KiB */
    testrom_fix_checksum(rom);
    snprintf(rom_path, sizeof rom_path, "%s/synth.gb", dir);
    CHECK_EQ(rn_write_file(rom_path, rom, sizeof rom), 0);
}

/* ---- sessions ---------------------------------------------------------------- */

typedef struct session {
    cJSON *ans[512];
    int n;
} session;

static void session_free(session *s) {
    for (int i = 0; i < s->n; i++)
        cJSON_Delete(s->ans[i]);
    s->n = 0;
}

/* Run a script; one JSON answer per command line. */
static void run_session(session *s, const char *romp, const char *opts, const char *script) {
    char spath[200], cmd[1200];
    snprintf(spath, sizeof spath, "%s/script.txt", dir);
    CHECK_EQ(rn_write_file(spath, script, strlen(script)), 0);
    snprintf(cmd, sizeof cmd, "'%s' debug --json %s --script '%s' '%s'", bin, opts, spath, romp);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    s->n = 0;
    if (!p) return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, p) > 0 && s->n < 512) {
        cJSON *j = cJSON_Parse(line);
        CHECK(j != NULL);
        if (!j) {
            fprintf(stderr, "not JSON: %s", line);
            continue;
        }
        s->ans[s->n++] = j;
    }
    free(line);
    CHECK_EQ(pclose(p), 0);
}

static double jnum(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static bool jok(const cJSON *o) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
}

static const char *jtext(const cJSON *o) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "text");
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double jreg(const cJSON *o, const char *r) {
    return jnum(cJSON_GetObjectItemCaseSensitive(o, "regs"), r);
}

/* The machine in the debugger's state file (saved at `cycle`) is the
 * machine of a run from power-on to that cycle: the same cycle, registers,
 * 64 KiB of memory as the CPU sees it, screen, serial output, and the same
 * again after both run on for two more frames. (Byte equality of the whole
 * state is too strict: the PPU keeps a snapshot of its pipeline that depends
 * on whether its events are being recorded, and the debugger records while
 * it runs forward.) */
static int verified;
static bool same_machine(gb *a, gb *b) {
    gb_regs r1, r2;
    gb_get_regs(a, &r1);
    gb_get_regs(b, &r2);
    bool same = gb_cycles(a) == gb_cycles(b) && gb_frames(a) == gb_frames(b) &&
                !memcmp(&r1, &r2, sizeof r1) &&
                !memcmp(gb_framebuffer(a), gb_framebuffer(b), GB_LCD_W * GB_LCD_H);
    for (unsigned x = 0; x < 0x10000 && same; x++)
        same = gb_peek(a, (uint16_t)x) == gb_peek(b, (uint16_t)x);
    size_t n1, n2;
    const uint8_t *s1 = gb_serial_output(a, &n1), *s2 = gb_serial_output(b, &n2);
    return same && n1 == n2 && !memcmp(s1, s2, n1);
}

static void verify(const char *romp, const char *state_file, uint64_t cycle) {
    uint8_t *data = NULL, *st = NULL;
    size_t size = 0, rsize = 0;
    CHECK_EQ(rn_read_file(romp, &data, &rsize), 0);
    char err[200];
    gb *g = gb_create(data, rsize, NULL, err, sizeof err);
    gb *d = gb_create(data, rsize, NULL, err, sizeof err);
    CHECK(g && d);
    if (!g || !d) return;
    gb_run(g, cycle, 0);
    CHECK_EQ(gb_cycles(g), cycle);
    CHECK_EQ(rn_read_file(state_file, &st, &size), 0);
    CHECK_EQ(gb_state_load(d, st, size), 0);
    bool now = same_machine(g, d);
    gb_run(g, 2 * 70224, 0);
    gb_run(d, 2 * 70224, 0);
    bool later = same_machine(g, d);
    CHECK(now && later);
    if (!now || !later)
        fprintf(stderr, "machine at cycle %llu differs from power-on (%s)\n",
                (unsigned long long)cycle, now ? "two frames later" : "at once");
    verified++;
    free(st);
    free(data);
    gb_destroy(g);
    gb_destroy(d);
}

/* Append "CMD\nstate save DIR/sK.state\n" to a script and remember K. */
static void add(char *script, size_t cap, const char *cmd, int *k) {
    size_t l = strlen(script);
    if (k)
        snprintf(script + l, cap - l, "%s\nstate save %s/s%d.state\n", cmd, dir, *k);
    else
        snprintf(script + l, cap - l, "%s\n", cmd);
}

/* Backward commands on the synthesized ROM, each against power-on. */
static void backward_commands(void) {
    char script[8192] = "";
    /* Which answers to verify: index of the motion answer and its state. */
    struct {
        int ans, k;
        const char *what;
    } chk[32];
    int nchk = 0, idx = 0, k = 0;
#define MOTION(cmd, what_)                                                                         \
    do {                                                                                           \
        add(script, sizeof script, cmd, &k);                                                       \
        chk[nchk].ans = idx;                                                                       \
        chk[nchk].k = k;                                                                           \
        chk[nchk].what = what_;                                                                    \
        nchk++;                                                                                    \
        k++;                                                                                       \
        idx += 2;                                                                                  \
    } while (0)
#define CMD(cmd)                                                                                   \
    do {                                                                                           \
        add(script, sizeof script, cmd, NULL);                                                     \
        idx++;                                                                                     \
    } while (0)
    CMD("stepf");
    CMD("stepf");
    CMD("stepf");
    MOTION("backstep", "backstep 1");
    MOTION("backstep 100", "backstep 100");
    MOTION("backstep 30000", "backstep over checkpoints");
    CMD("break pc==0x0050");
    const int irq_hit = idx;
    MOTION("continue", "at the timer handler");
    const int irq_back = idx;
    MOTION("backstep", "backstep over an interrupt dispatch");
    CMD("delete");
    CMD("break pc==0x016C");
    CMD("continue");
    CMD("step");
    CMD("step 3");
    const int halt_back = idx;
    MOTION("backstep", "backstep inside a HALT");
    MOTION("backstep 3", "backstep out of a HALT");
    CMD("delete");
    CMD("break pc==0xFF82");
    MOTION("continue", "after the OAM DMA start");
    const int dma_back = idx;
    MOTION("backstep 2", "backstep over an OAM DMA start");
    CMD("delete");
    CMD("break pc==0x0178");
    MOTION("continue", "after a bank switch");
    const int bank_back = idx;
    MOTION("backstep 2", "backstep over a bank switch");
    CMD("delete");
    CMD("stepf");
    const int lw = idx;
    MOTION("last-write $C010", "last-write");
    const int lc = idx;
    MOTION("last-change a", "last-change");
    CMD("break pc==0x0204");
    CMD("continue");
    const int rf = idx;
    MOTION("reverse-finish", "reverse-finish");
    CMD("delete");
    CMD("break pc==0x0200");
    CMD("stepf");
    CMD("stepf");
    MOTION("reverse-continue", "reverse-continue to a breakpoint");
    CMD("delete");
    CMD("watch w $C011");
    CMD("stepf");
    MOTION("reverse-continue", "reverse-continue to a watchpoint");
    CMD("delete");
    CMD("break event(timer.overflow)");
    CMD("continue");
    CMD("continue");
    const int ev_back = idx;
    MOTION("reverse-continue", "reverse-continue to an event()");
    CMD("bt");
    session s;
    run_session(&s, rom_path, "", script);
    CHECK_EQ(s.n, idx);
    if (s.n != idx) {
        session_free(&s);
        return;
    }
    for (int i = 0; i < s.n; i++)
        if (!jok(s.ans[i])) fprintf(stderr, "answer %d not ok: %s\n", i, jtext(s.ans[i]));
    for (int i = 0; i < nchk; i++) {
        const cJSON *a = s.ans[chk[i].ans];
        CHECK(jok(a));
        char f[200];
        snprintf(f, sizeof f, "%s/s%d.state", dir, chk[i].k);
        uint64_t c = (uint64_t)jnum(a, "cycle");
        printf("%-40s cycle %llu pc %04X\n", chk[i].what, (unsigned long long)c,
               (unsigned)jreg(a, "pc"));
        verify(rom_path, f, c);
    }
    /* Where they landed. */
    CHECK_EQ(jreg(s.ans[irq_hit], "pc"), 0x0050);
    CHECK(jreg(s.ans[irq_back], "pc") != 0x0050);
    CHECK(jnum(s.ans[irq_back], "cycle") < jnum(s.ans[irq_hit], "cycle"));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s.ans[halt_back - 1], "regs"), "halted")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s.ans[halt_back], "regs"), "halted")));
    CHECK_EQ(jreg(s.ans[halt_back + 2], "pc"), 0x016C);
    CHECK(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s.ans[halt_back + 2], "regs"), "halted")));
    CHECK_EQ(jreg(s.ans[dma_back], "pc"), 0x0170);
    CHECK_EQ(jreg(s.ans[bank_back], "pc"), 0x0173);
    CHECK_EQ(jnum(s.ans[lw], "at_pc"), 0x0203);
    CHECK_EQ((int)jnum(s.ans[lw], "new"), ((int)jnum(s.ans[lw], "old") + 1) & 0xFF);
    CHECK_EQ(jreg(s.ans[lw], "pc"), 0x0203);
    CHECK(jnum(s.ans[lc], "old") != jnum(s.ans[lc], "new"));
    CHECK_EQ(jreg(s.ans[rf], "pc"), 0x0169);
    CHECK(jnum(s.ans[ev_back], "cycle") < jnum(s.ans[ev_back - 1], "cycle"));
    printf("%d positions checked against power-on\n", verified);
    session_free(&s);
}

/* continue and reverse-continue agree on every hit. */
static void twins_on(const char *romp, const char *cond, bool watch) {
    char script[4096] = "", line[128];
    snprintf(line, sizeof line, "%s %s", watch ? "watch" : "break", cond);
    add(script, sizeof script, line, NULL);
    enum { N = 12 };
    for (int i = 0; i < N; i++)
        add(script, sizeof script, "continue", NULL);
    for (int i = 0; i < N - 1; i++)
        add(script, sizeof script, "reverse-continue", NULL);
    session s;
    run_session(&s, romp, "", script);
    CHECK_EQ(s.n, 1 + N + N - 1);
    if (s.n == 1 + N + N - 1) {
        int agree = 0;
        for (int i = 0; i < N - 1; i++) {
            const cJSON *fwd = s.ans[1 + N - 2 - i], *rev = s.ans[1 + N + i];
            bool same = jnum(fwd, "cycle") == jnum(rev, "cycle") &&
                        jreg(fwd, "pc") == jreg(rev, "pc") && jreg(fwd, "a") == jreg(rev, "a");
            agree += same;
            if (!same)
                fprintf(stderr, "%s: hit %d forward at %.0f, reverse at %.0f\n", cond, N - 2 - i,
                        jnum(fwd, "cycle"), jnum(rev, "cycle"));
        }
        CHECK_EQ(agree, N - 1);
        printf("%s %s: %d hits agree forward and backward\n", watch ? "watch" : "break", cond,
               agree);
    }
    session_free(&s);
}

static void twins(const char *cond, bool watch) {
    twins_on(rom_path, cond, watch);
}

/* State conditions going backwards: the hit is where the state became true
 * in forward time, not the checkpoint a search restores where it already
 * holds. LY=144 holds at every frame-end checkpoint (it became true just
 * before it); A=3 holds over several frames of checkpoints at a time: a
 * ROM that sets A to 3, waits ~4 frames, sets A to 4, waits, and so on. */
static void state_twins(void) {
    twins("ly==144", false);
    static uint8_t r[TESTROM_SIZE];
    static const uint8_t code[] = {
        0x3E, 0x03,       /* 0150 ld a,3 */
        0xCD, 0x00, 0x02, /* 0152 call $0200 */
        0x3E, 0x04,       /* 0155 ld a,4 */
        0xCD, 0x00, 0x02, /* 0157 call $0200 */
        0x18, 0xF4,       /* 015A jr $0150 */
    };
    /* 64 x 256 turns of dec e; jr nz (A untouched) */
    static const uint8_t delay[] = {0x16, 0x40, 0x1E, 0x00, 0x1D, 0x20,
                                    0xFD, 0x15, 0x20, 0xF8, 0xC9};
    testrom_build(r, code, sizeof code);
    memcpy(r + 0x200, delay, sizeof delay);
    char path[128];
    snprintf(path, sizeof path, "%s/a3.gb", dir);
    CHECK_EQ(rn_write_file(path, r, sizeof r), 0);
    twins_on(path, "a==3", false);
    twins_on(path, "a==4 && ly==10", false);

    /* The edge on a checkpoint: with the LCD off, checkpoints come every
     * 1.5 frames' worth of cycles (the first at the first instruction
     * boundary from cycle 105336 on); LD A,3 runs from 105332 to 105340,
     * so A=3 holds from the checkpoint at 105340 on, and a search that
     * restores it starts with the state holding: the edge is the end of the
     * interval before. */
    static const uint8_t lead[] = {
        0xAF, 0xE0, 0x40, /* 0150 xor a; ldh (LCDC),a: LCD off */
        0x3E, 0x04,       /* 0153 ld a,4 */
        0x06, 25,         /* 0155 ld b,25 */
        0x0E, 0x00,       /* 0157 ld c,0 */
        0x0D, 0x20, 0xFD, /* 0159 dec c; jr nz,$0159 */
        0x05, 0x20, 0xF8, /* 015C dec b; jr nz,$0157 */
    };
    static uint8_t code2[sizeof lead + 596 + 4];
    memcpy(code2, lead, sizeof lead); /* then 596 NOPs: LD A,3 at cycle 105332 */
    memcpy(code2 + sizeof lead + 596, (const uint8_t[]){0x3E, 0x03, 0x18, 0xFE}, 4);
    testrom_build(r, code2, sizeof code2);
    snprintf(path, sizeof path, "%s/edge.gb", dir);
    CHECK_EQ(rn_write_file(path, r, sizeof r), 0);
    session s;
    run_session(&s, path, "",
                "break a==3\ncontinue\ninfo checkpoints\nstepf\nstepf\nstepf\nreverse-continue\n");
    CHECK_EQ(s.n, 7);
    if (s.n == 7) {
        CHECK_EQ(jnum(s.ans[1], "cycle"), 105340);
        CHECK_EQ(jnum(s.ans[2], "newest"), 105340);
        CHECK(jnum(s.ans[5], "cycle") > 500000);
        CHECK_EQ(jnum(s.ans[6], "cycle"), jnum(s.ans[1], "cycle"));
        printf("a==3 set by the last instruction before a checkpoint: reverse-continue finds it "
               "at cycle %.0f\n",
               jnum(s.ans[6], "cycle"));
    }
    session_free(&s);
}

/* trace after going back shows what led to the present: the same events as
 * when the present was first reached running forward. */
static void trace_back(void) {
    session s;
    /* Forward to a point, on, back to it (and one step on and back). */
    static const char script2[] = "step 300\n"
                                  "trace 25\n"
                                  "step 700\n"
                                  "backstep 700\n"
                                  "trace 25\n"
                                  "step 1\n"
                                  "backstep 1\n"
                                  "trace 25\n";
    run_session(&s, rom_path, "", script2);
    CHECK_EQ(s.n, 8);
    if (s.n == 8) {
        CHECK_EQ(jnum(s.ans[0], "cycle"), jnum(s.ans[3], "cycle"));
        const cJSON *fwd = cJSON_GetObjectItemCaseSensitive(s.ans[1], "events");
        int same = 0;
        for (int k = 4; k <= 7; k += 3) {
            const cJSON *back = cJSON_GetObjectItemCaseSensitive(s.ans[k], "events");
            char *x = cJSON_PrintUnformatted(fwd), *y = cJSON_PrintUnformatted(back);
            bool eq = x && y && !strcmp(x, y);
            same += eq;
            if (!eq) fprintf(stderr, "trace after going back:\n%s\nforward:\n%s\n", y, x);
            free(x);
            free(y);
            const cJSON *src = cJSON_GetObjectItemCaseSensitive(s.ans[k], "source");
            CHECK(cJSON_IsString(src) && !strcmp(src->valuestring, "re-execution"));
        }
        CHECK_EQ(cJSON_GetArraySize(fwd), 25);
        CHECK_EQ(same, 2);
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(s.ans[1], "source");
        CHECK(cJSON_IsString(src) && !strcmp(src->valuestring, "ring"));
        printf("trace after backstep: the %d events that led here, as recorded forward\n",
               cJSON_GetArraySize(fwd));
    }
    session_free(&s);
}

/* A ring of 10 checkpoints over 40 frames: backstep across the wrap, the
 * count and memory bounds. */
static void ring_wrap_and_bounds(void) {
    char script[8192] = "";
    int k = 100;
    for (int i = 0; i < 40; i++)
        add(script, sizeof script, "stepf", NULL);
    add(script, sizeof script, "checkpoints", NULL);
    add(script, sizeof script, "backstep 80000", &k); /* about 5 frames back: several checkpoints */
    add(script, sizeof script, "checkpoints", NULL);
    session s;
    run_session(&s, rom_path, "--checkpoints 10", script);
    CHECK_EQ(s.n, 44);
    if (s.n == 44) {
        CHECK_EQ(jnum(s.ans[40], "count"), 10);
        CHECK(jnum(s.ans[40], "oldest") > 25 * 70224.0);
        CHECK(jok(s.ans[41]));
        char f[200];
        snprintf(f, sizeof f, "%s/s100.state", dir);
        verify(rom_path, f, (uint64_t)jnum(s.ans[41], "cycle"));
    }
    session_free(&s);

    /* A memory bound over a longer session. */
    script[0] = 0;
    for (int i = 0; i < 300; i++)
        add(script, sizeof script, i % 50 == 49 ? "checkpoints" : "stepf", NULL);
    run_session(&s, rom_path, "--checkpoint-memory 1M", script);
    CHECK_EQ(s.n, 300);
    for (int i = 49; i < s.n; i += 50) {
        CHECK(jnum(s.ans[i], "bytes") <= 1 << 20);
        CHECK(jnum(s.ans[i], "max_bytes") == 1 << 20);
    }
    session_free(&s);

    /* The smallest memory bound and a count bound together, over 200
     * frames: the ring wraps; backstep across the evictions lands where a
     * run from power-on does. */
    script[0] = 0;
    for (int i = 0; i < 200; i++)
        add(script, sizeof script, "stepf", NULL);
    k = 101;
    add(script, sizeof script, "backstep 100000", &k);
    add(script, sizeof script, "checkpoints", NULL);
    run_session(&s, rom_path, "--checkpoint-memory 452K --checkpoints 50", script);
    CHECK_EQ(s.n, 203);
    if (s.n == 203) {
        CHECK(jok(s.ans[200]));
        CHECK_EQ(jnum(s.ans[202], "count"), 50);
        CHECK(jnum(s.ans[202], "oldest") > 140 * 70224.0); /* power-on was evicted */
        CHECK(jnum(s.ans[202], "bytes") <= 452 * 1024);
        printf("452K ring: %.0f checkpoints, oldest at cycle %.0f\n", jnum(s.ans[202], "count"),
               jnum(s.ans[202], "oldest"));
        char f[200];
        snprintf(f, sizeof f, "%s/s101.state", dir);
        verify(rom_path, f, (uint64_t)jnum(s.ans[200], "cycle"));
    }
    session_free(&s);
}

/* The text under the caret of an error answer ("error: ...\n  LINE\n  ^"),
 * or NULL. */
static const char *under_caret(const char *text) {
    const char *l2 = strchr(text, '\n');
    const char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
    const char *c = l3 ? strchr(l3 + 1, '^') : NULL;
    if (!c) return NULL;
    size_t col = (size_t)(c - (l3 + 1));
    const char *end = strchr(l2 + 1, '\n');
    return (size_t)(end - (l2 + 1)) > col ? l2 + 1 + col : NULL;
}

/* Bad input: an error answer with a caret, and the session goes on. */
static void bad_input(void) {
    static const char *const bad[] = {
        "frobnicate",
        "break pc==",
        "break pc==0x150 &&",
        "watch",
        "watch q $C000",
        "watch w $C000 unless a",
        "x zz",
        "x $C000 0",
        "backstep -1",
        "step 0x",
        "delete 99",
        "last-write",
        "last-change zz",
        "state load /nonexistent/x.state",
        "state",
        "disasm $1FFFF",
        "until",
        "info nonsense",
        "trace -3",
    };
    const size_t nb = sizeof bad / sizeof bad[0];
    char script[4096] = "";
    for (size_t i = 0; i < nb; i++)
        add(script, sizeof script, bad[i], NULL);
    add(script, sizeof script, "regs", NULL);
    session s;
    run_session(&s, rom_path, "", script);
    CHECK_EQ(s.n, (int)nb + 1);
    int carets = 0;
    for (int i = 0; i < s.n && i < (int)nb; i++) {
        CHECK(!jok(s.ans[i]));
        if (strchr(jtext(s.ans[i]), '^')) carets++;
    }
    if (s.n == (int)nb + 1) CHECK(jok(s.ans[nb]));
    CHECK(carets >= 14);
    /* The caret stands under what is wrong. */
    static const struct {
        int i;
        const char *at;
    } where_[] = {{0, "frobnicate"}, {5, "unless a"}, {6, "zz"}, {7, "0"}, {8, "-1"}};
    for (size_t k = 0; k < sizeof where_ / sizeof where_[0] && s.n > (int)nb; k++) {
        const char *u = under_caret(jtext(s.ans[where_[k].i]));
        bool ok = u && !strncmp(u, where_[k].at, strlen(where_[k].at));
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "caret of '%s': %s\n", bad[where_[k].i], jtext(s.ans[where_[k].i]));
    }
    printf("%zu bad commands answered (%d with a caret), the session went on\n", nb, carets);
    session_free(&s);
}

/* ppu: mode, dot, LY and the pixel pipeline at the present dot. */
static void ppu_command(void) {
    session s;
    run_session(&s, rom_path, "",
                "stepf\nuntil ly==5\nstepd 120\nppu\nstepd 40\nppu\nstepd 200\nppu\n");
    CHECK_EQ(s.n, 8);
    if (s.n == 8) {
        const cJSON *a = s.ans[3], *b = s.ans[5], *c = s.ans[7];
        const cJSON *fa = cJSON_GetObjectItemCaseSensitive(a, "fifo"),
                    *fb = cJSON_GetObjectItemCaseSensitive(b, "fifo"),
                    *fc = cJSON_GetObjectItemCaseSensitive(c, "fifo");
        CHECK(jok(a) && jok(b) && jok(c));
        CHECK_EQ(jnum(a, "mode"), 3);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fa, "running")));
        CHECK_EQ(jnum(b, "mode"), 3);
        CHECK(jnum(b, "dot") > jnum(a, "dot"));
        /* 40 dots later, about 40 more pixels out. */
        CHECK(jnum(fb, "pushed") > jnum(fa, "pushed") + 30);
        CHECK(jnum(fb, "bg_pixels") <= 16);
        CHECK_EQ(jnum(c, "mode"), 0);
        CHECK(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fc, "running")));
        CHECK_EQ(jnum(c, "mode3_len"), 172);
        CHECK(strstr(jtext(a), "fetcher: step") != NULL);
        printf("ppu: %s", jtext(b));
    }
    session_free(&s);
}

/* A real ROM: blargg cpu_instrs 01-special, backward against power-on. */
static void real_rom(void) {
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    char path[600];
    snprintf(path, sizeof path, "%s/blargg/cpu_instrs/individual/01-special.gb", roms ? roms : "");
    if (access(path, R_OK)) {
        printf("SKIP part: test ROMs not found (set CERES_TESTROMS)\n");
        return;
    }
    char script[4096] = "";
    int k = 200;
    add(script, sizeof script, "watch w $FF01", NULL); /* serial output byte */
    add(script, sizeof script, "continue", NULL);
    add(script, sizeof script, "continue", NULL);
    add(script, sizeof script, "continue", NULL);
    add(script, sizeof script, "reverse-continue", &k);
    k++;
    add(script, sizeof script, "last-change a", &k);
    k++;
    add(script, sizeof script, "backstep 5000", &k);
    session s;
    run_session(&s, path, "", script);
    CHECK_EQ(s.n, 10);
    if (s.n == 10) {
        CHECK_EQ(jnum(s.ans[4], "cycle"), jnum(s.ans[2], "cycle"));
        char f[200];
        for (int i = 0; i < 3; i++) {
            snprintf(f, sizeof f, "%s/s%d.state", dir, 200 + i);
            CHECK(jok(s.ans[4 + 2 * i]));
            verify(path, f, (uint64_t)jnum(s.ans[4 + 2 * i], "cycle"));
        }
    }
    session_free(&s);
}

/* run-to-failure: the oam_bug single that fails (no verdict in 10 s)
 * stops at the cycle `ceres test` reports, and the machine there is the
 * machine of a run from power-on. */
static void run_to_failure(void) {
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    char path[600], opts[800], script[400] = "";
    snprintf(path, sizeof path, "%s/blargg/oam_bug/rom_singles/7-timing_effect.gb",
             roms ? roms : "");
    if (access(path, R_OK)) {
        printf("SKIP part: test ROMs not found (set CERES_TESTROMS)\n");
        return;
    }
    snprintf(opts, sizeof opts, "--roms '%s' --suites '%s/suites'", roms, CERES_SOURCE_DIR);
    int k = 300;
    add(script, sizeof script, "run-to-failure", &k);
    session s;
    run_session(&s, path, opts, script);
    CHECK_EQ(s.n, 2);
    if (s.n == 2) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(s.ans[0], "status");
        CHECK(cJSON_IsString(st) && !strcmp(st->valuestring, "timeout"));
        CHECK_EQ(jnum(s.ans[0], "cycle"), 10.0 * RN_CYCLES_PER_SEC);
        char f[200];
        snprintf(f, sizeof f, "%s/s300.state", dir);
        verify(path, f, (uint64_t)jnum(s.ans[0], "cycle"));
    }
    session_free(&s);
}

int main(void) {
    bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");
    build_rom();
    backward_commands();
    twins("pc==0x0200", false);
    twins("$C011", true);
    twins("rw $C010 if value&1", true);
    /* event() conditions: seen by the re-execution of a backward search too. */
    twins("event(timer.overflow)", false);
    twins("event(cart.bank) && rom_bank==3", false);
    state_twins();
    trace_back();
    ring_wrap_and_bounds();
    bad_input();
    ppu_command();
    real_rom();
    run_to_failure();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return test_result();
}
