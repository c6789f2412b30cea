/* `ceres play`: a window (SDL2, integer scaling), sound (SDL audio, paced
 * by its queue), keyboard and game controllers, battery saves, save state
 * slots, screenshots, input scripts and movies, and the flight recorder
 * one key away: F12 (or SIGUSR1) copies the ring and writes it, the screen
 * and the machine state beside it on a worker thread while play goes on. */
#include "play_frontend.h"

#include "../play/input.h"
#include "../play/keymap.h"

#include "../debug/disasm.h"
#include "../gb/gb_events.h"
#include "../runner/runner.h"
#include "../trace/ct_host.h"

#include <SDL.h>
#include <png.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FPS ((double)GB_CLOCK_HZ / PL_FRAME_CYCLES) /* 59.7275 */

static volatile sig_atomic_t usr1_requests;
static void on_usr1(int s) {
    (void)s;
    usr1_requests++;
}

/* ---- dumps on a worker thread --------------------------------------------- */

typedef struct dump_job {
    ct_recorder rec; /* a copy whose rings point into mem */
    uint64_t *mem;
    const char **strings;
    uint8_t fb[GB_LCD_W * GB_LCD_H];
    uint8_t *state;
    size_t state_len;
    char base[4096];
} dump_job;

static struct {
    pthread_t th;
    bool running;
} worker;

static void *dump_main(void *arg) {
    dump_job *j = arg;
    char path[4200];
    bool ok = true;
    if (j->mem) {
        snprintf(path, sizeof path, "%s.perfetto-trace", j->base);
        ct_dump_opts o = {
            .format = CT_FMT_PERFETTO, .line_fmt = gb_disasm_line_fmt, .look = &gb_look};
        int e = ct_dump(&j->rec, path, &o);
        if (e) {
            fprintf(stderr, "ceres play: dump %s: %s\n", path, strerror(-e));
            ok = false;
        }
    }
    snprintf(path, sizeof path, "%s.png", j->base);
    int e = rn_png_write_shades(path, j->fb, GB_LCD_W, GB_LCD_H);
    if (e) {
        fprintf(stderr, "ceres play: dump %s: %s\n", path, strerror(-e));
        ok = false;
    }
    snprintf(path, sizeof path, "%s.state", j->base);
    e = pl_write_atomic(path, j->state, j->state_len);
    if (e) {
        fprintf(stderr, "ceres play: dump %s: %s\n", path, strerror(-e));
        ok = false;
    }
    if (ok)
        fprintf(stderr, "ceres play: flight recorder dumped: %s%s (+ .png, .state)\n", j->base,
                j->mem ? ".perfetto-trace" : " (no ring: --trace-buffer 0)");
    free(j->mem);
    free(j->strings);
    free(j->state);
    free(j);
    return NULL;
}

static void dump_wait(void) {
    if (worker.running) pthread_join(worker.th, NULL);
    worker.running = false;
}

/* Copy the ring (one memcpy of its memory), the screen and the state, and
 * hand them to the worker; a dump still being written is waited for. */
static void dump_start(gb *g, ct_recorder *rec, const char *dir, const char *rom_base) {
    dump_job *j = calloc(1, sizeof *j);
    if (!j) {
        fprintf(stderr, "ceres play: dump: out of memory\n");
        return;
    }
    if (rec) {
        size_t words = 0; /* every ring's memory, one after the other */
        for (unsigned k = 0; k < rec->nrings; k++)
            words += ct_ring_mem_bytes(rec->rings[k]->cap) / sizeof *j->mem;
        j->mem = malloc(words * sizeof *j->mem);
        j->strings = malloc((rec->nstrings ? rec->nstrings : 1) * sizeof *j->strings);
        if (!j->mem || !j->strings) {
            free(j->mem);
            free(j->strings);
            free(j);
            fprintf(stderr, "ceres play: dump: out of memory\n");
            return;
        }
        if (rec->nstrings) memcpy(j->strings, rec->strings, rec->nstrings * sizeof *j->strings);
        j->rec = *rec;
        uint64_t *at = j->mem;
        for (unsigned k = 0; k < rec->nrings; k++) {
            const ct_ring *from = rec->rings[k];
            ct_ring *to = k ? &j->rec.more[k - 1] : &j->rec.ring;
            size_t n = ct_ring_mem_bytes(from->cap) / sizeof *j->mem;
            memcpy(at, from->words, n * sizeof *at);
            *to = *from;
            to->words = at;
            to->sync = at + from->cap + CT_RING_SLACK;
            j->rec.rings[k] = to;
            at += n;
        }
        j->rec.strings = j->strings;
        j->rec.nhooks = 0; /* the copy is only read */
    }
    memcpy(j->fb, gb_framebuffer(g), sizeof j->fb);
    j->state_len = gb_state_size(g);
    j->state = malloc(j->state_len);
    long n = j->state ? gb_state_save(g, j->state, j->state_len) : -ENOMEM;
    j->state_len = n > 0 ? (size_t)n : 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(j->base, sizeof j->base, "%s/%s-%s-%03ld", dir, rom_base, stamp, ts.tv_nsec / 1000000);
    dump_wait();
    if (pthread_create(&worker.th, NULL, dump_main, j) == 0)
        worker.running = true;
    else
        dump_main(j); /* no thread: write it here */
}

