/* Reports: the per-suite table, the closing line and JUnit XML. */
#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[RN_STATUS_COUNT] = {
    [RN_PASS] = "pass",   [RN_FAIL] = "fail", [RN_TIMEOUT] = "timeout",
    [RN_CRASH] = "crash", [RN_HANG] = "hang", [RN_ERROR] = "error",
};

const char *rn_status_name(rn_status s) {
    return (unsigned)s < RN_STATUS_COUNT ? status_names[s] : "?";
}

bool rn_result_expected(const rn_test *t, const rn_result *r) {
    /* A known failure stays "as expected" whatever way it fails, except by
     * taking the host process down (crash, hang) or not running at all:
     * those always need attention. */
    if (t->expect == RN_EXPECT_PASS) return r->status == RN_PASS;
    return r->status == RN_FAIL || r->status == RN_TIMEOUT;
}

size_t rn_tally_results(const rn_test *const *tests, const rn_result *res, size_t n, rn_tally *out,
                        size_t max) {
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        const char *suite = tests[i]->suite ? tests[i]->suite : "adhoc";
        size_t s = 0;
        while (s < ns && strcmp(out[s].suite, suite))
            s++;
        if (s == ns) {
            if (ns == max) continue;
            memset(&out[ns], 0, sizeof out[ns]);
            snprintf(out[ns].suite, sizeof out[ns].suite, "%s", suite);
            ns++;
        }
        rn_tally *t = &out[s];
        const rn_result *r = &res[i];
        t->total++;
        switch (r->status) {
        case RN_PASS: t->passed++; break;
        case RN_FAIL: t->failed++; break;
        case RN_TIMEOUT: t->timeout++; break;
        default: t->crashed++; break;
        }
        bool expected = rn_result_expected(tests[i], r);
        if (tests[i]->expect == RN_EXPECT_FAIL && expected) t->known++;
        if (!expected) {
            if (r->status == RN_PASS)
                t->unexpected_passes++;
            else
                t->regressions++;
        }
    }
    return ns;
}

void rn_tally_add(rn_tally *sum, const rn_tally *t) {
    sum->total += t->total;
    sum->passed += t->passed;
    sum->failed += t->failed;
    sum->timeout += t->timeout;
    sum->crashed += t->crashed;
    sum->known += t->known;
    sum->regressions += t->regressions;
    sum->unexpected_passes += t->unexpected_passes;
}

void rn_report_table(FILE *f, const rn_test *const *tests, const rn_result *res, size_t n) {
    rn_tally tl[64];
    size_t ns = rn_tally_results(tests, res, n, tl, 64);
    fprintf(f, "%-12s %6s %7s %7s %9s %8s %6s %11s %11s\n", "suite", "tests", "passed", "failed",
            "timed out", "crashed", "known", "regressions", "unexp.pass");
    rn_tally sum = {.suite = "total"};
    for (size_t s = 0; s <= ns; s++) {
        const rn_tally *t = s < ns ? &tl[s] : &sum;
        if (s == ns && ns < 2) break;
        fprintf(f, "%-12s %6u %7u %7u %9u %8u %6u %11u %11u\n", t->suite, t->total, t->passed,
                t->failed, t->timeout, t->crashed, t->known, t->regressions, t->unexpected_passes);
        if (s < ns) rn_tally_add(&sum, t);
    }
    fprintf(f, "(known = expected failures that failed as listed in the manifest; crashed "
               "includes hangs and errors)\n");
}

void rn_report_summary(FILE *f, const rn_result *res, size_t n) {
    size_t passed = 0;
    for (size_t i = 0; i < n; i++)
        passed += res[i].status == RN_PASS;
    fprintf(f, "%zu passed, %zu failed\n", passed, n - passed);
}

