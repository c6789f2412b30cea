/* The ring buffer: the freestanding part of ceres-trace, with record.c.
 * No libc: this file is compiled with -ffreestanding -nostdlib by the
 * recorder_freestanding test, which fails if it references any symbol. */
#include "ct.h"

uint64_t ct_ring_words_for_bytes(size_t bytes) {
    const uint64_t avail = bytes / sizeof(uint64_t), max = (uint64_t)1 << 40;
    if (avail <= CT_RING_SLACK) return 0;
    /* Each chunk of 512 words costs two more for its sync entry: start just
     * below the best fit and step up to it. */
    const uint64_t t = avail - CT_RING_SLACK;
    uint64_t w = t - (2 * t + 514) / 514;
    while (w > 0 && ct_ring_mem_bytes(w) > bytes)
        w--;
    while (w < max && ct_ring_mem_bytes(w + 1) <= bytes)
        w++;
    return w >= CT_RING_MIN_WORDS ? w : 0;
}

void ct_ring_init(ct_ring *r, void *mem, uint64_t capacity_words, ct_mode mode,
                  uint64_t max_events) {
    CT_ASSERT(capacity_words >= CT_RING_MIN_WORDS);
    r->words = (uint64_t *)mem;
    r->cap = capacity_words;
    r->sync = r->words + capacity_words + CT_RING_SLACK;
    r->mode = (uint8_t)mode;
    r->max_events = max_events;
    /* No word of the ring is touched here: a page is faulted in when the
     * head first reaches it, so a run pays only for the part of the ring it
     * fills (a 1 GiB ring costs nothing at start, a short test writes a few
     * pages). */
    ct_ring_reset(r);
}

void ct_ring_reset(ct_ring *r) {
    r->hw = 0;
    r->base = 0;
    r->cross_at = CT_SYNC_WORDS << CT_COUNT_BITS;
    r->nrec = 0;
    r->dropped = 0;
    r->keep_from = 0;
    r->limit = r->mode == CT_DISCARD ? r->cap : ~(uint64_t)0;
    /* An event bound (max_events) is applied by readers: they keep the last
     * max_events records (overwrite) or the first max_events (discard).
     * Only the first sync entry is set: readers look up the entry of a chunk
     * only when it starts below the head, and the head cannot reach a chunk
     * without ct__ring_cross writing that chunk's entry first, so older
     * contents of the table (a previous run, uninitialised memory) are never
     * read. */
    r->sync[0] = 0;
    r->sync[1] = 0;
    r->chunk_ts = 0;
}

uint64_t ct__ring_cross(ct_ring *r, uint64_t h, uint64_t nh, uint64_t ts) {
    (void)h;
    r->nrec += nh & (((uint64_t)1 << CT_COUNT_BITS) - 1);
    nh >>= CT_COUNT_BITS;
    const uint64_t cap = r->cap;
    uint64_t at = nh - r->base; /* where the next record starts */
    if (at >= cap) {
        /* The ring's end is a chunk boundary: a record that ran past it
         * into the slack is completed at the start (through a volatile
         * pointer, so the copy cannot become a memmove call), and the next
         * lap begins. */
        volatile uint64_t *w = r->words;
        for (uint64_t k = cap; k < at; k++)
            w[k - cap] = w[k];
        r->base += cap;
        at -= cap;
    }
    const uint64_t chunk = at >> CT_SYNC_SHIFT;
    uint64_t next = (chunk + 1) << CT_SYNC_SHIFT;
    if (next > cap) next = cap; /* the last chunk ends at the ring's end */
    r->cross_at = (r->base + next) << CT_COUNT_BITS;
    r->sync[2 * chunk] = nh;
    /* Records starting in the chunk that carry no timestamp word count
     * from here. */
    r->sync[2 * chunk + 1] = ts;
    r->chunk_ts = ts;
    return nh << CT_COUNT_BITS;
}

uint64_t ct_ring_first(const ct_ring *r, unsigned safety) {
    const uint64_t cap = r->cap, head = ct_ring_head(r);
    if (head <= cap && safety == 0) return 0;
    const uint64_t oldest = head > cap ? head - cap : 0;
    /* The first chunk that starts at or after the oldest word: chunk j of
     * the lap starting at offset `lap`. */
    uint64_t pos = oldest % cap, lap = oldest - pos;
    uint64_t j = (pos + CT_SYNC_WORDS - 1) >> CT_SYNC_SHIFT;
    if ((j << CT_SYNC_SHIFT) >= cap) j = 0, lap += cap;
    for (;;) {
        const uint64_t start = lap + (j << CT_SYNC_SHIFT);
        if (start >= head) return head;
        if (safety) {
            safety--;
        } else {
            uint64_t len = cap - (j << CT_SYNC_SHIFT);
            if (len > CT_SYNC_WORDS) len = CT_SYNC_WORDS;
            /* The entry belongs to this lap only if it lies inside the chunk. */
            const uint64_t s = r->sync[2 * j];
            if (s >= start && s - start < len) return s;
        }
        if ((++j << CT_SYNC_SHIFT) >= cap) j = 0, lap += cap;
    }
}

uint16_t ct_ring_read(const ct_ring *r, uint64_t off, uint64_t *ts, uint8_t *out) {
    uint64_t w0 = ct_ring_word(r, off);
    /* The payload words start after the timestamp word, if any. */
    const unsigned skip = (w0 & CT_REC_NOTS) ? 1 : 0;
    unsigned n = ct_rec_file_words(w0);
    if (n < 2) n = 2;
    if (n > CT_REC_MAX_WORDS) n = CT_REC_MAX_WORDS;
    *ts = ct_ring_ts(r, off);
    for (unsigned i = 0; i < 4; i++)
        out[i] = (uint8_t)(w0 >> (32 + 8 * i));
    for (unsigned k = 2; k < n; k++) {
        uint64_t v = ct_ring_word(r, off + k - skip);
        for (unsigned i = 0; i < 8; i++) {
            unsigned b = 4 + (k - 2) * 8 + i;
            if (b < CT_MAX_PAYLOAD) out[b] = (uint8_t)(v >> (8 * i));
        }
    }
    return (uint16_t)(w0 & 0xFF); /* bits 8..23: the tag (see the top of ct.h) */
}
