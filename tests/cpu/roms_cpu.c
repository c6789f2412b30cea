/* CPU/timer/bus ROM conformance: blargg cpu_instrs, instr_timing, mem_timing,
 * mem_timing-2, halt_bug, oam_bug and the mooneye acceptance tests outside
 * ppu/.
 *
 * Each ROM has an expectation: pass, or a known failure with its reason. The
 * test fails on a regression and also on an unexpected pass (so the list is
 * kept true). Time limits are in emulated seconds.
 *
 *   test_roms_cpu            run the whole list
 *   test_roms_cpu -v PATH    run one ROM (relative to the test ROM folder)
 *                            and print its serial output and registers */
#include "check.h"
#include "gb/gb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { SERIAL, MEMORY, MOONEYE };

typedef struct rom_case {
    const char *path;
    enum kind kind;
    unsigned seconds;  /* emulated time limit */
    const char *known; /* NULL = must pass; else why it fails today */
} rom_case;

static const rom_case cases[] = {
    {"blargg/cpu_instrs/cpu_instrs.gb", SERIAL, 60, NULL},
    {"blargg/cpu_instrs/individual/01-special.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/02-interrupts.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/03-op sp,hl.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/04-op r,imm.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/05-op rp.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/06-ld r,r.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/07-jr,jp,call,ret,rst.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/08-misc instrs.gb", SERIAL, 10, NULL},
    {"blargg/cpu_instrs/individual/09-op r,r.gb", SERIAL, 15, NULL},
    {"blargg/cpu_instrs/individual/10-bit ops.gb", SERIAL, 20, NULL},
    {"blargg/cpu_instrs/individual/11-op a,(hl).gb", SERIAL, 20, NULL},
    {"blargg/instr_timing/instr_timing.gb", SERIAL, 5, NULL},
    {"blargg/mem_timing/mem_timing.gb", SERIAL, 10, NULL},
    {"blargg/mem_timing/individual/01-read_timing.gb", SERIAL, 5, NULL},
    {"blargg/mem_timing/individual/02-write_timing.gb", SERIAL, 5, NULL},
    {"blargg/mem_timing/individual/03-modify_timing.gb", SERIAL, 5, NULL},
    {"blargg/mem_timing-2/mem_timing.gb", MEMORY, 10, NULL},
    {"blargg/mem_timing-2/rom_singles/01-read_timing.gb", MEMORY, 5, NULL},
    {"blargg/mem_timing-2/rom_singles/02-write_timing.gb", MEMORY, 5, NULL},
    {"blargg/mem_timing-2/rom_singles/03-modify_timing.gb", MEMORY, 5, NULL},
    {"blargg/halt_bug.gb", MEMORY, 10, NULL},
    {"blargg/oam_bug/oam_bug.gb", MEMORY, 30, NULL},
    {"blargg/oam_bug/rom_singles/1-lcd_sync.gb", MEMORY, 10, NULL},
    {"blargg/oam_bug/rom_singles/2-causes.gb", MEMORY, 10, NULL},
    {"blargg/oam_bug/rom_singles/3-non_causes.gb", MEMORY, 10, NULL},
    {"blargg/oam_bug/rom_singles/4-scanline_timing.gb", MEMORY, 10, NULL},
    {"blargg/oam_bug/rom_singles/5-timing_bug.gb", MEMORY, 10, NULL},
    {"blargg/oam_bug/rom_singles/6-timing_no_bug.gb", MEMORY, 10, NULL},
    {"blargg/oam_bug/rom_singles/7-timing_effect.gb", MEMORY, 10,
     "no verdict: its OAM dumps (about 20 corrupted rows) outgrow the 8 KiB text area "
     "at $A004 and overwrite its code in WRAM; the same sub-test passes in the combined "
     "oam_bug.gb"},
    {"blargg/oam_bug/rom_singles/8-instr_effect.gb", MEMORY, 10, NULL},

    {"mooneye/acceptance/add_sp_e_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/bits/mem_oam.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/bits/reg_f.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/bits/unused_hwio-GS.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/boot_div-dmgABCmgb.gb", MOONEYE, 5, NULL},
    /* Other models' post-boot state: Ceres is a DMG rev ABC. */
    {"mooneye/acceptance/boot_div-S.gb", MOONEYE, 5, "SGB divider phase (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_div-dmg0.gb", MOONEYE, 5, "DMG0 divider phase (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_div2-S.gb", MOONEYE, 5, "SGB divider phase (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_hwio-S.gb", MOONEYE, 5, "SGB register values (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_hwio-dmg0.gb", MOONEYE, 5, "DMG0 register values (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_regs-dmg0.gb", MOONEYE, 5, "DMG0 CPU registers (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_regs-mgb.gb", MOONEYE, 5, "MGB CPU registers (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_regs-sgb.gb", MOONEYE, 5, "SGB CPU registers (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_regs-sgb2.gb", MOONEYE, 5, "SGB2 CPU registers (Ceres is DMG ABC)"},
    {"mooneye/acceptance/boot_hwio-dmgABCmgb.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/boot_regs-dmgABC.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/call_cc_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/call_cc_timing2.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/call_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/call_timing2.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/di_timing-GS.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/div_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/ei_sequence.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/ei_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/halt_ime0_ei.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/halt_ime0_nointr_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/halt_ime1_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/halt_ime1_timing2-GS.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/if_ie_registers.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/instr/daa.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/interrupts/ie_push.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/intr_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/jp_cc_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/jp_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/ld_hl_sp_e_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/oam_dma/basic.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/oam_dma/reg_read.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/oam_dma/sources-GS.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/oam_dma_restart.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/oam_dma_start.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/oam_dma_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/pop_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/push_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/rapid_di_ei.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/ret_cc_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/ret_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/reti_intr_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/reti_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/rst_timing.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/serial/boot_sclk_align-dmgABCmgb.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/div_write.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/rapid_toggle.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim00.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim00_div_trigger.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim01.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim01_div_trigger.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim10.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim10_div_trigger.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim11.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tim11_div_trigger.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tima_reload.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tima_write_reloading.gb", MOONEYE, 5, NULL},
    {"mooneye/acceptance/timer/tma_write_reloading.gb", MOONEYE, 5, NULL},
};

