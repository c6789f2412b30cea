/* Inputs of the wrong type or size get a clear error, exit 2, at once
 * (issue 12 item 11): a FIFO (no writer: reading would wait forever),
 * /dev/urandom (endless), a directory, a ROM larger than the largest
 * cartridge (8 MiB), as a ROM for `ceres run` and as a trace for
 * `ceres trace stats/cat`. The type and size are checked before reading. */
#include "hard_util.h"

static char *dir;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void expect(char **args, const char *msg) {
    child c;
    double t0 = now_s();
    int rc = run_ceres(&c, dir, NULL, args);
    double dt = now_s() - t0;
    printf("%s %s %s: exit %d in %.2f s: %s", args[0], args[1], args[2], rc, dt, c.err);
    CHECK_EQ(rc, 2);
    CHECK(strstr(c.err, msg) != NULL);
    CHECK(dt < 5);
    child_free(&c);
}

int main(void) {
    (void)ceres_bin();
    dir = make_tmpdir();
    char p[700];
    snprintf(p, sizeof p, "%s/fifo", dir);
    CHECK_EQ(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/folder", dir);
    CHECK_EQ(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/big.gb", dir);
    FILE *f = fopen(p, "wb");
    CHECK(f && fseek(f, (8 << 20) + 1, SEEK_SET) == 0 && fputc(0, f) == 0);
    if (f) fclose(f);
    const char *notreg = "is not a regular file";
    expect((char *[]){"run", "fifo", "--frames", "1", NULL}, notreg);
    expect((char *[]){"run", "/dev/urandom", "--frames", "1", NULL}, notreg);
    expect((char *[]){"run", "folder", "--frames", "1", NULL}, "folder");
    expect((char *[]){"run", "big.gb", "--frames", "1", NULL}, "big.gb: ROM too large");
    expect((char *[]){"trace", "stats", "fifo", NULL}, notreg);
    expect((char *[]){"trace", "cat", "/dev/urandom", NULL}, notreg);
    expect((char *[]){"trace", "stats", "folder", NULL}, "folder");
    rm_rf(dir);
    free(dir);
    return test_result();
}
