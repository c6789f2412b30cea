/* Input scripts and input movies (see input.h). */
#include "input.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static const struct {
    const char *name;
    uint8_t bit;
} buttons[] = {
    {"a", GB_BTN_A},         {"b", GB_BTN_B},         {"select", GB_BTN_SELECT},
    {"start", GB_BTN_START}, {"right", GB_BTN_RIGHT}, {"left", GB_BTN_LEFT},
    {"up", GB_BTN_UP},       {"down", GB_BTN_DOWN},
};

uint8_t pl_button_parse(const char *s, size_t n) {
    for (size_t i = 0; i < sizeof buttons / sizeof *buttons; i++)
        if (strlen(buttons[i].name) == n && !strncasecmp(s, buttons[i].name, n))
            return buttons[i].bit;
    return 0;
}

const char *pl_buttons_format(uint8_t b, char *buf, size_t len) {
    size_t o = 0;
    if (len) buf[0] = 0;
    for (size_t i = 0; i < sizeof buttons / sizeof *buttons; i++)
        if (b & buttons[i].bit) {
            int n = snprintf(buf + o, len > o ? len - o : 0, "%s%s", o ? "+" : "", buttons[i].name);
            if (n > 0) o += (size_t)n;
        }
    if (!b) snprintf(buf, len, "none");
    return buf;
}

/* ---- scripts ------------------------------------------------------------------ */

static int add_ev(pl_script *s, uint64_t frame, uint8_t press, uint8_t release) {
    if (s->n == PL_SCRIPT_MAX) return -E2BIG;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        pl_input_ev *e = realloc(s->ev, cap * sizeof *e);
        if (!e) return -ENOMEM;
        s->ev = e;
        s->cap = cap;
    }
    s->ev[s->n] = (pl_input_ev){frame, press, release, (uint32_t)s->n};
    s->n++;
    return 0;
}

