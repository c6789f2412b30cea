// A C++ program using the installed headers and libraries: a schema of its
// own recorded and read back through the hosted API, the emulator's own
// schema (gb_events.h) recorded from C++, and the emulator core linked in.
//
//   c++ -std=c++17 cxx_consumer.cpp $(pkg-config --cflags --libs ceres-gb)
#include <gb/gb.h>
#include <gb/gb_events.h>
#include <trace/ct.h>
#include <trace/ct_host.h>
#include <trace/ct_tools.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#define CX_EVENTS(E)                                                                               \
    E(FRAME, render, frame, INFO, BEGIN, U32, frame)                                               \
    E(FRAME_END, render, frame_end, INFO, END, U32, frame)                                         \
    E(LOAD, render, load, DEBUG, COUNTER, U64, bytes, I32, delta, BOOL, cached)

#define CX__ENUM(ID, ...) cx_ev_##ID,
enum cx_ev { CX_EVENTS(CX__ENUM) cx_ev_count };
#define CX__EMIT(ID, ...) CT_EMITTER(cx_, ID, __VA_ARGS__)
CX_EVENTS(CX__EMIT)
static const ct_event_desc cx_events[] = {CX_EVENTS(CT_DESC)};
static const ct_schema cx_schema = {"cxx", 1000000000, cx_ev_count, cx_events, "ns"};

static int fail(const char *what, const char *err) {
    std::fprintf(stderr, "cxx_consumer: %s: %s\n", what, err);
    return 1;
}

int main(int argc, char **argv) {
    const std::string out = argc > 1 ? argv[1] : "cxx.ctrace";
    char err[256];
    ct_recorder *rec = ct_recorder_create(&cx_schema, 0, 1000, CT_OVERWRITE, err, sizeof err);
    if (!rec) return fail("create", err);
    if (ct_filter_apply(rec, "trace", err, sizeof err)) return fail("filter", err);
    for (uint32_t f = 0; f < 3000; f++) {
        const uint64_t t = 16666667ull * f;
        CT_EMIT(rec->flags, rec, cx_, FRAME, t, f);
        CT_EMIT(rec->flags, rec, cx_, LOAD, t + 10, 4096ull * f, -static_cast<int32_t>(f), f % 2);
        CT_EMIT(rec->flags, rec, cx_, FRAME_END, t + 16000000, f);
    }
    ct_dump_opts opts{};
    opts.format = CT_FMT_CTRACE;
    if (ct_dump(rec, out.c_str(), &opts)) return fail("dump", out.c_str());
    ct_recorder_destroy(rec);

    // Read it back: the ring kept exactly the last 1000 events.
    ct_trace *t = nullptr;
    if (ct_trace_load(out.c_str(), &t, err, sizeof err)) return fail("load", err);
    if (t->nev != 1000 || std::strcmp(t->schema.ts_unit ? t->schema.ts_unit : "", "ns") != 0)
        return fail("read back", "wrong event count or clock unit");
    ct_view_opts view{};
    view.to = UINT64_MAX;
    char line[256];
    ct_event_text(t, &t->ev[t->nev - 1], &view, line, sizeof line);
    std::printf("%llu events, last: %s\n", static_cast<unsigned long long>(t->nev), line);
    ct_trace_free(t);

    // The emulator's schema from C++: one cpu.exec record.
    ct_recorder *grec = ct_recorder_create(&gb_schema, 1 << 16, 0, CT_OVERWRITE, err, sizeof err);
    if (!grec) return fail("gb recorder", err);
    if (ct_filter_apply(grec, GB_DEFAULT_FILTER, err, sizeof err)) return fail("gb filter", err);
    CT_EMIT(grec->flags, grec, gb_, CPU_EXEC, 4, 0x0100, 0x00, 0, 0, 0, 0x13, 0, 0xD8, 0x01, 0x4D,
            0xB0, 0x01, 0xFFFE, false, 1);
    if (ct_ring_written(&grec->ring) != 1) return fail("gb record", "not recorded");
    ct_recorder_destroy(grec);

    // The core: a buffer of zeros is not a ROM it accepts.
    std::vector<uint8_t> rom(32768, 0);
    if (gb_rom_check(rom.data(), rom.size(), err, sizeof err) == 0)
        return fail("gb_rom_check", "accepted an empty ROM");
    std::printf("gb_rom_check: %s\n", err);
    return 0;
}
