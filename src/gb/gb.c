/* The machine: creation, reset to the post-boot state, running, the public
 * accessors of gb.h and save states. */
#include "gb_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Internal counter at PC=$0100 on DMG rev ABC after the boot ROM: DIV reads
 * $AB (mooneye acceptance/boot_div-dmgABCmgb). */
#define POST_BOOT_COUNTER 0xABC8

int gb_rom_check(const uint8_t *rom, size_t size, char *err, size_t errlen) {
    return gb_cart_check(rom, size, err, errlen);
}

gb *gb_create(const uint8_t *rom, size_t size, const gb_config *cfg, char *err, size_t errlen) {
    if (cfg && cfg->boot_rom && cfg->boot_rom_size != 256) {
        if (err && errlen)
            snprintf(err, errlen, "boot ROM must be 256 bytes, not %zu", cfg->boot_rom_size);
        return NULL;
    }
    gb *g = calloc(1, sizeof *g);
    if (!g) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (gb_cart_init(&g->cart, rom, size, err, errlen) != 0) {
        free(g);
        return NULL;
    }
    g->model = cfg ? cfg->model : GB_MODEL_DMG;
    if (cfg && cfg->boot_rom) {
        memcpy(g->boot_rom, cfg->boot_rom, 256);
        g->has_boot_rom = true;
    }
    gb_reset(g);
    return g;
}

void gb_destroy(gb *g) {
    if (!g) return;
    gb_cart_free(&g->cart);
    free(g);
}

void gb_reset(gb *g) {
    if (!g->hooks) gb_set_hooks(g, NULL);
    g->cycles = 0;
    g->frames = 0;
    g->stop_reasons = 0;
    g->serial_len = 0;
    g->ie = 0;
    g->irq_depth = 0;
    g->ck_valid = 0;
    gb_cart_reset(&g->cart);
    gb_cpu_reset(g);
    gb_bus_reset(g);
    gb_ppu_init(g);
    gb_apu_init(g);
    if (g->has_boot_rom) {
        /* Power-on: the boot ROM runs from $0000 with the LCD and sound off. */
        g->intf = 0;
        gb_timer_reset(g, 0);
        gb_ppu_write(g, 0xFF40, 0x00);
        gb_apu_write(g, 0xFF26, 0x00);
    } else {
        /* IF = $E1 after the boot ROM (mooneye acceptance/boot_hwio-dmgABCmgb). */
        g->intf = GB_INT_VBLANK;
        gb_timer_reset(g, POST_BOOT_COUNTER);
    }
    gb_bus_remap(g);
}

/* ---- debug hooks (gb_hooks.h) ------------------------------------------ */

const uint8_t gb_hook_none_bm[GB_HOOK_BITMAP_BYTES] = {0};

static bool any_bit(const uint8_t *bm) {
    uint8_t any = 0;
    for (size_t i = 0; bm && i < GB_HOOK_BITMAP_BYTES; i++)
        any |= bm[i];
    return any != 0;
}

/* The recorder's hook, armed while the client has an event callback. */
static void forward_event(void *ctx, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen) {
    (void)plen;
    gb *g = ctx;
    if (g->hooks && g->hooks->event) g->hooks->event(g, g->hooks->ctx, id, ts, p);
}

void gb_set_hooks(gb *g, const gb_hooks *h) {
    if (g->rec) ct_recorder_remove_hook(g->rec, forward_event, g);
    g->hooks = h;
    g->hook_at = UINT64_MAX;
    g->hook_fetch_bm = h && h->fetch && h->fetch_bm ? h->fetch_bm : gb_hook_none_bm;
    const bool acc = h && h->access;
    g->hook_read_bm = acc && h->read_bm ? h->read_bm : gb_hook_none_bm;
    g->hook_write_bm = acc && h->write_bm ? h->write_bm : gb_hook_none_bm;
    g->hook_reads = any_bit(g->hook_read_bm != gb_hook_none_bm ? g->hook_read_bm : NULL);
    g->hook_rw =
        g->hook_reads || any_bit(g->hook_write_bm != gb_hook_none_bm ? g->hook_write_bm : NULL);
    if (g->rec && h && h->event) ct_recorder_add_hook(g->rec, forward_event, g);
    gb_set_recorder(g, g->rec); /* the hook changes the recorder's flags */
}