static uint8_t *load(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static bool contains(const uint8_t *s, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0) return true;
    return false;
}

/* Runs one ROM; returns 1 pass, 0 fail, -1 cannot run. `detail` gets a
 * short reason. */
static int run_rom(const char *roms, const rom_case *rc, bool verbose, char *detail, size_t dlen) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", roms, rc->path);
    size_t size;
    uint8_t *rom = load(path, &size);
    if (!rom) {
        snprintf(detail, dlen, "cannot read %.200s", path);
        return -1;
    }
    char err[256];
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    free(rom);
    if (!g) {
        snprintf(detail, dlen, "cannot create machine: %.200s", err);
        return -1;
    }
    const uint64_t limit = (uint64_t)rc->seconds * GB_CLOCK_HZ;
    const uint64_t slice = GB_CLOCK_HZ / 16;
    int verdict = 0;
    snprintf(detail, dlen, "timeout after %u s", rc->seconds);
    while (gb_cycles(g) < limit) {
        unsigned why = gb_run(g, slice, GB_STOP_LD_B_B | GB_STOP_LOCKUP);
        size_t slen;
        const uint8_t *ser = gb_serial_output(g, &slen);
        if (why & GB_STOP_LOCKUP) {
            snprintf(detail, dlen, "CPU locked up at $%04X", g->cpu.pc);
            break;
        }
        if (rc->kind == SERIAL) {
            if (contains(ser, slen, "Passed")) {
                verdict = 1;
                break;
            }
            if (contains(ser, slen, "Failed")) {
                snprintf(detail, dlen, "serial reports a failure");
                break;
            }
        } else if (rc->kind == MEMORY) {
            if (gb_peek(g, 0xA001) == 0xDE && gb_peek(g, 0xA002) == 0xB0 &&
                gb_peek(g, 0xA003) == 0x61 && gb_peek(g, 0xA000) != 0x80) {
                uint8_t r = gb_peek(g, 0xA000);
                verdict = r == 0;
                if (!verdict) snprintf(detail, dlen, "result code %u", r);
                break;
            }
        } else if (why & GB_STOP_LD_B_B) {
            gb_regs r;
            gb_get_regs(g, &r);
            verdict = r.b == 3 && r.c == 5 && r.d == 8 && r.e == 13 && r.h == 21 && r.l == 34;
            if (!verdict)
                snprintf(detail, dlen, "registers B=%02X C=%02X D=%02X E=%02X H=%02X L=%02X", r.b,
                         r.c, r.d, r.e, r.h, r.l);
            break;
        }
    }
    if (verbose) {
        size_t slen;
        const uint8_t *ser = gb_serial_output(g, &slen);
        printf("serial (%zu bytes): %.*s\n", slen, (int)slen, (const char *)ser);
        if (rc->kind == MEMORY) {
            printf("text at $A004: ");
            for (uint16_t a = 0xA004; a < 0xA400 && gb_peek(g, a); a++) {
                const uint8_t ch = gb_peek(g, a);
                putchar(ch == '\n' || (ch >= 0x20 && ch < 0x7F) ? ch : '?');
            }
            putchar('\n');
        }
        printf("cycles %llu, pc $%04X\n", (unsigned long long)gb_cycles(g), g->cpu.pc);
    }
    gb_destroy(g);
    return verdict;
}

