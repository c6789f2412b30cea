/* The Ceres test runner (prefix rn_): suite manifests, checks, process
 * isolation, failure folders with flight-recorder dumps, deterministic
 * replay, reports (table, JUnit XML) and PNG screenshots.
 *
 * Files: manifest.c (suite manifests and folders of them), run_one.c
 * (running one test in this process: the check loop, what goes into the
 * failure folder, the replay), failure.c (failure folder paths, state.txt,
 * text tail), sm83.c (CPU vector files), runner.c (forked children, -j,
 * crash/hang handling), report.c (table, closing line, JUnit XML), png.c
 * (PNG I/O, screenshot comparison), util.c (small shared helpers). Text
 * traces use the disassembler (debug/disasm.h). */
#ifndef CERES_RUNNER_H
#define CERES_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../gb/gb.h"

struct ct_recorder;
struct ct_schema;

/* ---- tests and manifests ----------------------------------------------- */

typedef enum rn_check_kind {
    RN_CHECK_MOONEYE,       /* registers at LD B,B: 3/5/8/13/21/34 pass, 0x42 fail */
    RN_CHECK_BLARGG_SERIAL, /* serial text "Passed" / "Failed" */
    RN_CHECK_BLARGG_MEM,    /* $A001-$A003 = DE B0 61, result at $A000, text at $A004 */
    RN_CHECK_SCREENSHOT,    /* frame vs reference PNG at LD B,B or at the time limit */
    RN_CHECK_MEM,           /* byte at ADDR becomes PASS or FAIL */
    RN_CHECK_HEX,           /* gambatte: hex digits as 8x8 glyphs in the top-left tiles */
    RN_CHECK_AUDIO0,        /* gambatte: the last frame's sound output constant */
    RN_CHECK_AUDIO1,        /* gambatte: the last frame's sound output not constant */
    RN_CHECK_FRAME,         /* whole frame vs a reference PNG after the time limit */
    RN_CHECK_SM83,          /* a SingleStepTests vector file (.json or .json.gz) */
    RN_CHECK_CUSTOM,        /* a callback (the runner's own tests) */
    RN_CHECK_COUNT
} rn_check_kind;

typedef struct rn_test rn_test;

#define RN_MAX_TRIGGERS 8

/* Verdict of a check evaluated during a run. */
typedef enum rn_verdict { RN_CONTINUE = 0, RN_VERDICT_PASS, RN_VERDICT_FAIL } rn_verdict;

/* A custom check: called at every poll point (once per emulated frame's
 * worth of cycles); may write a message. */
typedef rn_verdict (*rn_custom_fn)(gb *g, const rn_test *t, char *msg, size_t msglen);

typedef struct rn_check {
    rn_check_kind kind;
    char *ref;        /* screenshot, frame: reference PNG; hex: the glyph file (both
                         relative to the ROM root) */
    char *digits;     /* hex: the expected digits */
    uint16_t addr;    /* mem */
    uint8_t pass_val; /* mem */
    uint8_t fail_val; /* mem */
    rn_custom_fn custom;
} rn_check;

typedef enum rn_expect { RN_EXPECT_PASS = 0, RN_EXPECT_FAIL } rn_expect;

struct rn_test {
    char *suite; /* suite name ("adhoc" for command-line ROMs) */
    char *rom;   /* relative to the ROM root, or absolute */
    rn_check check;
    uint64_t limit_cycles; /* emulated time limit in T-cycles */
    char *limit_text;      /* as written: "120s", "600f", "-" */
    gb_model model;
    rn_expect expect;
    char *reason;      /* why it is expected to fail */
    int line;          /* manifest line, 0 for ad-hoc tests */
    double wall_limit; /* wall-clock safety limit in seconds; 0 = rn_opts' */
    /* Triggers shaping what the test's ring keeps (manifest `trigger`
     * lines): start / stop / mark actions with their condition. */
    unsigned ntrig;
    struct rn_trigger {
        char *expr;
        uint8_t action; /* gb_trig_action: GB_TRIG_START, _STOP or _MARK */
        uint64_t arg;   /* start: events of history (pre); stop: post count */
        bool cycles;    /* stop: arg counts T-cycles, not events */
    } trig[RN_MAX_TRIGGERS];
    /* Buttons to press (manifest `input "SCRIPT"`, the script format of
     * `ceres run --input`, src/play/input.h), or NULL. */
    char *input;
};