/* ---- the session -------------------------------------------------------------- */

typedef struct binding {
    SDL_Scancode sc;
    pl_action act;
} binding;

typedef struct session {
    const pl_play_opts *o;
    gb *g;
    ct_recorder *rec;
    gb_trig_set *trig;
    pl_input in;
    pl_keymap km;
    binding bind[PL_ACT_COUNT * PL_KEYS_PER_ACTION];
    unsigned nbind;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    SDL_AudioDeviceID audio;
    SDL_GameController *pads[8];
    char rom_base[256], title[17];
    char sav[4200];
    bool sav_warned;
    uint8_t *sav_last;
    size_t sav_len;
    int palette, slot;
    bool paused, advance, quit, desync_reported;
    int rc;
} session;

static void rom_base_name(const char *path, char *out, size_t len) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    const char *dot = strrchr(b, '.');
    if (dot && dot != b) n = (size_t)(dot - b);
    snprintf(out, len, "%.*s", (int)n, b);
}

static int bind_keys(session *s, char *err, size_t errlen) {
    s->nbind = 0;
    for (int a = 0; a < PL_ACT_COUNT; a++)
        for (int i = 0; i < PL_KEYS_PER_ACTION && s->km.keys[a][i][0]; i++) {
            SDL_Keycode k = SDL_GetKeyFromName(s->km.keys[a][i]);
            SDL_Scancode sc = k == SDLK_UNKNOWN ? SDL_SCANCODE_UNKNOWN : SDL_GetScancodeFromKey(k);
            if (sc == SDL_SCANCODE_UNKNOWN) {
                snprintf(err, errlen,
                         "unknown key name '%s' for %s (SDL key names: X, Return, "
                         "Left Shift, F12, ...)",
                         s->km.keys[a][i], pl_action_name((pl_action)a));
                return -EINVAL;
            }
            s->bind[s->nbind++] = (binding){sc, (pl_action)a};
        }
    return 0;
}

static bool action_held(const session *s, pl_action a) {
    const Uint8 *ks = SDL_GetKeyboardState(NULL);
    for (unsigned i = 0; i < s->nbind; i++)
        if (s->bind[i].act == a && ks[s->bind[i].sc]) return true;
    return false;
}

static uint8_t live_buttons(const session *s) {
    uint8_t b = 0;
    for (int a = 0; a < 8; a++)
        if (action_held(s, (pl_action)a)) b |= (uint8_t)(1u << a);
    for (int i = 0; i < 8; i++) {
        SDL_GameController *c = s->pads[i];
        if (!c) continue;
        static const struct {
            SDL_GameControllerButton btn;
            uint8_t bit;
        } map[] = {
            {SDL_CONTROLLER_BUTTON_DPAD_RIGHT, GB_BTN_RIGHT},
            {SDL_CONTROLLER_BUTTON_DPAD_LEFT, GB_BTN_LEFT},
            {SDL_CONTROLLER_BUTTON_DPAD_UP, GB_BTN_UP},
            {SDL_CONTROLLER_BUTTON_DPAD_DOWN, GB_BTN_DOWN},
            {SDL_CONTROLLER_BUTTON_A, GB_BTN_A},
            {SDL_CONTROLLER_BUTTON_B, GB_BTN_B},
            {SDL_CONTROLLER_BUTTON_X, GB_BTN_B},
            {SDL_CONTROLLER_BUTTON_BACK, GB_BTN_SELECT},
            {SDL_CONTROLLER_BUTTON_START, GB_BTN_START},
        };
        for (size_t k = 0; k < sizeof map / sizeof *map; k++)
            if (SDL_GameControllerGetButton(c, map[k].btn)) b |= map[k].bit;
        int x = SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_LEFTX);
        int y = SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_LEFTY);
        if (x > 16000) b |= GB_BTN_RIGHT;
        if (x < -16000) b |= GB_BTN_LEFT;
        if (y > 16000) b |= GB_BTN_DOWN;
        if (y < -16000) b |= GB_BTN_UP;
    }
    return b;
}

