/* `ceres play`: the SDL2 frontend (play_frontend.c, built only with SDL2). */
#ifndef CERES_PLAY_FRONTEND_H
#define CERES_PLAY_FRONTEND_H

#include "../debug/trigger.h"
#include "../trace/ct_host.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct pl_play_opts {
    const char *rom_path;
    const char *boot_path;
    uint64_t frames;          /* stop after this many frames (0: until quit) */
    const char *input;        /* --input SCRIPT */
    const char *play_input;   /* --play-input FILE */
    const char *record_input; /* --record-input FILE */
    const char *save_dir;     /* --save-dir DIR: where ROM.sav goes (else beside the ROM) */
    bool no_save;             /* --no-save: no battery file read or written */
    const char *dump_dir;     /* where F12 / SIGUSR1 dumps, screenshots go (default .) */
    const char *screenshot;   /* --screenshot FILE: the last frame at exit */
    const char *trace_out;    /* --trace-out FILE: the ring at exit */
    const char *window_shot;  /* --window-shot FILE: the rendered window at the last frame */
    const char *desync_dump;  /* --desync-dump FILE: the ring when a movie desyncs */
    const char *filter;       /* --trace FILTER */
    const char *ring;         /* --trace-buffer SIZE */
    const char *config;       /* --config FILE (else the XDG one) */
    int palette;              /* -1: from the config */
    int scale;                /* 0: from the config */
    bool unthrottled;         /* --fast: no pacing (tests, measuring) */
    bool mute;                /* --mute: no audio device */
    unsigned max_dumps;       /* --max-dumps K for --trace-dump-on (0: no limit) */
    uint64_t pre, stop_after; /* --pre N, --post N[ev|c] as in ceres run */
    bool stop_after_cycles;
    bool win_frames, win_cycles; /* --frames X..Y, --cycles X..Y */
    uint64_t wf_lo, wf_hi, wc_lo, wc_hi;
    bool until_ldbb;   /* --until-ld-b-b: end at the test ROMs' breakpoint */
    ct_dump_opts dump; /* --trace-format, --raw-cycles (format AUTO: from the name) */
    unsigned ntrig;
    const char *trig_expr[GB_TRIG_MAX];
    gb_trig_action trig_act[GB_TRIG_MAX];
} pl_play_opts;

/* Run a session; returns the exit code (0 ok, 1 a failed output or a
 * desynced movie, 2 bad input or no display). */
int pl_play(const pl_play_opts *o);

#endif
