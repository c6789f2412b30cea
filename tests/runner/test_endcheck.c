/* The checks judged at the end of a run (gambatte's conventions) and the
 * ROM reader:
 * - hex glyphs: a glyph file parses (and malformed ones are refused with the
 *   line); a synthesized frame with the right digits passes, a wrong digit,
 *   a grey pixel or a shifted glyph fails, and the message says what the
 *   screen shows; gambatte's own hexglyphs.txt parses when the ROMs are here;
 * - audio: a machine whose APU is off (silent) passes audio0 and fails
 *   audio1; one playing a square wave passes audio1 and fails audio0, through
 *   the runner's own check loop;
 * - ROM files: a gzip-compressed ROM runs like the plain one, a ROM with the
 *   CGB flag ($0143 = $C0) runs on the DMG, a ROM that inflates past 8 MiB is
 *   refused as too large. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "runner/runner.h"
#include "testrom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Glyphs made up for the test (not gambatte's): digit d has row 0 white and
 * rows 1..7 = d * 7 + row, so every glyph differs. */
static void make_glyph_text(char *buf, size_t len, rn_hexglyphs *want) {
    size_t o = (size_t)snprintf(buf, len, "# test glyphs\n\n");
    for (int d = 0; d < 16; d++) {
        o += (size_t)snprintf(buf + o, len - o, "digit %X\n", d);
        for (int r = 0; r < 8; r++) {
            uint8_t bits = r ? (uint8_t)(d * 7 + r) : 0;
            want->rows[d][r] = bits;
            for (int x = 7; x >= 0; x--)
                buf[o++] = (bits >> x) & 1 ? '#' : '.';
            buf[o++] = '\n';
        }
        buf[o++] = '\n';
        buf[o] = 0;
    }
}

static void draw(uint8_t *frame, const rn_hexglyphs *g, const char *digits) {
    memset(frame, 0, GB_LCD_W * GB_LCD_H);
    for (size_t i = 0; digits[i]; i++) {
        int d = digits[i] <= '9' ? digits[i] - '0' : digits[i] - 'A' + 10;
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                frame[y * GB_LCD_W + 8 * i + (size_t)x] = (g->rows[d][y] >> (7 - x)) & 1 ? 3 : 0;
    }
}

static void test_glyphs(void) {
    static char text[4096];
    rn_hexglyphs want, g;
    char err[200], msg[200];
    make_glyph_text(text, sizeof text, &want);
    CHECK_EQ(rn_hexglyphs_parse(text, &g, err, sizeof err), 0);
    CHECK(!memcmp(&g, &want, sizeof g));

    static uint8_t frame[GB_LCD_W * GB_LCD_H];
    draw(frame, &g, "E0");
    CHECK(rn_hex_match(frame, &g, "E0", msg, sizeof msg));
    CHECK(strstr(msg, "E0") != NULL);
    CHECK(rn_hex_match(frame, &g, "e0", msg, sizeof msg)); /* file names mix cases */
    CHECK(!rn_hex_match(frame, &g, "E1", msg, sizeof msg));
    CHECK(strstr(msg, "shows E0, want E1") != NULL);
    CHECK(!rn_hex_match(frame, &g, "E0F", msg, sizeof msg)); /* the third tile is blank */
    CHECK(strstr(msg, "shows E0?") != NULL);
    /* Glyph white must be the lightest shade, black the darkest. */
    frame[3 * GB_LCD_W + 1] = frame[3 * GB_LCD_W + 1] ? 2 : 1;
    CHECK(!rn_hex_match(frame, &g, "E0", msg, sizeof msg));
    CHECK(strstr(msg, "shows ?0") != NULL);
    /* One pixel to the right is another picture. */
    draw(frame, &g, "E0");
    memmove(frame + 1, frame, GB_LCD_W * GB_LCD_H - 1);
    frame[0] = 0;
    CHECK(!rn_hex_match(frame, &g, "E0", msg, sizeof msg));
    /* Bad digits in the expectation never pass. */
    draw(frame, &g, "00");
    CHECK(!rn_hex_match(frame, &g, "", msg, sizeof msg));

    /* Malformed glyph files. */
    char *bad = strdup(text);
    char *row = strstr(bad, "digit 3\n") + 8;
    row[2] = 'x';
    CHECK(rn_hexglyphs_parse(bad, &g, err, sizeof err) != 0);
    CHECK(strstr(err, "line") && strstr(err, "8 characters"));
    free(bad);
    bad = strdup(text);
    strstr(bad, "digit F")[6] = '1'; /* digit 1 twice, no F */
    CHECK(rn_hexglyphs_parse(bad, &g, err, sizeof err) != 0);
    free(bad);
    CHECK(rn_hexglyphs_parse("digit 0\n........\n", &g, err, sizeof err) != 0);
    CHECK(rn_hexglyphs_parse("hello\n", &g, err, sizeof err) != 0);

    /* gambatte's own file, when the ROMs are here. */
    char path[4200];
    snprintf(path, sizeof path, "%s/gambatte/hexglyphs.txt", rn_default_rom_root());
    if (access(path, R_OK) == 0) {
        CHECK_EQ(rn_hexglyphs_load(path, &g, err, sizeof err), 0);
        /* Its convention: row 0 of every glyph is white. */
        for (int d = 0; d < 16; d++)
            CHECK_EQ(g.rows[d][0], 0);
    } else {
        printf("note: %s absent, gambatte's glyph file not checked\n", path);
    }
}

static char dir[] = "/tmp/ceres-endcheck-XXXXXX";

