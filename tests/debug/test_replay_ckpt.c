/* A failure's replay starts at the checkpoint just before its window, not
 * at power-on: a synthesized ROM that fails after 60 emulated seconds is
 * replayed both ways; both reproduce the run exactly, and the replay from
 * the checkpoint costs a fraction of the one from power-on (the times are
 * printed: the figure behind the README's before/after). */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "test_fs.h"
#include "testrom.h"
#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[64] = "/tmp/ceres-replay-XXXXXX";

/* About 60 s of delay loops (138 x 65536 x 28 T-cycles), then the mooneye
 * fail pattern at LD B,B. */
static const uint8_t code[] = {
    0x16, 138,              /* ld d,138 */
    0x01, 0x00, 0x00,       /* ld bc,0 (65536 turns) */
    0x0B, 0x78, 0xB1,       /* dec bc; ld a,b; or c */
    0x20, 0xFB,             /* jr nz,-5 */
    0x15, 0x20, 0xF5,       /* dec d; jr nz,-11 */
    0x3E, 0x42, 0x47, 0x4F, /* ld a,$42; ld b,a; ld c,a */
    0x57, 0x5F, 0x67, 0x6F, /* ld d,a; ld e,a; ld h,a; ld l,a */
    0x40, 0x18, 0xFE,       /* ld b,b; jr -2 */
};

static double replay_seconds(const char *state) {
    const char *p = strstr(state, "recorded (");
    return p ? atof(p + 10) : -1;
}

static void run(bool from_power_on, rn_result *res, char **state) {
    rn_test t;
    memset(&t, 0, sizeof t);
    t.suite = from_power_on ? "poweron" : "ckpt";
    t.rom = "late.gb";
    t.check.kind = RN_CHECK_MOONEYE;
    t.limit_cycles = 70ull * RN_CYCLES_PER_SEC;
    t.limit_text = "70s";
    rn_opts o;
    rn_opts_default(&o);
    o.rom_root = root;
    char out[128];
    snprintf(out, sizeof out, "%s/out", root);
    o.out_dir = out;
    o.fork = false;
    o.replay_from_power_on = from_power_on;
    rn_run_one(&t, &o, res);
    char dir[4200], path[4300];
    rn_failure_dir(&o, &t, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/state.txt", dir);
    *state = read_text(path, NULL);
}

int main(void) {
    if (!mkdtemp(root)) TEST_SKIP("cannot create a temporary folder");
    static uint8_t rom[0x8000];
    memcpy(rom + 0x100, code, sizeof code);
    testrom_fix_checksum(rom);
    char path[256];
    snprintf(path, sizeof path, "%s/late.gb", root);
    CHECK_EQ(rn_write_file(path, rom, sizeof rom), 0);

    rn_result a, b;
    char *sa = NULL, *sb = NULL;
    run(true, &a, &sa);
    run(false, &b, &sb);
    CHECK(sa && sb);
    if (!sa || !sb) return test_result();
    CHECK_EQ(a.status, RN_FAIL);
    CHECK_EQ(b.status, RN_FAIL);
    CHECK(a.cycles > 60ull * RN_CYCLES_PER_SEC);
    CHECK_EQ(a.cycles, b.cycles);
    CHECK_EQ(a.replay, 1);
    CHECK_EQ(b.replay, 1);
    CHECK(strstr(sa, "replay: from power-on") != NULL);
    CHECK(strstr(sb, "replay: from the checkpoint at cycle") != NULL);
    const char *at = strstr(sb, "checkpoint at cycle ");
    unsigned long long from = at ? strtoull(at + 20, NULL, 10) : 0;
    /* The newest checkpoint at or before the window's start (2M cycles
     * before the failure, checkpoints every 8 frames). */
    CHECK(from + 2000000 <= b.cycles && from + 2000000 + 8 * RN_CYCLES_PER_FRAME > b.cycles);
    double ta = replay_seconds(sa), tb = replay_seconds(sb);
    printf("replay of a failure at %.1f emulated s: from power-on %.3f s, from the checkpoint "
           "%.3f s\n",
           (double)a.cycles / RN_CYCLES_PER_SEC, ta, tb);
    CHECK(ta > 0 && tb >= 0);
    CHECK(tb * 4 < ta);
    free(sa);
    free(sb);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) printf("could not remove %s\n", root);
    return test_result();
}
