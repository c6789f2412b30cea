/* A flight recorder in a program that is not a Game Boy: a toy print queue.
 *
 * Jobs arrive, wait in a bounded queue and are printed one at a time; the
 * clock is simulated microseconds. Every arrival, start, finish and the
 * queue depth are recorded into a small ring (overwrite mode: only the
 * newest records are kept, at a few nanoseconds each). After a few thousand
 * jobs the printer starts to jam and slows down; when a job has to be
 * rejected because the queue is full -- the "failure" -- the program dumps
 * the ring: the events that led up to it, as a .ctrace (read it back with
 * `ceres trace stats|cat`) and as a .perfetto-trace (open it in
 * ui.perfetto.dev).
 *
 *   queue_sim [OUT_PREFIX]     writes OUT_PREFIX.ctrace and .perfetto-trace
 *                              (default: queue)
 *
 * Build against an installed Ceres:
 *   cc -std=c11 queue_sim.c $(pkg-config --cflags --libs ceres-trace)
 * or with CMake: find_package(CeresTrace) and link CeresTrace::trace
 * (examples/CMakeLists.txt). */
#include <trace/ct.h>      /* events, ring, record path (freestanding) */
#include <trace/ct_host.h> /* recorder allocation, filters, dumps */

#include <stdio.h>
#include <stdlib.h>

/* 1. Declare the events: ID, target, name, level, kind, then (type, field)
 *    pairs. Kinds: INSTANT, BEGIN/END (a span on the target's track),
 *    COUNTER (first field is the value), STEP. */
#define Q_EVENTS(E)                                                                                \
    E(ARRIVE, job, arrive, INFO, INSTANT, U32, job, U16, pages)                                    \
    E(PRINT_BEGIN, printer, print, INFO, BEGIN, U32, job, U16, pages)                              \
    E(PRINT_END, printer, print_end, INFO, END, U32, job)                                          \
    E(DEPTH, queue, depth, DEBUG, COUNTER, U32, depth)                                             \
    E(REJECT, job, reject, WARN, INSTANT, U32, job, STR, reason)

/* 2. Expand them: an enum of ids, one inline emitter per event, and the
 *    schema (the descriptors that make the dump self-describing). */
#define Q__ENUM(ID, ...) q_ev_##ID,
enum q_ev { Q_EVENTS(Q__ENUM) q_ev_count };
#define Q__EMIT(ID, ...) CT_EMITTER(q_, ID, __VA_ARGS__)
Q_EVENTS(Q__EMIT)
static const ct_event_desc q_events[] = {Q_EVENTS(CT_DESC)};
static const ct_schema q_schema = {"print-queue", 1000000, q_ev_count, q_events, "us"};

#define QUEUE_MAX 8

/* A tiny deterministic random number generator (xorshift32). */
static uint32_t rnd(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

int main(int argc, char **argv) {
    const char *prefix = argc > 1 ? argv[1] : "queue";
    char err[256];

    /* 3. A recorder with a 64 KiB ring, keeping the newest records. */
    ct_recorder *rec = ct_recorder_create(&q_schema, 64 * 1024, 0, CT_OVERWRITE, err, sizeof err);
    if (!rec) {
        fprintf(stderr, "queue_sim: %s\n", err);
        return 1;
    }
    /* Which events to record: everything at debug and above. */
    if (ct_filter_apply(rec, "debug", err, sizeof err)) {
        fprintf(stderr, "queue_sim: %s\n", err);
        return 1;
    }
    const uint32_t queue_full = ct_intern(rec, "queue full");

    uint32_t seed = 2463534242u, queue[QUEUE_MAX], depth = 0, next_job = 1, printing = 0;
    uint64_t now = 0, busy_until = 0;
    for (;;) {
        /* 4. Record: one predictable branch while an event is off, a few
         *    stores into the ring while it is on. */
        if (printing && now >= busy_until) {
            CT_EMIT(rec->flags, rec, q_, PRINT_END, now, printing);
            printing = 0;
        }
        if (!printing && depth) {
            printing = queue[0];
            for (uint32_t i = 1; i < depth; i++)
                queue[i - 1] = queue[i];
            depth--;
            uint16_t pages = (uint16_t)(1 + printing % 5);
            CT_EMIT(rec->flags, rec, q_, PRINT_BEGIN, now, printing, pages);
            CT_EMIT(rec->flags, rec, q_, DEPTH, now, depth);
            /* 150 us a page; from job 3000 on the printer jams: 20x slower. */
            busy_until = now + (printing < 3000 ? 150u : 3000u) * pages;
        }
        if (rnd(&seed) % 4 == 0) { /* a job arrives */
            uint32_t job = next_job++;
            uint16_t pages = (uint16_t)(1 + job % 5);
            CT_EMIT(rec->flags, rec, q_, ARRIVE, now, job, pages);
            if (depth == QUEUE_MAX) {
                /* 5. The failure: record why, then dump what led to it. */
                CT_EMIT(rec->flags, rec, q_, REJECT, now, job, queue_full);
                char path[512];
                int rc = 0;
                snprintf(path, sizeof path, "%s.ctrace", prefix);
                rc |= ct_dump(rec, path, &(ct_dump_opts){.format = CT_FMT_CTRACE});
                snprintf(path, sizeof path, "%s.perfetto-trace", prefix);
                rc |= ct_dump(rec, path, &(ct_dump_opts){.format = CT_FMT_PERFETTO});
                printf("job %u rejected at t=%llu us after %llu events; dumped %s.ctrace and "
                       "%s.perfetto-trace\n",
                       job, (unsigned long long)now,
                       (unsigned long long)ct_ring_written(&rec->ring), prefix, prefix);
                ct_recorder_destroy(rec);
                return rc ? 1 : 0;
            }
            queue[depth++] = job;
            CT_EMIT(rec->flags, rec, q_, DEPTH, now, depth);
        }
        now += 100 + rnd(&seed) % 200;
    }
}
