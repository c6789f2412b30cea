/* `ceres run` on a ROM synthesized in memory that prints "OK" over the
 * serial port and stops at LD B,B: serial output, the stop reason, the
 * screenshot, trace dumps in every format and the streaming JSON, a cycle
 * window, triggers on the command line; bad usage and bad input exit 2 with
 * a message. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "test_fs.h"
#include "testrom.h"
#include "runner/runner.h"
#include "trace/ct_host.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64];
static const char *bin;

static const uint8_t code[] = {TESTROM_OK_PASS_CODE};

/* Run `ceres run ARGS`, stdout/stderr to files; returns the exit status. */
static int run(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run %s >out.txt 2>err.txt", dir, bin, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *file, const char *needle) {
    return dir_file_has(dir, file, needle, true);
}

static bool lacks(const char *file, const char *needle) {
    return !dir_file_has(dir, file, needle, false);
}

static char *read_file_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p) p[n] = 0;
    fclose(f);
    return p;
}

static long size_of(const char *file) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    struct stat st;
    return stat(p, &st) ? -1 : (long)st.st_size;
}

int main(void) {
    bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    snprintf(dir, sizeof dir, "/tmp/ceres-run-XXXXXX");
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");
    static uint8_t rom[0x8000];
    memcpy(rom + 0x100, code, sizeof code);
    testrom_fix_checksum(rom);
    char path[256];
    snprintf(path, sizeof path, "%s/ok.gb", dir);
    CHECK_EQ(rn_write_file(path, rom, sizeof rom), 0);
    snprintf(path, sizeof path, "%s/small.gb", dir);
    CHECK_EQ(rn_write_file(path, rom, 100), 0);

    /* Stops at LD B,B, prints the serial text, writes the screenshot and the
     * trace. */
    CHECK_EQ(run("ok.gb --until-ld-b-b --screenshot shot.png --trace-out t.perfetto-trace"), 0);
    CHECK(has("out.txt", "OK\n"));
    CHECK(has("err.txt", "stopped: LD B,B"));
    CHECK(has("err.txt", "B:03 C:05 D:08 E:0D H:15 L:22"));
    CHECK(size_of("shot.png") > 0);
    CHECK(size_of("t.perfetto-trace") > 0);
    uint8_t *rgb = NULL;
    unsigned w = 0, h = 0;
    char err[256];
    snprintf(path, sizeof path, "%s/shot.png", dir);
    CHECK_EQ(rn_png_read_rgb(path, &rgb, &w, &h, err, sizeof err), 0);
    CHECK(w == 160 && h == 144);
    free(rgb);

    /* Runs for the given time without --until-ld-b-b. */
    CHECK_EQ(run("ok.gb --frames 10 --trace-out t.log --trace serial=info"), 0);
    CHECK(dir_file_ran(dir, "err.txt", 702240));
    CHECK(has("err.txt", "stopped: time limit"));
    CHECK(has("t.log", "serial.byte"));
    CHECK_EQ(run("ok.gb --cycles 50000 --trace-out t.trace --trace-format json --raw-cycles"), 0);
    CHECK(has("t.trace", "traceEvents"));
    CHECK_EQ(run("ok.gb --seconds 0.1 --trace-out t.ctrace --trace-buffer 200000ev"), 0);
    CHECK(size_of("t.ctrace") > 0);
    /* The byte budget is honest: the ring uses at least 90 % of it and never
     * more, and the dump (here .ctrace, read back) and `ceres trace stats`
     * report that real size (a power-of-two ring gave 4M a 2.1 MB ring
     * while reporting the budget). */
    static const struct {
        const char *arg;
        uint64_t bytes;
    } budgets[] = {{"4M", 4u << 20}, {"3M", 3u << 20}, {"1048577", (1u << 20) + 1}, {"64K", 65536}};
    for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        char a[128], e[64];
        snprintf(a, sizeof a, "ok.gb --cycles 400000 --trace-buffer %s --trace-out b.ctrace",
                 budgets[i].arg);
        CHECK_EQ(run(a), 0);
        snprintf(a, sizeof a, "%s/b.ctrace", dir);
        ct_trace *t = NULL;
        char err[256];
        CHECK_EQ(ct_trace_load(a, &t, err, sizeof err), 0);
        if (!t) continue;
        printf("--trace-buffer %s: ring of %llu bytes\n", budgets[i].arg,
               (unsigned long long)t->ring_bytes);
        CHECK(t->ring_bytes <= budgets[i].bytes);
        CHECK(t->ring_bytes * 10 >= budgets[i].bytes * 9);
        snprintf(a, sizeof a, "cd '%s' && '%s' trace stats b.ctrace >out.txt 2>err.txt", dir, bin);
        CHECK_EQ(system(a), 0);
        snprintf(e, sizeof e, "ring        %llu bytes", (unsigned long long)t->ring_bytes);
        CHECK(has("out.txt", e));
        ct_trace_free(t);
    }
    /* Rings by data class: one for the events at debug level and above,
     * one for the rest; merged by timestamp, the same run reads as with one
     * ring, record for record (stamps shared by instructions, bus accesses,
     * register writes and serial bytes included). */
    CHECK_EQ(run("ok.gb --cycles 400000 --trace trace --trace-buffer debug=8M,rest=56M "
                 "--trace-out r2.log"),
             0);
    CHECK_EQ(run("ok.gb --cycles 400000 --trace trace --trace-buffer 3000000ev --trace-out r1.log"),
             0);
    {
        char a[256], b[256];
        snprintf(a, sizeof a, "%s/r1.log", dir);
        snprintf(b, sizeof b, "%s/r2.log", dir);
        char *x = read_file_all(a), *y = read_file_all(b);
        CHECK(x && y && strlen(x) > 10000 && strstr(x, "io.write") && strstr(x, "mem.write"));
        CHECK(x && y && !strcmp(x, y));
        free(x);
        free(y);
    }
    CHECK_EQ(run("ok.gb --cycles 400000 --trace-buffer cpu=64K,io=32K,rest=64K --trace-out c.log"),
             0);
    CHECK(has("c.log", "cpu.exec") && has("c.log", "io.write"));
    /* By default a byte budget is split into rings by class: after a long
     * run the serial bytes of the first frames and a state snapshot older
     * than the oldest instruction are still there; in one ring
     * (all=SIZE) instructions evict them. Snapshots show in every format. */
    CHECK_EQ(run("ok.gb --frames 60 --trace-buffer 1M --trace-out d.ctrace"), 0);
    CHECK_EQ(run("ok.gb --frames 60 --trace-buffer all=1M --trace-out o.ctrace"), 0);
    {
        char a[256], err[256];
        ct_trace *d = NULL, *o = NULL;
        snprintf(a, sizeof a, "%s/d.ctrace", dir);
        CHECK_EQ(ct_trace_load(a, &d, err, sizeof err), 0);
        snprintf(a, sizeof a, "%s/o.ctrace", dir);
        CHECK_EQ(ct_trace_load(a, &o, err, sizeof err), 0);
        if (d && o) {
            CHECK(d->ring_bytes <= 1u << 20 && d->ring_bytes * 10 >= (1u << 20) * 9);
            uint64_t first_exec = UINT64_MAX, first_state = UINT64_MAX, serial = 0, states = 0;
            for (uint64_t k = 0; k < d->nev; k++) {
                const char *nm = d->schema.events[d->ev[k].id].name;
                const char *tg = d->schema.events[d->ev[k].id].target;
                if (!strcmp(tg, "cpu") && !strcmp(nm, "exec") && first_exec == UINT64_MAX)
                    first_exec = d->ev[k].ts;
                if (!strcmp(tg, "state") && !strcmp(nm, "cpu")) {
                    if (first_state == UINT64_MAX) first_state = d->ev[k].ts;
                    states++;
                }
                serial += !strcmp(tg, "serial");
            }
            printf("default rings: %llu events, %llu snapshots, first at %llu, first "
                   "instruction at %llu\n",
                   (unsigned long long)d->nev, (unsigned long long)states,
                   (unsigned long long)first_state, (unsigned long long)first_exec);
            CHECK_EQ(serial, 3); /* "OK" and a newline, sent in the first frame */
            CHECK(states >= 55);
            CHECK(first_state < first_exec);
            for (uint64_t k = 0; k < o->nev; k++)
                CHECK(strcmp(o->schema.events[o->ev[k].id].target, "serial"));
        }
        ct_trace_free(d);
        ct_trace_free(o);
    }
    static const char *const formats[] = {"d.log", "d.json", "d.perfetto-trace"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char a[512];
        snprintf(a, sizeof a, "ok.gb --frames 3 --trace-out %s", formats[i]);
        CHECK_EQ(run(a), 0);
        snprintf(a, sizeof a, "cd '%s' && '%s' trace cat %s >cat.txt 2>err.txt", dir, bin,
                 formats[i]);
        CHECK_EQ(system(a), 0);
        CHECK(has("cat.txt", "state.cpu") && has("cat.txt", "state.lcd") &&
              has("cat.txt", "state.io"));
    }
    CHECK_EQ(run("ok.gb --trace-buffer cpu=64K,nothing=1M"), 2);
    CHECK(has("err.txt", "'nothing' is no target"));
    CHECK_EQ(run("ok.gb --seconds 0.05 --stream-json s.json --trace-buffer 0"), 0);
    CHECK(has("s.json", "serial"));
    /* A cycle window records exactly that part of the run, and the run ends
     * with it. */
    CHECK_EQ(run("ok.gb --cycles 1000..1200 --trace cpu=trace --trace-out w.log --raw-cycles"), 0);
    CHECK(has("err.txt", "stopped: time limit"));
    CHECK(!lacks("w.log", "1000 cpu.exec") || !lacks("w.log", "1004 cpu.exec"));
    CHECK(lacks("w.log", "996 cpu.exec"));
    /* Triggers parse once; a bad one is an error with the place shown. */
    CHECK_EQ(run("ok.gb --start-at pc==0x0110 --stop-at pc==0x0120 --stop-after 5 --dump-at "
                 "'write(0xFF02)' --mark 'irq(serial)' --trace-out t2.log --until-ld-b-b"),
             0);
    CHECK(has("err.txt", "trigger 0 (start) pc==0x0110: fired 1 time\n"));
    CHECK(has("err.txt", "trigger 1 (stop) pc==0x0120: fired 1 time\n"));
    CHECK(has("err.txt", "trigger 2 (dump) write(0xFF02): fired 3 times"));
    CHECK(has("err.txt", "snapshots written: 3"));
    CHECK(size_of("t2.0001.log") >= 0 && size_of("t2.0003.log") > 0); /* 1st: before the start */
    CHECK(has("t2.log", "00:0110  E0 01     LDH [$FF01],A"));
    CHECK(lacks("t2.log", "00:010E ")); /* before the start trigger */
    /* A frame window: recording from frame 2 to the end of frame 3, then
     * the run ends. */
    CHECK_EQ(run("ok.gb --frames 2..3 --trace-out f.log --raw-cycles"), 0);
    CHECK(has("err.txt", "4 VBlanks"));
    CHECK(has("f.log", "ppu.frame"));
    /* An illegal opcode locks the CPU up but the machine runs on: the run
     * goes to its time limit (the PPU keeps counting frames) and says where
     * the CPU locked up. */
    static uint8_t lock[0x8000];
    static const uint8_t lock_code[] = {0x00, 0xD3};
    memcpy(lock + 0x100, lock_code, sizeof lock_code);
    testrom_fix_checksum(lock);
    snprintf(path, sizeof path, "%s/lock.gb", dir);
    CHECK_EQ(rn_write_file(path, lock, sizeof lock), 0);
    CHECK_EQ(run("lock.gb --frames 10"), 0);
    CHECK(dir_file_ran(dir, "err.txt", 702240));
    CHECK(has("err.txt", "stopped: time limit"));
    CHECK(has("err.txt", "locked up at T-cycle 8 (illegal opcode $D3 at PC=0101)"));
    CHECK(has("err.txt", "10 VBlanks")); /* the PPU ran on */
    /* A gzip-compressed ROM runs as the plain one; one that inflates past
     * 8 MiB is refused before more is read. */
    snprintf(path, sizeof path, "%s/ok.gb.gz", dir);
    gzFile gz = gzopen(path, "wb");
    CHECK(gz && gzwrite(gz, rom, sizeof rom) == (int)sizeof rom && gzclose(gz) == Z_OK);
    CHECK_EQ(run("ok.gb.gz --until-ld-b-b"), 0);
    CHECK(has("err.txt", "stopped: LD B,B"));
    CHECK(has("out.txt", "OK\n"));
    snprintf(path, sizeof path, "%s/huge.gb.gz", dir);
    gz = gzopen(path, "wb");
    CHECK(gz != NULL);
    for (int i = 0; gz && i < 257; i++) /* 257 x 32 KiB: 8 MiB + 32 KiB */
        CHECK_EQ(gzwrite(gz, rom, sizeof rom), (int)sizeof rom);
    if (gz) CHECK_EQ(gzclose(gz), Z_OK);
    CHECK_EQ(run("huge.gb.gz"), 2);
    CHECK(has("err.txt", "ROM too large"));
    CHECK_EQ(run("ok.gb --start-at pc=0x01"), 2);
    CHECK(has("err.txt", "bad trigger"));
    CHECK_EQ(run("ok.gb --frames 3..x"), 2);
    CHECK_EQ(run("ok.gb --cycles 5..10 --trace-buffer 0"), 2);
    CHECK_EQ(run("--help"), 0);
    CHECK(has("out.txt", "usage: ceres run ROM"));

    /* Bad usage and bad input: exit 2 and say why. */
    CHECK_EQ(run(""), 2);
    CHECK_EQ(run("ok.gb --frames"), 2);
    CHECK(has("err.txt", "needs a value"));
    CHECK_EQ(run("ok.gb --frames ten"), 2);
    CHECK_EQ(run("ok.gb --frames 5 --seconds 1"), 2);
    CHECK_EQ(run("ok.gb --bogus"), 2);
    CHECK(has("err.txt", "unknown option"));
    CHECK_EQ(run("ok.gb ok.gb"), 2);
    CHECK_EQ(run("missing.gb"), 2);
    CHECK(has("err.txt", "missing.gb"));
    CHECK_EQ(run("small.gb"), 2);
    CHECK(has("err.txt", "small.gb"));
    CHECK_EQ(run("ok.gb --trace-buffer 12Q"), 2);
    CHECK_EQ(run("ok.gb --trace cpu=loud"), 2);
    CHECK(has("err.txt", "bad trace filter"));
    CHECK_EQ(run("ok.gb --trace-out t.xyz"), 2);
    CHECK_EQ(run("ok.gb --trace-out t.log --trace-buffer 0"), 2);
    CHECK_EQ(run("ok.gb --trace-format svg --trace-out t.log"), 2);
    CHECK_EQ(run("ok.gb --boot-rom small.gb"), 2);
    CHECK(has("err.txt", "256 bytes"));

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    return test_result();
}
