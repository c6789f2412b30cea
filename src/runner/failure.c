/* Failure folders: where they go, what a previous run left in them, the
 * text tail of the ring and state.txt. The check loop (run_one.c) and the
 * process runner (runner.c) fill them. */
#include "runner.h"

#include "../debug/disasm.h"
#include "../gb/gb_events.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void rn_failure_dir(const rn_opts *o, const rn_test *t, char *buf, size_t len) {
    char name[1024];
    const char *rom = t->rom;
    /* A frame check is named by its reference: one ROM can have several
     * (rtc3test's sub-tests), each with its own folder. */
    if (t->check.kind == RN_CHECK_FRAME && t->check.ref) rom = t->check.ref;
    /* Absolute ad-hoc paths keep only their last two components. */
    if (rom[0] == '/') {
        const char *s = rom + strlen(rom);
        int slashes = 0;
        while (s > rom && slashes < 2)
            if (*--s == '/') slashes++;
        rom = s + (*s == '/');
    }
    /* mooneye/acceptance/x.gb in suite mooneye: failures/mooneye/acceptance/x */
    const char *suite = t->suite ? t->suite : "adhoc";
    size_t sl = strlen(suite);
    if (!strncmp(rom, suite, sl) && rom[sl] == '/' && rom[sl + 1]) rom += sl + 1;
    size_t n = 0;
    for (const char *p = rom; *p && n + 1 < sizeof name; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '/';
        name[n++] = ok ? (char)c : '_';
    }
    name[n] = 0;
    char *dot = strrchr(name, '.');
    if (dot && !strchr(dot, '/') && dot != name) *dot = 0;
    /* No "..": a path component made only of dots becomes underscores. */
    for (char *p = name; *p; p++)
        if (*p == '.' && (p == name || p[-1] == '/')) *p = '_';
    if (snprintf(buf, len, "%s/failures/%s/%s", o->out_dir, suite, name) >= (int)len) buf[0] = 0;
}

/* Every component of dir below out (out itself is the user's choice) must
 * be a real folder: a symlink planted inside --out is not followed. */
static int check_below(const char *out, const char *dir) {
    size_t ol = strlen(out);
    while (ol > 1 && out[ol - 1] == '/')
        ol--;
    if (strncmp(dir, out, ol) || dir[ol] != '/') return -EINVAL;
    char buf[4200];
    size_t n = strlen(dir);
    if (n >= sizeof buf) return -ENAMETOOLONG;
    memcpy(buf, dir, n + 1);
    for (size_t i = ol + 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char c = buf[i];
        buf[i] = 0;
        struct stat st;
        if (lstat(buf, &st) != 0) return -errno;
        if (S_ISLNK(st.st_mode)) return -ELOOP;
        if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
        buf[i] = c;
    }
    return 0;
}

int rn_failure_mkdir(const rn_opts *o, const char *dir) {
    if (!dir[0]) return -ENAMETOOLONG;
    int e = -ENOENT;
    /* Retried: the runner removes empty parents of other tests' folders
     * while this one is made. */
    for (int attempt = 0; attempt < 8 && e == -ENOENT; attempt++) {
        e = check_below(o->out_dir, dir);
        if (e && e != -ENOENT) return e; /* do not create inside a followed link */
        e = rn_mkdirs(dir);
        if (!e) e = check_below(o->out_dir, dir);
    }
    return e;
}

void rn_path_join(char *buf, size_t len, const char *dir, const char *file) {
    if (snprintf(buf, len, "%s/%s", dir, file) >= (int)len) buf[0] = 0; /* unusable: fail open */
}

int rn_write_log_tail(ct_trace *tr, const char *path, FILE *info) {
    if (info)
        fprintf(info,
                "ring: %llu events kept from cycle %llu to %llu (%llu written, %llu overwritten)\n",
                (unsigned long long)tr->nev, (unsigned long long)(tr->nev ? tr->ev[0].ts : 0),
                (unsigned long long)(tr->nev ? tr->ev[tr->nev - 1].ts : 0),
                (unsigned long long)tr->written, (unsigned long long)tr->overwritten);
    uint64_t keep = tr->nev > RN_LOG_TAIL_EVENTS ? RN_LOG_TAIL_EVENTS : tr->nev;
    if (tr->nev > keep) {
        memmove(tr->ev, tr->ev + (tr->nev - keep), keep * sizeof *tr->ev);
        tr->nev = keep;
    }
    ct_dump_opts dopts = {.format = CT_FMT_LOG, .line_fmt = gb_disasm_line_fmt};
    int rc = ct_trace_write(tr, path, &dopts);
    if (info)
        fprintf(info, "text tail: %s (last %llu events)\n", rc ? strerror(-rc) : "trace.log",
                (unsigned long long)keep);
    return rc;
}

