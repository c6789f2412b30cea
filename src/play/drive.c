/* Driving a machine frame by frame from scripts, movies and live buttons
 * (see input.h). */
#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t pl_frame_index(const gb *g) {
    return gb_cycles(g) / PL_FRAME_CYCLES;
}

uint32_t pl_press_offset(uint64_t frame) {
    uint64_t z = frame + 0x9E3779B97F4A7C15ull; /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (uint32_t)(z % PL_FRAME_CYCLES);
}

static unsigned run_to(gb *g, uint64_t end, unsigned stop_mask) {
    unsigned why = 0;
    while (gb_cycles(g) < end) {
        why = gb_run(g, end - gb_cycles(g), stop_mask);
        if (why & stop_mask & ~GB_STOP_LIMIT) break;
    }
    return why;
}

unsigned pl_run_frame(gb *g, uint8_t buttons, unsigned stop_mask) {
    uint64_t frame = pl_frame_index(g), start = frame * PL_FRAME_CYCLES;
    unsigned why = run_to(g, start + pl_press_offset(frame), stop_mask);
    if (why & stop_mask & ~GB_STOP_LIMIT) return why;
    gb_set_buttons(g, buttons);
    return run_to(g, start + PL_FRAME_CYCLES, stop_mask);
}

static int read_text(const char *path, char **out, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = -errno;
        snprintf(err, errlen, "--input @%s: %s", path, strerror(errno));
        return e;
    }
    size_t cap = 4096, len = 0;
    char *t = malloc(cap);
    while (t) {
        len += fread(t + len, 1, cap - len - 1, f);
        if (len < cap - 1 || cap > (64u << 20)) break;
        char *n = realloc(t, cap *= 2);
        if (!n) free(t);
        t = n;
    }
    int bad = ferror(f);
    fclose(f);
    if (!t || bad) {
        free(t);
        snprintf(err, errlen, "--input @%s: read error", path);
        return -EIO;
    }
    t[len] = 0;
    *out = t;
    return 0;
}

int pl_input_open(pl_input *in, const uint8_t *rom, size_t size, const char *script,
                  const char *play_path, const char *rec_path, char *err, size_t errlen) {
    memset(in, 0, sizeof *in);
    int e;
    if (script) {
        char *text = NULL;
        if (script[0] == '@' && (e = read_text(script + 1, &text, err, errlen))) return e;
        e = pl_script_parse(&in->script, text ? text : script, err, errlen);
        free(text);
        if (e) return e;
        in->has_script = true;
    }
    if (play_path) {
        char sub[600];
        if ((e = pl_movie_load(&in->play, play_path, err, errlen))) goto fail;
        if ((e = pl_movie_check_rom(&in->play, rom, size, sub, sizeof sub))) {
            snprintf(err, errlen, "%s: %s", play_path, sub);
            pl_movie_free(&in->play);
            goto fail;
        }
        if (strcmp(in->play.version, CERES_VERSION))
            fprintf(stderr, "ceres: note: %s was recorded by Ceres %s, this is %s\n", play_path,
                    in->play.version, CERES_VERSION);
        in->has_play = true;
        in->replay.m = &in->play;
    }
    if (rec_path) {
        pl_movie_init(&in->rec, rom, size, PL_MOVIE_HASH_EVERY);
        in->has_rec = true;
        in->rec_path = rec_path;
    }
    return 0;
fail:
    pl_input_free(in);
    return e;
}

uint8_t pl_input_buttons(pl_input *in, uint64_t frame, uint8_t live) {
    if (in->has_play && frame < in->play.nframes) return pl_replay_buttons(&in->play, frame);
    uint8_t b = live;
    if (in->has_script) b |= pl_script_buttons(&in->script, frame);
    return b;
}

int pl_input_after(pl_input *in, gb *g, uint8_t buttons, char *msg, size_t len) {
    if (in->has_rec) {
        int e = pl_movie_add(&in->rec, buttons, gb_framebuffer(g));
        if (e) return e;
    }
    if (in->has_play) {
        uint64_t exp, got, done = pl_frame_index(g);
        if (pl_replay_check(&in->replay, done, gb_framebuffer(g), &exp, &got)) {
            snprintf(msg, len,
                     "input movie: the screen first differs after frame %llu (T-cycle %llu): "
                     "hash %016llx, the movie has %016llx",
                     (unsigned long long)done, (unsigned long long)gb_cycles(g),
                     (unsigned long long)got, (unsigned long long)exp);
            return 1;
        }
    }
    return 0;
}

bool pl_input_locked(const pl_input *in) {
    return in->has_rec || (in->has_play && !in->replay.desynced);
}

int pl_input_close(pl_input *in, char *err, size_t errlen) {
    if (!in->has_rec) return 0;
    return pl_movie_save(&in->rec, in->rec_path, err, errlen);
}

void pl_input_free(pl_input *in) {
    if (in->has_script) pl_script_free(&in->script);
    if (in->has_play) pl_movie_free(&in->play);
    if (in->has_rec) pl_movie_free(&in->rec);
    memset(in, 0, sizeof *in);
}
