/* `ceres run` with buttons: --input on tellinglys reaches the suite's
 * reference screen (and does not without it), --record-input then
 * --play-input replays to the same screen, a movie whose screen hashes do
 * not match reports the first differing frame (exit 1) and dumps the ring
 * with --desync-dump; SIGUSR1 writes the ring and the run goes on. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "test_fs.h"
#include "play/input.h"
#include "runner/runner.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];
static const char *bin;

static int run(const char *args) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run %s >out.txt 2>err.txt", dir, bin, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *file, const char *needle) {
    return dir_file_has(dir, file, needle, true);
}

static long diff_ref(const char *file, const char *ref) {
    char p[1024], err[300];
    uint8_t *a, *b;
    unsigned aw, ah, bw, bh;
    snprintf(p, sizeof p, "%s/%s", dir, file);
    if (rn_png_read_rgb(p, &a, &aw, &ah, err, sizeof err)) return -1;
    if (rn_png_read_rgb(ref, &b, &bw, &bh, err, sizeof err)) {
        free(a);
        return -1;
    }
    long d = aw == bw && ah == bh ? 0 : -1;
    for (size_t i = 0; d >= 0 && i < (size_t)aw * ah; i++)
        d += memcmp(a + 3 * i, b + 3 * i, 3) != 0;
    free(a);
    free(b);
    return d;
}

/* SIGUSR1 is caught (its bit in /proc/PID/status SigCgt). */
static bool catches_usr1(pid_t pid) {
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(p, "r");
    bool yes = false;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "SigCgt:", 7)) yes = (strtoull(line + 7, NULL, 16) >> (SIGUSR1 - 1)) & 1;
    if (f) fclose(f);
    return yes;
}

int main(void) {
    bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    const char *roms = rn_default_rom_root();
    char tl[1024], ref[1024], cpu[1024], args[4096];
    snprintf(tl, sizeof tl, "%s/little-things-gb/tellinglys.gb", roms);
    snprintf(ref, sizeof ref, "%s/little-things-gb/tellinglys-dmg.png", roms);
    snprintf(cpu, sizeof cpu, "%s/blargg/cpu_instrs/cpu_instrs.gb", roms);
    if (access(tl, R_OK) || access(cpu, R_OK)) {
        printf("SKIP: test ROMs not found at %s (set CERES_TESTROMS)\n", roms);
        return 77;
    }
    snprintf(dir, sizeof dir, "/tmp/ceres-run-input-XXXXXX");
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");

    const char *script =
        "60:a*3,75:b*3,90:select*3,105:start*3,120:up*3,135:down*3,150:left*3,165:right*3";
    snprintf(args, sizeof args,
             "'%s' --frames 600 --input '%s' --screenshot a.png "
             "--record-input a.cmov",
             tl, script);
    CHECK_EQ(run(args), 0);
    CHECK_EQ(diff_ref("a.png", ref), 0);
    CHECK(has("err.txt", "input movie written to a.cmov (600 frames)"));
    snprintf(args, sizeof args, "'%s' --frames 600 --screenshot none.png", tl);
    CHECK_EQ(run(args), 0);
    CHECK(diff_ref("none.png", ref) > 0);
    snprintf(args, sizeof args, "'%s' --frames 600 --play-input a.cmov --screenshot b.png", tl);
    CHECK_EQ(run(args), 0);
    CHECK_EQ(diff_ref("b.png", ref), 0);
    /* Script errors and script files. */
    snprintf(args, sizeof args, "'%s' --frames 10 --input '10:a,20:fly'", tl);
    CHECK_EQ(run(args), 2);
    CHECK(has("err.txt", "unknown button"));
    char p[256];
    snprintf(p, sizeof p, "%s/s.txt", dir);
    CHECK_EQ(rn_write_file(p, script, strlen(script)), 0);
    snprintf(args, sizeof args, "'%s' --frames 600 --input @s.txt --screenshot c.png", tl);
    CHECK_EQ(run(args), 0);
    CHECK_EQ(diff_ref("c.png", ref), 0);

    /* A movie whose hashes are of a blank screen: the title appears by the
     * first hash, so frame 30 is reported, and the ring dumped there. */
    uint8_t *rom;
    size_t size;
    CHECK_EQ(rn_read_file(tl, &rom, &size), 0);
    pl_movie m;
    pl_movie_init(&m, rom, size, 30);
    free(rom);
    static uint8_t blank[GB_LCD_W * GB_LCD_H];
    for (int f = 0; f < 90; f++)
        pl_movie_add(&m, 0, blank);
    char err[400];
    snprintf(p, sizeof p, "%s/blank.cmov", dir);
    CHECK_EQ(pl_movie_save(&m, p, err, sizeof err), 0);
    pl_movie_free(&m);
    snprintf(args, sizeof args,
             "'%s' --frames 90 --play-input blank.cmov --desync-dump d.perfetto-trace", tl);
    CHECK_EQ(run(args), 1);
    CHECK(has("err.txt", "first differs after frame 30 (T-cycle 21067"));
    snprintf(p, sizeof p, "%s/d.perfetto-trace", dir);
    CHECK(access(p, R_OK) == 0);

    /* SIGUSR1: the ring is written, the run goes on (stopped here by
     * SIGINT, which ends it cleanly with status 130). */
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) || !freopen("err.txt", "w", stderr) || !freopen("out.txt", "w", stdout))
            _exit(127);
        execl(bin, bin, "run", cpu, "--frames", "200000", "--trace-out", "u.perfetto-trace",
              (char *)NULL);
        _exit(127);
    }
    struct timespec ts = {0, 20000000};
    for (int i = 0; i < 500 && !catches_usr1(pid); i++)
        nanosleep(&ts, NULL);
    CHECK(catches_usr1(pid));
    kill(pid, SIGUSR1);
    for (int i = 0; i < 500 && !has("err.txt", "SIGUSR1: flight recorder written"); i++)
        nanosleep(&ts, NULL);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 130);
    CHECK(has("err.txt",
              "SIGUSR1: flight recorder written to u.perfetto-trace.usr1-1.perfetto-trace"));
    snprintf(p, sizeof p, "%s/u.perfetto-trace.usr1-1.perfetto-trace", dir);
    CHECK(access(p, R_OK) == 0);
    CHECK(has("err.txt", "stopped: interrupted")); /* it went on until SIGINT */

    if (!check_failures_) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK_EQ(system(cmd), 0);
    }
    return test_result();
}