static bool pad_fast(const session *s) {
    for (int i = 0; i < 8; i++)
        if (s->pads[i] &&
            SDL_GameControllerGetButton(s->pads[i], SDL_CONTROLLER_BUTTON_RIGHTSHOULDER))
            return true;
    return false;
}

static void render(session *s) {
    const uint32_t *pal = pl_palette_colors(s->palette);
    void *pixels;
    int pitch;
    if (SDL_LockTexture(s->tex, NULL, &pixels, &pitch) == 0) {
        const uint8_t *fb = gb_framebuffer(s->g);
        for (int y = 0; y < GB_LCD_H; y++) {
            uint32_t *row = (uint32_t *)((uint8_t *)pixels + (size_t)y * (size_t)pitch);
            for (int x = 0; x < GB_LCD_W; x++)
                row[x] = 0xFF000000u | pal[fb[y * GB_LCD_W + x] & 3];
        }
        SDL_UnlockTexture(s->tex);
    }
    SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 255);
    SDL_RenderClear(s->ren);
    SDL_RenderCopy(s->ren, s->tex, NULL, NULL);
}

/* The rendered window as an RGB PNG (what the user sees), before Present. */
static int window_shot(session *s, const char *path) {
    int w, h;
    if (SDL_GetRendererOutputSize(s->ren, &w, &h)) return -EIO;
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    if (!px) return -ENOMEM;
    int e = SDL_RenderReadPixels(s->ren, NULL, SDL_PIXELFORMAT_RGB24, px, w * 3) ? -EIO : 0;
    if (!e) {
        png_image img;
        memset(&img, 0, sizeof img);
        img.version = PNG_IMAGE_VERSION;
        img.width = (png_uint_32)w;
        img.height = (png_uint_32)h;
        img.format = PNG_FORMAT_RGB;
        png_alloc_size_t len = 0;
        void *mem = NULL;
        if (!png_image_write_to_memory(&img, NULL, &len, 0, px, w * 3, NULL) ||
            !(mem = malloc(len)) || !png_image_write_to_memory(&img, mem, &len, 0, px, w * 3, NULL))
            e = -EIO;
        else
            e = pl_write_atomic(path, mem, len);
        free(mem);
        png_image_free(&img);
    }
    free(px);
    return e;
}

static void set_title(session *s) {
    char t[320];
    snprintf(t, sizeof t, "Ceres - %s%s%s", s->title[0] ? s->title : s->rom_base,
             s->paused ? " [paused]" : "", pl_input_locked(&s->in) ? " [movie]" : "");
    SDL_SetWindowTitle(s->win, t);
}

static void sav_write(session *s, bool at_exit) {
    if (!s->sav[0]) return;
    size_t n = gb_battery_size(s->g);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return;
    long len = gb_battery_save(s->g, buf, n, (int64_t)time(NULL));
    /* Unchanged since the last write: nothing to do. RAM sizes are
     * multiples of 512; a clock adds 48 bytes, the last 8 the time stamp. */
    size_t cmp = n % 512 == 48 ? n - 8 : n;
    if (len > 0 && s->sav_last && s->sav_len == n && !memcmp(buf, s->sav_last, cmp) && !at_exit) {
        free(buf);
        return;
    }
    int e = len > 0 ? pl_write_atomic(s->sav, buf, (size_t)len) : (int)len;
    if (e) {
        if (!s->sav_warned || at_exit)
            fprintf(stderr,
                    "ceres play: warning: cannot write the battery save %s: %s; play goes on, "
                    "the game's saves are NOT kept on disk%s\n",
                    s->sav, strerror(-e), at_exit ? "" : " (will retry)");
        s->sav_warned = true;
        free(buf);
        return;
    }
    free(s->sav_last);
    s->sav_last = buf;
    s->sav_len = n;
}

