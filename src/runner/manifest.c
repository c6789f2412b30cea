/* Suite manifests: the test suites are data.
 *
 * Format, line based ('#' at the start of a line, after blanks, begins a
 * comment; blank lines are ignored; tokens are separated by blanks and may be
 * double-quoted, with \" and \\ escapes inside quotes):
 *
 *   suite NAME                          once, before the first test
 *   test ROM CHECK LIMIT MODEL EXPECT   one test
 *   input "SCRIPT"                      after a test: buttons to press, as in
 *                                       `ceres run --input` (e.g. "60:a*3, 75:start")
 *
 *   ROM     path relative to the ROM root (quoted if it holds blanks)
 *   CHECK   mooneye | blargg-serial | blargg-mem | sm83 |
 *           screenshot=FILE.png (relative to the ROM root) | mem=ADDR:PASS:FAIL |
 *           hex=GLYPHS.txt:DIGITS | audio0 | audio1 | frame=FILE.png (these
 *           four are judged once, on the first frame completed after LIMIT)
 *   LIMIT   emulated time limit: 120s (seconds), 600f (frames of 70224
 *           T-cycles), 5000000c (T-cycles); "-" only for sm83 (no limit)
 *   MODEL   dmg
 *   EXPECT  pass | fail "reason"   (a known failure, with the reason why)
 *
 * Parsing is strict: an unknown directive, a missing or extra column, a bad
 * value is an error naming the file and line. */
#include "runner.h"

#include "../gb/gb_events.h"
#include "../debug/trigger.h"
#include "../play/input.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- checks and limits --------------------------------------------------- */

static const char *const check_names[RN_CHECK_COUNT] = {
    [RN_CHECK_MOONEYE] = "mooneye",
    [RN_CHECK_BLARGG_SERIAL] = "blargg-serial",
    [RN_CHECK_BLARGG_MEM] = "blargg-mem",
    [RN_CHECK_SCREENSHOT] = "screenshot",
    [RN_CHECK_MEM] = "mem",
    [RN_CHECK_HEX] = "hex",
    [RN_CHECK_AUDIO0] = "audio0",
    [RN_CHECK_AUDIO1] = "audio1",
    [RN_CHECK_FRAME] = "frame",
    [RN_CHECK_SM83] = "sm83",
    [RN_CHECK_CUSTOM] = "custom",
};

static int parse_num(const char *s, const char **end, unsigned long max, unsigned long *out) {
    char *e;
    if (!isdigit((unsigned char)*s)) return -1;
    errno = 0;
    unsigned long v = strtoul(s, &e, 0);
    if (errno || v > max) return -1;
    *out = v;
    *end = e;
    return 0;
}

