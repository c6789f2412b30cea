/* cpu.c packs the cpu.exec record by hand (registers as one 64-bit load),
 * on the fast path or, when the recorder has hooks, on the checked one, and
 * from the page the opcode came from or (HRAM, during OAM DMA, operands in
 * the next page) from side-effect-free reads. All must write the records the
 * generic emitter writes field by field: run the same ROM with the default
 * filter into two rings, one with a post hook that does nothing, and compare
 * the rings record by record (the fast path's records come without their
 * timestamp word); and compare the first ring's cpu.exec records
 * with those the generic emitter writes from a fetch hook (registers from
 * gb_get_regs, bytes from gb_peek). A synthesized ROM puts instructions at
 * the end of a 4 KiB page (operands in the next page), in HRAM, and in ROM
 * and HRAM while an OAM DMA runs; blargg cpu_instrs (when the test ROMs are
 * there) adds bank switching and every opcode. */
#include "check.h"
#include "gb/gb_internal.h"
#include "runner/runner.h"
#include "testrom.h"
#include "trace/ct_host.h"

#include <string.h>

static void noop_hook(void *r, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen) {
    (void)r, (void)id, (void)ts, (void)p, (void)plen;
}

static ct_recorder *record(const uint8_t *rom, size_t size, uint64_t cycles, bool hooked) {
    char err[256];
    gb_config cfg = {0};
    gb *g = gb_create(rom, size, &cfg, err, sizeof err);
    CHECK(g != NULL);
    if (!g) return NULL;
    ct_recorder *r = ct_recorder_create(&gb_schema, 4u << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!r) {
        gb_destroy(g);
        return NULL;
    }
    CHECK_EQ(ct_filter_apply(r, GB_DEFAULT_FILTER, err, sizeof err), 0);
    if (hooked) ct_recorder_add_hook(r, noop_hook, NULL);
    gb_set_recorder(g, r);
    gb_run(g, cycles, 0);
    gb_destroy(g);
    return r;
}

/* The reference: the generic emitter at each instruction's fetch. */
static void ref_fetch(gb *g, void *ctx, uint16_t pc) {
    ct_recorder *r = ctx;
    gb_regs x;
    gb_get_regs(g, &x);
    CT_EMIT(r->flags, r, gb_, CPU_EXEC, gb_cycles(g), pc, gb_peek(g, pc),
            gb_peek(g, (uint16_t)(pc + 1)), gb_peek(g, (uint16_t)(pc + 2)), x.b, x.c, x.d, x.e, x.h,
            x.l, x.f, x.a, x.sp, x.ime, g->cart.page_bank[pc >> 12]);
}