#define RN_CYCLES_PER_FRAME 70224u
#define RN_CYCLES_PER_SEC   4194304u

/* Parse a check spec: mooneye | blargg-serial | blargg-mem | sm83 |
 * screenshot=FILE.png | mem=ADDR:PASS:FAIL (numbers decimal or 0x hex) |
 * hex=GLYPHS.txt:DIGITS | audio0 | audio1 | frame=FILE.png. */
int rn_check_parse(const char *spec, rn_check *c, char *err, size_t errlen);
/* The spec text of a check (static buffer-free: writes into buf). */
const char *rn_check_format(const rn_check *c, char *buf, size_t len);
/* Parse a time limit: N s (seconds), N f (frames), N c (T-cycles); "20s",
 * "600f", "1000000c", decimals allowed for seconds ("0.5s"). */
int rn_limit_parse(const char *s, uint64_t *cycles, char *err, size_t errlen);
void rn_check_free(rn_check *c);

typedef struct rn_manifest {
    char *path;
    char *suite;
    rn_test *tests;
    size_t ntests;
    /* The original lines, kept to rewrite expectations in place. */
    char **lines;
    size_t nlines;
    size_t *expect_col; /* per test: byte offset of the expectation in its line */
} rn_manifest;

/* Parse manifest text (format documented in manifest.c and at the top of
 * every suites/ file). On error returns -EINVAL and err says
 * "PATH:LINE: message". */
int rn_manifest_parse(const char *text, const char *path, rn_manifest *m, char *err, size_t errlen);
int rn_manifest_load(const char *path, rn_manifest *m, char *err, size_t errlen);
/* Write the manifest back with new expectations (one per test, in order;
 * reasons NULL for pass). Comments and layout are kept. Atomic. */
int rn_manifest_save(const rn_manifest *m, const char *path, const rn_expect *expect,
                     const char *const *reasons, char *err, size_t errlen);
void rn_manifest_free(rn_manifest *m);

/* The suites of a folder: files NAME.suite. Names sorted; free with
 * rn_names_free. */
int rn_suite_names(const char *dir, char ***names, size_t *n);
void rn_names_free(char **names, size_t n);
/* Load suites by name (comma-separated "a,b"), or every suite in dir when
 * names is NULL, in that order. 0, or a negative errno with err naming the
 * file and line (and the available suites when a name is unknown). */
int rn_suites_load(const char *dir, const char *names, rn_manifest **mans, size_t *nmans, char *err,
                   size_t errlen);
void rn_suites_free(rn_manifest *mans, size_t n);

/* Free the strings of a test built by hand (ad-hoc tests). */
void rn_test_free(rn_test *t);

/* ---- results ----------------------------------------------------------- */

typedef enum rn_status {
    RN_PASS = 0,
    RN_FAIL,    /* the check reported a failure */
    RN_TIMEOUT, /* the emulated time limit passed without a verdict */
    RN_CRASH,   /* the child died of a signal */
    RN_HANG,    /* the child exceeded the wall-clock safety limit */
    RN_ERROR,   /* the test could not run (missing ROM, bad reference...) */
    RN_STATUS_COUNT
} rn_status;

const char *rn_status_name(rn_status s); /* "pass", "fail", "timeout", ... */

#define RN_MSG_MAX    512
#define RN_SERIAL_MAX 1024

