/* Suite manifests: a good file with every check kind, strict errors with
 * line numbers on bad files, and rewriting expectations in place. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char good[] =
    "# a comment\n"
    "\n"
    "suite demo\n"
    "   # indented comment\n"
    "test mooneye/acceptance/ei_timing.gb mooneye 30s dmg pass\n"
    "test \"blargg/cpu_instrs/individual/03-op sp,hl.gb\"\tblargg-serial 600f dmg fail "
    "\"prints \\\"Failed\\\" \\\\ 3\"\n"
    "test blargg/halt_bug.gb blargg-mem 5000000c dmg pass\n"
    "test dmg-acid2/dmg-acid2.gb screenshot=dmg-acid2/dmg-acid2-dmg.png 0.5s dmg pass\n"
    "test x/mem.gb mem=0xA000:0:0x01 10s dmg fail \"never writes\"\n"
    "test sm83/v1/00.json.gz sm83 - dmg pass\r\n";

static void test_good(void) {
    rn_manifest m;
    char err[256] = "";
    int rc = rn_manifest_parse(good, "demo.suite", &m, err, sizeof err);
    CHECK_EQ(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK(!strcmp(m.suite, "demo"));
    CHECK_EQ(m.ntests, 6);
    const rn_test *t = m.tests;
    CHECK(!strcmp(t[0].rom, "mooneye/acceptance/ei_timing.gb"));
    CHECK_EQ(t[0].check.kind, RN_CHECK_MOONEYE);
    CHECK_EQ(t[0].limit_cycles, 30ull * 4194304);
    CHECK_EQ(t[0].expect, RN_EXPECT_PASS);
    CHECK_EQ(t[0].line, 5);
    CHECK(!strcmp(t[0].suite, "demo"));

    CHECK(!strcmp(t[1].rom, "blargg/cpu_instrs/individual/03-op sp,hl.gb"));
    CHECK_EQ(t[1].check.kind, RN_CHECK_BLARGG_SERIAL);
    CHECK_EQ(t[1].limit_cycles, 600ull * 70224);
    CHECK_EQ(t[1].expect, RN_EXPECT_FAIL);
    CHECK(t[1].reason && !strcmp(t[1].reason, "prints \"Failed\" \\ 3"));

    CHECK_EQ(t[2].check.kind, RN_CHECK_BLARGG_MEM);
    CHECK_EQ(t[2].limit_cycles, 5000000);

    CHECK_EQ(t[3].check.kind, RN_CHECK_SCREENSHOT);
    CHECK(t[3].check.ref && !strcmp(t[3].check.ref, "dmg-acid2/dmg-acid2-dmg.png"));
    CHECK_EQ(t[3].limit_cycles, 4194304 / 2);

    CHECK_EQ(t[4].check.kind, RN_CHECK_MEM);
    CHECK_EQ(t[4].check.addr, 0xA000);
    CHECK_EQ(t[4].check.pass_val, 0);
    CHECK_EQ(t[4].check.fail_val, 1);

    CHECK_EQ(t[5].check.kind, RN_CHECK_SM83);
    CHECK_EQ(t[5].limit_cycles, 0);
    CHECK_EQ(t[5].line, 10);

    /* Rewrite expectations: comments and layout stay, only EXPECT changes. */
    char dir[] = "/tmp/ceres-manifest-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/demo.suite", dir);
    rn_expect ex[6] = {RN_EXPECT_FAIL, RN_EXPECT_PASS, RN_EXPECT_PASS,
                       RN_EXPECT_PASS, RN_EXPECT_FAIL, RN_EXPECT_PASS};
    const char *reasons[6] = {"timeout: no \"verdict\"", NULL, NULL, NULL, "never writes", NULL};
    CHECK_EQ(rn_manifest_save(&m, path, ex, reasons, err, sizeof err), 0);
    rn_manifest m2;
    CHECK_EQ(rn_manifest_load(path, &m2, err, sizeof err), 0);
    CHECK_EQ(m2.ntests, 6);
    if (m2.ntests == 6) {
        CHECK_EQ(m2.tests[0].expect, RN_EXPECT_FAIL);
        CHECK(!strcmp(m2.tests[0].reason, "timeout: no \"verdict\""));
        CHECK_EQ(m2.tests[1].expect, RN_EXPECT_PASS);
        CHECK(m2.tests[1].reason == NULL);
        CHECK(!strcmp(m2.tests[1].rom, "blargg/cpu_instrs/individual/03-op sp,hl.gb"));
        CHECK_EQ(m2.tests[4].expect, RN_EXPECT_FAIL);
        CHECK_EQ(m2.nlines, m.nlines);
        CHECK(!strcmp(m2.lines[0], "# a comment"));
        CHECK(!strcmp(m2.lines[3], "   # indented comment"));
        CHECK(!strcmp(m2.lines[4], "test mooneye/acceptance/ei_timing.gb mooneye 30s dmg fail "
                                   "\"timeout: no \\\"verdict\\\"\""));
    }
    rn_manifest_free(&m2);
    unlink(path);
    rmdir(dir);
    rn_manifest_free(&m);
}

