/* Crash and interrupt dumps: a child `ceres run` is sent SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGABRT, SIGINT and SIGTERM mid-run, and one dereferences
 * a bad pointer through the test-only CERES_TEST_CRASH_AT hook. Each leaves a
 * .ctrace (--crash-dump) whose last events are from just before the signal,
 * which `ceres trace convert` turns into a Perfetto trace that protoc
 * decodes; crashes die of their signal, SIGINT/SIGTERM exit 128+signal. */
#include "hard_util.h"

#include "gb/gb_events.h"
#include "trace/ct_host.h"

#define SLICE_CYCLES (1ull << 22) /* ceres run polls for interrupts this often */

static const char *proto_path;

/* Checks a crash dump; returns the timestamp of its last event. */
static uint64_t check_dump(const char *dir, const char *name) {
    char path[700], cmd[3000];
    snprintf(path, sizeof path, "%s/crash.ctrace", dir);
    if (access(path, F_OK)) {
        CHECK(!"crash dump missing");
        return 0;
    }
    ct_trace *t = NULL;
    char err[512];
    int e = ct_trace_load(path, &t, err, sizeof err);
    CHECK_EQ(e, 0);
    if (e) {
        fprintf(stderr, "%s: %s\n", name, err);
        return 0;
    }
    CHECK(t->nev > 1000);
    CHECK(t->overwritten > 0); /* the ring wrapped: these are the newest events */
    uint64_t last = t->nev ? t->ev[t->nev - 1].ts : 0;
    bool ordered = true;
    for (uint64_t i = 1; i < t->nev; i++)
        ordered &= t->ev[i].ts >= t->ev[i - 1].ts;
    CHECK(ordered);
    /* The newest instruction is one of the loop's. */
    int exec = -1;
    for (unsigned i = 0; i < t->schema.nevents; i++)
        if (!strcmp(t->schema.events[i].target, "cpu") && !strcmp(t->schema.events[i].name, "exec"))
            exec = (int)i;
    CHECK(exec >= 0);
    int64_t pc = -1;
    for (uint64_t i = t->nev; i-- > 0 && exec >= 0;)
        if (t->ev[i].id == exec) {
            int f = ct_field_index(&t->schema.events[exec], "pc");
            pc = f >= 0
                     ? (int64_t)ct_field_u64(&t->schema.events[exec], (unsigned)f, t->ev[i].payload)
                     : -1;
            break;
        }
    if (pc < LOOP_PC || pc > LOOP_PC + 5)
        fprintf(stderr, "%s: last pc %lld\n", name, (long long)pc);
    CHECK(pc >= LOOP_PC && pc <= LOOP_PC + 5);
    ct_trace_free(t);

    /* Perfetto, decoded by protoc against the official schema. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' trace convert crash.ctrace crash.perfetto-trace --uncompressed "
             ">/dev/null 2>&1",
             dir, ceres_bin());
    CHECK_EQ(system(cmd), 0);
    char pdir[600];
    snprintf(pdir, sizeof pdir, "%s", proto_path);
    char *slash = strrchr(pdir, '/');
    if (slash) *slash = 0;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && protoc --decode=perfetto.protos.Trace -I '%s' '%s' "
             "<crash.perfetto-trace >decoded.txt 2>protoc.err",
             dir, pdir, proto_path);
    int rc = system(cmd);
    CHECK_EQ(rc, 0);
    snprintf(path, sizeof path, "%s/decoded.txt", dir);
    char *text = read_text(path, NULL);
    CHECK(text && strstr(text, "track_event"));
    /* Read back (timestamps in ns), the Perfetto trace ends with the same
     * event, give or take the width of the last instruction slice. */
    snprintf(path, sizeof path, "%s/crash.perfetto-trace", dir);
    ct_trace *p = NULL;
    CHECK_EQ(ct_trace_load(path, &p, err, sizeof err), 0);
    if (p && p->nev) {
        uint64_t ns = 0;
        for (uint64_t i = 0; i < p->nev; i++)
            ns = p->ev[i].ts > ns ? p->ev[i].ts : ns;
        uint64_t want = (uint64_t)((double)last * 1e9 / 4194304.0);
        if (ns + 1000 < want || ns > want + 30000)
            fprintf(stderr, "%s: perfetto newest %llu ns, ctrace last %llu ns\n", name,
                    (unsigned long long)ns, (unsigned long long)want);
        CHECK(ns + 1000 >= want && ns <= want + 30000);
    }
    ct_trace_free(p);
    free(text);
    return last;
}

