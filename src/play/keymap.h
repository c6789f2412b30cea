/* The key map and settings file of `ceres play` (prefix pl_), parsed
 * without SDL: key names are kept as text and resolved by the frontend
 * (SDL key names: "X", "Return", "Left Shift", "F12", ...).
 *
 * File: $XDG_CONFIG_HOME/ceres/play.conf (else ~/.config/ceres/play.conf).
 * One setting a line, NAME = VALUE; '#' starts a comment; blank lines are
 * ignored. NAME is an action and VALUE one key name or several separated by
 * commas (the action's default keys are replaced), or NAME is
 *   palette = dmg | gray | pocket | green
 *   scale = 1..10                (initial window scale)
 * Actions: a b start select up down left right (the buttons), pause,
 * frame_advance, fast_forward (held), save_state, load_state (to the slot
 * chosen with the keys 1-9), screenshot, reset, dump (the flight recorder),
 * palette (next palette), quit. */
#ifndef CERES_PLAY_KEYMAP_H
#define CERES_PLAY_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef enum pl_action {
    PL_ACT_RIGHT, /* the first eight are the buttons, in GB_BTN_* bit order */
    PL_ACT_LEFT,
    PL_ACT_UP,
    PL_ACT_DOWN,
    PL_ACT_A,
    PL_ACT_B,
    PL_ACT_SELECT,
    PL_ACT_START,
    PL_ACT_PAUSE,
    PL_ACT_FRAME_ADVANCE,
    PL_ACT_FAST_FORWARD,
    PL_ACT_SAVE_STATE,
    PL_ACT_LOAD_STATE,
    PL_ACT_SCREENSHOT,
    PL_ACT_RESET,
    PL_ACT_DUMP,
    PL_ACT_PALETTE,
    PL_ACT_QUIT,
    PL_ACT_COUNT
} pl_action;

#define PL_KEYS_PER_ACTION 4
#define PL_KEY_NAME_MAX    32

enum { PL_PAL_DMG, PL_PAL_GRAY, PL_PAL_POCKET, PL_PAL_GREEN, PL_PAL_COUNT };

typedef struct pl_keymap {
    char keys[PL_ACT_COUNT][PL_KEYS_PER_ACTION][PL_KEY_NAME_MAX]; /* "" = unused */
    int palette;
    int scale;
} pl_keymap;

const char *pl_action_name(pl_action a);
const char *pl_palette_name(int p);
/* The four shades (white .. black) of a palette as 0xRRGGBB. */
const uint32_t *pl_palette_colors(int p);
int pl_palette_parse(const char *s);

void pl_keymap_default(pl_keymap *k);
/* Apply the settings in `text` over *k. 0, or -EINVAL with "path:line: why"
 * in err (and *k unchanged). */
int pl_keymap_parse(pl_keymap *k, const char *text, const char *path, char *err, size_t errlen);
/* The config file's path (XDG rules); 0 or -ENOENT when there is no HOME. */
int pl_keymap_path(char *buf, size_t len);
/* Load the file at path over the defaults: 0, 1 if it does not exist, <0 on
 * a bad file. */
int pl_keymap_load(pl_keymap *k, const char *path, char *err, size_t errlen);

#endif