/* Each bad manifest must fail with "FILE:LINE: ..." naming the right line. */
static void expect_error(const char *text, int line, const char *needle) {
    rn_manifest m;
    char err[256] = "";
    int rc = rn_manifest_parse(text, "bad.suite", &m, err, sizeof err);
    CHECK(rc < 0);
    char want[64];
    snprintf(want, sizeof want, "bad.suite:%d: ", line);
    bool ok = !strncmp(err, want, strlen(want)) && strstr(err, needle);
    if (!ok)
        fprintf(stderr, "  for %s\n  got error '%s', wanted '%s...%s'\n", text, err, want, needle);
    CHECK(ok);
    CHECK_EQ(m.ntests, 0);
    CHECK(m.tests == NULL);
}

static void test_bad(void) {
    expect_error("test a.gb mooneye 10s dmg pass\n", 1, "before the 'suite'");
    expect_error("suite x\nsuite y\n", 2, "second 'suite'");
    expect_error("suite x y\n", 1, "suite NAME");
    expect_error("suite a/b\n", 1, "suite NAME");
    expect_error("# only comments\n", 0, "no 'suite NAME'");
    expect_error("suite x\n\ntests a.gb mooneye 10s dmg pass\n", 3, "unknown directive");
    expect_error("suite x\ntest a.gb mooneye 10s dmg\n", 2, "4 of 5 columns");
    expect_error("suite x\ntest a.gb moonye 10s dmg pass\n", 2, "unknown check");
    expect_error("suite x\ntest a.gb mooneye 10 dmg pass\n", 2, "bad time limit");
    expect_error("suite x\ntest a.gb mooneye 0s dmg pass\n", 2, "bad time limit");
    expect_error("suite x\ntest a.gb mooneye 10m dmg pass\n", 2, "bad time limit");
    expect_error("suite x\ntest a.gb mooneye - dmg pass\n", 2, "only for sm83");
    expect_error("suite x\ntest a.gb mooneye 10s cgb pass\n", 2, "unknown model");
    expect_error("suite x\ntest a.gb mooneye 10s dmg ok\n", 2, "'pass' or 'fail");
    expect_error("suite x\ntest a.gb mooneye 10s dmg pass extra\n", 2, "extra text");
    expect_error("suite x\ntest a.gb mooneye 10s dmg fail\n", 2, "needs a quoted reason");
    expect_error("suite x\ntest a.gb mooneye 10s dmg fail \"\"\n", 2, "empty reason");
    expect_error("suite x\ntest a.gb mooneye 10s dmg fail \"a\" \"b\"\n", 2, "extra text");
    expect_error("suite x\ntest \"a.gb mooneye 10s dmg pass\n", 2, "unterminated");
    expect_error("suite x\ntest \"a\\n.gb\" mooneye 10s dmg pass\n", 2, "bad escape");
    expect_error("suite x\ntest \"a.gb\"x mooneye 10s dmg pass\n", 2, "after a closing quote");
    expect_error("suite x\ntest a\"b.gb mooneye 10s dmg pass\n", 2, "quote inside");
    expect_error("suite x\ntest ../a.gb mooneye 10s dmg pass\n", 2, "relative path inside");
    expect_error("suite x\ntest /a.gb mooneye 10s dmg pass\n", 2, "relative path inside");
    expect_error("suite x\ntest a.gb screenshot=../r.png 10s dmg pass\n", 2, "relative path");
    expect_error("suite x\ntest a.gb screenshot 10s dmg pass\n", 2, "needs an argument");
    expect_error("suite x\ntest a.gb mooneye=1 10s dmg pass\n", 2, "takes no argument");
    expect_error("suite x\ntest a.gb mem=0xA000:1 10s dmg pass\n", 2, "mem=ADDR:PASS:FAIL");
    expect_error("suite x\ntest a.gb mem=0x10000:0:1 10s dmg pass\n", 2, "mem=ADDR:PASS:FAIL");
    expect_error("suite x\ntest a.gb mem=0xA000:1:1 10s dmg pass\n", 2, "are equal");
    expect_error("suite x\ntest a.gb mooneye 10s dmg pass\n# c\ntest a.gb mooneye 20s dmg pass\n",
                 4, "duplicate test");
    expect_error("suite x\ntest a.gb mooneye 10s dmg pass \x01\n", 2, "control character");
    expect_error("suite x\ntest a b c d e f g h i\n", 2, "too many columns");
}

