/* SM83 CPU: instruction decode and execution, interrupts, HALT/STOP, the
 * per-M-cycle machine tick.
 *
 * Timing model: an instruction starts with its opcode fetch. Each bus access
 * (rd/wr) and each internal delay cycle (idle) is one M-cycle: the machine is
 * first advanced by one M-cycle (tick: timer, PPU, APU, OAM DMA, serial) and
 * the access then happens, so it sees the state at the end of its M-cycle.
 * The per-M-cycle bus activity of every instruction matches the
 * SingleStepTests sm83 vectors (ceres test --suite sm83). Interrupts are
 * sampled at the end of the opcode fetch M-cycle; a dispatch replaces the
 * fetched opcode and takes five M-cycles in all.
 *
 * Decoding uses the SM83's regular operand encoding: 3-bit register fields
 * index gb_cpu.r (B C D E H L (HL) A, slot 6 meaning (HL)); the LD r,r' and
 * ALU blocks and the CB page decode their operation from bits 3-5 and their
 * operand from bits 0-2; condition codes come from a mask/want table; the
 * remaining irregular opcodes are one switch (a jump table). */
#include "gb_internal.h"

#include <stddef.h>
#include <string.h>

enum { FZ = 0x80, FN = 0x40, FH = 0x20, FC = 0x10 };
#define A_ r[GB_R_A]
#define F_ r[GB_R_F]

/* What a copy of the instruction loop tests (the variants table at the end
 * of this file, CPU_VARIANTS): trace points for bus accesses (I_MEM) and
 * for instructions (I_EXEC), the debug hooks' bitmaps for fetches and
 * writes (I_HOOK) and for reads (I_HOOK_RD). I_EXEC_FAST records every
 * instruction through the fast path without a test. The set is a constant
 * `I` that every function of the loop takes as its second parameter
 * (`const unsigned I`): after inlining, each copy keeps only its tests. */
enum { I_MEM = 1, I_HOOK = 2, I_HOOK_RD = 4, I_EXEC = 8, I_ALL = 15, I_EXEC_FAST = 16 };

/* ---- the machine clock --------------------------------------------------- */

CT_INLINE void tick(gb *g) {
    g->cycles += 4;
    if (CT_UNLIKELY(g->cycles >= g->timer.next)) gb_timer_event(g);
    gb_ppu_advance(&g->ppu, g);
    gb_apu_advance(&g->apu, g);
    if (CT_UNLIKELY(g->bus.busy)) gb_bus_tick(g);
}

/* Flat test mode: one recorded M-cycle, nothing else advances. */
static CT_NOINLINE void flat_cycle(gb *g, uint16_t addr, uint8_t v, uint8_t kind) {
    gb_bus *b = &g->bus;
    g->cycles += 4;
    if (b->flat_log && b->flat_len < b->flat_cap)
        b->flat_log[b->flat_len] = (gb_bus_access){addr, v, kind};
    b->flat_len++;
}

static CT_NOINLINE uint8_t rd_slow(gb *g, uint16_t a) {
    if (g->bus.flat) {
        uint8_t v = g->bus.flat[a];
        flat_cycle(g, a, v, 'r');
        return v;
    }
    tick(g);
    if (a >= 0xFF80 && a != 0xFFFF) return g->bus.hram[a - 0xFF80]; /* HRAM: never blocked */
    return gb_bus_read(g, a);
}

/* The second half of a write's M-cycle, after the machine advanced: hooks,
 * trace, and the byte landing. */
static CT_NOINLINE void wr_land(gb *g, uint16_t a, uint8_t v) {
    g->ck_page[a >> 8] = 1; /* for checkpoints (gb_state_changes) */
    GB_HOOK_WRITE(g, a, v);
    GB_TRACE(g, MEM_WRITE, a, v);
    uint8_t *p = g->bus.write_map[a >> 12];
    if (p)
        p[a & 0xFFF] = v;
    else if (a >= 0xFF80 && a != 0xFFFF)
        g->bus.hram[a - 0xFF80] = v;
    else
        gb_bus_write(g, a, v);
}

static CT_NOINLINE void wr_slow(gb *g, uint16_t a, uint8_t v) {
    if (g->bus.flat) {
        g->bus.flat[a] = v;
        flat_cycle(g, a, v, 'w');
        GB_TRACE(g, MEM_WRITE, a, v);
        return;
    }
    tick(g);
    wr_land(g, a, v);
}

CT_INLINE uint8_t rd(gb *g, const unsigned I, uint16_t a) {
    const uint8_t *p = g->bus.read_map[a >> 12];
    uint8_t v;
    if (CT_LIKELY(p != NULL)) {
        tick(g);
        v = p[a & 0xFFF];
    } else {
        v = rd_slow(g, a);
    }
    if (I & I_HOOK_RD) GB_HOOK_READ(g, a, v);
    if (I & I_MEM) GB_TRACE_HOT(g, MEM_READ, a, v);
    return v;
}

CT_INLINE void wr(gb *g, const unsigned I, uint16_t a, uint8_t v) {
    uint8_t *p = g->bus.write_map[a >> 12];
    if (CT_LIKELY(p != NULL)) {
        tick(g);
        /* Triggers and the trace see the write after its M-cycle began and
         * before it lands: the write is recorded before what it causes (a
         * DMA start, a bank switch), and a start trigger's first record is
         * the write itself. */
        if (I & I_HOOK) GB_HOOK_WRITE(g, a, v);
        if (I & I_MEM) GB_TRACE_HOT(g, MEM_WRITE, a, v);
        g->ck_page[a >> 8] = 1;
        p[a & 0xFFF] = v;
    } else {
        wr_slow(g, a, v);
    }
}

