/* PPU (DMG rev ABC): line and mode timing, LY/LYC, the STAT interrupt line,
 * VBlank, CPU access rules, and a scanline renderer that catches up on
 * register writes made during mode 3.
 *
 * Every line follows a schedule: a table of (dot, event). The M-cycle tick
 * adds 4 dots and runs the events whose dot has been reached; see ppu.h for
 * what a dot position means. The positions below are in the coordinates of
 * that model: dot 0 is the tick at which LY takes its new value. */
#include "gb_internal.h"

#include <errno.h>
#include <string.h>

enum {
    BLK_OAM_R = 1 << 0,
    BLK_OAM_W = 1 << 1,
    BLK_VRAM_R = 1 << 2,
    BLK_VRAM_W = 1 << 3,
    BLK_MODE3 = BLK_OAM_R | BLK_OAM_W | BLK_VRAM_R | BLK_VRAM_W,
};

/* STAT interrupt sources, at the position of their enable bit in STAT. */
enum { SRC_M0 = 0x08, SRC_M1 = 0x10, SRC_M2 = 0x20, SRC_LYC = 0x40 };

enum { LCDC_BG = 0x01, LCDC_OBJ = 0x02, LCDC_OBJ16 = 0x04, LCDC_BGMAP = 0x08 };
enum { LCDC_TILES = 0x10, LCDC_WIN = 0x20, LCDC_WINMAP = 0x40, LCDC_ON = 0x80 };

#define LINE_DOTS 456

/* Dot at which the LCD-enable write leaves the PPU on line 0. Line 0 after
 * enabling ends at the normal dot 456, but the OAM scan is not reported
 * (STAT reads mode 0, OAM stays accessible) and mode 3 comes 2 dots late:
 * mooneye lcdon_timing-GS / lcdon_write_timing-GS pin LY=1 111 M-cycles
 * after `ldh (LCDC),a` + `ld a,(de)`, mode 3 at 18, mode 0 at 61. */
#define LCDON_DOT   4
#define LCDON_SHIFT 2

/* Mode 3 starts at dot 81 and the STAT mode bits read 0 from dot 253 when
 * mode 3 has its minimum length: a 4..7-dot object penalty then shows one
 * M-cycle later, an 8..11 one two (floor(penalty/4): mooneye
 * intr_2_mode0_timing_sprites). The mode 0 interrupt source rises at dot
 * 254 + SCX%8: a running CPU sees it at the tick of dot 256 for SCX%8 =
 * 0..2, 260 for 3..6, 264 for 7 (gambatte m2int_m0irq: scx2 reads IF.STAT
 * one M-cycle before scx3 and scx5), while a halted CPU sees only what rose
 * 2 dots before the tick (see `hold`): SCX%8 = 1..4 wakes it one M-cycle
 * after SCX%8 = 0, and 5..7 two (mooneye hblank_ly_scx_timing-GS: 51/50/49
 * cycles to the LY increment). */
#define DOT_M3      81
#define DOT_M0      253
#define DOT_M0_IRQ  254
#define DOT_SCANEND 80 /* VRAM reads refused; OAM writes pass again */
/* Mode 2 STAT bits, the comparator and OAM write blocking one M-cycle into
 * the line (lcdon_timing: STAT reads mode 0 and LY=LYC false at the M-cycle
 * LY changes; intr_2_mode3_timing, intr_1_2_timing-GS), early in that
 * M-cycle. The mode 2 interrupt source of lines 1-143 rises earlier, with
 * LY (line_start); that of line 0 with the mode bits, as the pulse of line
 * 144, so a halted CPU wakes for it at once (gambatte halt/lycirq_m2stat_2;
 * see `hold`). */
#define DOT_M2     2
#define DOT_M2_END 8 /* end of the line-0 mode 2 interrupt pulse */
/* VBlank (IF bit 0), STAT mode 1, and the mode-2 source pulse of line 144,
 * early in the M-cycle: a halted CPU wakes at once (mooneye
 * halt_ime1_timing2-GS, intr_1_2_timing-GS, vblank_stat_intr-GS). */
#define DOT_VBLANK 2
/* Line 153: LY reads 153 for one M-cycle, then 0; the comparator sees 153,
 * then nothing, then 0 (Pan Docs, STAT: "LY=153 quirk"). */
#define DOT_153_LY0  4
#define DOT_153_OFF  8
#define DOT_153_CMP0 12

/* Where the PPU is when the CPU reaches $0100 after the DMG boot ROM: line
 * 153 with LY already reading 0, STAT $85 (Pan Docs, Power Up Sequence;
 * mooneye boot_hwio-dmgABCmgb). */
#define BOOT_LINE 153
#define BOOT_DOT  400

enum ev {
    EV_MODE2,     /* STAT mode 2 and its source, comparator on, OAM writes blocked */
    EV_SCAN_END,  /* object selection and mode 3 length; VRAM reads blocked */
    EV_MODE3,     /* STAT mode 3, everything blocked, drawing starts */
    EV_MODE0_IRQ, /* mode 0 interrupt source */
    EV_MODE0,     /* STAT mode 0, access restored, line drawn */
    EV_VBLANK,    /* line 144: mode 1, IF VBlank, frame completed */
    EV_M2_OFF,    /* end of the mode 2 source pulse */
    EV_CMP,       /* comparator on for LY */
    EV_153_LY0,   /* line 153: LY reads 0, comparator sees 153 */
    EV_CMP_OFF,   /* comparator idle */
    EV_CMP0,      /* comparator sees 0 */
    EV_LINE_END,
};

typedef struct sched {
    uint16_t dot;
    uint8_t ev;
    uint8_t after_m3; /* moved by the mode 3 penalty of the line */
} sched;

enum { K_VISIBLE, K_LCDON0, K_VBLANK144, K_VBLANK, K_LINE153 };

