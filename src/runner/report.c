/* Reports: the per-suite table, the closing line and JUnit XML. */
#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef CERES_COMMIT
#include <ceres_commit.h> /* generated in the build folder: CERES_COMMIT */
#endif

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

/* Length of the valid UTF-8 sequence at s (1..4) for a character XML 1.0
 * allows, or 0: overlong forms, surrogates, U+FFFE/U+FFFF and code points
 * past U+10FFFF are invalid. */
static size_t utf8_char(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4) return 0;
    uint32_t cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF)
        return 0;
    return n;
}

void rn_xml_escape(const char *s, char *buf, size_t len) {
    size_t o = 0;
    if (!len) return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const char *rep = NULL;
        size_t take = 1, rl;
        switch (*p) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\n': rep = "&#10;"; break;
        case '\t': rep = "&#9;"; break;
        default:
            if (*p < 0x20 || *p == 0x7F) {
                /* XML 1.0 forbids most control characters even as
                 * references: shown as U+FFFD. */
                rep = "\xEF\xBF\xBD";
            } else {
                take = utf8_char(p);
                if (!take) { /* not UTF-8: one replacement per bad byte */
                    take = 1;
                    rep = "\xEF\xBF\xBD";
                }
            }
        }
        rl = rep ? strlen(rep) : take;
        if (o + rl + 1 > len) break;
        memcpy(buf + o, rep ? rep : (const char *)p, rl);
        o += rl;
        p += take;
    }
    buf[o] = 0;
}

/* When and how this run was made, for the reports' headers. */
static struct {
    time_t start;
    char command[2048];
} run_info;

/* Append a word to the command, shell-quoted when it needs it. */
static size_t put_word(char *buf, size_t o, size_t len, const char *w) {
    bool plain = *w != 0;
    for (const char *p = w; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:+-@%", *p))
            plain = false;
    if (o && o + 1 < len) buf[o++] = ' ';
    if (!plain && o + 1 < len) buf[o++] = '\'';
    for (const char *p = w; *p && o + 4 < len; p++) {
        if (*p == '\'') {
            memcpy(buf + o, "'\\''", 4);
            o += 4;
        } else {
            buf[o++] = *p;
        }
    }
    if (!plain && o + 1 < len) buf[o++] = '\'';
    buf[o] = 0;
    return o;
}

void rn_report_set_run(time_t start, int argc, char **argv) {
    run_info.start = start;
    size_t o = put_word(run_info.command, 0, sizeof run_info.command, "ceres");
    for (int i = 0; i < argc; i++)
        o = put_word(run_info.command, o, sizeof run_info.command, argv[i]);
}

void rn_report_when(char *buf, size_t len) {
    time_t t = run_info.start ? run_info.start : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *rn_report_command(void) {
    return run_info.command;
}

const char *rn_report_commit(void) {
    return CERES_COMMIT;
}

/* How a result shows in JUnit: nothing (a pass as expected), <skipped> (a
 * known failure, as the manifest expects), <failure> (a regression or an
 * unexpected pass), <error> (crash, hang, not run). */
typedef enum { J_PASS, J_SKIPPED, J_FAILURE, J_ERROR } jkind;

static jkind junit_kind(const rn_test *t, const rn_result *r) {
    bool expected = rn_result_expected(t, r);
    if (r->status == RN_PASS) return expected ? J_PASS : J_FAILURE;
    if (t->expect == RN_EXPECT_FAIL && expected) return J_SKIPPED;
    return r->status >= RN_CRASH ? J_ERROR : J_FAILURE;
}

int rn_report_junit(const char *path, const rn_test *const *tests, const rn_result *res, size_t n) {
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f) return -errno;
    rn_tally tl[64];
    size_t ns = rn_tally_results(tests, res, n, tl, 64);
    unsigned cnt[4] = {0};
    double total_time = 0;
    for (size_t i = 0; i < n; i++) {
        cnt[junit_kind(tests[i], &res[i])]++;
        total_time += res[i].wall_seconds;
    }
    char when[32], host[256] = "", hostx[800];
    rn_report_when(when, sizeof when);
    if (gethostname(host, sizeof host - 1) != 0) snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = 0;
    rn_xml_escape(host, hostx, sizeof hostx);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites name=\"ceres\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" "
            "skipped=\"%u\" time=\"%.3f\" timestamp=\"%s\">\n",
            n, cnt[J_FAILURE], cnt[J_ERROR], cnt[J_SKIPPED], total_time, when);
    char a[2048], b[4096], c[8192];
    for (size_t s = 0; s < ns; s++) {
        double time = 0;
        unsigned k[4] = {0};
        for (size_t i = 0; i < n; i++) {
            if (strcmp(tests[i]->suite ? tests[i]->suite : "adhoc", tl[s].suite)) continue;
            time += res[i].wall_seconds;
            k[junit_kind(tests[i], &res[i])]++;
        }
        rn_xml_escape(tl[s].suite, a, sizeof a);
        fprintf(f,
                "  <testsuite name=\"%s\" tests=\"%u\" failures=\"%u\" errors=\"%u\" "
                "skipped=\"%u\" time=\"%.3f\" timestamp=\"%s\" hostname=\"%s\">\n",
                a, tl[s].total, k[J_FAILURE], k[J_ERROR], k[J_SKIPPED], time, when, hostx);
        for (size_t i = 0; i < n; i++) {
            const rn_test *t = tests[i];
            const rn_result *r = &res[i];
            if (strcmp(t->suite ? t->suite : "adhoc", tl[s].suite)) continue;
            rn_xml_escape(t->rom, b, sizeof b);
            fprintf(f, "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"", a, b,
                    r->wall_seconds);
            jkind kind = junit_kind(t, r);
            if (kind == J_PASS) {
                fprintf(f, "/>\n");
                continue;
            }
            fprintf(f, ">\n");
            char msg[RN_MSG_MAX + 1200];
            if (kind == J_SKIPPED) {
                snprintf(msg, sizeof msg, "known failure: %s (%s: %s)", t->reason ? t->reason : "",
                         rn_status_name(r->status), r->message);
                rn_xml_escape(msg, c, sizeof c);
                fprintf(f, "      <skipped message=\"%s\"/>\n    </testcase>\n", c);
                continue;
            }
            if (r->status == RN_PASS)
                snprintf(msg, sizeof msg, "unexpected pass (manifest expects: fail \"%s\")",
                         t->reason ? t->reason : "");
            else
                snprintf(msg, sizeof msg, "%s: %s", rn_status_name(r->status), r->message);
            rn_xml_escape(msg, c, sizeof c);
            const char *elem = kind == J_ERROR ? "error" : "failure";
            const char *type = r->status == RN_PASS ? "unexpected-pass" : rn_status_name(r->status);
            fprintf(f, "      <%s message=\"%s\" type=\"%s\">", elem, c, type);
            snprintf(msg, sizeof msg, "cycles=%llu frames=%llu PC=%04X%s%s%s%s",
                     (unsigned long long)r->cycles, (unsigned long long)r->frames, r->regs.pc,
                     r->serial_len ? " serial: " : "", r->serial_len ? r->serial : "",
                     r->lost ? "\nnot written: " : "", r->lost ? r->lost_what : "");
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
