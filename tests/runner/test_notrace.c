/* ceres-notrace (trace points compiled out) makes no ring for a test: a
 * failing test's folder has its screen and state, and state.txt says the
 * trace points are compiled out, with no trace files (there was nothing
 * that could ever be written to them) and no replay; an explicit
 * --trace-buffer changes nothing. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "test_fs.h"
#include "testrom.h"
#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], notrace[4200];

static int run(const char *args) {
    char cmd[8600];
    snprintf(cmd, sizeof cmd, "cd '%s' && rm -rf out && '%s' test %s >out.txt 2>err.txt", dir,
             notrace, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool exists(const char *rel) {
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return stat(p, &st) == 0;
}

int main(void) {
    const char *bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    snprintf(notrace, sizeof notrace, "%s-notrace", bin);
    if (access(notrace, X_OK)) TEST_SKIP("no ceres-notrace next to ceres (CERES_NOTRACE_TWIN)");
    snprintf(dir, sizeof dir, "/tmp/ceres-notrace-XXXXXX");
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");
    static uint8_t rom[TESTROM_SIZE];
    static const uint8_t loop[] = {0x18, 0xFE}; /* jr -2: no verdict, a timeout */
    testrom_build(rom, loop, sizeof loop);
    char path[256];
    snprintf(path, sizeof path, "%s/loop.gb", dir);
    CHECK_EQ(rn_write_file(path, rom, sizeof rom), 0);

    static const char *const args[] = {"--timeout 60f --out out loop.gb",
                                       "--timeout 60f --trace-buffer 4M --out out loop.gb"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) {
        CHECK_EQ(run(args[i]), 1);
        char fd[128];
        snprintf(fd, sizeof fd, "out/failures/adhoc/%s/loop", strrchr(dir, '/') + 1);
        char f[256];
        snprintf(f, sizeof f, "%s/state.txt", fd);
        CHECK(dir_file_has(dir, f, "result: timeout", true));
        CHECK(dir_file_has(dir, f, "trace: none (trace points compiled out of this build)", true));
        CHECK(dir_file_has(dir, f, "replay: not run (trace points compiled out", true));
        snprintf(f, sizeof f, "%s/screen.png", fd);
        CHECK(exists(f));
        snprintf(f, sizeof f, "%s/trace.perfetto-trace", fd);
        CHECK(!exists(f));
        snprintf(f, sizeof f, "%s/replay.perfetto-trace", fd);
        CHECK(!exists(f));
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {
    }
    return test_result();
}