void gb_hooks_at(gb *g, uint64_t cycle) {
    g->hook_at = cycle;
    if (g->timer.next > cycle) g->timer.next = cycle; /* one compare serves both */
}

void gb_hook_time(gb *g) {
    g->hook_at = UINT64_MAX;
    if (g->hooks && g->hooks->time) g->hooks->time(g, g->hooks->ctx);
}

const gb_hooks *gb_get_hooks(const gb *g) {
    return g->hooks;
}

void gb_hooks_fetch_bitmap(gb *g, const uint8_t *bm) {
    if (!g->hooks || !g->hooks->fetch) return;
    g->hook_fetch_bm = bm ? bm : g->hooks->fetch_bm ? g->hooks->fetch_bm : gb_hook_none_bm;
}

void gb_break(gb *g) {
    g->cpu.brk = g->cpu.halted = true;
    g->stop_reasons |= GB_STOP_REQUEST;
}

void gb_set_doctor_mode(gb *g, bool on) {
    g->doctor_ly = on;
}

void gb_set_recorder(gb *g, struct ct_recorder *rec) {
    g->rec = rec;
    if (rec)
        memcpy(g->trace_on, rec->flags, sizeof g->trace_on);
    else
        memset(g->trace_on, 0, sizeof g->trace_on);
}

/* A snapshot of the machine, so that a wrapped ring's oldest frame starts
 * from a known state: three records, each only if its event is enabled.
 * The registers read as the bus would read them, without side effects. */
void gb_trace_state(gb *g) {
#ifndef CERES_TRACE_OFF
    if (CT_LIKELY(!(g->trace_on[gb_ev_STATE_CPU] | g->trace_on[gb_ev_STATE_LCD] |
                    g->trace_on[gb_ev_STATE_IO])))
        return;
    const gb_cpu *c = &g->cpu;
    GB_TRACE(g, STATE_CPU, c->pc, c->sp, c->r[GB_R_A], c->r[GB_R_F], c->r[GB_R_B], c->r[GB_R_C],
             c->r[GB_R_D], c->r[GB_R_E], c->r[GB_R_H], c->r[GB_R_L], c->ime, c->halted,
             (uint16_t)g->cart.rom_bankx, (uint8_t)g->cart.ram_bank, g->ie, g->intf);
    GB_TRACE(g, STATE_LCD, gb_bus_peek(g, 0xFF40), gb_bus_peek(g, 0xFF41), gb_bus_peek(g, 0xFF42),
             gb_bus_peek(g, 0xFF43), gb_bus_peek(g, 0xFF44), gb_bus_peek(g, 0xFF45),
             gb_bus_peek(g, 0xFF47), gb_bus_peek(g, 0xFF48), gb_bus_peek(g, 0xFF49),
             gb_bus_peek(g, 0xFF4A), gb_bus_peek(g, 0xFF4B), g->ppu.mode, g->ppu.dot,
             (uint32_t)g->frames, gb_bus_peek(g, 0xFF46));
    GB_TRACE(g, STATE_IO, gb_bus_peek(g, 0xFF00), gb_bus_peek(g, 0xFF01), gb_bus_peek(g, 0xFF02),
             gb_bus_peek(g, 0xFF04), gb_bus_peek(g, 0xFF05), gb_bus_peek(g, 0xFF06),
             gb_bus_peek(g, 0xFF07), gb_bus_peek(g, 0xFF24), gb_bus_peek(g, 0xFF25),
             gb_bus_peek(g, 0xFF26));
#else
    (void)g;
#endif
}

