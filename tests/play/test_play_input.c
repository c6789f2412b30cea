/* Unit tests of the pieces of `ceres play` that need no SDL: the input
 * script parser, the input movie format (round trip, corrupt, truncated and
 * foreign files), battery saves (round trip, the MBC3 clock running on while
 * the game is off, atomic writes, a read-only folder) and the key map file. */
#include "gb/gb_internal.h"
#include "play/input.h"
#include "play/keymap.h"
#include "check.h"
#include "testrom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_script(void) {
    pl_script s;
    char err[300];
    CHECK_EQ(pl_script_parse(&s, "60:start, 120:a*10 # comment\n200:+right+b 260:-right 300:none",
                             err, sizeof err),
             0);
    CHECK_EQ(pl_script_buttons(&s, 0), 0);
    CHECK_EQ(pl_script_buttons(&s, 59), 0);
    CHECK_EQ(pl_script_buttons(&s, 60), GB_BTN_START);
    CHECK_EQ(pl_script_buttons(&s, 60 + PL_TAP_FRAMES - 1), GB_BTN_START);
    CHECK_EQ(pl_script_buttons(&s, 60 + PL_TAP_FRAMES), 0);
    CHECK_EQ(pl_script_buttons(&s, 120), GB_BTN_A);
    CHECK_EQ(pl_script_buttons(&s, 129), GB_BTN_A);
    CHECK_EQ(pl_script_buttons(&s, 130), 0);
    CHECK_EQ(pl_script_buttons(&s, 200), GB_BTN_RIGHT | GB_BTN_B);
    CHECK_EQ(pl_script_buttons(&s, 259), GB_BTN_RIGHT | GB_BTN_B);
    CHECK_EQ(pl_script_buttons(&s, 260), GB_BTN_B);
    CHECK_EQ(pl_script_buttons(&s, 300), 0);
    CHECK_EQ(pl_script_end(&s), 301);
    /* Going back in time restarts. */
    CHECK_EQ(pl_script_buttons(&s, 61), GB_BTN_START);
    pl_script_free(&s);

    /* Out of order items; at one frame, the order given. */
    CHECK_EQ(pl_script_parse(&s, "10:-a,5:+A,10:+select", err, sizeof err), 0);
    CHECK_EQ(pl_script_buttons(&s, 5), GB_BTN_A);
    CHECK_EQ(pl_script_buttons(&s, 10), GB_BTN_SELECT);
    pl_script_free(&s);
    CHECK_EQ(pl_script_parse(&s, "", err, sizeof err), 0);
    CHECK_EQ(pl_script_buttons(&s, 100), 0);
    pl_script_free(&s);

    static const char *const bad[] = {
        "start", "60start", "60:jump", "60:a*0",    "60:+a*3",
        "60:a+", "x:a",     "60:a;",   "60:none+a", "99999999999999999999:a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        CHECK_EQ(pl_script_parse(&s, bad[i], err, sizeof err), -EINVAL);
        CHECK(strstr(err, "input script") != NULL);
    }
    CHECK_EQ(pl_script_parse(&s, "1:a\n2:b\n3:jump", err, sizeof err), -EINVAL);
    CHECK(strstr(err, "line 3") && strstr(err, "jump"));
}

static uint8_t rom[TESTROM_SIZE];

static void make_rom(uint8_t type, uint8_t ram_code) {
    static const uint8_t loop[] = {0x18, 0xFE}; /* jr -2 */
    testrom_build(rom, loop, sizeof loop);
    rom[0x147] = type;
    rom[0x149] = ram_code;
    testrom_fix_checksum(rom);
}