int rn_check_parse(const char *spec, rn_check *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    const char *eq = strchr(spec, '=');
    size_t klen = eq ? (size_t)(eq - spec) : strlen(spec);
    int kind = -1;
    for (int k = 0; k < RN_CHECK_CUSTOM; k++)
        if (strlen(check_names[k]) == klen && !strncmp(spec, check_names[k], klen)) kind = k;
    if (kind < 0) {
        ct_errf(err, errlen,
                "unknown check '%s' (mooneye, blargg-serial, blargg-mem, sm83, "
                "screenshot=FILE.png, mem=ADDR:PASS:FAIL, hex=GLYPHS.txt:DIGITS, audio0, "
                "audio1, frame=FILE.png)",
                spec);
        return -EINVAL;
    }
    c->kind = (rn_check_kind)kind;
    bool wants_arg = kind == RN_CHECK_SCREENSHOT || kind == RN_CHECK_MEM || kind == RN_CHECK_HEX ||
                     kind == RN_CHECK_FRAME;
    if (wants_arg != (eq != NULL) || (eq && !eq[1])) {
        ct_errf(err, errlen,
                wants_arg ? "check '%s' needs an argument (%s=...)"
                          : "check '%s' takes no argument (%s)",
                spec, check_names[kind]);
        return -EINVAL;
    }
    if (kind == RN_CHECK_SCREENSHOT || kind == RN_CHECK_FRAME) {
        c->ref = dup_str(eq + 1);
        if (!c->ref) return -ENOMEM;
    } else if (kind == RN_CHECK_HEX) {
        /* hex=GLYPHS:DIGITS, the digits after the last colon. */
        const char *colon = strrchr(eq + 1, ':');
        size_t nd = colon ? strlen(colon + 1) : 0;
        bool ok = colon && colon > eq + 1 && nd >= 1 && nd <= GB_LCD_W / 8;
        for (size_t i = 0; ok && i < nd; i++)
            ok = isxdigit((unsigned char)colon[1 + i]) != 0;
        if (!ok) {
            ct_errf(err, errlen,
                    "bad hex check '%s': want hex=GLYPHS.txt:DIGITS with 1 to 20 hex digits, "
                    "e.g. hex=gambatte/hexglyphs.txt:E0",
                    spec);
            return -EINVAL;
        }
        c->ref = malloc((size_t)(colon - eq));
        c->digits = dup_str(colon + 1);
        if (!c->ref || !c->digits) {
            rn_check_free(c);
            return -ENOMEM;
        }
        memcpy(c->ref, eq + 1, (size_t)(colon - eq - 1));
        c->ref[colon - eq - 1] = 0;
    } else if (kind == RN_CHECK_MEM) {
        const char *p = eq + 1;
        unsigned long a, pv, fv;
        if (parse_num(p, &p, 0xFFFF, &a) || *p++ != ':' || parse_num(p, &p, 0xFF, &pv) ||
            *p++ != ':' || parse_num(p, &p, 0xFF, &fv) || *p) {
            ct_errf(err, errlen, "bad mem check '%s': want mem=ADDR:PASS:FAIL, e.g. mem=0xA000:0:1",
                    spec);
            return -EINVAL;
        }
        if (pv == fv) {
            ct_errf(err, errlen, "bad mem check '%s': PASS and FAIL values are equal", spec);
            return -EINVAL;
        }
        c->addr = (uint16_t)a;
        c->pass_val = (uint8_t)pv;
        c->fail_val = (uint8_t)fv;
    }
    return 0;
}

const char *rn_check_format(const rn_check *c, char *buf, size_t len) {
    const char *name = c->kind < RN_CHECK_COUNT ? check_names[c->kind] : "?";
    if (c->kind == RN_CHECK_SCREENSHOT || c->kind == RN_CHECK_FRAME)
        snprintf(buf, len, "%s=%s", name, c->ref ? c->ref : "");
    else if (c->kind == RN_CHECK_HEX)
        snprintf(buf, len, "%s=%s:%s", name, c->ref ? c->ref : "", c->digits ? c->digits : "");
    else if (c->kind == RN_CHECK_MEM)
        snprintf(buf, len, "%s=0x%04X:0x%02X:0x%02X", name, c->addr, c->pass_val, c->fail_val);
    else
        snprintf(buf, len, "%s", name);
    return buf;
}

void rn_check_free(rn_check *c) {
    free(c->ref);
    free(c->digits);
    c->ref = NULL;
    c->digits = NULL;
}

int rn_limit_parse(const char *s, uint64_t *cycles, char *err, size_t errlen) {
    char *e;
    errno = 0;
    if (!isdigit((unsigned char)*s)) goto bad;
    double v = strtod(s, &e);
    if (errno || e == s || v <= 0) goto bad;
    double mul;
    if (!strcmp(e, "s"))
        mul = RN_CYCLES_PER_SEC;
    else if (!strcmp(e, "f"))
        mul = RN_CYCLES_PER_FRAME;
    else if (!strcmp(e, "c"))
        mul = 1;
    else
        goto bad;
    double c = v * mul;
    if (c < 1 || c > 1e15) goto bad; /* about 7.5 emulated years */
    *cycles = (uint64_t)c;
    return 0;
bad:
    ct_errf(err, errlen, "bad time limit '%s': want e.g. 20s, 600f or 5000000c", s);
    return -EINVAL;
}

/* ---- tokenizer ------------------------------------------------------------ */

