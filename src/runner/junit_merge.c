/* `ceres test --merge-junit OUT FILE...`: the JUnit files of N shards (or
 * any runs) as one: every <testsuite> element of each, under one
 * <testsuites> root whose tests / failures / errors / skipped counts are
 * the sums of the inputs' roots. The inputs are what rn_report_junit
 * writes (a <testsuites> root) or a single <testsuite> root. */
#include "runner.h"

#include <stdlib.h>
#include <string.h>

static const char *const counts[] = {"tests", "failures", "errors", "skipped"};
#define NCOUNTS 4

/* The value of attribute NAME in the start tag [tag, end), or 0. */
static unsigned long long attr(const char *tag, const char *end, const char *name) {
    size_t nl = strlen(name);
    for (const char *p = tag; p && p < end; p = strstr(p + 1, name)) {
        if (p + nl + 2 < end && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t') &&
            !strncmp(p, name, nl) && p[nl] == '=' && p[nl + 1] == '"')
            return strtoull(p + nl + 2, NULL, 10);
    }
    return 0;
}

static bool has_attr(const char *tag, const char *end, const char *name) {
    char want[32];
    snprintf(want, sizeof want, " %s=\"", name);
    const char *p = strstr(tag, want);
    return p && p < end;
}

int rn_junit_merge(const char *out, const char *const *in, size_t n, char *err, size_t errlen) {
    unsigned long long sum[NCOUNTS] = {0};
    bool present[NCOUNTS] = {true, true, false, false}; /* tests, failures always */
    char *body = NULL;
    size_t blen = 0;
    FILE *b = open_memstream(&body, &blen);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t *data = NULL;
        size_t size = 0;
        int e = rn_read_file(in[i], &data, &size);
        if (e) {
            snprintf(err, errlen, "%s: %s", in[i], strerror(-e));
            rc = -1;
            break;
        }
        char *text = realloc(data, size + 1);
        if (!text) {
            free(data);
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        text[size] = 0;
        char *root = strstr(text, "<testsuites");
        char *suite = strstr(text, "<testsuite");
        char *tag_end = root ? strchr(root, '>') : NULL;
        char *close = root ? strstr(root, "</testsuites>") : NULL;
        if (root && tag_end && (close || tag_end[-1] == '/')) {
            for (int k = 0; k < NCOUNTS; k++) {
                sum[k] += attr(root, tag_end, counts[k]);
                present[k] |= has_attr(root, tag_end, counts[k]);
            }
            if (close) fwrite(tag_end + 1, 1, (size_t)(close - tag_end - 1), b);
        } else if (suite && (tag_end = strchr(suite, '>')) != NULL &&
                   (close = strstr(suite, "</testsuite>")) != NULL) {
            for (int k = 0; k < NCOUNTS; k++) {
                sum[k] += attr(suite, tag_end, counts[k]);
                present[k] |= has_attr(suite, tag_end, counts[k]);
            }
            fputs("\n  ", b);
            fwrite(suite, 1, (size_t)(close - suite) + strlen("</testsuite>"), b);
            fputc('\n', b);
        } else {
            snprintf(err, errlen, "%s: not a JUnit XML report (no <testsuites> or <testsuite>)",
                     in[i]);
            rc = -1;
        }
        free(text);
    }
    if (fclose(b) != 0 && !rc) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (!rc) {
        char *doc = NULL;
        size_t dlen = 0;
        FILE *d = open_memstream(&doc, &dlen);
        if (d) {
            fprintf(d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ceres\"");
            for (int k = 0; k < NCOUNTS; k++)
                if (present[k]) fprintf(d, " %s=\"%llu\"", counts[k], sum[k]);
            fprintf(d, ">");
            fwrite(body, 1, blen, d);
            fprintf(d, "</testsuites>\n");
        }
        if (!d || fclose(d) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            int e = rn_write_file(out, doc, dlen);
            if (e) {
                snprintf(err, errlen, "%s: %s", out, strerror(-e));
                rc = -1;
            }
        }
        free(doc);
    }
    free(body);
    return rc;
}

unsigned rn_test_shard(const rn_test *t, unsigned n) {
    /* FNV-1a over "suite/rom". */
    uint64_t h = 1469598103934665603ull;
    const char *parts[3] = {t->suite ? t->suite : "adhoc", "/", t->rom ? t->rom : ""};
    for (int k = 0; k < 3; k++)
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
            h ^= *p;
            h *= 1099511628211ull;
        }
    return n ? (unsigned)(h % n) : 0;
}