void rn_xml_escape(const char *s, char *buf, size_t len) {
    size_t o = 0;
    if (!len) return;
    for (; *s; s++) {
        const char *rep = NULL;
        char tmp[8];
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\n': rep = "&#10;"; break;
        case '\t': rep = "&#9;"; break;
        default:
            /* XML 1.0 forbids most control characters even as references. */
            if (c < 0x20 || c == 0x7F) {
                snprintf(tmp, sizeof tmp, "?");
                rep = tmp;
            }
        }
        size_t rl = rep ? strlen(rep) : 1;
        if (o + rl + 1 > len) break;
        if (rep)
            memcpy(buf + o, rep, rl);
        else
            buf[o] = (char)c;
        o += rl;
    }
    buf[o] = 0;
}

int rn_report_junit(const char *path, const rn_test *const *tests, const rn_result *res, size_t n) {
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f) return -errno;
    rn_tally tl[64];
    size_t ns = rn_tally_results(tests, res, n, tl, 64);
    size_t total_fail = 0;
    for (size_t i = 0; i < n; i++)
        total_fail += res[i].status != RN_PASS;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"ceres\" tests=\"%zu\" failures=\"%zu\">\n", n, total_fail);
    char a[2048], b[2048], c[4096];
    for (size_t s = 0; s < ns; s++) {
        double time = 0;
        unsigned fails = 0, errors = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(tests[i]->suite ? tests[i]->suite : "adhoc", tl[s].suite)) continue;
            time += res[i].wall_seconds;
            fails += res[i].status == RN_FAIL || res[i].status == RN_TIMEOUT;
            errors += res[i].status >= RN_CRASH;
        }
        rn_xml_escape(tl[s].suite, a, sizeof a);
        fprintf(f,
                "  <testsuite name=\"%s\" tests=\"%u\" failures=\"%u\" errors=\"%u\" "
                "time=\"%.3f\">\n",
                a, tl[s].total, fails, errors, time);
        for (size_t i = 0; i < n; i++) {
            const rn_test *t = tests[i];
            const rn_result *r = &res[i];
            if (strcmp(t->suite ? t->suite : "adhoc", tl[s].suite)) continue;
            rn_xml_escape(tl[s].suite, a, sizeof a);
            rn_xml_escape(t->rom, b, sizeof b);
            fprintf(f, "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"", a, b,
                    r->wall_seconds);
            if (r->status == RN_PASS && rn_result_expected(t, r)) {
                fprintf(f, "/>\n");
                continue;
            }
            fprintf(f, ">\n");
            char msg[RN_MSG_MAX + 600];
            if (r->status == RN_PASS)
                snprintf(msg, sizeof msg, "unexpected pass (manifest expects: fail \"%s\")",
                         t->reason ? t->reason : "");
            else if (t->expect == RN_EXPECT_FAIL && rn_result_expected(t, r))
                snprintf(msg, sizeof msg, "%s: %s (known failure: %s)", rn_status_name(r->status),
                         r->message, t->reason ? t->reason : "");
            else
                snprintf(msg, sizeof msg, "%s: %s", rn_status_name(r->status), r->message);
            rn_xml_escape(msg, c, sizeof c);
            const char *elem = r->status >= RN_CRASH ? "error" : "failure";
            fprintf(f, "      <%s message=\"%s\" type=\"%s\">", elem, c, rn_status_name(r->status));
            snprintf(msg, sizeof msg, "cycles=%llu frames=%llu PC=%04X%s%s",
                     (unsigned long long)r->cycles, (unsigned long long)r->frames, r->regs.pc,
                     r->serial_len ? " serial: " : "", r->serial_len ? r->serial : "");
            rn_xml_escape(msg, c, sizeof c);
            fprintf(f, "%s</%s>\n", c, elem);
            fprintf(f, "    </testcase>\n");
        }
        fprintf(f, "  </testsuite>\n");
    }
    fprintf(f, "</testsuites>\n");
    if (fclose(f)) {
        free(text);
        return -EIO;
    }
    int rc = rn_write_file(path, text, tlen);
    free(text);
    return rc;
}