#define MAX_TOKENS 8

typedef struct tok {
    char *text; /* unquoted, malloc'd */
    size_t col; /* byte offset in the line */
} tok;

static void free_tokens(tok *t, int n);

/* Split a line into tokens; returns the count, or -1 with a message and
 * nothing left allocated. */
static int tokenize_(const char *line, tok *t, int max, char *msg, size_t msglen) {
    int n = 0;
    size_t i = 0, len = strlen(line);
    for (;;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i >= len) break;
        if (n == max) {
            snprintf(msg, msglen, "too many columns");
            return -1;
        }
        char *out = malloc(len - i + 1);
        if (!out) {
            snprintf(msg, msglen, "out of memory");
            return -1;
        }
        size_t o = 0, start = i;
        if (line[i] == '"') {
            i++;
            bool closed = false;
            while (i < len) {
                char ch = line[i++];
                if (ch == '"') {
                    closed = true;
                    break;
                }
                if (ch == '\\') {
                    if (i >= len || (line[i] != '"' && line[i] != '\\')) {
                        free(out);
                        snprintf(msg, msglen, "bad escape in quoted string (only \\\" and \\\\)");
                        return -1;
                    }
                    ch = line[i++];
                }
                out[o++] = ch;
            }
            if (!closed) {
                free(out);
                snprintf(msg, msglen, "unterminated quoted string");
                return -1;
            }
            if (i < len && line[i] != ' ' && line[i] != '\t') {
                free(out);
                snprintf(msg, msglen, "text right after a closing quote");
                return -1;
            }
        } else {
            while (i < len && line[i] != ' ' && line[i] != '\t') {
                if (line[i] == '"') {
                    free(out);
                    snprintf(msg, msglen, "quote inside an unquoted token");
                    return -1;
                }
                out[o++] = line[i++];
            }
        }
        out[o] = 0;
        t[n].text = out;
        t[n].col = start;
        n++;
    }
    return n;
}

static void free_tokens(tok *t, int n) {
    for (int i = 0; i < n; i++)
        free(t[i].text);
}

static int tokenize(const char *line, tok *t, int max, char *msg, size_t msglen) {
    for (int i = 0; i < max; i++)
        t[i].text = NULL;
    int n = tokenize_(line, t, max, msg, msglen);
    if (n < 0) free_tokens(t, max);
    return n;
}

/* ---- manifests ------------------------------------------------------------ */

void rn_test_free(rn_test *t) {
    free(t->suite);
    free(t->rom);
    free(t->limit_text);
    free(t->reason);
    free(t->input);
    for (unsigned i = 0; i < t->ntrig; i++)
        free(t->trig[i].expr);
    rn_check_free(&t->check);
    memset(t, 0, sizeof *t);
}

void rn_manifest_free(rn_manifest *m) {
    for (size_t i = 0; i < m->ntests; i++)
        rn_test_free(&m->tests[i]);
    free(m->tests);
    for (size_t i = 0; i < m->nlines; i++)
        free(m->lines[i]);
    free(m->lines);
    free(m->expect_col);
    free(m->path);
    free(m->suite);
    memset(m, 0, sizeof *m);
}

static bool same_str(const char *a, const char *b) {
    return a == b || (a && b && !strcmp(a, b));
}

/* One ROM may be tested more than once with different checks (rtc3test's
 * sub-tests, each its own reference), never twice with the same one. */
static bool same_check(const rn_check *a, const rn_check *b) {
    return a->kind == b->kind && same_str(a->ref, b->ref) && same_str(a->digits, b->digits) &&
           a->addr == b->addr && a->pass_val == b->pass_val && a->fail_val == b->fail_val;
}

static bool valid_name(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_') return false;
    return true;
}

