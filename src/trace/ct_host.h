/* ceres-trace, hosted part: allocation, filters, string interning, dump and
 * exporters, streaming JSON, trace-file reader, crash-safe writer. Knows
 * nothing of the Game Boy: everything goes through the ct_schema.
 * Errors: functions return 0 or a negative errno-style code, never exit or
 * abort; messages go to the caller's err buffer. */
#ifndef CERES_CT_HOST_H
#define CERES_CT_HOST_H

#include "ct.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Format a message into a caller's err buffer (nothing when err is NULL
 * or errlen 0): how the hosted functions of every layer fill their `err`. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
void ct_errf(char *err, size_t errlen, const char *fmt, ...);

/* ---- sizes and lifecycle ---------------------------------------------- */

/* Parse a ring size: "4M", "512K", "1G", "65536" (bytes) or "200000ev"
 * (events); "0" means recording off. Exactly one of *bytes / *events is set
 * non-zero (both 0 for "0"). */
int ct_parse_size(const char *s, uint64_t *bytes, uint64_t *events, char *err, size_t errlen);

/* Create a recorder whose memory (ring + sync table) never exceeds `bytes`,
 * or, with `events`, holds at least that many of the schema's largest records
 * and keeps exactly the last (overwrite) / first (discard) `events` on dump.
 * The memory is an anonymous mapping, reserved but not touched: pages are
 * faulted in (zero-filled) as the ring first reaches them. NULL on error (err says why), e.g. for a
 * byte bound below 16 KiB + 144 B: readers find records through 4 KiB sync chunks, and a wrapped
 * ring of fewer than four of them would lose most of its records. */
ct_recorder *ct_recorder_create(const ct_schema *s, uint64_t bytes, uint64_t events, ct_mode mode,
                                char *err, size_t errlen);
/* Several rings by data class, each with its own bound, so a flood of one
 * class (instructions) cannot evict another (interrupts, DMA, bank
 * switches). ct_recorder_create_spec chooses the rings: a size as for
 * ct_parse_size (one ring, as ct_recorder_create; `all=SIZE` too), or
 * SEL=SIZE[,SEL=SIZE...] (e.g. debug=512K,rest=3584K), up to
 * CT_MAX_RINGS rings in that order, where SEL is a target (`cpu`), an event
 * (`cpu.irq`), a level (`debug`: the events at that level and above) or
 * `rest` (every event no other ring takes; the first ring when absent),
 * or several of them joined by '+' for one ring (ppu.mode+io.read=512K). An
 * event goes to the ring naming it, else its target, else the most
 * selective level taking it, else `rest`. The ring taking the most
 * trace-level events becomes ring 0 (the plain record path's). Readers
 * merge the rings by timestamp. */
ct_recorder *ct_recorder_create_spec(const ct_schema *s, const char *spec, ct_mode mode, char *err,
                                     size_t errlen);
/* Memory of all the recorder's rings, in bytes (never above the bound). */
uint64_t ct_recorder_bytes(const ct_recorder *r);
/* The rings for people, each with its real size in bytes: e.g. "3 rings
 * of 4194240 bytes: 3145712 (4 events, trace), 524272 (ppu.mode ppu.ly
 * io.read dma.byte), 524256 (29 events, error..debug)" or "one ring of
 * 4194288 bytes". */
void ct_recorder_describe(const ct_recorder *r, char *buf, size_t len);
/* The stamp from which every ring still holds all it recorded: the latest
 * of the rings' oldest kept records (0 when empty). With rings by class the
 * rare events reach further back than this; a window that must hold
 * everything (a full-detail replay) starts here. */
uint64_t ct_recorder_common_start(const ct_recorder *r);
void ct_recorder_destroy(ct_recorder *r);
/* Empty the recorder for a new run, as if it were just created with the
 * same rings: no records, counters at zero, every event off (apply a filter
 * again), no hooks, window and stop cleared, interned strings and an open
 * stream dropped. The rings' memory is kept, and the pages a run faulted in
 * stay in: a process running one test after another (the test runner's
 * workers) pays for them once, not once per test. */
void ct_recorder_reset(ct_recorder *r);

/* ---- filters ----------------------------------------------------------- */

