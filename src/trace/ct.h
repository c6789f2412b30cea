/* ceres-trace: the flight recorder.
 *
 * This header is the freestanding part: event schema, ring buffer and record
 * path. It needs only <stdint.h>, <stddef.h>, <stdbool.h> and <stdatomic.h>
 * (all available with -ffreestanding) and never calls libc: the caller hands
 * it memory, the timestamp comes in as an argument.
 *
 * Ring layout (after LTTng-UST): an array of 64-bit words of any length (so
 * a byte budget buys a ring within a few bytes of it) and a free-running
 * write offset `head` (in words); word `head - base` is written next, where
 * `base`, a multiple of the capacity, moves on by one capacity each time
 * the ring wraps. A record is
 *
 *   word 0   id (8 bits) | tag (16 bits) << 8 | nwords (6 bits) << 24
 *            | payload bytes 0..3 << 32
 *   word 1   timestamp (u64, caller's clock: T-cycles for the emulator)
 *   word 2.. payload bytes 4.., little-endian, zero padded to a word
 *
 * The tag is 0 in the first ring, and the order bits in the others (see
 * CT_ORDER_MASK). In the first ring a record may also come without its
 * timestamp word (ct__ring_put_compact: a cpu.exec record takes 24 bytes
 * instead of 32):
 *
 *   word 0   id | d (16 bits) << 8 | nwords << 24 | CT_REC_NOTS (bit 30)
 *            | payload bytes 0..3 << 32
 *   word 1.. payload bytes 4..
 *
 * whose timestamp is the chunk's base (the stamp of the record whose write
 * crossed into the 4 KiB chunk the record starts in, kept beside the
 * chunk's sync entry) plus d. ct_ring_ts and ct_ring_read decode both
 * forms; every reader goes through them. Files (.ctrace, the crash
 * handler's too) hold every record in one form, with its timestamp word
 * and the word count at bit 16 (ct_ring_file_word0).
 *
 * Payload fields are packed in declaration order at their natural width
 * (u8/bool 1, u16 2, u32/i32/str 4, u64 8 bytes), without alignment.
 *
 * In overwrite mode the oldest records are overwritten. The reader finds the
 * first whole record through a small "sync" table: for every 4 KiB chunk of
 * the ring (the last one may be shorter) it holds the offset of the first
 * record that starts in it, and the chunk's base timestamp. The
 * write path touches it only when a record crosses into a new chunk, and
 * does the rest of its rare work there too: a record that runs past the end
 * of the ring is written on into a few words of slack and its tail moved to
 * the start (the end of the ring is where the last chunk ends, so the
 * chunk compare is the wrap check too), and the record count kept in the
 * head word's low bits is
 * folded into a 64-bit total. So the common write is a few stores and one
 * add, with no test for wrap, limit, window or hooks: a per-event flag bit
 * (CT_SLOW) sends every record through a checked out-of-line path instead
 * while any of those is in play.
 */
#ifndef CERES_CT_H
#define CERES_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if !defined(__cplusplus)
#include <stdatomic.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define CT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CT_INLINE      static inline __attribute__((always_inline))
#define CT_NOINLINE    __attribute__((noinline))
#define CT_COLD_FN     static __attribute__((noinline, cold, unused))
#else
#define CT_LIKELY(x)   (x)
#define CT_UNLIKELY(x) (x)
#define CT_INLINE      static inline
#define CT_NOINLINE
#define CT_COLD_FN static
#endif

/* A compiler barrier with release order (the crash handler reads the ring
 * of the thread it interrupted). C++ before C++23 has no <stdatomic.h>, so
 * C++ uses the builtin that atomic_signal_fence expands to. */
#if defined(__GNUC__) || defined(__clang__)
#define CT__SIGNAL_FENCE() __atomic_signal_fence(__ATOMIC_RELEASE)
#elif defined(__cplusplus)
#error "ct.h in C++ needs GCC or Clang (for __atomic_signal_fence)"
#else
#define CT__SIGNAL_FENCE() atomic_signal_fence(memory_order_release)
#endif

/* Misuse checks that compile out (like Lua's api_check). */
#ifdef CT_DEBUG_CHECKS
#define CT_ASSERT(c)                                                                               \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)
#else
#define CT_ASSERT(c) ((void)0)
#endif

/* ---- schema ------------------------------------------------------------ */

typedef enum ct_type {
    CT_T_U8,
    CT_T_U16,
    CT_T_U32,
    CT_T_U64,
    CT_T_I32,
    CT_T_BOOL,
    CT_T_STR, /* u32 index into the recorder's string table (ct_intern) */
} ct_type;

typedef enum ct_kind {
    CT_INSTANT, /* a point in time */
    CT_BEGIN,   /* opens a span on the event's target track */
    CT_END,     /* closes the innermost open span on the target track */
    CT_COUNTER, /* first field is the counter value */
    CT_STEP,    /* a slice lasting until the next event with the same id
                   (instructions, PPU modes) */
} ct_kind;

typedef enum ct_level {
    CT_LVL_OFF = 0,
    CT_LVL_ERROR,
    CT_LVL_WARN,
    CT_LVL_INFO,
    CT_LVL_DEBUG,
    CT_LVL_TRACE,
} ct_level;

#define CT_MAX_FIELDS  16
#define CT_MAX_PAYLOAD 64

typedef struct ct_field {
    const char *name;
    uint8_t type; /* ct_type */
} ct_field;

