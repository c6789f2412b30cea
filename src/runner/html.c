/* The HTML report: see html.h. */
#define _DEFAULT_SOURCE /* realpath */
#include "html.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- small writers -------------------------------------------------------- */

static void esc(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f); break;
        }
    }
}

static void base64(FILE *f, const uint8_t *p, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        fputc(tab[v >> 18], f);
        fputc(tab[(v >> 12) & 63], f);
        fputc(i + 1 < n ? tab[(v >> 6) & 63] : '=', f);
        fputc(i + 2 < n ? tab[v & 63] : '=', f);
    }
}

/* ---- PNG encoding (RGB, 8 bits, no interlace) --------------------------------- */

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Append a chunk: length, type, data, CRC over type and data. */
static size_t chunk(uint8_t *out, const char *type, const uint8_t *data, size_t n) {
    be32(out, (uint32_t)n);
    memcpy(out + 4, type, 4);
    if (n) memcpy(out + 8, data, n);
    be32(out + 8 + n, (uint32_t)crc32(crc32(0, out + 4, 4), data, (uInt)n));
    return n + 12;
}

int rn_png_encode_rgb(const uint8_t *rgb, unsigned w, unsigned h, uint8_t **out, size_t *outlen) {
    size_t row = (size_t)w * 3 + 1, raw_n = row * h;
    uint8_t *raw = malloc(raw_n);
    uLongf zn = compressBound((uLong)raw_n);
    uint8_t *z = malloc(zn);
    uint8_t *png = malloc(zn + 64);
    if (!raw || !z || !png) {
        free(raw);
        free(z);
        free(png);
        return -ENOMEM;
    }
    for (unsigned y = 0; y < h; y++) {
        raw[y * row] = 0; /* filter: none */
        memcpy(raw + y * row + 1, rgb + (size_t)y * w * 3, (size_t)w * 3);
    }
    int zr = compress2(z, &zn, raw, (uLong)raw_n, 9);
    free(raw);
    if (zr != Z_OK) {
        free(z);
        free(png);
        return -EIO;
    }
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    uint8_t ihdr[13] = {0};
    be32(ihdr, w);
    be32(ihdr + 4, h);
    ihdr[8] = 8; /* bit depth */
    ihdr[9] = 2; /* colour type: RGB */
    size_t o = 0;
    memcpy(png, sig, 8);
    o = 8;
    o += chunk(png + o, "IHDR", ihdr, 13);
    o += chunk(png + o, "IDAT", z, zn);
    o += chunk(png + o, "IEND", NULL, 0);
    free(z);
    *out = png;
    *outlen = o;
    return 0;
}

/* ---- images --------------------------------------------------------------- */

static void img_bytes(FILE *f, const char *cls, const char *alt, const uint8_t *png, size_t n) {
    fprintf(f, "<figure><img class=\"%s\" alt=\"", cls);
    esc(f, alt);
    fputs("\" src=\"data:image/png;base64,", f);
    base64(f, png, n);
    fputs("\"><figcaption>", f);
    esc(f, alt);
    fputs("</figcaption></figure>\n", f);
}

static bool img_file(FILE *f, const char *cls, const char *alt, const char *path) {
    uint8_t *data;
    size_t n;
    if (rn_read_file(path, &data, &n) != 0) return false;
    img_bytes(f, cls, alt, data, n);
    free(data);
    return true;
}

/* The difference image: pixels that match drawn faded, pixels that differ
 * in red; *ndiff counts the latter. */
static bool img_diff(FILE *f, const char *screen, const char *ref, unsigned *ndiff) {
    uint8_t *a = NULL, *b = NULL, *d = NULL, *png = NULL;
    unsigned wa, ha, wb, hb;
    char err[128];
    size_t n;
    bool ok = false;
    if (rn_png_read_rgb(screen, &a, &wa, &ha, err, sizeof err) ||
        rn_png_read_rgb(ref, &b, &wb, &hb, err, sizeof err) || wa != wb || ha != hb)
        goto out;
    d = malloc((size_t)wa * ha * 3);
    if (!d) goto out;
    *ndiff = 0;
    for (size_t i = 0; i < (size_t)wa * ha; i++) {
        const uint8_t *p = a + 3 * i, *q = b + 3 * i;
        if (p[0] != q[0] || p[1] != q[1] || p[2] != q[2]) {
            d[3 * i] = 0xE0;
            d[3 * i + 1] = d[3 * i + 2] = 0x10;
            ++*ndiff;
        } else {
            for (unsigned c = 0; c < 3; c++)
                d[3 * i + c] = (uint8_t)(0xC0 + p[c] / 4);
        }
    }
    if (rn_png_encode_rgb(d, wa, ha, &png, &n) == 0) {
        char alt[64];
        snprintf(alt, sizeof alt, "difference (%u pixels)", *ndiff);
        img_bytes(f, "diff", alt, png, n);
        ok = true;
    }
out:
    free(a);
    free(b);
    free(d);
    free(png);
    return ok;
}

