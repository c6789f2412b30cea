/* Malformed ROMs through `ceres run` and `ceres test`: empty, truncated,
 * oversized, wrong header checksum, bank counts larger than the file (with
 * code that selects every bank), unknown cartridge type, bad RAM size code,
 * random bytes. Each gets a clear error or runs safely; never a crash (the
 * sanitizer build proves no out-of-bounds access). */
#include "hard_util.h"

typedef struct bad_rom {
    const char *name;
    size_t size;
    void (*make)(uint8_t *rom, size_t size);
    const char *error; /* expected message from a clear error, NULL = runs */
} bad_rom;

/* Header and a loop that writes A to the MBC's ROM bank register ($2000)
 * and reads $4000 through the selected bank: INC A; LD ($2000),A;
 * LD HL,$4000; LD B,(HL); JR back. */
static void banked(uint8_t *rom, size_t size, uint8_t type, uint8_t rom_code, uint8_t ram_code) {
    static const uint8_t entry[] = {0x00, 0xC3, 0x50, 0x01};
    static const uint8_t loop[] = {0x3C, 0xEA, 0x00, 0x20, 0x21, 0x00, 0x40, 0x46, 0x18, 0xF6};
    memcpy(rom + 0x100, entry, sizeof entry);
    if (size >= 0x150 + sizeof loop) memcpy(rom + 0x150, loop, sizeof loop);
    rom[0x147] = type;
    rom[0x148] = rom_code;
    rom[0x149] = ram_code;
    testrom_fix_checksum(rom);
}

static void mk_plain(uint8_t *rom, size_t size) {
    banked(rom, size, 0x00, 0, 0);
}
static void mk_trunc_header(uint8_t *rom, size_t size) {
    memset(rom, 0, size);
}
static void mk_bad_sum(uint8_t *rom, size_t size) {
    banked(rom, size, 0x00, 0, 0);
    rom[0x14D] ^= 0x5A;
}
static void mk_mbc1_claims_2m(uint8_t *rom, size_t size) {
    banked(rom, size, 0x01, 0x06, 0); /* 2 MiB claimed, 32 KiB given */
}
static void mk_mbc5_claims_8m(uint8_t *rom, size_t size) {
    banked(rom, size, 0x1B, 0x08, 0x04); /* 8 MiB + 128 KiB RAM claimed */
}
static void mk_mbc3_odd(uint8_t *rom, size_t size) {
    banked(rom, size, 0x13, 0x02, 0x03); /* 128 KiB claimed, 40000 bytes given */
}
static void mk_mbc2_small(uint8_t *rom, size_t size) {
    banked(rom, size, 0x06, 0x03, 0x00);
}
static void mk_unknown_type(uint8_t *rom, size_t size) {
    banked(rom, size, 0xFC, 0, 0); /* pocket camera */
}
static void mk_bad_rom_code(uint8_t *rom, size_t size) {
    banked(rom, size, 0x01, 0x52, 0);
}
static void mk_bad_ram_code(uint8_t *rom, size_t size) {
    banked(rom, size, 0x03, 0x01, 0x09);
}
static void mk_random(uint8_t *rom, size_t size) {
    uint32_t x = 0x12345678;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        rom[i] = (uint8_t)x;
    }
    rom[0x147] = 0x1B; /* MBC5: any bank number is valid */
    rom[0x148] = 0x02;
    rom[0x149] = 0x03;
    testrom_fix_checksum(rom);
}

static const bad_rom roms[] = {
    {"empty", 0, NULL, "ROM too small"},
    {"tiny", 16, mk_trunc_header, "ROM too small"},
    {"truncated_header", 0x14F, mk_trunc_header, "ROM too small"},
    {"header_only", 0x150, mk_plain, NULL},
    {"truncated_16k", 0x4000, mk_plain, NULL},
    {"oversized", (8u << 20) + 1, mk_plain, "ROM too large"},
    {"oversized_16m", 16u << 20, mk_plain, "ROM too large"},
    {"bad_checksum", 0x8000, mk_bad_sum, "bad header checksum"},
    {"mbc1_banks_beyond_file", 0x8000, mk_mbc1_claims_2m, NULL},
    {"mbc5_banks_beyond_file", 0x8000, mk_mbc5_claims_8m, NULL},
    {"mbc3_odd_size", 40000, mk_mbc3_odd, NULL},
    {"mbc2_small", 0x8000, mk_mbc2_small, NULL},
    {"unknown_type", 0x8000, mk_unknown_type, "unsupported cartridge type"},
    {"bad_rom_size_code", 0x8000, mk_bad_rom_code, "ROM size code"},
    {"bad_ram_size_code", 0x8000, mk_bad_ram_code, "RAM size code"},
    {"random_mbc5", 0x20000, mk_random, NULL},
};

int main(void) {
    ceres_bin();
    char *dir = make_tmpdir();
    for (size_t i = 0; i < sizeof roms / sizeof *roms; i++) {
        const bad_rom *b = &roms[i];
        char path[700];
        snprintf(path, sizeof path, "%s/%s.gb", dir, b->name);
        uint8_t *rom = calloc(1, b->size ? b->size : 1);
        if (b->make) b->make(rom, b->size);
        CHECK_EQ(write_file(path, rom, b->size), 0);
        free(rom);

        /* ceres run: a clear error (exit 2, the reason on stderr) or a run
         * to the end (exit 0). */
        child c;
        char *run_args[] = {"run", path, "--frames", "30", "--trace", "trace", NULL};
        int rc = run_ceres(&c, dir, NULL, run_args);
        printf("run %-24s exit %d: %s", b->name, rc, c.err);
        CHECK(WIFEXITED(c.status));
        CHECK(!strstr(c.err, "runtime error") && !strstr(c.err, "Sanitizer"));
        if (b->error) {
            CHECK_EQ(rc, 2);
            CHECK(strstr(c.err, b->error) != NULL);
        } else {
            CHECK_EQ(rc, 0);
            /* 30 frames, to the end of the last instruction. */
            CHECK((strstr(c.err, "ceres run: 21067") && strstr(c.err, "stopped: time limit")) ||
                  strstr(c.err, "locked up"));
        }
        child_free(&c);

        /* ceres test: the test is an error, a failure or a timeout, never a
         * crash. */
        char *test_args[] = {"test", path, "--timeout", "30f", "-j", "1", NULL};
        rc = run_ceres(&c, dir, NULL, test_args);
        printf("test %-23s exit %d: %s", b->name, rc, c.out);
        CHECK(WIFEXITED(c.status) && (rc == 0 || rc == 1));
        CHECK(!strstr(c.out, "] crash") && !strstr(c.out, "] hang"));
        if (b->error)
            CHECK(strstr(c.out, "] error") != NULL);
        else
            CHECK(strstr(c.out, "] fail") || strstr(c.out, "] timeout"));
        if (b->error) CHECK(strstr(c.out, b->error) != NULL);
        CHECK(!strstr(c.err, "runtime error") && !strstr(c.err, "Sanitizer"));
        child_free(&c);
    }
    rm_rf(dir);
    free(dir);
    return test_result();
}
