/* Filter specs, RUST_LOG style: "info,cpu=trace,ppu.mode=off". Parsed once
 * into the per-event enabled flags the trace points test. */
#include "ct_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

static int find_level(const char *s, size_t n) {
    for (int i = 0; i <= CT_LVL_TRACE; i++)
        if (strlen(level_names[i]) == n && !strncasecmp(s, level_names[i], n)) return i;
    return -1;
}

static bool name_eq(const char *name, const char *s, size_t n) {
    return strlen(name) == n && !strncmp(name, s, n);
}

static bool is_ident(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* "what 'tok' in filter:\n  SPEC\n  ^~~~" with the caret under [at, at+len). */
static void caret(char *err, size_t errlen, const char *spec, size_t at, size_t len,
                  const char *what) {
    if (!err || errlen == 0) return;
    size_t speclen = strlen(spec);
    if (len == 0) len = 1;
    int k = snprintf(err, errlen, "%s in trace filter:\n  %s\n  ", what, spec);
    for (size_t i = 0; k >= 0 && (size_t)k + 2 < errlen && i < at + len && i <= speclen; i++) {
        err[k++] = i < at ? ' ' : i == at ? '^' : '~';
        err[k] = '\0';
    }
}

int ct_filter_parse(const ct_schema *s, const char *spec, uint8_t *enabled, char *err,
                    size_t errlen) {
    int deflt = CT_LVL_OFF;
    int8_t ev_level[CT_MAX_EVENTS], tgt_level[CT_MAX_EVENTS];
    const uint32_t ne = s->nevents < CT_MAX_EVENTS ? s->nevents : CT_MAX_EVENTS;
    memset(ev_level, -1, sizeof ev_level);
    memset(tgt_level, -1, sizeof tgt_level);
    if (!spec) spec = "";
    char msg[128];

    const char *p = spec;
    while (*p == ' ')
        p++;
    if (*p == '\0') goto done; /* an empty spec records nothing */
    for (;;) {
        while (*p == ' ')
            p++;
        const char *a = p;
        while (is_ident(*p))
            p++;
        size_t alen = (size_t)(p - a);
        const char *b = NULL, *lv = NULL;
        size_t blen = 0, lvlen = 0;
        if (alen == 0) {
            if (*p == ',' || *p == '\0')
                caret(err, errlen, spec, (size_t)(a - spec), 1, "empty directive");
            else
                caret(err, errlen, spec, (size_t)(a - spec), 1, "unexpected character");
            return -EINVAL;
        }
        if (*p == '.') {
            b = ++p;
            while (is_ident(*p))
                p++;
            blen = (size_t)(p - b);
            if (blen == 0) {
                caret(err, errlen, spec, (size_t)(b - spec), 1, "missing event name");
                return -EINVAL;
            }
        }
        while (*p == ' ')
            p++;
        if (*p == '=') {
            p++;
            while (*p == ' ')
                p++;
            lv = p;
            while (is_ident(*p))
                p++;
            lvlen = (size_t)(p - lv);
        }
        while (*p == ' ')
            p++;
        if (*p != ',' && *p != '\0') {
            size_t at = (size_t)(p - spec);
            caret(err, errlen, spec, at, strcspn(p, ","), "trailing junk");
            return -EINVAL;
        }

        int level = CT_LVL_TRACE;
        if (lv) {
            level = find_level(lv, lvlen);
            if (level < 0) {
                snprintf(msg, sizeof msg,
                         "unknown level '%.*s' (error, warn, info, debug, "
                         "trace or off)",
                         (int)(lvlen > 40 ? 40 : lvlen), lv);
                caret(err, errlen, spec, (size_t)(lv - spec), lvlen, msg);
                return -EINVAL;
            }
        }
        if (!b && !lv && find_level(a, alen) >= 0) {
            deflt = find_level(a, alen); /* a bare level sets the default */
        } else {
            bool target_found = false, event_found = false;
            for (uint32_t i = 0; i < ne; i++) {
                if (!name_eq(s->events[i].target, a, alen)) continue;
                target_found = true;
                if (!b) {
                    tgt_level[i] = (int8_t)level;
                } else if (name_eq(s->events[i].name, b, blen)) {
                    ev_level[i] = (int8_t)level;
                    event_found = true;
                }
            }
            if (!target_found) {
                snprintf(msg, sizeof msg, "unknown target '%.*s'", (int)(alen > 40 ? 40 : alen), a);
                caret(err, errlen, spec, (size_t)(a - spec), alen, msg);
                return -EINVAL;
            }
            if (b && !event_found) {
                snprintf(msg, sizeof msg, "unknown event '%.*s.%.*s'", (int)(alen > 40 ? 40 : alen),
                         a, (int)(blen > 40 ? 40 : blen), b);
                caret(err, errlen, spec, (size_t)(b - spec), blen, msg);
                return -EINVAL;
            }
        }
        if (*p == '\0') break;
        p++; /* ',' */
    }
done:
    for (uint32_t i = 0; i < ne; i++) {
        int t = ev_level[i] >= 0 ? ev_level[i] : tgt_level[i] >= 0 ? tgt_level[i] : deflt;
        enabled[i] = (uint8_t)(t != CT_LVL_OFF && s->events[i].level <= t);
    }
    return 0;
}

int ct_filter_apply(ct_recorder *r, const char *spec, char *err, size_t errlen) {
    uint8_t en[CT_MAX_EVENTS] = {0};
    int rc = ct_filter_parse(r->schema, spec, en, err, errlen);
    if (rc) return rc;
    memcpy(r->flags, en, sizeof r->flags);
    ct_recorder_refresh(r);
    return 0;
}