static void test_movie(void) {
    make_rom(0x00, 0);
    char err[400];
    pl_movie m, d;
    pl_movie_init(&m, rom, sizeof rom, 4);
    uint8_t fb[GB_LCD_W * GB_LCD_H];
    for (int f = 0; f < 1000; f++) {
        memset(fb, f & 3, sizeof fb);
        CHECK_EQ(pl_movie_add(&m, (uint8_t)(f < 500 ? 0 : f / 100), fb), 0);
    }
    CHECK_EQ(m.nhashes, 250);
    uint8_t *buf;
    size_t len;
    CHECK_EQ(pl_movie_encode(&m, &buf, &len), 0);
    CHECK(len < 74 + 20 + 250 * 8 + 4); /* runs are compact */
    CHECK_EQ(pl_movie_decode(&d, buf, len, err, sizeof err), 0);
    CHECK_EQ(d.nframes, 1000);
    CHECK_EQ(d.hash_every, 4);
    CHECK(!memcmp(d.buttons, m.buttons, 1000));
    CHECK(!memcmp(d.hashes, m.hashes, 250 * 8));
    CHECK(!strcmp(d.title, "CERESTEST"));
    CHECK(!strcmp(d.version, CERES_VERSION));
    CHECK_EQ(pl_movie_check_rom(&d, rom, sizeof rom, err, sizeof err), 0);

    /* Replay: the same frames match; a changed one is found at its frame. */
    pl_replay r = {.m = &d};
    uint64_t exp, got;
    for (int f = 0; f < 12; f++) {
        CHECK_EQ(pl_replay_buttons(&d, (uint64_t)f), m.buttons[f]);
        memset(fb, f & 3, sizeof fb);
        if (f == 11) fb[100] ^= 1;
        int c = pl_replay_check(&r, (uint64_t)f + 1, fb, &exp, &got);
        CHECK_EQ(c, f == 7 ? 0 : f == 11 ? 1 : 0); /* frame 11 is the 12th: hash 2 */
    }
    CHECK(r.desynced && r.desync_frame == 12);
    pl_movie_free(&d);

    /* Another ROM. */
    uint8_t other[TESTROM_SIZE];
    memcpy(other, rom, sizeof other);
    other[0x200] = 1;
    CHECK_EQ(pl_movie_decode(&d, buf, len, err, sizeof err), 0);
    CHECK_EQ(pl_movie_check_rom(&d, other, sizeof other, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "another ROM") != NULL);
    pl_movie_free(&d);

    /* Every truncation is refused, with a clear word. */
    for (size_t cut = 0; cut < len; cut += cut < 100 ? 1 : 37) {
        err[0] = 0;
        CHECK_EQ(pl_movie_decode(&d, buf, cut, err, sizeof err), -EINVAL);
        CHECK(strstr(err, "truncated") || strstr(err, "not a Ceres") || strstr(err, "corrupt"));
    }
    CHECK_EQ(pl_movie_decode(&d, buf, 60, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "truncated") != NULL);
    /* Every flipped byte is refused. */
    for (size_t i = 0; i < len; i += 7) {
        buf[i] ^= 0x20;
        CHECK_EQ(pl_movie_decode(&d, buf, len, err, sizeof err), -EINVAL);
        buf[i] ^= 0x20;
    }
    CHECK_EQ(pl_movie_decode(&d, buf, len, err, sizeof err), 0);
    pl_movie_free(&d);

    /* Files. */
    char dir[] = "/tmp/ceres-play-test-XXXXXX", path[200];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/m.cmov", dir);
    CHECK_EQ(pl_movie_save(&m, path, err, sizeof err), 0);
    CHECK_EQ(pl_movie_load(&d, path, err, sizeof err), 0);
    CHECK_EQ(d.nframes, 1000);
    pl_movie_free(&d);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, len / 2, f);
    fclose(f);
    CHECK(pl_movie_load(&d, path, err, sizeof err) < 0);
    CHECK(strstr(err, path) && strstr(err, "truncated"));
    unlink(path);
    CHECK_EQ(pl_movie_load(&d, path, err, sizeof err), -ENOENT);
    rmdir(dir);
    free(buf);
    pl_movie_free(&m);
}