static const sched visible[] = {
    {DOT_M2, EV_MODE2, 0},       {DOT_M2_END, EV_M2_OFF, 0}, {DOT_SCANEND, EV_SCAN_END, 0},
    {DOT_M3, EV_MODE3, 0},       {DOT_M0, EV_MODE0, 1},      {DOT_M0_IRQ, EV_MODE0_IRQ, 1},
    {LINE_DOTS, EV_LINE_END, 0},
};
static const sched lcdon0[] = {
    {DOT_SCANEND + LCDON_SHIFT, EV_SCAN_END, 0},
    {DOT_M3 + LCDON_SHIFT, EV_MODE3, 0},
    {DOT_M0 + LCDON_SHIFT, EV_MODE0, 1},
    {DOT_M0_IRQ + LCDON_SHIFT, EV_MODE0_IRQ, 1},
    {LINE_DOTS, EV_LINE_END, 0},
};
static const sched vblank144[] = {
    {DOT_VBLANK, EV_VBLANK, 0},
    {DOT_M2_END, EV_M2_OFF, 0},
    {LINE_DOTS, EV_LINE_END, 0},
};
static const sched vblank[] = {
    {DOT_M2, EV_CMP, 0},
    {LINE_DOTS, EV_LINE_END, 0},
};
static const sched line153[] = {
    {DOT_153_LY0, EV_153_LY0, 0},
    {DOT_153_OFF, EV_CMP_OFF, 0},
    {DOT_153_CMP0, EV_CMP0, 0},
    {LINE_DOTS, EV_LINE_END, 0},
};
static const sched *const schedules[] = {visible, lcdon0, vblank144, vblank, line153};
#define LEN(a) (sizeof(a) / sizeof((a)[0]))
static const uint8_t sched_len[] = {LEN(visible), LEN(lcdon0), LEN(vblank144), LEN(vblank),
                                    LEN(line153)};
#define NKINDS LEN(schedules)

/* ---- STAT line --------------------------------------------------------- */

/* Recompute the STAT interrupt line; a rising edge requests the interrupt.
 * One line ORs every enabled source, so a source rising while another holds
 * the line high requests nothing (mooneye stat_irq_blocking). */
static inline void stat_update(gb *g) {
    gb_ppu *p = &g->ppu;
    uint8_t active = (uint8_t)((p->src | (p->lyc_flag ? SRC_LYC : 0)) & p->stat);
    uint8_t level = active != 0;
    if (level && !p->stat_line) {
        g->intf |= GB_INT_STAT;
        GB_TRACE(g, PPU_STAT_IRQ, p->ly, active);
    }
    p->stat_line = level;
}

static inline void compare(gb *g) {
    gb_ppu *p = &g->ppu;
    uint8_t f = p->cmp_on && p->cmp_ly == p->lyc;
    if (f && !p->lyc_flag) GB_TRACE(g, PPU_LYC, p->ly);
    p->lyc_flag = f;
}

static void set_mode(gb *g, uint8_t mode, uint16_t dot) {
    gb_ppu *p = &g->ppu;
    p->mode = mode;
    GB_TRACE(g, PPU_MODE, mode, p->ly, dot);
}

static void set_ly(gb *g, uint8_t ly) {
    g->ppu.ly = ly;
    GB_HOOK_LINE(g, ly); /* before the record: a trigger on LY keeps it */
    GB_TRACE(g, PPU_LY, ly);
}

/* ---- the pixel pipeline (mode 3) --------------------------------------- */

/* Object selection (OAM scan): the first ten objects in OAM order that cover
 * the line, then in the order the pipeline meets them: lower X first, then
 * OAM order (stable insertion sort). At one X the earlier one is fetched
 * first and keeps its opaque pixels in the object FIFO, which is the DMG's
 * drawing priority (Pan Docs, Object Priority). */
static void scan_oam(gb_ppu *p) {
    unsigned h = (p->lcdc & LCDC_OBJ16) ? 16 : 8, y = p->line + 16u;
    /* Without a branch per object (which one is on the line is as good as
     * random): store the index always, count it when y - oy < h (as
     * unsigned: y >= oy and y < oy + h). */
    unsigned n = 0;
    for (unsigned i = 0; i < 40; i++) {
        p->obj[n] = (uint8_t)i;
        n += y - p->oam[i * 4] < h;
        if (n == 10) break;
    }
    p->nobj = (uint8_t)n;
    for (unsigned i = 1; i < p->nobj; i++) {
        uint8_t o = p->obj[i];
        unsigned j = i;
        while (j > 0 && p->oam[p->obj[j - 1] * 4 + 1] > p->oam[o * 4 + 1]) {
            p->obj[j] = p->obj[j - 1];
            j--;
        }
        p->obj[j] = o;
    }
}

/* Pipeline timing, in dots from its start (t = 0 is one dot before STAT
 * reads mode 3). The fetcher takes 2 dots for each of its reads (tile
 * number, data low, data high: the read at the step's second dot) and then
 * pushes 8 pixels when the background FIFO is empty; a pixel leaves the
 * FIFO each dot it holds any. The line's first fetch is thrown away, then
 * SCX%8 pixels are discarded and 8 more are off screen: with no object and
 * no window the first pixel leaves at t = 13 + SCX%8 and the last at
 * t = 172 + SCX%8, and mode 3 lasts 172 dots plus SCX%8 (Pan Docs, Pixel
 * FIFO; mooneye intr_2_mode0_timing, hblank_ly_scx_timing-GS). */
#define FIFO_T_END 173
#define FETCH_TILE 2
#define FETCH_LO   4
#define FETCH_HI   6
/* An object whose X matches waits until the fetcher is 5 dots into its
 * background fetch, then takes 6 dots: 6 to 11 dots per object, the wait
 * only for the first object on a background tile (mooneye
 * intr_2_mode0_timing_sprites, every case). */
#define OBJ_READY 5
#define OBJ_DOTS  6

/* The eight bits of a tile byte as eight bytes of 0 or 1, the leftmost
 * pixel (bit 7) in the lowest byte: replicate the byte, keep bit 7-i in
 * byte i, and turn each non-zero byte (at most $80) into 1 by adding $7F. */
#define BYTES_01 0x0101010101010101ull
static inline uint64_t spread8(unsigned b) {
    const uint64_t t = ((uint64_t)b * BYTES_01) & 0x0102040810204080ull;
    return ((t + 0x7F7F7F7F7F7F7F7Full) >> 7) & BYTES_01;
}

static inline unsigned bg_tile_base(const gb_ppu *p, uint8_t t) {
    return (p->lcdc & LCDC_TILES) ? t * 16u : (unsigned)(0x1000 + (int8_t)t * 16);
}

/* The pipeline's trace records of this line (ppu.fetch, ppu.push,
 * ppu.sprite), kept as the pipeline runs ahead and written when mode 3
 * ends: the pipeline runs once, and a register write drops the records
 * from its dot on before the pipeline runs ahead again. */
