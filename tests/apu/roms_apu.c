/* APU ROM conformance: blargg dmg_sound, the 12 single tests and the
 * combined ROM.
 *
 * These ROMs report through cartridge RAM: $A001-$A003 = DE B0 61 once the
 * test runs, $A000 = $80 while running, then the result (0 = passed, else
 * the failing test's number), and a text at $A004. A ROM named with a reason
 * in `cases` is a known failure; the test fails on a regression and on an
 * unexpected pass. */
#include "check.h"
#include "gb/gb.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rom_case {
    const char *path;  /* relative to the test ROM folder */
    unsigned seconds;  /* emulated time limit */
    const char *known; /* NULL = must pass; else why it fails today */
} rom_case;

static const rom_case cases[] = {
    {"blargg/dmg_sound/rom_singles/01-registers.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/02-len ctr.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/03-trigger.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/04-sweep.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/05-sweep details.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/06-overflow on trigger.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/07-len sweep period sync.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/08-len ctr during power.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/09-wave read while on.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/10-wave trigger while on.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/11-regs after power.gb", 30, NULL},
    {"blargg/dmg_sound/rom_singles/12-wave write while on.gb", 30, NULL},
    {"blargg/dmg_sound/dmg_sound.gb", 60, NULL},
};

static uint8_t *load(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                *size = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}

static int signature(gb *g) {
    return gb_peek(g, 0xA001) == 0xDE && gb_peek(g, 0xA002) == 0xB0 && gb_peek(g, 0xA003) == 0x61;
}

/* The result code (0 pass), or -1 when the ROM never finished; the text the
 * ROM printed goes to `text`. */
static int run_rom(const char *path, unsigned seconds, char *text, size_t textlen) {
    size_t size = 0;
    text[0] = 0;
    uint8_t *rom = load(path, &size);
    if (!rom) {
        snprintf(text, textlen, "cannot read the ROM file");
        return -1;
    }
    char err[256];
    gb *g = gb_create(rom, size, NULL, err, sizeof err);
    free(rom);
    if (!g) {
        snprintf(text, textlen, "rejected: %s", err);
        return -1;
    }
    int result = -1, last = -1;
    /* Poll ten times an emulated second; a result must hold for two polls
     * in a row (the signature and the running mark are written in turn). */
    for (unsigned t = 0; t < seconds * 10; t++) {
        if (gb_run(g, 4194304u / 10, GB_STOP_LOCKUP) & GB_STOP_LOCKUP) {
            snprintf(text, textlen, "CPU locked up");
            gb_destroy(g);
            return -1;
        }
        int now = signature(g) && gb_peek(g, 0xA000) != 0x80 ? gb_peek(g, 0xA000) : -1;
        if (now >= 0 && now == last) {
            result = now;
            break;
        }
        last = now;
    }
    size_t k = 0;
    if (signature(g))
        for (; k + 1 < textlen && gb_peek(g, (uint16_t)(0xA004 + k)) && k < 0x1000; k++)
            text[k] = (char)gb_peek(g, (uint16_t)(0xA004 + k));
    text[k] = 0;
    gb_destroy(g);
    return result;
}

/* The last non-empty line of the ROM's text, for the report. */
static const char *last_line(char *text) {
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = 0;
    char *nl = strrchr(text, '\n');
    return nl ? nl + 1 : text;
}

int main(void) {
    const char *root = getenv("CERES_TESTROMS");
    if (!root || !*root) root = getenv("CERES_TESTROMS_DEFAULT");
    if (!root || !*root)
        TEST_SKIP("test ROMs not found: set CERES_TESTROMS to the test ROM folder");
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/blargg/dmg_sound", root);
    DIR *d = opendir(probe);
    if (!d) {
        printf("no %s\n", probe);
        TEST_SKIP("blargg dmg_sound not in the test ROM folder");
    }
    closedir(d);

    int passed = 0, total = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rom_case *c = &cases[i];
        char path[4096 + 512], text[4096];
        snprintf(path, sizeof path, "%s/%s", root, c->path);
        int r = run_rom(path, c->seconds, text, sizeof text);
        total++;
        if (r == 0) passed++;
        const char *line = last_line(text);
        if (r < 0)
            printf("FAIL %-52s no result (%s)", c->path, line);
        else
            printf("%-4s %-52s result %d: %s", r == 0 ? "pass" : "FAIL", c->path, r, line);
        if (c->known) printf("  [known failure: %s]", c->known);
        printf("\n");
        CHECK((r == 0) == !c->known);
    }
    printf("blargg dmg_sound: %d/%d passed\n", passed, total);
    return test_result();
}
