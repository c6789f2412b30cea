/* `ceres trace cat`, `stats` and `diff` on traces of real ROM runs (blargg
 * cpu_instrs 02-interrupts: interrupts, HALT and EI/DI; halt_bug), through the ceres
 * binary at $CERES_BIN. A one-cycle difference injected into a copy of a
 * trace must be found at the event it starts at. */
#define _GNU_SOURCE /* memmem, mkdtemp */
#include "check.h"

#include "trace/ct_host.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *bin;
static char dir[256];
static char out_path[320];

/* Run shell commands with their stdout to out_path (a command's own
 * redirections win); returns the exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4600];
    snprintf(full, sizeof full, "( %s ) > '%s'", cmd, out_path);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The last command's output, NUL-terminated (static buffer, grows). */
static char *output(void) {
    static char *buf;
    static size_t cap;
    FILE *f = fopen(out_path, "rb");
    if (!f) return "";
    size_t n = 0;
    for (;;) {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = realloc(buf, cap);
            if (!buf) exit(1);
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (!r) break;
        n += r;
    }
    fclose(f);
    buf[n] = 0;
    return buf;
}

static unsigned count_lines(const char *s, const char *needle) {
    unsigned n = 0;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (!needle || memmem(p, l, needle, strlen(needle))) n++;
        p += l + (e ? 1 : 0);
    }
    return n;
}