/* Waits until process pid catches SIGINT (its run has started). */
static void wait_handlers(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    for (int i = 0; i < 1000; i++) {
        char *st = read_text(path, NULL);
        const char *cgt = st ? strstr(st, "SigCgt:") : NULL;
        unsigned long long mask = cgt ? strtoull(cgt + 7, NULL, 16) : 0;
        free(st);
        if (mask & (1ull << (SIGINT - 1))) return;
        sleep_ms(5);
    }
    CHECK(!"the run never installed its signal handlers");
}

static void one(int sig, const char *name, const char *rom_path) {
    char *dir = make_tmpdir();
    char crash[700];
    snprintf(crash, sizeof crash, "%s/crash.ctrace", dir);
    char *args[] = {
        "run",        (char *)rom_path, "--cycles",     "1000000000000000", "--trace-out",
        "end.ctrace", "--crash-dump",   "crash.ctrace", "--trace-buffer",   "256K",
        NULL};
    child c;
    child_start(&c, dir, NULL, args);
    /* The handlers are installed just before the machine starts (the crash
     * file itself is only created by a signal). */
    wait_handlers(c.pid);
    CHECK(access(crash, F_OK) != 0);
    sleep_ms(300);
    kill(c.pid, sig);
    child_wait(&c);
    printf("%s: status %d\n%s", name, c.status, c.err);
    bool crash_sig = sig != SIGINT && sig != SIGTERM;
    if (crash_sig) {
        CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == sig);
    } else {
        /* 128 + the signal, as shells and CI expect, after the dump. */
        CHECK(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 128 + sig);
    }
    CHECK(strstr(c.err, "flight recorder written to crash.ctrace"));
    uint64_t last = check_dump(dir, name);
    CHECK(last > 100000); /* mid-run, not from the start */
    if (!crash_sig) {
        /* The run stopped right after the signal: the dump's last event is
         * within one polling slice of the cycle count it reports. */
        unsigned long long end = reported_cycles(c.err);
        CHECK(end >= last && end - last <= SLICE_CYCLES + 100);
        CHECK(strstr(c.err, "stopped: interrupted"));
        char p[700];
        snprintf(p, sizeof p, "%s/end.ctrace", dir);
        CHECK(access(p, F_OK) == 0); /* --trace-out is still written */
    }
    child_free(&c);
    rm_rf(dir);
    free(dir);
}

/* `ceres test`: its test children have the same handler; a child killed
 * mid-test leaves trace.ctrace in the test's failure folder, named on the
 * result line, and state.txt with the cycle count at the signal. Ctrl-C or
 * SIGTERM sent to `ceres test` itself: the table and the JUnit report are
 * still written, and it exits 128 + the signal (issue 12 item 6). */
