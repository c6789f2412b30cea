/* Running one test in this process: machine and recorder set-up, the check
 * loop, what a failure leaves (trace, text tail, screenshot, state; paths
 * and state.txt in failure.c) and the deterministic replay of a failure
 * with every event at trace level. */
#include "runner.h"

#include "../debug/trigger.h"
#include "../debug/gb_ckpt.h"
#include "../debug/disasm.h"

#include "../gb/gb_events.h"
#include "../play/input.h"
#include "rn_events.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Checks that need a look at the machine between stop events are polled
 * once per frame's worth of T-cycles, at fixed cycle boundaries, so a run
 * and its replay evaluate them at exactly the same points. */
#define POLL_CYCLES RN_CYCLES_PER_FRAME

/* A failure's replay restores the checkpoint just before its window
 * (debug/gb_ckpt.h) instead of starting from power-on. One every CKPT_POLLS polls
 * (the window is ~28 frames by default), taken after the poll's check, with
 * the check's own state (blargg serial: when "Failed" appeared) as tag. */
#define CKPT_POLLS 8

/* A build with the trace points compiled out (ceres-notrace) can never
 * write a ring: it makes none, whatever --trace-buffer says, and runs no
 * replay (whose only product is a trace). */
#ifdef CERES_TRACE_OFF
#define RN_CAN_RECORD false
#else
#define RN_CAN_RECORD true
#endif
#define CKPT_BYTES (8u << 20)

/* What each check kind stops the machine for, and whether it polls. */
static const unsigned check_stops[RN_CHECK_COUNT] = {
    [RN_CHECK_MOONEYE] = GB_STOP_LD_B_B | GB_STOP_LOCKUP,
    [RN_CHECK_BLARGG_SERIAL] = GB_STOP_SERIAL | GB_STOP_LOCKUP,
    [RN_CHECK_BLARGG_MEM] = GB_STOP_LOCKUP,
    [RN_CHECK_SCREENSHOT] = GB_STOP_LD_B_B | GB_STOP_LOCKUP,
    [RN_CHECK_MEM] = GB_STOP_LOCKUP,
    [RN_CHECK_CUSTOM] = GB_STOP_LOCKUP,
};
static const bool check_polls[RN_CHECK_COUNT] = {
    [RN_CHECK_BLARGG_SERIAL] = true,
    [RN_CHECK_BLARGG_MEM] = true,
    [RN_CHECK_MEM] = true,
    [RN_CHECK_CUSTOM] = true,
};

void rn_opts_default(rn_opts *o) {
    memset(o, 0, sizeof *o);
    o->rom_root = rn_default_rom_root();
    o->out_dir = "out";
    o->trace_filter = NULL;
    o->trace_bytes = RN_CAN_RECORD ? 4u << 20 : 0;
    o->replay_window = 2000000;
    o->replay_bytes = 64u << 20;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = n > 0 ? (int)n : 1;
    o->fork = true;
}

void rn_resolve(const rn_opts *o, const char *rel, char *buf, size_t len) {
    if (rel[0] == '/' || !o->rom_root || !o->rom_root[0])
        snprintf(buf, len, "%s", rel);
    else
        snprintf(buf, len, "%s/%s", o->rom_root, rel);
}

/* ---- the check loop ------------------------------------------------------ */

typedef struct run {
    const rn_test *t;
    gb *g;
    const uint8_t *ref;         /* screenshot / frame reference, RGB */
    const rn_hexglyphs *glyphs; /* hex */
    uint64_t failed_seen;       /* blargg-serial: cycle at which "Failed" appeared */
    gb_ckpt *ck;                /* checkpoints for the replay, or NULL */
} run;

static void copy_printable(char *dst, size_t len, const uint8_t *src, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        uint8_t c = src[i];
        dst[o++] = (c == '\n' || (c >= 0x20 && c < 0x7F)) ? (char)c : '.';
    }
    dst[o] = 0;
}

/* Newlines to blanks, runs of blanks to one, no blanks at either end. */
static void squash(char *s) {
    char *o = s;
    for (const char *p = s; *p; p++) {
        char c = *p == '\n' ? ' ' : *p;
        if (c == ' ' && (o == s || o[-1] == ' ')) continue;
        *o++ = c;
    }
    while (o > s && o[-1] == ' ')
        o--;
    *o = 0;
}