static void slot_path(const session *s, char *buf, size_t len) {
    const char *dot = strrchr(s->sav, '.');
    snprintf(buf, len, "%.*s.ss%d", (int)(dot ? dot - s->sav : (long)strlen(s->sav)), s->sav,
             s->slot);
}

static void hotkey(session *s, pl_action a) {
    char path[4400];
    switch (a) {
    case PL_ACT_PAUSE:
        s->paused = !s->paused;
        set_title(s);
        break;
    case PL_ACT_FRAME_ADVANCE:
        s->paused = true;
        s->advance = true;
        set_title(s);
        break;
    case PL_ACT_SAVE_STATE:
    case PL_ACT_LOAD_STATE: {
        slot_path(s, path, sizeof path);
        if (a == PL_ACT_SAVE_STATE) {
            size_t n = gb_state_size(s->g);
            uint8_t *b = malloc(n);
            long l = b ? gb_state_save(s->g, b, n) : -ENOMEM;
            int e = l < 0 ? (int)l : pl_write_atomic(path, b, (size_t)l);
            free(b);
            if (e)
                fprintf(stderr, "ceres play: save state %s: %s\n", path, strerror(-e));
            else
                fprintf(stderr, "ceres play: state saved to slot %d (%s)\n", s->slot, path);
        } else if (pl_input_locked(&s->in)) {
            fprintf(stderr, "ceres play: no state loads while an input movie plays or records\n");
        } else {
            uint8_t *b;
            size_t n;
            int e = rn_read_file(path, &b, &n);
            if (!e) {
                e = gb_state_load(s->g, b, n);
                free(b);
            }
            if (e)
                fprintf(stderr, "ceres play: load state %s: %s\n", path,
                        e == -EINVAL ? "not a state of this game" : strerror(-e));
            else
                fprintf(stderr, "ceres play: state loaded from slot %d\n", s->slot);
        }
        break;
    }
    case PL_ACT_SCREENSHOT: {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        char stamp[64];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(path, sizeof path, "%s/%s-%s.png", s->o->dump_dir, s->rom_base, stamp);
        int e = rn_png_write_shades(path, gb_framebuffer(s->g), GB_LCD_W, GB_LCD_H);
        if (e)
            fprintf(stderr, "ceres play: screenshot %s: %s\n", path, strerror(-e));
        else
            fprintf(stderr, "ceres play: screenshot %s\n", path);
        break;
    }
    case PL_ACT_RESET:
        if (pl_input_locked(&s->in)) {
            fprintf(stderr, "ceres play: no reset while an input movie plays or records\n");
            break;
        }
        gb_reset(s->g);
        fprintf(stderr, "ceres play: reset\n");
        break;
    case PL_ACT_DUMP: dump_start(s->g, s->rec, s->o->dump_dir, s->rom_base); break;
    case PL_ACT_PALETTE:
        s->palette = (s->palette + 1) % PL_PAL_COUNT;
        fprintf(stderr, "ceres play: palette %s\n", pl_palette_name(s->palette));
        break;
    case PL_ACT_QUIT: s->quit = true; break;
    default: break;
    }
}

static void events(session *s) {
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT: s->quit = true; break;
        case SDL_KEYDOWN:
            if (ev.key.repeat) break;
            if (ev.key.keysym.sym >= SDLK_1 && ev.key.keysym.sym <= SDLK_9) {
                s->slot = (int)(ev.key.keysym.sym - SDLK_0);
                fprintf(stderr, "ceres play: state slot %d\n", s->slot);
                break;
            }
            for (unsigned i = 0; i < s->nbind; i++)
                if (s->bind[i].sc == ev.key.keysym.scancode && s->bind[i].act >= PL_ACT_PAUSE &&
                    s->bind[i].act != PL_ACT_FAST_FORWARD)
                    hotkey(s, s->bind[i].act);
            break;
        case SDL_CONTROLLERDEVICEADDED:
            for (int i = 0; i < 8; i++)
                if (!s->pads[i]) {
                    s->pads[i] = SDL_GameControllerOpen(ev.cdevice.which);
                    if (s->pads[i])
                        fprintf(stderr, "ceres play: controller: %s\n",
                                SDL_GameControllerName(s->pads[i]));
                    break;
                }
            break;
        case SDL_CONTROLLERDEVICEREMOVED:
            for (int i = 0; i < 8; i++)
                if (s->pads[i] && SDL_JoystickInstanceID(SDL_GameControllerGetJoystick(
                                      s->pads[i])) == ev.cdevice.which) {
                    SDL_GameControllerClose(s->pads[i]);
                    s->pads[i] = NULL;
                }
            break;
        default: break;
        }
    }
}

