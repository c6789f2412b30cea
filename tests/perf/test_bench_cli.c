/* `ceres bench emu` end to end, in a few frames: it runs every Ceres
 * configuration, writes each figure to its JSON file and exits 0 or 1
 * (budgets met or missed: a handful of frames says nothing about speed, so
 * the verdicts are not checked here, only that the figures are there and
 * sane). Bad options exit 2. */
#include "check.h"
#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *cmd) {
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The value of "key": in the JSON text, or -1. */
static double value(const char *json, const char *key) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

int main(void) {
    const char *bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    const char *root = rn_default_rom_root();
    char path[4096];
    snprintf(path, sizeof path, "%s/blargg/cpu_instrs/cpu_instrs.gb", root ? root : "");
    if (!root || access(path, R_OK)) TEST_SKIP("test ROMs not found (set CERES_TESTROMS)");

    char dir[] = "/tmp/ceres-test-bench-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char json[256], cmd[8192];
    snprintf(json, sizeof json, "%s/emu.json", dir);
    snprintf(cmd, sizeof cmd,
             "'%s' bench emu --frames 4 --rounds 1 "
             "--only off,ring_default,ring_all,stream_json,triggers_armed --json '%s' >/dev/null",
             bin, json);
    int rc = run(cmd);
    CHECK(rc == 0 || rc == 1);
    uint8_t *text = NULL;
    size_t len;
    CHECK_EQ(rn_read_file(json, &text, &len), 0);
    if (text) {
        static const char *const cfg[] = {"off", "ring_default", "ring_all", "stream_json",
                                          "triggers_armed"};
        static const char *const rom[] = {"cpu_instrs", "dmg-acid2", "intr_2_0_timing"};
        for (unsigned c = 0; c < 5; c++) {
            char key[128];
            snprintf(key, sizeof key, "emu.fps.%s", cfg[c]);
            double total = value((const char *)text, key);
            if (!(total > 10)) fprintf(stderr, "%s = %g\n", key, total);
            CHECK(total > 10);
            for (unsigned w = 0; w < 3; w++) {
                snprintf(key, sizeof key, "emu.fps.%s@%s", cfg[c], rom[w]);
                CHECK(value((const char *)text, key) > 10);
            }
        }
        CHECK(value((const char *)text, "emu.ratio.ring_default_vs_off") > 0);
        CHECK(value((const char *)text, "emu.ratio.triggers_armed_vs_off") > 0);
        /* Not asked for: not there. */
        CHECK(value((const char *)text, "peers.gambatte.fps") < 0);
        free(text);
    }
    unlink(json);
    snprintf(cmd, sizeof cmd, "'%s' bench emu --only nonsense >/dev/null 2>&1", bin);
    CHECK_EQ(run(cmd), 2);
    snprintf(cmd, sizeof cmd, "'%s' bench emu --frames 0 >/dev/null 2>&1", bin);
    CHECK_EQ(run(cmd), 2);
    rmdir(dir);
    return test_result();
}
