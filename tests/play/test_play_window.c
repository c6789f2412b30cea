/* `ceres play` in a real X window (under xvfb-run, skipped when it is not
 * installed): the window, read back as rendered, is the frame buffer scaled
 * by a whole number with square pixels, in the chosen palette. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    const char *bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    if (system("command -v xvfb-run >/dev/null 2>&1") != 0)
        TEST_SKIP("xvfb-run is not installed (Debian: apt-get install xvfb): no real window "
                  "to check");
    char rom[1024];
    snprintf(rom, sizeof rom, "%s/little-things-gb/tellinglys.gb", rn_default_rom_root());
    if (access(rom, R_OK)) TEST_SKIP("test ROMs not found (set CERES_TESTROMS)");
    char dir[] = "/tmp/ceres-window-XXXXXX";
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env -u SDL_VIDEODRIVER SDL_AUDIODRIVER=dummy xvfb-run -a -s "
             "'-screen 0 1024x768x24' '%s' play '%s' --frames 120 --fast --no-save --palette "
             "gray --scale 3 --screenshot fb.png --window-shot win.png >out.txt 2>err.txt",
             dir, bin, rom);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char p[256], err[300];
    uint8_t *fb = NULL, *win = NULL;
    unsigned fw = 0, fh = 0, ww = 0, wh = 0;
    snprintf(p, sizeof p, "%s/fb.png", dir);
    CHECK_EQ(rn_png_read_rgb(p, &fb, &fw, &fh, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/win.png", dir);
    CHECK_EQ(rn_png_read_rgb_max(p, 1024, &win, &ww, &wh, err, sizeof err), 0);
    CHECK(fw == 160 && fh == 144);
    CHECK(ww == 480 && wh == 432);
    if (fb && win && fw == 160 && fh == 144 && ww == 480 && wh == 432) {
        unsigned bad = 0, dark = 0;
        for (unsigned y = 0; y < wh; y++)
            for (unsigned x = 0; x < ww; x++) {
                const uint8_t *w = win + 3 * ((size_t)y * ww + x);
                const uint8_t *f = fb + 3 * ((size_t)(y / 3) * 160 + x / 3);
                bad += memcmp(w, f, 3) != 0;
                dark += f[0] < 0x80;
            }
        CHECK_EQ(bad, 0);
        CHECK(dark > 1000); /* the title screen, not a blank frame */
    }
    free(fb);
    free(win);
    if (!check_failures_) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK_EQ(system(cmd), 0);
    }
    return test_result();
}
