/* PPU: modes, STAT/LYC, rendering (DMG). Owned by ppu.c.
 *
 * Timing model. A line is 456 dots; `dot` counts the dots of the current
 * line that have elapsed at the end of the last M-cycle tick, so an event
 * placed at dot T becomes visible to the CPU from the first tick that brings
 * `dot` to T or beyond. Each kind of line (visible, first line after LCD
 * enable, VBlank, line 144, line 153) has a fixed schedule of events in ppu.c;
 * the events after mode 3 are moved by the length of the line's mode 3,
 * which the pixel pipeline (gb_fifo) gives: it is run dot by dot, ahead to
 * the end of mode 3 when mode 3 starts, and again from the last register
 * write when the CPU writes a register the pipeline reads during mode 3.
 * The per-M-cycle path is one add and one compare against `next_dot`.
 *
 * The struct is plain data (save states write it raw). */
#ifndef CERES_GB_PPU_H
#define CERES_GB_PPU_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gb gb;

/* The mode 3 pixel pipeline: the background/window fetcher, the background
 * FIFO and the object FIFO (ppu.c). Plain data: a copy is a checkpoint. */
typedef struct gb_fifo {
    uint16_t t;    /* dots since the pipeline started */
    int16_t px;    /* screen x of the next pixel out; negative: off screen */
    uint8_t fine;  /* the SCX fine-scroll discard is on (0 or 1) */
    uint8_t fine0; /* pixels it has discarded (it ends when %8 = SCX%8) */
    uint8_t bg_n;  /* pixels in the background FIFO */
    uint8_t bg_lo; /* background FIFO planes, the next pixel in bit 7 */
    uint8_t bg_hi;
    uint8_t fstep;        /* dots into the current background fetch (0..6) */
    uint8_t fx;           /* tile column of the fetch */
    uint8_t first;        /* the line's first fetch, whose pixels are thrown away */
    uint8_t win;          /* the fetcher is on the window */
    uint8_t tile, lo, hi; /* what the fetch has read */
    uint8_t onext;        /* next entry of obj[] (X order) to match */
    uint8_t ostall;       /* dots left of an object fetch */
    uint8_t ocur;         /* entry of obj[] being fetched */
    uint16_t owait;       /* dot the object's X matched (for its penalty) */
    /* Object FIFO as planes (next pixel in bit 7): colour bits, OBP1, and
     * behind-background. */
    uint8_t ob_lo, ob_hi, ob_pal, ob_pri;
    uint8_t done;  /* 160 pixels out */
    uint8_t rlate; /* a read (its step) put off to the next dot, or 0 */
} gb_fifo;

/* One trace record of the pipeline, kept until mode 3 ends. */
enum { GB_PLOG_FETCH, GB_PLOG_PUSH, GB_PLOG_SPRITE, GB_PLOG_MAX = 64 };
typedef struct gb_plog {
    uint16_t dot;
    uint8_t id; /* GB_PLOG_FETCH (tile, x, window), _PUSH (x, shade), _SPRITE (obj, x, penalty) */
    uint8_t a, b, c;
} gb_plog;

