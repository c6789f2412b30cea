/* Ceres emulator core: public API (prefix gb_). One context struct, no
 * globals: any number of machines can live in one process. */
#ifndef CERES_GB_H
#define CERES_GB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ct_recorder;

typedef struct gb gb;

typedef enum gb_model {
    GB_MODEL_DMG = 0, /* DMG revision ABC */
} gb_model;

typedef struct gb_config {
    gb_model model;
    const uint8_t *boot_rom; /* optional 256-byte DMG boot ROM; NULL = start in post-boot state */
    size_t boot_rom_size;
} gb_config;

/* Why gb_run() returned (bit set). */
enum {
    GB_STOP_LIMIT = 1u << 0,   /* the cycle limit was reached */
    GB_STOP_LD_B_B = 1u << 1,  /* LD B,B (0x40) executed: the test ROMs' breakpoint */
    GB_STOP_FRAME = 1u << 2,   /* a frame was completed (entered VBlank) */
    GB_STOP_LOCKUP = 1u << 3,  /* an illegal opcode locked the CPU up */
    GB_STOP_SERIAL = 1u << 4,  /* a serial byte was sent */
    GB_STOP_REQUEST = 1u << 5, /* gb_request_stop() was called (e.g. by a trigger) */
};

/* Buttons for gb_set_buttons (1 = pressed). */
enum {
    GB_BTN_RIGHT = 1 << 0,
    GB_BTN_LEFT = 1 << 1,
    GB_BTN_UP = 1 << 2,
    GB_BTN_DOWN = 1 << 3,
    GB_BTN_A = 1 << 4,
    GB_BTN_B = 1 << 5,
    GB_BTN_SELECT = 1 << 6,
    GB_BTN_START = 1 << 7,
};

typedef struct gb_regs {
    uint8_t a, f, b, c, d, e, h, l;
    uint16_t sp, pc;
    bool ime, halted;
    bool ei_pending; /* EI executed: IME becomes 1 after the next instruction */
    bool stopped;    /* STOP: waiting for a button press */
} gb_regs;

#define GB_LCD_W 160
#define GB_LCD_H 144

/* The largest cartridge image a machine accepts: MBC5's 512 banks of 16 KiB. */
#define GB_ROM_MAX_SIZE (8u << 20)

/* Check a ROM image without creating a machine: 0 if it can be run, else a
 * negative errno-style code and a message in err. */
int gb_rom_check(const uint8_t *rom, size_t size, char *err, size_t errlen);

/* Create a machine running `rom` (copied). NULL on error, message in err. */
gb *gb_create(const uint8_t *rom, size_t size, const gb_config *cfg, char *err, size_t errlen);
void gb_destroy(gb *g);
void gb_reset(gb *g);

/* Attach a recorder (or NULL). The machine copies rec->flags into its own
 * hot flags: call again after changing the filter. */
void gb_set_recorder(gb *g, struct ct_recorder *rec);

/* Run until one of the bits in stop_mask happens or `max_cycles` more
 * T-cycles have elapsed (GB_STOP_LIMIT is always implied); returns the bits
 * that stopped it. Stops only at instruction boundaries. */
unsigned gb_run(gb *g, uint64_t max_cycles, unsigned stop_mask);
/* One step: one instruction, an interrupt dispatch, or one M-cycle while
 * halted, stopped or locked up. Returns the GB_STOP_* bits raised during it
 * (and a stop requested before it, which it consumes; never GB_STOP_LIMIT),
 * plus GB_STEP_INSN when the step ran an instruction. */
#define GB_STEP_INSN (1u << 31)
#define GB_STEP_IRQ  (1u << 30) /* the step dispatched an interrupt */
unsigned gb_step(gb *g);
void gb_request_stop(gb *g);

uint64_t gb_cycles(const gb *g); /* T-cycles since power-on */
uint64_t gb_frames(const gb *g); /* frames completed (VBlank entries) */
void gb_get_regs(const gb *g, gb_regs *r);
/* Load the CPU's state from r (a HALT bug, lock-up or break pending is
 * cleared). For tests and debuggers; call between runs. */
void gb_set_regs(gb *g, const gb_regs *r);
/* IE ($FFFF) and IF ($FF0F, low 5 bits) as the CPU's interrupt logic sees
 * them (in flat test mode, memory at $FFFF is plain RAM). */
void gb_set_interrupts(gb *g, uint8_t ie, uint8_t iflag);

/* Read memory as the CPU would see it, without side effects or timing. */
uint8_t gb_peek(gb *g, uint16_t addr);

/* The PPU as a debugger shows it: its mode, the dot of the line and the
 * pixel pipeline of mode 3 at this very dot (the pipeline is run ahead
 * inside the PPU; this runs a copy of it to the present and changes
 * nothing in the machine). */
