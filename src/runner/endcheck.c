/* Checks judged once at the end of a run, as gambatte's hardware tests are
 * (its test/testrunner.cpp, described in the suite's README): the result as
 * hex digits drawn in the top-left tiles, and whether the last frame's sound
 * output was constant. The glyphs are read at run time from the suite's own
 * hexglyphs.txt, so nothing of them is kept here. */
#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool rn_check_at_end(rn_check_kind k) {
    return k == RN_CHECK_HEX || k == RN_CHECK_AUDIO0 || k == RN_CHECK_AUDIO1 || k == RN_CHECK_FRAME;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Format: outside a glyph, blank lines and lines starting with '#' are
 * skipped; "digit X" (X a hex digit) starts a glyph whose next 8 lines are
 * its rows, 8 characters each, '.' white and '#' black. Every digit once. */
int rn_hexglyphs_parse(const char *text, rn_hexglyphs *g, char *err, size_t errlen) {
    memset(g, 0, sizeof *g);
    unsigned seen = 0;
    int line = 0, digit = -1, row = 0;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && p[n - 1] == '\r') n--;
        line++;
        if (digit >= 0) {
            if (n != 8) {
                snprintf(err, errlen, "line %d: a glyph row has 8 characters '.' or '#'", line);
                return -EINVAL;
            }
            uint8_t bits = 0;
            for (size_t i = 0; i < 8; i++) {
                if (p[i] != '.' && p[i] != '#') {
                    snprintf(err, errlen, "line %d: a glyph row has 8 characters '.' or '#'", line);
                    return -EINVAL;
                }
                bits = (uint8_t)(bits << 1 | (p[i] == '#'));
            }
            g->rows[digit][row++] = bits;
            if (row == 8) digit = -1;
        } else if (n >= 7 && !strncmp(p, "digit ", 6)) {
            int d = n == 7 ? hexval(p[6]) : -1;
            if (d < 0 || (seen >> d & 1)) {
                snprintf(err, errlen, "line %d: want \"digit X\" with a new hex digit X", line);
                return -EINVAL;
            }
            seen |= 1u << d;
            digit = d;
            row = 0;
        } else if (n && p[0] != '#') {
            snprintf(err, errlen, "line %d: want \"digit X\", a comment or a blank line", line);
            return -EINVAL;
        }
        p += e ? (size_t)(e - p) + 1 : strlen(p);
    }
    if (digit >= 0 || seen != 0xFFFF) {
        snprintf(err, errlen, "%s",
                 digit >= 0 ? "the last glyph has fewer than 8 rows"
                            : "not every hex digit has a glyph");
        return -EINVAL;
    }
    return 0;
}

int rn_hexglyphs_load(const char *path, rn_hexglyphs *g, char *err, size_t errlen) {
    uint8_t *data;
    size_t size;
    int rc = rn_read_file(path, &data, &size);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    char msg[200];
    rc = rn_hexglyphs_parse((const char *)data, g, msg, sizeof msg);
    if (rc) snprintf(err, errlen, "%s: %s", path, msg);
    free(data);
    return rc;
}

/* The tile at x = 8i as a glyph: its digit, or -1 when any pixel is neither
 * white nor black or the pattern is no glyph. */
static int read_tile(const uint8_t *shades, const rn_hexglyphs *g, unsigned i) {
    uint8_t rows[8];
    for (unsigned y = 0; y < 8; y++) {
        uint8_t bits = 0;
        for (unsigned x = 0; x < 8; x++) {
            uint8_t s = shades[y * GB_LCD_W + 8 * i + x] & 3;
            if (s != 0 && s != 3) return -1;
            bits = (uint8_t)(bits << 1 | (s == 3));
        }
        rows[y] = bits;
    }
    for (int d = 0; d < 16; d++)
        if (!memcmp(rows, g->rows[d], 8)) return d;
    return -1;
}

bool rn_hex_match(const uint8_t *shades, const rn_hexglyphs *g, const char *digits, char *msg,
                  size_t msglen) {
    size_t n = strlen(digits);
    if (n == 0 || n > GB_LCD_W / 8) {
        snprintf(msg, msglen, "bad expected digits '%s'", digits);
        return false;
    }
    char shown[GB_LCD_W / 8 + 1];
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        int want = hexval(digits[i]), got = read_tile(shades, g, (unsigned)i);
        shown[i] = got < 0 ? '?' : "0123456789ABCDEF"[got];
        if (want < 0 || got != want) ok = false;
    }
    shown[n] = 0;
    if (ok)
        snprintf(msg, msglen, "screen shows %s", shown);
    else
        snprintf(msg, msglen, "screen shows %s, want %s", shown, digits);
    return ok;
}
