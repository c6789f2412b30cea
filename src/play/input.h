/* Input for `ceres play` and `ceres run` without SDL (prefix pl_): scripted
 * button presses, input movies, battery save files, the key map file.
 * Errors: functions return 0 or a negative errno-style code and put a
 * message in the caller's err buffer; they never exit. */
#ifndef CERES_PLAY_INPUT_H
#define CERES_PLAY_INPUT_H

#include "../gb/gb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef CERES_VERSION
#define CERES_VERSION "0.1"
#endif

/* ---- button names ---------------------------------------------------------- */

/* "a", "b", "select", "start", "right", "left", "up", "down" -> GB_BTN_*
 * (case-insensitive, n bytes of s); 0 if not a button. */
uint8_t pl_button_parse(const char *s, size_t n);
/* "a+start", "none" for 0; buf of at least 40 bytes. */
const char *pl_buttons_format(uint8_t b, char *buf, size_t len);

/* ---- input scripts (ceres run --input SCRIPT) ---------------------------------
 * A script is a list of items separated by commas, spaces or new lines;
 * '#' starts a comment that runs to the end of the line. Each item is
 * FRAME:ACTION, FRAME the frame number (frames counted from power-on, the
 * first is 0) at whose start the action happens:
 *   FRAME:BUTTONS        tap: press, release PL_TAP_FRAMES frames later
 *   FRAME:BUTTONS*N      hold for N frames, then release
 *   FRAME:+BUTTONS       press and keep holding
 *   FRAME:-BUTTONS       release
 *   FRAME:none           release every button
 * BUTTONS is one button or several joined by '+': a, b, start, select, up,
 * down, left, right. Items may come in any order; at one frame they apply
 * in the order given, releases scheduled by earlier taps first. Example:
 * "60:start, 120:a*10, 200:+right, 260:-right". */
#define PL_TAP_FRAMES 5
#define PL_SCRIPT_MAX 100000

typedef struct pl_input_ev {
    uint64_t frame;
    uint8_t press, release; /* applied as: state = (state & ~release) | press */
    uint32_t order;
} pl_input_ev;

typedef struct pl_script {
    pl_input_ev *ev;
    size_t n, cap;
    size_t next;   /* cursor: first event not applied yet */
    uint8_t state; /* buttons held after the applied events */
} pl_script;

int pl_script_parse(pl_script *s, const char *text, char *err, size_t errlen);
void pl_script_free(pl_script *s);
/* The buttons held during `frame`. Calls must not go back in time (a
 * smaller frame than the last call restarts from the beginning). */
uint8_t pl_script_buttons(pl_script *s, uint64_t frame);
/* The frame after the last event (0 for an empty script). */
uint64_t pl_script_end(const pl_script *s);

/* ---- input movies (--record-input / --play-input) -------------------------------
 * One byte of buttons per frame, run-length coded, and a 64-bit hash of the
 * frame buffer after every hash_every-th frame, with a header naming the ROM
 * (CRC-32 of the image, header title and global checksum) and the Ceres
 * version that recorded it; a CRC-32 of the whole file at the end. The
 * layout is in input.c. Frame i's buttons are held from the start of frame
 * i (gb_frames() == i) to its end; hash k is of the frame buffer once
 * gb_frames() == (k + 1) * hash_every. */
#define PL_MOVIE_HASH_EVERY 30

typedef struct pl_movie {
    uint32_t rom_crc;
    uint16_t rom_global_sum;
    char title[17];
    char version[17];
    uint32_t hash_every;
    uint8_t *buttons;
    uint64_t nframes, cap;
    uint64_t *hashes;
    uint64_t nhashes, hcap;
} pl_movie;

/* An empty movie for this ROM image. */
void pl_movie_init(pl_movie *m, const uint8_t *rom, size_t size, uint32_t hash_every);
void pl_movie_free(pl_movie *m);
/* Record one frame: the buttons held during it, and the frame buffer after
 * it (hashed when due). */
int pl_movie_add(pl_movie *m, uint8_t buttons, const uint8_t *framebuffer);
int pl_movie_encode(const pl_movie *m, uint8_t **out, size_t *len);
int pl_movie_decode(pl_movie *m, const uint8_t *data, size_t len, char *err, size_t errlen);
int pl_movie_save(const pl_movie *m, const char *path, char *err, size_t errlen);
int pl_movie_load(pl_movie *m, const char *path, char *err, size_t errlen);
/* 0 if the movie was recorded on this ROM image, else -EINVAL and a message
 * naming both. */
