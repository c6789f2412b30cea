/* `ceres run --trace-dump-on EXPR --dump-detail full`: a snapshot taken
 * 60 emulated seconds into a run gets a second file, its window re-run
 * with every event from the checkpoint just before it. Checked: the re-run
 * reproduces the run (same cycle and registers, said on stderr), it starts
 * at a checkpoint less than two frames before the window, it holds the
 * instructions the snapshot holds plus the events the ring's filter left
 * out (mem.read, ppu.push), it is byte for byte the re-run from power-on
 * (--dump-detail full-from-power-on), and it costs a fraction of that one
 * (both times printed: the README's before/after). */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "testrom.h"

#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *bin;
static char dir[64] = "/tmp/ceres-dumprep-XXXXXX";

/* About 60 s of delay loops, then a write to $C000 (the trigger). */
static const uint8_t code[] = {
    0x16, 138,        /* ld d,138 */
    0x01, 0x00, 0x00, /* ld bc,0 (65536 turns) */
    0x0B, 0x78, 0xB1, /* dec bc; ld a,b; or c */
    0x20, 0xFB,       /* jr nz,-5 */
    0x15, 0x20, 0xF5, /* dec d; jr nz,-11 */
    0x3E, 0x42,       /* ld a,$42 */
    0xEA, 0x00, 0xC0, /* ld ($C000),a */
    0x40, 0x18, 0xFE, /* ld b,b; jr -2 */
};

static char *run(const char *cmd, int *status) {
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!p) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t k;
    while ((k = fread(out + n, 1, cap - n - 1, p)) > 0)
        n += k;
    out[n] = 0;
    *status = pclose(p);
    return out;
}

/* "... replayed in full detail from X: cycles LO..TO, E events, S s, reproduced" */
typedef struct line {
    unsigned long long from, lo, to, events;
    double secs;
    bool reproduced;
} line;

static bool parse(const char *out, line *l) {
    const char *p = strstr(out, "replayed in full detail from ");
    if (!p) return false;
    memset(l, 0, sizeof *l);
    const char *at = strstr(p, "checkpoint at cycle ");
    const char *cy = strstr(p, ": cycles ");
    if (!cy) return false;
    if (at && at < cy) l->from = strtoull(at + 20, NULL, 10);
    if (sscanf(cy, ": cycles %llu..%llu, %llu events, %lf s", &l->lo, &l->to, &l->events,
               &l->secs) != 4)
        return false;
    const char *nl = strchr(cy, '\n');
    const char *rep = strstr(cy, ", reproduced:");
    l->reproduced = rep && (!nl || rep < nl);
    return true;
}

static unsigned long long count_of(const char *stats, const char *name) {
    char key[64];
    snprintf(key, sizeof key, "    %s ", name);
    const char *p = strstr(stats, key);
    return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

int main(void) {
    bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");
    static uint8_t rom[TESTROM_SIZE];
    memcpy(rom + 0x100, code, sizeof code);
    testrom_fix_checksum(rom);
    char rom_path[128], cmd[1024];
    snprintf(rom_path, sizeof rom_path, "%s/late.gb", dir);
    CHECK_EQ(rn_write_file(rom_path, rom, sizeof rom), 0);

    line l[2];
    bool ok[2] = {false, false};
    const char *detail[2] = {"full", "full-from-power-on"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd,
                 "'%s' run '%s' --seconds 62 --trace-dump-on 'write(0xC000)' --trace-out "
                 "'%s/%d.perfetto-trace' --dump-detail %s 2>&1",
                 bin, rom_path, dir, i, detail[i]);
        int st = -1;
        char *out = run(cmd, &st);
        CHECK_EQ(st, 0);
        ok[i] = out && parse(out, &l[i]);
        CHECK(ok[i]);
        if (!ok[i]) fprintf(stderr, "%s\n", out ? out : "");
        free(out);
    }
    if (!ok[0] || !ok[1]) return test_result();
    CHECK(l[0].reproduced && l[1].reproduced);
    CHECK_EQ(l[1].from, 0);
    CHECK(l[0].lo > 60ull * RN_CYCLES_PER_SEC);
    CHECK(l[0].from <= l[0].lo && l[0].from + 2 * RN_CYCLES_PER_FRAME > l[0].lo);
    CHECK_EQ(l[0].lo, l[1].lo);
    CHECK_EQ(l[0].to, l[1].to);
    CHECK_EQ(l[0].events, l[1].events);
    printf("snapshot at %.1f emulated s (window %llu..%llu): full-detail replay from power-on "
           "%.3f s, from the checkpoint at %llu %.3f s\n",
           (double)l[0].to / RN_CYCLES_PER_SEC, l[0].lo, l[0].to, l[1].secs, l[0].from, l[0].secs);
    CHECK(l[0].secs * 4 < l[1].secs);

    /* The two replays are the same file. */
    char a[160], b[160];
    snprintf(a, sizeof a, "%s/0.0001.full.perfetto-trace", dir);
    snprintf(b, sizeof b, "%s/1.0001.full.perfetto-trace", dir);
    uint8_t *da = NULL, *db = NULL;
    size_t na = 0, nb = 0;
    CHECK_EQ(rn_read_file(a, &da, &na), 0);
    CHECK_EQ(rn_read_file(b, &db, &nb), 0);
    CHECK(na > 0 && na == nb && da && db && !memcmp(da, db, na));
    free(da);
    free(db);

    /* The snapshot's instructions, and what its filter left out. */
    int st;
    snprintf(cmd, sizeof cmd, "'%s' trace stats '%s/0.0001.perfetto-trace'", bin, dir);
    char *snap = run(cmd, &st);
    snprintf(cmd, sizeof cmd, "'%s' trace stats '%s'", bin, a);
    char *full = run(cmd, &st);
    CHECK(snap && full);
    if (snap && full) {
        unsigned long long e1 = count_of(snap, "cpu.exec"), e2 = count_of(full, "cpu.exec");
        printf("cpu.exec: snapshot %llu, full %llu; mem.read: snapshot %llu, full %llu; ppu.push "
               "full %llu\n",
               e1, e2, count_of(snap, "mem.read"), count_of(full, "mem.read"),
               count_of(full, "ppu.push"));
        CHECK(e1 > 1000 && e1 == e2);
        CHECK_EQ(count_of(snap, "mem.read"), 0);
        CHECK(count_of(full, "mem.read") > 1000);
        CHECK(count_of(full, "ppu.push") > 1000);
    }
    free(snap);
    free(full);

    /* Without a snapshot trigger the option is refused. */
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --frames 2 --dump-detail full 2>&1", bin, rom_path);
    char *out = run(cmd, &st);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    CHECK(out && strstr(out, "--dump-detail full needs --trace-dump-on"));
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --frames 2 --dump-detail most 2>&1", bin, rom_path);
    out = run(cmd, &st);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    free(out);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return test_result();
}