/* The serial text's last non-empty lines, on one line, for messages. */
static void serial_tail(gb *g, char *buf, size_t len) {
    size_t n;
    const uint8_t *s = gb_serial_output(g, &n);
    size_t start = n > 120 ? n - 120 : 0;
    copy_printable(buf, len, s + start, n - start);
    squash(buf);
}

static bool serial_has(gb *g, const char *needle) {
    size_t n, k = strlen(needle);
    const uint8_t *s = gb_serial_output(g, &n);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(s + i, needle, k)) return true;
    return false;
}

static rn_verdict eval_mooneye(run *r, unsigned bits, char *msg, size_t len) {
    if (!(bits & GB_STOP_LD_B_B)) return RN_CONTINUE;
    gb_regs g;
    gb_get_regs(r->g, &g);
    /* mooneye common/lib/quit.s: the Fibonacci numbers mean pass, 0x42 in
     * every register means fail; any other LD B,B is not the verdict. */
    if (g.b == 3 && g.c == 5 && g.d == 8 && g.e == 13 && g.h == 21 && g.l == 34) {
        snprintf(msg, len, "B C D E H L = 3 5 8 13 21 34 at LD B,B");
        return RN_VERDICT_PASS;
    }
    if (g.b == 0x42 && g.c == 0x42 && g.d == 0x42 && g.e == 0x42 && g.h == 0x42 && g.l == 0x42) {
        snprintf(msg, len, "mooneye fail pattern (B-L = 0x42) at LD B,B, PC=%04X", g.pc);
        return RN_VERDICT_FAIL;
    }
    return RN_CONTINUE;
}

static rn_verdict eval_blargg_serial(run *r, unsigned bits, char *msg, size_t len) {
    (void)bits;
    gb *g = r->g;
    char tail[160];
    if (!r->failed_seen && serial_has(g, "Passed")) {
        serial_tail(g, tail, sizeof tail);
        snprintf(msg, len, "serial: %s", tail);
        return RN_VERDICT_PASS;
    }
    if (!r->failed_seen && serial_has(g, "Failed")) r->failed_seen = gb_cycles(g);
    if (r->failed_seen) {
        /* Let the ROM finish the line that explains the failure ("Failed
         * #3", the failing opcodes), at most one emulated second. */
        size_t n;
        const uint8_t *s = gb_serial_output(g, &n);
        bool line_done = n && s[n - 1] == '\n' && gb_cycles(g) > r->failed_seen;
        if (line_done || gb_cycles(g) - r->failed_seen >= RN_CYCLES_PER_SEC) {
            serial_tail(g, tail, sizeof tail);
            snprintf(msg, len, "serial: %s", tail);
            return RN_VERDICT_FAIL;
        }
    }
    return RN_CONTINUE;
}

static rn_verdict eval_blargg_mem(run *r, unsigned bits, char *msg, size_t len) {
    (void)bits;
    gb *g = r->g;
    /* blargg's newer shell (dmg_sound, mem_timing-2, oam_bug, halt_bug
     * readme "Output to memory"): signature DE B0 61 at $A001, $80 at $A000
     * while running, then the result code; text at $A004. */
    if (gb_peek(g, 0xA001) != 0xDE || gb_peek(g, 0xA002) != 0xB0 || gb_peek(g, 0xA003) != 0x61)
        return RN_CONTINUE;
    uint8_t code = gb_peek(g, 0xA000);
    if (code == 0x80) return RN_CONTINUE;
    uint8_t text[200];
    size_t n = 0;
    while (n < sizeof text && (text[n] = gb_peek(g, (uint16_t)(0xA004 + n))) != 0)
        n++;
    char t[220];
    copy_printable(t, sizeof t, text, n);
    squash(t);
    snprintf(msg, len, "result code %u at $A000: %s", code, t);
    return code == 0 ? RN_VERDICT_PASS : RN_VERDICT_FAIL;
}