unsigned gb_run(gb *g, uint64_t max_cycles, unsigned stop_mask) {
    const unsigned mask = stop_mask | GB_STOP_REQUEST;
    const uint64_t until =
        max_cycles > UINT64_MAX - g->cycles ? UINT64_MAX : g->cycles + max_cycles;
    /* A stop requested before the run (e.g. by a trigger during the last
     * step) is kept so it is not lost. */
    g->stop_reasons &= GB_STOP_REQUEST;
    /* The recorder's flags may have changed since the last run (a window,
     * a hook): refresh the copy. */
    if (g->rec) memcpy(g->trace_on, g->rec->flags, sizeof g->trace_on);
    gb_cpu_run(g, until, mask);
    unsigned why = g->stop_reasons & mask;
    if (g->cycles >= until) why |= GB_STOP_LIMIT;
    g->stop_reasons &= ~(unsigned)GB_STOP_REQUEST;
    return why;
}

/* Did the step from c0 to c1 run an instruction? A step may instead wait
 * one M-cycle (halted, stopped, locked up) or dispatch an interrupt. A
 * dispatch is the only thing that clears IME and pushes PC in the same
 * step (DI clears IME without touching SP). */
static bool ran_instruction(const gb_cpu *c0, const gb_cpu *c1) {
    if (c1->brk) return false; /* stopped before it by gb_break() */
    if (c0->locked || (c0->halted && c1->halted) || (c0->stopped && c1->stopped)) return false;
    bool dispatch = c0->ime && !c1->ime && c1->sp == (uint16_t)(c0->sp - 2);
    return !dispatch;
}

unsigned gb_step(gb *g) {
    const gb_cpu c0 = g->cpu;
    g->stop_reasons &= GB_STOP_REQUEST;
    gb_cpu_step(g);
    unsigned why = g->stop_reasons;
    g->stop_reasons &= ~(unsigned)GB_STOP_REQUEST;
    if (ran_instruction(&c0, &g->cpu)) return why | GB_STEP_INSN;
    const gb_cpu *c1 = &g->cpu;
    if (!c1->brk && !c0.locked && c0.ime && !c1->ime && c1->sp == (uint16_t)(c0.sp - 2))
        why |= GB_STEP_IRQ;
    return why;
}

void gb_request_stop(gb *g) {
    g->stop_reasons |= GB_STOP_REQUEST;
}

uint64_t gb_cycles(const gb *g) {
    return g->cycles;
}

uint64_t gb_frames(const gb *g) {
    return g->frames;
}

void gb_get_regs(const gb *g, gb_regs *r) {
    const gb_cpu *c = &g->cpu;
    r->a = c->r[GB_R_A];
    r->f = c->r[GB_R_F];
    r->b = c->r[GB_R_B];
    r->c = c->r[GB_R_C];
    r->d = c->r[GB_R_D];
    r->e = c->r[GB_R_E];
    r->h = c->r[GB_R_H];
    r->l = c->r[GB_R_L];
    r->sp = c->sp;
    r->pc = c->pc;
    r->ime = c->ime;
    r->halted = c->halted && !c->brk;
    r->ei_pending = c->ei_delay;
    r->stopped = c->stopped;
}

void gb_set_regs(gb *g, const gb_regs *r) {
    gb_cpu *c = &g->cpu;
    memset(c, 0, sizeof *c);
    c->r[GB_R_A] = r->a;
    c->r[GB_R_F] = r->f;
    c->r[GB_R_B] = r->b;
    c->r[GB_R_C] = r->c;
    c->r[GB_R_D] = r->d;
    c->r[GB_R_E] = r->e;
    c->r[GB_R_H] = r->h;
    c->r[GB_R_L] = r->l;
    c->sp = r->sp;
    c->pc = r->pc;
    c->ime = r->ime;
    c->halted = r->halted;
    c->ei_delay = r->ei_pending;
    c->stopped = r->stopped;
}