/* Parse one "test" line's tokens (after the directive) into t. */
static int parse_test(const rn_manifest *m, tok *tk, int n, rn_test *t, char *msg, size_t msglen) {
    if (n < 5) {
        snprintf(msg, msglen, "test needs ROM CHECK LIMIT MODEL EXPECT (%d of 5 columns)", n);
        return -1;
    }
    memset(t, 0, sizeof *t);
    if (!tk[0].text[0] || strstr(tk[0].text, "..") || tk[0].text[0] == '/') {
        snprintf(msg, msglen, "ROM '%s' must be a relative path inside the ROM root", tk[0].text);
        return -1;
    }
    if (rn_check_parse(tk[1].text, &t->check, msg, msglen)) return -1;
    if (t->check.ref && (strstr(t->check.ref, "..") || t->check.ref[0] == '/')) {
        snprintf(msg, msglen, "reference '%s' must be a relative path inside the ROM root",
                 t->check.ref);
        goto fail;
    }
    if (!strcmp(tk[2].text, "-")) {
        if (t->check.kind != RN_CHECK_SM83) {
            snprintf(msg, msglen, "limit '-' is only for sm83 checks; give e.g. 20s or 600f");
            goto fail;
        }
        t->limit_cycles = 0;
    } else if (rn_limit_parse(tk[2].text, &t->limit_cycles, msg, msglen)) {
        goto fail;
    }
    if (strcmp(tk[3].text, "dmg")) {
        snprintf(msg, msglen, "unknown model '%s' (dmg)", tk[3].text);
        goto fail;
    }
    t->model = GB_MODEL_DMG;
    if (!strcmp(tk[4].text, "pass")) {
        if (n != 5) {
            snprintf(msg, msglen, "extra text after 'pass'");
            goto fail;
        }
        t->expect = RN_EXPECT_PASS;
    } else if (!strcmp(tk[4].text, "fail")) {
        if (n != 6 || !tk[5].text[0]) {
            snprintf(msg, msglen,
                     n < 6 ? "'fail' needs a quoted reason: fail \"why\""
                           : (n > 6 ? "extra text after the reason" : "empty reason"));
            goto fail;
        }
        t->expect = RN_EXPECT_FAIL;
        t->reason = dup_str(tk[5].text);
    } else {
        snprintf(msg, msglen, "expectation must be 'pass' or 'fail \"reason\"', not '%s'",
                 tk[4].text);
        goto fail;
    }
    t->suite = dup_str(m->suite);
    t->rom = dup_str(tk[0].text);
    t->limit_text = dup_str(tk[2].text);
    if (!t->suite || !t->rom || !t->limit_text || (t->expect == RN_EXPECT_FAIL && !t->reason)) {
        snprintf(msg, msglen, "out of memory");
        rn_test_free(t);
        return -1;
    }
    return 0;
fail:
    rn_test_free(t);
    return -1;
}

/* "trigger ACTION \"EXPR\" [pre N | post N | post Nc]" after a test line:
 * shapes what that test's ring keeps. Snapshot actions are not offered
 * here: a passing test writes nothing. */
static int parse_trigger(rn_test *t, tok *tk, int n, char *msg, size_t msglen) {
    static const char *const names[] = {"start", "stop", "mark"};
    static const uint8_t acts[] = {GB_TRIG_START, GB_TRIG_STOP, GB_TRIG_MARK};
    if (n != 2 && n != 4) {
        snprintf(msg, msglen, "want 'trigger start|stop|mark \"EXPR\" [pre N | post N[c]]'");
        return -1;
    }
    if (t->ntrig == RN_MAX_TRIGGERS) {
        snprintf(msg, msglen, "at most %d triggers per test", RN_MAX_TRIGGERS);
        return -1;
    }
    struct rn_trigger *tr = &t->trig[t->ntrig];
    memset(tr, 0, sizeof *tr);
    size_t k = 0;
    while (k < 3 && strcmp(tk[0].text, names[k]))
        k++;
    if (k == 3) {
        snprintf(msg, msglen, "unknown trigger action '%s' (start, stop, mark)", tk[0].text);
        return -1;
    }
    tr->action = acts[k];
    gb_trigger parsed;
    if (gb_trig_parse(&parsed, tk[1].text, &gb_schema, msg, msglen)) return -1;
    if (n == 4) {
        const char *want = tr->action == GB_TRIG_START ? "pre" : "post";
        size_t l = strlen(tk[3].text);
        tr->cycles = tr->action == GB_TRIG_STOP && l > 1 && tk[3].text[l - 1] == 'c';
        char num[32];
        unsigned long v;
        const char *end;
        snprintf(num, sizeof num, "%.*s", (int)(l - tr->cycles), tk[3].text);
        if (tr->action == GB_TRIG_MARK || strcmp(tk[2].text, want) || l >= sizeof num ||
            parse_num(num, &end, ULONG_MAX, &v) || *end) {
            snprintf(msg, msglen, "after the expression: %s",
                     tr->action == GB_TRIG_START  ? "'pre N'"
                     : tr->action == GB_TRIG_STOP ? "'post N' or 'post Nc'"
                                                  : "nothing");
            return -1;
        }
        tr->arg = v;
    }
    tr->expr = dup_str(tk[1].text);
    if (!tr->expr) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    t->ntrig++;
    return 0;
}