static rn_verdict compare_screen(run *r, char *msg, size_t len) {
    unsigned fx = 0, fy = 0;
    unsigned n = rn_screen_diff(gb_framebuffer(r->g), r->ref, GB_LCD_W, GB_LCD_H, &fx, &fy);
    if (n == 0) {
        snprintf(msg, len, "screen matches %s", r->t->check.ref);
        return RN_VERDICT_PASS;
    }
    snprintf(msg, len, "screen differs from %s in %u pixels (first at x=%u y=%u)", r->t->check.ref,
             n, fx, fy);
    return RN_VERDICT_FAIL;
}

static rn_verdict eval_screenshot(run *r, unsigned bits, char *msg, size_t len) {
    /* dmg-acid2 README: LD B,B marks the moment to take the screenshot. */
    if (!(bits & GB_STOP_LD_B_B)) return RN_CONTINUE;
    return compare_screen(r, msg, len);
}

/* The checks judged at the end (rn_check_at_end), on the frame just
 * completed. */
static rn_verdict eval_end(run *r, char *msg, size_t len) {
    const rn_check *c = &r->t->check;
    switch (c->kind) {
    case RN_CHECK_HEX:
        return rn_hex_match(gb_framebuffer(r->g), r->glyphs, c->digits, msg, len) ? RN_VERDICT_PASS
                                                                                  : RN_VERDICT_FAIL;
    case RN_CHECK_AUDIO0:
    case RN_CHECK_AUDIO1: {
        /* gambatte's runner: the last 35112 stereo samples (one frame at
         * 2 T-cycles a sample, the channels' unfiltered sum) all identical
         * (audio0) or not (audio1). The same question asked of the level
         * before any filter: did it change during the last frame? */
        uint64_t steady = gb_audio_steady_cycles(r->g);
        bool constant = steady >= RN_CYCLES_PER_FRAME;
        if (constant)
            snprintf(msg, len, "sound output constant during the last frame");
        else
            snprintf(msg, len, "sound output changed %llu T-cycles before the end",
                     (unsigned long long)steady);
        return constant == (c->kind == RN_CHECK_AUDIO0) ? RN_VERDICT_PASS : RN_VERDICT_FAIL;
    }
    case RN_CHECK_FRAME: return compare_screen(r, msg, len);
    default: return RN_CONTINUE;
    }
}

static rn_verdict eval_mem(run *r, unsigned bits, char *msg, size_t len) {
    (void)bits;
    const rn_check *c = &r->t->check;
    uint8_t v = gb_peek(r->g, c->addr);
    if (v != c->pass_val && v != c->fail_val) return RN_CONTINUE;
    snprintf(msg, len, "$%04X = 0x%02X (%s)", c->addr, v, v == c->pass_val ? "pass" : "fail");
    return v == c->pass_val ? RN_VERDICT_PASS : RN_VERDICT_FAIL;
}

static rn_verdict eval_custom(run *r, unsigned bits, char *msg, size_t len) {
    (void)bits;
    return r->t->check.custom ? r->t->check.custom(r->g, r->t, msg, len) : RN_CONTINUE;
}

typedef rn_verdict (*eval_fn)(run *r, unsigned bits, char *msg, size_t len);
static const eval_fn check_eval[RN_CHECK_COUNT] = {
    [RN_CHECK_MOONEYE] = eval_mooneye,
    [RN_CHECK_BLARGG_SERIAL] = eval_blargg_serial,
    [RN_CHECK_BLARGG_MEM] = eval_blargg_mem,
    [RN_CHECK_SCREENSHOT] = eval_screenshot,
    [RN_CHECK_MEM] = eval_mem,
    [RN_CHECK_CUSTOM] = eval_custom,
};

/* Run the machine until the check decides or the limit passes. The same
 * inputs give the same stop points, so a replay reproduces the run. */
