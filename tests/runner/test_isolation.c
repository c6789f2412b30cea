/* Process isolation and failure folders, with ROMs synthesized in memory:
 * a passing ROM leaves nothing; a ROM writing the mooneye fail pattern
 * leaves exactly its failure folder (protoc-decodable trace, text tail,
 * screenshot, state, and a replay that reproduced the run); a lock-up and
 * an emulated timeout are reported; a child that crashes or hangs is
 * reported as such and the rest of the run goes on. Also `ceres test` on
 * the same ROMs: exit status and the closing line. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "testrom.h"
#include "test_fs.h"
#include "runner/runner.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64];

static void write_rom(const char *name, const uint8_t *code, size_t n) {
    static uint8_t rom[0x8000];
    memset(rom, 0, sizeof rom);
    memcpy(rom + 0x100, code, n); /* execution starts at $0100 after boot */
    testrom_fix_checksum(rom);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, name);
    CHECK_EQ(rn_write_file(path, rom, sizeof rom), 0);
}

static const uint8_t pass_code[] = {
    0x06, 3,    0x0E, 5, 0x16, 8, 0x1E, 13, 0x26, 21, 0x2E, 34, /* B..L = 3 5 8 13 21 34 */
    0x40,                                                       /* LD B,B */
    0x18, 0xFE,                                                 /* JR -2 */
};
/* A delay loop (about 115000 T-cycles) first, so the replay window is a
 * strict part of the run, then the mooneye fail pattern. */
static const uint8_t fail_code[] = {
    0x01, 0x00, 0x10,                         /* LD BC,$1000 */
    0x0B, 0x78, 0xB1, 0x20, 0xFB,             /* DEC BC; LD A,B; OR C; JR NZ,-5 */
    0x3E, 0x42, 0x47, 0x4F, 0x57, 0x5F, 0x67, /* LD A,$42; LD B,A ... */
    0x6F, 0x40, 0x18, 0xFE,                   /* LD L,A; LD B,B; JR -2 */
};
static const uint8_t lockup_code[] = {0x00, 0xD3}; /* NOP; illegal opcode */
static const uint8_t loop_code[] = {0x18, 0xFE};   /* JR -2 */

static rn_verdict crash_check(gb *g, const rn_test *t, char *msg, size_t len) {
    (void)g, (void)t, (void)msg, (void)len;
    raise(SIGSEGV);
    return RN_CONTINUE;
}

static rn_verdict hang_check(gb *g, const rn_test *t, char *msg, size_t len) {
    (void)g, (void)t, (void)msg, (void)len;
    for (volatile int spin = 1; spin;)
        ;
    return RN_CONTINUE;
}

/* Fails at once in the run, then hangs in the replay (no other test calls
 * it, so the counter starts at 0 in whichever worker runs it). */
static rn_verdict fail_then_hang(gb *g, const rn_test *t, char *msg, size_t len) {
    static int calls;
    if (calls++ == 0) {
        snprintf(msg, len, "custom failure");
        return RN_VERDICT_FAIL;
    }
    return hang_check(g, t, msg, len);
}

/* Passes, naming the process it ran in and how many tests that process
 * has run (a static: counts tests, not machines). */
static rn_verdict pid_check(gb *g, const rn_test *t, char *msg, size_t len) {
    (void)g, (void)t;
    static int tests;
    snprintf(msg, len, "pid %ld test %d", (long)getpid(), ++tests);
    return RN_VERDICT_PASS;
}

static rn_test mk(const char *rom, rn_check_kind kind, rn_custom_fn fn, uint64_t limit) {
    rn_test t;
    memset(&t, 0, sizeof t);
    t.suite = "selftest";
    t.rom = (char *)rom;
    t.check.kind = kind;
    t.check.custom = fn;
    t.limit_cycles = limit;
    t.limit_text = "test limit";
    t.expect = RN_EXPECT_PASS;
    return t;
}

