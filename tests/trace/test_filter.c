/* Filter specs: levels, targets, events, precedence, and bad specs with a
 * caret under the bad part. */
#include "check.h"
#include "test_schema.h"

#include <errno.h>
#include <string.h>

/* Enabled flags as a string of 0/1 in schema order:
 * exec(trace) read(trace) irq(debug) reti(debug) ly(debug) note(info) blob(warn). */
static const char *flags(const char *spec) {
    static char out[ts_ev_count + 1];
    uint8_t en[CT_MAX_EVENTS];
    char err[512];
    memset(en, 0xAA, sizeof en);
    if (ct_filter_parse(&ts_schema, spec, en, err, sizeof err) != 0) {
        fprintf(stderr, "unexpected error for '%s':\n%s\n", spec, err);
        return "error";
    }
    for (unsigned i = 0; i < ts_ev_count; i++)
        out[i] = en[i] == 1 ? '1' : en[i] == 0 ? '0' : '?';
    out[ts_ev_count] = 0;
    return out;
}

#define CHECK_FLAGS(spec, want)                                                                    \
    do {                                                                                           \
        const char *got_ = flags(spec);                                                            \
        if (strcmp(got_, want)) fprintf(stderr, "spec '%s': got %s want %s\n", spec, got_, want);  \
        CHECK(!strcmp(got_, want));                                                                \
    } while (0)

/* A bad spec: -EINVAL, the message names the problem, shows the spec and
 * puts a caret at column `col` of it. */
static void check_bad(const char *spec, const char *what, int col) {
    uint8_t en[CT_MAX_EVENTS];
    char err[512] = "";
    CHECK_EQ(ct_filter_parse(&ts_schema, spec, en, err, sizeof err), -EINVAL);
    CHECK(strstr(err, what) != NULL);
    const char *l2 = strchr(err, '\n');
    const char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
    CHECK(l2 && l3);
    if (!l2 || !l3) return;
    CHECK(!strncmp(l2 + 1, "  ", 2) && !strncmp(l2 + 3, spec, strlen(spec)));
    const char *caret = strchr(l3, '^');
    CHECK(caret != NULL);
    if (caret) CHECK_EQ(caret - (l3 + 3), col);
    if (strstr(err, what) == NULL || !caret || caret - (l3 + 3) != col)
        fprintf(stderr, "message for '%s':\n%s\n", spec, err);
}

int main(void) {
    CHECK_FLAGS("", "0000000");
    CHECK_FLAGS("off", "0000000");
    CHECK_FLAGS("warn", "0000001");
    CHECK_FLAGS("info", "0000011");
    CHECK_FLAGS("debug", "0011111");
    CHECK_FLAGS("trace", "1111111");
    CHECK_FLAGS("TRACE", "1111111");
    CHECK_FLAGS("cpu", "1011000"); /* a bare target: everything in it */
    CHECK_FLAGS("cpu=debug", "0011000");
    CHECK_FLAGS("info,cpu=trace", "1011011");
    CHECK_FLAGS("cpu.exec", "1000000");       /* a bare event: on whatever its level */
    CHECK_FLAGS("cpu.exec=debug", "0000000"); /* exec is a trace-level event */
    CHECK_FLAGS("trace,cpu=off", "0100111");
    CHECK_FLAGS("cpu=off,trace", "0100111");    /* targets beat the default */
    CHECK_FLAGS("cpu.exec,cpu=off", "1000000"); /* events beat targets, in any order */
    CHECK_FLAGS("cpu=off,cpu.exec", "1000000");
    CHECK_FLAGS("cpu=trace,cpu=info", "0000000"); /* later wins at equal specificity */
    CHECK_FLAGS(" info , mem = trace ", "0100011");
    CHECK_FLAGS("debug,mem.read=off,cpu.irq=off", "0001111");

    check_bad("info,cpux=trace", "unknown target 'cpux'", 5);
    check_bad("info,cpu=loud", "unknown level 'loud'", 9);
    check_bad("cpu.nope", "unknown event 'cpu.nope'", 4);
    check_bad("info,,cpu", "empty directive", 5);
    check_bad("info,", "empty directive", 5);
    check_bad(",info", "empty directive", 0);
    check_bad("info,cpu=trace junk", "trailing junk", 15);
    check_bad("cpu=trace=debug", "trailing junk", 9);
    check_bad("cpu.", "missing event name", 4);
    check_bad("info;cpu", "trailing junk", 4);
    check_bad("$", "unexpected character", 0);

    /* Random specs: accepted or refused with a message, never a crash (run
     * under ASan), and the error always fits the buffer. */
    static const char alphabet[] = "cpumemxtragwnofdbuglv.,= _-$";
    uint32_t seed = 99;
    unsigned accepted = 0;
    for (int round = 0; round < 20000; round++) {
        char spec[24], err[48];
        unsigned n = round % 23;
        for (unsigned i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            spec[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        spec[n] = 0;
        uint8_t en[CT_MAX_EVENTS];
        memset(err, 'x', sizeof err);
        int rc = ct_filter_parse(&ts_schema, spec, en, err, sizeof err);
        CHECK(rc == 0 || rc == -EINVAL);
        if (rc) CHECK(memchr(err, 0, sizeof err) != NULL);
        accepted += rc == 0;
    }
    printf("random specs accepted: %u/20000\n", accepted);

    /* ct_filter_apply keeps the old flags on error. */
    char err[256];
    ct_recorder *r = ct_recorder_create(&ts_schema, 1 << 20, 0, CT_OVERWRITE, err, sizeof err);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ(ct_filter_apply(r, "cpu.exec", err, sizeof err), 0);
        CHECK_EQ(ct_filter_apply(r, "bogus", err, sizeof err), -EINVAL);
        CHECK_EQ(r->flags[ts_ev_EXEC], 1);
        CHECK_EQ(r->flags[ts_ev_READ], 0);
        ct_recorder_destroy(r);
    }
    return test_result();
}