void gb_set_interrupts(gb *g, uint8_t ie, uint8_t iflag) {
    g->ie = ie;
    g->intf = iflag & 0x1F;
}

void gb_set_flat_mode(gb *g, uint8_t *mem, gb_bus_access *log, unsigned cap) {
    g->bus.flat = mem;
    g->bus.flat_log = mem ? log : NULL;
    g->bus.flat_cap = mem && log ? cap : 0;
    g->bus.flat_len = 0;
    gb_bus_remap(g);
}

unsigned gb_flat_cycles(const gb *g) {
    return g->bus.flat_len;
}

void gb_flat_clear(gb *g) {
    g->bus.flat_len = 0;
}

uint8_t gb_peek(gb *g, uint16_t addr) {
    return gb_bus_peek(g, addr);
}

const uint8_t *gb_framebuffer(const gb *g) {
    /* The first frame after the LCD is switched on is not shown. */
    static const uint8_t white[sizeof g->ppu.fb[0]];
    if (g->ppu.blank) return white;
    return g->ppu.fb[g->ppu.front & 1];
}

void gb_set_buttons(gb *g, uint8_t pressed) {
    gb_bus_set_buttons(g, pressed);
}

const uint8_t *gb_serial_output(const gb *g, size_t *len) {
    if (len) *len = g->serial_len;
    return g->serial_log;
}

size_t gb_audio_take(gb *g, int16_t *out, size_t max_frames) {
    return gb_apu_take(g, out, max_frames);
}

uint64_t gb_audio_steady_cycles(gb *g) {
    return gb_apu_steady(g);
}

unsigned gb_rom_bank(const gb *g, uint16_t addr) {
    return gb_cart_bank(&g->cart, addr);
}

/* ---- save states ----------------------------------------------------------
 *
 * Layout (host byte order; states are not meant to move between hosts):
 *   "CERESSAV"  u32 version  u32 section count
 *   then per section: 4-byte tag, u32 size, size bytes.
 * Sections, in order: CORE (machine scalars and serial log), CPU, BUS, TIMR,
 * PPU, APU (raw plain-data structs), CART (gb_cart_state_*). Loading checks
 * the header and every section's tag and size before touching the machine. */

#define STATE_MAGIC "CERESSAV"
/* Any change to a saved struct's layout (gb_cpu: see cpu.h) bumps it.
 * 2: gb_cpu keeps r[], sp and ime together; 3: gb_cpu.brk. */
#define STATE_VERSION 3u
#define NSECTIONS     7

typedef struct core_state {
    uint64_t cycles, frames;
    uint8_t ie, intf;
    uint8_t has_boot_rom;
    uint8_t boot_rom[256];
    uint32_t serial_len;
    uint8_t serial_log[GB_SERIAL_LOG_MAX];
} core_state;

typedef struct section {
    char tag[4];
    size_t size;
} section;

/* Flags stored as bool must hold 0 or 1 in a loaded state (any other byte
 * would be an invalid bool). */
static const size_t cpu_bools[] = {
    offsetof(gb_cpu, ime),      offsetof(gb_cpu, halted),  offsetof(gb_cpu, ei_delay),
    offsetof(gb_cpu, halt_bug), offsetof(gb_cpu, stopped), offsetof(gb_cpu, locked),
    offsetof(gb_cpu, brk),
};
static const size_t bus_bools[] = {
    offsetof(gb_bus, dma_active),
    offsetof(gb_bus, serial_active),
    offsetof(gb_bus, idu),
    offsetof(gb_bus, boot_mapped),
};

