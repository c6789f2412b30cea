/* Scripted input and input movies on real ROMs from the shared test ROMs
 * (headless, no SDL): tellinglys needs all eight buttons pressed to reach
 * its result screen, rtc3test needs A to start its clock tests. Each is
 * compared with the suite's reference screenshot, and without the presses
 * the screen is different (the presses changed the game's state). An input
 * movie recorded from the script replays to the same screen, and a movie
 * whose presses were changed reports the first frame that differs. */
#include "check.h"
#include "play/input.h"
#include "runner/runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *root;

/* Run `frames` frames of ROM with the script (or none) and the movie to
 * play or record; returns the number of pixels that differ from the
 * reference (or -1 when something could not be read). */
static long run_rom(const char *rom_rel, const char *ref_rel, uint64_t frames, const char *script,
                    pl_movie *record, pl_movie *play, uint64_t *desync_at) {
    char path[1024], err[600];
    snprintf(path, sizeof path, "%s/%s", root, rom_rel);
    uint8_t *rom;
    size_t size;
    if (rn_read_file(path, &rom, &size)) return -1;
    gb *g = gb_create(rom, size, &(gb_config){0}, err, sizeof err);
    pl_input in;
    CHECK_EQ(pl_input_open(&in, rom, size, script, NULL, NULL, err, sizeof err), 0);
    if (record) pl_movie_init(record, rom, size, 10);
    if (play) {
        CHECK_EQ(pl_movie_check_rom(play, rom, size, err, sizeof err), 0);
        in.has_play = true;
        in.play = *play;
        in.replay.m = &in.play;
    }
    free(rom);
    if (!g) return -1;
    for (uint64_t f = 0; f < frames; f++) {
        CHECK_EQ(pl_frame_index(g), f);
        uint8_t b = pl_input_buttons(&in, f, 0);
        pl_run_frame(g, b, 0);
        if (record) CHECK_EQ(pl_movie_add(record, b, gb_framebuffer(g)), 0);
        char msg[400];
        if (pl_input_after(&in, g, b, msg, sizeof msg) == 1 && desync_at) {
            *desync_at = in.replay.desync_frame;
            CHECK(strstr(msg, "first differs after frame") != NULL);
        }
    }
    if (play) in.has_play = false; /* the caller's */
    pl_input_free(&in);
    snprintf(path, sizeof path, "%s/%s", root, ref_rel);
    uint8_t *rgb;
    unsigned w, h, fx, fy;
    long diff = -1;
    if (rn_png_read_rgb(path, &rgb, &w, &h, err, sizeof err) == 0) {
        if (w == GB_LCD_W && h == GB_LCD_H)
            diff = rn_screen_diff(gb_framebuffer(g), rgb, w, h, &fx, &fy);
        free(rgb);
    }
    gb_destroy(g);
    return diff;
}

int main(void) {
    root = rn_default_rom_root();
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/little-things-gb/tellinglys.gb", root);
    if (access(probe, R_OK)) {
        printf("SKIP: test ROMs not found at %s (set CERES_TESTROMS)\n", root);
        return 77;
    }
    /* The suite's own input line (checks.tsv), as a script. */
    const char *tl = "60:a*3,75:b*3,90:select*3,105:start*3,120:up*3,135:down*3,150:left*3,"
                     "165:right*3";
    pl_movie m;
    CHECK_EQ(run_rom("little-things-gb/tellinglys.gb", "little-things-gb/tellinglys-dmg.png", 600,
                     tl, &m, NULL, NULL),
             0);
    CHECK(run_rom("little-things-gb/tellinglys.gb", "little-things-gb/tellinglys-dmg.png", 600,
                  NULL, NULL, NULL, NULL) > 0);
    /* Seven of the eight buttons: no result screen. */
    CHECK(run_rom("little-things-gb/tellinglys.gb", "little-things-gb/tellinglys-dmg.png", 600,
                  "60:a*3,75:b*3,90:select*3,105:start*3,120:up*3,135:down*3,150:left*3", NULL,
                  NULL, NULL) > 0);

    /* The recorded movie replays to the same screen without a desync. */
    CHECK_EQ(m.nframes, 600);
    uint64_t at = 0;
    CHECK_EQ(run_rom("little-things-gb/tellinglys.gb", "little-things-gb/tellinglys-dmg.png", 600,
                     NULL, NULL, &m, &at),
             0);
    CHECK_EQ(at, 0);
    /* Press Start 5 frames later than recorded: the arrow moves; the first
     * hash after the change differs. */
    for (int f = 105; f < 108; f++)
        m.buttons[f] = 0;
    for (int f = 110; f < 113; f++)
        m.buttons[f] = GB_BTN_START;
    run_rom("little-things-gb/tellinglys.gb", "little-things-gb/tellinglys-dmg.png", 600, NULL,
            NULL, &m, &at);
    CHECK(at > 105 && at <= 130);
    printf("changed movie: desync reported after frame %llu\n", (unsigned long long)at);
    pl_movie_free(&m);

    /* The same presses from a manifest's `input` line, through the test
     * runner: the screenshot check passes with them and not without. */
    static const char *const manifests[2] = {
        "suite play\n"
        "test little-things-gb/tellinglys.gb screenshot=little-things-gb/tellinglys-dmg.png "
        "600f dmg pass\n"
        "input \"60:a*3,75:b*3,90:select*3,105:start*3,120:up*3,135:down*3,150:left*3,"
        "165:right*3\"\n",
        "suite play\n"
        "test little-things-gb/tellinglys.gb screenshot=little-things-gb/tellinglys-dmg.png "
        "600f dmg pass\n",
    };
    for (int i = 0; i < 2; i++) {
        rn_manifest man;
        char err[600];
        CHECK_EQ(rn_manifest_parse(manifests[i], "play.suite", &man, err, sizeof err), 0);
        rn_opts o;
        rn_opts_default(&o);
        o.rom_root = root;
        o.out_dir = NULL;
        o.trace_bytes = 0;
        o.trace_events = 0;
        o.replay_window = 0;
        rn_result res;
        memset(&res, 0, sizeof res);
        CHECK_EQ(rn_run_one(&man.tests[0], &o, &res), 0);
        CHECK_EQ(res.status, i == 0 ? RN_PASS : RN_FAIL);
        rn_manifest_free(&man);
    }
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"suite play\ninput \"60:a\"\n", "'input' before any 'test' line"},
        {"suite play\ntest x.gb mooneye 1s dmg pass\ninput \"60:jump\"\n", "unknown button"},
        {"suite play\ntest x.gb mooneye 1s dmg pass\ninput \"60:a\"\ninput \"70:b\"\n",
         "one 'input' line per test"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rn_manifest man;
        char err[600] = "";
        CHECK(rn_manifest_parse(bad[i].text, "bad.suite", &man, err, sizeof err) != 0);
        CHECK(strstr(err, bad[i].want) != NULL);
    }

    /* rtc3test: A at frame 60 starts the basic clock tests. */
    CHECK_EQ(run_rom("rtc3test/rtc3test.gb", "rtc3test/rtc3test-basic-tests-dmg.png", 900, "60:a*5",
                     NULL, NULL, NULL),
             0);
    CHECK(run_rom("rtc3test/rtc3test.gb", "rtc3test/rtc3test-basic-tests-dmg.png", 900, NULL, NULL,
                  NULL, NULL) > 0);
    return test_result();
}