typedef struct rn_result {
    rn_status status;
    char message[RN_MSG_MAX];
    uint64_t cycles; /* T-cycle of the verdict (the failure cycle) */
    uint64_t frames;
    gb_regs regs;
    bool have_regs; /* regs, cycles and frames are known */
    int signal;     /* RN_CRASH / RN_HANG */
    double wall_seconds;
    char serial[RN_SERIAL_MAX]; /* serial output (truncated, NUL-terminated) */
    size_t serial_len;          /* full length */
    bool artifacts;             /* a failure folder was written */
    unsigned lost;              /* failure artifacts that could not be written */
    char lost_what[RN_MSG_MAX]; /* which and why: "screen.png: No space left on device; ..." */
    int replay;                 /* -1 not run, 0 differed, 1 reproduced */
} rn_result;

/* Whether a result matches the test's expectation. */
bool rn_result_expected(const rn_test *t, const rn_result *r);

/* ---- running ----------------------------------------------------------- */

typedef struct rn_opts {
    const char *rom_root;     /* base for relative ROM paths */
    const char *out_dir;      /* failure folders go to OUT/failures/...; NULL = none */
    const char *trace_filter; /* NULL = GB_DEFAULT_FILTER */
    uint64_t trace_bytes;     /* ring size; both 0 = recording off */
    uint64_t trace_events;
    const char *trace_buffer;  /* rings by class (debug=512K,rest=3584K) or all=SIZE;
                                  NULL: trace_bytes in the default rings
                                  (rn_recorder_create_size) */
    uint64_t replay_window;    /* cycles before the failure kept by the replay; 0 = no replay */
    uint64_t replay_bytes;     /* ring size for the replay */
    bool replay_from_power_on; /* no checkpoints: the replay starts at power-on */
    const uint8_t *boot_rom;
    size_t boot_rom_size;
    int jobs;          /* parallel children (>= 1) */
    double wall_limit; /* wall-clock safety kill per test, seconds (0 = automatic) */
    bool fork;         /* isolate each test in a child process (default) */
    bool fail_fast;    /* after the first unexpected result start no more tests
                          (they are reported as errors, "not run") */
} rn_opts;

void rn_opts_default(rn_opts *o);

/* Run one test in this process (no isolation); writes the failure folder
 * when it does not pass and o->out_dir is set. Returns 0 (the outcome is in
 * res). */
int rn_run_one(const rn_test *t, const rn_opts *o, rn_result *res);
/* The same, telling `on_machine` about the machine and recorder while the
 * test runs (and NULL, NULL once it is over): the child's crash handler
 * dumps that recorder. */
int rn_run_one_hooked(const rn_test *t, const rn_opts *o, rn_result *res,
                      void (*on_machine)(void *ctx, gb *g, struct ct_recorder *rec), void *ctx);
/* What a process running one test after another (a worker of rn_run_all)
 * keeps between tests: the recorder, emptied (ct_recorder_reset) and given
 * the filter again for each test, so its ring's pages are faulted in once
 * per worker instead of once per test. Zeroed to start; rn_keep_free. */
typedef struct rn_keep {
    struct ct_recorder *rec;
} rn_keep;
/* rn_run_one_hooked with a kept recorder (keep NULL: a new one per test). */
int rn_run_one_kept(const rn_test *t, const rn_opts *o, rn_result *res,
                    void (*on_machine)(void *ctx, gb *g, struct ct_recorder *rec), void *ctx,
                    rn_keep *keep);
void rn_keep_free(rn_keep *keep);
/* Write state.txt for a result (extra text appended as is); 0 or -errno. */
int rn_write_state(const char *path, const rn_test *t, const rn_opts *o, const rn_result *res,
                   const char *extra);

/* Progress callback: called by rn_run_all in the parent after each test
 * starts (res NULL) or finishes. */
typedef void (*rn_progress_fn)(void *ctx, size_t idx, const rn_test *t, const rn_result *res,
                               size_t done, size_t total);