static int setup_recording(session *s, char *err, size_t errlen) {
    const pl_play_opts *o = s->o;
    uint64_t bytes = 0, evs = 0;
    const char *ring = o->ring ? o->ring : "4M";
    if (!strchr(ring, '=') && ct_parse_size(ring, &bytes, &evs, err, errlen)) return -EINVAL;
    if (!strchr(ring, '=') && !bytes && !evs) {
        if (o->trace_out || o->ntrig || o->desync_dump || o->win_frames || o->win_cycles) {
            snprintf(err, errlen,
                     "--trace-out, triggers and --desync-dump need a ring "
                     "(--trace-buffer is 0)");
            return -EINVAL;
        }
        return 0;
    }
    /* The default rings by class, as ceres run makes them. */
    s->rec = rn_recorder_create(&gb_schema, ring, err, errlen);
    if (!s->rec) return -EINVAL;
    const char *f = o->filter ? o->filter : getenv("CERES_TRACE");
    if (ct_filter_apply(s->rec, f && *f ? f : GB_DEFAULT_FILTER, err, errlen)) return -EINVAL;
    if (o->win_cycles) ct_recorder_window(s->rec, o->wc_lo, o->wc_hi);
    gb_set_recorder(s->g, s->rec);
    if (o->ntrig || o->win_frames) {
        s->trig = calloc(1, sizeof *s->trig);
        if (!s->trig) return -ENOMEM;
        gb_trig_set_init(s->trig, s->rec);
        s->trig->pre = o->pre;
        if (o->trace_out)
            snprintf(s->trig->dump_base, sizeof s->trig->dump_base, "%s", o->trace_out);
        else
            snprintf(s->trig->dump_base, sizeof s->trig->dump_base, "%s/%s.perfetto-trace",
                     o->dump_dir, s->rom_base);
        s->trig->dump_opts = o->dump;
        s->trig->dump_opts.line_fmt = gb_disasm_line_fmt;
        s->trig->dump_opts.look = &gb_look;
        if (s->trig->dump_opts.format == CT_FMT_AUTO)
            s->trig->dump_opts.format = ct_format_from_path(s->trig->dump_base);
        if (s->trig->dump_opts.format == CT_FMT_AUTO) s->trig->dump_opts.format = CT_FMT_PERFETTO;
        for (unsigned i = 0; i < o->ntrig; i++) {
            if (gb_trig_add(s->trig, o->trig_expr[i], o->trig_act[i], err, errlen)) return -EINVAL;
            gb_trigger *t = &s->trig->t[s->trig->n - 1];
            if (o->trig_act[i] == GB_TRIG_DUMP) t->max_dumps = o->max_dumps;
            if (o->trig_act[i] == GB_TRIG_STOP) {
                t->post = o->stop_after;
                t->post_cycles = o->stop_after_cycles;
            }
        }
        if (o->win_frames && gb_trig_window_frames(s->trig, o->wf_lo, o->wf_hi, err, errlen))
            return -EINVAL;
        gb_trig_arm(s->g, s->trig);
    }
    return 0;
}

static void setup_audio(session *s) {
    if (s->o->mute) return;
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        fprintf(stderr, "ceres play: warning: no audio (%s); running silent\n", SDL_GetError());
        return;
    }
    SDL_AudioSpec want = {.freq = GB_AUDIO_RATE,
                          .format = AUDIO_S16SYS,
                          .channels = 2,
                          .samples = 1024},
                  have;
    /* SDL converts to whatever the device wants (rate, format) itself. */
    s->audio = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
    if (!s->audio) {
        fprintf(stderr, "ceres play: warning: no audio device (%s); running silent\n",
                SDL_GetError());
        return;
    }
    SDL_PauseAudioDevice(s->audio, 0);
}