static inline void plog_add(gb_ppu *p, uint8_t id, uint8_t a, uint8_t b, uint8_t c, unsigned dot) {
    if (p->plog_n >= GB_PLOG_MAX) return;
    gb_plog *e = &p->plog[p->plog_n++];
    e->id = id;
    e->a = a;
    e->b = b;
    e->c = c;
    e->dot = (uint16_t)dot;
}

/* The fetcher's read of step `step` (FETCH_TILE, _LO or _HI). Registers
 * are read at the dot of the read: SCX (coarse), SCY, WY's line counter,
 * LCDC bits 3, 4, 6. */
CT_INLINE void fetch_read(gb_ppu *p, gb_fifo *f, unsigned step) {
    if (step == FETCH_TILE) {
        unsigned addr;
        if (f->win) {
            addr = ((p->lcdc & LCDC_WINMAP) ? 0x1C00u : 0x1800u) + (p->win_line >> 3) * 32u +
                   (f->fx & 31u);
        } else {
            unsigned y = (p->line + p->scy) & 255u;
            addr = ((p->lcdc & LCDC_BGMAP) ? 0x1C00u : 0x1800u) + (y >> 3) * 32u +
                   (((p->scx >> 3) + f->fx) & 31u);
        }
        f->tile = p->vram[addr];
    } else {
        unsigned row = f->win ? p->win_line & 7u : (p->line + p->scy) & 7u;
        uint8_t b = p->vram[(bg_tile_base(p, f->tile) + row * 2 + (step == FETCH_HI)) & 0x1FFFu];
        if (step == FETCH_HI)
            f->hi = b;
        else
            f->lo = b;
    }
}

/* One dot of the background/window fetcher. The fetcher's reads reach
 * VRAM only at odd pipeline dots (where they fall when nothing has stalled
 * it): after a stall of an odd number of dots (an object fetch of 9 or 11
 * dots) each read comes one dot after its step, while the steps, and with
 * them the object penalties, keep their dots (gambatte bgtiledata: an LCDC
 * tile-data write lands between the data-low and data-high reads of the
 * same tiles with an object at X=9 and X=10, penalties 10 and 9). */
CT_INLINE void fetch_dot(gb *g, gb_fifo *f, bool emit) {
    gb_ppu *p = &g->ppu;
    if (f->rlate) {
        fetch_read(p, f, f->rlate);
        f->rlate = 0;
    }
    if (f->fstep < FETCH_HI) {
        f->fstep++;
        if (!(f->fstep & 1)) {
            if (f->t & 1)
                fetch_read(p, f, f->fstep);
            else
                f->rlate = f->fstep;
        }
    }
    if (f->fstep == FETCH_HI && f->bg_n == 0) {
        if (f->rlate) { /* the push cannot wait for it */
            fetch_read(p, f, f->rlate);
            f->rlate = 0;
        }
        /* One record per fetch, at the dot its 8 pixels enter the FIFO
         * (the reads are 2, 4 and 6 dots into it, before this dot). */
        if (emit) plog_add(p, GB_PLOG_FETCH, f->tile, f->fx, f->win, p->fifo_t0 + f->t);
        f->bg_lo = f->lo;
        f->bg_hi = f->hi;
        f->bg_n = 8;
        f->fstep = 0;
        if (f->first)
            f->first = 0;
        else
            f->fx++;
    }
}

/* The three reads of a background/window fetch at once (fetch_dot's
 * steps 1..6 with no register write between them). */
static inline void fetch_tile(gb_ppu *p, gb_fifo *f) {
    unsigned addr, row;
    if (f->win) {
        addr = ((p->lcdc & LCDC_WINMAP) ? 0x1C00u : 0x1800u) + (p->win_line >> 3) * 32u +
               (f->fx & 31u);
        row = p->win_line & 7u;
    } else {
        unsigned y = (p->line + p->scy) & 255u;
        addr = ((p->lcdc & LCDC_BGMAP) ? 0x1C00u : 0x1800u) + (y >> 3) * 32u +
               (((p->scx >> 3) + f->fx) & 31u);
        row = y & 7u;
    }
    f->tile = p->vram[addr];
    unsigned base = (bg_tile_base(p, f->tile) + row * 2) & 0x1FFFu;
    f->lo = p->vram[base];
    f->hi = p->vram[(base + 1) & 0x1FFFu];
    f->fstep = FETCH_HI;
}

/* Nothing but pixels in the next 8 dots: no object matches, the window
 * does not start. */
static inline bool chunk_clear(const gb_ppu *p, const gb_fifo *f) {
    if (f->onext < p->nobj && f->onext < 10 && p->oam[(p->obj[f->onext] % 40) * 4 + 1] < f->px + 16)
        return false;
    if (!f->win && (p->lcdc & LCDC_WIN) && p->win_hit &&
        (unsigned)p->wx - 7u - (unsigned)f->px < 8u)
        return false;
    return true;
}

/* The object fetch ends: its row goes into the object FIFO where the FIFO
 * holds transparent pixels (an object fetched earlier keeps its pixels). */
static void obj_merge(gb *g, gb_fifo *f) {
    gb_ppu *p = &g->ppu;
    const uint8_t *o = &p->oam[(p->obj[f->ocur % 10] % 40) * 4];
    unsigned h = (p->lcdc & LCDC_OBJ16) ? 16 : 8;
    unsigned row = (p->line + 16u - o[0]) & (h - 1);
    uint8_t attr = o[3], t = o[2];
    if (attr & 0x40) row = h - 1 - row;
    if (h == 16) t &= 0xFE; /* bit 0 ignored for 8x16 (dmg-acid2 mouth) */
    uint8_t lo = p->vram[t * 16u + row * 2], hi = p->vram[t * 16u + row * 2 + 1];
    if (attr & 0x20) {
        /* X flip: reverse the bits. */
        lo = (uint8_t)((lo * 0x0202020202ull & 0x010884422010ull) % 1023);
        hi = (uint8_t)((hi * 0x0202020202ull & 0x010884422010ull) % 1023);
    }
    uint8_t take = (uint8_t)((lo | hi) & ~(f->ob_lo | f->ob_hi));
    f->ob_lo |= lo & take;
    f->ob_hi |= hi & take;
    f->ob_pal = (uint8_t)((f->ob_pal & ~take) | ((attr & 0x10) ? take : 0));
    f->ob_pri = (uint8_t)((f->ob_pri & ~take) | ((attr & 0x80) ? take : 0));
    /* ppu.sprite is at debug level: logged on every run ahead. */
    if (p->plog_on)
        plog_add(p, GB_PLOG_SPRITE, p->obj[f->ocur % 10], o[1], (uint8_t)(f->t + 1 - f->owait),
                 p->fifo_t0 + f->t);
}

