/* Reports: the per-suite table, the closing line, and JUnit XML parsed back
 * (with a small reader that checks the structure and undoes the escapes). */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "runner/runner.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static rn_test mk(const char *suite, const char *rom, rn_expect ex, const char *reason) {
    rn_test t;
    memset(&t, 0, sizeof t);
    t.suite = (char *)suite;
    t.rom = (char *)rom;
    t.expect = ex;
    t.reason = (char *)reason;
    t.check.kind = RN_CHECK_MOONEYE;
    return t;
}

static rn_result mr(rn_status st, const char *msg, double wall) {
    rn_result r;
    memset(&r, 0, sizeof r);
    r.status = st;
    snprintf(r.message, sizeof r.message, "%s", msg);
    r.wall_seconds = wall;
    r.replay = -1;
    return r;
}

/* ---- a minimal XML reader, enough for our JUnit output --------------------- */

typedef struct elem {
    char name[32];
    char attr[8][2][256]; /* up to 8 attributes: name, unescaped value */
    int nattr;
    int depth;
    bool closing, selfclose;
} elem;

static int unescape(const char *s, size_t n, char *out, size_t len) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (s[i] != '&') {
            if (s[i] == '<' || s[i] == '"') return -1; /* must have been escaped */
            out[o++] = s[i];
            continue;
        }
        static const char *const ents[][2] = {{"&lt;", "<"},    {"&gt;", ">"},   {"&amp;", "&"},
                                              {"&quot;", "\""}, {"&apos;", "'"}, {"&#10;", "\n"},
                                              {"&#9;", "\t"}};
        size_t k;
        for (k = 0; k < sizeof ents / sizeof *ents; k++) {
            size_t el = strlen(ents[k][0]);
            if (i + el <= n && !strncmp(s + i, ents[k][0], el)) {
                out[o++] = ents[k][1][0];
                i += el - 1;
                break;
            }
        }
        if (k == sizeof ents / sizeof *ents) return -1;
    }
    out[o] = 0;
    return 0;
}

/* Next tag from *p; returns false at the end. Text between tags is skipped
 * (checked for stray '<'). */
static bool next_tag(const char **p, elem *e, bool *bad) {
    const char *s = strchr(*p, '<');
    if (!s) return false;
    memset(e, 0, sizeof *e);
    s++;
    if (*s == '?') { /* declaration */
        const char *end = strstr(s, "?>");
        if (!end) *bad = true;
        *p = end ? end + 2 : s + strlen(s);
        strcpy(e->name, "?xml");
        return true;
    }
    if (*s == '/') {
        e->closing = true;
        s++;
    }
    size_t n = strcspn(s, " />");
    snprintf(e->name, sizeof e->name, "%.*s", (int)n, s);
    s += n;
    for (;;) {
        while (*s == ' ')
            s++;
        if (*s == '/' && s[1] == '>') {
            e->selfclose = true;
            s += 2;
            break;
        }
        if (*s == '>') {
            s++;
            break;
        }
        const char *eq = strchr(s, '=');
        if (!eq || eq[1] != '"' || e->nattr == 8) {
            *bad = true;
            return false;
        }
        const char *end = strchr(eq + 2, '"');
        if (!end) {
            *bad = true;
            return false;
        }
        snprintf(e->attr[e->nattr][0], 256, "%.*s", (int)(eq - s), s);
        if (unescape(eq + 2, (size_t)(end - eq - 2), e->attr[e->nattr][1], 256)) *bad = true;
        e->nattr++;
        s = end + 1;
    }
    *p = s;
    return true;
}

static const char *attr(const elem *e, const char *name) {
    for (int i = 0; i < e->nattr; i++)
        if (!strcmp(e->attr[i][0], name)) return e->attr[i][1];
    return NULL;
}