int pl_play(const pl_play_opts *o) {
    session S, *s = &S;
    memset(s, 0, sizeof *s);
    s->o = o;
    s->rc = 0;
    s->slot = 1;
    char err[4400];
    rom_base_name(o->rom_path, s->rom_base, sizeof s->rom_base);

    /* Everything that can be checked without a display first. */
    pl_keymap_default(&s->km);
    char cfg[4200];
    const char *cfg_path = o->config;
    if (!cfg_path && pl_keymap_path(cfg, sizeof cfg) == 0) cfg_path = cfg;
    if (cfg_path) {
        int e = pl_keymap_load(&s->km, cfg_path, err, sizeof err);
        if (e < 0 || (e == 1 && o->config)) {
            fprintf(stderr, "ceres play: config: %s\n", e == 1 ? "no such file" : err);
            return 2;
        }
    }
    s->palette = o->palette >= 0 ? o->palette : s->km.palette;
    int scale = o->scale ? o->scale : s->km.scale;

    uint8_t *rom = NULL, *boot = NULL;
    size_t size = 0, boot_size = 0;
    int e = rn_read_file(o->rom_path, &rom, &size);
    if (e) {
        fprintf(stderr, "ceres play: %s: %s\n", o->rom_path, strerror(-e));
        return 2;
    }
    if (o->boot_path) {
        e = rn_read_file(o->boot_path, &boot, &boot_size);
        if (e || boot_size != 256) {
            fprintf(stderr, "ceres play: boot ROM %s: %s\n", o->boot_path,
                    e ? strerror(-e) : "must be exactly 256 bytes");
            free(rom);
            free(boot);
            return 2;
        }
    }
    for (int i = 0; i < 16 && 0x134u + i < size && rom[0x134 + i]; i++)
        s->title[i] = rom[0x134 + i] >= 0x20 && rom[0x134 + i] < 0x7F ? (char)rom[0x134 + i] : '?';
    gb_config gcfg = {.model = GB_MODEL_DMG, .boot_rom = boot, .boot_rom_size = boot_size};
    s->g = gb_create(rom, size, &gcfg, err, sizeof err);
    free(boot);
    if (!s->g) {
        fprintf(stderr, "ceres play: %s: %s\n", o->rom_path, err);
        free(rom);
        return 2;
    }
    e = pl_input_open(&s->in, rom, size, o->input, o->play_input, o->record_input, err, sizeof err);
    free(rom);
    if (e) {
        fprintf(stderr, "ceres play: %s\n", err);
        s->rc = 2;
        goto out;
    }
    if (setup_recording(s, err, sizeof err)) {
        fprintf(stderr, "ceres play: %s\n", err);
        s->rc = 2;
        goto out;
    }
    if (!o->no_save && gb_battery_size(s->g)) {
        if (pl_sav_path(s->sav, sizeof s->sav, o->rom_path, o->save_dir)) {
            fprintf(stderr, "ceres play: save path too long\n");
            s->rc = 2;
            goto out;
        }
        e = pl_sav_load(s->g, s->sav, (int64_t)time(NULL), err, sizeof err);
        if (e < 0) {
            /* Never overwrite a save we could not read. */
            fprintf(stderr, "ceres play: battery save %s (not loaded, and not overwritten)\n", err);
            s->sav[0] = 0;
        } else if (e == 0) {
            fprintf(stderr, "ceres play: battery save loaded from %s\n", s->sav);
        }
        if (e >= 0) {
            s->sav_len = gb_battery_size(s->g);
            s->sav_last = malloc(s->sav_len);
            if (s->sav_last && gb_battery_save(s->g, s->sav_last, s->sav_len, 0) < 0) {
                free(s->sav_last);
                s->sav_last = NULL;
            }
        }
    }

    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr,
                "ceres play: no display: %s (set DISPLAY or WAYLAND_DISPLAY, run under "
                "xvfb-run, or SDL_VIDEODRIVER=dummy for no window)\n",
                SDL_GetError());
        s->rc = 2;
        goto out;
    }
    /* SDL falls back to drivers that show nothing (offscreen, KMS without
     * access) when there is no display: only a driver asked for by name
     * may be one of those. */
    const char *vd = SDL_GetCurrentVideoDriver(), *asked = getenv("SDL_VIDEODRIVER");
    if (!asked || !*asked) {
        if (!vd || !strcmp(vd, "offscreen") || !strcmp(vd, "dummy")) {
            fprintf(stderr,
                    "ceres play: no display (SDL found only the '%s' video driver): set "
                    "DISPLAY or WAYLAND_DISPLAY, run under xvfb-run, or SDL_VIDEODRIVER=dummy "
                    "for no window\n",
                    vd ? vd : "none");
            s->rc = 2;
            goto out_sdl;
        }
    }
    if (SDL_InitSubSystem(SDL_INIT_GAMECONTROLLER) != 0)
        fprintf(stderr, "ceres play: note: no game controllers (%s)\n", SDL_GetError());
    if (bind_keys(s, err, sizeof err)) {
        fprintf(stderr, "ceres play: config %s: %s\n", cfg_path ? cfg_path : "", err);
        s->rc = 2;
        goto out_sdl;
    }
    s->win = SDL_CreateWindow("Ceres", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                              GB_LCD_W * scale, GB_LCD_H * scale, SDL_WINDOW_RESIZABLE);
    if (s->win) s->ren = SDL_CreateRenderer(s->win, -1, 0);
    if (s->ren)
        s->tex = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   GB_LCD_W, GB_LCD_H);
    if (!s->tex) {
        fprintf(stderr, "ceres play: no display: cannot open a window: %s\n", SDL_GetError());
        s->rc = 2;
        goto out_sdl;
    }
    /* Whole multiples of 160x144 only, centred, black around: square
     * pixels at any window size. */
    SDL_RenderSetLogicalSize(s->ren, GB_LCD_W, GB_LCD_H);
    SDL_RenderSetIntegerScale(s->ren, SDL_TRUE);
    set_title(s);
    setup_audio(s);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    usr1_requests = 0;
    sig_atomic_t usr1_seen = 0;
    fprintf(stderr, "ceres play: %s on %s%s; F12 or SIGUSR1 (pid %ld) dumps the flight recorder\n",
            s->title[0] ? s->title : s->rom_base, SDL_GetCurrentVideoDriver(),
            s->audio ? "" : ", no sound", (long)getpid());

    const Uint64 freq = SDL_GetPerformanceFrequency();
    const double frame_ticks = (double)freq / FPS;
    double next = (double)SDL_GetPerformanceCounter();
    /* Audio queue: keep about 4 frames (67 ms) queued: enough to ride out
     * a late frame without a gap, little enough to feel immediate. */
    const Uint32 bytes_per_frame = (Uint32)(GB_AUDIO_RATE / FPS) * 4;
    const Uint32 target = 4 * bytes_per_frame;
    int16_t abuf[2 * 4096];
    bool was_fast = false;
    Uint64 last_present = 0;
    while (!s->quit) {
        events(s);
        if (usr1_requests != usr1_seen) {
            usr1_seen = usr1_requests;
            dump_start(s->g, s->rec, o->dump_dir, s->rom_base);
        }
        if (s->quit) break;
        bool fast = o->unthrottled || action_held(s, PL_ACT_FAST_FORWARD) || pad_fast(s);
        if (s->paused && !s->advance) {
            render(s);
            SDL_RenderPresent(s->ren);
            SDL_Delay(16);
            next = (double)SDL_GetPerformanceCounter();
            continue;
        }
        s->advance = false;
        uint64_t frame = pl_frame_index(s->g);
        uint8_t b = pl_input_buttons(&s->in, frame, live_buttons(s));
        unsigned why = pl_run_frame(s->g, b, o->until_ldbb ? GB_STOP_LD_B_B : 0);
        char msg[400];
        int r = pl_input_after(&s->in, s->g, b, msg, sizeof msg);
        if (r < 0) {
            fprintf(stderr, "ceres play: input movie: out of memory\n");
            s->rc = 2;
            break;
        }
        if (r == 1) {
            fprintf(stderr, "ceres play: %s\n", msg);
            s->rc = 1;
            if (o->desync_dump && s->rec) {
                ct_dump_opts d = o->dump;
                d.format = CT_FMT_AUTO; /* from its own name */
                e = ct_dump(s->rec, o->desync_dump, &d);
                if (e)
                    fprintf(stderr, "ceres play: --desync-dump %s: %s\n", o->desync_dump,
                            strerror(-e));
                else
                    fprintf(stderr, "ceres play: flight recorder at the desync written to %s\n",
                            o->desync_dump);
            }
        }
        if (s->in.has_play && frame + 1 == s->in.play.nframes)
            fprintf(stderr, "ceres play: input movie ended at frame %llu%s\n",
                    (unsigned long long)(frame + 1),
                    s->in.replay.desynced ? "" : ", every checked frame matched");
        if (s->sav[0] && pl_frame_index(s->g) % 1800 == 0) sav_write(s, false);

        /* Sound: queued at normal speed, dropped while fast-forwarding. */
        size_t n, produced = 0;
        while ((n = gb_audio_take(s->g, abuf, 4096)) > 0) {
            produced += n;
            if (s->audio && !fast) SDL_QueueAudio(s->audio, abuf, (Uint32)(n * 4));
        }
        if (fast != was_fast && s->audio) SDL_ClearQueuedAudio(s->audio);
        was_fast = fast;

        bool last = (o->frames && pl_frame_index(s->g) >= o->frames) || (why & GB_STOP_LD_B_B) ||
                    (o->win_frames && o->wf_hi != UINT64_MAX && gb_frames(s->g) > o->wf_hi);
        /* Fast-forward shows at most 60 frames a real second. */
        Uint64 now_ms = SDL_GetTicks64();
        if (!fast || now_ms - last_present >= 16 || last) {
            last_present = now_ms;
            render(s);
            if (last && o->window_shot) {
                e = window_shot(s, o->window_shot);
                if (e) {
                    fprintf(stderr, "ceres play: --window-shot %s: %s\n", o->window_shot,
                            strerror(-e));
                    s->rc = 1;
                }
            }
            SDL_RenderPresent(s->ren);
        }
        if (last) break;

        /* Pacing: by the audio queue when there is sound, else the clock. */
        if (fast) {
            next = (double)SDL_GetPerformanceCounter();
        } else if (s->audio && produced) {
            next = (double)SDL_GetPerformanceCounter();
            Uint32 q;
            while ((q = SDL_GetQueuedAudioSize(s->audio)) > target) {
                Uint32 ms = (Uint32)((q - target) / (GB_AUDIO_RATE * 4 / 1000));
                SDL_Delay(ms ? ms : 1);
            }
        } else {
            next += frame_ticks;
            double now = (double)SDL_GetPerformanceCounter();
            if (now > next + 5 * frame_ticks) next = now; /* fell behind: do not race */
            if (next > now) SDL_Delay((Uint32)((next - now) * 1000 / (double)freq));
        }
    }
    if (s->audio) SDL_CloseAudioDevice(s->audio);
    if (o->screenshot) {
        e = rn_png_write_shades(o->screenshot, gb_framebuffer(s->g), GB_LCD_W, GB_LCD_H);
        if (e) {
            fprintf(stderr, "ceres play: --screenshot %s: %s\n", o->screenshot, strerror(-e));
            s->rc = s->rc ? s->rc : 1;
        }
    }