static const size_t apu_bools[] = {
    offsetof(gb_apu, power),
    offsetof(gb_apu, sweep_en),
    offsetof(gb_apu, sweep_neg_used),
#define CH_BOOLS(i)                                                                                \
    offsetof(gb_apu, ch) + (i) * sizeof(gb_apu_ch) + offsetof(gb_apu_ch, on),                      \
        offsetof(gb_apu, ch) + (i) * sizeof(gb_apu_ch) + offsetof(gb_apu_ch, dac),                 \
        offsetof(gb_apu, ch) + (i) * sizeof(gb_apu_ch) + offsetof(gb_apu_ch, len_en)
    CH_BOOLS(0),
    CH_BOOLS(1),
    CH_BOOLS(2),
    CH_BOOLS(3),
#undef CH_BOOLS
};

static bool bools_ok(const uint8_t *base, const size_t *off, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (base[off[i]] > 1) return false;
    return true;
}

static void sections(const gb *g, section s[NSECTIONS]) {
    static const char tags[NSECTIONS][4] = {"CORE", "CPU_", "BUS_", "TIMR", "PPU_", "APU_", "CART"};
    const size_t sizes[NSECTIONS] = {
        sizeof(core_state), sizeof(gb_cpu), GB_BUS_STATE_BYTES,          sizeof(gb_timer),
        sizeof(gb_ppu),     sizeof(gb_apu), gb_cart_state_size(&g->cart)};
    for (unsigned i = 0; i < NSECTIONS; i++) {
        memcpy(s[i].tag, tags[i], 4);
        s[i].size = sizes[i];
    }
}

size_t gb_state_size(const gb *g) {
    section s[NSECTIONS];
    sections(g, s);
    size_t n = 8 + 4 + 4;
    for (unsigned i = 0; i < NSECTIONS; i++)
        n += 8 + s[i].size;
    return n;
}