int pl_movie_check_rom(const pl_movie *m, const uint8_t *rom, size_t size, char *err,
                       size_t errlen);
uint64_t pl_frame_hash(const uint8_t *framebuffer);

/* Replaying: before each frame, pl_replay_buttons(); after it,
 * pl_replay_check(), which returns 1 the first time a hash differs (then
 * *expected / *got say how), else 0. */
typedef struct pl_replay {
    const pl_movie *m;
    bool desynced;
    uint64_t desync_frame; /* the frame count at which the hash differed */
} pl_replay;
uint8_t pl_replay_buttons(const pl_movie *m, uint64_t frame);
int pl_replay_check(pl_replay *r, uint64_t frames_done, const uint8_t *framebuffer,
                    uint64_t *expected, uint64_t *got);

/* ---- driving a machine frame by frame ------------------------------------------
 * A frame is a slot of emulated time: frame i runs from T-cycle i * 70224 to
 * (i + 1) * 70224, the same frames as `ceres run --frames N` counts, and
 * the same whether the LCD is on or off. */
#define PL_FRAME_CYCLES 70224u

uint64_t pl_frame_index(const gb *g); /* the frame now running */
/* Where in frame `frame` (T-cycles from its start) its buttons take
 * effect: a fixed pseudo-random point, as a hand's press lands anywhere in
 * a frame, not always on the same line (games seed random numbers from the
 * line a press arrives on; little-things-gb/tellinglys checks it). A
 * function of the frame number only, so runs stay deterministic. */
uint32_t pl_press_offset(uint64_t frame);
/* Run to the end of the current frame, the buttons changing to `buttons`
 * at pl_press_offset() into it; returns gb_run's stop bits (stops early for
 * the bits in stop_mask). */
unsigned pl_run_frame(gb *g, uint8_t buttons, unsigned stop_mask);

/* Where a session's buttons come from: a script, a movie played back, live
 * buttons (keyboard, controller); and a movie being recorded. */
typedef struct pl_input {
    pl_script script;
    bool has_script, has_play, has_rec;
    pl_movie play, rec;
    pl_replay replay;
    const char *rec_path;
} pl_input;

/* Set up from the options (any may be NULL): parse the script (text, or
 * @FILE to read it from a file), load and check the movie against the ROM,
 * start a recording. 0, or <0 with a message. */
int pl_input_open(pl_input *in, const uint8_t *rom, size_t size, const char *script,
                  const char *play_path, const char *rec_path, char *err, size_t errlen);
/* The buttons for frame `frame`: the movie's while it lasts (live ignored),
 * else the script's OR the live ones. */
uint8_t pl_input_buttons(pl_input *in, uint64_t frame, uint8_t live);
/* After a frame ran with `buttons`: record it, check the replay. Returns 1
 * the first time the frame buffer differs from the movie's (msg says at
 * which frame and cycle), else 0, or <0 when out of memory. */
int pl_input_after(pl_input *in, gb *g, uint8_t buttons, char *msg, size_t len);
/* True while a movie is played or recorded (save state loads and resets
 * would break it). */
bool pl_input_locked(const pl_input *in);
/* Write the recorded movie (if any); 0 or <0 with a message. */
int pl_input_close(pl_input *in, char *err, size_t errlen);
void pl_input_free(pl_input *in);

/* ---- files ------------------------------------------------------------------ */

/* Write through a temporary file created exclusively next to path, then
 * rename it over path: a reader sees the old file or the new one, never a
 * part. Returns 0 or -errno. */
int pl_write_atomic(const char *path, const void *data, size_t size);

/* The save file for a ROM: DIR/NAME.sav with dir, else the ROM's path with
 * its extension (.gb, .gbc) replaced by .sav. 0, or -ENAMETOOLONG. */
int pl_sav_path(char *buf, size_t len, const char *rom_path, const char *dir);
/* Load the battery save: 0 loaded, 1 there is none (no file or no
 * battery), <0 on error (message in err; the machine is unchanged). */
int pl_sav_load(gb *g, const char *path, int64_t host_time, char *err, size_t errlen);
/* Write it atomically; 1 if the cartridge has no battery. */
int pl_sav_write(gb *g, const char *path, int64_t host_time, char *err, size_t errlen);

#endif
