/* ceres-trace: the flight recorder.
 *
 * This header is the freestanding part: event schema, ring buffer and record
 * path. It needs only <stdint.h>, <stddef.h>, <stdbool.h> and <stdatomic.h>
 * (all available with -ffreestanding) and never calls libc: the caller hands
 * it memory, the timestamp comes in as an argument.
 *
 * Ring layout (after LTTng-UST): a power-of-two array of 64-bit words and a
 * free-running write offset `head` (in words) masked on use. A record is
 *
 *   word 0   id (16 bits) | nwords (8 bits) << 16 | payload bytes 0..3 << 32
 *   word 1   timestamp (u64, caller's clock: T-cycles for the emulator)
 *   word 2.. payload bytes 4.., little-endian, zero padded to a word
 *
 * Payload fields are packed in declaration order at their natural width
 * (u8/bool 1, u16 2, u32/i32/str 4, u64 8 bytes), without alignment.
 *
 * In overwrite mode the oldest records are overwritten. The reader finds the
 * first whole record through a small "sync" table: for every 4 KiB chunk of
 * the ring it holds the offset of the first record that starts in it. The
 * write path touches it only when a record crosses into a new chunk.
 */
#ifndef CERES_CT_H
#define CERES_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define CT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CT_INLINE      static inline __attribute__((always_inline))
#define CT_NOINLINE    __attribute__((noinline))
#else
#define CT_LIKELY(x)   (x)
#define CT_UNLIKELY(x) (x)
#define CT_INLINE      static inline
#define CT_NOINLINE
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
    uint64_t ts_hz;   /* timestamp ticks per second (4194304 for T-cycles) */
    uint32_t nevents;
    const ct_event_desc *events;
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
 *   const ct_schema my_schema = {"my", 4194304, my_ev_count, my_events};
 *
 * Field names must not be r_, ts_, n_, p_, o_, v_ or i_.
 */
