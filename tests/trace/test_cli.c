/* `ceres trace convert` on a dumped .ctrace: every format, a round trip back
 * to .ctrace, and errors with exit status 2 and a message on stderr. */
#include "test_util.h"

#include <sys/wait.h>

static const char *bin;

static int run(const char *args, const char *errfile) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2> '%s'", bin, args, tu_path("stdout.txt"),
             errfile ? errfile : tu_path("stderr.txt"));
    int st = system(cmd);
    if (getenv("CERES_TEST_VERBOSE")) fprintf(stderr, "$ %s -> %d\n", cmd, st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void) {
    bin = getenv("CERES_BIN");
    if (!bin || !tu_exists(bin)) TEST_SKIP("CERES_BIN not set or missing");
    tu_tmpdir();
    ct_recorder *r = tu_wrapped(64 << 10, 20000);
    char in[600];
    snprintf(in, sizeof in, "%s", tu_path("in.ctrace"));
    CHECK_EQ(ct_dump(r, in, NULL), 0);
    ct_trace *t;
    CHECK_EQ(ct_trace_from_recorder(r, &t), 0);
    char args[2048];

    /* Back to .ctrace: the same bytes. */
    snprintf(args, sizeof args, "trace convert '%s' '%s'", in, tu_path("out.ctrace"));
    CHECK_EQ(run(args, NULL), 0);
    size_t na, nb;
    char *a = tu_read(in, &na), *b = tu_read(tu_path("out.ctrace"), &nb);
    CHECK(a && b && na == nb && !memcmp(a, b, na));
    free(a);
    free(b);

    /* Each format, by extension and by --format; the same output as ct_dump
     * (a .perfetto-trace: the same events read back, as the program shows
     * the emulator's events its own way: names, hex). */
    const char *exts[] = {"json", "log", "perfetto-trace"};
    for (int i = 0; i < 3; i++) {
        char out[600], ref[600];
        snprintf(out, sizeof out, "%s", tu_path("x"));
        snprintf(out + strlen(out), sizeof out - strlen(out), ".%s", exts[i]);
        snprintf(ref, sizeof ref, "%s.ref.%s", tu_path("x"), exts[i]);
        snprintf(args, sizeof args, "trace convert '%s' '%s'", in, out);
        CHECK_EQ(run(args, NULL), 0);
        CHECK_EQ(ct_dump(r, ref, NULL), 0);
        if (i == 2) {
            ct_trace *x = NULL, *y = NULL;
            char err[256];
            CHECK_EQ(ct_trace_load(out, &x, err, sizeof err), 0);
            CHECK_EQ(ct_trace_load(ref, &y, err, sizeof err), 0);
            CHECK(x && y && x->nev == y->nev && x->nev == t->nev);
            unsigned bad = 0;
            for (uint64_t k = 0; x && y && k < x->nev && k < y->nev; k++)
                bad += x->ev[k].id != y->ev[k].id || x->ev[k].ts != y->ev[k].ts ||
                       memcmp(x->ev[k].payload, y->ev[k].payload, sizeof x->ev[k].payload);
            CHECK_EQ(bad, 0);
            ct_trace_free(x);
            ct_trace_free(y);
            continue;
        }
        a = tu_read(out, &na);
        b = tu_read(ref, &nb);
        CHECK(a && b && na == nb && !memcmp(a, b, na));
        free(a);
        free(b);
    }
    snprintf(args, sizeof args, "trace convert --raw-cycles '%s' '%s' --format json", in,
             tu_path("raw.txt"));
    CHECK_EQ(run(args, NULL), 0);
    a = tu_read(tu_path("raw.txt"), NULL);
    char want[64];
    snprintf(want, sizeof want, "\"ts\":%llu,", (unsigned long long)t->ev[t->nev - 1].ts);
    CHECK(a && strstr(a, want));
    free(a);

    /* From a .perfetto-trace written by Ceres. */
    char pf[600];
    snprintf(pf, sizeof pf, "%s", tu_path("in.perfetto-trace"));
    CHECK_EQ(ct_dump(r, pf, NULL), 0);
    snprintf(args, sizeof args, "trace convert '%s' '%s'", pf, tu_path("from-pf.log"));
    CHECK_EQ(run(args, NULL), 0);
    a = tu_read(tu_path("from-pf.log"), NULL);
    CHECK(a && strstr(a, " cpu.exec pc=0x") && strstr(a, " test.note text=\"hello"));
    free(a);

    /* Errors: exit 2 and a message on stderr. */
    const char *bad[] = {
        "trace convert",
        "trace convert only-one",
        "trace convert /nonexistent/in.ctrace x.json",
        "trace convert IN OUT.unknownext",
        "trace convert IN OUT.json --format nope",
        "trace convert IN /nonexistent/dir/out.json",
        "trace convert IN OUT.json --bogus",
        "trace frobnicate",
        "trace",
        "trace cat x.ctrace",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[1024], *p = cmd;
        /* substitute IN and OUT */
        for (const char *s = bad[i]; *s && p < cmd + sizeof cmd - 600;) {
            if (!strncmp(s, "IN", 2)) {
                p += sprintf(p, "'%s'", in);
                s += 2;
            } else if (!strncmp(s, "OUT", 3)) {
                p += sprintf(p, "'%s/out", tu_dir);
                s += 3;
                while (*s && *s != ' ')
                    *p++ = *s++;
                *p++ = '\'';
            } else {
                *p++ = *s++;
            }
        }
        *p = 0;
        CHECK_EQ(run(cmd, tu_path("err.txt")), 2);
        a = tu_read(tu_path("err.txt"), &na);
        CHECK(a && na > 0);
        if (!a || !na) fprintf(stderr, "no message for: %s\n", cmd);
        free(a);
    }
    /* A file that is not a trace. */
    snprintf(args, sizeof args, "trace convert '%s' '%s'", tu_path("err.txt"), tu_path("o.json"));
    CHECK_EQ(run(args, NULL), 2);
    CHECK(!tu_exists(tu_path("o.json")));

    /* --help everywhere. */
    CHECK_EQ(run("trace --help", NULL), 0);
    CHECK_EQ(run("trace convert --help", NULL), 0);
    a = tu_read(tu_path("stdout.txt"), NULL);
    CHECK(a && strstr(a, "--raw-cycles"));
    free(a);
    CHECK_EQ(run("bench --help", NULL), 0);
    CHECK_EQ(run("bench recorder --help", NULL), 0);
    CHECK_EQ(run("bench nope", NULL), 2);

    ct_trace_free(t);
    ct_recorder_destroy(r);
    return test_result();
}
