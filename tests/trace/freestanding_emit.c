/* Built by the recorder_freestanding test with -ffreestanding -nostdlib:
 * the record path (CT_EMIT into a ring) must not need libc. */
#include "trace/ct.h"

#define FS_EVENTS(E)                                                                               \
    E(SMALL, cpu, exec, TRACE, STEP, U16, pc, U8, op)                                              \
    E(WIDE, mem, blob, DEBUG, INSTANT, U64, a, U32, b, U16, c, U8, d, BOOL, e, I32, f, STR, g)

#define FS__ENUM(ID, ...) fs_ev_##ID,
enum fs_ev { FS_EVENTS(FS__ENUM) fs_ev_count };
#define FS__EMIT(ID, ...) CT_EMITTER(fs_, ID, __VA_ARGS__)
FS_EVENTS(FS__EMIT)

static const ct_event_desc fs_events[] = {FS_EVENTS(CT_DESC)};
const ct_schema fs_schema = {"fs", 1000000, fs_ev_count, fs_events};

void fs_setup(ct_recorder *r, uint64_t *mem, uint64_t words) {
    ct_recorder_init(r, &fs_schema, mem, words, CT_OVERWRITE, 0);
    r->flags[fs_ev_SMALL] = 1;
    r->flags[fs_ev_WIDE] = 1;
}

void fs_trace(ct_recorder *r, uint64_t ts, uint16_t pc, uint8_t op) {
    CT_EMIT(r->flags, r, fs_, SMALL, ts, pc, op);
    CT_EMIT(r->flags, r, fs_, WIDE, ts + 1, ts, (uint32_t)ts, pc, op, op & 1, -(int32_t)op, 7u);
}

/* The dump side of the ring is freestanding too (the crash handler). */
uint64_t fs_count(const ct_recorder *r) {
    uint64_t n = 0, ts;
    uint8_t payload[CT_MAX_PAYLOAD];
    for (uint64_t off = ct_ring_first(&r->ring, 1); off < ct_ring_head(&r->ring);
         off += ct_ring_rec_words(&r->ring, off)) {
        ct_ring_read(&r->ring, off, &ts, payload);
        n++;
    }
    return n;
}
