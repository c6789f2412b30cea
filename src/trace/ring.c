/* The ring buffer: the freestanding part of ceres-trace, with record.c.
 * No libc: this file is compiled with -ffreestanding -nostdlib by the
 * recorder_freestanding test, which fails if it references any symbol. */
#include "ct.h"

uint64_t ct_ring_words_for_bytes(size_t bytes) {
    uint64_t words = CT_RING_MIN_WORDS;
    if (ct_ring_mem_bytes(words) > bytes) return 0;
    while (words < ((uint64_t)1 << 40) && ct_ring_mem_bytes(words * 2) <= bytes)
        words *= 2;
    return words;
}

void ct_ring_init(ct_ring *r, void *mem, uint64_t capacity_words, ct_mode mode,
                  uint64_t max_events) {
    CT_ASSERT(capacity_words >= CT_RING_MIN_WORDS && (capacity_words & (capacity_words - 1)) == 0);
    const uint64_t nsync = capacity_words >> CT_SYNC_SHIFT;
    r->words = (uint64_t *)mem;
    r->mask = capacity_words - 1;
    r->sync = r->words + capacity_words + CT_RING_SLACK;
    r->sync_mask = nsync - 1;
    r->mode = (uint8_t)mode;
    r->max_events = max_events;
    /* No word of the ring is touched here: a page is faulted in when the
     * head first reaches it, so a run pays only for the part of the ring it
     * fills (a 1 GiB ring costs nothing at start, a short test writes a few
     * pages). */
    ct_ring_reset(r);
}

void ct_ring_reset(ct_ring *r) {
    uint64_t cap = r->mask + 1;
    r->hw = 0;
    r->cross_at = (uint64_t)1 << (CT_SYNC_SHIFT + CT_COUNT_BITS);
    r->nrec = 0;
    r->dropped = 0;
    r->keep_from = 0;
    r->limit = r->mode == CT_DISCARD ? cap : ~(uint64_t)0;
    /* An event bound (max_events) is applied by readers: they keep the last
     * max_events records (overwrite) or the first max_events (discard).
     * Only the first sync entry is set: readers look up the entry of a chunk
     * only when it starts below the head, and the head cannot reach a chunk
     * without ct__ring_cross writing that chunk's entry first, so older
     * contents of the table (a previous run, uninitialised memory) are never
     * read. */
    r->sync[0] = 0;
}

uint64_t ct__ring_cross(ct_ring *r, uint64_t h, uint64_t nh) {
    r->nrec += nh & (((uint64_t)1 << CT_COUNT_BITS) - 1);
    h >>= CT_COUNT_BITS;
    nh >>= CT_COUNT_BITS;
    r->cross_at = (((nh >> CT_SYNC_SHIFT) + 1) << CT_SYNC_SHIFT) << CT_COUNT_BITS;
    const uint64_t cap = r->mask + 1, i = h & r->mask, end = i + (nh - h);
    /* The ring's end is a chunk boundary: a record that ran past it into the
     * slack is completed at the start (through a volatile pointer, so the
     * copy cannot become a memmove call). */
    volatile uint64_t *w = r->words;
    for (uint64_t k = cap; k < end; k++)
        w[k - cap] = w[k];
    r->sync[(nh >> CT_SYNC_SHIFT) & r->sync_mask] = nh;
    return nh << CT_COUNT_BITS;
}

uint64_t ct_ring_first(const ct_ring *r, unsigned safety) {
    const uint64_t cap = r->mask + 1, head = ct_ring_head(r);
    if (head <= cap && safety == 0) return 0;
    uint64_t oldest = head > cap ? head - cap : 0;
    if (oldest == 0 && safety == 0) return 0;
    uint64_t chunk = (oldest + ((uint64_t)1 << CT_SYNC_SHIFT) - 1) >> CT_SYNC_SHIFT;
    chunk += safety;
    for (;; chunk++) {
        uint64_t start = chunk << CT_SYNC_SHIFT;
        if (start >= head) return head;
        uint64_t s = r->sync[chunk & r->sync_mask];
        /* The entry belongs to this generation only if it lies inside the chunk. */
        if (s != ~(uint64_t)0 && s >= start && s < start + ((uint64_t)1 << CT_SYNC_SHIFT)) return s;
    }
}

uint16_t ct_ring_read(const ct_ring *r, uint64_t off, uint64_t *ts, uint8_t *out) {
    uint64_t w0 = ct_ring_word(r, off);
    unsigned n = (unsigned)((w0 >> 16) & 0xFF);
    if (n < 2) n = 2;
    if (n > CT_REC_MAX_WORDS) n = CT_REC_MAX_WORDS;
    *ts = ct_ring_word(r, off + 1);
    for (unsigned i = 0; i < 4; i++)
        out[i] = (uint8_t)(w0 >> (32 + 8 * i));
    for (unsigned k = 2; k < n; k++) {
        uint64_t v = ct_ring_word(r, off + k);
        for (unsigned i = 0; i < 8; i++) {
            unsigned b = 4 + (k - 2) * 8 + i;
            if (b < CT_MAX_PAYLOAD) out[b] = (uint8_t)(v >> (8 * i));
        }
    }
    return (uint16_t)(w0 & 0xFFFF);
}
