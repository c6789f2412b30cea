/* `ceres play` end to end under SDL's dummy video and audio drivers (no
 * display needed): an input movie recorded from a script on tellinglys
 * replays to the suite's reference screen, with the trace dumped at the
 * end covering it; SIGUSR1 dumps the flight recorder while play goes on;
 * and bad input: a missing or unreadable ROM, a movie for another ROM, a
 * truncated movie, a bad script, no audio device (silent, one warning), no
 * display (clear error), a read-only save folder (warning, play goes on,
 * the old save kept). */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "test_fs.h"
#include "runner/runner.h"
#include "trace/ct_host.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static void nap(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}
static const char *bin, *roms;

/* Run `ENV ceres play ARGS` in dir; returns the exit status. */
static int play(const char *env, const char *args) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy %s '%s' play %s "
             ">out.txt 2>err.txt",
             dir, env, bin, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *file, const char *needle) {
    return dir_file_has(dir, file, needle, true);
}

static unsigned count_in(const char *file, const char *needle) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    char *t = read_text(p, NULL);
    unsigned n = 0;
    for (const char *s = t; s && (s = strstr(s, needle)); s++)
        n++;
    free(t);
    return n;
}

/* Pixels that differ between a PNG in dir and a reference PNG. */
static long png_diff(const char *file, const char *ref) {
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

static char *find_with_ext(const char *sub, const char *ext) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    DIR *d = opendir(p);
    struct dirent *e;
    char *found = NULL;
    while (d && (e = readdir(d)))
        if (strlen(e->d_name) > strlen(ext) &&
            !strcmp(e->d_name + strlen(e->d_name) - strlen(ext), ext)) {
            found = malloc(strlen(p) + strlen(e->d_name) + 2);
            sprintf(found, "%s/%s", p, e->d_name);
        }
    if (d) closedir(d);
    return found;
}