/* The pipeline's trace points are on (ppu.fetch, ppu.push): the run ahead
 * logs them (plog), and the end of mode 3 writes what it logged. */
static inline bool trace_heavy(const gb *g) {
    return (g->trace_on[gb_ev_PPU_FETCH] | g->trace_on[gb_ev_PPU_PUSH]) != 0;
}

/* The window starts: the background FIFO is cleared and the fetcher
 * restarts on the window's first tile (6 dots to the first window pixel). */
CT_INLINE void win_start(gb_fifo *f) {
    f->win = 1;
    f->fx = 0;
    f->fstep = 0;
    f->bg_n = 0;
    f->first = 0;
    f->t++;
}

/* Run the pipeline until dot `stop` (exclusive) or the end of mode 3.
 * Pixels go to the frame being drawn. `emit` is a constant at each call. */
CT_INLINE void fifo_run(gb *g, gb_fifo *f, unsigned stop, bool emit) {
    gb_ppu *p = &g->ppu;
    uint8_t *out = p->fb[(p->front & 1) ^ 1] + (p->line < 144 ? p->line : 0) * 160u;
    while (!f->done && f->t < stop) {
        if (f->ostall) {
            if (--f->ostall == 0) obj_merge(g, f);
            f->t++;
            continue;
        }
        fetch_dot(g, f, emit);
        if (f->bg_n == 0) {
            f->t++;
            continue;
        }
        /* SCX fine scroll: from the first pixel in the background FIFO,
         * pixels are dropped (objects not matched) until the count dropped
         * equals SCX%8, compared all along, as SCX reads at the start of
         * the dot and again after the drop: a write to SCX in these dots
         * changes the line's fine scroll (gambatte scx_during_m3:
         * scx_0360c0 and scx_0063c0, $03 then $60 or $00 then $63 written
         * as mode 3 begins; scx_0761c0_2, $61 written after one pixel is
         * dropped stops the drop there; enable_display
         * ly0_late_scx7_m3stat_scx{0,1,3}_{1,2,3}: SCX=7 written before
         * the first pixel counts, written after a drop of 3 matched SCX=3
         * does not). */
        if (f->fine && (f->fine0 & 7u) == (p->scx & 7u)) f->fine = 0;
        if (f->fine) {
            /* WX=0 matches one pixel into the fine-scroll discard, so the
             * window loses the rest of it too: SCX%8 + 7 pixels cut (Pan
             * Docs, Window). */
            if (!f->win && p->wx == 0 && f->fine0 == 1 && (p->lcdc & LCDC_WIN) && p->win_hit) {
                win_start(f);
                continue;
            }
            f->bg_lo = (uint8_t)(f->bg_lo << 1);
            f->bg_hi = (uint8_t)(f->bg_hi << 1);
            f->bg_n--;
            f->fine0++;
            if ((f->fine0 & 7u) == (p->scx & 7u)) f->fine = 0;
            f->t++;
            continue;
        }
        /* The window starts where WX matches: the background FIFO is
         * cleared and the fetcher restarts on the window's first tile. */
        if (!f->win && (p->lcdc & LCDC_WIN) && p->win_hit && f->px + 7 == p->wx) {
            win_start(f);
            continue;
        }
        if (f->onext < p->nobj && f->onext < 10 &&
            p->oam[(p->obj[f->onext] % 40) * 4 + 1] == f->px + 8) {
            if (!(p->lcdc & LCDC_OBJ)) {
                f->onext++; /* objects off: not fetched */
                continue;
            }
            if (f->owait == 0xFFFF) f->owait = f->t;
            if (f->fstep >= OBJ_READY) {
                f->ocur = f->onext++;
                f->ostall = OBJ_DOTS - 1;
            }
            f->t++;
            continue;
        }
        f->owait = 0xFFFF;
        /* A tile just pushed, and nothing for the next 8 pixels but the
         * fetch of the next tile: run those 8 dots at once. */
        if (f->fstep == 0 && f->bg_n == 8 && f->px >= 0 && f->px <= 152 && f->t + 8u <= stop &&
            chunk_clear(p, f)) {
            fetch_tile(p, f);
            unsigned px = (unsigned)f->px;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (!(f->ob_lo | f->ob_hi)) {
                /* No object pixel: the eight shades at once, one per byte
                 * (the leftmost in the lowest byte, as stored). */
                const uint64_t s0 = p->bgp & 3u, s1 = (p->bgp >> 2) & 3u, s2 = (p->bgp >> 4) & 3u,
                               s3 = p->bgp >> 6;
                uint64_t o8 = s0 * BYTES_01;
                if (p->lcdc & LCDC_BG) {
                    const uint64_t l8 = spread8(f->bg_lo), h8 = spread8(f->bg_hi);
                    o8 = (~h8 & ~l8 & BYTES_01) * s0 | (~h8 & l8) * s1 | (h8 & ~l8) * s2 |
                         (h8 & l8) * s3;
                }
                memcpy(out + px, &o8, 8);
                f->ob_pal = f->ob_pri = 0;
                f->bg_lo = f->bg_hi = 0;
            } else
#endif
                for (unsigned i = 0; i < 8; i++) {
                    unsigned c = (unsigned)((f->bg_hi >> 6) & 2) | (f->bg_lo >> 7);
                    unsigned oc = (unsigned)((f->ob_hi >> 6) & 2) | (f->ob_lo >> 7);
                    if (!(p->lcdc & LCDC_BG)) c = 0;
                    uint8_t shade;
                    if (oc && (p->lcdc & LCDC_OBJ) && !((f->ob_pri & 0x80) && c))
                        shade =
                            (uint8_t)((((f->ob_pal & 0x80) ? p->obp1 : p->obp0) >> (oc * 2)) & 3);
                    else
                        shade = (uint8_t)((p->bgp >> (c * 2)) & 3);
                    out[px + i] = shade;
                    f->bg_lo = (uint8_t)(f->bg_lo << 1);
                    f->bg_hi = (uint8_t)(f->bg_hi << 1);
                    f->ob_lo = (uint8_t)(f->ob_lo << 1);
                    f->ob_hi = (uint8_t)(f->ob_hi << 1);
                    f->ob_pal = (uint8_t)(f->ob_pal << 1);
                    f->ob_pri = (uint8_t)(f->ob_pri << 1);
                }
            if (emit) {
                /* ppu.push for the pixel at a multiple of 8 among these. */
                unsigned k = (8u - (px & 7u)) & 7u;
                plog_add(p, GB_PLOG_PUSH, (uint8_t)(px + k), out[px + k], 0, p->fifo_t0 + f->t + k);
            }
            f->bg_n = 0;
            f->px = (int16_t)(px + 8);
            if (f->px == 160) f->done = 1;
            f->t = (uint16_t)(f->t + 8);
            continue;
        }
        unsigned c = (unsigned)((f->bg_hi >> 6) & 2) | (f->bg_lo >> 7);
        unsigned oc = (unsigned)((f->ob_hi >> 6) & 2) | (f->ob_lo >> 7);
        if (!(p->lcdc & LCDC_BG)) c = 0; /* BG and window off: colour 0 (dmg-acid2 hair) */
        if (f->px >= 0 && f->px < 160) {
            uint8_t shade;
            if (oc && (p->lcdc & LCDC_OBJ) && !((f->ob_pri & 0x80) && c))
                shade = (uint8_t)((((f->ob_pal & 0x80) ? p->obp1 : p->obp0) >> (oc * 2)) & 3);
            else
                shade = (uint8_t)((p->bgp >> (c * 2)) & 3);
            if (p->line < 144) out[f->px] = shade;
            if (emit && (f->px & 7) == 0)
                plog_add(p, GB_PLOG_PUSH, (uint8_t)f->px, shade, 0, p->fifo_t0 + f->t);
        }
        f->bg_lo = (uint8_t)(f->bg_lo << 1);
        f->bg_hi = (uint8_t)(f->bg_hi << 1);
        f->bg_n--;
        f->ob_lo = (uint8_t)(f->ob_lo << 1);
        f->ob_hi = (uint8_t)(f->ob_hi << 1);
        f->ob_pal = (uint8_t)(f->ob_pal << 1);
        f->ob_pri = (uint8_t)(f->ob_pri << 1);
        if (++f->px == 160) f->done = 1;
        f->t++;
    }
}