int main(void) {
    bin = getenv("CERES_BIN");
    const char *roms = getenv("CERES_TESTROMS");
    if (!roms || !*roms) roms = getenv("CERES_TESTROMS_DEFAULT");
    if (!bin || access(bin, X_OK) != 0) TEST_SKIP("CERES_BIN is not set to the ceres binary");
    char rom[1024];
    snprintf(rom, sizeof rom, "%s/blargg/cpu_instrs/individual/02-interrupts.gb", roms ? roms : "");
    char rom2[1024];
    snprintf(rom2, sizeof rom2, "%s/blargg/halt_bug.gb", roms ? roms : "");
    if (!roms || access(rom, R_OK) != 0 || access(rom2, R_OK) != 0)
        TEST_SKIP("test ROMs not found (set CERES_TESTROMS): need "
                  "blargg/cpu_instrs/individual/02-interrupts.gb and blargg/halt_bug.gb");
    snprintf(dir, sizeof dir, "%s/ceres-tools-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);

    /* One run, two records of it: the recorder's cpu.exec events (every
     * instruction, the ring large enough to keep them all) and the doctor
     * log written from the stepping loop. */
    CHECK_EQ(sh("'%s' run '%s' --seconds 0.5 --trace cpu.exec,trace.mark --trace-buffer 64M "
                "--trace-out '%s/t.ctrace' --doctor-log '%s/d.log' --mark 'pc==0x0100' 2>/dev/null",
                bin, rom, dir, dir),
             0);
    CHECK(strstr(output(), "Passed") != NULL);

    /* stats */
    CHECK_EQ(sh("'%s' trace stats '%s/t.ctrace'", bin, dir), 0);
    char *o = output();
    CHECK(strstr(o, "cpu.exec") != NULL);
    CHECK(strstr(o, "overwritten 0,") != NULL);
    CHECK(strstr(o, "\nring        ") && !strstr(o, "not in this file"));
    CHECK(strstr(o, "frames") != NULL);
    CHECK(strstr(o, "trigger 0") != NULL); /* the --mark at PC $0100 fired */

    /* cat: the start of the ROM disassembled, stamped with T-cycles */
    CHECK_EQ(sh("'%s' trace cat '%s/t.ctrace' --filter cpu.exec", bin, dir), 0);
    o = output();
    unsigned all = count_lines(o, NULL), nops = count_lines(o, " NOP ");
    CHECK(all > 200000);
    /* the first instruction's stamp: the end of its opcode fetch M-cycle */
    CHECK(strncmp(o, "4 cpu.exec 00:0100  00        NOP ", 34) == 0);
    CHECK(strstr(o, "00:0101  C3 13 02  JP $0213") != NULL);
    CHECK(strstr(o, "DI ") && strstr(o, "EI ") && strstr(o, "HALT"));
    CHECK(nops > 0);
    /* --grep keeps exactly the lines containing the text */
    CHECK_EQ(sh("'%s' trace cat '%s/t.ctrace' --filter cpu.exec --grep ' NOP '", bin, dir), 0);
    CHECK_EQ(count_lines(output(), NULL), nops);
    CHECK_EQ(count_lines(output(), " NOP "), nops);
    /* --filter: the trace.mark event alone */
    CHECK_EQ(sh("'%s' trace cat '%s/t.ctrace' --filter trace.mark", bin, dir), 0);
    CHECK_EQ(count_lines(output(), NULL), 1);
    CHECK(strcmp(output(), "4 trace.mark trigger=0000 count=1\n") == 0);
    /* --from/--to: inclusive T-cycle window */
    CHECK_EQ(sh("'%s' trace cat '%s/t.ctrace' --filter cpu.exec --from 1000 --to 2000", bin, dir),
             0);
    o = output();
    char *window = strdup(o); /* output() reuses its buffer */
    unsigned win = count_lines(o, NULL), bad = 0;
    for (const char *p = o; *p; p = strchr(p, '\n') + 1) {
        unsigned long long ts = strtoull(p, NULL, 10);
        bad += ts < 1000 || ts > 2000;
        if (!strchr(p, '\n')) break;
    }
    CHECK(win > 50 && win < 400);
    CHECK_EQ(bad, 0);
    /* a .perfetto-trace (ns time stamps, widened fields) prints the same */
    CHECK_EQ(sh("'%s' trace convert '%s/t.ctrace' '%s/t.perfetto-trace'", bin, dir, dir), 0);
    CHECK_EQ(sh("'%s' trace cat '%s/t.perfetto-trace' --filter cpu.exec --from 1000 --to 2000", bin,
                dir),
             0);
    CHECK_EQ(count_lines(output(), NULL), win);
    CHECK_EQ(sh("'%s' trace stats '%s/t.perfetto-trace'", bin, dir), 0);
    /* its trace stats carry the ring's counts, as the .ctrace does */
    CHECK(strstr(output(), "overwritten or dropped unknown") == NULL);
    CHECK(strstr(output(), "\nrecorded    written ") != NULL);
    CHECK_EQ(sh("'%s' trace cat '%s/t.perfetto-trace' --filter cpu.exec --from 1000 --to 2000", bin,
                dir),
             0);
    CHECK(window && strcmp(output(), window) == 0);
    free(window);

    /* a doctor log reads as a trace too: its lines, numbered, disassembled */
    CHECK_EQ(sh("'%s' trace cat '%s/d.log' --to 1", bin, dir), 0);
    CHECK(strcmp(output(), "0 A:01 F:B0 B:00 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0100 "
                           "PCMEM:00,C3,13,02  NOP\n"
                           "1 A:01 F:B0 B:00 C:13 D:00 E:D8 H:01 L:4D SP:FFFE PC:0101 "
                           "PCMEM:C3,13,02,CE  JP $0213\n") == 0);

    /* diff: the recorder and the doctor log agree instruction by instruction */
    CHECK_EQ(sh("'%s' trace diff '%s/t.ctrace' '%s/d.log'", bin, dir, dir), 0);
    CHECK(strstr(output(), "aligned on instruction order") != NULL);
    CHECK(strstr(output(), "no difference") != NULL);
    /* the same on blargg's halt_bug (HALT with IME=0 and an interrupt
     * pending runs the next byte twice) */
    CHECK_EQ(sh("'%s' run '%s' --seconds 1 --trace cpu.exec --trace-buffer 128M --trace-out "
                "'%s/h.ctrace' --doctor-log '%s/h.log' 2>/dev/null",
                bin, rom2, dir, dir),
             0);
    CHECK_EQ(sh("grep -c 'PCMEM:76' '%s/h.log'", dir), 0); /* HALTs were run */
    CHECK(atoi(output()) > 10);
    CHECK_EQ(sh("'%s' trace diff '%s/h.ctrace' '%s/h.log'", bin, dir, dir), 0);
    CHECK(strstr(output(), "no difference") != NULL);
    /* a trace and its .perfetto-trace agree on cycles */
    CHECK_EQ(sh("'%s' trace diff '%s/t.ctrace' '%s/t.perfetto-trace'", bin, dir, dir), 0);
    CHECK(strstr(output(), "aligned on cycle stamps") != NULL);

    /* Inject a one-cycle delay from event k on into a copy of the trace. */
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/t.ctrace", dir);
    ct_trace *t = NULL;
    CHECK_EQ(ct_trace_load(path, &t, err, sizeof err), 0);
    if (!t) return test_result();
    uint64_t k = t->nev / 2 + 7, tk = t->ev[k].ts;
    for (uint64_t i = k; i < t->nev; i++)
        t->ev[i].ts++;
    snprintf(path, sizeof path, "%s/late.ctrace", dir);
    ct_dump_opts dopt = {.format = CT_FMT_CTRACE};
    CHECK_EQ(ct_trace_write(t, path, &dopt), 0);
    ct_trace_free(t);
    CHECK_EQ(sh("'%s' trace diff '%s/t.ctrace' '%s/late.ctrace' --context 3", bin, dir, dir), 1);
    o = output();
    char want[128];
    snprintf(want, sizeof want, "A #%" PRIu64 ", B #%" PRIu64 "\n", k, k);
    CHECK(strstr(o, want) != NULL);
    snprintf(want, sizeof want, "  time: %" PRIu64 " vs %" PRIu64 " (+1)\n", tk, tk + 1);
    CHECK(strstr(o, want) != NULL);
    snprintf(want, sizeof want, "after %" PRIu64 " equal events", k);
    CHECK(strstr(o, want) != NULL);
    CHECK_EQ(count_lines(o, "  #"), 3); /* context before */
    CHECK_EQ(count_lines(o, "- #"), 4); /* the event and 3 after, A */
    CHECK_EQ(count_lines(o, "+ #"), 4); /* the same, B */
    /* on order the delayed copy is the same */
    CHECK_EQ(sh("'%s' trace diff '%s/t.ctrace' '%s/late.ctrace' --align order", bin, dir, dir), 0);

    /* A register difference in another emulator's doctor log. */
    CHECK_EQ(sh("awk 'NR==1001 { sub(/ C:[0-9A-F][0-9A-F] /, \" C:5A \") } { print }' "
                "'%s/d.log' > '%s/other.log'",
                dir, dir),
             0);
    CHECK_EQ(sh("'%s' trace diff '%s/t.ctrace' '%s/other.log' --context 1", bin, dir, dir), 1);
    o = output();
    CHECK(strstr(o, "B #1000\n") != NULL);
    CHECK(strstr(o, "\n  c: ") != NULL);
    CHECK(strstr(o, "\n  time:") == NULL);

    /* A ring that kept only the end of a run (a window from T-cycle
     * 500000) against the whole run's doctor log: found inside it, past the
     * earlier iterations of the loop it starts in, and equal to the end. */
    CHECK_EQ(sh("'%s' run '%s' --cycles 500000..700000 --trace cpu.exec --trace-out "
                "'%s/w.ctrace' --doctor-log '%s/w.log' 2>/dev/null",
                bin, rom, dir, dir),
             0);
    CHECK_EQ(sh("'%s' trace diff '%s/w.ctrace' '%s/w.log'", bin, dir, dir), 0);
    CHECK(strstr(output(), "A starts later: its first events found at B #") != NULL);
    CHECK(strstr(output(), "no difference") != NULL);

    /* logs of different lengths: the shorter one ends first */
    CHECK_EQ(sh("head -n 500 '%s/d.log' > '%s/short.log'", dir, dir), 0);
    CHECK_EQ(sh("'%s' trace diff '%s/d.log' '%s/short.log' --context 0", bin, dir, dir), 1);
    CHECK(strstr(output(), "after 500 equal events: A #500, B #500") != NULL);
    CHECK(strstr(output(), "+ (B ends here)") != NULL);
    /* a malformed doctor line is refused with its line number */
    CHECK_EQ(sh("sed '3s/PC:/PX:/' '%s/short.log' > '%s/bad.log'", dir, dir), 0);
    CHECK_EQ(sh("exec 2>&1; '%s' trace cat '%s/bad.log'", bin, dir), 2);
    CHECK(strstr(output(), "bad.log:3: not a Gameboy Doctor line") != NULL);
    CHECK_EQ(sh("exec 2>&1; '%s' trace diff '%s/short.log' '%s/bad.log'", bin, dir, dir), 2);
    CHECK(strstr(output(), "bad.log:3: not a Gameboy Doctor line") != NULL);

    /* errors */
    CHECK_EQ(sh("'%s' trace diff '%s/t.ctrace' '%s/missing.ctrace' 2>/dev/null", bin, dir, dir), 2);
    CHECK_EQ(sh("'%s' trace cat '%s/t.ctrace' --filter nosuch 2>/dev/null", bin, dir), 2);
    CHECK_EQ(sh("'%s' trace diff '%s/d.log' '%s/d.log' --align cycles 2>/dev/null", bin, dir, dir),
             2);

    sh("rm -rf '%s'", dir);
    return test_result();
}
