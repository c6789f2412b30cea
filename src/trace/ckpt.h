/* A bounded ring of snapshots ("checkpoints") beside the event ring: blobs
 * of one fixed size (a machine's saved state), each stamped with the time it
 * was taken and a caller's tag, kept in at most `max_bytes` of memory and
 * `max_count` entries; the oldest go first. Knows nothing of what the blobs
 * hold.
 *
 * Storage (reverse deltas): the newest blob is kept whole; every older one
 * as the 32-byte blocks in which it differs from the next newer one (runs of
 * changed blocks, their old contents). Pushing compares the new blob with
 * the newest (memcmp per 512 bytes, then per block where they differ; or
 * only the parts the caller says may have changed) and turns the newest
 * into a delta; dropping the oldest
 * frees one delta and touches nothing else; getting entry i starts from the
 * newest and undoes the deltas back to i. Hosted (malloc). */
#ifndef CERES_CT_CKPT_H
#define CERES_CT_CKPT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ct_ckpt ct_ckpt;

/* Smallest byte bound accepted: the newest blob, a scratch blob and room
 * for a few deltas. */
size_t ct_ckpt_min_bytes(size_t blob_size);

/* NULL on error (message in err): blob_size 0, or max_bytes below
 * ct_ckpt_min_bytes(blob_size). max_count 0 = no count bound. */
ct_ckpt *ct_ckpt_create(size_t blob_size, uint64_t max_bytes, unsigned max_count, char *err,
                        size_t errlen);
void ct_ckpt_destroy(ct_ckpt *c);

/* Add a snapshot (blob_size bytes). Stamps must increase: entries stamped
 * at or after `stamp` are dropped first (a timeline that was rewound and
 * goes another way). Evicts the oldest until the bounds hold. 0 or -ENOMEM
 * (the ring is then unchanged). */
int ct_ckpt_push(ct_ckpt *c, uint64_t stamp, uint64_t tag, const void *blob);
/* A push that names what changed: the new blob is the newest entry with
 * each part's `len` bytes at `off` replaced by the bytes at `src` (parts in
 * increasing order of offset, not overlapping); only the parts are
 * compared, so a caller that knows what it changed since the newest entry
 * pays for that alone. Needs an entry stamped before `stamp` (else
 * -EINVAL: push the whole blob). 0, -EINVAL or -ENOMEM (ring unchanged). */
typedef struct ct_ckpt_part {
    size_t off, len;
    const void *src;
} ct_ckpt_part;
int ct_ckpt_push_parts(ct_ckpt *c, uint64_t stamp, uint64_t tag, const ct_ckpt_part *parts,
                       unsigned nparts);

unsigned ct_ckpt_count(const ct_ckpt *c);
/* Entry i, 0 = oldest. */
uint64_t ct_ckpt_stamp(const ct_ckpt *c, unsigned i);
uint64_t ct_ckpt_tag(const ct_ckpt *c, unsigned i);
/* Size of entry i as stored (the newest: blob_size). */
size_t ct_ckpt_stored(const ct_ckpt *c, unsigned i);
/* Index of the newest entry stamped at or before `stamp`, or -1. */
int ct_ckpt_find(const ct_ckpt *c, uint64_t stamp);
/* Rebuild entry i into out (blob_size bytes). 0 or -EINVAL. */
int ct_ckpt_get(const ct_ckpt *c, unsigned i, void *out);
/* Drop every entry after i (i = -1: all). */
void ct_ckpt_truncate(ct_ckpt *c, int i);

/* Memory held now (blobs, deltas, index), never above max_bytes. */
uint64_t ct_ckpt_bytes(const ct_ckpt *c);
uint64_t ct_ckpt_max_bytes(const ct_ckpt *c);
size_t ct_ckpt_blob_size(const ct_ckpt *c);
/* Entries evicted so far to keep the bounds. */
uint64_t ct_ckpt_evicted(const ct_ckpt *c);

#endif