static void check_loop(run *r, rn_result *res) {
    const rn_test *t = r->t;
    gb *g = r->g;
    const unsigned mask = check_stops[t->check.kind];
    const bool polls = check_polls[t->check.kind];
    const eval_fn eval = check_eval[t->check.kind];
    const uint64_t limit = t->limit_cycles;
    /* From power-on or from a checkpoint (taken at a poll boundary). */
    uint64_t next_poll = (gb_cycles(g) / POLL_CYCLES + 1) * POLL_CYCLES;
    const uint64_t ck_step = (uint64_t)POLL_CYCLES * CKPT_POLLS;
    uint64_t next_ck = (gb_cycles(g) / ck_step + 1) * ck_step;
    rn_verdict v = RN_CONTINUE;
    char msg[RN_MSG_MAX] = "";
    /* Buttons: frame i's change at pl_press_offset(i) into it, as in
     * `ceres run --input` (src/play/drive.c). */
    pl_script script = {0};
    bool inputs = t->input && pl_script_parse(&script, t->input, msg, sizeof msg) == 0;
    uint64_t in_frame = 0, in_at = pl_press_offset(0);
    for (;;) {
        uint64_t now = gb_cycles(g);
        if (inputs)
            while (now >= in_at) {
                gb_set_buttons(g, pl_script_buttons(&script, in_frame));
                in_frame++;
                in_at = in_frame * PL_FRAME_CYCLES + pl_press_offset(in_frame);
            }
        if (now >= limit) break;
        uint64_t target = limit;
        if (polls && next_poll < target) target = next_poll;
        if (inputs && in_at < target) target = in_at;
        if (r->ck && next_ck < target) target = next_ck;
        unsigned bits = gb_run(g, target - now, mask);
        if (bits & GB_STOP_LOCKUP) {
            gb_regs rg;
            gb_get_regs(g, &rg);
            snprintf(msg, sizeof msg, "CPU locked up (illegal opcode 0x%02X at PC=%04X)",
                     gb_peek(g, (uint16_t)(rg.pc - 1)), (uint16_t)(rg.pc - 1));
            v = RN_VERDICT_FAIL;
            break;
        }
        bool polled = polls && gb_cycles(g) >= next_poll;
        if (polled)
            while (next_poll <= gb_cycles(g))
                next_poll += POLL_CYCLES;
        if ((bits & mask) || polled) {
            v = eval(r, bits & mask, msg, sizeof msg);
            if (v != RN_CONTINUE) break;
        }
        if (r->ck && gb_cycles(g) >= next_ck) {
            gb_ckpt_take(r->ck, g, r->failed_seen);
            while (next_ck <= gb_cycles(g))
                next_ck += ck_step;
        }
    }
    if (t->input) pl_script_free(&script);
    res->cycles = gb_cycles(g);
    res->frames = gb_frames(g);
    gb_get_regs(g, &res->regs);
    res->have_regs = true;
    if (v == RN_CONTINUE && t->check.kind == RN_CHECK_SCREENSHOT) {
        /* No LD B,B: the screenshot is taken at the time limit. */
        v = compare_screen(r, msg, sizeof msg);
    }
    if (v == RN_CONTINUE && rn_check_at_end(t->check.kind)) {
        /* As gambatte's runner: after the time limit, run on to the next
         * completed frame (at most one frame's time, the LCD may be off)
         * and judge that frame and the audio up to it. */
        gb_run(g, RN_CYCLES_PER_FRAME, GB_STOP_FRAME);
        v = eval_end(r, msg, sizeof msg);
        res->cycles = gb_cycles(g);
        res->frames = gb_frames(g);
        gb_get_regs(g, &res->regs);
    }
    if (v == RN_CONTINUE) {
        res->status = RN_TIMEOUT;
        char tail[160] = "";
        size_t n;
        gb_serial_output(g, &n);
        if (n) serial_tail(g, tail, sizeof tail);
        snprintf(res->message, sizeof res->message, "no verdict within %s (PC=%04X)%s%s",
                 t->limit_text ? t->limit_text : "the limit", res->regs.pc, n ? ", serial: " : "",
                 tail);
    } else {
        res->status = v == RN_VERDICT_PASS ? RN_PASS : RN_FAIL;
        snprintf(res->message, sizeof res->message, "%s", msg);
    }
    for (size_t l = strlen(res->message); l && res->message[l - 1] == ' '; l--)
        res->message[l - 1] = 0;
    size_t n;
    const uint8_t *s = gb_serial_output(g, &n);
    res->serial_len = n;
    copy_printable(res->serial, sizeof res->serial, s, n);
}

