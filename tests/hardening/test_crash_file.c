/* The crash dump's file: created only when a crash or SIGINT/SIGTERM
 * happens, never over something that exists (a symlink, the --trace-out
 * file, an earlier crash's dump), no out/ folder after a plain run; a
 * stack overflow still leaves a dump (alternate signal stack); a signal
 * while the final trace is written lets it finish, writes the crash dump
 * and exits 128+signal, leaving no temporary file. */
#include "hard_util.h"

#include "trace/ct_host.h"

static char *dir;
static char rom[700];

static char *path_in(const char *name) {
    static char p[4][800];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static bool same_text(const char *name, const char *want) {
    char *t = read_text(path_in(name), NULL);
    bool ok = t && !strcmp(t, want);
    free(t);
    return ok;
}

static bool loads(const char *name) {
    ct_trace *t = NULL;
    char err[512];
    int e = ct_trace_load(path_in(name), &t, err, sizeof err);
    if (e) fprintf(stderr, "%s: %s\n", name, err);
    bool ok = !e && t && t->nev > 0;
    ct_trace_free(t);
    return ok;
}

/* No file of ours left half-written: nothing named *.tmp*. */
static bool no_temporaries(void) {
    DIR *d = opendir(dir);
    bool ok = true;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) {
            fprintf(stderr, "left behind: %s\n", e->d_name);
            ok = false;
        }
    if (d) closedir(d);
    return ok;
}

/* A clean run neither creates, truncates nor removes the crash dump path. */
static void clean_runs(void) {
    child c;
    /* A symlink as --crash-dump: its target keeps its bytes. */
    CHECK_EQ(write_file(path_in("target.txt"), "precious\n", 9), 0);
    CHECK_EQ(symlink("target.txt", path_in("link.ctrace")), 0);
    char *a1[] = {"run", "loop.gb", "--frames", "10", "--crash-dump", "link.ctrace", NULL};
    CHECK_EQ(run_ceres(&c, dir, NULL, a1), 0);
    child_free(&c);
    CHECK(same_text("target.txt", "precious\n"));
    struct stat st;
    CHECK(lstat(path_in("link.ctrace"), &st) == 0 && S_ISLNK(st.st_mode));

    /* The same path as --trace-out: the trace just written stays. */
    char *a2[] = {"run",         "loop.gb",      "--frames",    "10", "--trace-out",
                  "same.ctrace", "--crash-dump", "same.ctrace", NULL};
    CHECK_EQ(run_ceres(&c, dir, NULL, a2), 0);
    child_free(&c);
    CHECK(loads("same.ctrace"));

    /* An earlier crash's dump survives a re-run. */
    CHECK_EQ(write_file(path_in("earlier.ctrace"), "earlier\n", 8), 0);
    char *a3[] = {"run", "loop.gb", "--frames", "10", "--crash-dump", "earlier.ctrace", NULL};
    CHECK_EQ(run_ceres(&c, dir, NULL, a3), 0);
    child_free(&c);
    CHECK(same_text("earlier.ctrace", "earlier\n"));

    /* A plain run leaves no out/ folder behind (nor a crash file). */
    char *a4[] = {"run", "loop.gb", "--frames", "10", NULL};
    CHECK_EQ(run_ceres(&c, dir, NULL, a4), 0);
    child_free(&c);
    CHECK(access(path_in("out"), F_OK) != 0);
    CHECK(no_temporaries());
}

/* A crash when the dump's path is taken: the old file is kept and the dump
 * goes beside it as NAME-1.ctrace. */
static void crash_beside(void) {
    child c;
    char *env[] = {"CERES_TEST_CRASH_AT=2000000", NULL};
    char *args[] = {"run",          "loop.gb",        "--cycles", "100000000",
                    "--crash-dump", "earlier.ctrace", NULL};
    run_ceres(&c, dir, env, args);
    printf("crash beside: status %d\n%s", c.status, c.err);
    CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV);
    CHECK(strstr(c.err, "flight recorder written to earlier-1.ctrace") != NULL);
    child_free(&c);
    CHECK(same_text("earlier.ctrace", "earlier\n"));
    CHECK(loads("earlier-1.ctrace"));
    /* The default place: out/ is made by the crash, with the dump in it. */
    char *a2[] = {"run", "loop.gb", "--cycles", "100000000", NULL};
    run_ceres(&c, dir, env, a2);
    CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV);
    child_free(&c);
    CHECK(loads("out/loop.crash.ctrace"));
}

/* Unbounded recursion: the handler runs on its own stack and dumps. */
static void stack_overflow(void) {
    child c;
    char *env[] = {"CERES_TEST_CRASH_AT=2000000", "CERES_TEST_CRASH=stack", NULL};
    char *args[] = {"run", "loop.gb", "--cycles", "100000000", "--crash-dump", "deep.ctrace", NULL};
    run_ceres(&c, dir, env, args);
    printf("stack overflow: status %d\n%s", c.status, c.err);
    CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV);
    CHECK(strstr(c.err, "SIGSEGV: flight recorder written to deep.ctrace") != NULL);
    child_free(&c);
    CHECK(loads("deep.ctrace"));
}

/* SIGINT or SIGTERM while the final trace is being written. */
static void signal_in_dump(int sig) {
    char *args[] = {"run", "loop.gb",     "--seconds", "8", "--trace", "trace", "--trace-buffer",
                    "32M", "--trace-out", "big.json",  NULL};
    child c;
    child_start(&c, dir, NULL, args);
    /* The summary line is printed when the run is over, right before the
     * outputs are written. */
    bool seen = false;
    for (int i = 0; i < 12000 && !seen; i++) {
        char *e = read_text(c.err_path, NULL);
        seen = e && strstr(e, "T-cycles");
        free(e);
        if (!seen) sleep_ms(5);
    }
    CHECK(seen);
    sleep_ms(20);
    kill(c.pid, sig);
    child_wait(&c);
    printf("signal %d in the final dump: status %d\n%s", sig, c.status, c.err);
    CHECK(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 128 + sig);
    CHECK(strstr(c.err, "flight recorder written to big.json.crash.ctrace") != NULL);
    CHECK(strstr(c.err, "trace written to big.json") != NULL);
    child_free(&c);
    char *text = read_text(path_in("big.json"), NULL);
    size_t n = text ? strlen(text) : 0;
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    CHECK(n > 1000000 && text[n - 1] == '}'); /* complete */
    free(text);
    CHECK(loads("big.json.crash.ctrace"));
    CHECK(no_temporaries());
    unlink(path_in("big.json"));
    unlink(path_in("big.json.crash.ctrace"));
}

int main(void) {
    ceres_bin();
    /* A bounded stack, whatever the caller's limit, so the overflow ends. */
    struct rlimit rl = {8u << 20, 8u << 20};
    setrlimit(RLIMIT_STACK, &rl);
    dir = make_tmpdir();
    write_loop_rom(dir, rom, sizeof rom);
    clean_runs();
    crash_beside();
    stack_overflow();
    signal_in_dump(SIGINT);
    signal_in_dump(SIGTERM);
    rm_rf(dir);
    free(dir);
    return test_result();
}