/* Run tests[0..n) isolated in forked worker processes, o->jobs at a time
 * (each runs one test after another, a fresh machine and recorder for
 * each); results in res[i]. A crash or hang of one test is recorded as such,
 * its worker replaced, and the rest go on. Returns 0, or -errno if children could not be started at
 * all. With o->out_dir, holds a lock (flock) on that folder for the run: a second run into the same
 * folder returns -EBUSY at once, every test "not run". */
int rn_run_all(const rn_test *const *tests, size_t n, const rn_opts *o, rn_result *res,
               rn_progress_fn progress, void *ctx);
/* The signal (SIGINT or SIGTERM) that interrupted the last rn_run_all (the
 * tests not started were "not run", the running ones stopped), or 0. The
 * caller still writes its reports, then exits 128 + that signal. */
int rn_interrupted(void);

/* Where a test's failure folder goes: OUT/failures/<suite>/<rom without
 * extension, unsafe characters replaced>. */
void rn_failure_dir(const rn_opts *o, const rn_test *t, char *buf, size_t len);

/* Remove what an earlier run left in a test's failure folder (our file
 * names only) and the folder and its parents while empty, so OUT/failures
 * shows the latest run. rn_run_all does this before each test. */
void rn_clear_failure(const rn_opts *o, const rn_test *t);
/* Create a failure folder (from rn_failure_dir) with its parents; every
 * component below o->out_dir must be a real folder, not a symbolic link
 * (-ELOOP), so nothing is written or removed through a planted link. */
int rn_failure_mkdir(const rn_opts *o, const char *dir);

/* failure.c: the parts of a failure folder. */
#define RN_LOG_TAIL_EVENTS 20000 /* events kept as text in trace.log */
struct ct_trace;
void rn_path_join(char *buf, size_t len, const char *dir, const char *file);
/* Remove the files a failure folder can hold (our names only). */
void rn_failure_clear_files(const char *dir);
/* The files a failure folder may hold, named once: its traces first
 * (RN_FAILURE_NTRACES of them, which the HTML report links), then the
 * screenshot and the state. rn_failure_clear_files removes exactly these. */
#define RN_FAILURE_NFILES  6
#define RN_FAILURE_NTRACES 4
extern const char *const rn_failure_files[RN_FAILURE_NFILES];
/* trace.log from a trace: its last RN_LOG_TAIL_EVENTS events, CPU lines
 * disassembled (trims tr); the ring's statistics go to info if not NULL. */
int rn_write_log_tail(struct ct_trace *tr, const char *path, FILE *info);
void rn_describe_regs(FILE *f, const gb_regs *r);
/* Note a failure artifact that could not be written (err < 0): counted in
 * res->lost and listed in res->lost_what, for stderr and the reports. */
void rn_artifact_lost(rn_result *res, const char *name, int err);

/* Path of a test's ROM (or reference) resolved against the ROM root. */
void rn_resolve(const rn_opts *o, const char *rel, char *buf, size_t len);

/* ---- SM83 vectors (sm83.c) ---------------------------------------------- */

/* Run one SingleStepTests file through the core's flat-RAM test mode. On
 * failure the message names the first failing vector and what differed;
 * with `dir` (an existing folder) the first failing vector is run again with
 * every event recorded into DIR/trace.perfetto-trace and trace.log, and
 * notes go to `info`. */
rn_status rn_sm83_run_file(const char *path, char *msg, size_t msglen, unsigned *npassed,
                           unsigned *ntotal, const char *dir, FILE *info);

/* ---- reports (report.c) ------------------------------------------------- */

typedef struct rn_tally {
    char suite[64];
    unsigned total, passed, failed, timeout, crashed, known, regressions, unexpected_passes;
} rn_tally;

/* Tally results per suite (in order of first appearance); returns the
 * number of suites (at most max). */
size_t rn_tally_results(const rn_test *const *tests, const rn_result *res, size_t n, rn_tally *out,
                        size_t max);