int rn_manifest_parse(const char *text, const char *path, rn_manifest *m, char *err,
                      size_t errlen) {
    memset(m, 0, sizeof *m);
    m->path = dup_str(path ? path : "<manifest>");
    if (!m->path) return -ENOMEM;
    size_t cap_lines = 0, cap_tests = 0;
    const char *p = text;
    int lineno = 0;
    char msg[256];
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char *line = malloc(len + 1);
        if (!line) goto oom;
        memcpy(line, p, len);
        line[len] = 0;
        if (len && line[len - 1] == '\r') line[len - 1] = 0;
        p += len + (nl ? 1 : 0);
        if (m->nlines == cap_lines) {
            cap_lines = cap_lines ? cap_lines * 2 : 64;
            char **nlines = realloc(m->lines, cap_lines * sizeof *nlines);
            if (!nlines) {
                free(line);
                goto oom;
            }
            m->lines = nlines;
        }
        m->lines[m->nlines++] = line;
        for (const char *c = line; *c; c++)
            if ((unsigned char)*c < 0x20 && *c != '\t') {
                snprintf(msg, sizeof msg, "control character in line");
                goto bad;
            }
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#') continue;

        tok tk[MAX_TOKENS];
        int n = tokenize(line, tk, MAX_TOKENS, msg, sizeof msg);
        if (n < 0) goto bad;
        if (!strcmp(tk[0].text, "suite")) {
            if (m->suite) {
                snprintf(msg, sizeof msg, "second 'suite' line");
            } else if (n != 2 || !valid_name(tk[1].text)) {
                snprintf(msg, sizeof msg, "want 'suite NAME' (letters, digits, - and _)");
            } else {
                m->suite = dup_str(tk[1].text);
                free_tokens(tk, n);
                if (!m->suite) goto oom;
                continue;
            }
            free_tokens(tk, n);
            goto bad;
        }
        if (!strcmp(tk[0].text, "test")) {
            if (!m->suite) {
                snprintf(msg, sizeof msg, "'test' before the 'suite' line");
                free_tokens(tk, n);
                goto bad;
            }
            if (m->ntests == cap_tests) {
                cap_tests = cap_tests ? cap_tests * 2 : 64;
                rn_test *nt = realloc(m->tests, cap_tests * sizeof *nt);
                size_t *nc = realloc(m->expect_col, cap_tests * sizeof *nc);
                if (nt) m->tests = nt;
                if (nc) m->expect_col = nc;
                if (!nt || !nc) {
                    free_tokens(tk, n);
                    goto oom;
                }
            }
            rn_test *t = &m->tests[m->ntests];
            if (parse_test(m, tk + 1, n - 1, t, msg, sizeof msg)) {
                free_tokens(tk, n);
                goto bad;
            }
            t->line = lineno;
            for (size_t i = 0; i < m->ntests; i++)
                if (!strcmp(m->tests[i].rom, t->rom) && same_check(&m->tests[i].check, &t->check)) {
                    snprintf(msg, sizeof msg, "duplicate test '%s' (first on line %d)", t->rom,
                             m->tests[i].line);
                    rn_test_free(t);
                    free_tokens(tk, n);
                    goto bad;
                }
            m->expect_col[m->ntests] = tk[5].col;
            m->ntests++;
            free_tokens(tk, n);
            continue;
        }
        if (!strcmp(tk[0].text, "trigger")) {
            int rc = m->ntests
                         ? parse_trigger(&m->tests[m->ntests - 1], tk + 1, n - 1, msg, sizeof msg)
                         : (snprintf(msg, sizeof msg, "'trigger' before any 'test' line"), -1);
            free_tokens(tk, n);
            if (rc) goto bad;
            continue;
        }
        if (!strcmp(tk[0].text, "input")) {
            int rc = -1;
            pl_script sc;
            if (!m->ntests)
                snprintf(msg, sizeof msg, "'input' before any 'test' line");
            else if (n != 2)
                snprintf(msg, sizeof msg,
                         "want 'input \"SCRIPT\"', e.g. input \"60:a*3, 75:start\"");
            else if (m->tests[m->ntests - 1].input)
                snprintf(msg, sizeof msg, "one 'input' line per test");
            else if (pl_script_parse(&sc, tk[1].text, msg, sizeof msg) == 0) {
                pl_script_free(&sc);
                m->tests[m->ntests - 1].input = dup_str(tk[1].text);
                rc = m->tests[m->ntests - 1].input
                         ? 0
                         : (snprintf(msg, sizeof msg, "out of memory"), -1);
            }
            free_tokens(tk, n);
            if (rc) goto bad;
            continue;
        }
        snprintf(msg, sizeof msg, "unknown directive '%s' (suite, test, trigger, input)",
                 tk[0].text);
        free_tokens(tk, n);
        goto bad;
    }
    if (!m->suite) {
        lineno = 0;
        snprintf(msg, sizeof msg, "no 'suite NAME' line");
        goto bad;
    }
    return 0;