/* ---- machines and recorders ---------------------------------------------- */

static gb *make_machine(const rn_test *t, const rn_opts *o, const uint8_t *rom, size_t size,
                        char *err, size_t errlen) {
    gb_config cfg = {.model = t->model, .boot_rom = o->boot_rom, .boot_rom_size = o->boot_rom_size};
    return gb_create(rom, size, &cfg, err, errlen);
}

static ct_recorder *make_recorder(const rn_opts *o, char *err, size_t errlen) {
    if (!o->trace_bytes && !o->trace_events) return NULL;
    ct_recorder *rec =
        o->trace_buffer
            ? rn_recorder_create(&rn_schema, o->trace_buffer, err, errlen)
            : rn_recorder_create_size(&rn_schema, o->trace_bytes, o->trace_events, err, errlen);
    if (!rec) return NULL;
    if (ct_filter_apply(rec, o->trace_filter ? o->trace_filter : GB_DEFAULT_FILTER, err, errlen)) {
        ct_recorder_destroy(rec);
        return NULL;
    }
    return rec;
}

/* The manifest's triggers for this test (already validated when parsed). */
static gb_trig_set *arm_triggers(const rn_test *t, gb *g, ct_recorder *rec) {
    if (!t->ntrig || !rec) return NULL;
    gb_trig_set *s = malloc(sizeof *s);
    if (!s) return NULL;
    gb_trig_set_init(s, rec);
    char err[400];
    for (unsigned i = 0; i < t->ntrig; i++) {
        const struct rn_trigger *tr = &t->trig[i];
        if (gb_trig_add(s, tr->expr, (gb_trig_action)tr->action, err, sizeof err)) continue;
        if (tr->action == GB_TRIG_START) s->pre = tr->arg;
        s->t[s->n - 1].post = tr->arg;
        s->t[s->n - 1].post_cycles = tr->cycles;
    }
    gb_trig_arm(g, s);
    return s;
}

static void emit_begin(ct_recorder *rec, gb *g, const rn_test *t) {
    rn_emit_test_begin(rec, gb_cycles(g), t->rom);
}

static void emit_result(ct_recorder *rec, gb *g, const rn_test *t, const rn_result *res) {
    rn_emit_test_result(rec, gb_cycles(g), t->rom, rn_status_name(res->status));
}

static bool regs_equal(const gb_regs *x, const gb_regs *y) {
    return x->a == y->a && x->f == y->f && x->b == y->b && x->c == y->c && x->d == y->d &&
           x->e == y->e && x->h == y->h && x->l == y->l && x->sp == y->sp && x->pc == y->pc &&
           x->ime == y->ime && x->halted == y->halted;
}

/* Re-run the failed test from the checkpoint just before the window (or
 * from power-on without one) with every event at trace level,
 * recording only the last `window` cycles before the failure. Returns 1
 * when the replay reproduced the first run (same result, failure cycle and
 * registers), 0 when it differed, -1 when it could not run. */