static void test_child(int sig, const char *name, const char *rom_path, bool to_parent) {
    char *dir = make_tmpdir();
    /* Interrupting `ceres test` itself: two tests, one at a time, the
     * first is stopped and the second not run. */
    char *args[] = {
        "test", (char *)rom_path, "--timeout", "1000000f",       "-j", "1", "--trace-buffer",
        "256K", "--junit",        "r.xml",     (char *)rom_path, NULL};
    if (!to_parent) args[10] = NULL;
    child c;
    child_start(&c, dir, NULL, args);
    char kids[128];
    snprintf(kids, sizeof kids, "/proc/%ld/task/%ld/children", (long)c.pid, (long)c.pid);
    long kid = 0;
    for (int i = 0; i < 500 && kid <= 0; i++) {
        sleep_ms(10);
        char *k = read_text(kids, NULL);
        kid = k ? strtol(k, NULL, 10) : 0;
        free(k);
    }
    CHECK(kid > 0);
    if (kid > 0) {
        sleep_ms(300);
        kill(to_parent ? c.pid : (pid_t)kid, sig);
    }
    child_wait(&c);
    printf("ceres test, %s %s: status %d\n%s", to_parent ? "parent" : "child", name, c.status,
           c.out);
    CHECK(WIFEXITED(c.status) && WEXITSTATUS(c.status) == (to_parent ? 128 + sig : 1));
    char want[64], junit[800];
    snprintf(junit, sizeof junit, "%s/r.xml", dir);
    char *xml = read_text(junit, NULL);
    CHECK(xml && strstr(xml, "</testsuites>")); /* the report is written whole */
    free(xml);
    if (to_parent) {
        /* Not the test's fault: an error without a verdict, not a crash. */
        CHECK(strstr(c.out, "] error") && strstr(c.out, "interrupted (SIGINT)"));
        CHECK(strstr(c.out, "not run: interrupted") != NULL);
        CHECK(strstr(c.out, sig == SIGINT ? "interrupted (SIGINT)\n" : "interrupted (SIGTERM)\n"));
    } else {
        snprintf(want, sizeof want, "died of signal %d (%s)", sig, name);
        CHECK(strstr(c.out, "] crash") && strstr(c.out, want));
    }
    const char *folder = strstr(c.out, "[out/failures/");
    CHECK(folder != NULL);
    if (folder) {
        char fdir[1400], cmd[3000];
        snprintf(fdir, sizeof fdir, "%s/%.*s", dir, (int)strcspn(folder + 1, "]"), folder + 1);
        snprintf(cmd, sizeof cmd, "cp '%s/trace.ctrace' '%s/crash.ctrace'", fdir, dir);
        CHECK_EQ(system(cmd), 0);
        uint64_t last = check_dump(dir, name);
        char st[1500];
        snprintf(st, sizeof st, "%s/state.txt", fdir);
        char *state = read_text(st, NULL);
        const char *cy = state ? strstr(state, "\ncycles: ") : NULL;
        unsigned long long at = cy ? strtoull(cy + 9, NULL, 10) : 0;
        CHECK(at > 0 && last <= at && last + 64 >= at);
        free(state);
    }
    child_free(&c);
    rm_rf(dir);
    free(dir);
}

static void hook(const char *rom_path) {
    char *dir = make_tmpdir();
    const uint64_t at = 20000000;
    char *env[] = {"CERES_TEST_CRASH_AT=20000000", NULL};
    char *args[] = {"run",          (char *)rom_path, "--cycles", "100000000",
                    "--crash-dump", "crash.ctrace",   NULL};
    child c;
    run_ceres(&c, dir, env, args);
    printf("bad pointer: status %d\n%s", c.status, c.err);
    CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV);
    CHECK(strstr(c.err, "SIGSEGV: flight recorder written to crash.ctrace"));
    uint64_t last = check_dump(dir, "bad pointer");
    /* The crash happens at the first instruction boundary at or after
     * cycle `at`: the last event is from the instruction before. */
    CHECK(last + 64 >= at && last <= at + 24);
    child_free(&c);
    rm_rf(dir);
    free(dir);
}

int main(void) {
    ceres_bin();
    proto_path = getenv("CERES_PERFETTO_PROTO");
    if (!proto_path || access(proto_path, R_OK)) TEST_SKIP("CERES_PERFETTO_PROTO not readable");
    if (system("protoc --version >/dev/null 2>&1") != 0) TEST_SKIP("protoc not installed");
    char *dir = make_tmpdir();
    char rom_path[700];
    write_loop_rom(dir, rom_path, sizeof rom_path);
    static const struct {
        int sig;
        const char *name;
    } sigs[] = {{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGILL, "SIGILL"},  {SIGFPE, "SIGFPE"},
                {SIGABRT, "SIGABRT"}, {SIGINT, "SIGINT"}, {SIGTERM, "SIGTERM"}};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        one(sigs[i].sig, sigs[i].name, rom_path);
    hook(rom_path);
    for (size_t i = 0; i < 5; i++)
        test_child(sigs[i].sig, sigs[i].name, rom_path, false);
    test_child(SIGTERM, "SIGTERM", rom_path, false);
    /* Ctrl-C or SIGTERM to `ceres test` itself: passed on as SIGINT. */
    test_child(SIGINT, "SIGINT", rom_path, true);
    test_child(SIGTERM, "SIGTERM", rom_path, true);
    rm_rf(dir);
    free(dir);
    return test_result();
}