/* RUST_LOG-like spec: comma-separated directives, each `LEVEL`, `TARGET`,
 * `TARGET=LEVEL`, `TARGET.EVENT` or `TARGET.EVENT=LEVEL`; levels error, warn,
 * info, debug, trace, off. A bare LEVEL sets the default. Later directives
 * win over earlier ones; the most specific wins over the less specific.
 * Writes one flag per event into enabled[schema->nevents]. On a bad spec,
 * returns -EINVAL and err shows the spec with a caret under the bad part. */
int ct_filter_parse(const ct_schema *s, const char *spec, uint8_t *enabled, char *err,
                    size_t errlen);
int ct_filter_apply(ct_recorder *r, const char *spec, char *err, size_t errlen);

/* Intern a string for CT_T_STR fields; returns its index (stable for the
 * recorder's life). Not for the hot path. */
uint32_t ct_intern(ct_recorder *r, const char *str);

/* ---- safe output files ------------------------------------------------- */

/* Every file Ceres writes goes through these. A new or regular target is
 * written to a temporary file created exclusively (O_EXCL|O_NOFOLLOW) in the
 * target's folder, then renamed over it (an existing file keeps its mode);
 * on error nothing is left behind. An existing device or FIFO (/dev/null,
 * /dev/stdout) is written in place, never replaced or truncated. A symbolic
 * link is refused with -ELOOP unless it leads to a device or FIFO; it is
 * never followed into a file. A directory gives -EISDIR. */
typedef struct ct_file {
    int fd; /* write here */
    bool direct;
    char path[4096];
    char tmp[4200];
} ct_file;

int ct_file_open(ct_file *f, const char *path);
/* Finish: with err == 0 the file is complete (renamed into place); with an
 * error it is abandoned (temporary removed) and err returned. Returns 0 or
 * -errno (close and rename errors included). */
int ct_file_commit(ct_file *f, int err);
void ct_file_abandon(ct_file *f);
/* The whole of data as PATH, through ct_file_open/commit. */
int ct_file_write_all(const char *path, const void *data, size_t size);
/* "Can I write here?": 0 if ct_file_open would succeed (a temporary file is
 * created and removed in the folder to find out; nothing else changes),
 * else -errno. For checking output paths before a long run. */
int ct_file_check(const char *path);
/* Read an input file whole (malloc'd, NUL-terminated): only a regular file
 * of at most max bytes; its type and size are checked before anything is
 * read, so a FIFO or a device (/dev/urandom) is refused at once (-ESPIPE),
 * a directory gives -EISDIR, a larger file -EFBIG. */
int ct_read_file(const char *path, size_t max, uint8_t **data, size_t *size);
/* The first len bytes of a regular file (fewer if it is shorter; *got says
 * how many), with the same checks, for sniffing a file's format. */
int ct_read_head(const char *path, void *buf, size_t len, size_t *got);
/* strerror, with clearer words for the refusals above (ELOOP, EISDIR,
 * ESPIPE). */
const char *ct_file_strerror(int err);

/* ---- dump -------------------------------------------------------------- */

typedef enum ct_format {
    CT_FMT_AUTO = 0, /* from the file name's extension */
    CT_FMT_PERFETTO, /* .perfetto-trace (Perfetto protobuf) */
    CT_FMT_JSON,     /* .json (Chrome trace event format) */
    CT_FMT_LOG,      /* .log (text, one event a line) */
    CT_FMT_CTRACE,   /* .ctrace (native: header, schema, raw records) */
} ct_format;

/* Optional per-event text formatter for .log output and `trace cat` (the
 * emulator uses it for disassembly and the Gameboy Doctor format). Writes at
 * most len bytes (NUL-terminated) and returns the length, or -1 to fall back
 * to the generic `STAMP target.name field=value ...` line (STAMP: ns of
 * emulated time, or ticks with raw_cycles; `ts` is that stamp). Its line is
 * written as it is (no time stamp added, and no header line in a .log made
 * with a formatter and raw_cycles unless events were lost; without
 * raw_cycles the header says the stamps are ns), so it can be compared with
 * reference logs. */
typedef int (*ct_line_fmt)(void *ctx, const ct_schema *s, uint16_t id, uint64_t ts,
                           const uint8_t *payload, char *buf, size_t len);