CT_INLINE void idle(gb *g) {
    if (CT_UNLIKELY(g->bus.flat != NULL))
        flat_cycle(g, g->cpu.pc, 0, '-');
    else
        tick(g);
}

/* Side-effect-free read for trace arguments (only evaluated when on). */
CT_INLINE uint8_t peek(gb *g, uint16_t a) {
    const uint8_t *p = g->bus.read_map[a >> 12];
    return p ? p[a & 0xFFF] : gb_bus_peek(g, a);
}

CT_INLINE uint8_t imm8(gb *g, const unsigned I) {
    return rd(g, I, g->cpu.pc++);
}

CT_INLINE uint16_t imm16(gb *g, const unsigned I) {
    uint8_t lo = imm8(g, I);
    return (uint16_t)(lo | imm8(g, I) << 8);
}

CT_INLINE void push16(gb *g, const unsigned I, uint16_t v) {
    gb_cpu *c = &g->cpu;
    wr(g, I, --c->sp, (uint8_t)(v >> 8));
    wr(g, I, --c->sp, (uint8_t)v);
}

/* A read in the same M-cycle as a 16-bit increment/decrement of its
 * address (the OAM bug treats it apart). */
CT_INLINE uint8_t rd_idu(gb *g, const unsigned I, uint16_t a) {
    if (CT_LIKELY((a >> 8) != 0xFE)) return rd(g, I, a);
    g->bus.idu = true;
    const uint8_t v = rd(g, I, a);
    g->bus.idu = false;
    return v;
}

/* The internal M-cycle before a push: SP is decremented (OAM bug). */
CT_INLINE void idle_sp(gb *g) {
    idle(g);
    gb_bus_idu(g, g->cpu.sp);
}

CT_INLINE uint16_t pop16(gb *g, const unsigned I) {
    gb_cpu *c = &g->cpu;
    uint8_t lo = rd_idu(g, I, c->sp++);
    return (uint16_t)(lo | rd(g, I, c->sp++) << 8);
}

/* ---- register helpers ---------------------------------------------------- */

/* rp encoding (bits 4-5): BC DE HL SP. */
static inline uint16_t get_rp(const gb_cpu *c, unsigned i) {
    return i == 3 ? c->sp : (uint16_t)(c->r[2 * i] << 8 | c->r[2 * i + 1]);
}

static inline void set_rp(gb_cpu *c, unsigned i, uint16_t v) {
    if (i == 3) {
        c->sp = v;
    } else {
        c->r[2 * i] = (uint8_t)(v >> 8);
        c->r[2 * i + 1] = (uint8_t)v;
    }
}

static inline uint16_t hl(const gb_cpu *c) {
    return (uint16_t)(c->r[GB_R_H] << 8 | c->r[GB_R_L]);
}

static inline void set_hl(gb_cpu *c, uint16_t v) {
    c->r[GB_R_H] = (uint8_t)(v >> 8);
    c->r[GB_R_L] = (uint8_t)v;
}

/* Condition field (bits 3-4): NZ Z NC C as (F & mask) == want. */
static const uint8_t cc_mask[4] = {FZ, FZ, FC, FC};
static const uint8_t cc_want[4] = {0, FZ, 0, FC};

static inline bool cond(const gb_cpu *c, uint8_t op) {
    unsigned cc = (op >> 3) & 3;
    return (c->F_ & cc_mask[cc]) == cc_want[cc];
}

/* ---- ALU ----------------------------------------------------------------- */

/* ADD ADC SUB SBC AND XOR OR CP (bits 3-5 of the ALU opcodes). */
static void alu(gb_cpu *c, unsigned op, uint8_t v) {
    const unsigned a = c->A_;
    const unsigned cy = (c->F_ >> 4) & 1;
    unsigned r, f;
    switch (op) {
    case 0: /* ADD */
    case 1: /* ADC */ {
        unsigned ci = op == 1 ? cy : 0;
        r = a + v + ci;
        f = ((a & 0xF) + (v & 0xF) + ci > 0xF ? FH : 0) | (r > 0xFF ? FC : 0);
        break;
    }
    case 2: /* SUB */
    case 3: /* SBC */
    case 7: /* CP */ {
        unsigned ci = op == 3 ? cy : 0;
        r = a - v - ci;
        f = FN | ((a & 0xF) < (v & 0xF) + ci ? FH : 0) | (a < v + ci ? FC : 0);
        break;
    }
    case 4: r = a & v, f = FH; break;
    case 5: r = a ^ v, f = 0; break;
    default: r = a | v, f = 0; break;
    }
    r &= 0xFF;
    if (r == 0) f |= FZ;
    c->F_ = (uint8_t)f;
    if (op != 7) c->A_ = (uint8_t)r;
}

static inline uint8_t inc8(gb_cpu *c, uint8_t v) {
    uint8_t r = (uint8_t)(v + 1);
    c->F_ = (uint8_t)((c->F_ & FC) | (r == 0 ? FZ : 0) | ((r & 0xF) == 0 ? FH : 0));
    return r;
}

static inline uint8_t dec8(gb_cpu *c, uint8_t v) {
    uint8_t r = (uint8_t)(v - 1);
    c->F_ = (uint8_t)((c->F_ & FC) | FN | (r == 0 ? FZ : 0) | ((r & 0xF) == 0xF ? FH : 0));
    return r;
}