/* Pipeline dots a run may take at most (a bound for loaded states). */
#define FIFO_T_MAX 1000

static void fifo_start(gb_ppu *p, uint16_t t0) {
    gb_fifo *f = &p->fifo;
    memset(f, 0, sizeof *f);
    f->px = -8;
    f->first = 1;
    f->fine = 1;
    f->owait = 0xFFFF;
    p->fifo_t0 = t0;
    p->plog_n = 0;
    p->plog_on = 1;
}

/* From the checkpoint, run ahead to the end of mode 3 (pixels drawn, the
 * checkpoint kept) and place the events after mode 3. */
static void fifo_ahead(gb *g) {
    gb_ppu *p = &g->ppu;
    gb_fifo w = p->fifo;
    if (CT_UNLIKELY(trace_heavy(g)))
        fifo_run(g, &w, FIFO_T_MAX, true);
    else
        fifo_run(g, &w, FIFO_T_MAX, false);
    unsigned end = w.t > FIFO_T_END ? w.t : FIFO_T_END;
    p->m3_extra = (uint16_t)(end - FIFO_T_END);
    p->fifo_end = w.t;
    p->win_drawn = w.win;
}

/* The pipeline sees a register write at the end of the write's M-cycle:
 * the dot the tick has reached, on every line and for every register it
 * reads, the fetcher's LCDC bits included (gambatte dmgpalette_during_m3,
 * scx_during_m3, bgtiledata, bgtilemap, scy, timed from the mode 2
 * interrupt). Once that interrupt comes with LY, this one dot is the best
 * fit over the whole DMG suite: 1680 passes, against 1676 at +1 and 1616
 * at -1 (fetcher bits at -2); reading the fetcher's LCDC bits 1, 2 or 3
 * dots before the rest gives 1652, 1650, 1642, and starting line 0's
 * pipeline earlier than the other lines' (the fit before that change) 1680
 * at 1 dot, 1633 at 2. */
#ifndef FIFO_WRITE_DOT
#define FIFO_WRITE_DOT (0)
#endif

/* A register the pipeline reads is written during mode 3: run the pipeline
 * from the checkpoint to this dot with the old value (these pixels are
 * final), then the caller writes and fifo_after_write runs ahead again. */
static bool fifo_before_write(gb *g, int wd) {
    gb_ppu *p = &g->ppu;
    if (!p->fifo_live || p->line >= 144) return false;
    unsigned t = p->dot + wd > p->fifo_t0 ? p->dot + wd - p->fifo_t0 : 0;
    if (t >= p->fifo_end) return false;
    /* The checkpoint runs to the write's dot without logging: the records
     * of the run ahead before that dot stand, the rest are dropped. */
    p->plog_on = 0;
    fifo_run(g, &p->fifo, t, false);
    p->plog_on = 1;
    while (p->plog_n > 0 && p->plog[p->plog_n - 1].dot >= p->fifo_t0 + t)
        p->plog_n--;
    return true;
}

static void fifo_after_write(gb *g) {
    gb_ppu *p = &g->ppu;
    fifo_ahead(g);
    /* Mode 0 may have begun in this M-cycle already: its time stays. */
    if (p->mode == 3 && p->kind < NKINDS && p->step < sched_len[p->kind]) {
        const sched *e = &schedules[p->kind][p->step];
        p->next_dot = (uint16_t)(e->dot + (e->after_m3 ? p->m3_extra : 0));
    }
}

/* ---- events ------------------------------------------------------------ */

static inline bool m2_swallowed(const gb_ppu *p);

