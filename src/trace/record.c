/* The recorder's set-up and its checked record path (window gate, record
 * bound, hooks): freestanding, like ring.c. No libc: this file is compiled
 * with -ffreestanding -nostdlib by the recorder_freestanding test, which
 * fails if it references any symbol. */
#include "ct.h"

void ct_recorder_init(ct_recorder *r, const ct_schema *schema, void *mem, uint64_t capacity_words,
                      ct_mode mode, uint64_t max_events) {
    ct_ring_init(&r->ring, mem, capacity_words, mode, max_events);
    r->schema = schema;
    for (unsigned i = 0; i < CT_MAX_EVENTS; i++)
        r->flags[i] = 0;
    r->nhooks = 0;
    r->stop_after = 0;
    r->rec_lo = 0;
    r->rec_span = ~(uint64_t)0;
    r->strings = 0;
    r->nstrings = 0;
    r->strings_cap = 0;
    r->rings[0] = &r->ring;
    for (unsigned k = 1; k < CT_MAX_RINGS; k++)
        r->rings[k] = &r->more[k - 1];
    r->nrings = 1;
    for (unsigned i = 0; i < CT_MAX_EVENTS; i++)
        r->ring_of[i] = 0;
}

int ct_recorder_add_ring(ct_recorder *r, void *mem, uint64_t capacity_words) {
    if (r->nrings >= CT_MAX_RINGS) return -1;
    ct_ring_init(r->rings[r->nrings], mem, capacity_words, (ct_mode)r->ring.mode, 0);
    return (int)r->nrings++;
}

void ct_recorder_set_ring(ct_recorder *r, uint16_t id, unsigned k) {
    if (id < CT_MAX_EVENTS && k < r->nrings) r->ring_of[id] = (uint8_t)k;
    ct_recorder_refresh(r);
}

void ct_recorder_refresh(ct_recorder *r) {
    for (unsigned i = 0; i < CT_MAX_EVENTS; i++)
        if (r->flags[i]) r->flags[i] = (uint8_t)ct_recorder_flag_of(r, (uint16_t)i);
}

int ct_recorder_add_hook(ct_recorder *r, ct_hook_fn fn, void *ctx) {
    if (r->nhooks >= CT_MAX_HOOKS) return -1;
    r->hooks[r->nhooks].fn = fn;
    r->hooks[r->nhooks].ctx = ctx;
    r->nhooks++;
    ct_recorder_refresh(r);
    return 0;
}

void ct_recorder_remove_hook(ct_recorder *r, ct_hook_fn fn, const void *ctx) {
    for (unsigned i = 0; i < r->nhooks; i++)
        if (r->hooks[i].fn == fn && r->hooks[i].ctx == ctx) {
            for (unsigned k = i + 1; k < r->nhooks; k++)
                r->hooks[k - 1] = r->hooks[k];
            r->nhooks--;
            break;
        }
    ct_recorder_refresh(r);
}

void *ct_recorder_hook_ctx(const ct_recorder *r, ct_hook_fn fn) {
    for (unsigned i = 0; i < r->nhooks; i++)
        if (r->hooks[i].fn == fn) return r->hooks[i].ctx;
    return 0;
}

void ct_recorder_stop_after(ct_recorder *r, uint64_t n) {
    r->stop_after = n ? ct_recorder_written(r) + n : 0;
    ct_recorder_refresh(r);
}

/* A record for a ring other than ring 0 carries, in spare bits of its first
 * word, the low 16 bits of ring 0's head when it was written: readers
 * merging the rings put it before the ring-0 record at that offset when
 * both have the same stamp, so records of one cycle keep the order they
 * were written in (an instruction, then the halt it causes; a bus write,
 * then the register write it is). */
void ct_record_other(ct_recorder *r, unsigned flag, uint16_t id, uint64_t ts, const uint64_t *pw,
                     unsigned plen) {
    if (CT_LIKELY(!(flag & CT_CHECKED)))
        ct__ring_put_x(r->rings[(flag >> CT_RING_SHIFT) & (CT_MAX_RINGS - 1)],
                       id | ct__order_bits(r->ring.hw), ts, pw, plen);
    else
        ct_record_slow(r, id, ts, pw, plen);
}

void ct_record_slow(ct_recorder *r, uint16_t id, uint64_t ts, const uint64_t *pw, unsigned plen) {
    if (ts - r->rec_lo <= r->rec_span) {
        ct_ring *g = ct_recorder_ring_of(r, id);
        if (ct_ring_head(g) + ct_rec_words(plen) > g->limit)
            g->dropped++;
        else
            ct__ring_put_x(g, id | (g == &r->ring ? 0 : ct__order_bits(r->ring.hw)), ts, pw, plen);
    }
    if (CT_UNLIKELY(r->stop_after != 0) && ct_recorder_written(r) >= r->stop_after) {
        r->stop_after = 0;
        ct_recorder_pause(r);
    }
    if (r->nhooks == 0) return;
    uint8_t p[CT_MAX_PAYLOAD];
    for (unsigned b = 0; b < plen && b < CT_MAX_PAYLOAD; b++)
        p[b] = (uint8_t)(pw[(b + 4) / 8] >> (((b + 4) % 8) * 8));
    ct_record_hooks(r, id, ts, p, plen);
}

void ct_record_hooks(ct_recorder *r, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen) {
    for (unsigned i = 0; i < r->nhooks; i++)
        r->hooks[i].fn(r->hooks[i].ctx, id, ts, p, plen);
}
