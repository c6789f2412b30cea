/* Fuzz target: a save state for gb_state_load. A whole state is hard to
 * reach at random (its exact size, tags and lengths), so the input patches
 * a valid one: a state taken from a machine with every sound channel on,
 * then each 4 input bytes write one byte (offset: 3 bytes little-endian,
 * modulo the state's size; value: 1 byte). An input that starts with the
 * state magic is loaded as it is instead. Whatever loads must run: two
 * frames with audio taken, then a save and load round trip. */
#include "fuzz.h"

#include "gb/gb.h"

#include <stdlib.h>
#include <string.h>

#define FRAME 70224

static gb *make_machine(void) {
    static uint8_t rom[0x8000];
    static const uint8_t code[] = {0x3E, 0x80, 0xE0, 0x26, 0x3E, 0xFF, 0xE0, 0x25, 0xE0, 0x24, 0x3E,
                                   0xF0, 0xE0, 0x12, 0x3E, 0x17, 0xE0, 0x10, 0x3E, 0x87, 0xE0, 0x14,
                                   0xE0, 0x1A, 0xE0, 0x1E, 0xE0, 0x21, 0xE0, 0x23, 0x18, 0xFE};
    memset(rom, 0, sizeof rom);
    static const uint8_t entry[] = {0x00, 0xC3, 0x50, 0x01};
    memcpy(rom + 0x100, entry, sizeof entry);
    memcpy(rom + 0x134, "CERESFUZZ", 9);
    memcpy(rom + 0x150, code, sizeof code);
    uint8_t sum = 0;
    for (unsigned i = 0x134; i <= 0x14C; i++)
        sum = (uint8_t)(sum - rom[i] - 1);
    rom[0x14D] = sum;
    char err[256];
    return gb_create(rom, sizeof rom, NULL, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gb *g = make_machine();
    if (!g) return 0;
    gb_run(g, FRAME * 2, 0);
    size_t n = gb_state_size(g);
    uint8_t *st = malloc(n);
    if (!st || gb_state_save(g, st, n) != (long)n) {
        free(st);
        gb_destroy(g);
        return 0;
    }
    const uint8_t *in = st;
    size_t in_n = n;
    if (size >= 8 && !memcmp(data, st, 8)) {
        in = data; /* a whole state */
        in_n = size;
    } else {
        for (size_t i = 0; i + 4 <= size; i += 4) {
            size_t off =
                ((size_t)data[i] | (size_t)data[i + 1] << 8 | (size_t)data[i + 2] << 16) % n;
            st[off] = data[i + 3];
        }
    }
    if (gb_state_load(g, in, in_n) == 0) {
        int16_t audio[2 * 2048];
        for (int f = 0; f < 2; f++) {
            gb_run(g, FRAME, 0);
            gb_audio_take(g, audio, 2048);
        }
        if (gb_state_save(g, st, n) == (long)n) gb_state_load(g, st, n);
    }
    free(st);
    gb_destroy(g);
    return 0;
}