static int ev_cmp(const void *a, const void *b) {
    const pl_input_ev *x = a, *y = b;
    if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int script_fail(const char *text, const char *at, char *err, size_t errlen,
                       const char *what) {
    /* Show the item: from the start of its line to the next separator. */
    const char *ls = at;
    while (ls > text && ls[-1] != '\n')
        ls--;
    unsigned line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    int len = 0;
    while (at[len] && at[len] != ',' && !isspace((unsigned char)at[len]) && len < 60)
        len++;
    snprintf(err, errlen, "input script, line %u, at '%.*s': %s", line, len, at, what);
    return -EINVAL;
}

int pl_script_parse(pl_script *s, const char *text, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    const char *p = text;
    int rc = 0;
    /* Events keep the order they were scheduled in, ties broken by it:
     * at one frame, an earlier item's release comes before a later item's
     * press. */
    for (;;) {
        while (*p == ',' || isspace((unsigned char)*p) || *p == '#') {
            if (*p == '#')
                while (*p && *p != '\n')
                    p++;
            else
                p++;
        }
        if (!*p) break;
        const char *item = p;
        if (!isdigit((unsigned char)*p)) {
            rc = script_fail(text, item, err, errlen, "expected FRAME:ACTION, e.g. 60:start");
            goto fail;
        }
        errno = 0;
        char *e;
        unsigned long long frame = strtoull(p, &e, 10);
        if (errno || frame > (1ull << 40)) {
            rc = script_fail(text, item, err, errlen, "frame number too large");
            goto fail;
        }
        p = e;
        if (*p != ':') {
            rc = script_fail(text, item, err, errlen, "expected ':' after the frame number");
            goto fail;
        }
        p++;
        char mode = 0;
        if (*p == '+' || *p == '-') mode = *p++;
        uint8_t set = 0;
        bool none = false;
        for (;;) {
            const char *w = p;
            while (isalpha((unsigned char)*p))
                p++;
            size_t n = (size_t)(p - w);
            uint8_t b = pl_button_parse(w, n);
            if (!b && n == 4 && !strncasecmp(w, "none", 4) && !mode && !set) {
                none = true;
                break;
            }
            if (!b) {
                rc = script_fail(text, item, err, errlen,
                                 "unknown button (a, b, start, select, up, down, left, right, "
                                 "none)");
                goto fail;
            }
            set |= b;
            if (*p != '+') break;
            p++;
        }
        uint64_t hold = PL_TAP_FRAMES;
        if (*p == '*') {
            if (mode || none) {
                rc = script_fail(text, item, err, errlen, "*N goes with a tap, not with + - none");
                goto fail;
            }
            p++;
            errno = 0;
            unsigned long long n = isdigit((unsigned char)*p) ? strtoull(p, &e, 10) : 0;
            if (!n || errno || n > (1ull << 40)) {
                rc = script_fail(text, item, err, errlen, "*N wants a positive frame count");
                goto fail;
            }
            p = e;
            hold = n;
        }
        if (*p && *p != ',' && *p != '#' && !isspace((unsigned char)*p)) {
            rc = script_fail(text, item, err, errlen, "unexpected character");
            goto fail;
        }
        if (none)
            rc = add_ev(s, frame, 0, 0xFF);
        else if (mode == '+')
            rc = add_ev(s, frame, set, 0);
        else if (mode == '-')
            rc = add_ev(s, frame, 0, set);
        else {
            rc = add_ev(s, frame, set, 0);
            if (!rc) rc = add_ev(s, frame + hold, 0, set);
        }
        if (rc) {
            snprintf(err, errlen, "input script: %s",
                     rc == -E2BIG ? "too many items" : strerror(-rc));
            goto fail;
        }
    }
    if (s->n) qsort(s->ev, s->n, sizeof *s->ev, ev_cmp);
    return 0;
fail:
    pl_script_free(s);
    return rc;
}

void pl_script_free(pl_script *s) {
    free(s->ev);
    memset(s, 0, sizeof *s);
}

uint8_t pl_script_buttons(pl_script *s, uint64_t frame) {
    if (s->next && s->ev[s->next - 1].frame > frame) {
        s->next = 0;
        s->state = 0;
    }
    while (s->next < s->n && s->ev[s->next].frame <= frame) {
        const pl_input_ev *e = &s->ev[s->next++];
        s->state = (uint8_t)((s->state & ~e->release) | e->press);
    }
    return s->state;
}

uint64_t pl_script_end(const pl_script *s) {
    return s->n ? s->ev[s->n - 1].frame + 1 : 0;
}

/* ---- movies -------------------------------------------------------------------
 * Layout, little-endian:
 *   0  "CRSMOVIE"          magic
 *   8  u16 1               format version
 *   10 u16 0               reserved
 *   12 u32 hash_every      frames between frame-buffer hashes (>= 1)
 *   16 u32 rom_crc         CRC-32 of the ROM image
 *   20 u16 global_sum      the ROM header's global checksum ($014E-$014F, big-endian there)
 *   22 char title[16]      the ROM header's title ($0134-$0143), NUL-padded
 *   38 char version[16]    the Ceres version that recorded it, NUL-padded
 *   54 u64 nframes
 *   62 u64 nhashes         always nframes / hash_every
 *   70 u32 runs_bytes      size of the run list that follows
 *   74 runs                (u8 buttons, LEB128 count >= 1)..., counts add up to nframes
 *   .. u64 hashes[nhashes] FNV-1a 64 of the 160x144 shades
 *   .. u32 crc             CRC-32 of every byte before it */

#define MOVIE_MAGIC   "CRSMOVIE"
#define MOVIE_VERSION 1
#define MOVIE_HEADER  74

static uint32_t crc(const uint8_t *p, size_t n) {
    uLong c = crc32(0L, Z_NULL, 0);
    while (n) {
        uInt k = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

uint64_t pl_frame_hash(const uint8_t *fb) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < (size_t)GB_LCD_W * GB_LCD_H; i++) {
        h ^= fb[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void rom_ident(const uint8_t *rom, size_t size, uint32_t *crc_out, uint16_t *gsum,
                      char title[17]) {
    *crc_out = crc(rom, size);
    *gsum = size >= 0x150 ? (uint16_t)(rom[0x14E] << 8 | rom[0x14F]) : 0;
    memset(title, 0, 17);
    for (unsigned i = 0; i < 16 && 0x134u + i < size; i++) {
        uint8_t c = rom[0x134 + i];
        if (!c) break;
        title[i] = (char)(c >= 0x20 && c < 0x7F ? c : '?');
    }
}

void pl_movie_init(pl_movie *m, const uint8_t *rom, size_t size, uint32_t hash_every) {
    memset(m, 0, sizeof *m);
    rom_ident(rom, size, &m->rom_crc, &m->rom_global_sum, m->title);
    snprintf(m->version, sizeof m->version, "%s", CERES_VERSION);
    m->hash_every = hash_every ? hash_every : PL_MOVIE_HASH_EVERY;
}

void pl_movie_free(pl_movie *m) {
    free(m->buttons);
    free(m->hashes);
    memset(m, 0, sizeof *m);
}

int pl_movie_add(pl_movie *m, uint8_t b, const uint8_t *fb) {
    if (m->nframes == m->cap) {
        uint64_t cap = m->cap ? m->cap * 2 : 4096;
        uint8_t *n = realloc(m->buttons, cap);
        if (!n) return -ENOMEM;
        m->buttons = n;
        m->cap = cap;
    }
    m->buttons[m->nframes++] = b;
    if (m->nframes % m->hash_every == 0) {
        if (m->nhashes == m->hcap) {
            uint64_t cap = m->hcap ? m->hcap * 2 : 256;
            uint64_t *n = realloc(m->hashes, cap * sizeof *n);
            if (!n) return -ENOMEM;
            m->hashes = n;
            m->hcap = cap;
        }
        m->hashes[m->nhashes++] = pl_frame_hash(fb);
    }
    return 0;
}

static uint8_t *put(uint8_t *p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint64_t get(const uint8_t *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int pl_movie_encode(const pl_movie *m, uint8_t **out, size_t *len) {
    /* Worst case: every frame its own run of 1 (2 bytes). */
    size_t cap = MOVIE_HEADER + 2 * m->nframes + 8 * m->nhashes + 4;
    uint8_t *buf = malloc(cap), *p = buf + MOVIE_HEADER;
    if (!buf) return -ENOMEM;
    for (uint64_t i = 0; i < m->nframes;) {
        uint64_t j = i + 1;
        while (j < m->nframes && m->buttons[j] == m->buttons[i])
            j++;
        *p++ = m->buttons[i];
        for (uint64_t n = j - i;; n >>= 7) {
            *p++ = (uint8_t)((n & 0x7F) | (n > 0x7F ? 0x80 : 0));
            if (n <= 0x7F) break;
        }
        i = j;
    }
    size_t runs = (size_t)(p - buf) - MOVIE_HEADER;
    for (uint64_t k = 0; k < m->nhashes; k++)
        p = put(p, m->hashes[k], 8);
    uint8_t *h = buf;
    memcpy(h, MOVIE_MAGIC, 8);
    h = put(h + 8, MOVIE_VERSION, 2);
    h = put(h, 0, 2);
    h = put(h, m->hash_every, 4);
    h = put(h, m->rom_crc, 4);
    h = put(h, m->rom_global_sum, 2);
    memset(h, 0, 32);
    memcpy(h, m->title, strnlen(m->title, 16));
    memcpy(h + 16, m->version, strnlen(m->version, 16));
    h = put(h + 32, m->nframes, 8);
    h = put(h, m->nhashes, 8);
    put(h, runs, 4);
    p = put(p, crc(buf, (size_t)(p - buf)), 4);
    *out = buf;
    *len = (size_t)(p - buf);
    return 0;
}

#define MFAIL(...)                                                                                 \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        pl_movie_free(m);                                                                          \
        return -EINVAL;                                                                            \
    } while (0)

int pl_movie_decode(pl_movie *m, const uint8_t *d, size_t len, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    if (len < 8 || memcmp(d, MOVIE_MAGIC, 8)) MFAIL("not a Ceres input movie (no CRSMOVIE header)");
    if (len < MOVIE_HEADER + 4) MFAIL("truncated input movie (%zu bytes, header incomplete)", len);
    unsigned ver = (unsigned)get(d + 8, 2);
    if (ver != MOVIE_VERSION)
        MFAIL("input movie format version %u (this Ceres reads %d)", ver, MOVIE_VERSION);
    m->hash_every = (uint32_t)get(d + 12, 4);
    m->rom_crc = (uint32_t)get(d + 16, 4);
    m->rom_global_sum = (uint16_t)get(d + 20, 2);
    memcpy(m->title, d + 22, 16);
    memcpy(m->version, d + 38, 16);
    m->nframes = get(d + 54, 8);
    m->nhashes = get(d + 62, 8);
    uint64_t runs = get(d + 70, 4);
    if (!m->hash_every) MFAIL("corrupt input movie: hash interval 0");
    if (m->nframes > (1ull << 40) || m->nhashes != m->nframes / m->hash_every)
        MFAIL("corrupt input movie: %llu frames but %llu hashes every %u frames",
              (unsigned long long)m->nframes, (unsigned long long)m->nhashes, m->hash_every);
    uint64_t need = MOVIE_HEADER + runs + 8 * m->nhashes + 4;
    if (len < need)
        MFAIL("truncated input movie: %zu bytes, the header announces %llu", len,
              (unsigned long long)need);
    if (len > need) MFAIL("corrupt input movie: %zu bytes after the end", (size_t)(len - need));
    if (crc(d, len - 4) != (uint32_t)get(d + len - 4, 4))
        MFAIL("corrupt input movie: checksum mismatch");
    m->cap = m->nframes ? m->nframes : 1;
    m->hcap = m->nhashes ? m->nhashes : 1;
    m->buttons = malloc(m->cap);
    m->hashes = malloc(m->hcap * 8);
    if (!m->buttons || !m->hashes) MFAIL("out of memory");
    const uint8_t *p = d + MOVIE_HEADER, *end = p + runs;
    uint64_t f = 0;
    while (p < end) {
        uint8_t b = *p++;
        uint64_t n = 0;
        for (int shift = 0;; shift += 7) {
            if (p == end || shift > 42)
                MFAIL("corrupt input movie: bad run at byte %zu", (size_t)(p - d));
            n |= (uint64_t)(*p & 0x7F) << shift;
            if (!(*p++ & 0x80)) break;
        }
        if (!n || n > m->nframes - f)
            MFAIL("corrupt input movie: runs do not add up to %llu frames",
                  (unsigned long long)m->nframes);
        memset(m->buttons + f, b, n);
        f += n;
    }
    if (f != m->nframes)
        MFAIL("corrupt input movie: runs cover %llu of %llu frames", (unsigned long long)f,
              (unsigned long long)m->nframes);
    for (uint64_t k = 0; k < m->nhashes; k++)
        m->hashes[k] = get(end + 8 * k, 8);
    return 0;
}

int pl_movie_save(const pl_movie *m, const char *path, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    int e = pl_movie_encode(m, &buf, &len);
    if (!e) {
        e = pl_write_atomic(path, buf, len);
        free(buf);
    }
    if (e) snprintf(err, errlen, "%s: %s", path, strerror(-e));
    return e;
}

int pl_movie_load(pl_movie *m, const char *path, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return e;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *d = malloc(cap);
    for (;;) {
        if (!d) break;
        len += fread(d + len, 1, cap - len, f);
        if (len < cap) break;
        if (cap >= (1u << 30)) {
            free(d);
            fclose(f);
            snprintf(err, errlen, "%s: larger than 1 GiB, not an input movie", path);
            return -EFBIG;
        }
        uint8_t *n = realloc(d, cap *= 2);
        if (!n) {
            free(d);
            d = NULL;
        } else
            d = n;
    }
    int bad = ferror(f);
    fclose(f);
    if (!d || bad) {
        free(d);
        snprintf(err, errlen, "%s: %s", path, d ? "read error" : "out of memory");
        return d ? -EIO : -ENOMEM;
    }
    char sub[400];
    int e = pl_movie_decode(m, d, len, sub, sizeof sub);
    free(d);
    if (e) snprintf(err, errlen, "%s: %s", path, sub);
    return e;
}

int pl_movie_check_rom(const pl_movie *m, const uint8_t *rom, size_t size, char *err,
                       size_t errlen) {
    uint32_t c;
    uint16_t g;
    char title[17];
    rom_ident(rom, size, &c, &g, title);
    if (c == m->rom_crc) return 0;
    snprintf(err, errlen,
             "the input movie was recorded on another ROM: '%s' (CRC-32 %08X, checksum %04X), "
             "this is '%s' (CRC-32 %08X, checksum %04X)",
             m->title, m->rom_crc, m->rom_global_sum, title, c, g);
    return -EINVAL;
}

uint8_t pl_replay_buttons(const pl_movie *m, uint64_t frame) {
    return frame < m->nframes ? m->buttons[frame] : 0;
}

int pl_replay_check(pl_replay *r, uint64_t done, const uint8_t *fb, uint64_t *expected,
                    uint64_t *got) {
    const pl_movie *m = r->m;
    if (r->desynced || !done || done % m->hash_every) return 0;
    uint64_t k = done / m->hash_every - 1;
    if (k >= m->nhashes) return 0;
    uint64_t h = pl_frame_hash(fb);
    if (h == m->hashes[k]) return 0;
    r->desynced = true;
    r->desync_frame = done;
    if (expected) *expected = m->hashes[k];
    if (got) *got = h;
    return 1;
}