typedef struct ct_event_desc {
    const char *target;
    const char *name;
    uint8_t level; /* ct_level */
    uint8_t kind;  /* ct_kind */
    uint8_t nfields;
    uint8_t payload_bytes;
    ct_field fields[CT_MAX_FIELDS];
} ct_event_desc;

typedef struct ct_schema {
    const char *name; /* e.g. "gb" */
    uint64_t ts_hz;   /* timestamp ticks per second (4194304 for T-cycles);
                         0: no clock (a timestamp is a sequence number) */
    uint32_t nevents;
    const ct_event_desc *events;
    const char *ts_unit; /* what one tick is called, for people: "T-cycle",
                            "ns", "step"; NULL: "tick". Kept in .ctrace
                            files (version 2) so readers show the trace's
                            own clock. */
} ct_schema;

/* Field type helpers used by the X-macro expansions below. */
#define CT_CTYPE_U8   uint8_t
#define CT_CTYPE_U16  uint16_t
#define CT_CTYPE_U32  uint32_t
#define CT_CTYPE_U64  uint64_t
#define CT_CTYPE_I32  int32_t
#define CT_CTYPE_BOOL bool
#define CT_CTYPE_STR  uint32_t
#define CT_SIZE_U8    1
#define CT_SIZE_U16   2
#define CT_SIZE_U32   4
#define CT_SIZE_U64   8
#define CT_SIZE_I32   4
#define CT_SIZE_BOOL  1
#define CT_SIZE_STR   4

/* Iterate M(type, name, ...) over up to 16 (type, name) pairs. */
#define CT__N(...)                                                                                 \
    CT__N_(__VA_ARGS__, 16, X, 15, X, 14, X, 13, X, 12, X, 11, X, 10, X, 9, X, 8, X, 7, X, 6, X,   \
           5, X, 4, X, 3, X, 2, X, 1, X, 0)
#define CT__N_(a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7, a8, b8, a9, b9, a10, b10,   \
               a11, b11, a12, b12, a13, b13, a14, b14, a15, b15, a16, b16, n, ...)                 \
    n
#define CT__CAT(a, b)        CT__CAT_(a, b)
#define CT__CAT_(a, b)       a##b
#define CT_FOR_PAIRS(M, ...) CT__CAT(CT__FP, CT__N(__VA_ARGS__))(M, __VA_ARGS__)
#define CT__FP0(M, ...)
#define CT__FP1(M, t, n)       M(t, n)
#define CT__FP2(M, t, n, ...)  M(t, n) CT__FP1(M, __VA_ARGS__)
#define CT__FP3(M, t, n, ...)  M(t, n) CT__FP2(M, __VA_ARGS__)
#define CT__FP4(M, t, n, ...)  M(t, n) CT__FP3(M, __VA_ARGS__)
#define CT__FP5(M, t, n, ...)  M(t, n) CT__FP4(M, __VA_ARGS__)
#define CT__FP6(M, t, n, ...)  M(t, n) CT__FP5(M, __VA_ARGS__)
#define CT__FP7(M, t, n, ...)  M(t, n) CT__FP6(M, __VA_ARGS__)
#define CT__FP8(M, t, n, ...)  M(t, n) CT__FP7(M, __VA_ARGS__)
#define CT__FP9(M, t, n, ...)  M(t, n) CT__FP8(M, __VA_ARGS__)
#define CT__FP10(M, t, n, ...) M(t, n) CT__FP9(M, __VA_ARGS__)
#define CT__FP11(M, t, n, ...) M(t, n) CT__FP10(M, __VA_ARGS__)
#define CT__FP12(M, t, n, ...) M(t, n) CT__FP11(M, __VA_ARGS__)
#define CT__FP13(M, t, n, ...) M(t, n) CT__FP12(M, __VA_ARGS__)
#define CT__FP14(M, t, n, ...) M(t, n) CT__FP13(M, __VA_ARGS__)
#define CT__FP15(M, t, n, ...) M(t, n) CT__FP14(M, __VA_ARGS__)
#define CT__FP16(M, t, n, ...) M(t, n) CT__FP15(M, __VA_ARGS__)

/*
 * Declaring a schema. The user writes one X-macro list, one line per event:
 *
 *   #define MY_EVENTS(E)                                                  \
 *       E(CPU_EXEC, cpu, exec, TRACE, STEP, U16, pc, U8, op)             \
 *       E(MEM_READ, mem, read, TRACE, INSTANT, U16, addr, U8, value)
 *
 * (ID, target, name, level, kind, then up to 16 type/name pairs; at least one
 * field) and expands it, in a header:
 *
 *   #define MY__ENUM(ID, ...) my_ev_##ID,
 *   enum my_ev { MY_EVENTS(MY__ENUM) my_ev_count };
 *   #define MY__EMIT(ID, ...) CT_EMITTER(my_, ID, __VA_ARGS__)
 *   MY_EVENTS(MY__EMIT)
 *
 * and in one .c file:
 *
 *   static const ct_event_desc my_events[] = {MY_EVENTS(CT_DESC)};
 *   const ct_schema my_schema = {"my", 4194304, my_ev_count, my_events, "T-cycle"};
 *
 * Field names must not be r_, ts_, n_, p_, o_, v_ or i_.
 */
