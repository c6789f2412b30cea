/* The emulator's trace events (DESIGN.md section 3), declared once.
 * E(ID, target, name, level, kind, type, field, ...) */
#ifndef CERES_GB_EVENTS_H
#define CERES_GB_EVENTS_H

#include "../trace/ct.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cpu.exec's register fields follow gb_cpu's layout (see cpu.h): the CPU
 * copies them as they lie. state.cpu, state.lcd and state.io are a
 * snapshot of the machine (registers, banks, IO registers, PPU mode and
 * dot) taken at each frame start and when the LCD goes off (gb_trace_state):
 * a few records per frame, in the rare events' ring by default, so a
 * wrapped ring's oldest frame starts from a known state. */
#define GB_EVENTS(E)                                                                               \
    E(CPU_EXEC, cpu, exec, TRACE, STEP, U16, pc, U8, op, U8, op1, U8, op2, U8, b, U8, c, U8, d,    \
      U8, e, U8, h, U8, l, U8, f, U8, a, U16, sp, BOOL, ime, U16, bank)                            \
    E(CPU_IRQ, cpu, irq, DEBUG, BEGIN, U16, vector, U16, pc)                                       \
    E(CPU_RETI, cpu, reti, DEBUG, END, U16, pc)                                                    \
    E(CPU_HALT, cpu, halt, DEBUG, INSTANT, U16, pc)                                                \
    E(CPU_WAKE, cpu, wake, DEBUG, INSTANT, U16, pc)                                                \
    E(CPU_STOP, cpu, stop, DEBUG, INSTANT, U16, pc)                                                \
    E(CPU_HALT_BUG, cpu, halt_bug, DEBUG, INSTANT, U16, pc)                                        \
    E(CPU_LOCKUP, cpu, lockup, WARN, INSTANT, U16, pc, U8, op)                                     \
    E(MEM_READ, mem, read, TRACE, INSTANT, U16, addr, U8, value)                                   \
    E(MEM_WRITE, mem, write, TRACE, INSTANT, U16, addr, U8, value)                                 \
    E(IO_READ, io, read, DEBUG, INSTANT, U16, reg, U8, value)                                      \
    E(IO_WRITE, io, write, DEBUG, INSTANT, U16, reg, U8, value)                                    \
    E(PPU_MODE, ppu, mode, DEBUG, STEP, U8, mode, U8, ly, U16, dot)                                \
    E(PPU_LY, ppu, ly, DEBUG, COUNTER, U8, ly)                                                     \
    E(PPU_FRAME_BEGIN, ppu, frame, DEBUG, BEGIN, U32, frame)                                       \
    E(PPU_FRAME_END, ppu, frame_end, DEBUG, END, U32, frame)                                       \
    E(PPU_STAT_IRQ, ppu, stat_irq, DEBUG, INSTANT, U8, ly, U8, source)                             \
    E(PPU_LYC, ppu, lyc_match, DEBUG, INSTANT, U8, ly)                                             \
    E(PPU_FETCH, ppu, fetch, TRACE, INSTANT, U8, tile, U8, x, BOOL, window, U16, dot)              \
    E(PPU_SPRITE, ppu, sprite, DEBUG, INSTANT, U8, obj, U8, x, U8, penalty, U16, dot)              \
    E(PPU_PUSH, ppu, push, TRACE, INSTANT, U8, x, U8, shade, U16, dot)                             \
    E(DMA_START, dma, start, DEBUG, BEGIN, U16, src, U8, delay)                                    \
    E(DMA_BYTE, dma, byte, DEBUG, INSTANT, U16, src, U16, dst, U8, value)                          \
    E(DMA_END, dma, end, DEBUG, END, U16, src)                                                     \
    E(TIMER_OVERFLOW, timer, overflow, DEBUG, INSTANT, U8, tima, U8, tma)                          \
    E(TIMER_RELOAD, timer, reload, DEBUG, INSTANT, U8, tima, U8, tma)                              \
    E(TIMER_DIV_RESET, timer, div_reset, DEBUG, INSTANT, U16, div, U8, tima)                       \
    E(SERIAL_BYTE, serial, byte, INFO, INSTANT, U8, value)                                         \
    E(CART_BANK, cart, bank, DEBUG, INSTANT, U16, rom_bank, U8, ram_bank)                          \
    E(CART_RAM_ENABLE, cart, ram_enable, DEBUG, INSTANT, BOOL, enable)                             \
    E(APU_WRITE, apu, write, DEBUG, INSTANT, U16, reg, U8, value)                                  \
    E(APU_TRIGGER, apu, trigger, DEBUG, INSTANT, U8, channel)                                      \
    E(TRACE_MARK, trace, mark, INFO, INSTANT, U16, trigger, U32, count)                            \
    E(STATE_CPU, state, cpu, INFO, INSTANT, U16, pc, U16, sp, U8, a, U8, f, U8, b, U8, c, U8, d,   \
      U8, e, U8, h, U8, l, BOOL, ime, BOOL, halted, U16, rom_bank, U8, ram_bank, U8, ie, U8,       \
      iflag)                                                                                       \
    E(STATE_LCD, state, lcd, INFO, INSTANT, U8, lcdc, U8, stat, U8, scy, U8, scx, U8, ly, U8, lyc, \
      U8, bgp, U8, obp0, U8, obp1, U8, wy, U8, wx, U8, mode, U16, dot, U32, frame, U8, dma)        \
    E(STATE_IO, state, io, INFO, INSTANT, U8, joyp, U8, sb, U8, sc, U8, div, U8, tima, U8, tma,    \
      U8, tac, U8, nr50, U8, nr51, U8, nr52)

#define GB__ENUM(ID, ...) gb_ev_##ID,
enum gb_ev { GB_EVENTS(GB__ENUM) gb_ev_count };

#define GB__EMIT(ID, ...) CT_EMITTER(gb_, ID, __VA_ARGS__)
GB_EVENTS(GB__EMIT)

/* T-cycles per second of the DMG: timestamps are T-cycles. */
#define GB_CLOCK_HZ 4194304u

extern const ct_schema gb_schema;

/* The filter DESIGN.md section 5 calls the default: cpu exec and irqs, io,
 * ppu, dma, timer; serial and test at info. Memory accesses are off. */
#define GB_DEFAULT_FILTER "info,cpu=trace,io=debug,ppu=debug,dma=debug,timer=debug"

/* The rings a byte budget is split into by default (`ceres run`, `test`,
 * `play`): the trace-level flood (cpu.exec, bus accesses) in the largest;
 * the debug events that come by the hundred every frame (PPU modes, LY, the
 * IO reads of a polling loop, OAM DMA's bytes) in a ring of their own, an
 * eighth; and an eighth for the rare ones a reader needs most (interrupts,
 * IO writes, DMA starts, bank switches, timer, serial, the state snapshots),
 * which would otherwise be evicted by the two others. */
#define GB_RINGS_BUSY "ppu.mode+ppu.ly+io.read+dma.byte"
#define GB_RINGS_RARE "debug"

#ifdef __cplusplus
}
#endif

#endif