static void test_battery(void) {
    char err[400];
    /* MBC3 + timer + RAM + battery, 8 KiB RAM. */
    make_rom(0x10, 0x02);
    gb *g = gb_create(rom, sizeof rom, &(gb_config){0}, err, sizeof err);
    CHECK(g != NULL);
    if (!g) return;
    CHECK_EQ(gb_battery_size(g), 8192 + 48);
    gb_cart_write(g, 0x0000, 0x0A); /* RAM and clock on */
    gb_cart_write(g, 0x4000, 0x00);
    for (unsigned i = 0; i < 8192; i += 97)
        gb_cart_write(g, (uint16_t)(0xA000 + i), (uint8_t)(i * 7 + 1));
    gb_cart_write(g, 0x4000, 0x08); /* seconds */
    gb_cart_write(g, 0xA000, 50);
    gb_cart_write(g, 0x4000, 0x0A); /* hours */
    gb_cart_write(g, 0xA000, 23);
    gb_cart_write(g, 0x4000, 0x0B); /* days, low */
    gb_cart_write(g, 0xA000, 0xFF);

    char dir[] = "/tmp/ceres-play-test-XXXXXX", path[300];
    CHECK(mkdtemp(dir) != NULL);
    CHECK_EQ(pl_sav_path(path, sizeof path, "/roms/game.gb", NULL), 0);
    CHECK(!strcmp(path, "/roms/game.sav"));
    CHECK_EQ(pl_sav_path(path, sizeof path, "game.v2.gbc", dir), 0);
    CHECK(!strncmp(path, dir, strlen(dir)) && !strcmp(path + strlen(dir), "/game.v2.sav"));
    CHECK_EQ(pl_sav_write(g, path, 1000000, err, sizeof err), 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 8192 + 48);

    /* A new machine loads it; the clock ran on 1 h 0 min 15 s while off. */
    gb *h = gb_create(rom, sizeof rom, &(gb_config){0}, err, sizeof err);
    CHECK_EQ(pl_sav_load(h, path, 1000000 + 3615, err, sizeof err), 0);
    CHECK(!memcmp(h->cart.ram, g->cart.ram, 8192));
    uint8_t rtc[5];
    gb_rtc_get(h, rtc);
    CHECK_EQ(rtc[GB_RTC_S], 5);
    CHECK_EQ(rtc[GB_RTC_M], 1);
    CHECK_EQ(rtc[GB_RTC_H], 0);
    CHECK_EQ(rtc[GB_RTC_DL], 0x00); /* day 255 + 1 = 256 */
    CHECK_EQ(rtc[GB_RTC_DH] & 1, 1);
    /* A save of the wrong size leaves the machine as it was. */
    FILE *f = fopen(path, "wb");
    fwrite("short", 1, 5, f);
    fclose(f);
    h->cart.ram[0] = 0x5A;
    CHECK_EQ(pl_sav_load(h, path, 0, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "not a save for this cartridge") != NULL);
    CHECK_EQ(h->cart.ram[0], 0x5A);
    unlink(path);
    CHECK_EQ(pl_sav_load(h, path, 0, err, sizeof err), 1); /* none yet */

    /* A read-only folder: an error to warn about, nothing left behind, the
     * old save intact. (root ignores the mode: then only check the write.) */
    CHECK_EQ(pl_sav_write(g, path, 0, err, sizeof err), 0);
    chmod(dir, 0555);
    bool ro = access(dir, W_OK) != 0;
    int e = pl_sav_write(h, path, 0, err, sizeof err);
    if (ro) {
        CHECK_EQ(e, -EACCES);
        CHECK(strstr(err, path) != NULL);
        CHECK(stat(path, &st) == 0 && st.st_size == 8192 + 48);
    } else {
        CHECK_EQ(e, 0);
        /* root writes anywhere: use a folder no one can create files in. */
        CHECK(pl_sav_write(h, "/proc/ceres-test.sav", 0, err, sizeof err) < 0);
        CHECK(strstr(err, "/proc/ceres-test.sav") != NULL);
    }
    chmod(dir, 0755);
    unlink(path);
    rmdir(dir);
    CHECK(rmdir(dir) != 0); /* already gone: no temporary file was left in it */
    gb_destroy(h);
    gb_destroy(g);

    /* No battery: nothing to save. */
    make_rom(0x02, 0x02); /* MBC1 + RAM, no battery */
    g = gb_create(rom, sizeof rom, &(gb_config){0}, err, sizeof err);
    CHECK_EQ(gb_battery_size(g), 0);
    CHECK_EQ(pl_sav_write(g, "/nonexistent/x.sav", 0, err, sizeof err), 1);
    gb_destroy(g);
    /* MBC1 + RAM + battery: RAM only. */
    make_rom(0x03, 0x02);
    g = gb_create(rom, sizeof rom, &(gb_config){0}, err, sizeof err);
    CHECK_EQ(gb_battery_size(g), 8192);
    gb_destroy(g);
}