/* How the Perfetto exporter shows a schema's events, set up by the program
 * that knows what they mean (the emulator names instructions by their
 * disassembly); both calls are optional.
 *  - event(): asked once per event id before a dump. *hex: the fields
 *    (bit f = field f) shown in hex (as pointer values). *key: for a CT_STEP
 *    event, the fields its slice name depends on (at most 8 bytes of fields
 *    in all, else ignored): each distinct combination of their values is
 *    one name, interned once, and named by slice_name().
 *  - slice_name(): the name of a step event with those key values, into buf
 *    (NUL-terminated); returns its length, or -1 for the event's own name. */
typedef struct ct_look {
    void (*event)(void *ctx, const ct_schema *s, uint16_t id, uint32_t *hex, uint32_t *key);
    int (*slice_name)(void *ctx, const ct_schema *s, uint16_t id, const uint8_t *payload, char *buf,
                      size_t len);
    void *ctx;
} ct_look;

typedef struct ct_dump_opts {
    ct_format format;
    bool raw_cycles; /* timestamps as raw ticks instead of nanoseconds */
    ct_line_fmt line_fmt;
    void *line_fmt_ctx;
    /* .perfetto-trace: write the event packets as plain protobuf (readable
     * with protoc) instead of deflate-compressed TracePacket.compressed_packets
     * chunks (about 6x smaller; Perfetto reads both). */
    bool uncompressed;
    /* .perfetto-trace: slice names and hex fields (NULL: event names,
     * decimal). */
    const ct_look *look;
} ct_dump_opts;

ct_format ct_format_from_path(const char *path);
int ct_format_parse(const char *name, ct_format *out); /* "perfetto", "json", "log", "ctrace" */

/* Dump the ring: atomic (temporary name + rename), descriptors and interned
 * names written every time, safe to call repeatedly while recording goes on.
 * Returns 0 or -errno; no partial file is left behind on error. A path
 * naming a device or FIFO (/dev/stdout) is written in place. The format
 * comes from opts->format, else from the extension, else .ctrace. */
int ct_dump(const ct_recorder *r, const char *path, const ct_dump_opts *opts);

/* Async-signal-safe .ctrace writer for crash handlers: write(2) only, no
 * allocation, no stdio. */
int ct_dump_ctrace_fd(const ct_recorder *r, int fd);

/* ---- streaming (the old way, kept for comparison) ---------------------- */

/* Write every recorded event to a Chrome JSON file as it happens (buffered
 * stdio, formatted per event). ct_stream_close() finishes the file. */
int ct_stream_open(ct_recorder *r, const char *path, bool raw_cycles, char *err, size_t errlen);
int ct_stream_close(ct_recorder *r);

/* ---- reading trace files ----------------------------------------------- */

typedef struct ct_event {
    uint64_t ts;
    uint16_t id;
    uint8_t payload[CT_MAX_PAYLOAD];
} ct_event;

/* A trace in memory: a schema (owned copy when loaded from a file), its
 * interned strings, the events oldest first, and the ring's statistics. */
typedef struct ct_trace {
    ct_schema schema;
    ct_event_desc *events_desc; /* owned when loaded */
    char **strings;
    uint32_t nstrings;
    ct_event *ev;
    uint64_t nev;
    uint64_t written, overwritten, dropped; /* ring statistics at dump time */
    uint64_t ring_bytes;
} ct_trace;

/* Snapshot a recorder's ring (oldest first, event bound applied). */
int ct_trace_from_recorder(const ct_recorder *r, ct_trace **out);
/* Load a .ctrace or .perfetto-trace written by ct_dump. Untrusted input:
 * malformed files give -EINVAL and a message. A .perfetto-trace does not
 * carry the schema; it is rebuilt from the file (timestamps in ns, ts_hz
 * 1e9, or the ticks and tick rate of one written with raw_cycles; unsigned
 * fields as wide as their values need; levels unknown). */
int ct_trace_load(const char *path, ct_trace **out, char *err, size_t errlen);
/* The largest trace file ct_trace_load reads (it is read whole); its type
 * and size are checked before reading. */
#define CT_TRACE_FILE_MAX ((size_t)8 << 30)
int ct_trace_write(const ct_trace *t, const char *path, const ct_dump_opts *opts);
void ct_trace_free(ct_trace *t);

/* Field access on a payload. */
uint64_t ct_field_u64(const ct_event_desc *d, unsigned field, const uint8_t *payload);
int ct_field_index(const ct_event_desc *d, const char *name); /* -1 if none */

#ifdef __cplusplus
}
#endif

#endif