/* CB rotates and shifts (bits 3-5): RLC RRC RL RR SLA SRA SWAP SRL. */
static uint8_t shift(gb_cpu *c, unsigned op, uint8_t v) {
    const unsigned cy = (c->F_ >> 4) & 1;
    unsigned r, out;
    switch (op) {
    case 0: r = (v << 1) | (v >> 7), out = v >> 7; break;
    case 1: r = (v >> 1) | (v << 7), out = v & 1; break;
    case 2: r = (v << 1) | cy, out = v >> 7; break;
    case 3: r = (v >> 1) | (cy << 7), out = v & 1; break;
    case 4: r = v << 1, out = v >> 7; break;
    case 5: r = (v >> 1) | (v & 0x80), out = v & 1; break;
    case 6: r = (v >> 4) | (v << 4), out = 0; break;
    default: r = v >> 1, out = v & 1; break;
    }
    r &= 0xFF;
    c->F_ = (uint8_t)((r == 0 ? FZ : 0) | (out ? FC : 0));
    return (uint8_t)r;
}

/* ADD SP,e and LD HL,SP+e: flags from the unsigned low-byte addition. */
static inline uint16_t sp_plus(gb_cpu *c, uint8_t e) {
    unsigned sp = c->sp;
    c->F_ = (uint8_t)(((sp & 0xF) + (e & 0xF) > 0xF ? FH : 0) | ((sp & 0xFF) + e > 0xFF ? FC : 0));
    return (uint16_t)(sp + (uint16_t)(int8_t)e);
}

static void daa(gb_cpu *c) {
    unsigned a = c->A_, f = c->F_;
    if (!(f & FN)) {
        if ((f & FC) || a > 0x99) a += 0x60, f |= FC;
        if ((f & FH) || (a & 0xF) > 9) a += 6;
    } else {
        if (f & FC) a -= 0x60;
        if (f & FH) a -= 6;
    }
    a &= 0xFF;
    c->A_ = (uint8_t)a;
    c->F_ = (uint8_t)((f & (FN | FC)) | (a == 0 ? FZ : 0));
}

/* ---- operand access by encoding ------------------------------------------ */

CT_INLINE uint8_t get_r(gb *g, const unsigned I, unsigned i) {
    return i == 6 ? rd(g, I, hl(&g->cpu)) : g->cpu.r[i];
}

CT_INLINE void set_r(gb *g, const unsigned I, unsigned i, uint8_t v) {
    if (i == 6)
        wr(g, I, hl(&g->cpu), v);
    else
        g->cpu.r[i] = v;
}

CT_INLINE void exec_cb(gb *g, const unsigned I) {
    gb_cpu *c = &g->cpu;
    const uint8_t op = imm8(g, I);
    const unsigned reg = op & 7, bit = (op >> 3) & 7;
    uint8_t v = get_r(g, I, reg);
    switch (op >> 6) {
    case 0: v = shift(c, bit, v); break;
    case 1: /* BIT: no write back, (HL) takes 3 M-cycles */
        c->F_ = (uint8_t)((c->F_ & FC) | FH | ((v >> bit) & 1 ? 0 : FZ));
        return;
    case 2: v = (uint8_t)(v & ~(1u << bit)); break;
    default: v = (uint8_t)(v | 1u << bit); break;
    }
    set_r(g, I, reg, v);
}

/* ---- interrupts, HALT, STOP, lock-up ------------------------------------- */

static void dispatch(gb *g) {
    const unsigned I = I_ALL; /* rare: always tests */
    gb_cpu *c = &g->cpu;
    /* After a HALT bug (EI; HALT with an interrupt pending) the handler
     * returns to the HALT itself. */
    const uint16_t pc = (uint16_t)(c->pc - c->halt_bug);
    c->halt_bug = false;
    c->ime = false;
    /* Five M-cycles: the discarded opcode fetch (already spent by the
     * caller), two internal cycles, the two pushes; PC takes the vector with
     * the second push. A push during OAM DMA shows where they fall: pushed
     * into ROM, PC lands in OAM one byte later than with the pushes in the
     * 3rd and 4th M-cycles (gambatte hwtests
     * oamdma/oamdma_src0000_busyint0002). */
    idle_sp(g);
    idle(g);
    wr(g, I, --c->sp, (uint8_t)(pc >> 8));
    /* IE is taken after the high byte of PC was pushed: a push that
     * overwrites IE ($FFFF) can cancel the interrupt, and the CPU then jumps
     * to $0000 (mooneye acceptance/interrupts/ie_push). IF is taken and the
     * chosen bit cleared in the last M-cycle, with the low byte's push: a
     * request raised in that M-cycle for the interrupt being dispatched is
     * acknowledged with it (gambatte hwtests
     * serial/start_wait_trigger_int8_read_if_1..3: a serial transfer ending
     * in the 4th M-cycle of its own dispatch leaves IF.serial set, one
     * ending in the 5th does not), before the low byte lands: a push that
     * overwrites IF does not change the vector (gambatte hwtests
     * irq_precedence/if_and_ie_0_vector_4: IF pushed to 0 still jumps to
     * $50; _3: IF made $01 by the high byte's push jumps to $0000). */
    const uint8_t ie = g->ie;
    --c->sp;
    if (g->bus.flat)
        wr(g, I, c->sp, (uint8_t)pc);
    else
        tick(g);
    const uint8_t pend = ie & g->intf & 0x1F;
    uint16_t vec = 0;
    if (pend) {
        unsigned bit = 0;
        while (!(pend >> bit & 1))
            bit++;
        g->intf &= (uint8_t) ~(1u << bit);
        vec = (uint16_t)(0x40 + 8 * bit);
    }
    if (!g->bus.flat) wr_land(g, c->sp, (uint8_t)pc);
    c->pc = vec;
    if (vec) GB_HOOK_IRQ(g, (uint8_t)((vec - 0x40) / 8));
    GB_TRACE(g, CPU_IRQ, vec, pc);
    if (g->irq_depth == sizeof g->irq_sp / sizeof g->irq_sp[0]) { /* deeper: keep the newest */
        memmove(g->irq_sp, g->irq_sp + 1, sizeof g->irq_sp - sizeof g->irq_sp[0]);
        g->irq_depth--;
    }
    g->irq_sp[g->irq_depth++] = c->sp;
}