static void test_keymap(void) {
    pl_keymap k;
    char err[400];
    pl_keymap_default(&k);
    CHECK(!strcmp(k.keys[PL_ACT_A][0], "X"));
    CHECK(!strcmp(k.keys[PL_ACT_DUMP][0], "F12"));
    CHECK_EQ(k.palette, PL_PAL_DMG);
    CHECK_EQ(pl_keymap_parse(&k,
                             "# my keys\n a = K , Left Ctrl\nSTART=Space # comment\n\n"
                             "palette = pocket\nscale=3\n",
                             "play.conf", err, sizeof err),
             0);
    CHECK(!strcmp(k.keys[PL_ACT_A][0], "K"));
    CHECK(!strcmp(k.keys[PL_ACT_A][1], "Left Ctrl"));
    CHECK(!k.keys[PL_ACT_A][2][0]);
    CHECK(!strcmp(k.keys[PL_ACT_START][0], "Space"));
    CHECK(!strcmp(k.keys[PL_ACT_B][0], "Z")); /* untouched */
    CHECK_EQ(k.palette, PL_PAL_POCKET);
    CHECK_EQ(k.scale, 3);
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"a X", "play.conf:1: expected NAME = VALUE"},
        {"\n\njump = X", "play.conf:3: unknown setting 'jump'"},
        {"a =", "play.conf:1: 'a' has no value"},
        {"a = X,,Y", "empty key name"},
        {"a = 1,2,3,4,5", "at most 4 keys"},
        {"palette = pink", "unknown palette 'pink'"},
        {"scale = 0", "scale wants 1 to 10"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pl_keymap before = k;
        err[0] = 0;
        CHECK_EQ(pl_keymap_parse(&k, bad[i].text, "play.conf", err, sizeof err), -EINVAL);
        CHECK(strstr(err, bad[i].want) != NULL);
        CHECK(!memcmp(&before, &k, sizeof k)); /* unchanged */
    }
    char path[300];
    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    CHECK_EQ(pl_keymap_path(path, sizeof path), 0);
    CHECK(!strcmp(path, "/x/cfg/ceres/play.conf"));
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", "/home/u", 1);
    CHECK_EQ(pl_keymap_path(path, sizeof path), 0);
    CHECK(!strcmp(path, "/home/u/.config/ceres/play.conf"));
    CHECK_EQ(pl_keymap_load(&k, "/nonexistent/play.conf", err, sizeof err), 1);
    CHECK_EQ(pl_palette_colors(PL_PAL_GRAY)[3], 0);
}

/* Presses land at varying points of their frames (on a line that changes
 * from frame to frame), the same in every run. */
static void test_press_offset(void) {
    unsigned lines[154] = {0}, distinct = 0;
    for (uint64_t f = 0; f < 1000; f++) {
        uint32_t o = pl_press_offset(f);
        CHECK(o < PL_FRAME_CYCLES);
        CHECK_EQ(o, pl_press_offset(f));
        if (!lines[o / 456]++) distinct++;
    }
    CHECK(distinct > 140);
}

int main(void) {
    test_press_offset();
    test_script();
    test_movie();
    test_battery();
    test_keymap();
    return test_result();
}
