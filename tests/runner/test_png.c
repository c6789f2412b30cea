/* PNG I/O: write a frame of shades, read it back as RGB, compare; the
 * screenshot comparison finds a single differing pixel; errors on missing
 * or broken files; the dmg-acid2 reference (a 2-bit grayscale PNG) reads as
 * the four DMG shades when the test ROMs are at hand. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A reference image of a few bytes that declares a huge picture (an RGBA
 * IHDR of w x h, an empty IDAT, IEND) is refused from its header, at once,
 * without allocating its pixels; so are a FIFO and a directory. */
static void huge_reference(const char *dir) {
    static const uint32_t dims[][2] = {{30000, 30000}, {4096, 4096}, {257, 144}, {160, 1000}};
    for (size_t k = 0; k < sizeof dims / sizeof *dims; k++) {
        uint8_t png[64];
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
        memcpy(png, sig, 8);
        be32(png + 8, 13);
        memcpy(png + 12, "IHDR", 4);
        be32(png + 16, dims[k][0]);
        be32(png + 20, dims[k][1]);
        png[24] = 8; /* bit depth */
        png[25] = 6; /* RGBA */
        png[26] = png[27] = png[28] = 0;
        be32(png + 29, (uint32_t)crc32(0, png + 12, 17));
        be32(png + 33, 0);
        memcpy(png + 37, "IDAT", 4);
        be32(png + 41, (uint32_t)crc32(0, png + 37, 4));
        be32(png + 45, 0);
        memcpy(png + 49, "IEND", 4);
        be32(png + 53, (uint32_t)crc32(0, png + 49, 4));
        char path[300], err[256] = "";
        snprintf(path, sizeof path, "%s/huge.png", dir);
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(png, 1, 57, f) == 57);
        if (f) fclose(f);
        uint8_t *rgb = NULL;
        unsigned w = 0, h = 0;
        clock_t t0 = clock();
        CHECK(rn_png_read_rgb(path, &rgb, &w, &h, err, sizeof err) != 0);
        double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
        printf("%ux%u: %s (%.3f s)\n", dims[k][0], dims[k][1], err, cpu);
        CHECK(strstr(err, "a screen comparison reads at most 256x256") != NULL);
        CHECK(cpu < 0.05);
        CHECK(rgb == NULL);
        unlink(path);
    }
    char path[300], err[256] = "";
    snprintf(path, sizeof path, "%s/fifo.png", dir);
    CHECK_EQ(mkfifo(path, 0644), 0);
    uint8_t *rgb = NULL;
    unsigned w, h;
    CHECK(rn_png_read_rgb(path, &rgb, &w, &h, err, sizeof err) != 0); /* no hang */
    CHECK(strstr(err, "not a regular file") != NULL);
    unlink(path);
    CHECK(rn_png_read_rgb(dir, &rgb, &w, &h, err, sizeof err) != 0);
    CHECK(strstr(err, "is a directory") != NULL);
}

int main(void) {
    char dir[] = "/tmp/ceres-png-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/frame.png", dir);
    huge_reference(dir);

    uint8_t frame[GB_LCD_W * GB_LCD_H];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof frame; i++) {
        x = x * 1103515245u + 12345u;
        frame[i] = (uint8_t)((x >> 16) & 3);
    }
    CHECK_EQ(rn_png_write_shades(path, frame, GB_LCD_W, GB_LCD_H), 0);
    uint8_t *rgb = NULL;
    unsigned w = 0, h = 0;
    CHECK_EQ(rn_png_read_rgb(path, &rgb, &w, &h, err, sizeof err), 0);
    CHECK_EQ(w, GB_LCD_W);
    CHECK_EQ(h, GB_LCD_H);
    if (rgb) {
        /* Exact shades: #FFFFFF #AAAAAA #555555 #000000. */
        static const uint8_t g[4] = {0xFF, 0xAA, 0x55, 0x00};
        unsigned wrong = 0;
        for (size_t i = 0; i < sizeof frame; i++)
            wrong += rgb[3 * i] != g[frame[i]] || rgb[3 * i + 1] != g[frame[i]] ||
                     rgb[3 * i + 2] != g[frame[i]];
        CHECK_EQ(wrong, 0);
        CHECK_EQ(rn_screen_diff(frame, rgb, w, h, NULL, NULL), 0);
        unsigned fx = 0, fy = 0;
        frame[37 * GB_LCD_W + 101] ^= 1;
        CHECK_EQ(rn_screen_diff(frame, rgb, w, h, &fx, &fy), 1);
        CHECK_EQ(fx, 101);
        CHECK_EQ(fy, 37);
        frame[37 * GB_LCD_W + 101] ^= 1;
        /* A coloured pixel never matches a gray shade. */
        rgb[0] = 0x12;
        CHECK_EQ(rn_screen_diff(frame, rgb, w, h, &fx, &fy), 1);
        free(rgb);
    }

    /* Errors: missing file, not a PNG, truncated PNG, unwritable path. */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none.png", dir);
    CHECK(rn_png_read_rgb(missing, &rgb, &w, &h, err, sizeof err) < 0);
    CHECK(rgb == NULL);
    CHECK(strstr(err, "none.png") != NULL);
    char junk[300];
    snprintf(junk, sizeof junk, "%s/junk.png", dir);
    CHECK_EQ(rn_write_file(junk, "not a png at all", 16), 0);
    CHECK(rn_png_read_rgb(junk, &rgb, &w, &h, err, sizeof err) < 0);
    uint8_t *data;
    size_t size;
    CHECK_EQ(rn_read_file(path, &data, &size), 0);
    CHECK_EQ(rn_write_file(junk, data, size / 2), 0);
    CHECK(rn_png_read_rgb(junk, &rgb, &w, &h, err, sizeof err) < 0);
    free(data);
    char nodir[300];
    snprintf(nodir, sizeof nodir, "%s/no/such/dir.png", dir);
    CHECK(rn_png_write_shades(nodir, frame, GB_LCD_W, GB_LCD_H) < 0);
    unlink(junk);
    unlink(path);
    rmdir(dir);

    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    char ref[4096];
    snprintf(ref, sizeof ref, "%s/dmg-acid2/dmg-acid2-dmg.png", roms ? roms : "");
    if (roms && access(ref, R_OK) == 0) {
        CHECK_EQ(rn_png_read_rgb(ref, &rgb, &w, &h, err, sizeof err), 0);
        CHECK_EQ(w, 160);
        CHECK_EQ(h, 144);
        unsigned other = 0, used = 0;
        for (size_t i = 0; rgb && i < (size_t)w * h; i++) {
            uint8_t v = rgb[3 * i];
            bool gray = rgb[3 * i + 1] == v && rgb[3 * i + 2] == v;
            bool shade = v == 0xFF || v == 0xAA || v == 0x55 || v == 0x00;
            other += !(gray && shade);
            used |= 1u << (v == 0xFF ? 0 : v == 0xAA ? 1 : v == 0x55 ? 2 : 3);
        }
        CHECK_EQ(other, 0);
        CHECK_EQ(used, 0xF);
        free(rgb);
    } else {
        printf("note: dmg-acid2 reference not found, skipped that part\n");
    }
    return test_result();
}
