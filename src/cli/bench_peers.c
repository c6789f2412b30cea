/* Peer emulators for `ceres bench emu`: a minimal headless libretro frontend
 * that loads a core shared object (Debian's libretro-gambatte, libretro-mgba),
 * runs a ROM for a number of frames with video and audio discarded, and times
 * it. Only the handful of libretro entry points a headless run needs are
 * declared here (the ABI is stable: version 1). */
#include "bench_peers.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct retro_game_info {
    const char *path;
    const void *data;
    size_t size;
    const char *meta;
};

typedef bool (*retro_environment_t)(unsigned cmd, void *data);
typedef void (*retro_video_refresh_t)(const void *data, unsigned w, unsigned h, size_t pitch);
typedef void (*retro_audio_sample_t)(int16_t l, int16_t r);
typedef size_t (*retro_audio_sample_batch_t)(const int16_t *data, size_t frames);
typedef void (*retro_input_poll_t)(void);
typedef int16_t (*retro_input_state_t)(unsigned port, unsigned device, unsigned index, unsigned id);

/* Environment commands answered here. */
#define RETRO_ENV_GET_SYSTEM_DIRECTORY 9
#define RETRO_ENV_SET_PIXEL_FORMAT     10
#define RETRO_ENV_GET_SAVE_DIRECTORY   31
#define RETRO_ENV_GET_CAN_DUPE         3
#define RETRO_ENV_GET_VARIABLE         15

struct retro_variable {
    const char *key;
    const char *value;
};

/* Core options that make each peer emulate the same machine as Ceres: a DMG,
 * not a Color (both would pick CGB mode for CGB-compatible ROMs). */
static const struct retro_variable dmg_options[] = {
    {"gambatte_gb_hwmode", "GB"},
    {"mgba_gb_model", "Game Boy"},
};

static unsigned long frames_seen;

static bool env_cb(unsigned cmd, void *data) {
    switch (cmd) {
    case RETRO_ENV_SET_PIXEL_FORMAT: return true; /* any format: frames are discarded */
    case RETRO_ENV_GET_CAN_DUPE: *(bool *)data = true; return true;
    case RETRO_ENV_GET_VARIABLE: {
        struct retro_variable *v = data;
        for (size_t i = 0; i < sizeof dmg_options / sizeof dmg_options[0]; i++)
            if (v->key && !strcmp(v->key, dmg_options[i].key)) {
                v->value = dmg_options[i].value;
                return true;
            }
        v->value = NULL;
        return false;
    }
    case RETRO_ENV_GET_SYSTEM_DIRECTORY:
    case RETRO_ENV_GET_SAVE_DIRECTORY: *(const char **)data = NULL; return true;
    default: return false;
    }
}
static void video_cb(const void *d, unsigned w, unsigned h, size_t p) {
    (void)d, (void)w, (void)h, (void)p;
    frames_seen++;
}
static void audio_cb(int16_t l, int16_t r) {
    (void)l, (void)r;
}
static size_t audio_batch_cb(const int16_t *d, size_t n) {
    (void)d;
    return n;
}
static void poll_cb(void) {}
static int16_t input_cb(unsigned a, unsigned b, unsigned c, unsigned d) {
    (void)a, (void)b, (void)c, (void)d;
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The core's entry points, looked up by name. */
struct core_api {
    void (*set_environment)(retro_environment_t);
    void (*set_video_refresh)(retro_video_refresh_t);
    void (*set_audio_sample)(retro_audio_sample_t);
    void (*set_audio_sample_batch)(retro_audio_sample_batch_t);
    void (*set_input_poll)(retro_input_poll_t);
    void (*set_input_state)(retro_input_state_t);
    void (*init)(void);
    void (*deinit)(void);
    bool (*load_game)(const struct retro_game_info *);
    void (*unload_game)(void);
    void (*run)(void);
};

static int load_api(void *h, struct core_api *api, const char *core, char *err, size_t errlen) {
    static const char *const names[] = {"retro_set_environment",
                                        "retro_set_video_refresh",
                                        "retro_set_audio_sample",
                                        "retro_set_audio_sample_batch",
                                        "retro_set_input_poll",
                                        "retro_set_input_state",
                                        "retro_init",
                                        "retro_deinit",
                                        "retro_load_game",
                                        "retro_unload_game",
                                        "retro_run"};
    void *syms[sizeof names / sizeof names[0]];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        syms[i] = dlsym(h, names[i]);
        if (!syms[i]) {
            snprintf(err, errlen, "%s: missing symbol %s", core, names[i]);
            return -1;
        }
    }
    /* POSIX guarantees object pointers from dlsym convert to function pointers. */
    memcpy(&api->set_environment, &syms[0], sizeof(void *));
    memcpy(&api->set_video_refresh, &syms[1], sizeof(void *));
    memcpy(&api->set_audio_sample, &syms[2], sizeof(void *));
    memcpy(&api->set_audio_sample_batch, &syms[3], sizeof(void *));
    memcpy(&api->set_input_poll, &syms[4], sizeof(void *));
    memcpy(&api->set_input_state, &syms[5], sizeof(void *));
    memcpy(&api->init, &syms[6], sizeof(void *));
    memcpy(&api->deinit, &syms[7], sizeof(void *));
    memcpy(&api->load_game, &syms[8], sizeof(void *));
    memcpy(&api->unload_game, &syms[9], sizeof(void *));
    memcpy(&api->run, &syms[10], sizeof(void *));
    return 0;
}

int bench_peer_run(const char *core, const char *rom_path, const uint8_t *rom, size_t size,
                   unsigned frames, double *seconds, char *err, size_t errlen) {
    void *h = dlopen(core, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "%s", dlerror());
        return -1;
    }
    struct core_api api;
    if (load_api(h, &api, core, err, errlen)) {
        dlclose(h);
        return -1;
    }
    api.set_environment(env_cb);
    api.init();
    api.set_video_refresh(video_cb);
    api.set_audio_sample(audio_cb);
    api.set_audio_sample_batch(audio_batch_cb);
    api.set_input_poll(poll_cb);
    api.set_input_state(input_cb);
    struct retro_game_info gi = {rom_path, rom, size, NULL};
    int rc = -1;
    if (api.load_game(&gi)) {
        frames_seen = 0;
        double t0 = now_s();
        for (unsigned i = 0; i < frames; i++)
            api.run();
        *seconds = now_s() - t0;
        api.unload_game();
        rc = 0;
    } else {
        snprintf(err, errlen, "%s: could not load %s", core, rom_path);
    }
    api.deinit();
    dlclose(h);
    return rc;
}
