/* `ceres test --html`: a report of a real run (two small suites: passes, a
 * screenshot mismatch against the CGB reference, a deliberate timeout)
 * loaded in headless Chromium; the DOM it builds must hold the suite table,
 * both failures with their images, state and trace links, and the passes
 * as a grid. The difference image must count the pixels the runner found. */
#define _GNU_SOURCE /* mkdtemp, memmem */
#include "check.h"

#include "runner/runner.h"

#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned count(const char *s, const char *needle) {
    unsigned n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static int b64v(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode the data: URI of the first <img class="CLS"> into a file. */
static bool save_img(const char *html, const char *cls, const char *path) {
    char key[64];
    snprintf(key, sizeof key, "class=\"%s\"", cls);
    const char *p = strstr(html, key);
    if (!p || !(p = strstr(p, "base64,"))) return false;
    p += 7;
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    uint32_t acc = 0;
    int bits = 0;
    for (; b64v(*p) >= 0; p++) {
        acc = acc << 6 | (uint32_t)b64v(*p);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            fputc((int)((acc >> bits) & 0xFF), f);
        }
    }
    fclose(f);
    return true;
}

int main(void) {
    const char *bin = getenv("CERES_BIN");
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    if (!bin || access(bin, X_OK) != 0) TEST_SKIP("CERES_BIN is not set to the ceres binary");
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/dmg-acid2/dmg-acid2-cgb.png", roms ? roms : "");
    if (!roms || access(probe, R_OK) != 0)
        TEST_SKIP("test ROMs not found (set CERES_TESTROMS): need dmg-acid2 and blargg "
                  "cpu_instrs");
    if (sh("command -v chromium >/dev/null 2>&1") != 0)
        TEST_SKIP("chromium not installed (Debian package chromium): cannot load the report");
    snprintf(dir, sizeof dir, "%s/ceres-html-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) return 1;

    char path[512];
    snprintf(path, sizeof path, "%s/pass.suite", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return test_result();
    fputs("suite pass\n"
          "test \"blargg/cpu_instrs/individual/06-ld r,r.gb\" blargg-serial 30s dmg pass\n"
          "test \"blargg/cpu_instrs/individual/01-special.gb\" blargg-serial 30s dmg pass\n"
          "test \"blargg/cpu_instrs/individual/04-op r,imm.gb\" blargg-serial 30s dmg pass\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/fail.suite", dir);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return test_result();
    /* The DMG picture against the CGB reference: a screenshot failure. */
    fputs("suite fail\n"
          "test dmg-acid2/dmg-acid2.gb screenshot=dmg-acid2/dmg-acid2-cgb.png 10s dmg pass\n"
          "test blargg/cpu_instrs/individual/02-interrupts.gb blargg-serial 0.05s dmg "
          "fail \"a limit too short on purpose\"\n",
          f);
    fclose(f);

    /* One result differs from its expectation: exit status 1. */
    CHECK_EQ(sh("cd '%s' && '%s' test --suites . --roms '%s' --out out --html r/report.html "
                ">run.txt 2>&1",
                dir, bin, roms),
             1);
    CHECK_EQ(sh("cd '%s' && timeout 120 chromium --headless --no-sandbox --disable-gpu "
                "--disable-background-networking --disable-component-update --disable-sync "
                "--no-first-run --user-data-dir=\"$(mktemp -d)\" --dump-dom "
                "\"file://$PWD/r/report.html\" >dom.html 2>/dev/null",
                dir),
             0);
    snprintf(path, sizeof path, "%s/dom.html", dir);
    uint8_t *dom = NULL;
    size_t n = 0;
    CHECK_EQ(rn_read_file(path, &dom, &n), 0);
    if (!dom) return test_result();
    const char *d = (const char *)dom;
    CHECK(strstr(d, "<table class=\"suites\">") != NULL);
    CHECK(strstr(d, "<td>fail</td><td>2</td><td>0</td><td>1</td><td>1</td>") != NULL);
    CHECK(strstr(d, "<td>pass</td><td>3</td><td>3</td><td>0</td>") != NULL);
    CHECK_EQ(count(d, "<section class=\"failure"), 2);
    CHECK_EQ(count(d, "<section class=\"failure known\""), 1);
    CHECK_EQ(count(d, "<img class=\"screen\""), 2);
    CHECK_EQ(count(d, "<img class=\"reference\""), 1);
    CHECK_EQ(count(d, "<img class=\"diff\""), 1);
    CHECK_EQ(count(d, "<pre class=\"state\">"), 2);
    CHECK(count(d, "<a class=\"trace\"") >= 4);
    CHECK_EQ(count(d, "<span class=\"pass\""), 3);
    CHECK(strstr(d, "title=\"pass / blargg/cpu_instrs/individual/06-ld r,r.gb\">06-ld r,r.gb<") !=
          NULL);
    CHECK(strstr(d, "a limit too short on purpose") != NULL);

    /* Trace links are relative to the report and lead to the files. */
    const char *h = strstr(d, "<a class=\"trace\" href=\"");
    if (h) {
        h += strlen("<a class=\"trace\" href=\"");
        char href[512];
        size_t l = strcspn(h, "\"");
        snprintf(href, sizeof href, "%s/r/%.*s", dir, (int)(l < 400 ? l : 400), h);
        CHECK(strncmp(h, "../out/failures/fail/", 21) == 0);
        CHECK(access(href, R_OK) == 0);
    }

    /* The difference image: 160x144, red where the runner counted pixels
     * differing from the reference ("in N pixels" in its message). */
    const char *m = strstr(d, "differs from dmg-acid2/dmg-acid2-cgb.png in ");
    CHECK(m != NULL);
    unsigned want =
        m ? (unsigned)strtoul(m + strlen("differs from dmg-acid2/dmg-acid2-cgb.png in "), NULL, 10)
          : 0;
    snprintf(path, sizeof path, "%s/diff.png", dir);
    CHECK(save_img(d, "diff", path));
    uint8_t *rgb = NULL;
    unsigned w = 0, hh = 0, red = 0;
    char err[128];
    CHECK_EQ(rn_png_read_rgb(path, &rgb, &w, &hh, err, sizeof err), 0);
    CHECK_EQ(w, 160);
    CHECK_EQ(hh, 144);
    for (size_t i = 0; rgb && i < (size_t)w * hh; i++)
        red += rgb[3 * i] == 0xE0 && rgb[3 * i + 1] == 0x10 && rgb[3 * i + 2] == 0x10;
    CHECK(want > 0);
    CHECK_EQ(red, want);
    free(rgb);
    free(dom);

    /* A screenshot of the page, for people to look at (kept when
     * CERES_HTML_SHOT names a file). */
    const char *shot = getenv("CERES_HTML_SHOT");
    if (shot)
        CHECK_EQ(sh("cd '%s' && timeout 120 chromium --headless --no-sandbox --disable-gpu "
                    "--disable-background-networking --disable-component-update --disable-sync "
                    "--no-first-run --user-data-dir=\"$(mktemp -d)\" --window-size=1200,1800 "
                    "--screenshot='%s' \"file://$PWD/r/report.html\" >/dev/null 2>&1",
                    dir, shot),
                 0);
    sh("rm -rf '%s'", dir);
    return test_result();
}
