/* The key map and settings file (see keymap.h). */
#include "keymap.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const act_names[PL_ACT_COUNT] = {
    "right",
    "left",
    "up",
    "down",
    "a",
    "b",
    "select",
    "start",
    "pause",
    "frame_advance",
    "fast_forward",
    "save_state",
    "load_state",
    "screenshot",
    "reset",
    "dump",
    "palette",
    "quit",
};

static const char *const defaults[PL_ACT_COUNT][PL_KEYS_PER_ACTION] = {
    [PL_ACT_RIGHT] = {"Right"},
    [PL_ACT_LEFT] = {"Left"},
    [PL_ACT_UP] = {"Up"},
    [PL_ACT_DOWN] = {"Down"},
    [PL_ACT_A] = {"X"},
    [PL_ACT_B] = {"Z"},
    [PL_ACT_SELECT] = {"Backspace", "Right Shift"},
    [PL_ACT_START] = {"Return"},
    [PL_ACT_PAUSE] = {"P", "Pause"},
    [PL_ACT_FRAME_ADVANCE] = {"N"},
    [PL_ACT_FAST_FORWARD] = {"Tab"},
    [PL_ACT_SAVE_STATE] = {"F5"},
    [PL_ACT_LOAD_STATE] = {"F7"},
    [PL_ACT_SCREENSHOT] = {"F9"},
    [PL_ACT_RESET] = {"F3"},
    [PL_ACT_DUMP] = {"F12"},
    [PL_ACT_PALETTE] = {"F10"},
    [PL_ACT_QUIT] = {"Escape"},
};

static const char *const pal_names[PL_PAL_COUNT] = {"dmg", "gray", "pocket", "green"};
static const uint32_t pal_colors[PL_PAL_COUNT][4] = {
    {0xE0F8D0, 0x88C070, 0x346856, 0x081820}, /* the DMG's green-gray LCD */
    {0xFFFFFF, 0xAAAAAA, 0x555555, 0x000000},
    {0xE4E4D8, 0xA8A89C, 0x5C5C50, 0x1C1C14}, /* Game Boy Pocket */
    {0x9BBC0F, 0x8BAC0F, 0x306230, 0x0F380F}, /* saturated pea green */
};

const char *pl_action_name(pl_action a) {
    return a < PL_ACT_COUNT ? act_names[a] : "?";
}

const char *pl_palette_name(int p) {
    return p >= 0 && p < PL_PAL_COUNT ? pal_names[p] : "?";
}

const uint32_t *pl_palette_colors(int p) {
    return pal_colors[p >= 0 && p < PL_PAL_COUNT ? p : 0];
}

int pl_palette_parse(const char *s) {
    for (int i = 0; i < PL_PAL_COUNT; i++)
        if (!strcasecmp(s, pal_names[i])) return i;
    return -1;
}

void pl_keymap_default(pl_keymap *k) {
    memset(k, 0, sizeof *k);
    for (int a = 0; a < PL_ACT_COUNT; a++)
        for (int i = 0; i < PL_KEYS_PER_ACTION && defaults[a][i]; i++)
            snprintf(k->keys[a][i], PL_KEY_NAME_MAX, "%s", defaults[a][i]);
    k->palette = PL_PAL_DMG;
    k->scale = 4;
}

