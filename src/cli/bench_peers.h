/* Peer emulators timed by `ceres bench emu` through their libretro cores. */
#ifndef CERES_BENCH_PEERS_H
#define CERES_BENCH_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_PEER_GAMBATTE "/usr/lib/x86_64-linux-gnu/libretro/gambatte_libretro.so"
#define BENCH_PEER_MGBA     "/usr/lib/x86_64-linux-gnu/libretro/mgba_libretro.so"

/* Run `frames` video frames of a ROM in the libretro core at `core`; the
 * wall time of the frames alone goes to *seconds. 0 or -1 (message in err). */
int bench_peer_run(const char *core, const char *rom_path, const uint8_t *rom, size_t size,
                   unsigned frames, double *seconds, char *err, size_t errlen);

#endif