/* A return popped its address: the handlers whose frame it left end here
 * (cpu.reti, the end of their cpu.irq slice), whether by RETI or by RET. A
 * handler left some other way (its frame dropped by LD SP or a deeper
 * return) ends at the first return that passes its frame. */
static void irq_returned(gb *g) {
    const uint16_t sp = g->cpu.sp;
    while (g->irq_depth && sp >= (uint16_t)(g->irq_sp[g->irq_depth - 1] + 2)) {
        g->irq_depth--;
        GB_TRACE(g, CPU_RETI, g->cpu.pc);
    }
}

static void lockup(gb *g, uint8_t op) {
    g->cpu.locked = true;
    g->stop_reasons |= GB_STOP_LOCKUP;
    GB_TRACE(g, CPU_LOCKUP, (uint16_t)(g->cpu.pc - 1), op);
}

static void halt(gb *g) {
    gb_cpu *c = &g->cpu;
    if (g->ie & g->intf & 0x1F) {
        /* An interrupt is already pending: HALT does not halt. With IME=0 the
         * next opcode is fetched twice, PC failing to advance (the HALT bug,
         * blargg halt_bug). */
        if (!c->ime) {
            c->halt_bug = true;
            GB_TRACE(g, CPU_HALT_BUG, (uint16_t)(c->pc - 1));
        }
        return;
    }
    c->halted = true;
    GB_TRACE(g, CPU_HALT, (uint16_t)(c->pc - 1));
}

static void stop(gb *g) {
    gb_cpu *c = &g->cpu;
    c->stopped = true;
    GB_TRACE(g, CPU_STOP, (uint16_t)(c->pc - 1));
    /* STOP resets the divider. */
    if (!g->bus.flat) gb_timer_write(g, 0xFF04, 0);
}

/* Called while halted, stopped or locked: spends M-cycles until the CPU
 * wakes, g->cycles reaches `until` or a stop bit in `mask` is raised (at
 * least one M-cycle unless it wakes at once). */
enum { WAIT_DONE, WAIT_RUN, WAIT_FETCHED, WAIT_RESUME };
/* While halted, most M-cycles change nothing but the counters: the timer,
 * PPU and APU act only when g->cycles, ppu.dot and apu.pending reach their
 * next event (timer.next, ppu.next_dot, apu.budget), and only those events
 * raise interrupts or stop bits. Advance the counters in one go over the
 * M-cycles before the first event (and before `until`), exactly as that many
 * ticks would; the tick that reaches the event runs as usual. Not while OAM
 * DMA or serial are busy (they act every M-cycle) or in flat test mode. */
CT_INLINE uint64_t quiet_cycles(uint64_t now, uint64_t next) {
    return next > now ? (next - now - 1) / 4 : 0; /* M-cycles with now + 4k < next */
}

static void skip_idle(gb *g, uint64_t until) {
    if (g->bus.busy || g->bus.flat) return;
    uint64_t k = quiet_cycles(g->cycles, g->timer.next);
    uint64_t t = quiet_cycles(g->cycles, until);
    if (t < k) k = t;
    t = quiet_cycles(g->ppu.dot, g->ppu.next_dot);
    if (t < k) k = t;
    t = quiet_cycles(g->apu.pending, g->apu.budget);
    if (t < k) k = t;
    if (k == 0) return;
    g->cycles += 4 * k;
    g->ppu.dot = (uint16_t)(g->ppu.dot + 4 * k);
    g->apu.pending += (uint32_t)(4 * k);
}

static int wait_cycles(gb *g, uint64_t until, unsigned mask) {
    gb_cpu *c = &g->cpu;
    if (c->brk) { /* stopped by gb_break() after the fetch: execute it now */
        c->brk = c->halted = false;
        return WAIT_RESUME;
    }
    if (c->locked) {
        do
            idle(g);
        while (g->cycles < until && !(g->stop_reasons & mask));
        return WAIT_DONE;
    }
    if (c->stopped) {
        if (g->bus.buttons == 0) {
            do
                idle(g);
            while (g->cycles < until && !(g->stop_reasons & mask));
            return WAIT_DONE;
        }
        c->stopped = false;
        GB_TRACE(g, CPU_WAKE, c->pc);
        return WAIT_RUN;
    }
    /* Halted: the CPU keeps fetching (and discarding) the next opcode each
     * M-cycle. When an interrupt becomes pending, that M-cycle's fetch is
     * the first of the dispatch with IME=1; with IME=0 the CPU goes on with
     * the next instruction (mooneye acceptance/di_timing-GS,
     * halt_ime1_timing2-GS, halt_ime0_nointr_timing). */
    /* IF.timer raised in this M-cycle wakes it only in the next (timer.c). */
    /* IF.STAT raised late in this M-cycle likewise (ppu.hold, ppu.c); it
     * is kept out for that M-cycle only, without skipping ahead. */
    do {
        if (!g->ppu.hold) skip_idle(g, until);
        g->ppu.hold = 0;
        idle(g);
    } while (!(g->ie & g->intf & ~(g->timer.hold | g->ppu.hold) & 0x1F) && g->cycles < until &&
             !(g->stop_reasons & mask));
    if ((g->ie & g->intf & ~(g->timer.hold | g->ppu.hold) & 0x1F) == 0) return WAIT_DONE;
    c->halted = false;
    GB_TRACE(g, CPU_WAKE, c->pc);
    if (c->ime) {
        dispatch(g);
        return WAIT_DONE;
    }
    return WAIT_FETCHED;
}

/* ---- execution ------------------------------------------------------------ */