#define CT__PSIZE(t, n) +CT_SIZE_##t
#define CT__PARAM(t, n) , CT_CTYPE_##t n
#define CT__PACK(t, n)                                                                             \
    {                                                                                              \
        uint64_t v_ = (uint64_t)(n);                                                               \
        for (unsigned i_ = 0; i_ < CT_SIZE_##t; i_++)                                              \
            p_[o_++] = (uint8_t)(v_ >> (8 * i_));                                                  \
    }
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

/* The payload is packed twice: once into words for the ring write, where it
 * never escapes and so lives in registers, and again as bytes only on the
 * cold path that hands it to the stream/trigger hooks (a payload passed to a
 * call must sit in memory; packing it up front cost ~0.8 ns per event). */
#define CT_EMITTER(pfx, ID, tgt, nm, lvl, kind, ...)                                               \
    CT_INLINE void pfx##emit_##ID(struct ct_recorder *r_,                                          \
                                  uint64_t ts_ CT_FOR_PAIRS(CT__PARAM, __VA_ARGS__)) {             \
        enum { n_ = 0 CT_FOR_PAIRS(CT__PSIZE, __VA_ARGS__) };                                      \
        {                                                                                          \
            uint64_t w_[(n_ + 4 + 7) / 8] = {0};                                                   \
            unsigned o_ = 0;                                                                       \
            CT_FOR_PAIRS(CT__PACKW, __VA_ARGS__)                                                   \
            ct_record_ring_words(r_, (uint16_t)(pfx##ev_##ID), ts_, w_, n_);                       \
        }                                                                                          \
        if (CT_UNLIKELY(ct_record_hooked(r_))) {                                                   \
            uint8_t p_[n_ + 8];                                                                    \
            unsigned o_ = 0;                                                                       \
            CT_FOR_PAIRS(CT__PACK, __VA_ARGS__)                                                    \
            ct_record_hooks(r_, (uint16_t)(pfx##ev_##ID), ts_, p_, n_);                            \
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

typedef enum ct_mode {
    CT_OVERWRITE = 0, /* flight recorder: keep the newest records */
    CT_DISCARD = 1,   /* keep the oldest records, drop new ones when full */
} ct_mode;

typedef struct ct_ring {
    uint64_t *words;     /* capacity words, caller's memory */
    uint64_t mask;       /* capacity - 1 (capacity a power of two) */
    uint64_t head;       /* free-running write offset in words */
    uint64_t limit;      /* head may not pass this (discard mode), else ~0 */
    uint64_t written;    /* records written (including overwritten ones) */
    uint64_t dropped;    /* records dropped in discard mode */
    uint64_t keep_from;  /* readers skip records numbered below this (records
                            are numbered 0.. in write order; a start trigger
                            with --pre N history sets it) */
    uint64_t max_events; /* event bound (0 = none): readers keep the last N;
                            in discard mode, records past it are dropped */
    uint64_t *sync;      /* capacity >> CT_SYNC_SHIFT entries (at least 1) */
    uint64_t sync_mask;
    uint8_t mode;
} ct_ring;

/* Bytes of caller memory a ring of `capacity_words` (power of two, >= 64)
 * needs: the words plus the sync table. */
CT_INLINE size_t ct_ring_mem_bytes(uint64_t capacity_words) {
    uint64_t nsync = capacity_words >> CT_SYNC_SHIFT;
    if (nsync == 0) nsync = 1;
    return (size_t)((capacity_words + nsync) * sizeof(uint64_t));
}

/* Largest power-of-two word capacity whose ct_ring_mem_bytes() fits in
 * `bytes`; 0 if even the minimum (64 words) does not fit. */
uint64_t ct_ring_words_for_bytes(size_t bytes);

/* Initialise a ring in caller memory (8-byte aligned, ct_ring_mem_bytes()
 * long) and touch every page of it so the record path never page-faults. */
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

CT_INLINE void ct_ring_write_words(ct_ring *r, uint16_t id, uint64_t ts, const uint64_t *pw,
                                   unsigned plen) {
    const unsigned n = ct_rec_words(plen);
    const uint64_t h = r->head;
    if (CT_UNLIKELY(h + n > r->limit)) {
        r->dropped++;
        return;
    }
    uint64_t *const w = r->words;
    const uint64_t m = r->mask, i = h & m;
    if (CT_LIKELY(i + n <= m + 1)) {
        /* The record does not wrap: plain consecutive stores. */
        uint64_t *const p = w + i;
        p[0] = pw[0] | (uint64_t)id | ((uint64_t)n << 16);
        p[1] = ts;
        for (unsigned k = 2; k < n; k++)
            p[k] = pw[k - 1];
    } else {
        w[i] = pw[0] | (uint64_t)id | ((uint64_t)n << 16);
        w[(h + 1) & m] = ts;
        for (unsigned k = 2; k < n; k++)
            w[(h + k) & m] = pw[k - 1];
    }
    const uint64_t nh = h + n;
    if (CT_UNLIKELY(((h ^ nh) >> CT_SYNC_SHIFT) != 0))
        r->sync[(nh >> CT_SYNC_SHIFT) & r->sync_mask] = nh;
    atomic_signal_fence(memory_order_release);
    r->head = nh;
    r->written++;
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
 * ring; walk with ct_ring_next() while the offset is < r->head. `safety`
 * extra chunks are skipped at the old end (the crash handler passes 1 in case
 * the interrupted write was overwriting the oldest chunk). */
uint64_t ct_ring_first(const ct_ring *r, unsigned safety);
CT_INLINE uint64_t ct_ring_word(const ct_ring *r, uint64_t off) {
    return r->words[off & r->mask];
}
CT_INLINE unsigned ct_ring_rec_words(const ct_ring *r, uint64_t off) {
    return (unsigned)((ct_ring_word(r, off) >> 16) & 0xFF);
}
/* Copy the payload of the record at `off` into out[CT_MAX_PAYLOAD]; returns
 * its id; *ts gets the timestamp. */
uint16_t ct_ring_read(const ct_ring *r, uint64_t off, uint64_t *ts, uint8_t *out);

/* ---- recorder ---------------------------------------------------------- */

struct ct_stream;
typedef void (*ct_stream_fn)(struct ct_stream *s, uint16_t id, uint64_t ts, const uint8_t *p,
                             unsigned plen);

#define CT_MAX_EVENTS 256

typedef struct ct_recorder {
    ct_ring ring;
    const ct_schema *schema;
    /* Per-event enabled flags, set from a filter spec (ct_filter_apply). The
     * trace macro tests these: one byte, one predictable branch. */
    uint8_t enabled[CT_MAX_EVENTS];
    /* Streaming mode (the old way, kept for comparison): when set, every
     * recorded event is also handed to this hosted callback. */
    struct ct_stream *stream;
    ct_stream_fn stream_fn;
    /* Hook run after each record (triggers); NULL when none are armed. */
    void (*post_hook)(struct ct_recorder *r, uint16_t id, uint64_t ts, const uint8_t *p,
                      unsigned plen);
    void *post_hook_ctx;
    /* Recording gate: a record reaches the ring only when its timestamp lies
     * in [rec_lo, rec_lo + rec_span]. One unsigned compare does it; windows
     * (--cycles X..Y) and start/stop triggers just move these two numbers,
     * so a window is exact to the cycle. Use ct_recorder_window/pause/
     * resume rather than writing them directly. */
    uint64_t rec_lo, rec_span;
    /* Interned strings for CT_T_STR fields (hosted side fills these). */
    const char **strings;
    uint32_t nstrings, strings_cap;
} ct_recorder;

/* Initialise a recorder over a ring in caller memory; all events disabled. */
void ct_recorder_init(ct_recorder *r, const ct_schema *schema, void *mem, uint64_t capacity_words,
                      ct_mode mode, uint64_t max_events);

/* Record only events with lo <= ts <= hi. */
CT_INLINE void ct_recorder_window(ct_recorder *r, uint64_t lo, uint64_t hi) {
    r->rec_lo = lo;
    r->rec_span = hi >= lo ? hi - lo : 0;
    if (hi < lo) r->rec_lo = ~(uint64_t)0; /* empty window: record nothing */
}
CT_INLINE void ct_recorder_resume(ct_recorder *r) {
    ct_recorder_window(r, 0, ~(uint64_t)0);
}
/* Nothing is recorded after ts `after` (pass the current time to stop now). */
CT_INLINE void ct_recorder_stop_at(ct_recorder *r, uint64_t after) {
    ct_recorder_window(r, r->rec_lo, after);
}
CT_INLINE void ct_recorder_pause(ct_recorder *r) {
    ct_recorder_window(r, 1, 0);
}
CT_INLINE bool ct_recorder_is_recording(const ct_recorder *r, uint64_t ts) {
    return ts - r->rec_lo <= r->rec_span;
}

/* The record path in three parts: the ring write (inside the recording
 * window), a test for hooks, and the hooks themselves (out of line: the
 * stream writer and the triggers). */
CT_INLINE void ct_record_ring(ct_recorder *r, uint16_t id, uint64_t ts, const uint8_t *p,
                              unsigned plen) {
    if (CT_LIKELY(ts - r->rec_lo <= r->rec_span)) ct_ring_write(&r->ring, id, ts, p, plen);
}
CT_INLINE void ct_record_ring_words(ct_recorder *r, uint16_t id, uint64_t ts, const uint64_t *pw,
                                    unsigned plen) {
    if (CT_LIKELY(ts - r->rec_lo <= r->rec_span)) ct_ring_write_words(&r->ring, id, ts, pw, plen);
}
CT_INLINE bool ct_record_hooked(const ct_recorder *r) {
    return ((uintptr_t)r->stream | (uintptr_t)r->post_hook) != 0;
}
void ct_record_hooks(ct_recorder *r, uint16_t id, uint64_t ts, const uint8_t *p, unsigned plen);

CT_INLINE void ct_record(ct_recorder *r, uint16_t id, uint64_t ts, const uint8_t *p,
                         unsigned plen) {
    ct_record_ring(r, id, ts, p, plen);
    if (CT_UNLIKELY(ct_record_hooked(r))) ct_record_hooks(r, id, ts, p, plen);
}

/*
 * The trace point. An expression; one unlikely branch on the event's enabled
 * flag; nothing at all when CERES_TRACE_OFF is defined.
 *   CT_EMIT(flags, rec, pfx, ID, ts, args...)
 * `flags` is the enabled array (usually rec->enabled, or a copy kept in a hot
 * struct), pfx the schema prefix used with CT_EMITTER.
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
#else
#define CT_EMIT(flags, rec, pfx, ID, ts, ...)                                                      \
    (CT_UNLIKELY((flags)[pfx##ev_##ID]) ? pfx##emit_##ID((rec), (ts), __VA_ARGS__) : (void)0)
#endif

#ifdef __cplusplus
}
#endif
#endif