/* ---- links ---------------------------------------------------------------- */

/* A link from the report's folder to `file`: relative when both resolve,
 * else the path as given. */
static void rel_link(char *buf, size_t len, const char *html_path, const char *file) {
    char dir[PATH_MAX], hd[PATH_MAX], fa[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", html_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, hd) || !realpath(file, fa)) {
        snprintf(buf, len, "%s", file);
        return;
    }
    /* common leading components */
    size_t i = 0, last = 0;
    while (hd[i] && fa[i] && hd[i] == fa[i]) {
        if (hd[i] == '/') last = i;
        i++;
    }
    if (!hd[i] && fa[i] == '/') last = i;
    size_t o = 0;
    buf[0] = 0;
    for (const char *p = hd + last; *p; p++)
        if (*p == '/' && o + 4 < len) {
            memcpy(buf + o, "../", 3);
            o += 3;
        }
    snprintf(buf + o, len - o, "%s", fa + last + 1);
}

/* ---- the page ------------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}"
    "h1{font-size:20px}h2{font-size:17px;margin-top:28px}"
    "table.suites{border-collapse:collapse}"
    "table.suites td,table.suites th{border:1px solid #ccc;padding:3px 10px;text-align:right}"
    "table.suites td:first-child,table.suites th:first-child{text-align:left}"
    "tr.bad td{background:#fde2e2}tr.total td{font-weight:bold}"
    "section.failure{border:1px solid #d99;border-left:6px solid #c33;background:#fff;"
    "margin:16px 0;padding:8px 14px}"
    "section.failure.known{border-color:#cc9;border-left-color:#b90}"
    "section.failure h3{margin:4px 0;font-size:15px}"
    ".msg{font-family:monospace;white-space:pre-wrap}"
    "div.shots{display:flex;gap:16px;flex-wrap:wrap}"
    "figure{margin:6px 0}figure img{width:320px;height:288px;image-rendering:pixelated;"
    "border:1px solid #888}figcaption{font-size:12px;color:#555}"
    "pre.state{background:#f3f3f3;padding:8px;max-height:260px;overflow:auto;font-size:12px}"
    "div.passgrid{display:flex;flex-wrap:wrap;gap:3px}"
    "div.passgrid span.pass{background:#cfe8cf;border:1px solid #8b8;font-size:11px;"
    "padding:1px 5px;border-radius:3px}";

static void suite_table(FILE *f, const rn_test *const *tests, const rn_result *res, size_t n) {
    rn_tally tl[64];
    size_t ns = rn_tally_results(tests, res, n, tl, 64);
    fputs("<table class=\"suites\"><tr><th>suite</th><th>tests</th><th>passed</th>"
          "<th>failed</th><th>timed out</th><th>crashed</th><th>known</th>"
          "<th>regressions</th><th>unexpected passes</th></tr>\n",
          f);
    rn_tally sum = {.suite = "total"};
    for (size_t s = 0; s <= ns; s++) {
        const rn_tally *t = s < ns ? &tl[s] : &sum;
        bool bad = t->regressions || t->unexpected_passes;
        fprintf(f, "<tr class=\"%s\"><td>", s == ns ? "total" : bad ? "bad" : "ok");
        esc(f, t->suite);
        fprintf(f,
                "</td><td>%u</td><td>%u</td><td>%u</td><td>%u</td><td>%u</td><td>%u</td>"
                "<td>%u</td><td>%u</td></tr>\n",
                t->total, t->passed, t->failed, t->timeout, t->crashed, t->known, t->regressions,
                t->unexpected_passes);
        if (s < ns) rn_tally_add(&sum, t);
    }
    fputs("</table>\n", f);
}

static void failure(FILE *f, const char *html_path, const rn_test *t, const rn_result *r,
                    const rn_opts *o, size_t idx) {
    char dir[4096], path[4200], link[8400];
    bool expected = rn_result_expected(t, r);
    fprintf(f, "<section class=\"failure%s\" id=\"t%zu\"><h3>", expected ? " known" : "", idx);
    esc(f, t->suite);
    fputs(" / ", f);
    esc(f, t->rom);
    fprintf(f, " &mdash; %s%s</h3>\n<div class=\"msg\">", rn_status_name(r->status),
            expected ? " (known failure)" : "");
    esc(f, r->message);
    if (t->reason) {
        fputs("\nexpected to fail: ", f);
        esc(f, t->reason);
    }
    fputs("</div>\n<div class=\"shots\">\n", f);
    rn_failure_dir(o, t, dir, sizeof dir);
    rn_path_join(path, sizeof path, dir, "screen.png");
    bool screen = img_file(f, "screen", "screen at the failure", path);
    if (!screen) fputs("<p>no screenshot</p>\n", f);
    if (t->check.kind == RN_CHECK_SCREENSHOT && t->check.ref) {
        char ref[4200];
        rn_path_join(ref, sizeof ref, o->rom_root ? o->rom_root : ".", t->check.ref);
        if (img_file(f, "reference", "reference", ref)) {
            unsigned nd = 0;
            if (screen && !img_diff(f, path, ref, &nd))
                fputs("<p>no difference image (sizes differ or unreadable)</p>\n", f);
        } else {
            fputs("<p>reference image not readable</p>\n", f);
        }
    }
    fputs("</div>\n", f);
    rn_path_join(path, sizeof path, dir, "state.txt");
    uint8_t *state;
    size_t sn;
    if (rn_read_file(path, &state, &sn) == 0) {
        fputs("<pre class=\"state\">", f);
        esc(f, (const char *)state);
        fputs("</pre>\n", f);
        free(state);
    }
    const char *const *traces = rn_failure_files;
    fputs("<ul class=\"traces\">\n", f);
    for (size_t k = 0; k < RN_FAILURE_NTRACES; k++) {
        rn_path_join(path, sizeof path, dir, traces[k]);
        FILE *probe = fopen(path, "rb");
        if (!probe) continue;
        fclose(probe);
        rel_link(link, sizeof link, html_path, path);
        fputs("<li><a class=\"trace\" href=\"", f);
        esc(f, link);
        fputs("\">", f);
        esc(f, traces[k]);
        fputs("</a></li>\n", f);
    }
    fputs("</ul></section>\n", f);
}

int rn_report_html(const char *path, const rn_test *const *tests, const rn_result *res, size_t n,
                   const rn_opts *o) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *slash = strrchr(tmp, '/');
    if (slash && slash != tmp) {
        *slash = 0;
        int e = rn_mkdirs(tmp);
        if (e) return e;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -errno;
    size_t npass = 0, nfail = 0;
    for (size_t i = 0; i < n; i++)
        res[i].status == RN_PASS ? npass++ : nfail++;
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Ceres test report</title><style>%s</style></head><body>\n"
            "<h1>Ceres test report: %zu passed, %zu not passed</h1>\n<h2>Suites</h2>\n",
            css, npass, nfail);
    suite_table(f, tests, res, n);
    fprintf(f, "<h2>Not passed (%zu)</h2>\n", nfail);
    for (size_t i = 0; i < n; i++)
        if (res[i].status != RN_PASS) failure(f, path, tests[i], &res[i], o, i);
    fprintf(f, "<h2>Passed (%zu)</h2>\n<div class=\"passgrid\">\n", npass);
    for (size_t i = 0; i < n; i++) {
        if (res[i].status != RN_PASS) continue;
        const char *base = strrchr(tests[i]->rom, '/');
        fputs("<span class=\"pass\" title=\"", f);
        esc(f, tests[i]->suite);
        fputs(" / ", f);
        esc(f, tests[i]->rom);
        fputs("\">", f);
        esc(f, base ? base + 1 : tests[i]->rom);
        fputs("</span>\n", f);
    }
    fputs("</div>\n</body></html>\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return -EIO;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return -e;
    }
    return 0;
}