bad:
    ct_errf(err, errlen, "%s:%d: %s", m->path, lineno, msg);
    rn_manifest_free(m);
    return -EINVAL;
oom:
    ct_errf(err, errlen, "%s: out of memory", path ? path : "<manifest>");
    rn_manifest_free(m);
    return -ENOMEM;
}

int rn_manifest_load(const char *path, rn_manifest *m, char *err, size_t errlen) {
    uint8_t *data;
    size_t size;
    int rc = rn_read_file(path, &data, &size);
    if (rc) {
        ct_errf(err, errlen, "%s: %s", path, strerror(-rc));
        memset(m, 0, sizeof *m);
        return rc;
    }
    if (memchr(data, 0, size)) {
        ct_errf(err, errlen, "%s: not a text file (NUL byte)", path);
        free(data);
        memset(m, 0, sizeof *m);
        return -EINVAL;
    }
    rc = rn_manifest_parse((const char *)data, path, m, err, errlen);
    free(data);
    return rc;
}

/* Append a quoted string with escapes. */
static size_t put_quoted(char *out, const char *s) {
    size_t o = 0;
    out[o++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') out[o++] = '\\';
        /* Reasons are single-line. */
        out[o++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
    }
    out[o++] = '"';
    return o;
}

int rn_manifest_save(const rn_manifest *m, const char *path, const rn_expect *expect,
                     const char *const *reasons, char *err, size_t errlen) {
    size_t cap = 1;
    for (size_t i = 0; i < m->nlines; i++)
        cap += strlen(m->lines[i]) + 1;
    for (size_t i = 0; i < m->ntests; i++)
        cap += 16 + (reasons && reasons[i] ? 2 * strlen(reasons[i]) : 0);
    char *out = malloc(cap);
    if (!out) return -ENOMEM;
    size_t o = 0, ti = 0;
    for (size_t i = 0; i < m->nlines; i++) {
        const char *line = m->lines[i];
        if (ti < m->ntests && m->tests[ti].line == (int)i + 1) {
            size_t col = m->expect_col[ti];
            memcpy(out + o, line, col);
            o += col;
            if (expect[ti] == RN_EXPECT_PASS) {
                memcpy(out + o, "pass", 4);
                o += 4;
            } else {
                const char *r = reasons && reasons[ti] && reasons[ti][0] ? reasons[ti] : "fails";
                memcpy(out + o, "fail ", 5);
                o += 5;
                o += put_quoted(out + o, r);
            }
            ti++;
        } else {
            size_t l = strlen(line);
            memcpy(out + o, line, l);
            o += l;
        }
        out[o++] = '\n';
    }
    int rc = rn_write_file(path, out, o);
    free(out);
    if (rc) ct_errf(err, errlen, "%s: %s", path, strerror(-rc));
    return rc;
}

/* ---- suites: the manifests of a folder ------------------------------------ */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void rn_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int rn_suite_names(const char *dir, char ***names, size_t *n) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return -errno;
    struct dirent *e;
    size_t cap = 0;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= 6 || strcmp(e->d_name + l - 6, ".suite") || e->d_name[0] == '.') continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (!nn) {
                rc = -ENOMEM;
                break;
            }
            *names = nn;
        }
        char *s = malloc(l - 5);
        if (!s) {
            rc = -ENOMEM;
            break;
        }
        memcpy(s, e->d_name, l - 6);
        s[l - 6] = 0;
        (*names)[(*n)++] = s;
    }
    closedir(d);
    if (rc) {
        rn_names_free(*names, *n);
        *names = NULL;
        *n = 0;
        return rc;
    }
    if (*n) qsort(*names, *n, sizeof **names, cmp_str);
    return 0;
}