/* Trim spaces at both ends of [*s, *e). */
static void trim(const char **s, const char **e) {
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

int pl_keymap_parse(pl_keymap *out, const char *text, const char *path, char *err, size_t errlen) {
    pl_keymap k = *out;
    unsigned line = 0;
    const char *p = text;
    while (*p) {
        line++;
        const char *ls = p, *le = strchr(p, '\n');
        if (!le) le = p + strlen(p);
        p = *le ? le + 1 : le;
        const char *hash = memchr(ls, '#', (size_t)(le - ls));
        if (hash) le = hash;
        trim(&ls, &le);
        if (ls == le) continue;
        const char *eq = memchr(ls, '=', (size_t)(le - ls));
        if (!eq) {
            snprintf(err, errlen, "%s:%u: expected NAME = VALUE", path, line);
            return -EINVAL;
        }
        const char *ns = ls, *ne = eq, *vs = eq + 1, *ve = le;
        trim(&ns, &ne);
        trim(&vs, &ve);
        char name[40], val[200];
        if ((size_t)(ne - ns) >= sizeof name || (size_t)(ve - vs) >= sizeof val) {
            snprintf(err, errlen, "%s:%u: line too long", path, line);
            return -EINVAL;
        }
        snprintf(name, sizeof name, "%.*s", (int)(ne - ns), ns);
        snprintf(val, sizeof val, "%.*s", (int)(ve - vs), vs);
        if (!*val) {
            snprintf(err, errlen, "%s:%u: '%s' has no value", path, line, name);
            return -EINVAL;
        }
        if (!strcasecmp(name, "palette")) {
            int pal = pl_palette_parse(val);
            if (pal < 0) {
                snprintf(err, errlen, "%s:%u: unknown palette '%s' (dmg, gray, pocket, green)",
                         path, line, val);
                return -EINVAL;
            }
            k.palette = pal;
            continue;
        }
        if (!strcasecmp(name, "scale")) {
            char *e;
            long s = strtol(val, &e, 10);
            if (*e || s < 1 || s > 10) {
                snprintf(err, errlen, "%s:%u: scale wants 1 to 10, not '%s'", path, line, val);
                return -EINVAL;
            }
            k.scale = (int)s;
            continue;
        }
        int act = -1;
        for (int a = 0; a < PL_ACT_COUNT; a++)
            if (!strcasecmp(name, act_names[a])) act = a;
        if (act < 0) {
            snprintf(err, errlen,
                     "%s:%u: unknown setting '%s' (a b start select up down left right pause "
                     "frame_advance fast_forward save_state load_state screenshot reset dump "
                     "palette quit, or palette/scale)",
                     path, line, name);
            return -EINVAL;
        }
        memset(k.keys[act], 0, sizeof k.keys[act]);
        int n = 0;
        for (const char *s = val; *s;) {
            const char *c = strchr(s, ',');
            const char *ks = s, *ke = c ? c : s + strlen(s);
            s = c ? c + 1 : ke;
            trim(&ks, &ke);
            if (ks == ke) {
                snprintf(err, errlen, "%s:%u: empty key name in '%s'", path, line, val);
                return -EINVAL;
            }
            if (n == PL_KEYS_PER_ACTION) {
                snprintf(err, errlen, "%s:%u: at most %d keys for '%s'", path, line,
                         PL_KEYS_PER_ACTION, name);
                return -EINVAL;
            }
            if ((size_t)(ke - ks) >= PL_KEY_NAME_MAX) {
                snprintf(err, errlen, "%s:%u: key name too long", path, line);
                return -EINVAL;
            }
            snprintf(k.keys[act][n++], PL_KEY_NAME_MAX, "%.*s", (int)(ke - ks), ks);
        }
    }
    *out = k;
    return 0;
}

int pl_keymap_path(char *buf, size_t len) {
    const char *x = getenv("XDG_CONFIG_HOME");
    int n;
    if (x && x[0] == '/') {
        n = snprintf(buf, len, "%s/ceres/play.conf", x);
    } else {
        const char *h = getenv("HOME");
        if (!h || !*h) return -ENOENT;
        n = snprintf(buf, len, "%s/.config/ceres/play.conf", h);
    }
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pl_keymap_load(pl_keymap *k, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 1;
        int e = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return e;
    }
    char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    int bad = ferror(f) || (n == sizeof text - 1 && !feof(f));
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error or larger than 64 KiB", path);
        return -EINVAL;
    }
    text[n] = 0;
    return pl_keymap_parse(k, text, path, err, errlen);
}