typedef struct gb_ppu {
    uint8_t vram[0x2000];
    uint8_t oam[0xA0];
    /* Shades 0..3; front is the last completed frame. */
    uint8_t fb[2][160 * 144];
    uint8_t front;
    /* The screen is white from the LCD's switch-on until the second frame
     * after it is complete: 1 while the first is drawn, 2 while it is the
     * front one (ppu.c lcd_on; gb_framebuffer shows white), else 0. */
    uint8_t blank;
    /* Registers. `stat` holds only the writable bits 3-6. */
    uint8_t lcdc, stat, scy, scx, ly, lyc, bgp, obp0, obp1, wy, wx;
    uint8_t mode; /* mode as STAT bits 0-1 read it */
    uint16_t dot; /* dot within the line, 0..455 */

    /* Scheduling. */
    uint16_t next_dot; /* dot of the next event of this line */
    uint16_t m3_extra; /* mode 3 length of this line minus 172 */
    uint16_t m3_dot;   /* dot at which mode 3 began */
    uint8_t kind;      /* schedule of this line (ppu.c) */
    uint8_t step;      /* next event in that schedule */
    uint8_t line;      /* line being scanned, 0..153 (LY differs on line 153) */

    /* LY=LYC comparator: idle for a moment at the start of every line. */
    uint8_t cmp_on, cmp_ly;
    uint8_t lyc_flag; /* STAT bit 2; kept while the LCD is off */
    uint8_t lyc_prev; /* lyc_flag at the end of the line before */

    /* STAT interrupt: active mode sources (STAT enable bit positions 3-5),
     * and the level of the ORed line; a rising edge requests IF bit 1. */
    uint8_t src;
    uint8_t stat_line;
    /* IF bits raised in the last dots of this M-cycle: a halted CPU looks
     * at IF before them and wakes one M-cycle later than a running CPU
     * takes them (ppu.c, gb_ppu_step; cleared by the halted CPU's loop). */
    uint8_t hold;

    uint8_t block; /* CPU access blocking (BLK_* bits in ppu.c) */

    /* Window: WY matched LY in this frame, internal line counter, drawn on
     * this line. */
    uint8_t win_hit, win_line, win_drawn;

    /* Objects selected by the OAM scan of this line, in the order the
     * pipeline meets them (lower X first, then OAM order). */
    uint8_t nobj;
    uint8_t obj[10];
    uint8_t scan_dma; /* OAM DMA was running when this line's OAM scan began */

    /* Mode 3: the pipeline at the last checkpoint (mode 3 start or the last
     * register write), in dots of the line at its t = 0. */
    gb_fifo fifo;
    uint16_t fifo_t0;
    uint16_t fifo_end; /* pipeline dot of the end of mode 3, as run ahead */
    uint8_t fifo_live; /* this line's pipeline has started (till line end) */
    /* The pipeline's trace records of the line (ppu.fetch and ppu.push
     * with their trace points on, ppu.sprite always), written when mode 3
     * ends: what the last run ahead did. */
    gb_plog plog[GB_PLOG_MAX];
    uint8_t plog_n;
    uint8_t plog_on; /* the pipeline is running ahead: log its records */
} gb_ppu;

void gb_ppu_init(gb *g); /* post-boot state (LCD on, LY 0) */
void gb_ppu_tick(gb *g); /* advance one M-cycle (4 dots) */
void gb_ppu_step(gb *g); /* run the events that are due */
/* gb_ppu_tick inlined into the caller's M-cycle loop (saves a call per
 * M-cycle, ~4% of the machine's time): `gb_ppu_advance(&g->ppu, g)`. */
static inline void gb_ppu_advance(gb_ppu *p, gb *g) {
    p->dot = (uint16_t)(p->dot + 4);
    if (p->dot >= p->next_dot) gb_ppu_step(g);
}
uint8_t gb_ppu_read(gb *g, uint16_t addr); /* $FF40-$FF45, $FF47-$FF4B */
void gb_ppu_write(gb *g, uint16_t addr, uint8_t v);
/* 0 if a PPU section loaded from a save state is consistent, else -EINVAL
 * (the schedule position, buffer index and object list are checked; the
 * PPU also refuses to read outside its tables whatever the state). */
int gb_ppu_state_check(const gb_ppu *p);
/* CPU access rules. Reads and writes differ at the edges of mode 2 and 3
 * (mooneye lcdon_timing-GS vs lcdon_write_timing-GS): a read of VRAM is
 * refused one M-cycle before a write is, OAM reads are refused from the very
 * start of the line while writes still pass, and OAM writes pass for one
 * M-cycle between the OAM scan and mode 3. */
bool gb_ppu_vram_blocked(const gb *g);       /* CPU cannot read VRAM now */
bool gb_ppu_oam_blocked(const gb *g);        /* CPU cannot read OAM now */
bool gb_ppu_vram_write_blocked(const gb *g); /* CPU cannot write VRAM now */
bool gb_ppu_oam_write_blocked(const gb *g);  /* CPU cannot write OAM now */

#endif