int main(int argc, char **argv) {
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    if (!roms || !*roms) TEST_SKIP("set CERES_TESTROMS to the test ROM folder");
    char probe[8192];
    snprintf(probe, sizeof probe, "%s/%s", roms, cases[0].path);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        printf("SKIP: test ROMs not found under %s\n", roms);
        return 77;
    }
    fclose(f);

    if (argc == 3 && strcmp(argv[1], "-v") == 0) {
        rom_case one = {argv[2], MOONEYE, 120, NULL};
        if (strncmp(argv[2], "blargg", 6) == 0)
            one.kind = strstr(argv[2], "mem_timing-2") || strstr(argv[2], "halt_bug") ||
                               strstr(argv[2], "oam_bug")
                           ? MEMORY
                           : SERIAL;
        char detail[256];
        int v = run_rom(roms, &one, true, detail, sizeof detail);
        printf("%s: %s%s%s\n", argv[2], v == 1 ? "PASS" : "FAIL", v == 1 ? "" : ": ",
               v == 1 ? "" : detail);
        return v == 1 ? 0 : 1;
    }

    unsigned pass = 0, known = 0, n = sizeof cases / sizeof cases[0];
    for (unsigned i = 0; i < n; i++) {
        char detail[256];
        int v = run_rom(roms, &cases[i], false, detail, sizeof detail);
        if (v == 1) pass++;
        if (v == 1 && !cases[i].known) {
            printf("pass  %s\n", cases[i].path);
        } else if (v == 1) {
            printf("UNEXPECTED PASS  %s (listed as failing: %s)\n", cases[i].path, cases[i].known);
            CHECK(!"unexpected pass: remove it from the known failures");
        } else if (cases[i].known && v == 0) {
            known++;
            printf("known %s: %s (%s)\n", cases[i].path, detail, cases[i].known);
        } else {
            printf("FAIL  %s: %s\n", cases[i].path, detail);
            CHECK(!"regression");
        }
    }
    printf("ROMs: %u/%u passed, %u known failures\n", pass, n, known);
    return test_result();
}
