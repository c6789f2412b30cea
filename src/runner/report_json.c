/* `ceres test --json FILE`: the results as one JSON document (cJSON), for
 * scripts and CI: every test and the totals. "-" writes to stdout. */
#include "runner.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

static const char *expectation(const rn_test *t, const rn_result *r) {
    if (rn_result_expected(t, r)) return r->status == RN_PASS ? "pass" : "known failure";
    if (t->line == 0) return "fail"; /* command-line ROMs have no manifest entry */
    return r->status == RN_PASS ? "unexpected pass" : "regression";
}

int rn_report_json(const char *path, const rn_test *const *tests, const rn_result *res, size_t n,
                   const rn_opts *o) {
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "tests");
    size_t passed = 0, unexpected = 0;
    for (size_t i = 0; i < n; i++) {
        const rn_test *t = tests[i];
        const rn_result *r = &res[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "suite", t->suite ? t->suite : "adhoc");
        cJSON_AddStringToObject(j, "rom", t->rom);
        cJSON_AddStringToObject(j, "status", rn_status_name(r->status));
        cJSON_AddStringToObject(j, "expect", t->expect == RN_EXPECT_PASS ? "pass" : "fail");
        if (t->reason) cJSON_AddStringToObject(j, "reason", t->reason);
        cJSON_AddBoolToObject(j, "as_expected", rn_result_expected(t, r));
        cJSON_AddStringToObject(j, "result", expectation(t, r));
        cJSON_AddStringToObject(j, "message", r->message);
        cJSON_AddNumberToObject(j, "cycles", (double)r->cycles);
        cJSON_AddNumberToObject(j, "frames", (double)r->frames);
        cJSON_AddNumberToObject(j, "wall_seconds", r->wall_seconds);
        if (r->serial_len) cJSON_AddStringToObject(j, "serial", r->serial);
        if (r->artifacts && o) {
            char dir[4200];
            rn_failure_dir(o, t, dir, sizeof dir);
            cJSON_AddStringToObject(j, "failure_dir", dir);
        }
        cJSON_AddItemToArray(arr, j);
        passed += r->status == RN_PASS;
        unexpected += !rn_result_expected(t, r);
    }
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(sum, "tests", (double)n);
    cJSON_AddNumberToObject(sum, "passed", (double)passed);
    cJSON_AddNumberToObject(sum, "failed", (double)(n - passed));
    cJSON_AddNumberToObject(sum, "unexpected", (double)unexpected);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return -ENOMEM;
    int e = 0;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the terminator: written by length */
    if (!strcmp(path, "-")) {
        if (fwrite(text, 1, len + 1, stdout) != len + 1 || fflush(stdout)) e = -EIO;
    } else {
        e = rn_write_file(path, text, len + 1);
    }
    cJSON_free(text);
    return e;
}