CT_INLINE void exec(gb *g, const unsigned I, uint8_t op) {
    gb_cpu *c = &g->cpu;
    uint16_t t;
    uint8_t v;

    /* Regular blocks first: LD r,r' and ALU A,r. */
    if (op >= 0x40 && op < 0xC0) {
        if (op < 0x80) {
            if (op == 0x76) {
                halt(g);
                return;
            }
            if (op == 0x40) g->stop_reasons |= GB_STOP_LD_B_B;
            set_r(g, I, (op >> 3) & 7, get_r(g, I, op & 7));
        } else {
            alu(c, (op >> 3) & 7, get_r(g, I, op & 7));
        }
        return;
    }

    switch (op) {
    case 0x00: break; /* NOP */
    case 0x01:
    case 0x11:
    case 0x21:
    case 0x31: /* LD rr,nn */ set_rp(c, op >> 4, imm16(g, I)); break;
    case 0x02:
    case 0x12: /* LD (BC),A / LD (DE),A */ wr(g, I, get_rp(c, op >> 4), c->A_); break;
    case 0x0A:
    case 0x1A: /* LD A,(BC) / LD A,(DE) */ c->A_ = rd(g, I, get_rp(c, op >> 4)); break;
    case 0x22: /* LD (HL+),A */ t = hl(c), wr(g, I, t, c->A_), set_hl(c, (uint16_t)(t + 1)); break;
    case 0x32: /* LD (HL-),A */ t = hl(c), wr(g, I, t, c->A_), set_hl(c, (uint16_t)(t - 1)); break;
    case 0x2A: /* LD A,(HL+) */
        t = hl(c), c->A_ = rd_idu(g, I, t), set_hl(c, (uint16_t)(t + 1));
        break;
    case 0x3A: /* LD A,(HL-) */
        t = hl(c), c->A_ = rd_idu(g, I, t), set_hl(c, (uint16_t)(t - 1));
        break;
    case 0x03:
    case 0x13:
    case 0x23:
    case 0x33: /* INC rr */
        t = get_rp(c, op >> 4);
        set_rp(c, op >> 4, (uint16_t)(t + 1));
        idle(g);
        gb_bus_idu(g, t);
        break;
    case 0x0B:
    case 0x1B:
    case 0x2B:
    case 0x3B: /* DEC rr */
        t = get_rp(c, op >> 4);
        set_rp(c, op >> 4, (uint16_t)(t - 1));
        idle(g);
        gb_bus_idu(g, t);
        break;
    case 0x09:
    case 0x19:
    case 0x29:
    case 0x39: { /* ADD HL,rr */
        unsigned a = hl(c), b = get_rp(c, op >> 4), r = a + b;
        c->F_ = (uint8_t)((c->F_ & FZ) | ((a & 0xFFF) + (b & 0xFFF) > 0xFFF ? FH : 0) |
                          (r > 0xFFFF ? FC : 0));
        set_hl(c, (uint16_t)r);
        idle(g);
        break;
    }
    case 0x04:
    case 0x0C:
    case 0x14:
    case 0x1C:
    case 0x24:
    case 0x2C:
    case 0x34:
    case 0x3C: /* INC r */
        v = get_r(g, I, op >> 3);
        set_r(g, I, op >> 3, inc8(c, v));
        break;
    case 0x05:
    case 0x0D:
    case 0x15:
    case 0x1D:
    case 0x25:
    case 0x2D:
    case 0x35:
    case 0x3D: /* DEC r */
        v = get_r(g, I, op >> 3);
        set_r(g, I, op >> 3, dec8(c, v));
        break;
    case 0x06:
    case 0x0E:
    case 0x16:
    case 0x1E:
    case 0x26:
    case 0x2E:
    case 0x36:
    case 0x3E: /* LD r,n */
        v = imm8(g, I);
        set_r(g, I, op >> 3, v);
        break;
    case 0x07: /* RLCA */
    case 0x0F: /* RRCA */
    case 0x17: /* RLA */
    case 0x1F: /* RRA: like the CB forms but Z is always clear */
        c->A_ = shift(c, op >> 3, c->A_);
        c->F_ &= FC;
        break;
    case 0x08: /* LD (nn),SP */
        t = imm16(g, I);
        wr(g, I, t, (uint8_t)c->sp);
        wr(g, I, (uint16_t)(t + 1), (uint8_t)(c->sp >> 8));
        break;
    case 0x10: stop(g); break;
    case 0x18: /* JR e */
        v = imm8(g, I);
        c->pc = (uint16_t)(c->pc + (int8_t)v);
        idle(g);
        break;
    case 0x20:
    case 0x28:
    case 0x30:
    case 0x38: /* JR cc,e */
        v = imm8(g, I);
        if (cond(c, op)) {
            c->pc = (uint16_t)(c->pc + (int8_t)v);
            idle(g);
        }
        break;
    case 0x27: daa(c); break;
    case 0x2F: /* CPL */
        c->A_ = (uint8_t)~c->A_;
        c->F_ |= FN | FH;
        break;
    case 0x37: /* SCF */ c->F_ = (uint8_t)((c->F_ & FZ) | FC); break;
    case 0x3F: /* CCF */ c->F_ = (uint8_t)((c->F_ & (FZ | FC)) ^ FC); break;
    case 0xC0:
    case 0xC8:
    case 0xD0:
    case 0xD8: /* RET cc */
        idle(g);
        if (cond(c, op)) {
            c->pc = pop16(g, I);
            idle(g);
            if (g->irq_depth) irq_returned(g);
        }
        break;
    case 0xC9: /* RET */
        c->pc = pop16(g, I);
        idle(g);
        if (g->irq_depth) irq_returned(g);
        break;
    case 0xD9: /* RETI: IME is set at once, without EI's delay */
        c->pc = pop16(g, I);
        idle(g);
        c->ime = true;
        if (g->irq_depth)
            irq_returned(g);
        else
            GB_TRACE(g, CPU_RETI, c->pc); /* a RETI without a dispatch seen */
        break;
    case 0xC1:
    case 0xD1:
    case 0xE1: /* POP rr */ set_rp(c, (op >> 4) & 3, pop16(g, I)); break;
    case 0xF1: /* POP AF: the low nibble of F does not exist */
        t = pop16(g, I);
        c->A_ = (uint8_t)(t >> 8);
        c->F_ = (uint8_t)(t & 0xF0);
        break;
    case 0xC5:
    case 0xD5:
    case 0xE5: /* PUSH rr */
        idle_sp(g);
        push16(g, I, get_rp(c, (op >> 4) & 3));
        break;
    case 0xF5: /* PUSH AF */
        idle_sp(g);
        push16(g, I, (uint16_t)(c->A_ << 8 | c->F_));
        break;
    case 0xC2:
    case 0xCA:
    case 0xD2:
    case 0xDA: /* JP cc,nn */
        t = imm16(g, I);
        if (cond(c, op)) {
            c->pc = t;
            idle(g);
        }
        break;
    case 0xC3: /* JP nn */
        c->pc = imm16(g, I);
        idle(g);
        break;
    case 0xE9: c->pc = hl(c); break; /* JP HL */
    case 0xC4:
    case 0xCC:
    case 0xD4:
    case 0xDC: /* CALL cc,nn */
        t = imm16(g, I);
        if (cond(c, op)) {
            idle_sp(g);
            push16(g, I, c->pc);
            c->pc = t;
        }
        break;
    case 0xCD: /* CALL nn */
        t = imm16(g, I);
        idle_sp(g);
        push16(g, I, c->pc);
        c->pc = t;
        break;
    case 0xC7:
    case 0xCF:
    case 0xD7:
    case 0xDF:
    case 0xE7:
    case 0xEF:
    case 0xF7:
    case 0xFF: /* RST */
        idle_sp(g);
        push16(g, I, c->pc);
        c->pc = op & 0x38;
        break;
    case 0xC6:
    case 0xCE:
    case 0xD6:
    case 0xDE:
    case 0xE6:
    case 0xEE:
    case 0xF6:
    case 0xFE: /* ALU A,n */ alu(c, (op >> 3) & 7, imm8(g, I)); break;
    case 0xCB: exec_cb(g, I); break;
    case 0xE0: /* LDH (n),A */
        v = imm8(g, I);
        wr(g, I, (uint16_t)(0xFF00 | v), c->A_);
        break;
    case 0xF0: /* LDH A,(n) */
        v = imm8(g, I);
        c->A_ = rd(g, I, (uint16_t)(0xFF00 | v));
        break;
    case 0xE2: wr(g, I, (uint16_t)(0xFF00 | c->r[GB_R_C]), c->A_); break;  /* LD (C),A */
    case 0xF2: c->A_ = rd(g, I, (uint16_t)(0xFF00 | c->r[GB_R_C])); break; /* LD A,(C) */
    case 0xEA:                                                             /* LD (nn),A */
        t = imm16(g, I);
        wr(g, I, t, c->A_);
        break;
    case 0xFA: /* LD A,(nn) */
        t = imm16(g, I);
        c->A_ = rd(g, I, t);
        break;
    case 0xE8: /* ADD SP,e */
        v = imm8(g, I);
        c->sp = sp_plus(c, v);
        idle(g);
        idle(g);
        break;
    case 0xF8: /* LD HL,SP+e */
        v = imm8(g, I);
        set_hl(c, sp_plus(c, v));
        idle(g);
        break;
    case 0xF9: /* LD SP,HL */
        c->sp = hl(c);
        idle(g);
        break;
    case 0xF3: /* DI */
        c->ime = false;
        c->ei_delay = false;
        break;
    case 0xFB: /* EI: IME becomes 1 after the next instruction */ c->ei_delay = true; break;
    default: /* D3 DB DD E3 E4 EB EC ED F4 FC FD */ lockup(g, op); break;
    }
}