static void test_limits_and_checks(void) {
    uint64_t c;
    char err[128];
    CHECK_EQ(rn_limit_parse("1s", &c, err, sizeof err), 0);
    CHECK_EQ(c, 4194304);
    CHECK_EQ(rn_limit_parse("2f", &c, err, sizeof err), 0);
    CHECK_EQ(c, 2 * 70224);
    CHECK(rn_limit_parse("-1s", &c, err, sizeof err) < 0);
    CHECK(rn_limit_parse("s", &c, err, sizeof err) < 0);
    CHECK(rn_limit_parse("1e30s", &c, err, sizeof err) < 0);
    rn_check k;
    char buf[64];
    CHECK_EQ(rn_check_parse("mem=40960:3:4", &k, err, sizeof err), 0);
    CHECK(!strcmp(rn_check_format(&k, buf, sizeof buf), "mem=0xA000:0x03:0x04"));
    CHECK_EQ(rn_check_parse("blargg-serial", &k, err, sizeof err), 0);
    CHECK(!strcmp(rn_check_format(&k, buf, sizeof buf), "blargg-serial"));
    CHECK_EQ(rn_check_parse("screenshot=a b.png", &k, err, sizeof err), 0);
    CHECK(!strcmp(rn_check_format(&k, buf, sizeof buf), "screenshot=a b.png"));
    rn_check_free(&k);
    /* gambatte's checks: hex=GLYPHS:DIGITS (the digits after the last
     * colon, 1 to 20 hex digits), audio0, audio1, frame=FILE.png. */
    CHECK_EQ(rn_check_parse("hex=g/hexglyphs.txt:e0F", &k, err, sizeof err), 0);
    CHECK_EQ(k.kind, RN_CHECK_HEX);
    CHECK(k.ref && !strcmp(k.ref, "g/hexglyphs.txt") && k.digits && !strcmp(k.digits, "e0F"));
    CHECK(!strcmp(rn_check_format(&k, buf, sizeof buf), "hex=g/hexglyphs.txt:e0F"));
    CHECK(rn_check_at_end(k.kind));
    rn_check_free(&k);
    CHECK(rn_check_parse("hex=g.txt:", &k, err, sizeof err) < 0);
    CHECK(strstr(err, "hex=GLYPHS.txt:DIGITS") != NULL);
    CHECK(rn_check_parse("hex=g.txt:0G", &k, err, sizeof err) < 0);
    CHECK(rn_check_parse("hex=:00", &k, err, sizeof err) < 0);
    CHECK(rn_check_parse("hex=g.txt:000000000000000000000", &k, err, sizeof err) < 0);
    CHECK(rn_check_parse("hex", &k, err, sizeof err) < 0);
    CHECK_EQ(rn_check_parse("audio1", &k, err, sizeof err), 0);
    CHECK_EQ(k.kind, RN_CHECK_AUDIO1);
    CHECK(rn_check_parse("audio0=1", &k, err, sizeof err) < 0);
    CHECK_EQ(rn_check_parse("frame=r.png", &k, err, sizeof err), 0);
    CHECK_EQ(k.kind, RN_CHECK_FRAME);
    CHECK(!strcmp(rn_check_format(&k, buf, sizeof buf), "frame=r.png"));
    rn_check_free(&k);
    CHECK(!rn_check_at_end(RN_CHECK_SCREENSHOT) && !rn_check_at_end(RN_CHECK_MOONEYE));
    /* One ROM may carry several checks, never the same one twice. */
    rn_manifest m;
    CHECK_EQ(rn_manifest_parse("suite x\ntest a.gb frame=1.png 9f dmg pass\n"
                               "test a.gb frame=2.png 9f dmg pass\n",
                               "x.suite", &m, err, sizeof err),
             0);
    CHECK_EQ(m.ntests, 2);
    rn_manifest_free(&m);
    CHECK(rn_manifest_parse("suite x\ntest a.gb frame=1.png 9f dmg pass\n"
                            "test a.gb frame=1.png 9f dmg pass\n",
                            "x.suite", &m, err, sizeof err) < 0);
    CHECK(strstr(err, "duplicate test") != NULL);
    CHECK(rn_manifest_parse("suite x\ntest a.gb frame=../1.png 9f dmg pass\n", "x.suite", &m, err,
                            sizeof err) < 0);
    CHECK(rn_manifest_parse("suite x\ntest a.gb hex=/g.txt:0 9f dmg pass\n", "x.suite", &m, err,
                            sizeof err) < 0);
}

