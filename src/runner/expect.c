/* Rewriting the manifests' expectations from a run's results (`ceres test
 * --update-expectations`): a pass becomes "pass", a new failure becomes
 * "fail" with the result as its reason, a known failure keeps its reason. */
#include "runner.h"

#include <stdlib.h>
#include <string.h>

/* Reasons written into manifests name ROMs relative to the ROM root, so
 * they do not depend on where the ROMs are. */
static void strip_root(char *s, const char *root) {
    size_t rl = root ? strlen(root) : 0;
    if (!rl) return;
    char *p;
    while ((p = strstr(s, root)) != NULL) {
        size_t skip = rl + (p[rl] == '/');
        memmove(p, p + skip, strlen(p + skip) + 1);
    }
}

/* One manifest; returns the number of expectations changed, -1 on error. */
static long update_one(rn_manifest *mf, const rn_test *const *tests, const rn_result *res,
                       size_t ntests, const char *rom_root, char *err, size_t errlen) {
    size_t n = mf->ntests ? mf->ntests : 1;
    rn_expect *ex = calloc(n, sizeof *ex);
    const char **reasons = calloc(n, sizeof *reasons);
    char **owned = calloc(n, sizeof *owned);
    long changed = 0;
    if (!ex || !reasons || !owned) {
        snprintf(err, errlen, "%s: out of memory", mf->path);
        changed = -1;
        goto out;
    }
    for (size_t k = 0; k < mf->ntests; k++) {
        const rn_test *t = &mf->tests[k];
        ex[k] = t->expect;
        reasons[k] = t->reason;
        for (size_t i = 0; i < ntests; i++) {
            if (tests[i] != t) continue;
            if (res[i].status == RN_PASS) {
                ex[k] = RN_EXPECT_PASS;
                reasons[k] = NULL;
            } else if (t->expect != RN_EXPECT_FAIL) {
                ex[k] = RN_EXPECT_FAIL;
                size_t l = strlen(res[i].message) + 16;
                owned[k] = malloc(l);
                if (owned[k]) {
                    snprintf(owned[k], l, "%s: %s", rn_status_name(res[i].status), res[i].message);
                    strip_root(owned[k], rom_root);
                }
                reasons[k] = owned[k] ? owned[k] : "failed";
            }
            changed += ex[k] != t->expect;
        }
    }
    if (changed && rn_manifest_save(mf, mf->path, ex, reasons, err, errlen)) changed = -1;
out:
    for (size_t k = 0; owned && k < mf->ntests; k++)
        free(owned[k]);
    free(owned);
    free(reasons);
    free(ex);
    return changed;
}

int rn_update_expectations(rn_manifest *mans, size_t nmans, const rn_test *const *tests,
                           const rn_result *res, size_t ntests, const char *rom_root, FILE *out,
                           FILE *errs) {
    int rc = 0;
    for (size_t m = 0; m < nmans; m++) {
        char err[512];
        long changed = update_one(&mans[m], tests, res, ntests, rom_root, err, sizeof err);
        if (changed < 0) {
            fprintf(errs, "ceres test: %s\n", err);
            rc = -1;
        } else if (changed) {
            fprintf(out, "updated %s: %ld expectations changed\n", mans[m].path, changed);
        }
    }
    return rc;
}