static void line_start(gb *g) {
    gb_ppu *p = &g->ppu;
    p->dot -= LINE_DOTS;
    p->step = 0;
    p->fifo_live = 0;
    if (++p->line == 154) p->line = 0;
    /* The comparator is idle for the first M-cycle of a line, except on
     * line 0 where LY has read 0 since early line 153: LYC=0 matches once
     * per frame. */
    p->lyc_prev = p->lyc_flag;
    if (p->line != 0) {
        p->cmp_on = 0;
        compare(g);
    }
    if (p->line == 0) {
        p->win_hit = 0;
        p->win_line = 0;
        GB_TRACE(g, PPU_FRAME_BEGIN, (uint32_t)g->frames);
        gb_trace_state(g);
    }
    set_ly(g, p->line);
    if (p->line < 144) {
        p->kind = K_VISIBLE;
        p->block = BLK_OAM_R; /* OAM reads refused from the first M-cycle */
        /* On lines 1-143 the mode 2 interrupt source rises with LY, one
         * M-cycle before STAT reads mode 2, late in the M-cycle: a running
         * CPU takes the interrupt in this M-cycle, a halted one wakes in
         * the next (the tick at dot 0 is past the `hold` threshold). The
         * gambatte tests timed from this interrupt without HALT read OAM,
         * VRAM, STAT and IF one M-cycle later relative to it than mooneye's
         * HALT-timed tests do (gambatte oam_access/postread_1, vram_m3/
         * postread_1, m2int_m3stat_1, window/m2int_*; mooneye
         * intr_2_mode0_timing, intr_2_mode3_timing still pass). The mode 0
         * source stays until STAT leaves mode 0, so the line does not drop
         * between them with both enabled (mooneye stat_irq_blocking). A
         * pulse swallowed as at line 0 (m2_swallowed) is not raised. */
        if (p->line != 0) p->src = (uint8_t)((p->src & SRC_M0) | (m2_swallowed(p) ? 0 : SRC_M2));
    } else {
        p->kind = p->line == 144 ? K_VBLANK144 : p->line == 153 ? K_LINE153 : K_VBLANK;
    }
    stat_update(g);
}

/* The mode 2 pulse finds the line high (mode 0 or 1 enabled) or LY=LYC
 * of the line before with its source enabled (see EV_MODE2). */
static inline bool m2_swallowed(const gb_ppu *p) {
    return p->stat_line || (p->lyc_prev && (p->stat & SRC_LYC));
}

static void run_event(gb *g, uint8_t ev, uint16_t at) {
    gb_ppu *p = &g->ppu;
    switch (ev) {
    case EV_MODE2:
        set_mode(g, 2, at);
        p->block = BLK_OAM_R | BLK_OAM_W;
        p->cmp_on = 1;
        p->cmp_ly = p->line;
        compare(g);
        /* The mode 2 interrupt source is a pulse of one M-cycle, not a level
         * held through mode 2: a STAT write in the M-cycle it begins that
         * enables it requests the interrupt, one M-cycle later nothing
         * (gambatte m2enable late_enable_1/_2), and later in mode 2 the DMG
         * write glitch finds no mode 2 source (miscmstatirq
         * lycstatwirq_trigger_00_*). It replaces mode 0 or 1 without a gap;
         * a line high when it comes (mode 0 or 1 enabled) swallows it, and
         * so does LY=LYC of the line before with its source enabled: then
         * enabling mode 2 in this M-cycle requests nothing either (m2enable
         * late_enable_m0disable_2, enable_after_lycint_1). */
        if (p->line != 0)
            p->src = 0; /* the pulse raised with LY ends, and mode 0 */
        else
            p->src = m2_swallowed(p) ? 0 : SRC_M2;
        /* The window's Y condition: WY=LY at the start of a line, kept until
         * the end of the frame (Pan Docs, Window). */
        if (p->ly == p->wy) p->win_hit = 1;
        p->scan_dma = g->bus.dma_active;
        break;
    case EV_SCAN_END:
        /* OAM DMA running during the OAM scan: objects read as off-screen
         * (Pan Docs, OAM DMA Transfer). A transfer lasts 640 dots, so one
         * overlapping the scan is running at its start or its end. */
        if (p->scan_dma || g->bus.dma_active)
            p->nobj = 0;
        else
            scan_oam(p);
        p->block = BLK_OAM_R | BLK_VRAM_R;
        break;
    case EV_MODE3:
        set_mode(g, 3, at);
        p->block = BLK_MODE3;
        p->src = 0;
        p->m3_dot = at;
        fifo_start(p, (uint16_t)(at - 1));
        p->fifo_live = 1;
        fifo_ahead(g);
        break;
    case EV_MODE0_IRQ: p->src = SRC_M0; break;
    case EV_MODE0:
        /* The pixels are drawn: the pipeline's trace records of the line. */
        for (unsigned i = 0; i < p->plog_n && i < GB_PLOG_MAX; i++) {
            const gb_plog *e = &p->plog[i];
            if (e->id == GB_PLOG_FETCH)
                GB_TRACE(g, PPU_FETCH, e->a, e->b, e->c, e->dot);
            else if (e->id == GB_PLOG_PUSH)
                GB_TRACE(g, PPU_PUSH, e->a, e->b, e->dot);
            else
                GB_TRACE(g, PPU_SPRITE, e->a, e->b, e->c, e->dot);
        }
        p->plog_n = 0;
        if (p->win_drawn) p->win_line++;
        set_mode(g, 0, at);
        p->block = 0;
        break;
    case EV_VBLANK:
        set_mode(g, 1, at);
        p->cmp_on = 1;
        p->cmp_ly = p->line;
        compare(g);
        /* The mode 2 pulse also comes at line 144, with VBlank (mooneye
         * vblank_stat_intr-GS), swallowed as on the visible lines; just
         * ahead of the mode 1 source, so with mode 2 enabled mode 1 finds
         * the line high either way: after LY=LYC on line 143 no request at
         * all (gambatte m1 m1irq_m2enable_lyc_1, lyc143_late_m2enable_*). */
        if (m2_swallowed(p)) {
            if (p->stat & SRC_M2) p->stat_line = 1;
            p->src = SRC_M1;
        } else {
            p->src = SRC_M1 | SRC_M2;
        }
        g->intf |= GB_INT_VBLANK;
        if (CT_UNLIKELY(p->blank)) p->blank = p->blank == 1 ? 2 : 0;
        p->front = (p->front & 1) ^ 1;
        g->frames++;
        GB_HOOK_FRAME(g);
        g->stop_reasons |= GB_STOP_FRAME;
        GB_TRACE(g, PPU_FRAME_END, (uint32_t)g->frames);
        break;
    case EV_M2_OFF: p->src &= (uint8_t)~SRC_M2; break;
    case EV_CMP:
        p->cmp_on = 1;
        p->cmp_ly = p->line;
        compare(g);
        break;
    case EV_153_LY0:
        set_ly(g, 0);
        p->cmp_on = 1;
        p->cmp_ly = 153;
        compare(g);
        break;
    case EV_CMP_OFF:
        p->cmp_on = 0;
        compare(g);
        break;
    case EV_CMP0:
        p->cmp_on = 1;
        p->cmp_ly = 0;
        compare(g);
        break;
    case EV_LINE_END: line_start(g); return;
    }
    stat_update(g);
}