int main(void) {
    bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    roms = rn_default_rom_root();
    char tl[1024], tl_ref[1024], rtc[1024];
    snprintf(tl, sizeof tl, "%s/little-things-gb/tellinglys.gb", roms);
    snprintf(tl_ref, sizeof tl_ref, "%s/little-things-gb/tellinglys-dmg.png", roms);
    snprintf(rtc, sizeof rtc, "%s/rtc3test/rtc3test.gb", roms);
    if (access(tl, R_OK) || access(rtc, R_OK)) {
        printf("SKIP: test ROMs not found at %s (set CERES_TESTROMS)\n", roms);
        return 77;
    }
    snprintf(dir, sizeof dir, "/tmp/ceres-play-XXXXXX");
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");
    char args[4096];

    /* Record a movie from the suite's input script (as fast as it goes),
     * then play it back at normal speed with sound. */
    snprintf(args, sizeof args,
             "'%s' --frames 600 --fast --no-save --record-input m.cmov --input "
             "'60:a*3,75:b*3,90:select*3,105:start*3,120:up*3,135:down*3,150:left*3,165:right*3'",
             tl);
    CHECK_EQ(play("", args), 0);
    CHECK(has("err.txt", "input movie written to m.cmov (600 frames)"));
    snprintf(args, sizeof args,
             "'%s' --frames 600 --fast --no-save --play-input m.cmov --screenshot end.png "
             "--trace-out t.perfetto-trace",
             tl);
    CHECK_EQ(play("", args), 0);
    CHECK(has("err.txt", "every checked frame matched"));
    CHECK_EQ(png_diff("end.png", tl_ref), 0); /* "Pass!" */
    char p[512], err[512];
    snprintf(p, sizeof p, "%s/t.perfetto-trace", dir);
    ct_trace *t = NULL;
    CHECK_EQ(ct_trace_load(p, &t, err, sizeof err), 0);
    if (t) {
        CHECK(t->nev > 1000);
        /* The ring holds the end of the session: 600 frames = 10.04 s. */
        CHECK(t->ev[t->nev - 1].ts >= 10000000000ull);
        ct_trace_free(t);
    }
    /* The same movie without the last press does not pass, and says where
     * the screen first differs. */
    snprintf(args, sizeof args,
             "'%s' --frames 600 --fast --no-save --record-input m7.cmov --input "
             "'60:a*3,75:b*3,90:select*3,105:start*3,120:up*3,135:down*3,150:left*3'",
             tl);
    CHECK_EQ(play("", args), 0);
    snprintf(args, sizeof args,
             "'%s' --frames 600 --fast --no-save --play-input m7.cmov --screenshot end7.png", tl);
    CHECK_EQ(play("", args), 0);
    CHECK(png_diff("end7.png", tl_ref) > 0);

    /* Bad input. */
    CHECK_EQ(play("", "missing.gb --frames 1"), 2);
    CHECK(has("err.txt", "missing.gb: No such file or directory"));
    CHECK_EQ(play("", ". --frames 1"), 2); /* a folder is not a ROM */
    CHECK(has("err.txt", "is a folder, not a file"));
    snprintf(args, sizeof args, "'%s' --frames 10 --no-save --play-input m.cmov", rtc);
    CHECK_EQ(play("", args), 2);
    CHECK(has("err.txt", "recorded on another ROM"));
    CHECK(has("err.txt", "'TELLING LYS'"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && head -c 100 m.cmov > cut.cmov", dir);
    CHECK_EQ(system(cmd), 0);
    snprintf(args, sizeof args, "'%s' --frames 10 --no-save --play-input cut.cmov", tl);
    CHECK_EQ(play("", args), 2);
    CHECK(has("err.txt", "cut.cmov: truncated input movie"));
    snprintf(args, sizeof args, "'%s' --frames 10 --no-save --input '60:jump'", tl);
    CHECK_EQ(play("", args), 2);
    CHECK(has("err.txt", "unknown button"));

    /* No audio device: runs (silent) with one warning. */
    snprintf(args, sizeof args, "'%s' --frames 30 --no-save --screenshot a.png", tl);
    CHECK_EQ(play("SDL_AUDIODRIVER=nosuchdriver", args), 0);
    CHECK_EQ(count_in("err.txt", "warning"), 1);
    CHECK(has("err.txt", "running silent"));
    CHECK(has("err.txt", "no sound"));
    /* No display: a clear error. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER XDG_RUNTIME_DIR=/"
             "nonexistent '%s' play '%s' --frames 5 --no-save >out.txt 2>err.txt",
             dir, bin, tl);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    CHECK(has("err.txt", "no display"));

    /* A read-only save folder: a warning, play goes on, the old save stays. */
    snprintf(p, sizeof p, "%s/ro", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/ro/rtc3test.sav", dir);
    static uint8_t old_save[48] = {1, 0, 0, 0, 2, 0, 0, 0, 3};
    CHECK_EQ(rn_write_file(p, old_save, sizeof old_save), 0);
    snprintf(p, sizeof p, "%s/ro", dir);
    chmod(p, 0555);
    bool ro = access(p, W_OK) != 0; /* not as root */
    snprintf(args, sizeof args, "'%s' --frames 30 --fast --save-dir %s", rtc, ro ? "ro" : "/proc");
    CHECK_EQ(play("", args), 0);
    CHECK(has("err.txt", "cannot write the battery save"));
    CHECK(has("err.txt", "play goes on"));
    if (ro) CHECK(has("err.txt", "battery save loaded from ro/rtc3test.sav"));
    snprintf(p, sizeof p, "%s/ro/rtc3test.sav", dir);
    uint8_t *back = NULL;
    size_t blen = 0;
    CHECK_EQ(rn_read_file(p, &back, &blen), 0);
    CHECK(blen == sizeof old_save && !memcmp(back, old_save, blen));
    free(back);
    snprintf(p, sizeof p, "%s/ro", dir);
    chmod(p, 0755);
    /* A writable one: the save is written, then loaded the next time. */
    snprintf(args, sizeof args, "'%s' --frames 30 --fast --save-dir ro", rtc);
    CHECK_EQ(play("", args), 0);
    snprintf(p, sizeof p, "%s/ro/rtc3test.sav", dir);
    CHECK_EQ(rn_read_file(p, &back, &blen), 0);
    CHECK(blen == 48 && memcmp(back, old_save, blen) != 0);
    free(back);
    snprintf(p, sizeof p, "%s/ro", dir);
    CHECK_EQ(count_entries(p), 1); /* no temporary file left */

    /* SIGUSR1 while playing at normal speed: the ring, the screen and the
     * state are dumped and play goes on to the end. */
    snprintf(p, sizeof p, "%s/dumps", dir);
    mkdir(p, 0755);
    /* The wait below looks for play's announcement in err.txt: remove the
     * previous session's, which says the same, or the signal may come
     * before this session has installed its handler (and end it). */
    snprintf(p, sizeof p, "%s/err.txt", dir);
    unlink(p);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir)) _exit(127);
        if (!freopen("err.txt", "w", stderr)) _exit(127);
        setenv("SDL_VIDEODRIVER", "dummy", 1);
        setenv("SDL_AUDIODRIVER", "dummy", 1);
        execl(bin, bin, "play", tl, "--frames", "240", "--no-save", "--dump-dir", "dumps",
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !has("err.txt", "dumps the flight recorder"); i++)
        nap(50);
    nap(300);
    CHECK_EQ(kill(pid, SIGUSR1), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(has("err.txt", "flight recorder dumped: dumps/tellinglys-"));
    char *dumped = find_with_ext("dumps", ".perfetto-trace");
    CHECK(dumped != NULL);
    if (dumped) {
        CHECK_EQ(ct_trace_load(dumped, &t, err, sizeof err), 0);
        if (t) {
            /* Dumped while running: before the end (240 frames = 4.02 s). */
            CHECK(t->nev > 1000);
            CHECK(t->ev[t->nev - 1].ts < 4000000000ull);
            ct_trace_free(t);
        }
        free(dumped);
    }
    char *png = find_with_ext("dumps", ".png"), *state = find_with_ext("dumps", ".state");
    CHECK(png && state);
    free(png);
    free(state);
    /* Triggers as in ceres run: a dump when the condition holds, and the
     * session ends by itself after --frames. */
    snprintf(p, sizeof p, "%s/trig", dir);
    mkdir(p, 0755);
    snprintf(args, sizeof args,
             "'%s' --frames 150 --fast --no-save --dump-dir trig --trace-dump-on 'frame==100' "
             "--max-dumps 1",
             tl);
    CHECK_EQ(play("", args), 0);
    CHECK(has("err.txt", "fired 1 time"));
    snprintf(p, sizeof p, "%s/trig/tellinglys.0001.perfetto-trace", dir);
    CHECK(access(p, R_OK) == 0);
    /* Run's length and output options by the same names: --cycles ends the
     * session, --trace-out .log writes text, --stream-json is run's alone. */
    snprintf(args, sizeof args, "'%s' --cycles 702240 --fast --no-save --trace-out t.log", tl);
    CHECK_EQ(play("", args), 0);
    CHECK(has("t.log", "cpu.exec") || has("t.log", "PC:") || has("t.log", "A:"));
    snprintf(args, sizeof args, "'%s' --frames 5 --stream-json s.json", tl);
    CHECK_EQ(play("", args), 2);
    CHECK(has("err.txt", "--stream-json is for ceres run only"));

    if (!check_failures_) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK_EQ(system(cmd), 0);
    } else {
        printf("files kept in %s\n", dir);
    }
    return test_result();
}