out_sdl:
    for (int i = 0; i < 8; i++)
        if (s->pads[i]) SDL_GameControllerClose(s->pads[i]);
    if (s->tex) SDL_DestroyTexture(s->tex);
    if (s->ren) SDL_DestroyRenderer(s->ren);
    if (s->win) SDL_DestroyWindow(s->win);
    SDL_Quit();
out:
    signal(SIGUSR1, SIG_DFL);
    dump_wait();
    if (s->trig) {
        gb_trig_arm(s->g, NULL);
        gb_trig_report(s->trig, stderr);
    }
    if (s->sav[0] && s->rc != 2) sav_write(s, true);
    if (s->rc != 2 && pl_input_close(&s->in, err, sizeof err)) {
        fprintf(stderr, "ceres play: --record-input %s\n", err);
        s->rc = 1;
    } else if (s->in.has_rec && s->rc != 2) {
        fprintf(stderr, "ceres play: input movie written to %s (%llu frames)\n", o->record_input,
                (unsigned long long)s->in.rec.nframes);
    }
    if (o->trace_out && s->rec && s->rc != 2) {
        e = ct_dump(s->rec, o->trace_out, &o->dump);
        if (e) {
            fprintf(stderr, "ceres play: --trace-out %s: %s\n", o->trace_out, strerror(-e));
            s->rc = 1;
        } else {
            fprintf(stderr, "ceres play: trace written to %s\n", o->trace_out);
        }
    }
    gb_set_recorder(s->g, NULL);
    free(s->trig);
    if (s->rec) ct_recorder_destroy(s->rec);
    pl_input_free(&s->in);
    free(s->sav_last);
    gb_destroy(s->g);
    return s->rc;
}