static bool exists(const char *dir, const char *file) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    struct stat st;
    return stat(p, &st) == 0;
}

static bool file_has(const char *dir, const char *file, const char *needle) {
    return dir_file_has(dir, file, needle, true);
}

/* protoc --decode with the official schema, when both are available. */
static int protoc_decodes(const char *dir, const char *file) {
    const char *proto = getenv("CERES_PERFETTO_PROTO");
    if (!proto || access(proto, R_OK) || system("protoc --version >/dev/null 2>&1")) return -1;
    char pdir[4096];
    snprintf(pdir, sizeof pdir, "%s", proto);
    char *slash = strrchr(pdir, '/');
    if (!slash) return -1;
    *slash = 0;
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "protoc --decode=perfetto.protos.Trace --proto_path='%s' '%s' < '%s/%s' "
             "| grep -q \"packet {\"",
             pdir, slash + 1, dir, file);
    return system(cmd) == 0;
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/ceres-isolation-XXXXXX");
    if (!mkdtemp(root)) TEST_SKIP("cannot create a temporary folder");
    write_rom("pass.gb", pass_code, sizeof pass_code);
    write_rom("fail.gb", fail_code, sizeof fail_code);
    write_rom("lockup.gb", lockup_code, sizeof lockup_code);
    write_rom("loop.gb", loop_code, sizeof loop_code);

    rn_opts o;
    rn_opts_default(&o);
    char out[128];
    snprintf(out, sizeof out, "%s/out", root);
    o.rom_root = root;
    o.out_dir = out;
    o.jobs = 2;
    o.replay_window = 20000;
    o.replay_bytes = 1 << 20;

    /* A passing test writes nothing at all, not even the output folder. */
    rn_test tp = mk("pass.gb", RN_CHECK_MOONEYE, NULL, 60 * RN_CYCLES_PER_FRAME);
    const rn_test *one[1] = {&tp};
    rn_result r1;
    CHECK_EQ(rn_run_all(one, 1, &o, &r1, NULL, NULL), 0);
    CHECK_EQ(r1.status, RN_PASS);
    struct stat st;
    CHECK(stat(out, &st) != 0);

    rn_test t[7] = {
        mk("fail.gb", RN_CHECK_MOONEYE, NULL, 60 * RN_CYCLES_PER_FRAME),
        mk("crash.gb", RN_CHECK_CUSTOM, crash_check, 60 * RN_CYCLES_PER_FRAME),
        mk("hang.gb", RN_CHECK_CUSTOM, hang_check, 60 * RN_CYCLES_PER_FRAME),
        mk("lockup.gb", RN_CHECK_MOONEYE, NULL, 60 * RN_CYCLES_PER_FRAME),
        mk("loop.gb", RN_CHECK_MOONEYE, NULL, 30 * RN_CYCLES_PER_FRAME),
        mk("pass.gb", RN_CHECK_MOONEYE, NULL, 60 * RN_CYCLES_PER_FRAME),
        mk("replayhang.gb", RN_CHECK_CUSTOM, fail_then_hang, 60 * RN_CYCLES_PER_FRAME),
    };
    write_rom("replayhang.gb", loop_code, sizeof loop_code);
    t[2].wall_limit = t[6].wall_limit = 3; /* the hanging children are stopped after 3 s */
    write_rom("crash.gb", loop_code, sizeof loop_code);
    write_rom("hang.gb", loop_code, sizeof loop_code);
    const rn_test *tt[7];
    for (int i = 0; i < 7; i++)
        tt[i] = &t[i];
    rn_result r[7];
    CHECK_EQ(rn_run_all(tt, 7, &o, r, NULL, NULL), 0);
    for (int i = 0; i < 7; i++)
        printf("%-10s %-8s %s\n", t[i].rom, rn_status_name(r[i].status), r[i].message);

    /* The fail pattern: exactly one folder with the five files. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/failures/selftest/fail", out);
    CHECK_EQ(r[0].status, RN_FAIL);
    CHECK(strstr(r[0].message, "0x42") != NULL);
    CHECK(r[0].artifacts);
    CHECK_EQ(r[0].replay, 1);
    CHECK_EQ(r[0].regs.b, 0x42);
    CHECK(r[0].cycles > 100000);
    CHECK_EQ(count_entries(dir), 5);
    CHECK(exists(dir, "trace.perfetto-trace"));
    CHECK(exists(dir, "trace.log"));
    CHECK(exists(dir, "screen.png"));
    CHECK(exists(dir, "state.txt"));
    CHECK(exists(dir, "replay.perfetto-trace"));
    CHECK(file_has(dir, "state.txt", "result: fail"));
    CHECK(file_has(dir, "state.txt", "registers: A:42"));
    CHECK(file_has(dir, "state.txt", "replay reproduced the first run: yes"));
    CHECK(file_has(dir, "trace.log", "cpu.exec"));
    /* The test's own events: its name interned, its span and verdict. */
    CHECK(file_has(dir, "trace.log", "test.test name=\"fail.gb\""));
    CHECK(file_has(dir, "trace.log", "test.result name=\"fail.gb\" verdict=\"fail\""));
    int dec = protoc_decodes(dir, "trace.perfetto-trace");
    if (dec < 0)
        printf("note: protoc or CERES_PERFETTO_PROTO missing, decode not checked\n");
    else {
        CHECK_EQ(dec, 1);
        CHECK_EQ(protoc_decodes(dir, "replay.perfetto-trace"), 1);
    }

    /* The crash: reported, folder from the crash handler's ring dump. */
    snprintf(dir, sizeof dir, "%s/failures/selftest/crash", out);
    CHECK_EQ(r[1].status, RN_CRASH);
    CHECK_EQ(r[1].signal, SIGSEGV);
    CHECK(strstr(r[1].message, "SIGSEGV") != NULL);
    CHECK(exists(dir, "trace.ctrace"));
    CHECK(exists(dir, "trace.perfetto-trace"));
    CHECK(exists(dir, "screen.png"));
    CHECK(file_has(dir, "state.txt", "result: crash"));
    CHECK(file_has(dir, "trace.log", "cpu.exec"));
    if (dec >= 0) CHECK_EQ(protoc_decodes(dir, "trace.perfetto-trace"), 1);

    /* The hang: stopped after the wall-clock limit, its ring dumped too. */
    snprintf(dir, sizeof dir, "%s/failures/selftest/hang", out);
    CHECK_EQ(r[2].status, RN_HANG);
    CHECK(r[2].wall_seconds >= 3);
    CHECK(exists(dir, "trace.ctrace"));
    CHECK(file_has(dir, "state.txt", "result: hang"));

    /* Lock-up and emulated timeout. */
    CHECK_EQ(r[3].status, RN_FAIL);
    CHECK(strstr(r[3].message, "locked up") != NULL);
    CHECK_EQ(r[4].status, RN_TIMEOUT);
    CHECK(r[4].cycles >= 30 * RN_CYCLES_PER_FRAME);
    snprintf(dir, sizeof dir, "%s/failures/selftest/loop", out);
    CHECK(file_has(dir, "state.txt", "result: timeout"));

    /* The run went on after the crash and the hang; the pass left nothing. */
    CHECK_EQ(r[5].status, RN_PASS);
    snprintf(dir, sizeof dir, "%s/failures/selftest/pass", out);
    CHECK(stat(dir, &st) != 0);
    /* Stopped while replaying: the verdict of the run stands. */
    CHECK_EQ(r[6].status, RN_FAIL);
    CHECK(strstr(r[6].message, "custom failure") != NULL);
    CHECK(strstr(r[6].message, "while writing the failure folder") != NULL);
    snprintf(dir, sizeof dir, "%s/failures/selftest/replayhang", out);
    CHECK(exists(dir, "trace.perfetto-trace"));
    CHECK(file_has(dir, "state.txt", "result: fail"));

    snprintf(dir, sizeof dir, "%s/failures/selftest", out);
    CHECK_EQ(count_entries(dir), 6);

    /* Workers: one process runs test after test (each with a fresh
     * machine: every one passes; and an emptied recorder: a failure's and a
     * crash's trace hold their own test only); the crash takes down only its
     * worker and its own test, and a new worker runs the rest. */
    {
        rn_test tw[5] = {
            mk("pass.gb", RN_CHECK_CUSTOM, pid_check, 2 * RN_CYCLES_PER_FRAME),
            mk("fail.gb", RN_CHECK_MOONEYE, NULL, 60 * RN_CYCLES_PER_FRAME),
            mk("crash.gb", RN_CHECK_CUSTOM, crash_check, 2 * RN_CYCLES_PER_FRAME),
            mk("pass.gb", RN_CHECK_CUSTOM, pid_check, 2 * RN_CYCLES_PER_FRAME),
            mk("pass.gb", RN_CHECK_CUSTOM, pid_check, 2 * RN_CYCLES_PER_FRAME),
        };
        const rn_test *twp[5];
        for (int i = 0; i < 5; i++)
            twp[i] = &tw[i];
        rn_result rw[5];
        rn_opts o1 = o;
        o1.jobs = 1;
        CHECK_EQ(rn_run_all(twp, 5, &o1, rw, NULL, NULL), 0);
        for (int i = 0; i < 5; i++)
            printf("worker test %d: %s %s\n", i, rn_status_name(rw[i].status), rw[i].message);
        CHECK_EQ(rw[0].status, RN_PASS);
        CHECK_EQ(rw[1].status, RN_FAIL);
        CHECK_EQ(rw[2].status, RN_CRASH);
        CHECK_EQ(rw[3].status, RN_PASS);
        CHECK_EQ(rw[4].status, RN_PASS);
        long p0 = 0, p3 = 0, p4 = 0;
        int n0 = 0, n3 = 0, n4 = 0;
        CHECK_EQ(sscanf(rw[0].message, "pid %ld test %d", &p0, &n0), 2);
        CHECK_EQ(sscanf(rw[3].message, "pid %ld test %d", &p3, &n3), 2);
        CHECK_EQ(sscanf(rw[4].message, "pid %ld test %d", &p4, &n4), 2);
        CHECK_EQ(n0, 1);
        CHECK(p3 != p0 && p3 == p4 && n3 == 1 && n4 == 2); /* replaced after the crash */
        /* The failure ran after a pass in the same worker, the crash after
         * both: each trace starts with its own test. */
        snprintf(dir, sizeof dir, "%s/failures/selftest/fail", out);
        CHECK_EQ(rw[1].replay, 1);
        CHECK(file_has(dir, "trace.log", "test.test name=\"fail.gb\""));
        CHECK(!file_has(dir, "trace.log", "pass.gb"));
        snprintf(dir, sizeof dir, "%s/failures/selftest/crash", out);
        CHECK(file_has(dir, "state.txt", "result: crash"));
        CHECK(file_has(dir, "trace.log", "test.test name=\"crash.gb\""));
        CHECK(!file_has(dir, "trace.log", "fail.gb"));
        CHECK(!file_has(dir, "trace.log", "pass.gb"));
    }

    /* A test that passes now clears what an earlier failure left. */
    snprintf(dir, sizeof dir, "%s/failures/selftest/pass", out);
    CHECK_EQ(rn_mkdirs(dir), 0);
    char stale[600];
    snprintf(stale, sizeof stale, "%s/state.txt", dir);
    CHECK_EQ(rn_write_file(stale, "old", 3), 0);
    CHECK_EQ(rn_run_all(one, 1, &o, &r1, NULL, NULL), 0);
    CHECK_EQ(r1.status, RN_PASS);
    CHECK(stat(dir, &st) != 0);
    snprintf(dir, sizeof dir, "%s/failures/selftest/fail", out);
    CHECK(exists(dir, "state.txt"));

    /* sm83 vector files: a wrong expectation fails with the vector's name
     * and leaves a trace of that vector; a malformed file is an error. */
    static const char vec[] =
        "[{\"name\":\"00 good\",\"initial\":{\"pc\":256,\"sp\":65534,\"a\":1,\"b\":2,"
        "\"c\":3,\"d\":4,\"e\":5,\"f\":0,\"h\":6,\"l\":7,\"ime\":0,\"ie\":0,"
        "\"ram\":[[256,0]]},\"final\":{\"pc\":257,\"sp\":65534,\"a\":1,\"b\":2,\"c\":3,"
        "\"d\":4,\"e\":5,\"f\":0,\"h\":6,\"l\":7,\"ime\":0,\"ram\":[[256,0]]},"
        "\"cycles\":[[256,0,\"r-m\"]]},"
        "{\"name\":\"00 wrong\",\"initial\":{\"pc\":256,\"sp\":65534,\"a\":1,\"b\":2,"
        "\"c\":3,\"d\":4,\"e\":5,\"f\":0,\"h\":6,\"l\":7,\"ime\":0,\"ie\":0,"
        "\"ram\":[[256,0]]},\"final\":{\"pc\":257,\"sp\":65534,\"a\":9,\"b\":2,\"c\":3,"
        "\"d\":4,\"e\":5,\"f\":0,\"h\":6,\"l\":7,\"ime\":0,\"ram\":[[256,0]]},"
        "\"cycles\":[[256,0,\"r-m\"]]}]";
    char vpath[128];
    snprintf(vpath, sizeof vpath, "%s/vec.json", root);
    CHECK_EQ(rn_write_file(vpath, vec, sizeof vec - 1), 0);
    snprintf(vpath, sizeof vpath, "%s/bad.json", root);
    CHECK_EQ(rn_write_file(vpath, "[{\"name\":1}]", 13), 0);
    rn_test tv[2] = {mk("vec.json", RN_CHECK_SM83, NULL, 0),
                     mk("bad.json", RN_CHECK_SM83, NULL, 0)};
    const rn_test *tvp[2] = {&tv[0], &tv[1]};
    rn_result rv[2];
    CHECK_EQ(rn_run_all(tvp, 2, &o, rv, NULL, NULL), 0);
    CHECK_EQ(rv[0].status, RN_FAIL);
    CHECK(strstr(rv[0].message, "1 of 2 vectors failed; first: 00 wrong: a=01, expected 09") !=
          NULL);
    snprintf(dir, sizeof dir, "%s/failures/selftest/vec", out);
    CHECK(exists(dir, "trace.perfetto-trace"));
    CHECK(file_has(dir, "trace.log", "cpu.exec 00:0100  00        NOP"));
    CHECK(file_has(dir, "state.txt", "vectors: 1 of 2 passed"));
    CHECK_EQ(rv[1].status, RN_ERROR);
    CHECK(strstr(rv[1].message, "malformed") != NULL);

    /* The command line on the same ROMs: exit 1, closing line, JUnit. */
    const char *bin = getenv("CERES_BIN");
    if (bin && access(bin, X_OK) == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "'%s' test --check mooneye --timeout 2s --out '%s/cli' --junit '%s/j.xml' "
                 "'%s/pass.gb' '%s/fail.gb' '%s/pass.gb'",
                 bin, root, root, root, root, root);
        FILE *p = popen(cmd, "r");
        char line[1024], last[1024] = "";
        while (p && fgets(line, sizeof line, p))
            if (line[0] != '\n') snprintf(last, sizeof last, "%s", line);
        int status = p ? pclose(p) : -1;
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        CHECK(!strcmp(last, "2 passed, 1 failed\n"));
        snprintf(dir, sizeof dir, "%s/cli/failures/adhoc", root);
        CHECK_EQ(count_entries(dir), 1);
        CHECK(file_has(root, "j.xml", "<testcase classname=\"adhoc\""));
        /* A suite manifest: a regression and an unexpected pass exit 1;
         * --update-expectations rewrites the manifest; then the run is clean. */
        char sdir[128], spath[160];
        snprintf(sdir, sizeof sdir, "%s/suites", root);
        CHECK_EQ(rn_mkdirs(sdir), 0);
        snprintf(spath, sizeof spath, "%s/self.suite", sdir);
        static const char manifest[] = "# selftest\n"
                                       "suite self\n"
                                       "test pass.gb mooneye 60f dmg fail \"was broken\"\n"
                                       "test fail.gb mooneye 60f dmg pass\n"
                                       "test lockup.gb mooneye 60f dmg fail \"locks up\"\n";
        CHECK_EQ(rn_write_file(spath, manifest, sizeof manifest - 1), 0);
        for (int round = 0; round < 3; round++) {
            snprintf(cmd, sizeof cmd,
                     "'%s' test --suites '%s' --roms '%s' --out '%s/sout' %s >/dev/null", bin, sdir,
                     root, root, round == 1 ? "--update-expectations" : "");
            status = system(cmd);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == (round == 0 ? 1 : 0));
        }
        rn_manifest m;
        char err[256];
        CHECK_EQ(rn_manifest_load(spath, &m, err, sizeof err), 0);
        if (m.ntests == 3) {
            CHECK_EQ(m.tests[0].expect, RN_EXPECT_PASS);
            CHECK_EQ(m.tests[1].expect, RN_EXPECT_FAIL);
            CHECK(strstr(m.tests[1].reason, "fail: mooneye fail pattern") == m.tests[1].reason);
            CHECK_EQ(m.tests[2].expect, RN_EXPECT_FAIL);
            CHECK(!strcmp(m.tests[2].reason, "locks up")); /* kept */
            CHECK(!strcmp(m.lines[0], "# selftest"));
        }
        rn_manifest_free(&m);

        /* On a terminal: a progress line redrawn in place, colours unless
         * NO_COLOR is set (checked where script(1) can give us a terminal). */
        if (system("script --version >/dev/null 2>&1") == 0) {
            for (int nc = 0; nc < 2; nc++) {
                snprintf(cmd, sizeof cmd,
                         "%s script -qec \"'%s' test --timeout 1s --out '%s/tty' '%s/pass.gb' "
                         "'%s/fail.gb'\" /dev/null > '%s/tty.txt'",
                         nc ? "NO_COLOR=1" : "env -u NO_COLOR", bin, root, root, root, root);
                status = system(cmd);
                CHECK(WIFEXITED(status));
                CHECK(file_has(root, "tty.txt", "\r\033[K[1/2]"));
                CHECK(file_has(root, "tty.txt", "[2/2] 1 failed"));
                CHECK(file_has(root, "tty.txt", "1 passed, 1 failed"));
                uint8_t *d;
                size_t n;
                char tp[128];
                snprintf(tp, sizeof tp, "%s/tty.txt", root);
                if (!rn_read_file(tp, &d, &n)) {
                    bool colour = strstr((char *)d, "\033[1;31m") != NULL;
                    CHECK_EQ(colour, !nc);
                    free(d);
                }
            }
        } else {
            printf("note: script(1) missing, terminal output not checked\n");
        }

        snprintf(cmd, sizeof cmd, "'%s' test --no-such-option >/dev/null 2>&1", bin);
        status = system(cmd);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    } else {
        printf("note: CERES_BIN not set, command line not checked\n");
    }

    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) printf("note: could not remove %s\n", root);
    return test_result();
}