static void write_rom(const char *name, const uint8_t *rom, size_t n, bool gz) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        CHECK(f != NULL);
        if (!f) return;
        /* In pieces: gzwrite takes an unsigned length. */
        for (size_t o = 0; o < n; o += 1u << 20) {
            unsigned k = (unsigned)(n - o < (1u << 20) ? n - o : (1u << 20));
            CHECK_EQ(gzwrite(f, rom + o, k), (int)k);
        }
        CHECK_EQ(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (!f) return;
        CHECK_EQ(fwrite(rom, 1, n, f), n);
        fclose(f);
    }
}

static rn_status run_check(const char *name, const char *spec, char *msg, size_t len) {
    rn_test t;
    memset(&t, 0, sizeof t);
    char err[200];
    CHECK_EQ(rn_check_parse(spec, &t.check, err, sizeof err), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    t.suite = "unit";
    t.rom = path;
    t.limit_cycles = 15ull * RN_CYCLES_PER_FRAME;
    t.limit_text = "15f";
    rn_opts o;
    rn_opts_default(&o);
    o.out_dir = NULL;
    o.trace_bytes = 0;
    o.jobs = 1;
    rn_result res;
    rn_run_one(&t, &o, &res);
    snprintf(msg, len, "%s", res.message);
    rn_check_free(&t.check);
    return res.status;
}

/* ld a,0; ldh ($26),a (NR52: APU off); jr -2 */
static const uint8_t silent[] = {0x3E, 0x00, 0xE0, 0x26, 0x18, 0xFE};
/* Square 1 at full volume, 50 % duty, frequency $700 (a step every 1024
 * T-cycles), routed to both sides (NR51 after boot = $F3): NR12 = $F0,
 * NR11 = $80, NR13 = $00, NR14 = $87 (trigger); jr -2 */
static const uint8_t playing[] = {0x3E, 0xF0, 0xE0, 0x12, 0x3E, 0x80, 0xE0, 0x11, 0x3E,
                                  0x00, 0xE0, 0x13, 0x3E, 0x87, 0xE0, 0x14, 0x18, 0xFE};

static void test_audio_and_files(void) {
    static uint8_t rom[TESTROM_SIZE];
    char msg[RN_MSG_MAX];
    testrom_build(rom, silent, sizeof silent);
    write_rom("silent.gb", rom, sizeof rom, false);
    write_rom("silent.gb.gz", rom, sizeof rom, true);
    testrom_build(rom, playing, sizeof playing);
    write_rom("playing.gb", rom, sizeof rom, false);
    /* A CGB-flagged cartridge ($0143 = $C0, CGB only) runs as a DMG one. */
    rom[0x143] = 0xC0;
    testrom_fix_checksum(rom);
    write_rom("playing.gbc.gz", rom, sizeof rom, true);

    CHECK_EQ(run_check("silent.gb", "audio0", msg, sizeof msg), RN_PASS);
    CHECK(strstr(msg, "constant") != NULL);
    CHECK_EQ(run_check("silent.gb", "audio1", msg, sizeof msg), RN_FAIL);
    CHECK_EQ(run_check("silent.gb.gz", "audio0", msg, sizeof msg), RN_PASS);
    CHECK_EQ(run_check("playing.gb", "audio1", msg, sizeof msg), RN_PASS);
    CHECK_EQ(run_check("playing.gb", "audio0", msg, sizeof msg), RN_FAIL);
    CHECK(strstr(msg, "changed") != NULL);
    CHECK_EQ(run_check("playing.gbc.gz", "audio1", msg, sizeof msg), RN_PASS);

    /* The reader: plain and gzip give the same bytes. */
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    char err[200], path[256];
    snprintf(path, sizeof path, "%s/silent.gb", dir);
    CHECK_EQ(rn_read_rom(path, &a, &na, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/silent.gb.gz", dir);
    CHECK_EQ(rn_read_rom(path, &b, &nb, err, sizeof err), 0);
    CHECK(na == TESTROM_SIZE && nb == TESTROM_SIZE && a && b && !memcmp(a, b, na));
    free(a);
    free(b);
    snprintf(path, sizeof path, "%s/absent.gb", dir);
    CHECK_EQ(rn_read_rom(path, &a, &na, err, sizeof err), -ENOENT);

    /* 8 MiB + 1 inflated from a small file: refused without keeping more
     * than the limit. Exactly 8 MiB is accepted. */
    uint8_t *big = calloc(1, GB_ROM_MAX_SIZE + 1);
    CHECK(big != NULL);
    if (big) {
        write_rom("big.gb.gz", big, GB_ROM_MAX_SIZE + 1, true);
        write_rom("max.gb.gz", big, GB_ROM_MAX_SIZE, true);
        free(big);
        snprintf(path, sizeof path, "%s/big.gb.gz", dir);
        struct stat st;
        CHECK(stat(path, &st) == 0 && st.st_size < 100000);
        CHECK_EQ(rn_read_rom(path, &a, &na, err, sizeof err), -EFBIG);
        CHECK(strstr(err, "ROM too large") != NULL);
        CHECK(a == NULL);
        snprintf(path, sizeof path, "%s/max.gb.gz", dir);
        CHECK_EQ(rn_read_rom(path, &a, &na, err, sizeof err), 0);
        CHECK_EQ(na, GB_ROM_MAX_SIZE);
        free(a);
    }
    const char *names[] = {"silent.gb",      "silent.gb.gz", "playing.gb",
                           "playing.gbc.gz", "big.gb.gz",    "max.gb.gz"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
}

int main(void) {
    test_glyphs();
    CHECK(mkdtemp(dir) != NULL);
    test_audio_and_files();
    rmdir(dir);
    return test_result();
}