static inline uint16_t event_dot(const gb_ppu *p) {
    const sched *e = &schedules[p->kind][p->step];
    return (uint16_t)(e->dot + (e->after_m3 ? p->m3_extra : 0));
}

void gb_ppu_step(gb *g) {
    gb_ppu *p = &g->ppu;
    if (!(p->lcdc & LCDC_ON)) {
        p->dot = 0;
        return;
    }
    /* A state loaded from outside may point past the schedules: resume at
     * the end of a VBlank line rather than read out of bounds. */
    if (CT_UNLIKELY(p->kind >= NKINDS || p->step >= sched_len[p->kind])) {
        p->kind = K_VBLANK;
        p->step = LEN(vblank) - 1;
    }
    do {
        const sched *e = &schedules[p->kind][p->step];
        uint16_t at = event_dot(p);
        p->step++;
        const uint8_t intf = g->intf;
        run_event(g, e->ev, at);
        /* A STAT request from an event less than 2 dots before this tick
         * comes after a halted CPU has looked at IF in this M-cycle: it
         * wakes in the next (see DOT_M0_IRQ; the timer's reload does the
         * same, timer.c). A running CPU takes it at the end of this one. */
        if ((g->intf & ~intf & GB_INT_STAT) && at + 2 > p->dot) p->hold = GB_INT_STAT;
        p->next_dot = event_dot(p);
    } while (p->dot >= p->next_dot);
}

void gb_ppu_tick(gb *g) {
    gb_ppu_advance(&g->ppu, g);
}

/* ---- LCD on/off -------------------------------------------------------- */

static void lcd_off(gb *g) {
    gb_ppu *p = &g->ppu;
    /* Close the frame span opened at line 0 (VBlank closes it otherwise). */
    if (p->line < 144) GB_TRACE(g, PPU_FRAME_END, (uint32_t)g->frames);
    p->dot = 0;
    p->next_dot = 0; /* gb_ppu_step keeps dot at 0 while off */
    p->line = 0;
    p->step = 0;
    p->src = 0;
    p->block = 0;
    p->fifo_live = 0;
    /* The comparator stops; STAT bit 2 keeps its last value (mooneye
     * stat_lyc_onoff). */
    p->cmp_on = 0;
    set_ly(g, 0);
    set_mode(g, 0, 0);
    stat_update(g);
    gb_trace_state(g); /* no frame starts while the LCD is off */
}

static void lcd_on(gb *g) {
    gb_ppu *p = &g->ppu;
    p->line = 0;
    p->kind = K_LCDON0;
    p->step = 0;
    p->dot = LCDON_DOT;
    p->m3_extra = 0;
    p->win_hit = p->wy == 0;
    p->win_line = 0;
    p->src = 0;
    p->block = 0;
    p->fifo_live = 0;
    p->nobj = 0;
    p->scan_dma = g->bus.dma_active;
    /* The first frame after the LCD is switched on is not displayed: the
     * screen stays white until the next one is complete (little-things-gb
     * firstwhite). The PPU draws it as usual; gb_framebuffer hides it. */
    p->blank = 1;
    /* The comparator restarts at once with LY=0: STAT bit 2 and its
     * interrupt follow immediately (mooneye stat_lyc_onoff round 4). */
    p->cmp_on = 1;
    p->cmp_ly = 0;
    compare(g);
    stat_update(g);
    p->next_dot = event_dot(p);
    GB_TRACE(g, PPU_FRAME_BEGIN, (uint32_t)g->frames);
    gb_trace_state(g);
}

/* ---- registers --------------------------------------------------------- */

uint8_t gb_ppu_read(gb *g, uint16_t addr) {
    const gb_ppu *p = &g->ppu;
    switch (addr) {
    case 0xFF40: return p->lcdc;
    case 0xFF41: return (uint8_t)(0x80 | p->stat | (p->lyc_flag ? 0x04 : 0) | p->mode);
    case 0xFF42: return p->scy;
    case 0xFF43: return p->scx;
    case 0xFF44: return p->ly;
    case 0xFF45: return p->lyc;
    case 0xFF47: return p->bgp;
    case 0xFF48: return p->obp0;
    case 0xFF49: return p->obp1;
    case 0xFF4A: return p->wy;
    case 0xFF4B: return p->wx;
    default: return 0xFF;
    }
}

void gb_ppu_write(gb *g, uint16_t addr, uint8_t v) {
    gb_ppu *p = &g->ppu;
    /* A write during mode 3 to a register the pipeline reads: the pipeline
     * runs to this dot with the old value, then ahead with the new one. */
    bool m3 = false;
    if (p->fifo_live && addr != 0xFF41 && addr != 0xFF44 && addr != 0xFF45 && addr != 0xFF4A) {
        m3 = fifo_before_write(g, FIFO_WRITE_DOT);
    }
    switch (addr) {
    case 0xFF40: {
        uint8_t old = p->lcdc;
        p->lcdc = v;
        if ((old & LCDC_ON) && !(v & LCDC_ON))
            lcd_off(g);
        else if (!(old & LCDC_ON) && (v & LCDC_ON))
            lcd_on(g);
        break;
    }
    case 0xFF41:
        /* DMG quirk: the write acts as if $FF were written for one cycle, so
         * it can request the interrupt in modes 0 and 1 or on LY=LYC (Pan
         * Docs, STAT, "Spurious STAT interrupts"). Not on the mode 2 pulse:
         * a write at the M-cycle mode 2 begins requests nothing unless it
         * enables mode 2 (gambatte miscmstatirq m0statwirq_2 vs m2enable
         * late_enable_1). */
        if (p->lcdc & LCDC_ON) {
            uint8_t glitch = (uint8_t)((p->src & ~SRC_M2) | (p->lyc_flag ? SRC_LYC : 0));
            if (glitch && !p->stat_line) {
                g->intf |= GB_INT_STAT;
                GB_TRACE(g, PPU_STAT_IRQ, p->ly, glitch);
                p->stat_line = 1;
            }
        }
        p->stat = v & 0x78;
        stat_update(g);
        break;
    case 0xFF42: p->scy = v; break;
    case 0xFF43: p->scx = v; break;
    case 0xFF44: break; /* read-only */
    case 0xFF45:
        p->lyc = v;
        /* While the LCD is off the comparator does not run (stat_lyc_onoff). */
        if (p->lcdc & LCDC_ON) {
            compare(g);
            stat_update(g);
        }
        break;
    case 0xFF47: p->bgp = v; break;
    case 0xFF48: p->obp0 = v; break;
    case 0xFF49: p->obp1 = v; break;
    case 0xFF4A: p->wy = v; break;
    case 0xFF4B: p->wx = v; break;
    default: break;
    }
    if (m3 && p->fifo_live) fifo_after_write(g);
}

