/* The emulator's Perfetto look (gb_look) on a real ring: blargg's
 * cpu_instrs run with the default filter. Checks the size budget per event
 * (DESIGN.md section 5: <= 8 bytes), the names and hex values a person
 * reads (decoded with protoc against Perfetto's official schema), and that
 * reading the file back gives every event with every field. */
#include "check.h"
#include "debug/disasm.h"
#include "gb/gb.h"
#include "gb/gb_events.h"
#include "runner/runner.h"
#include "trace/ct_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512];

static char *path_in(const char *name) {
    static char buf[4][700];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

/* Occurrences of `needle` in the decoded text, in one pass without libc's
 * strstr: sanitizer builds check the whole rest of the text on each strstr
 * call, which made counting in ~100 MB of text quadratic (minutes). */
static unsigned count(const char *hay, const char *needle) {
    unsigned n = 0;
    size_t k = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < k && p[i] == needle[i])
            i++;
        n += i == k;
    }
    return n;
}

static uint64_t field(const ct_schema *s, const ct_event *e, const char *name) {
    const ct_event_desc *d = &s->events[e->id];
    int f = ct_field_index(d, name);
    return f < 0 ? ~(uint64_t)0 : ct_field_u64(d, (unsigned)f, e->payload);
}

int main(void) {
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    char rom[1024];
    snprintf(rom, sizeof rom, "%s/blargg/cpu_instrs/cpu_instrs.gb", roms ? roms : "");
    uint8_t *data = NULL;
    size_t size = 0;
    if (!roms || rn_read_file(rom, &data, &size) != 0)
        TEST_SKIP("test ROMs not found (set CERES_TESTROMS): need blargg/cpu_instrs/cpu_instrs.gb");
    snprintf(dir, sizeof dir, "%s/ceres-pflook-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) return 1;

    /* A wrapped ring of 300k events, as a flight recorder's is. */
    char err[256];
    gb_config gc = {0};
    gb *g = gb_create(data, size, &gc, err, sizeof err);
    CHECK(g != NULL);
    const uint64_t nev = 300000;
    ct_recorder *r = ct_recorder_create(&gb_schema, 0, nev, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (!g || !r) return test_result();
    CHECK_EQ(ct_filter_apply(r, GB_DEFAULT_FILTER, err, sizeof err), 0);
    gb_set_recorder(g, r);
    while (ct_recorder_written(r) < nev + nev / 4)
        gb_run(g, 70224, 0);
    ct_trace *t = NULL;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    if (!t) return test_result();
    CHECK_EQ(t->nev, nev);

    /* Size: the budget, on the compressed default. */
    ct_dump_opts o = {.format = CT_FMT_PERFETTO, .look = &gb_look};
    CHECK_EQ(ct_dump(r, path_in("z.perfetto-trace"), &o), 0);
    struct stat st;
    CHECK_EQ(stat(path_in("z.perfetto-trace"), &st), 0);
    double per_event = (double)st.st_size / (double)nev;
    printf("%.2f bytes per event\n", per_event);
    CHECK(per_event <= 8.0);

    /* Read back: every event, every field (by name), times in ns. */
    ct_trace *l = NULL;
    CHECK_EQ(ct_trace_load(path_in("z.perfetto-trace"), &l, err, sizeof err), 0);
    if (l) {
        CHECK_EQ(l->nev, t->nev);
        unsigned bad = 0;
        for (uint64_t i = 0; i < l->nev && i < t->nev && bad < 5; i++) {
            const ct_event *a = &t->ev[i], *b = &l->ev[i];
            const ct_event_desc *da = &t->schema.events[a->id], *db = &l->schema.events[b->id];
            bool ok = !strcmp(da->name, db->name) && !strcmp(da->target, db->target) &&
                      da->nfields == db->nfields &&
                      b->ts == (a->ts / GB_CLOCK_HZ) * 1000000000u +
                                   (a->ts % GB_CLOCK_HZ) * 1000000000u / GB_CLOCK_HZ;
            for (unsigned f = 0; ok && f < da->nfields; f++)
                ok = field(&t->schema, a, da->fields[f].name) ==
                     field(&l->schema, b, da->fields[f].name);
            if (!ok) {
                bad++;
                fprintf(stderr, "event %llu (%s.%s) differs after reading back\n",
                        (unsigned long long)i, da->target, da->name);
            }
        }
        CHECK_EQ(bad, 0);
        ct_trace_free(l);
    } else {
        fprintf(stderr, "%s\n", err);
    }

    /* What a person reads, decoded with protoc against the official schema. */
    const char *proto = getenv("CERES_PERFETTO_PROTO");
    if (proto && access(proto, R_OK) == 0 && system("protoc --version > /dev/null 2>&1") == 0) {
        o.uncompressed = true;
        CHECK_EQ(ct_dump(r, path_in("p.perfetto-trace"), &o), 0);
        char pdir[600], cmd[2400];
        snprintf(pdir, sizeof pdir, "%s", proto);
        char *slash = strrchr(pdir, '/');
        if (slash) *slash = 0;
        snprintf(cmd, sizeof cmd,
                 "protoc --decode=perfetto.protos.Trace -I'%s' perfetto_trace.proto < '%s' > '%s'",
                 pdir, path_in("p.perfetto-trace"), path_in("p.txt"));
        CHECK_EQ(system(cmd), 0);
        char *txt = slurp(path_in("p.txt"));
        CHECK(txt != NULL);
        if (txt) {
            /* PPU modes by name, each interned once. */
            const char *modes[] = {"OAM scan", "drawing", "HBlank", "VBlank"};
            for (int i = 0; i < 4; i++) {
                char want[64];
                snprintf(want, sizeof want, "name: \"%s\"\n", modes[i]);
                CHECK_EQ(count(txt, want), 1);
            }
            /* Instructions by their disassembly, bank and address, each
             * site once: the first instruction of the trace, and a load
             * through HL+ somewhere in it. */
            const ct_event *first = NULL;
            for (uint64_t i = 0; i < t->nev && !first; i++)
                if (t->ev[i].id == gb_ev_CPU_EXEC) first = &t->ev[i];
            CHECK(first != NULL);
            if (first) {
                char ins[32], want[96];
                uint16_t pc = (uint16_t)field(&t->schema, first, "pc");
                gb_disasm(pc, (uint8_t)field(&t->schema, first, "op"),
                          (uint8_t)field(&t->schema, first, "op1"),
                          (uint8_t)field(&t->schema, first, "op2"), ins, sizeof ins);
                snprintf(want, sizeof want, "name: \"%s @%02X:%04X\"\n", ins,
                         (unsigned)field(&t->schema, first, "bank"), pc);
                CHECK_EQ(count(txt, want), 1);
            }
            CHECK(strstr(txt, "name: \"LD A,[HL+] @") != NULL);
            CHECK(strstr(txt, "name: \"exec\"") != NULL); /* the event's own name, interned */
            /* Hex: addresses, registers (pointer values); the bank is in the
             * name. Every event packet says it needs incremental state. */
            CHECK(count(txt, "pointer_value: ") > nev / 4);
            CHECK_EQ(count(txt, "sequence_flags: 2\n"), count(txt, "track_event {"));
            CHECK_EQ(count(txt, "sequence_flags: 1\n"), 1);
            /* Slices by site: far fewer names than instructions. */
            unsigned names = count(txt, "event_names {");
            printf("%u interned names for %llu events\n", names, (unsigned long long)nev);
            CHECK(names > 100 && names < nev / 20);
            free(txt);
        }
    } else {
        printf("protoc or CERES_PERFETTO_PROTO missing: decoded checks skipped\n");
    }

    ct_trace_free(t);
    ct_recorder_destroy(r);
    gb_destroy(g);
    free(data);
    const char *files[] = {"z.perfetto-trace", "p.perfetto-trace", "p.txt"};
    for (int i = 0; i < 3; i++)
        unlink(path_in(files[i]));
    rmdir(dir);
    return test_result();
}