typedef struct gb_ppu_info {
    bool lcd_on;
    uint8_t mode;       /* as STAT bits 0-1 read it */
    uint8_t ly, line;   /* LY as read, and the line being scanned (they differ on line 153) */
    uint16_t dot;       /* dot within the line, 0..455 */
    uint16_t mode3_len; /* dots of this line's mode 3 (172 + penalties) once it began, else 0 */
    /* The pipeline (meaningful while `pipeline` is true: mode 3 of a visible line). */
    bool pipeline;
    uint8_t fetch_step;     /* dots into the current background/window tile fetch (0..7) */
    uint8_t fetch_x;        /* tile column being fetched */
    uint8_t bg_fifo;        /* pixels in the background FIFO (0..16) */
    uint8_t fine_left;      /* SCX fine-scroll pixels still to drop */
    uint8_t pushed;         /* pixels pushed to the screen on this line (0..160) */
    bool window;            /* the fetcher is on the window */
    bool obj_fetch;         /* an object fetch is stalling the pipeline */
    uint8_t objs, obj_next; /* objects found by the OAM scan; the next one to match */
    bool win_hit;           /* WY matched LY in this frame */
    uint8_t win_line;       /* the window's internal line counter */
} gb_ppu_info;
void gb_get_ppu(gb *g, gb_ppu_info *out);

/* The last completed frame: 160x144 bytes, shade 0 (white) .. 3 (black);
 * all white from the LCD's switch-on until the second frame after it is
 * complete, as the DMG does not show the first. */
const uint8_t *gb_framebuffer(const gb *g);

void gb_set_buttons(gb *g, uint8_t pressed);

/* Doctor mode: LY ($FF44) reads return $90, as the Gameboy Doctor's
 * reference logs were made with (they assume a CPU that never sees LY move). */
void gb_set_doctor_mode(gb *g, bool on);

/* Bytes sent over the serial port so far (internal clock). */
const uint8_t *gb_serial_output(const gb *g, size_t *len);

/* Audio: stereo int16 samples produced since the last call (interleaved
 * L,R), at GB_AUDIO_RATE Hz. */
#define GB_AUDIO_RATE 48000
size_t gb_audio_take(gb *g, int16_t *out, size_t max_frames);
/* T-cycles since the unfiltered output last changed: the mixed level of
 * either side (the channels' DAC outputs through NR51 and NR50), before the
 * output capacitor's high-pass and the averaging into GB_AUDIO_RATE
 * samples. A value of at least N means the output was constant (silent, or
 * a steady DC level) for the last N T-cycles. */
uint64_t gb_audio_steady_cycles(gb *g);

/* Current ROM bank mapped at addr (0x0000-0x7FFF). */
unsigned gb_rom_bank(const gb *g, uint16_t addr);

/* Flat test mode, for per-instruction CPU vectors (the SM83
 * SingleStepTests): every CPU access goes to `mem` (64 KiB, the caller's),
 * nothing else is ticked, and each M-cycle is appended to `log` (up to
 * `cap` entries; gb_flat_cycles() keeps counting past it); no interrupt is
 * dispatched (the vectors test one instruction). NULL mem leaves
 * the mode. The machine needs a cartridge all the same (any valid image);
 * flat mode never reads it. */
typedef struct gb_bus_access {
    uint16_t addr;
    uint8_t value;
    uint8_t kind; /* 'r', 'w' or '-' (internal cycle) */
} gb_bus_access;
void gb_set_flat_mode(gb *g, uint8_t *mem, gb_bus_access *log, unsigned cap);
/* M-cycles since the mode was set or the count cleared. */
unsigned gb_flat_cycles(const gb *g);
void gb_flat_clear(gb *g);

/* Save states: versioned, size-checked sections. gb_state_size() tells the
 * buffer size; save returns bytes written or a negative error; load returns 0
 * or a negative error (and leaves the machine unchanged on error). */
size_t gb_state_size(const gb *g);
long gb_state_save(const gb *g, uint8_t *buf, size_t size);
/* Checkpoints (debug/gb_ckpt.h) keep the state of their last checkpoint
 * and want only what may differ from it. gb_state_changes lists the byte
 * ranges of the state gb_state_save would write now that may differ from
 * the state at the baseline (the last gb_state_baseline or
 * gb_state_changes), in increasing order of offset, each with where its
 * bytes are now (valid until the machine runs or the next call); every
 * other byte is as it was. It then makes the present the baseline. Returns
 * the count; -ESTALE when there is no baseline (none set, or gb_reset,
 * gb_state_load or gb_battery_load since: save the whole state, then call
 * gb_state_baseline); -ENOSPC when more than `max` (GB_STATE_PARTS_MAX is
 * always enough). One taker per machine: the baseline is the machine's. */
typedef struct gb_state_part {
    size_t off, len;
    const void *src;
} gb_state_part;
#define GB_STATE_PARTS_MAX 96
long gb_state_changes(gb *g, gb_state_part *parts, unsigned max);
void gb_state_baseline(gb *g);
int gb_state_load(gb *g, const uint8_t *buf, size_t size);

/* Battery-backed cartridge RAM (and the MBC3 clock): what a .sav file
 * holds. gb_battery_size() is 0 for a cartridge without a battery. Save
 * returns the bytes written (the clock stamped with host_time, seconds since
 * the epoch) or a negative error; load returns 0 or -EINVAL (wrong size) and
 * runs the clock on by the host time elapsed since the save. */
size_t gb_battery_size(const gb *g);
long gb_battery_save(gb *g, uint8_t *buf, size_t size, int64_t host_time);
int gb_battery_load(gb *g, const uint8_t *buf, size_t size, int64_t host_time);
/* The MBC3 clock's live registers S, M, H, DL, DH (zeros without a clock). */
void gb_rtc_get(gb *g, uint8_t regs[5]);

#ifdef __cplusplus
}
#endif

#endif