/* The shipped manifests parse (when the source tree is at hand). */
static void test_shipped(void) {
#ifdef CERES_SOURCE_DIR
    static const char *const names[] = {
        "sm83",  "blargg",           "mooneye",  "acid2",        "gambatte",
        "bully", "little-things-gb", "rtc3test", "scribbltests", "strikethrough"};
    /* mooneye: 92 + sprite_priority; gambatte: its 1873 DMG checks */
    static const size_t counts[] = {500, 44, 93, 1, 1873, 1, 2, 3, 5, 1};
    for (int i = 0; i < 10; i++) {
        char path[4096], err[256];
        snprintf(path, sizeof path, "%s/suites/%s.suite", CERES_SOURCE_DIR, names[i]);
        rn_manifest m;
        int rc = rn_manifest_load(path, &m, err, sizeof err);
        if (rc) fprintf(stderr, "%s\n", err);
        CHECK_EQ(rc, 0);
        CHECK_EQ(m.ntests, counts[i]);
        rn_manifest_free(&m);
    }
#endif
}

/* Loading suites from a folder: all of them sorted, by name in the order
 * given, errors for unknown or bad names and for a broken manifest. */
static void test_suites(void) {
    char dir[] = "/tmp/ceres-suites-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512];
    static const char *const files[][2] = {
        {"zeta.suite", "suite zeta\ntest z.gb mooneye 1s dmg pass\n"},
        {"alpha.suite",
         "suite alpha\ntest a.gb mooneye 1s dmg pass\ntest b.gb mooneye 1s dmg pass\n"},
        {"notes.txt", "not a suite"},
    };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        CHECK_EQ(rn_write_file(path, files[i][1], strlen(files[i][1])), 0);
    }
    rn_manifest *m;
    size_t n;
    CHECK_EQ(rn_suites_load(dir, NULL, &m, &n, err, sizeof err), 0);
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK(!strcmp(m[0].suite, "alpha"));
        CHECK_EQ(m[0].ntests, 2);
        CHECK(!strcmp(m[1].suite, "zeta"));
    }
    rn_suites_free(m, n);
    CHECK_EQ(rn_suites_load(dir, "zeta,alpha", &m, &n, err, sizeof err), 0);
    CHECK(n == 2 && !strcmp(m[0].suite, "zeta"));
    rn_suites_free(m, n);
    CHECK(rn_suites_load(dir, "zeta,beta", &m, &n, err, sizeof err) < 0);
    CHECK(strstr(err, "beta.suite") && strstr(err, "available suites: alpha zeta"));
    CHECK(m == NULL && n == 0);
    CHECK(rn_suites_load(dir, "../etc", &m, &n, err, sizeof err) < 0);
    CHECK(strstr(err, "bad suite name") != NULL);
    snprintf(path, sizeof path, "%s/broken.suite", dir);
    CHECK_EQ(rn_write_file(path, "suite broken\ntest x\n", 20), 0);
    CHECK(rn_suites_load(dir, NULL, &m, &n, err, sizeof err) < 0);
    CHECK(strstr(err, "broken.suite:2:") != NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
}

int main(void) {
    test_suites();
    test_good();
    test_bad();
    test_limits_and_checks();
    test_shipped();
    return test_result();
}