/* Add a suite's counts into a running total. */
void rn_tally_add(rn_tally *sum, const rn_tally *t);
void rn_report_table(FILE *f, const rn_test *const *tests, const rn_result *res, size_t n);
/* The closing line, exactly "N passed, N failed\n" (failed = not passed). */
void rn_report_summary(FILE *f, const rn_result *res, size_t n);
int rn_report_junit(const char *path, const rn_test *const *tests, const rn_result *res, size_t n);
/* `--update-expectations` (expect.c): rewrite every manifest whose tests'
 * results differ from their expectations (a pass becomes pass, a new
 * failure becomes fail with the result as its reason; reasons name ROMs
 * relative to rom_root). Says what changed on `out`, errors on `errs`;
 * returns 0 or -1. */
int rn_update_expectations(rn_manifest *mans, size_t nmans, const rn_test *const *tests,
                           const rn_result *res, size_t ntests, const char *rom_root, FILE *out,
                           FILE *errs);
/* Machine-readable results (report_json.c): one JSON object with every
 * test's suite, ROM, status, expectation, message, cycles, wall time and
 * failure folder, and the totals. Returns 0 or -errno. */
int rn_report_json(const char *path, const rn_test *const *tests, const rn_result *res, size_t n,
                   const rn_opts *o);
/* Merge JUnit files (e.g. of the shards of one run) into one (junit_merge.c):
 * the test suites of each, one <testsuites> root with the summed counts.
 * Returns 0, or -1 with err set. */
int rn_junit_merge(const char *out, const char *const *in, size_t n, char *err, size_t errlen);
/* Which shard (0..n-1) a test belongs to with --shard K/N: a hash of its
 * suite and ROM path, so the split does not depend on the selection or on
 * the order of the manifests. */
unsigned rn_test_shard(const rn_test *t, unsigned n);
/* Escape text for XML attributes and text into buf: markup characters as
 * entities, control characters and bytes that are not valid UTF-8 as
 * U+FFFD, so any file name gives well-formed XML. */
void rn_xml_escape(const char *s, char *buf, size_t len);
/* The run the reports describe: its start and command line (argv after
 * the program name, e.g. {"test", "--suite", "x"}; shown as "ceres test
 * --suite x"), for the JUnit timestamp and the HTML report's header.
 * Without it, "now" and no command. */
void rn_report_set_run(time_t start, int argc, char **argv);
void rn_report_when(char *buf, size_t len); /* ISO 8601 UTC of the start */
const char *rn_report_command(void);        /* "" if unknown */
const char *rn_report_commit(void);         /* the source commit built, or "unknown" */

/* ---- PNG (png.c) --------------------------------------------------------- */

/* DMG shades 0..3 as 8-bit gray: #FFFFFF, #AAAAAA, #555555, #000000. */
extern const uint8_t rn_shade_gray[4];

/* Write a 160x144 (or w x h) frame of shades 0..3 as an 8-bit gray PNG. */
int rn_png_write_shades(const char *path, const uint8_t *shades, unsigned w, unsigned h);
/* Read a PNG as 8-bit RGB; *rgb is malloc'd (w*h*3). Reference images only:
 * at most RN_PNG_MAX_DIM pixels a side (a Game Boy screen is 160x144; room
 * for a border), files of at most RN_PNG_FILE_MAX bytes, checked before any
 * pixel memory is allocated. */
#define RN_PNG_MAX_DIM  256u
#define RN_PNG_FILE_MAX ((size_t)4 << 20)
int rn_png_read_rgb(const char *path, uint8_t **rgb, unsigned *w, unsigned *h, char *err,
                    size_t errlen);
/* The same with another bound on the sides (a window screenshot is larger). */
int rn_png_read_rgb_max(const char *path, unsigned max_dim, uint8_t **rgb, unsigned *w, unsigned *h,
                        char *err, size_t errlen);
/* Compare a frame of shades with RGB reference pixels: returns the number of
 * differing pixels (first one in *fx, *fy). */
unsigned rn_screen_diff(const uint8_t *shades, const uint8_t *rgb, unsigned w, unsigned h,
                        unsigned *fx, unsigned *fy);