static void compare_generic(const uint8_t *rom, size_t size, uint64_t cycles) {
    ct_recorder *a = record(rom, size, cycles, false);
    char err[256];
    gb_config cfg = {0};
    gb *g = gb_create(rom, size, &cfg, err, sizeof err);
    ct_recorder *r = ct_recorder_create(&gb_schema, 4u << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(a && g && r);
    if (a && g && r) {
        CHECK_EQ(ct_filter_apply(r, "cpu=trace", err, sizeof err), 0);
        static uint8_t all[GB_HOOK_BITMAP_BYTES];
        memset(all, 0xFF, sizeof all);
        gb_hooks h = {.ctx = r, .fetch = ref_fetch, .fetch_bm = all};
        gb_set_hooks(g, &h);
        gb_run(g, cycles, 0);
        CHECK(ct_ring_head(&a->ring) <= a->ring.cap); /* nothing overwritten */
        uint64_t oa = ct_ring_first(&a->ring, 0), orf = ct_ring_first(&r->ring, 0), n = 0, bad = 0;
        for (; oa < ct_ring_head(&a->ring); oa += ct_ring_rec_words(&a->ring, oa)) {
            uint8_t pa[CT_MAX_PAYLOAD], pr[CT_MAX_PAYLOAD];
            uint64_t ta, tr = 0;
            if (ct_ring_read(&a->ring, oa, &ta, pa) != gb_ev_CPU_EXEC) continue;
            bool got = false; /* the reference's next cpu.exec */
            while (!got && orf < ct_ring_head(&r->ring)) {
                got = ct_ring_read(&r->ring, orf, &tr, pr) == gb_ev_CPU_EXEC;
                orf += ct_ring_rec_words(&r->ring, orf);
            }
            if (!got) {
                bad++;
                break;
            }
            if (ta != tr || memcmp(pa, pr, 18)) {
                if (!bad++)
                    fprintf(stderr,
                            "cpu.exec %llu differs from the generic emitter's (pc %02X%02X)\n",
                            (unsigned long long)n, pr[1], pr[0]);
            }
            n++;
        }
        CHECK(n > 1000);
        CHECK_EQ(bad, 0);
        CHECK_EQ(orf, ct_ring_head(&r->ring));
    }
    if (g) gb_destroy(g);
    if (r) ct_recorder_destroy(r);
    if (a) ct_recorder_destroy(a);
}

static void compare(const char *what, const uint8_t *rom, size_t size, uint64_t cycles) {
    ct_recorder *a = record(rom, size, cycles, false), *b = record(rom, size, cycles, true);
    if (a && b) {
        CHECK(ct_ring_written(&a->ring) > 1000);
        CHECK_EQ(ct_ring_written(&a->ring), ct_ring_written(&b->ring));
        CHECK_EQ(a->ring.cap, b->ring.cap);
        /* The fast path writes cpu.exec without its timestamp word (24
         * bytes, not 32), the checked path in full: the same records read
         * back, in less of the ring. */
        CHECK(ct_ring_head(&a->ring) < ct_ring_head(&b->ring));
        uint64_t oa = ct_ring_first(&a->ring, 0), ob = ct_ring_first(&b->ring, 0), n = 0, bad = 0,
                 nots = 0;
        /* A wrapped ring: the compact one keeps more; start at the same record. */
        uint64_t ka = 0, kb = 0;
        for (uint64_t o = oa; o < ct_ring_head(&a->ring); o += ct_ring_rec_words(&a->ring, o))
            ka++;
        for (uint64_t o = ob; o < ct_ring_head(&b->ring); o += ct_ring_rec_words(&b->ring, o))
            kb++;
        CHECK(ka >= kb);
        for (; ka > kb; ka--)
            oa += ct_ring_rec_words(&a->ring, oa);
        while (oa < ct_ring_head(&a->ring) && ob < ct_ring_head(&b->ring)) {
            uint8_t pa[CT_MAX_PAYLOAD], pb[CT_MAX_PAYLOAD];
            uint64_t ta, tb;
            const uint16_t ia = ct_ring_read(&a->ring, oa, &ta, pa);
            const uint16_t ib = ct_ring_read(&b->ring, ob, &tb, pb);
            const unsigned len = gb_schema.events[ib < gb_ev_count ? ib : 0].payload_bytes;
            if (ia != ib || ta != tb || memcmp(pa, pb, len)) {
                if (!bad++)
                    fprintf(stderr, "%s: record %llu differs: id %u/%u ts %llu/%llu\n", what,
                            (unsigned long long)n, ia, ib, (unsigned long long)ta,
                            (unsigned long long)tb);
            }
            nots += (ct_ring_word(&a->ring, oa) & CT_REC_NOTS) != 0;
            oa += ct_ring_rec_words(&a->ring, oa);
            ob += ct_ring_rec_words(&b->ring, ob);
            n++;
        }
        CHECK_EQ(oa, ct_ring_head(&a->ring));
        CHECK_EQ(ob, ct_ring_head(&b->ring));
        CHECK_EQ(bad, 0);
        CHECK(nots > 1000);
        /* Some records are cpu.exec ones. */
        uint64_t off = ct_ring_first(&a->ring, 0), exec = 0;
        for (unsigned k = 0; k < 1000 && off < ct_ring_head(&a->ring); k++) {
            uint8_t p[CT_MAX_PAYLOAD];
            uint64_t ts;
            exec += ct_ring_read(&a->ring, off, &ts, p) == gb_ev_CPU_EXEC;
            off += ct_ring_rec_words(&a->ring, off);
        }
        CHECK(exec > 100);
    }
    if (a) ct_recorder_destroy(a);
    if (b) ct_recorder_destroy(b);
}

int main(void) {
    /* $0150: copy a stub to HRAM and call it, then jump to code that ends
     * at $0FFF so its operands come from the next page, and loop. */
    static uint8_t rom[TESTROM_SIZE];
    static const uint8_t code[] = {
        0x31, 0xFE, 0xDF, /* ld sp,$DFFE */
        0x3E, 0x3C,       /* ld a,$3C (inc a) */
        0xE0, 0x80,       /* ldh ($80),a */
        0x3E, 0xC9,       /* ld a,$C9 (ret) */
        0xE0, 0x81,       /* ldh ($81),a */
        0xCD, 0x80, 0xFF, /* call $FF80 */
        0x3E, 0x80,       /* ld a,$80: OAM DMA from VRAM (no conflict with ROM or HRAM) */
        0xE0, 0x46,       /* ldh ($46),a */
        0xCD, 0x80, 0xFF, /* call $FF80: HRAM, then ROM, during the DMA */
        0xC3, 0xFD, 0x0F, /* jp $0FFD */
    };
    testrom_build(rom, code, sizeof code);
    /* $0FFD: ld bc,$1234 (operands at $0FFE-$0FFF); $1000: ld hl,$5678;
     * $1003: jp $0150. */
    static const uint8_t edge[] = {0x00, 0x01, 0x34, 0x12, 0x21, 0x78, 0x56, 0xC3, 0x50, 0x01};
    memcpy(rom + 0x0FFC, edge, sizeof edge);
    compare("synthesized", rom, sizeof rom, 200000);
    compare_generic(rom, sizeof rom, 200000);

    const char *root = rn_default_rom_root();
    char path[4096];
    snprintf(path, sizeof path, "%s/blargg/cpu_instrs/cpu_instrs.gb", root ? root : "");
    uint8_t *data;
    size_t size;
    if (root && !rn_read_file(path, &data, &size)) {
        compare("cpu_instrs", data, size, 300u * 70224u);
        free(data);
    } else {
        printf("note: %s not found (set CERES_TESTROMS): only the synthesized ROM was checked\n",
               path);
    }
    return test_result();
}