static void put32(uint8_t *p, uint32_t v) {
    memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The CORE section's scalars, before the serial log, as a save writes
 * them (padding zero); returns their size, the log's offset. */
static size_t core_head(const gb *g, uint8_t *core) {
    const size_t log = offsetof(core_state, serial_log);
    const uint32_t serial_len = (uint32_t)g->serial_len;
    const uint8_t has_boot = g->has_boot_rom;
    memset(core, 0, log);
#define CORE_PUT(field, src)                                                                       \
    memcpy(core + offsetof(core_state, field), src, sizeof(((core_state *)0)->field))
    CORE_PUT(cycles, &g->cycles);
    CORE_PUT(frames, &g->frames);
    CORE_PUT(ie, &g->ie);
    CORE_PUT(intf, &g->intf);
    CORE_PUT(has_boot_rom, &has_boot);
    CORE_PUT(boot_rom, g->boot_rom);
    CORE_PUT(serial_len, &serial_len);
#undef CORE_PUT
    return log;
}

long gb_state_save(const gb *g, uint8_t *buf, size_t size) {
    const size_t need = gb_state_size(g);
    if (!buf || size < need) return -ENOSPC;
    section s[NSECTIONS];
    sections(g, s);
    /* The CORE section is built in place (no allocation, no second copy
     * of the serial log); the log's unused tail and the padding are zero. */
    uint8_t *core = buf + 16 + 8;
    const size_t serial_len = g->serial_len, log = core_head(g, core);
    memset(core + log + serial_len, 0, sizeof(core_state) - log - serial_len);
    memcpy(core + log, g->serial_log, serial_len);
    const void *data[NSECTIONS - 1] = {NULL, &g->cpu, &g->bus, &g->timer, &g->ppu, &g->apu};

    uint8_t *p = buf;
    memcpy(p, STATE_MAGIC, 8);
    put32(p + 8, STATE_VERSION);
    put32(p + 12, NSECTIONS);
    p += 16;
    for (unsigned i = 0; i < NSECTIONS; i++) {
        memcpy(p, s[i].tag, 4);
        put32(p + 4, (uint32_t)s[i].size);
        p += 8;
        if (i == 0)
            ; /* CORE: written above */
        else if (i < NSECTIONS - 1)
            memcpy(p, data[i], s[i].size);
        else if (gb_cart_state_save(&g->cart, p) != s[i].size)
            return -EIO;
        p += s[i].size;
    }
    return (long)(p - buf);
}

/* ---- checkpoints: what changed since the baseline ------------------------
 *
 * A checkpoint taker keeps the state of its last checkpoint and wants only
 * what may differ from it. Most of a state is big arrays that change little
 * between two frames: WRAM and VRAM (the CPU's writes mark their 256-byte
 * pages, cpu.c), cartridge RAM (marked by writes to $A000-$BFFF), the
 * serial log (appended to), the audio ring (written at its head) and the
 * two frame buffers (the PPU draws only into the back one). The rest (a
 * few KB of registers and scalars, OAM, HRAM) is always included. */

typedef struct parts {
    gb_state_part *p;
    unsigned n, max;
} parts;

static void add_part(parts *ps, size_t off, const void *src, size_t len) {
    if (!len) return;
    gb_state_part *last = ps->n ? &ps->p[ps->n - 1] : NULL;
    if (last && last->off + last->len == off && (const uint8_t *)last->src + last->len == src) {
        last->len += len; /* contiguous in the state and in memory */
        return;
    }
    if (ps->n < ps->max) ps->p[ps->n] = (gb_state_part){off, len, src};
    ps->n++; /* counted past max: the caller's array is too small */
}

/* The 256-byte pages of an 8 KiB array marked in page[0..32) or, for
 * WRAM, in its echo echo[0..30) (NULL: none). */
static void add_pages(parts *ps, size_t off, const uint8_t *arr, const uint8_t *page,
                      const uint8_t *echo) {
    for (unsigned i = 0; i < 32; i++)
        if (page[i] | (echo && i < 30 ? echo[i] : 0))
            add_part(ps, off + i * 256u, arr + i * 256u, 256);
}

/* The samples a ring of `cap` stereo frames got at indices old..head. */
static void add_ring(parts *ps, size_t off, const int16_t *ring, uint32_t old, uint32_t head,
                     uint32_t cap) {
    uint32_t n = head - old;
    const size_t fr = 2 * sizeof *ring;
    if (n >= cap) {
        add_part(ps, off, ring, cap * fr);
        return;
    }
    uint32_t a = old & (cap - 1), b = head & (cap - 1);
    if (a <= b) {
        add_part(ps, off + a * fr, ring + 2 * a, (b - a) * fr);
    } else { /* wrapped: the start of the ring first (parts go in order) */
        add_part(ps, off, ring, b * fr);
        add_part(ps, off + a * fr, ring + 2 * a, (cap - a) * fr);
    }
}

void gb_state_baseline(gb *g) {
    memset(g->ck_page, 0, sizeof g->ck_page);
    g->ck_valid = 1;
    g->ck_front = g->ppu.front & 1;
    g->ck_frames = g->frames;
    g->ck_serial = g->serial_len;
    g->ck_audio = g->apu.ring_head;
}

_Static_assert(offsetof(gb_bus, wram) == 0 && sizeof(((gb_bus *)0)->wram) == 0x2000,
               "WRAM (8 KiB) opens the bus section");
_Static_assert(offsetof(gb_ppu, vram) == 0 && sizeof(((gb_ppu *)0)->vram) == 0x2000 &&
                   offsetof(gb_ppu, oam) < offsetof(gb_ppu, fb),
               "VRAM, OAM, frame buffers in this order in the PPU section");
_Static_assert(offsetof(gb_apu, ring) + sizeof(((gb_apu *)0)->ring) == sizeof(gb_apu),
               "the audio ring ends the APU section");
_Static_assert(offsetof(core_state, serial_log) + 64 <= sizeof(((gb *)0)->ck_scratch),
               "the CORE scalars and the cartridge registers fit the scratch");

long gb_state_changes(gb *g, gb_state_part *out, unsigned max) {
    if (!g->ck_valid || g->serial_len < g->ck_serial) return -ESTALE;
    section s[NSECTIONS];
    sections(g, s);
    size_t at[NSECTIONS], off = 16;
    for (unsigned i = 0; i < NSECTIONS; i++) {
        at[i] = off + 8;
        off += 8 + s[i].size;
    }
    parts ps = {out, 0, max};
    /* CORE: its scalars built as a save writes them, then what the serial
     * log gained. */
    uint8_t *core = g->ck_scratch;
    const size_t log = core_head(g, core);
    add_part(&ps, at[0], core, log);
    add_part(&ps, at[0] + log + g->ck_serial, g->serial_log + g->ck_serial,
             g->serial_len - g->ck_serial);
    add_part(&ps, at[1], &g->cpu, sizeof g->cpu);
    /* BUS: WRAM pages written at $C000-$DFFF or through the echo at
     * $E000-$FDFF, then the rest whole. */
    const size_t wr = sizeof g->bus.wram;
    add_pages(&ps, at[2], g->bus.wram, g->ck_page + 0xC0, g->ck_page + 0xE0);
    add_part(&ps, at[2] + wr, (const uint8_t *)&g->bus + wr, GB_BUS_STATE_BYTES - wr);
    add_part(&ps, at[3], &g->timer, sizeof g->timer);
    /* PPU: VRAM pages written, OAM whole (DMA writes it too), the frame
     * buffers the PPU drew into, the rest whole. The PPU draws only into
     * the back buffer (not `front`), and `front` flips as a frame ends
     * (frames counts those): since the baseline it drew into the back
     * buffer of then, and once a frame ended into the other one as well,
     * unless exactly one frame ended and the PPU has not drawn a line since
     * (LCD on, in VBlank: a checkpoint at each frame end). */
    const gb_ppu *pp = &g->ppu;
    add_pages(&ps, at[4], pp->vram, g->ck_page + 0x80, NULL);
    add_part(&ps, at[4] + offsetof(gb_ppu, oam), pp->oam,
             offsetof(gb_ppu, fb) - offsetof(gb_ppu, oam));
    const unsigned back0 = g->ck_front ^ 1u;
    const bool one_flip =
        g->frames == g->ck_frames + 1 && (pp->lcdc & 0x80) && pp->line >= 144 && !pp->fifo_live;
    const bool both = g->frames != g->ck_frames && !one_flip;
    const size_t fb = sizeof pp->fb[0], fb_end = offsetof(gb_ppu, fb) + sizeof pp->fb;
    for (unsigned k = 0; k < 2; k++)
        if (k == back0 || both) add_part(&ps, at[4] + offsetof(gb_ppu, fb) + k * fb, pp->fb[k], fb);
    add_part(&ps, at[4] + fb_end, (const uint8_t *)pp + fb_end, sizeof *pp - fb_end);
    /* APU: all but the audio ring, and the samples written into it. */
    const size_t ring = offsetof(gb_apu, ring);
    add_part(&ps, at[5], &g->apu, ring);
    add_ring(&ps, at[5] + ring, g->apu.ring, g->ck_audio, g->apu.ring_head, GB_APU_RING);
    /* CART: the registers (built), the RAM when written at $A000-$BFFF. */
    uint8_t *cart = g->ck_scratch + log;
    size_t fixed = gb_cart_state_fixed(&g->cart, cart);
    if (fixed > sizeof g->ck_scratch - log) return -EIO;
    add_part(&ps, at[6], cart, fixed);
    bool ram = false;
    for (unsigned i = 0xA0; i < 0xC0; i++)
        ram |= g->ck_page[i] != 0;
    if (ram) add_part(&ps, at[6] + fixed, g->cart.ram, g->cart.ram_size);
    if (ps.n > max) return -ENOSPC;
    gb_state_baseline(g);
    return (long)ps.n;
}

int gb_state_load(gb *g, const uint8_t *buf, size_t size) {
    section s[NSECTIONS];
    sections(g, s);
    if (!buf || size < 16 || memcmp(buf, STATE_MAGIC, 8) != 0) return -EINVAL;
    if (get32(buf + 8) != STATE_VERSION || get32(buf + 12) != NSECTIONS) return -EINVAL;
    const uint8_t *at[NSECTIONS];
    size_t off = 16;
    for (unsigned i = 0; i < NSECTIONS; i++) {
        if (size - off < 8 || memcmp(buf + off, s[i].tag, 4) != 0) return -EINVAL;
        if (get32(buf + off + 4) != s[i].size) return -EINVAL;
        off += 8;
        if (size - off < s[i].size) return -EINVAL;
        at[i] = buf + off;
        off += s[i].size;
    }
    if (off != size) return -EINVAL;
    core_state *core = malloc(sizeof *core);
    gb_ppu *ppu = malloc(sizeof *ppu);
    if (!core || !ppu) {
        free(core);
        free(ppu);
        return -ENOMEM;
    }
    memcpy(core, at[0], sizeof *core);
    memcpy(ppu, at[4], sizeof *ppu);
    /* Every field is checked before anything is changed: booleans as
     * bytes (a bool holding 2 is undefined behaviour once read), counters
     * and indices against their ranges. */
    bool ok = core->serial_len <= GB_SERIAL_LOG_MAX && core->has_boot_rom <= 1 &&
              gb_ppu_state_check(ppu) == 0 &&
              bools_ok(at[1], cpu_bools, sizeof cpu_bools / sizeof cpu_bools[0]) &&
              bools_ok(at[2], bus_bools, sizeof bus_bools / sizeof bus_bools[0]) &&
              bools_ok(at[5], apu_bools, sizeof apu_bools / sizeof apu_bools[0]);
    gb_apu *apu = ok ? malloc(sizeof *apu) : NULL;
    if (apu) {
        gb_timer tm;
        memcpy(apu, at[5], sizeof *apu);
        memcpy(&tm, at[3], sizeof tm);
        ok = gb_apu_state_check(apu) == 0 && tm.reload <= 2 &&
             at[2][offsetof(gb_bus, dma_index)] <= 160 &&
             at[2][offsetof(gb_bus, serial_edges)] < 16;
    }
    if (!ok || !apu) {
        free(core);
        free(ppu);
        free(apu);
        return ok ? -ENOMEM : -EINVAL;
    }
    /* The cartridge validates its own section; it goes first so a refusal
     * leaves the machine unchanged. */
    int rc = gb_cart_state_load(&g->cart, at[6], s[6].size);
    if (rc != 0) {
        free(core);
        free(ppu);
        free(apu);
        return rc;
    }
    g->cycles = core->cycles;
    g->frames = core->frames;
    g->ie = core->ie;
    g->intf = core->intf & 0x1F;
    g->has_boot_rom = core->has_boot_rom;
    memcpy(g->boot_rom, core->boot_rom, 256);
    g->serial_len = core->serial_len;
    memcpy(g->serial_log, core->serial_log, core->serial_len);
    free(core);
    memcpy(&g->cpu, at[1], sizeof g->cpu);
    memcpy(&g->bus, at[2], GB_BUS_STATE_BYTES);
    memcpy(&g->timer, at[3], sizeof g->timer);
    if (g->timer.next > g->hook_at) g->timer.next = g->hook_at; /* a hook's time */
    memcpy(&g->ppu, ppu, sizeof g->ppu);
    free(ppu);
    memcpy(&g->apu, apu, sizeof g->apu);
    free(apu);
    g->stop_reasons = 0;
    g->irq_depth = 0;
    g->ck_valid = 0; /* not the state of the baseline (gb_state_changes) */
    gb_bus_remap(g);
    return 0;
}