#define CT__PSIZE(t, n) +CT_SIZE_##t
#define CT__PARAM(t, n) , CT_CTYPE_##t n
#define CT__ARG(t, n)   , n
/* Packing straight into record words: a field's place is a compile-time
 * constant, so each field costs a shift and an or (byte-wise packing cost
 * several instructions per byte on the hot path). */
#define CT_UTYPE_U8   uint8_t
#define CT_UTYPE_U16  uint16_t
#define CT_UTYPE_U32  uint32_t
#define CT_UTYPE_U64  uint64_t
#define CT_UTYPE_I32  uint32_t
#define CT_UTYPE_BOOL uint8_t
#define CT_UTYPE_STR  uint32_t
#define CT__PACKW(t, n)                                                                            \
    ct__put_field(w_, o_, (uint64_t)(CT_UTYPE_##t)(CT_CTYPE_##t)(n), CT_SIZE_##t);                 \
    o_ += CT_SIZE_##t;

/* Zero a small array with a loop, not `= {0}`: at -O0 Clang turns an
 * initialiser into a call to memset, which a freestanding build lacks. The
 * loop has a constant trip count and is unrolled away when optimising. */
#define CT__ZERO(a)                                                                                \
    for (unsigned i_ = 0; i_ < sizeof(a) / sizeof(a[0]); i_++)                                     \
    (a)[i_] = 0

/* The payload is packed into words that never escape, so they live in
 * registers, and written straight into the first ring. An event whose flag
 * has CT_SLOW set (it goes to another ring, or a recording window, hooks or
 * discard mode are in play) packs a second copy for the out-of-line path
 * instead: a payload passed to a call must sit in memory, and making the
 * fast path's copy addressable cost ~0.8 ns per event. */
#define CT_EMITTER(pfx, ID, tgt, nm, lvl, kind, ...)                                               \
    CT_INLINE void pfx##emit_##ID(struct ct_recorder *r_, unsigned f_,                             \
                                  uint64_t ts_ CT_FOR_PAIRS(CT__PARAM, __VA_ARGS__)) {             \
        enum { n_ = 0 CT_FOR_PAIRS(CT__PSIZE, __VA_ARGS__) };                                      \
        if (CT_LIKELY(!(f_ & CT_SLOW))) {                                                          \
            uint64_t w_[(n_ + 4 + 7) / 8];                                                         \
            CT__ZERO(w_);                                                                          \
            unsigned o_ = 0;                                                                       \
            CT_FOR_PAIRS(CT__PACKW, __VA_ARGS__)                                                   \
            ct__ring_put(&r_->ring, (uint16_t)(pfx##ev_##ID), ts_, w_, n_);                        \
        } else {                                                                                   \
            uint64_t w_[(n_ + 4 + 7) / 8];                                                         \
            CT__ZERO(w_);                                                                          \
            unsigned o_ = 0;                                                                       \
            CT_FOR_PAIRS(CT__PACKW, __VA_ARGS__)                                                   \
            ct_record_other(r_, f_, (uint16_t)(pfx##ev_##ID), ts_, w_, n_);                        \
        }                                                                                          \
    }                                                                                              \
    CT_COLD_FN void pfx##emit_##ID##_cold(struct ct_recorder *r_, unsigned f_,                     \
                                          uint64_t ts_ CT_FOR_PAIRS(CT__PARAM, __VA_ARGS__)) {     \
        enum { n_ = 0 CT_FOR_PAIRS(CT__PSIZE, __VA_ARGS__) };                                      \
        if (CT_LIKELY((f_ & (CT_SLOW | CT_CHECKED)) == CT_SLOW)) {                                 \
            /* Another ring, nothing to check: written here, at its constant                       \
             * size, rather than through ct_record_other's generic copy. */                        \
            uint64_t w_[(n_ + 4 + 7) / 8];                                                         \
            CT__ZERO(w_);                                                                          \
            unsigned o_ = 0;                                                                       \
            CT_FOR_PAIRS(CT__PACKW, __VA_ARGS__)                                                   \
            ct__ring_put_x(r_->rings[(f_ >> CT_RING_SHIFT) & (CT_MAX_RINGS - 1)],                  \
                           (uint16_t)(pfx##ev_##ID) | ct__order_bits(r_->ring.hw), ts_, w_, n_);   \
        } else {                                                                                   \
            pfx##emit_##ID(r_, f_, ts_ CT_FOR_PAIRS(CT__ARG, __VA_ARGS__));                        \
        }                                                                                          \
    }

#define CT__DESC_FIELD(t, n) {#n, CT_T_##t},
#define CT_DESC(ID, tgt, nm, lvl, kind, ...)                                                       \
    {#tgt,                                                                                         \
     #nm,                                                                                          \
     CT_LVL_##lvl,                                                                                 \
     CT_##kind,                                                                                    \
     (uint8_t)(CT__N(__VA_ARGS__)),                                                                \
     (uint8_t)(0 CT_FOR_PAIRS(CT__PSIZE, __VA_ARGS__)),                                            \
     {CT_FOR_PAIRS(CT__DESC_FIELD, __VA_ARGS__)}},

/* Fields are packed back to back: a field's offset is the sum of the sizes of
 * the fields before it. */
CT_INLINE unsigned ct_field_size(uint8_t type) {
    static const uint8_t sz[] = {1, 2, 4, 8, 4, 1, 4};
    return type < sizeof sz ? sz[type] : 0;
}

/* ---- ring -------------------------------------------------------------- */

#define CT_SYNC_SHIFT    9 /* 512 words = 4 KiB per sync chunk */
#define CT_REC_MAX_WORDS (2 + (CT_MAX_PAYLOAD + 7) / 8)
#define CT_SYNC_WORDS    ((uint64_t)1 << CT_SYNC_SHIFT)
/* The smallest ring: a few sync chunks (a wrapped ring of fewer would lose
 * most of its records to the reader's search for the first whole one). Its
 * end is always a chunk boundary (the last chunk is cut short), so a record
 * running past it always crosses into a new chunk. */
#define CT_RING_MIN_WORDS (4 * CT_SYNC_WORDS)
/* Words past the end of the ring: a record that runs past the end is first
 * written there in one piece, then its tail is moved to the start. */
#define CT_RING_SLACK CT_REC_MAX_WORDS

typedef enum ct_mode {
    CT_OVERWRITE = 0, /* flight recorder: keep the newest records */
    CT_DISCARD = 1,   /* keep the oldest records, drop new ones when full */
} ct_mode;

typedef struct ct_ring {
    uint64_t *words;     /* capacity + CT_RING_SLACK words, caller's memory */
    uint64_t base;       /* head offset of words[0] in the current lap: a
                            multiple of `cap`, moved on at each wrap */
    uint64_t hw;         /* head word: the free-running write offset in words
                            above CT_COUNT_BITS (read it with ct_ring_head)
                            and, below, the records written since the last
                            chunk crossing: one add moves and counts */
    uint64_t cross_at;   /* head word at which the next chunk starts */
    uint64_t limit;      /* head may not pass this (discard mode), else ~0 */
    uint64_t nrec;       /* records written up to the last chunk crossing;
                            ct_ring_written() adds the rest */
    uint64_t dropped;    /* records dropped in discard mode */
    uint64_t keep_from;  /* readers skip records numbered below this (records
                            are numbered 0.. in write order; a start trigger
                            with --pre N history sets it) */
    uint64_t max_events; /* event bound (0 = none): readers keep the last N;
                            in discard mode, records past it are dropped */
    uint64_t *sync;      /* two words per chunk (ct_ring_nsync(cap) chunks):
                            where its first record starts, its base stamp */
    uint64_t chunk_ts;   /* base stamp of the chunk the head is in */
    uint64_t cap;        /* capacity in words, >= CT_RING_MIN_WORDS */
    uint8_t mode;
} ct_ring;

/* A chunk holds at most 512 records (1 word each), so 16 bits count them;
 * the offset keeps 48 bits (2^48 words written before it wraps). */
#define CT_COUNT_BITS 16

/* Write offset in words: records lie in [ct_ring_first(), ct_ring_head()). */
CT_INLINE uint64_t ct_ring_head(const ct_ring *r) {
    return r->hw >> CT_COUNT_BITS;
}
/* Records written (including overwritten ones). */
CT_INLINE uint64_t ct_ring_written(const ct_ring *r) {
    return r->nrec + (r->hw & (((uint64_t)1 << CT_COUNT_BITS) - 1));
}

/* Sync chunks of a ring of `capacity_words`: the last one may be short. */
CT_INLINE uint64_t ct_ring_nsync(uint64_t capacity_words) {
    return (capacity_words + CT_SYNC_WORDS - 1) >> CT_SYNC_SHIFT;
}

/* Bytes of caller memory a ring of `capacity_words` (>= CT_RING_MIN_WORDS)
 * needs: the words, the slack and the sync table. */
CT_INLINE size_t ct_ring_mem_bytes(uint64_t capacity_words) {
    return (size_t)((capacity_words + CT_RING_SLACK + 2 * ct_ring_nsync(capacity_words)) *
                    sizeof(uint64_t));
}

/* Largest word capacity whose ct_ring_mem_bytes() fits in `bytes` (it
 * leaves less than 16 bytes of them unused); 0 if even the minimum
 * (CT_RING_MIN_WORDS) does not fit. */
uint64_t ct_ring_words_for_bytes(size_t bytes);

/* The memory a ring uses, in bytes (what a budget is compared with). */
CT_INLINE uint64_t ct_ring_bytes(const ct_ring *r) {
    return ct_ring_mem_bytes(r->cap);
}

/* Initialise a ring in caller memory (8-byte aligned, ct_ring_mem_bytes()
 * long; it need not be zeroed). Touches one word of it: pages come in as
 * the head reaches them, so memory mapped lazily (ct_recorder_create uses
 * an anonymous mapping) costs only what a run fills. */
void ct_ring_init(ct_ring *r, void *mem, uint64_t capacity_words, ct_mode mode,
                  uint64_t max_events);
void ct_ring_reset(ct_ring *r);

CT_INLINE unsigned ct_rec_words(unsigned payload_bytes) {
    return payload_bytes <= 4 ? 2u : 2u + (payload_bytes - 4 + 7) / 8;
}

/* Word-packed variant for the trace points. w[0] holds payload bytes 0..3
 * in its high half (its low half must be 0), w[k] for k >= 1 holds bytes
 * 4+8(k-1).. : the ring layout minus the header bits and the timestamp. */
CT_INLINE void ct__put_field(uint64_t *w, unsigned off, uint64_t v, unsigned size) {
    const unsigned bit = (off + 4) * 8, k = bit / 64, sh = bit % 64;
    w[k] |= v << sh;
    if (sh + size * 8 > 64) w[k + 1] |= v >> (64 - sh);
}

/* Out of line, once per 4 KiB of records: the record from head word h to
 * nh, stamped ts, reached the next chunk. Moves the part of it that ran
 * past the end of the ring to the start, notes where the next record
 * starts in the sync table and ts as the new chunk's base stamp, moves the
 * record count out of the head word and sets the next crossing. Returns
 * the head word to store. */
uint64_t ct__ring_cross(ct_ring *r, uint64_t h, uint64_t nh, uint64_t ts);

/* Word 0's flag of a record without a timestamp word (see the top). */
#define CT_REC_NOTS ((uint64_t)1 << 30)
/* The longest stamp delta such a record holds. */
#define CT_REC_NOTS_MAX 0xFFFFu
/* Where word 0 holds the record's length in words. */
#define CT_REC_N_SHIFT 24
/* Bits 8..23 of word 0, the tag: order bits (CT_ORDER_MASK) or the stamp
 * delta of a record without a timestamp word. */
#define CT__ORDER_BITS ((uint64_t)0xFFFF << 8)

/* The write itself, for overwrite mode (nothing to check): consecutive
 * stores, one add that moves the head and counts the record, one compare
 * for reaching the next chunk. */
/* `idw`: the id, with the order bits for a ring other than ring 0. */
CT_INLINE void ct__ring_put_x(ct_ring *r, uint64_t idw, uint64_t ts, const uint64_t *pw,
                              unsigned plen) {
    const unsigned n = ct_rec_words(plen);
    const uint64_t h = r->hw;
    uint64_t nh = h + (((uint64_t)n << CT_COUNT_BITS) | 1);
    uint64_t *const p = r->words + ((h >> CT_COUNT_BITS) - r->base);
    p[0] = pw[0] | idw | ((uint64_t)n << CT_REC_N_SHIFT);
    p[1] = ts;
    for (unsigned k = 2; k < n; k++)
        p[k] = pw[k - 1];
    if (CT_UNLIKELY(nh >= r->cross_at)) nh = ct__ring_cross(r, h, nh, ts);
    CT__SIGNAL_FENCE();
    r->hw = nh;
}
CT_INLINE void ct__ring_put(ct_ring *r, uint16_t id, uint64_t ts, const uint64_t *pw,
                            unsigned plen) {
    ct__ring_put_x(r, id, ts, pw, plen);
}
/* The same record without its timestamp word, for ts = the chunk's base
 * stamp + d (d <= CT_REC_NOTS_MAX: see ct__ring_nots_delta). For the first
 * ring only: its records carry no order bits (see CT_ORDER_MASK), whose
 * place the delta takes. One store fewer, and 8 bytes less of the ring's
 * memory traffic. */
CT_INLINE uint64_t ct__ring_nots_delta(const ct_ring *r, uint64_t ts) {
    return ts - r->chunk_ts;
}
CT_INLINE void ct__ring_put_nots(ct_ring *r, uint16_t id, uint64_t ts, uint64_t d,
                                 const uint64_t *pw, unsigned plen) {
    const unsigned n = ct_rec_words(plen) - 1;
    const uint64_t h = r->hw;
    uint64_t nh = h + (((uint64_t)n << CT_COUNT_BITS) | 1);
    uint64_t *const p = r->words + ((h >> CT_COUNT_BITS) - r->base);
    p[0] = pw[0] | id | ((uint64_t)n << CT_REC_N_SHIFT) | CT_REC_NOTS | d << 8;
    for (unsigned k = 1; k < n; k++)
        p[k] = pw[k];
    if (CT_UNLIKELY(nh >= r->cross_at)) nh = ct__ring_cross(r, h, nh, ts);
    CT__SIGNAL_FENCE();
    r->hw = nh;
}
/* Without the timestamp word when ts lies within CT_REC_NOTS_MAX of the
 * chunk's base stamp (nearly always for an event that comes by the
 * million), else the plain record. First ring only. */
CT_INLINE void ct__ring_put_compact(ct_ring *r, uint16_t id, uint64_t ts, const uint64_t *pw,
                                    unsigned plen) {
    const uint64_t d = ct__ring_nots_delta(r, ts);
    if (CT_LIKELY(d <= CT_REC_NOTS_MAX))
        ct__ring_put_nots(r, id, ts, d, pw, plen);
    else
        ct__ring_put_x(r, id, ts, pw, plen);
}

/* Any mode: a record that would pass the limit (discard mode) is dropped. */
CT_INLINE void ct_ring_write_words(ct_ring *r, uint16_t id, uint64_t ts, const uint64_t *pw,
                                   unsigned plen) {
    if (CT_UNLIKELY(ct_ring_head(r) + ct_rec_words(plen) > r->limit)) {
        r->dropped++;
        return;
    }
    ct__ring_put(r, id, ts, pw, plen);
}

/* Byte-payload variant (hooks, triggers, tests): packs the payload into the
 * words ct_ring_write_words takes. */
CT_INLINE void ct_ring_write(ct_ring *r, uint16_t id, uint64_t ts, const uint8_t *p,
                             unsigned plen) {
    uint64_t pw[CT_REC_MAX_WORDS - 1];
    for (unsigned k = 0; k < CT_REC_MAX_WORDS - 1; k++)
        pw[k] = 0;
    for (unsigned b = 0; b < plen && b < CT_MAX_PAYLOAD; b++)
        pw[(b + 4) / 8] |= (uint64_t)p[b] << (((b + 4) % 8) * 8);
    ct_ring_write_words(r, id, ts, pw, plen);
}

/* Reading (dump side, also freestanding so the crash handler can use it).
 * ct_ring_first() returns the offset of the oldest whole record still in the
 * ring; walk with ct_ring_rec_words() while the offset is < ct_ring_head(r). `safety`
 * extra chunks are skipped at the old end (the crash handler passes 1 in case
 * the interrupted write was overwriting the oldest chunk). */
uint64_t ct_ring_first(const ct_ring *r, unsigned safety);
/* Where the word at offset `off` lies in the ring: off modulo the capacity,
 * with no division for the offsets a reader asks for (the current lap and
 * the one before it). */
CT_INLINE uint64_t ct_ring_pos(const ct_ring *r, uint64_t off) {
    uint64_t d = off - r->base;
    if (CT_LIKELY(d < r->cap)) return d;
    d += r->cap;
    return d < r->cap ? d : off % r->cap;
}
CT_INLINE uint64_t ct_ring_word(const ct_ring *r, uint64_t off) {
    return r->words[ct_ring_pos(r, off)];
}
/* Words the record at `off` takes in the ring. */
CT_INLINE unsigned ct_ring_rec_words(const ct_ring *r, uint64_t off) {
    return (unsigned)((ct_ring_word(r, off) >> CT_REC_N_SHIFT) & 0x3F);
}
/* Words the record whose first word is w0 takes in a file (with its
 * timestamp word). */
CT_INLINE unsigned ct_rec_file_words(uint64_t w0) {
    return (unsigned)((w0 >> CT_REC_N_SHIFT) & 0x3F) + ((w0 & CT_REC_NOTS) ? 1u : 0u);
}
/* The timestamp of the record at `off`. */
CT_INLINE uint64_t ct_ring_ts(const ct_ring *r, uint64_t off) {
    const uint64_t w0 = ct_ring_word(r, off);
    if (CT_LIKELY(!(w0 & CT_REC_NOTS))) return ct_ring_word(r, off + 1);
    const uint64_t chunk = ct_ring_pos(r, off) >> CT_SYNC_SHIFT;
    return r->sync[2 * chunk + 1] + ((w0 >> 8) & 0xFFFF);
}
/* Word k >= 1 of the record at `off` in its file form: the timestamp, then
 * the payload words. */
CT_INLINE uint64_t ct_ring_file_word(const ct_ring *r, uint64_t off, unsigned k) {
    if (!(ct_ring_word(r, off) & CT_REC_NOTS)) return ct_ring_word(r, off + k);
    return k == 1 ? ct_ring_ts(r, off) : ct_ring_word(r, off + k - 1);
}
/* Word 0 of the record at `off` in its file form: id (16 bits) | its
 * words with the timestamp word << 16 | payload bytes 0..3 << 32. */
CT_INLINE uint64_t ct_ring_file_word0(const ct_ring *r, uint64_t off) {
    const uint64_t w0 = ct_ring_word(r, off);
    return (w0 & 0xFFFFFFFF000000FFu) | (uint64_t)ct_rec_file_words(w0) << 16;
}
/* Copy the payload of the record at `off` into out[CT_MAX_PAYLOAD]; returns
 * its id; *ts gets the timestamp. */
uint16_t ct_ring_read(const ct_ring *r, uint64_t off, uint64_t *ts, uint8_t *out);

/* ---- recorder ---------------------------------------------------------- */

#define CT_MAX_EVENTS 256

/* A hook run after each record with its payload as bytes. */
typedef void (*ct_hook_fn)(void *ctx, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen);
#define CT_MAX_HOOKS 4
/* Rings of one recorder (one per data class, each with its own bound). */
#define CT_MAX_RINGS 4

typedef struct ct_recorder {
    ct_ring ring; /* ring 0: the plain record path writes here */
    const ct_schema *schema;
    /* Per-event flags, set from a filter spec (ct_filter_apply): 0 off,
     * else CT_ON, plus CT_SLOW while anything needs the checked record path
     * (ct_recorder_refresh keeps that bit). The trace macro tests these:
     * one byte, one predictable branch. */
    uint8_t flags[CT_MAX_EVENTS];
    /* Hooks run after each record, in the order they were added (the
     * emulator's event hook, the JSON stream writer of `ceres bench`); see
     * ct_recorder_add_hook. */
    struct {
        ct_hook_fn fn;
        void *ctx;
    } hooks[CT_MAX_HOOKS];
    unsigned nhooks;
    /* ct_ring_written() value at which recording freezes (0 = none); set
     * with ct_recorder_stop_after. */
    uint64_t stop_after;
    /* Recording gate: a record reaches the ring only when its timestamp lies
     * in [rec_lo, rec_lo + rec_span]. One unsigned compare does it, on the
     * slow path only: while the gate is wide open, no record tests it.
     * Windows (--cycles X..Y) and start/stop triggers just move these two
     * numbers, so a window is exact to the cycle. Use ct_recorder_window/
     * pause/resume rather than writing them directly. */
    uint64_t rec_lo, rec_span;
    /* Interned strings for CT_T_STR fields (hosted side fills these). */
    const char **strings;
    uint32_t nstrings, strings_cap;
    /* Several rings by data class (ct_recorder_add_ring): ring k >= 1 is
     * more[k - 1], rings[k] points at each, ring_of[] says which ring each
     * event goes to. Readers merge the rings by timestamp, so one class
     * (cpu.exec, by the million) cannot evict another (interrupts, DMA,
     * bank switches). An event of ring k >= 1 has flag CT_ON | CT_SLOW |
     * k << CT_RING_SHIFT, so the plain path's one test sends it out of line
     * and the first ring's records cost what they did with one ring. */
    ct_ring more[CT_MAX_RINGS - 1];
    ct_ring *rings[CT_MAX_RINGS];
    unsigned nrings;
    uint8_t ring_of[CT_MAX_EVENTS];
} ct_recorder;

/* Values of ct_recorder.flags[]. */
#define CT_ON 1u /* recorded */
#define CT_SLOW                                                                                    \
    2u /* not the plain write into ring 0: through ct_record_other (another                        \
          ring, or CT_CHECKED) */
#define CT_CHECKED                                                                                 \
    4u                  /* through ct_record_slow: a recording window is set, a hook is armed,     \
                           a stop is pending or the ring is in discard mode */
#define CT_RING_SHIFT 3 /* the event's ring, in the bits above */
/* Bits 8..23 of a record's first word, its tag (ids are below 256): in
 * rings other than ring 0, the low 16 bits of ring 0's head when the record
 * was written, so readers merging the rings keep the order of records with
 * the same stamp (see ct_record_other); in ring 0, 0 or the stamp delta of
 * a record without a timestamp word. */
#define CT_ORDER_MASK CT__ORDER_BITS
CT_INLINE uint64_t ct__order_bits(uint64_t head_word) {
    return (head_word >> (CT_COUNT_BITS - 8)) & CT_ORDER_MASK; /* head bits 0..15 at 8 */
}
CT_INLINE uint16_t ct__order_of(uint64_t w0) {
    return (uint16_t)(w0 >> 8);
}

/* Initialise a recorder over a ring in caller memory; all events disabled. */
void ct_recorder_init(ct_recorder *r, const ct_schema *schema, void *mem, uint64_t capacity_words,
                      ct_mode mode, uint64_t max_events);
/* Add a ring in caller memory (as for ct_ring_init), in the first ring's
 * mode, with no event in it yet: returns its number, or -1 when
 * CT_MAX_RINGS are there. */
int ct_recorder_add_ring(ct_recorder *r, void *mem, uint64_t capacity_words);
/* Send event `id` to ring `k` (refreshes the flags). */
void ct_recorder_set_ring(ct_recorder *r, uint16_t id, unsigned k);

/* Recompute the CT_SLOW bit of every enabled event. Called by everything
 * below that changes the window or the hooks; call it after setting
 * flags[] by hand. A copy of flags[] kept elsewhere (the emulator keeps
 * one in its hot struct) must be refreshed from it. */
void ct_recorder_refresh(ct_recorder *r);

/* The flag an enabled event of ring 0 has now: CT_ON, plus CT_SLOW |
 * CT_CHECKED when the checked path is needed. */
CT_INLINE unsigned ct_recorder_flag(const ct_recorder *r) {
    const bool slow = r->nhooks != 0 || r->ring.mode != CT_OVERWRITE || r->rec_lo != 0 ||
                      r->rec_span != ~(uint64_t)0 || r->stop_after != 0;
    return slow ? CT_ON | CT_SLOW | CT_CHECKED : CT_ON;
}
/* The flag event `id` has when enabled, with its ring. For code that calls
 * an emitter (pfx_emit_ID) directly. */
CT_INLINE unsigned ct_recorder_flag_of(const ct_recorder *r, uint16_t id) {
    const unsigned f = ct_recorder_flag(r), k = id < CT_MAX_EVENTS ? r->ring_of[id] : 0;
    return k ? f | CT_SLOW | k << CT_RING_SHIFT : f;
}
/* The ring event `id` is written to. */
CT_INLINE ct_ring *ct_recorder_ring_of(ct_recorder *r, uint16_t id) {
    return r->rings[id < CT_MAX_EVENTS ? r->ring_of[id] : 0];
}

/* Add a hook run after each record, with `ctx` as its first argument: 0,
 * or -1 when CT_MAX_HOOKS are armed already. Remove it with the same pair. */
int ct_recorder_add_hook(ct_recorder *r, ct_hook_fn fn, void *ctx);
void ct_recorder_remove_hook(ct_recorder *r, ct_hook_fn fn, const void *ctx);
/* The ctx of the first armed hook `fn`, or NULL. */
void *ct_recorder_hook_ctx(const ct_recorder *r, ct_hook_fn fn);

/* What tools above the recorder (triggers, a debugger) do to it: these
 * calls, never its fields. */

/* Record event `id` from now on (with the flag the recorder's state needs).
 * A copy of the flags kept elsewhere must be refreshed (gb_set_recorder). */
CT_INLINE void ct_recorder_enable(ct_recorder *r, uint16_t id) {
    if (id < CT_MAX_EVENTS) r->flags[id] = (uint8_t)ct_recorder_flag_of(r, id);
}
/* The event's flag: 0 when it is not recorded. */
CT_INLINE unsigned ct_recorder_event_flag(const ct_recorder *r, uint16_t id) {
    return id < CT_MAX_EVENTS ? r->flags[id] : 0;
}
/* The schema the recorder was made with. */
CT_INLINE const ct_schema *ct_recorder_schema(const ct_recorder *r) {
    return r->schema;
}
/* Records written so far (including overwritten ones), in all rings. */
CT_INLINE uint64_t ct_recorder_written(const ct_recorder *r) {
    uint64_t n = 0;
    for (unsigned k = 0; k < r->nrings; k++)
        n += ct_ring_written(r->rings[k]);
    return n;
}
/* Readers keep only the last `n` records written so far in each ring and
 * everything after them (n = 0: only what comes next). A start trigger
 * with history. */
CT_INLINE void ct_recorder_keep_last(ct_recorder *r, uint64_t n) {
    for (unsigned k = 0; k < r->nrings; k++) {
        const uint64_t w = ct_ring_written(r->rings[k]);
        r->rings[k]->keep_from = w > n ? w - n : 0;
    }
}
/* Write a record now, past the recording gate (a frozen recorder too): the
 * event that unfreezes it, which went past the closed gate a moment ago. */
CT_INLINE void ct_recorder_record_now(ct_recorder *r, uint16_t id, uint64_t ts, const uint8_t *p,
                                      unsigned plen) {
    ct_ring_write(ct_recorder_ring_of(r, id), id, ts, p, plen);
}
/* Freeze after `n` more records (the records the stop trigger's `post N`
 * asks for); 0 cancels. */
void ct_recorder_stop_after(ct_recorder *r, uint64_t n);

/* Record only events with lo <= ts <= hi. */
CT_INLINE void ct_recorder_window(ct_recorder *r, uint64_t lo, uint64_t hi) {
    r->rec_lo = lo;
    r->rec_span = hi >= lo ? hi - lo : 0;
    if (hi < lo) r->rec_lo = ~(uint64_t)0; /* empty window: record nothing */
    ct_recorder_refresh(r);
}
/* Unfreeze: record everything again. */
CT_INLINE void ct_recorder_resume(ct_recorder *r) {
    ct_recorder_window(r, 0, ~(uint64_t)0);
}
/* Nothing is recorded after ts `after` (pass the current time to stop now). */
CT_INLINE void ct_recorder_stop_at(ct_recorder *r, uint64_t after) {
    ct_recorder_window(r, r->rec_lo, after);
}
/* Freeze: record nothing until the window moves again (the ring keeps what
 * it holds). */
CT_INLINE void ct_recorder_pause(ct_recorder *r) {
    ct_recorder_window(r, 1, 0);
}
CT_INLINE bool ct_recorder_is_recording(const ct_recorder *r, uint64_t ts) {
    return ts - r->rec_lo <= r->rec_span;
}

/* The slow record path (out of line): the window test, the ring write in
 * any mode, then the hooks (the stream writer, the emulator's event hook) with the
 * payload as bytes. `pw` is packed as for ct__ring_put. */
void ct_record_slow(ct_recorder *r, uint16_t id, uint64_t ts, const uint64_t *pw, unsigned plen);
/* What an emitter calls for a flag with CT_SLOW: the plain write into the
 * event's ring, or ct_record_slow when CT_CHECKED is set. */
void ct_record_other(ct_recorder *r, unsigned flag, uint16_t id, uint64_t ts, const uint64_t *pw,
                     unsigned plen);
void ct_record_hooks(ct_recorder *r, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen);

/*
 * The trace point. An expression; one unlikely branch on the event's enabled
 * flag; nothing at all when CERES_TRACE_OFF is defined.
 *   CT_EMIT(flags, rec, pfx, ID, ts, args...)
 * `flags` is the per-event flags array (usually rec->flags, or a copy kept in a hot
 * struct), pfx the schema prefix used with CT_EMITTER.
 *
 * CT_EMIT writes the record inline: for events that come by the million (an
 * instruction, a bus access). CT_EMIT_COLD calls an out-of-line copy of the
 * emitter instead, so a trace point for a rare event adds only a test and a
 * call to the host's code: inline records in every rare spot would make the
 * host's hot functions bigger (and change what the compiler inlines) even
 * while tracing is off.
 */
#ifdef CERES_TRACE_OFF
/* Compiled out: the call sits in a branch that is never taken, so nothing
 * is evaluated, yet the operands still count as used (no unused-variable
 * warnings in a build without trace points). */
CT_INLINE void ct__unused(int n, ...) {
    (void)n;
}
#define CT_EMIT(flags, rec, pfx, ID, ts, ...)                                                      \
    (0 ? ct__unused(0, (flags)[pfx##ev_##ID], (rec), (ts), __VA_ARGS__) : (void)0)
#define CT_EMIT_COLD CT_EMIT
#else
#define CT_EMIT(flags, rec, pfx, ID, ts, ...)                                                      \
    (CT_UNLIKELY((flags)[pfx##ev_##ID])                                                            \
         ? pfx##emit_##ID((rec), (flags)[pfx##ev_##ID], (ts), __VA_ARGS__)                         \
         : (void)0)
#define CT_EMIT_COLD(flags, rec, pfx, ID, ts, ...)                                                 \
    (CT_UNLIKELY((flags)[pfx##ev_##ID])                                                            \
         ? pfx##emit_##ID##_cold((rec), (flags)[pfx##ev_##ID], (ts), __VA_ARGS__)                  \
         : (void)0)
#endif

#ifdef __cplusplus
}
#endif
#endif