/* The cpu.exec record, the most frequent event (one per instruction with the
 * default filter): on the fast path 24 bytes, without the timestamp word
 * (ct__ring_put_nots: the stamp as a 16-bit delta from the ring chunk's
 * base, in the header). The generic emitter packs its 15 fields one by one; here
 * the record is built from a few loads. The schema lays the fields out as
 * the machine holds them: payload bytes pc 0-1, op 2, op1 3 | op2 4, b c d e
 * h l f 5-11 | a 12, sp 13-14, ime 15, bank 16-17. So the header word takes
 * pc and the first two instruction bytes, the next word is op2 and gb_cpu.r
 * (B C D E H L F A in memory) shifted up a byte, the last is the four bytes
 * A, SP, IME as gb_cpu holds them, and the bank from a per-page table. The
 * checked path (a window, hooks: stream, triggers) takes the same words and
 * hands the payload to the hooks; tests/perf/test_exec_record.c checks that
 * every path writes the records the generic emitter writes.
 * The record, gb_cpu's field order (cpu.h), the assert below and the save
 * state's CPU section (STATE_VERSION in gb.c) change together. */
_Static_assert(offsetof(gb_cpu, sp) == offsetof(gb_cpu, r) + 8 &&
                   offsetof(gb_cpu, ime) == offsetof(gb_cpu, sp) + 2 && sizeof(bool) == 1,
               "trace_exec copies A, SP and IME as one 32-bit word");

/* The record's words are built from gb_cpu's bytes as they lie in memory
 * on a little-endian host; elsewhere every record takes the generic
 * emitter. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CPU_EXEC_WORDS 1
#else
#define CPU_EXEC_WORDS 0
#endif

#if !CPU_EXEC_WORDS
/* A big-endian host: the generic emitter, out of the hot loop so its
 * fifteen arguments do not crowd the registers there. */