static int replay(const rn_test *t, const rn_opts *o, const uint8_t *rom, size_t size,
                  rn_result *first, const uint8_t *ref, const rn_hexglyphs *glyphs, gb_ckpt *ck,
                  const char *dir, FILE *info) {
    char err[256];
    gb *g = make_machine(t, o, rom, size, err, sizeof err);
    /* One ring: the window is recorded whole, nothing is evicted. */
    ct_recorder *rec =
        g ? ct_recorder_create(&rn_schema, o->replay_bytes ? o->replay_bytes : 64u << 20, 0,
                               CT_OVERWRITE, err, sizeof err)
          : NULL;
    if (rec && ct_filter_apply(rec, "trace", err, sizeof err)) {
        ct_recorder_destroy(rec);
        rec = NULL;
    }
    if (!g || !rec) {
        fprintf(info, "replay: not run (%s)\n", err);
        if (g) gb_destroy(g);
        return -1;
    }
    uint64_t lo = first->cycles > o->replay_window ? first->cycles - o->replay_window : 0;
    ct_recorder_window(rec, lo, ~(uint64_t)0);
    gb_set_recorder(g, rec);
    emit_begin(rec, g, t);
    run r = {.t = t, .g = g, .ref = ref, .glyphs = glyphs};
    double t0 = rn_now();
    if (ck && gb_ckpt_restore(ck, g, lo, &r.failed_seen) != 0) {
        gb_reset(g);
        r.failed_seen = 0;
    }
    const uint64_t from = gb_cycles(g);
    rn_result res2;
    memset(&res2, 0, sizeof res2);
    check_loop(&r, &res2);
    emit_result(rec, g, t, &res2);
    double t1 = rn_now();
    bool same = res2.status == first->status && res2.cycles == first->cycles &&
                regs_equal(&res2.regs, &first->regs) && !strcmp(res2.message, first->message);
    char path[4200];
    rn_path_join(path, sizeof path, dir, "replay.perfetto-trace");
    ct_dump_opts dopts = {.format = CT_FMT_PERFETTO, .look = &gb_look};
    int rc = ct_dump(rec, path, &dopts);
    rn_artifact_lost(first, "replay.perfetto-trace", rc);
    char start[64] = "power-on";
    if (from)
        snprintf(start, sizeof start, "the checkpoint at cycle %llu", (unsigned long long)from);
    fprintf(info,
            "replay: from %s, every event at trace level, cycles %llu..%llu recorded (%.3f s)\n",
            start, (unsigned long long)lo, (unsigned long long)res2.cycles, t1 - t0);
    fprintf(info, "replay trace: %s (%llu events written to the ring)\n",
            rc ? strerror(-rc) : "replay.perfetto-trace",
            (unsigned long long)ct_recorder_written(rec));
    if (same)
        fprintf(info,
                "replay reproduced the first run: yes (same result, failure cycle %llu, "
                "same registers)\n",
                (unsigned long long)res2.cycles);
    else {
        fprintf(info, "replay reproduced the first run: NO (replay: %s at cycle %llu: %s)\n",
                rn_status_name(res2.status), (unsigned long long)res2.cycles, res2.message);
        fprintf(info, "replay ");
        rn_describe_regs(info, &res2.regs);
    }
    ct_recorder_destroy(rec);
    gb_destroy(g);
    return same ? 1 : 0;
}

/* ---- one test ----------------------------------------------------------------- */