void rn_describe_regs(FILE *f, const gb_regs *r) {
    fprintf(f,
            "registers: A:%02X F:%02X B:%02X C:%02X D:%02X E:%02X H:%02X L:%02X SP:%04X "
            "PC:%04X IME:%d HALT:%d\n",
            r->a, r->f, r->b, r->c, r->d, r->e, r->h, r->l, r->sp, r->pc, r->ime, r->halted);
}

void rn_artifact_lost(rn_result *res, const char *name, int err) {
    if (!err) return;
    res->lost++;
    size_t l = strnlen(res->lost_what, sizeof res->lost_what);
    snprintf(res->lost_what + l, sizeof res->lost_what - l, "%s%s: %s", l ? "; " : "", name,
             ct_file_strerror(err));
}

int rn_write_state(const char *path, const rn_test *t, const rn_opts *o, const rn_result *res,
                   const char *extra) {
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f) return -ENOMEM;
    char chk[600];
    fprintf(f, "test: %s\nsuite: %s\ncheck: %s\nlimit: %s\n", t->rom, t->suite ? t->suite : "adhoc",
            rn_check_format(&t->check, chk, sizeof chk), t->limit_text ? t->limit_text : "-");
    if (t->expect == RN_EXPECT_FAIL)
        fprintf(f, "expected: fail \"%s\"\n", t->reason ? t->reason : "");
    else
        fprintf(f, "expected: pass\n");
    fprintf(f, "result: %s%s\n", rn_status_name(res->status),
            rn_result_expected(t, res) ? " (as expected)" : " (differs from the expectation)");
    fprintf(f, "why: %s\n", res->message);
    if (res->signal) fprintf(f, "signal: %d\n", res->signal);
    if (res->lost) fprintf(f, "not written: %s\n", res->lost_what);
    fprintf(f, "cycles: %llu (T-cycles since power-on, %.6f emulated s)\n",
            (unsigned long long)res->cycles, (double)res->cycles / RN_CYCLES_PER_SEC);
    fprintf(f, "frames: %llu\n", (unsigned long long)res->frames);
    if (res->have_regs)
        rn_describe_regs(f, &res->regs);
    else
        fprintf(f, "registers: unknown (the machine was not running)\n");
    fprintf(f, "serial output (%zu bytes): \"", res->serial_len);
    for (const char *p = res->serial; *p; p++)
        fputs(*p == '\n' ? "\\n" : (char[2]){*p, 0}, f);
    fprintf(f, "\"%s\n", res->serial_len >= RN_SERIAL_MAX ? " (truncated)" : "");
    fprintf(f, "trace filter: %s\n", o->trace_filter ? o->trace_filter : GB_DEFAULT_FILTER);
    if (extra) fputs(extra, f);
    int rc = fclose(f) == 0 ? rn_write_file(path, text, tlen) : -ENOMEM;
    free(text);
    return rc;
}

const char *const rn_failure_files[RN_FAILURE_NFILES] = {
    "trace.perfetto-trace",  "trace.ctrace", "trace.log",
    "replay.perfetto-trace", "screen.png",   "state.txt"};

void rn_failure_clear_files(const char *dir) {
    char p[4200];
    for (size_t i = 0; i < RN_FAILURE_NFILES; i++) {
        rn_path_join(p, sizeof p, dir, rn_failure_files[i]);
        unlink(p);
    }
}

void rn_clear_failure(const rn_opts *o, const rn_test *t) {
    if (!o->out_dir) return;
    char dir[4200], top[4200];
    rn_failure_dir(o, t, dir, sizeof dir);
    if (!dir[0] || check_below(o->out_dir, dir)) return; /* missing, or not ours */
    rn_failure_clear_files(dir);
    /* Remove the folder and its parents while empty, never above
     * OUT/failures (rmdir fails on anything that still holds files). */
    snprintf(top, sizeof top, "%s/failures", o->out_dir);
    size_t tl = strlen(top);
    while (strlen(dir) > tl && !strncmp(dir, top, tl) && rmdir(dir) == 0) {
        char *slash = strrchr(dir, '/');
        if (!slash) break;
        *slash = 0;
    }
}