static CT_NOINLINE void trace_exec_generic(gb *g, uint8_t op) {
    const gb_cpu *c = &g->cpu;
    const uint16_t pc = c->pc;
    gb_emit_CPU_EXEC(g->rec, g->trace_on[gb_ev_CPU_EXEC], g->cycles, pc, op,
                     peek(g, (uint16_t)(pc + 1)), peek(g, (uint16_t)(pc + 2)), c->r[GB_R_B],
                     c->r[GB_R_C], c->r[GB_R_D], c->r[GB_R_E], c->r[GB_R_H], c->r[GB_R_L],
                     c->r[GB_R_F], c->r[GB_R_A], c->sp, c->ime, g->cart.page_bank[pc >> 12]);
}
#else

/* The record's words from the instruction bytes at pc (op op1 op2 op3). */
CT_INLINE void exec_words(const gb *g, uint16_t pc, uint32_t ins, uint64_t w[3]) {
    const gb_cpu *c = &g->cpu;
    uint64_t r;
    uint32_t asi; /* A, SP, IME */
    memcpy(&r, c->r, sizeof r);
    memcpy(&asi, (const uint8_t *)c + offsetof(gb_cpu, r) + 7, sizeof asi);
    w[0] = (uint64_t)pc << 32 | (uint64_t)ins << 48;
    w[1] = (uint64_t)((ins >> 16) & 0xFF) | r << 8;
    w[2] = (uint64_t)asi | (uint64_t)g->cart.page_bank[pc >> 12] << 32;
}

/* An instruction without a page pointer: from HRAM or IO ($F000-$FFFF has
 * no page: it mixes echo RAM, OAM, IO and HRAM), cartridge RAM, VRAM, the
 * boot ROM, during OAM DMA (gb_bus_remap drops every page so that reads see
 * the DMA's bus conflicts), or its operands in the next page; also the
 * rare record that needs its timestamp word (the first after a long HALT,
 * see ct__ring_put_compact). The same
 * words from op and the side-effect-free reads of the two bytes after it
 * (HRAM directly: mooneye's tests wait there during their DMAs), onto the
 * fast or the checked record path. Before, these went through the generic
 * emitter, some five times the cost (a third of a mooneye test's
 * instructions run from HRAM or during a DMA). */
static CT_NOINLINE void trace_exec_nomap(gb *g, uint8_t op, bool slow) {
    const uint16_t pc = g->cpu.pc;
    uint8_t b1, b2;
    const uint8_t *page = g->bus.flat ? NULL : g->bus.read_map[pc >> 12];
    if (page != NULL && (pc & 0xFFF) <= 0xFFD) {
        b1 = page[(pc & 0xFFF) + 1];
        b2 = page[(pc & 0xFFF) + 2];
    } else if (pc >= 0xFF80 && pc <= 0xFFFC && !g->bus.flat) {
        b1 = g->bus.hram[pc - 0xFF80 + 1];
        b2 = g->bus.hram[pc - 0xFF80 + 2];
    } else {
        b1 = peek(g, (uint16_t)(pc + 1));
        b2 = peek(g, (uint16_t)(pc + 2));
    }
    const uint32_t ins = op | (uint32_t)b1 << 8 | (uint32_t)b2 << 16;
    uint64_t w[3];
    exec_words(g, pc, ins, w);
    if (slow)
        ct_record_slow(g->rec, gb_ev_CPU_EXEC, g->cycles, w, 18);
    else
        ct__ring_put_compact(&g->rec->ring, gb_ev_CPU_EXEC, g->cycles, w, 18);
}

/* The slow path (a window, hooks): the same words, handed to the recorder's
 * checked path, out of the hot loop. */
static CT_NOINLINE void trace_exec_slow(gb *g, uint8_t op, const uint8_t *page) {
    const uint16_t pc = g->cpu.pc;
    if (page != NULL && (pc & 0xFFF) <= 0xFFC) {
        uint32_t ins;
        memcpy(&ins, page + (pc & 0xFFF), 4);
        uint64_t w[3];
        exec_words(g, pc, ins, w);
        ct_record_slow(g->rec, gb_ev_CPU_EXEC, g->cycles, w, 18);
        return;
    }
    trace_exec_nomap(g, op, true);
}
#endif

/* `fast`: the caller knows the flag is CT_ON (no CT_SLOW bit). */
CT_INLINE void trace_exec(gb *g, uint8_t op, const uint8_t *page, bool fast) {
#if CPU_EXEC_WORDS
    const uint16_t pc = g->cpu.pc;
    if (CT_LIKELY(fast || !(g->trace_on[gb_ev_CPU_EXEC] & CT_SLOW))) {
        ct_ring *const rg = &g->rec->ring;
        const uint64_t ts = g->cycles, d = ct__ring_nots_delta(rg, ts);
        if (CT_LIKELY(page != NULL && (pc & 0xFFF) <= 0xFFC && d <= CT_REC_NOTS_MAX)) {
            /* The instruction's bytes are in the page the opcode came from;
             * the record needs no timestamp word (24 bytes, not 32). */
            uint32_t ins;
            memcpy(&ins, page + (pc & 0xFFF), 4);
            uint64_t w[3];
            exec_words(g, pc, ins, w);
            ct__ring_put_nots(rg, gb_ev_CPU_EXEC, ts, d, w, 18);
            return;
        }
        trace_exec_nomap(g, op, false);
        return;
    }
    trace_exec_slow(g, op, page);
#else
    (void)fast;
    (void)page;
    trace_exec_generic(g, op);
#endif
}

