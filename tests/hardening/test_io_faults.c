/* Dumps that cannot be written: a full device (/dev/full), a disk that
 * fills up mid-file (RLIMIT_FSIZE), a missing folder, a file where a folder
 * is expected, a path under /proc. Each gives an error message, the
 * emulation runs to its end (snapshots from --dump-at fail the same way
 * along the run) and no partial or temporary file is left behind. */
#include "hard_util.h"

static const char *formats[] = {"ctrace", "perfetto", "json", "log"};
static const char *exts[] = {"ctrace", "perfetto-trace", "json", "log"};

static char *dir;

/* The run went to its end: 60 frames. */
static void check_ran(const child *c) {
    CHECK(strstr(c->err, ", 60 frames; stopped: time limit") != NULL);
}

static void dev_full(void) {
    for (int f = 0; f < 4; f++) {
        child c;
        char *args[] = {"run",       "loop.gb",        "--frames",         "60", "--trace-out",
                        "/dev/full", "--trace-format", (char *)formats[f], NULL};
        int rc = run_ceres(&c, dir, NULL, args);
        printf("/dev/full %s: exit %d\n%s", formats[f], rc, c.err);
        CHECK_EQ(rc, 1);
        CHECK(strstr(c.err, "--trace-out /dev/full: No space left on device") != NULL);
        check_ran(&c);
        child_free(&c);
    }
}

/* A regular file in a real folder, on a "disk" that is full after 64 KiB:
 * the dump fails part-way and neither it nor its temporary file remains. */
static void disk_fills(void) {
    for (int f = 0; f < 4; f++) {
        char sub[700], out[64];
        snprintf(sub, sizeof sub, "%s/full", dir);
        mkdir(sub, 0777);
        snprintf(out, sizeof out, "full/t.%s", exts[f]);
        child c;
        char *args[] = {"run",         "loop.gb", "--frames",  "60",        "--trace", "trace",
                        "--trace-out", out,       "--dump-at", "frame==20", NULL};
        child_fsize_limit = 64 << 10;
        int rc = run_ceres(&c, dir, NULL, args);
        child_fsize_limit = 0;
        printf("disk full %s: exit %d\n%s", exts[f], rc, c.err);
        CHECK_EQ(rc, 1);
        CHECK(strstr(c.err, "File too large") != NULL);
        CHECK(strstr(c.err, "trigger snapshot full/t.0001.") != NULL);
        check_ran(&c);
        CHECK_EQ(count_entries(sub), 0); /* nothing half-written, no temporary */
        child_free(&c);
        rm_rf(sub);
    }
}

/* Output paths that cannot be written are found before the run starts
 * (exit 2, the reason, no emulation), not after it. */
static void bad_paths(void) {
    static const char *paths[] = {"missing/sub/t.perfetto-trace", "afile/t.ctrace",
                                  "/proc/ceres-hardening.log", "missing/t.json"};
    static const char *why[] = {"No such file or directory", "Not a directory",
                                "No such file or directory", "No such file or directory"};
    static const char *opts[] = {"--trace-out", "--screenshot", "--doctor-log", "--stream-json"};
    char afile[700];
    snprintf(afile, sizeof afile, "%s/afile", dir);
    CHECK_EQ(write_file(afile, "data\n", 5), 0);
    for (int o = 0; o < 4; o++) {
        for (int i = 0; i < 4; i++) {
            child c;
            char *args[] = {"run", "loop.gb",   (char *)opts[o], (char *)paths[i], "--frames",
                            "60",  "--dump-at", "frame==20",     "--trace-out",    "ok.log",
                            NULL};
            if (o == 0) args[8] = NULL;
            int rc = run_ceres(&c, dir, NULL, args);
            printf("%s %s: exit %d\n%s", opts[o], paths[i], rc, c.err);
            CHECK_EQ(rc, 2);
            char want[700];
            snprintf(want, sizeof want, "%s %s: %s", opts[o], paths[i], why[i]);
            CHECK(strstr(c.err, want) != NULL);
            CHECK(strstr(c.err, "T-cycles") == NULL); /* did not run */
            CHECK(strstr(c.err, "trigger snapshot ") == NULL);
            child_free(&c);
        }
    }
    /* A folder given as the file: said so, before the run. */
    child c;
    char *args[] = {"run", "loop.gb", "--frames", "60", "--screenshot", ".", NULL};
    CHECK_EQ(run_ceres(&c, dir, NULL, args), 2);
    CHECK(strstr(c.err, "--screenshot .: is a folder, not a file") != NULL);
    child_free(&c);
    /* Nothing was created: the folder holds the ROM and afile, afile is
     * intact, nothing appeared under /proc. */
    CHECK_EQ(count_entries(dir), 2);
    size_t n;
    char *a = read_text(afile, &n);
    CHECK(a && n == 5 && !strcmp(a, "data\n"));
    free(a);
    CHECK(access("/proc/ceres-hardening.log", F_OK) != 0);
}

/* --crash-dump into a missing folder: a warning, the run and its
 * --trace-out go on. */
static void crash_dump_missing(void) {
    child c;
    char *args[] = {"run",      "loop.gb",      "--frames",         "60", "--trace-out",
                    "t.ctrace", "--crash-dump", "missing/c.ctrace", NULL};
    int rc = run_ceres(&c, dir, NULL, args);
    printf("crash dump missing: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 0);
    CHECK(strstr(c.err, "crash dump missing/c.ctrace: No such file or directory") != NULL);
    CHECK(strstr(c.err, "trace written to t.ctrace") != NULL);
    check_ran(&c);
    child_free(&c);
    char p[700];
    snprintf(p, sizeof p, "%s/t.ctrace", dir);
    CHECK_EQ(unlink(p), 0);
}

int main(void) {
    ceres_bin();
    dir = make_tmpdir();
    char rom_path[700];
    write_loop_rom(dir, rom_path, sizeof rom_path);
    dev_full();
    disk_fills();
    crash_dump_missing();
    bad_paths();
    rm_rf(dir);
    free(dir);
    return test_result();
}