int gb_ppu_state_check(const gb_ppu *p) {
    bool ok = p->kind < NKINDS && p->step < sched_len[p->kind] && p->front <= 1 && p->nobj <= 10 &&
              p->line <= 153 && p->fifo.bg_n <= 8 && p->fifo.fstep <= 6 && p->fifo.px >= -8 &&
              p->fifo.px <= 160 && p->fifo.fine <= 1 && p->fifo.rlate <= FETCH_HI &&
              p->fifo.onext <= 10 && p->fifo.ocur < 10 && p->mode <= 3 && p->dot < LINE_DOTS + 4 &&
              p->plog_n <= GB_PLOG_MAX;
    for (unsigned k = 0; ok && k < p->nobj; k++)
        ok = p->obj[k] < 40;
    return ok ? 0 : -EINVAL;
}

bool gb_ppu_vram_blocked(const gb *g) {
    return g->ppu.block & BLK_VRAM_R;
}
bool gb_ppu_oam_blocked(const gb *g) {
    return g->ppu.block & BLK_OAM_R;
}
bool gb_ppu_vram_write_blocked(const gb *g) {
    return g->ppu.block & BLK_VRAM_W;
}
bool gb_ppu_oam_write_blocked(const gb *g) {
    return g->ppu.block & BLK_OAM_W;
}

/* ---- reset ------------------------------------------------------------- */

/* What the DMG boot ROM leaves in VRAM: the header logo ($0104-$0133) as
 * tiles 1-24, each nibble widened to 8 pixels and doubled vertically (one
 * nibble, two rows, colour 1), the (R) mark as tile 25, and the map rows at
 * $9904 (tiles 1-12, then 25 at $9910) and $9924 (13-24). */
static void boot_logo(gb *g) {
    static const uint8_t reg_mark[8] = {0x3C, 0x42, 0xB9, 0xA5, 0xB9, 0xA5, 0x42, 0x3C};
    gb_ppu *p = &g->ppu;
    const uint8_t *logo = g->cart.rom + 0x104;
    uint8_t *t = p->vram + 0x10;
    for (unsigned i = 0; i < 48; i++) {
        for (unsigned half = 0; half < 2; half++) {
            unsigned nib = half ? logo[i] & 0x0F : logo[i] >> 4, wide = 0;
            for (unsigned b = 0; b < 4; b++)
                if (nib & (8u >> b)) wide |= 0xC0u >> (2 * b);
            t[0] = t[2] = (uint8_t)wide;
            t += 4;
        }
    }
    for (unsigned r = 0; r < 8; r++)
        p->vram[0x190 + r * 2] = reg_mark[r];
    for (unsigned i = 0; i < 12; i++) {
        p->vram[0x1904 + i] = (uint8_t)(1 + i);
        p->vram[0x1924 + i] = (uint8_t)(13 + i);
    }
    p->vram[0x1910] = 25;
}

void gb_ppu_init(gb *g) {
    gb_ppu *p = &g->ppu;
    memset(p, 0, sizeof *p);
    p->next_dot = 0;
    if (g->has_boot_rom) return; /* power-on: LCD off, the boot ROM sets it up */
    if (g->cart.rom && g->cart.rom_size >= 0x8000) boot_logo(g);
    p->lcdc = 0x91;
    p->bgp = 0xFC;
    p->obp0 = 0xFF;
    p->obp1 = 0xFF;
    p->line = BOOT_LINE;
    p->kind = K_LINE153;
    p->dot = BOOT_DOT;
    p->ly = 0;
    p->mode = 1;
    p->src = SRC_M1;
    p->cmp_on = 1;
    p->cmp_ly = 0;
    p->lyc_flag = 1;
    p->step = 3; /* only the line end is left on line 153 */
    p->next_dot = event_dot(p);
}

/* The debugger's view (gb_get_ppu): a copy of the pipeline run from its
 * checkpoint to the present dot, without output (the PPU and the frame
 * being drawn are put back as they were). */
void gb_get_ppu(gb *g, gb_ppu_info *out) {
    gb_ppu *p = &g->ppu;
    memset(out, 0, sizeof *out);
    out->lcd_on = (p->lcdc & LCDC_ON) != 0;
    out->mode = p->mode;
    out->ly = p->ly;
    out->line = p->line;
    out->dot = p->dot;
    out->objs = p->nobj;
    out->win_hit = p->win_hit;
    out->win_line = p->win_line;
    if (!p->fifo_live || p->line >= 144) return;
    out->mode3_len = (uint16_t)(172 + p->m3_extra);
    /* What a run writes besides its gb_fifo: the line of the frame being
     * drawn and the pipeline's trace log (kept off for the copy). */
    uint8_t *row = p->fb[(p->front & 1) ^ 1] + p->line * 160u, px_saved[160];
    uint8_t log_on = p->plog_on, log_n = p->plog_n;
    memcpy(px_saved, row, sizeof px_saved);
    p->plog_on = 0;
    gb_fifo f = p->fifo;
    unsigned t = p->dot > p->fifo_t0 ? p->dot - p->fifo_t0 : 0;
    fifo_run(g, &f, t < FIFO_T_MAX ? t : FIFO_T_MAX, false);
    memcpy(row, px_saved, sizeof px_saved);
    p->plog_on = log_on;
    p->plog_n = log_n;
    out->pipeline = p->mode == 3;
    out->fetch_step = f.fstep;
    out->fetch_x = f.fx;
    out->bg_fifo = f.bg_n;
    /* the discard ends when its count reaches SCX%8 (read at each dot) */
    out->fine_left = f.fine ? (uint8_t)(((p->scx & 7u) - (f.fine0 & 7u)) & 7u) : 0;
    out->pushed = (uint8_t)(f.px < 0 ? 0 : f.px > 160 ? 160 : f.px);
    out->window = f.win != 0;
    out->obj_fetch = f.ostall != 0;
    out->obj_next = f.onext;
}