CT_INLINE void step(gb *g, const unsigned I, uint64_t until, unsigned mask) {
    gb_cpu *c = &g->cpu;
    bool fetched = false, resumed = false;
    if (CT_UNLIKELY(c->halted | c->stopped | c->locked)) {
        int w = wait_cycles(g, until, mask);
        if (w == WAIT_DONE) return;
        fetched = w >= WAIT_FETCHED;
        resumed = w == WAIT_RESUME;
    }
    /* The opcode fetch M-cycle: the machine advances first and interrupts are
     * sampled at its end, so an interrupt raised during it (e.g. a TIMA reload
     * caused by the previous instruction's last write) is taken instead of
     * the fetched opcode (mooneye acceptance/timer/rapid_toggle). */
    uint8_t op;
    const uint8_t *p = NULL; /* the page the opcode came from, if mapped */
    if (CT_LIKELY(g->bus.flat == NULL)) {
        if (!fetched) tick(g);
        if (c->ime && (g->ie & g->intf & 0x1F)) {
            dispatch(g);
            return;
        }
        p = g->bus.read_map[c->pc >> 12];
        op = p ? p[c->pc & 0xFFF] : gb_bus_read(g, c->pc);
    } else {
        op = resumed ? g->bus.flat[c->pc] : rd_slow(g, c->pc);
    }
    /* The fetch hook, once per instruction: not again for the instruction
     * a gb_break() in it stopped before. */
    if ((I & I_HOOK) && !resumed) {
        GB_HOOK_FETCH(g, c->pc);
        if (CT_UNLIKELY(c->brk)) return;
    }
    const bool ei = c->ei_delay;
    c->ei_delay = false;
#ifndef CERES_TRACE_OFF
    if (I & I_EXEC_FAST)
        trace_exec(g, op, p, true);
    else if ((I & I_EXEC) && CT_UNLIKELY(g->trace_on[gb_ev_CPU_EXEC]))
        trace_exec(g, op, p, false);
#endif
    if (I & I_MEM) GB_TRACE_HOT(g, MEM_READ, c->pc, op);
    if (CT_UNLIKELY(c->halt_bug))
        c->halt_bug = false;
    else
        c->pc++;
    exec(g, I, op);
    /* EI takes effect after the instruction that follows it, which still
     * runs with the old IME: EI; HALT with an interrupt pending hits the HALT
     * bug (Pan Docs, "halt"). DI right after EI cancels it. */
    if (CT_UNLIKELY(ei) && op != 0xF3) c->ime = true;
}

void gb_cpu_step(gb *g) {
    step(g, I_ALL, 0, 0); /* at most one M-cycle while halted */
}

/* The variants of the instruction loop, one copy each (the ~7% the tests
 * of a recording filter or armed hooks would cost every run is paid only
 * by the runs that need them). Rare paths (interrupt dispatch, HALT, the
 * slow bus paths) always test. hooks() picks the row; nothing it reads
 * changes during a run: gb_set_recorder and gb_set_hooks are called between
 * runs, and the machine's copy of the recorder's flags is refreshed only
 * there and at the start of gb_run. */
#define CPU_VARIANTS(X)                                                                            \
    /* tracing off, no hooks: no test per access or instruction */                                 \
    X(0)                                                                                           \
    /* the default filter: each cpu.exec on the fast record path, no flag test */                  \
    X(I_EXEC_FAST)                                                                                 \
    /* cpu.exec on the recorder's checked path (a window, hooks, discard mode) */                  \
    X(I_EXEC)                                                                                      \
    /* mem=trace: every bus access and instruction recorded, flags tested */                       \
    X(I_MEM | I_EXEC)                                                                              \
    /* debug hooks armed (fetches, writes), nothing recorded per access */                         \
    X(I_HOOK)                                                                                      \
    /* debug hooks watching reads too */                                                           \
    X(I_HOOK | I_HOOK_RD)                                                                          \
    /* hooks and recording together; also gb_cpu_step's single step */                             \
    X(I_ALL)

static unsigned hooks(const gb *g) {
    unsigned h = 0;
    if (g->trace_on[gb_ev_MEM_READ] | g->trace_on[gb_ev_MEM_WRITE])
        h = I_MEM | I_EXEC;
    else if (g->trace_on[gb_ev_CPU_EXEC])
        h = g->trace_on[gb_ev_CPU_EXEC] == CT_ON ? I_EXEC_FAST : I_EXEC;
    if (g->hooks) {
        if (h) h = I_ALL;
        h |= I_HOOK;
        if (g->hook_reads) h |= I_HOOK_RD;
    }
    return h;
}

#define RUN_LOOP(I)                                                                                \
    while (g->cycles < until && !(g->stop_reasons & stop_mask))                                    \
    step(g, (I), until, stop_mask)

void gb_cpu_run(gb *g, uint64_t until, unsigned stop_mask) {
    switch (hooks(g)) {
#define VARIANT(I)                                                                                 \
    case (I): RUN_LOOP(I); break;
        CPU_VARIANTS(VARIANT)
#undef VARIANT
    default: RUN_LOOP(I_ALL); break; /* not reached: hooks() returns a row */
    }
}

void gb_cpu_reset(gb *g) {
    gb_cpu *c = &g->cpu;
    memset(c, 0, sizeof *c);
    if (g->has_boot_rom) return; /* everything 0, PC 0: the boot ROM sets it up */
    /* DMG rev ABC after the boot ROM (mooneye acceptance/boot_regs-dmgABC). */
    static const uint8_t post_boot[8] = {
        [GB_R_A] = 0x01, [GB_R_F] = 0xB0, [GB_R_B] = 0x00, [GB_R_C] = 0x13,
        [GB_R_D] = 0x00, [GB_R_E] = 0xD8, [GB_R_H] = 0x01, [GB_R_L] = 0x4D,
    };
    memcpy(c->r, post_boot, sizeof c->r);
    c->sp = 0xFFFE;
    c->pc = 0x0100;
}