int main(void) {
    rn_test t[6] = {
        mk("mooneye", "acceptance/a.gb", RN_EXPECT_PASS, NULL),
        mk("mooneye", "acceptance/b & <c> \"d\".gb", RN_EXPECT_PASS, NULL),
        mk("blargg", "cpu/x.gb", RN_EXPECT_FAIL, "known: DAA"),
        mk("blargg", "cpu/y.gb", RN_EXPECT_FAIL, "was broken"),
        mk("mooneye", "acceptance/crash.gb", RN_EXPECT_PASS, NULL),
        mk("blargg", "cpu/z.gb", RN_EXPECT_PASS, NULL),
    };
    rn_result r[6] = {
        mr(RN_PASS, "", 0.5),
        mr(RN_FAIL, "B-L = 0x42 <bad> & \"worse\"\nsecond line", 0.25),
        mr(RN_TIMEOUT, "no verdict within 10s", 1.0),
        mr(RN_PASS, "", 0.125),
        mr(RN_CRASH, "the test process died of signal 11 (SIGSEGV)", 0.1),
        mr(RN_HANG, "no result after 60 s", 60),
    };
    const rn_test *tp[6];
    for (int i = 0; i < 6; i++)
        tp[i] = &t[i];

    /* Expectations. */
    CHECK(rn_result_expected(&t[0], &r[0]));
    CHECK(!rn_result_expected(&t[1], &r[1]));
    CHECK(rn_result_expected(&t[2], &r[2]));  /* a known failure may time out */
    CHECK(!rn_result_expected(&t[3], &r[3])); /* unexpected pass */
    rn_test kc = mk("x", "k.gb", RN_EXPECT_FAIL, "r");
    CHECK(!rn_result_expected(&kc, &r[4])); /* a crash is never "as expected" */

    /* Tally and table. */
    rn_tally tl[8];
    size_t ns = rn_tally_results(tp, r, 6, tl, 8);
    CHECK_EQ(ns, 2);
    CHECK(!strcmp(tl[0].suite, "mooneye"));
    CHECK_EQ(tl[0].total, 3);
    CHECK_EQ(tl[0].passed, 1);
    CHECK_EQ(tl[0].failed, 1);
    CHECK_EQ(tl[0].crashed, 1);
    CHECK_EQ(tl[0].regressions, 2);
    CHECK_EQ(tl[1].total, 3);
    CHECK_EQ(tl[1].timeout, 1);
    CHECK_EQ(tl[1].known, 1);
    CHECK_EQ(tl[1].unexpected_passes, 1);
    CHECK_EQ(tl[1].crashed, 1);
    CHECK_EQ(tl[1].regressions, 1);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rn_report_table(f, tp, r, 6);
    rn_report_summary(f, r, 6);
    fclose(f);
    printf("%s", text);
    CHECK(strstr(text, "suite ") == text);
    CHECK(strstr(text, "\nmooneye           3       1       1         0        1      0           2"
                       "           0\n") != NULL);
    CHECK(strstr(text, "\nblargg            3       1       0         1        1      1           1"
                       "           1\n") != NULL);
    CHECK(strstr(text, "\ntotal             6") != NULL);
    /* The closing line, exactly, alone on the last line. */
    const char *last = text + len - 1;
    while (last > text && last[-1] != '\n')
        last--;
    CHECK(!strcmp(last, "2 passed, 4 failed\n"));
    free(text);

    /* JUnit XML, parsed back. */
    char dir[] = "/tmp/ceres-junit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/report.xml", dir);
    CHECK_EQ(rn_report_junit(path, tp, r, 6), 0);
    uint8_t *xml;
    size_t xlen;
    CHECK_EQ(rn_read_file(path, &xml, &xlen), 0);
    const char *p = (const char *)xml;
    elem e;
    bool bad = false;
    int depth = 0, ncase = 0, nsuites = 0, nfail = 0, nerr = 0, nskip = 0;
    char stack[8][32];
    char cls[6][64], name[6][512], kind[6][32], msg[6][512];
    memset(kind, 0, sizeof kind);
    while (next_tag(&p, &e, &bad)) {
        if (!strcmp(e.name, "?xml")) continue;
        if (e.closing) {
            CHECK(depth > 0 && !strcmp(stack[depth - 1], e.name));
            depth--;
            continue;
        }
        if (!strcmp(e.name, "testsuites")) CHECK_EQ(depth, 0);
        if (!strcmp(e.name, "testsuite")) {
            CHECK_EQ(depth, 1);
            nsuites++;
        }
        if (!strcmp(e.name, "testcase")) {
            CHECK_EQ(depth, 2);
            if (ncase < 6) {
                snprintf(cls[ncase], 64, "%s", attr(&e, "classname") ? attr(&e, "classname") : "");
                snprintf(name[ncase], 512, "%s", attr(&e, "name") ? attr(&e, "name") : "");
            }
            ncase++;
        }
        if (!strcmp(e.name, "failure") || !strcmp(e.name, "error") || !strcmp(e.name, "skipped")) {
            CHECK_EQ(depth, 3);
            nfail += e.name[0] == 'f';
            nerr += e.name[0] == 'e';
            nskip += e.name[0] == 's';
            if (ncase >= 1 && ncase <= 6) {
                snprintf(kind[ncase - 1], 32, "%s", e.name);
                snprintf(msg[ncase - 1], 512, "%s", attr(&e, "message") ? attr(&e, "message") : "");
            }
        }
        if (!e.selfclose && depth < 8) snprintf(stack[depth++], 32, "%s", e.name);
    }
    CHECK(!bad);
    CHECK_EQ(depth, 0);
    CHECK_EQ(nsuites, 2);
    CHECK_EQ(ncase, 6);
    CHECK_EQ(nfail, 2); /* the regression and the unexpected pass */
    CHECK_EQ(nerr, 2);
    CHECK_EQ(nskip, 1); /* the known failure */
    /* Test cases come grouped by suite: mooneye (0, 1, 4), blargg (2, 3, 5). */
    static const int order[6] = {0, 1, 4, 2, 3, 5};
    for (int k = 0; k < 6 && k < ncase; k++) {
        int i = order[k];
        CHECK(!strcmp(cls[k], t[i].suite));
        CHECK(!strcmp(name[k], t[i].rom));
    }
    CHECK(kind[0][0] == 0);             /* pass: no child element */
    CHECK(!strcmp(kind[1], "failure")); /* regression */
    CHECK(strstr(msg[1], "B-L = 0x42 <bad> & \"worse\"\nsecond line") != NULL);
    CHECK(!strcmp(kind[2], "error")); /* crash */
    CHECK(strstr(msg[2], "SIGSEGV") != NULL);
    CHECK(!strcmp(kind[3], "skipped")); /* known failure: not a failure for CI */
    CHECK(strstr(msg[3], "known failure: known: DAA") == msg[3]);
    CHECK(!strcmp(kind[4], "failure")); /* unexpected pass */
    CHECK(strstr(msg[4], "unexpected pass") != NULL);
    CHECK(!strcmp(kind[5], "error")); /* hang */
    free(xml);
    unlink(path);
    rmdir(dir);
    return test_result();
}