static void set_error(rn_result *res, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    res->status = RN_ERROR;
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

void rn_keep_free(rn_keep *keep) {
    if (keep->rec) ct_recorder_destroy(keep->rec);
    keep->rec = NULL;
}

/* The test's recorder: the kept one emptied, or a new one (kept when
 * there is a keep). */
static ct_recorder *test_recorder(const rn_opts *o, rn_keep *keep, char *err, size_t errlen) {
    if (keep && keep->rec) {
        ct_recorder_reset(keep->rec);
        if (!ct_filter_apply(keep->rec, o->trace_filter ? o->trace_filter : GB_DEFAULT_FILTER, err,
                             errlen))
            return keep->rec;
        rn_keep_free(keep);
        return NULL;
    }
    ct_recorder *rec = make_recorder(o, err, errlen);
    if (keep) keep->rec = rec;
    return rec;
}

int rn_run_one_hooked(const rn_test *t, const rn_opts *o, rn_result *res,
                      void (*on_machine)(void *ctx, gb *g, ct_recorder *rec), void *ctx) {
    return rn_run_one_kept(t, o, res, on_machine, ctx, NULL);
}

int rn_run_one_kept(const rn_test *t, const rn_opts *o, rn_result *res,
                    void (*on_machine)(void *ctx, gb *g, ct_recorder *rec), void *ctx,
                    rn_keep *keep) {
    memset(res, 0, sizeof *res);
    res->replay = -1;
    double t0 = rn_now();
    char path[4200], err[512];
    if (t->check.kind == RN_CHECK_SM83) {
        unsigned np = 0, nt = 0;
        rn_resolve(o, t->rom, path, sizeof path);
        /* The folder is made only if the file fails: run, then on failure
         * make it and run once more for the trace (vectors are cheap). */
        res->status =
            rn_sm83_run_file(path, res->message, sizeof res->message, &np, &nt, NULL, NULL);
        if (res->status == RN_FAIL && o->out_dir) {
            char dir[4200], *extra = NULL;
            size_t elen = 0;
            rn_failure_dir(o, t, dir, sizeof dir);
            FILE *info = open_memstream(&extra, &elen);
            if (info && !rn_failure_mkdir(o, dir)) {
                rn_failure_clear_files(dir);
                res->status =
                    rn_sm83_run_file(path, res->message, sizeof res->message, &np, &nt, dir, info);
                fprintf(info, "vectors: %u of %u passed\n", np, nt);
                fclose(info);
                info = NULL;
                rn_path_join(path, sizeof path, dir, "state.txt");
                rn_artifact_lost(res, "state.txt", rn_write_state(path, t, o, res, extra));
                res->artifacts = true;
            }
            if (info) fclose(info);
            free(extra);
        }
        res->wall_seconds = rn_now() - t0;
        if (on_machine) on_machine(ctx, NULL, NULL);
        return 0;
    }
    uint8_t *rom = NULL, *ref = NULL;
    size_t size = 0;
    rn_hexglyphs glyphs;
    memset(&glyphs, 0, sizeof glyphs);
    rn_resolve(o, t->rom, path, sizeof path);
    int rc = rn_read_rom(path, &rom, &size, err, sizeof err);
    if (rc) {
        set_error(res, "cannot read ROM %s: %s", path, err);
        goto done;
    }
    if (t->check.kind == RN_CHECK_HEX) {
        char gpath[4200];
        rn_resolve(o, t->check.ref, gpath, sizeof gpath);
        if (rn_hexglyphs_load(gpath, &glyphs, err, sizeof err)) {
            set_error(res, "hex glyphs: %s", err);
            goto done;
        }
    }
    if (t->check.kind == RN_CHECK_SCREENSHOT || t->check.kind == RN_CHECK_FRAME) {
        char rpath[4200];
        unsigned w, h;
        rn_resolve(o, t->check.ref, rpath, sizeof rpath);
        if (rn_png_read_rgb(rpath, &ref, &w, &h, err, sizeof err)) {
            set_error(res, "reference screenshot: %s", err);
            goto done;
        }
        if (w != GB_LCD_W || h != GB_LCD_H) {
            set_error(res, "reference screenshot %s is not 160x144", rpath);
            goto done;
        }
    }
    gb *g = make_machine(t, o, rom, size, err, sizeof err);
    if (!g) {
        set_error(res, "cannot run %s: %s", path, err);
        goto done;
    }
    const bool recording = RN_CAN_RECORD && (o->trace_bytes || o->trace_events);
    ct_recorder *rec = recording ? test_recorder(o, keep, err, sizeof err) : NULL;
    if (!rec && recording) {
        set_error(res, "recorder: %s", err);
        gb_destroy(g);
        goto done;
    }
    gb_set_recorder(g, rec);
    gb_trig_set *trig = arm_triggers(t, g, rec);
    if (on_machine) on_machine(ctx, g, rec);
    emit_begin(rec, g, t);
    run r = {.t = t, .g = g, .ref = ref, .glyphs = &glyphs};
    /* No checkpoints for a known failure: it gets no replay. */
    if (o->replay_window && o->out_dir && !o->replay_from_power_on && t->expect != RN_EXPECT_FAIL)
        r.ck = gb_ckpt_create(g, 0, CKPT_BYTES, 0, NULL, 0);
    check_loop(&r, res);
    emit_result(rec, g, t, res);
    if (trig) {
        gb_trig_arm(g, NULL);
        free(trig);
    }
    if (on_machine) on_machine(ctx, NULL, NULL);

    if (res->status != RN_PASS && o->out_dir) {
        /* A known failure (as the manifest expects) keeps the Perfetto trace,
         * the screen and state.txt; the text tail and the replay, the costly
         * parts, are left to a run of the test on its own (`ceres test ROM
         * --check ...`), so a suite with hundreds of them stays fast. */
        const bool known = t->expect == RN_EXPECT_FAIL;
        char dir[4200];
        rn_failure_dir(o, t, dir, sizeof dir);
        int dir_rc = rn_failure_mkdir(o, dir);
        char *extra = NULL;
        size_t elen = 0;
        FILE *info = open_memstream(&extra, &elen);
        if (dir_rc) {
            fprintf(stderr, "ceres: cannot create %s: %s\n", dir, ct_file_strerror(dir_rc));
            rn_artifact_lost(res, "failure folder", dir_rc);
        } else if (info) {
            rn_failure_clear_files(dir);
            res->artifacts = true;
            if (rec) {
                ct_dump_opts dopts = {.format = CT_FMT_PERFETTO, .look = &gb_look};
                rn_path_join(path, sizeof path, dir, "trace.perfetto-trace");
                rc = ct_dump(rec, path, &dopts);
                rn_artifact_lost(res, "trace.perfetto-trace", rc);
                /* Each ring's real size, not the budget asked for. */
                char rings[512];
                ct_recorder_describe(rec, rings, sizeof rings);
                if (o->trace_buffer)
                    fprintf(info, "trace: %s (%s; --trace-buffer %s)\n",
                            rc ? strerror(-rc) : "trace.perfetto-trace", rings, o->trace_buffer);
                else
                    fprintf(info, "trace: %s (%s; --trace-buffer %llu%s)\n",
                            rc ? strerror(-rc) : "trace.perfetto-trace", rings,
                            (unsigned long long)(o->trace_bytes ? o->trace_bytes : o->trace_events),
                            o->trace_bytes ? "" : "ev");
                rn_path_join(path, sizeof path, dir, "trace.log");
                ct_trace *tr = NULL;
                rc = known ? 0 : ct_trace_from_recorder(rec, &tr);
                if (!rc && !known) {
                    rc = rn_write_log_tail(tr, path, info);
                    ct_trace_free(tr);
                }
                if (rc) fprintf(info, "text tail: %s\n", strerror(-rc));
                rn_artifact_lost(res, "trace.log", rc);
                if (known) fprintf(info, "text tail: not written for a known failure\n");
            } else {
                fprintf(info, "trace: %s\n",
                        RN_CAN_RECORD ? "recording was off (--trace-buffer 0)"
                                      : "none (trace points compiled out of this build)");
            }
            rn_path_join(path, sizeof path, dir, "screen.png");
            rc = rn_png_write_shades(path, gb_framebuffer(g), GB_LCD_W, GB_LCD_H);
            if (rc) fprintf(info, "screen.png: %s\n", strerror(-rc));
            rn_artifact_lost(res, "screen.png", rc);
            if (o->replay_window && !known && RN_CAN_RECORD) {
                res->replay = replay(t, o, rom, size, res, ref, &glyphs, r.ck, dir, info);
            } else {
                fprintf(info, "replay: %s\n",
                        known            ? "not run for a known failure"
                        : !RN_CAN_RECORD ? "not run (trace points compiled out of this build)"
                                         : "off (--replay-window 0)");
            }
        }
        if (info) fclose(info);
        if (res->artifacts) {
            rn_path_join(path, sizeof path, dir, "state.txt");
            rn_artifact_lost(res, "state.txt", rn_write_state(path, t, o, res, extra));
        }
        free(extra);
    }
    if (rec && !keep) ct_recorder_destroy(rec);
    gb_ckpt_destroy(r.ck);
    gb_destroy(g);
done:
    if (res->status == RN_ERROR && o->out_dir) {
        char dir[4200];
        rn_failure_dir(o, t, dir, sizeof dir);
        int dir_rc = rn_failure_mkdir(o, dir);
        if (!dir_rc) {
            rn_failure_clear_files(dir);
            rn_path_join(path, sizeof path, dir, "state.txt");
            rn_artifact_lost(res, "state.txt", rn_write_state(path, t, o, res, NULL));
            res->artifacts = true;
        } else {
            rn_artifact_lost(res, "failure folder", dir_rc);
        }
    }
    free(rom);
    free(ref);
    res->wall_seconds = rn_now() - t0;
    return 0;
}

int rn_run_one(const rn_test *t, const rn_opts *o, rn_result *res) {
    return rn_run_one_hooked(t, o, res, NULL, NULL);
}
