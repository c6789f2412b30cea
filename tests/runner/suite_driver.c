/* Runs `ceres test --suite NAME` for CTest: skips (77) when the test ROMs
 * are absent, clears the suite's output folder, then runs the suite with
 * the manifest's expectations (exit 1 only on a regression or an
 * unexpected pass). The known failures' folders (traces, replays) stay in
 * OUTDIR for a look. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_suite_driver SUITE OUTDIR\n");
        return 2;
    }
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    struct stat st;
    if (!roms || !*roms || stat(roms, &st) || !S_ISDIR(st.st_mode)) {
        printf("SKIP: test ROMs not found: set CERES_TESTROMS to the test ROM folder\n");
        return 77;
    }
    const char *bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) {
        fprintf(stderr, "ceres program not found (CERES_BIN=%s)\n", bin ? bin : "");
        return 1;
    }
    /* A fresh output folder: what is there after the run is this run's. */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", argv[2]);
    if (strchr(argv[2], '\'') || system(cmd) != 0) return 1;
    fflush(stdout);
    execl(bin, bin, "test", "--suite", argv[1], "--roms", roms, "--out", argv[2], "--replay-window",
          "0", (char *)NULL);
    perror("exec ceres");
    return 1;
}