void rn_suites_free(rn_manifest *mans, size_t n) {
    for (size_t i = 0; mans && i < n; i++)
        rn_manifest_free(&mans[i]);
    free(mans);
}

int rn_suites_load(const char *dir, const char *names, rn_manifest **mans, size_t *nmans, char *err,
                   size_t errlen) {
    *mans = NULL;
    *nmans = 0;
    char **list = NULL;
    size_t nlist = 0;
    int rc = 0;
    if (names) {
        const char *p = names;
        while (*p) {
            size_t l = strcspn(p, ",");
            char *name = malloc(l + 1);
            char **nl = realloc(list, (nlist + 1) * sizeof *nl);
            if (nl) list = nl;
            if (!name || !nl) {
                free(name);
                rn_names_free(list, nlist);
                return -ENOMEM;
            }
            memcpy(name, p, l);
            name[l] = 0;
            list[nlist++] = name;
            if (!valid_name(name)) {
                ct_errf(err, errlen, "bad suite name '%s' (letters, digits, - and _)", name);
                rn_names_free(list, nlist);
                return -EINVAL;
            }
            p += l + (p[l] == ',');
        }
    } else {
        rc = rn_suite_names(dir, &list, &nlist);
        if (rc || !nlist) {
            ct_errf(err, errlen, "no suite manifests (*.suite) in %s%s%s", dir, rc ? ": " : "",
                    rc ? strerror(-rc) : "");
            return rc ? rc : -ENOENT;
        }
    }
    rn_manifest *m = calloc(nlist ? nlist : 1, sizeof *m);
    if (!m) {
        rn_names_free(list, nlist);
        return -ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < nlist && !rc; i++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s.suite", dir, list[i]) >= (int)sizeof path) {
            ct_errf(err, errlen, "%s: path too long", dir);
            rc = -ENAMETOOLONG;
            break;
        }
        rc = rn_manifest_load(path, &m[n], err, errlen);
        if (!rc) {
            n++;
        } else if (rc == -ENOENT) {
            /* Name the suites there are. */
            char **avail;
            size_t na;
            if (!rn_suite_names(dir, &avail, &na)) {
                size_t l = strlen(err);
                ct_errf(err + l, errlen - l, "; available suites:");
                for (size_t k = 0; k < na; k++) {
                    l = strlen(err);
                    ct_errf(err + l, errlen - l, " %s", avail[k]);
                }
                rn_names_free(avail, na);
            }
        }
    }
    rn_names_free(list, nlist);
    if (rc) {
        rn_suites_free(m, n);
        return rc;
    }
    *mans = m;
    *nmans = n;
    return 0;
}
