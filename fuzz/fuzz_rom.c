/* Fuzz target: an arbitrary ROM image. gb_rom_check sees the raw bytes;
 * then the header checksum is patched so most inputs get past the boot
 * ROM's check, and the machine runs one frame with the flight recorder on
 * (every event enabled, a small ring) and a save-state round trip. */
#include "fuzz.h"

#include "gb/gb.h"
#include "gb/gb_events.h"
#include "trace/ct_host.h"

#include <stdlib.h>
#include <string.h>

#define HALF_FRAME 35112

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    gb_rom_check(data, size, err, sizeof err);
    if (size > (8u << 20) + 1) return 0; /* larger ones are refused above, before any copy */
    uint8_t *rom = malloc(size ? size : 1);
    if (!rom) return 0;
    if (size) memcpy(rom, data, size);
    if (size >= 0x150) {
        uint8_t sum = 0;
        for (unsigned i = 0x134; i <= 0x14C; i++)
            sum = (uint8_t)(sum - rom[i] - 1);
        rom[0x14D] = sum;
    }
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    free(rom);
    if (!g) return 0;
    ct_recorder *rec = ct_recorder_create(&gb_schema, 64 << 10, 0, CT_OVERWRITE, err, sizeof err);
    if (rec && ct_filter_apply(rec, "trace", err, sizeof err) == 0) gb_set_recorder(g, rec);
    gb_run(g, HALF_FRAME, GB_STOP_LOCKUP);
    /* A save state taken mid-run loads back into the same machine. */
    size_t n = gb_state_size(g);
    uint8_t *st = malloc(n);
    if (st && gb_state_save(g, st, n) > 0) gb_state_load(g, st, n);
    free(st);
    gb_run(g, HALF_FRAME, GB_STOP_LOCKUP);
    if (rec) {
        ct_trace *t = NULL;
        if (ct_trace_from_recorder(rec, &t) == 0) ct_trace_free(t);
    }
    gb_set_recorder(g, NULL);
    ct_recorder_destroy(rec);
    gb_destroy(g);
    return 0;
}