/* ---- checks at the end of a run (endcheck.c) ------------------------------ */

/* The checks judged once, after the time limit, on the first frame completed
 * from then on (gambatte's test runner: run 15 frames' time, stop at the next
 * completed frame): hex, audio0, audio1, frame. */
bool rn_check_at_end(rn_check_kind k);

/* gambatte's hex glyphs (its hexglyphs.txt: "digit X" then 8 rows of 8
 * characters, '.' white, '#' black): glyphs[d][row], bit 7 = leftmost
 * pixel, 1 = black. 0, or -EINVAL with a message naming the line. */
typedef struct rn_hexglyphs {
    uint8_t rows[16][8];
} rn_hexglyphs;
int rn_hexglyphs_parse(const char *text, rn_hexglyphs *g, char *err, size_t errlen);
int rn_hexglyphs_load(const char *path, rn_hexglyphs *g, char *err, size_t errlen);
/* Judge a frame of shades (160x144, 0 = lightest .. 3 = darkest): digit i of
 * `digits` must be the 8x8 tile at x = 8i, y = 0, glyph white = shade 0,
 * black = shade 3, any other shade fails. True when all match; msg says what
 * the screen shows ('?' for a tile that is no glyph). */
bool rn_hex_match(const uint8_t *shades, const rn_hexglyphs *g, const char *digits, char *msg,
                  size_t msglen);

/* ---- helpers (util.c) ---------------------------------------------------- */

/* mkdir -p; 0 or -errno. */
int rn_mkdirs(const char *path);
/* Read a whole regular file (malloc'd, NUL-terminated) of at most max
 * bytes, type and size checked first (ct_read_file); 0 or -errno (messages:
 * ct_file_strerror). rn_read_file: at most RN_READ_MAX. */
#define RN_READ_MAX ((size_t)64 << 20)
int rn_read_file(const char *path, uint8_t **data, size_t *size);
int rn_read_file_max(const char *path, size_t max, uint8_t **data, size_t *size);
/* Read a ROM image, plain or gzip-compressed (zlib's gzread passes a plain
 * file through), stopping as soon as it holds more than GB_ROM_MAX_SIZE
 * bytes: a larger file, or one that inflates to more, is refused ("ROM too
 * large") without reading the rest. 0, or a negative errno with a message in
 * err. *data is malloc'd. */
int rn_read_rom(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen);
/* Write a whole file atomically (temporary name + rename). */
int rn_write_file(const char *path, const void *data, size_t size);
/* Monotonic wall clock in seconds. */
double rn_now(void);
/* The recorder a --trace-buffer text asks for, with schema `s`: a plain
 * byte budget is split into the default rings (GB_RINGS_BUSY and
 * GB_RINGS_RARE an eighth each, the rest for the trace-level flood), or
 * kept as one ring when an eighth of it is below the smallest ring; "Nev",
 * "all=SIZE" (one ring) and ring specs (debug=512K,rest=3584K) go to
 * ct_recorder_create_spec as they are. NULL with a message in err. */
struct ct_recorder *rn_recorder_create(const struct ct_schema *s, const char *buffer, char *err,
                                       size_t errlen);
/* The same for a byte budget (or, with events, an event bound: one ring). */
struct ct_recorder *rn_recorder_create_size(const struct ct_schema *s, uint64_t bytes,
                                            uint64_t events, char *err, size_t errlen);

/* ---- data paths (paths.c) ------------------------------------------------ */

/* PREFIX/share/ceres next to the running program (PREFIX/bin/ceres), or
 * NULL when there is none. Found from /proc/self/exe, never compiled in. */
const char *rn_data_dir(void);
/* The suite manifests: $CERES_SUITES, else <data dir>/suites, else
 * "suites" in the current directory. */
const char *rn_default_suites_dir(void);
/* The ROM root: $CERES_TESTROMS, else <data dir>/testroms, else "testroms". */
const char *rn_default_rom_root(void);

#endif
