/* The command line's conventions and checks, through the ceres program:
 * --opt=value, unique prefixes (an ambiguous one is an error), -- ending
 * the options, bundled short options, -h on every command, --version, - as
 * stdout where it makes sense and refused elsewhere; bad input found before
 * anything runs (output paths, a folder given as a file, --wall-limit nan,
 * a ring too small); an open --cycles window ends; --frames N says N
 * frames; --doctor-log needs a length; --list-events; and ceres test's
 * --exclude, --shard K/N (the shards together run every test exactly
 * once), --merge-junit, --fail-fast and --json. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include "test_fs.h"
#include "testrom.h"
#include "runner/runner.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static const char *bin;

static const uint8_t pass_code[] = {TESTROM_OK_PASS_CODE};
static const uint8_t loop_code[] = {0x18, 0xFE}; /* JR -2: never passes */

/* `ceres ARGS` in the folder, stdout/stderr to out.txt / err.txt. */
static int ceres(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout 120 '%s' %s >out.txt 2>err.txt", dir, bin, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *file, const char *needle) {
    return dir_file_has(dir, file, needle, true);
}

static bool lacks(const char *file, const char *needle) {
    return !dir_file_has(dir, file, needle, false);
}

static bool exists(const char *name) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void write_rom(const char *name, const uint8_t *code, size_t n) {
    static uint8_t rom[0x8000];
    memset(rom, 0, sizeof rom);
    memcpy(rom + 0x100, code, n);
    testrom_fix_checksum(rom);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK_EQ(rn_write_file(path, rom, sizeof rom), 0);
}

static void conventions(void) {
    /* --opt=value and --opt value; a unique prefix. */
    CHECK_EQ(ceres("run ok.gb --frames=10"), 0);
    CHECK(dir_file_ran(dir, "err.txt", 702240));
    CHECK_EQ(ceres("run --fram 10 ok.gb"), 0);
    CHECK(dir_file_ran(dir, "err.txt", 702240));
    CHECK_EQ(ceres("run ok.gb --st pc==1"), 2);
    CHECK(has("err.txt", "ambiguous"));
    CHECK_EQ(ceres("run ok.gb --raw-cycles=yes"), 2);
    CHECK(has("err.txt", "takes no value"));
    /* -- ends the options: a ROM whose name starts with '-'. */
    CHECK_EQ(ceres("run --frames 1 -- -dash.gb"), 0);
    CHECK(dir_file_ran(dir, "err.txt", 70224));
    CHECK_EQ(ceres("run -- ok.gb --frames 1"), 2); /* --frames is an operand there */
    CHECK(has("err.txt", "one ROM at a time"));
    /* Bundled short options: -l and -j 2 as -lj2. */
    CHECK_EQ(ceres("test -lj2 ok.gb"), 0);
    CHECK(has("out.txt", "1 tests"));
    CHECK_EQ(ceres("test --list --jobs=2 ok.gb"), 0);
    CHECK(has("out.txt", "1 tests"));
    /* -h and --help everywhere. */
    static const char *const helps[] = {
        "-h",           "run -h",         "test -h",       "trace -h", "trace convert -h",
        "trace cat -h", "trace stats -h", "trace diff -h", "bench -h", "run --help",
        "test --help",  "debug -h",       "bench emu -h"};
    for (size_t i = 0; i < sizeof helps / sizeof *helps; i++) {
        CHECK_EQ(ceres(helps[i]), 0);
        if (!has("out.txt", "usage: ceres")) printf("no usage for: %s\n", helps[i]);
        CHECK(has("out.txt", "usage: ceres"));
    }
    /* --version: version, commit, build options. */
    CHECK_EQ(ceres("--version"), 0);
    CHECK(has("out.txt", "ceres 0."));
    CHECK(has("out.txt", "commit: "));
    CHECK(has("out.txt", "build: "));
    /* - as stdout where it makes sense, refused where it does not. */
    CHECK_EQ(ceres("run ok.gb --frames 2 --trace-out t.ctrace"), 0);
    CHECK_EQ(ceres("trace convert t.ctrace - --format log"), 0);
    CHECK(has("out.txt", "cpu.exec"));
    CHECK(!exists("-"));
    CHECK_EQ(ceres("trace convert t.ctrace -"), 2);
    CHECK(has("err.txt", "needs --format"));
    CHECK_EQ(ceres("trace cat -"), 2);
    CHECK(has("err.txt", "stdin"));
    CHECK_EQ(ceres("run ok.gb --trace-out -"), 2);
    CHECK(has("err.txt", "cannot go to stdout"));
    CHECK(!exists("-"));
    CHECK_EQ(ceres("test ok.gb --json -"), 0);
    CHECK(has("out.txt", "\"summary\""));
}

static void run_checks(void) {
    /* --frames N reports N frames (VBlanks are counted apart). */
    CHECK_EQ(ceres("run ok.gb --frames 30"), 0);
    CHECK(has("err.txt", ", 30 frames;"));
    /* An open cycle window without a run length runs the default 10 s. */
    CHECK_EQ(ceres("run ok.gb --cycles 1000.. --trace cpu=trace"), 0);
    CHECK(has("err.txt", "(10.000 emulated s"));
    CHECK(has("err.txt", "stopped: time limit"));
    /* --doctor-log needs a run length. */
    CHECK_EQ(ceres("run ok.gb --doctor-log d.log"), 2);
    CHECK(has("err.txt", "--doctor-log needs a run length"));
    CHECK(!exists("d.log"));
    CHECK_EQ(ceres("run ok.gb --doctor-log d.log --frames 1"), 0);
    CHECK(has("d.log", "PCMEM:"));
    /* --list-events: every event with its level and fields. */
    CHECK_EQ(ceres("run --list-events"), 0);
    CHECK(has("out.txt", "cpu.exec"));
    CHECK(has("out.txt", "pc:u16"));
    CHECK(has("out.txt", "serial.byte"));
    /* A folder given as a file says so, before anything runs. */
    CHECK_EQ(ceres("run sub"), 2);
    CHECK(has("err.txt", "sub: is a folder, not a file"));
    CHECK_EQ(ceres("run ok.gb --boot-rom sub"), 2);
    CHECK(has("err.txt", "is a folder"));
    CHECK_EQ(ceres("run ok.gb --screenshot sub"), 2);
    CHECK(has("err.txt", "--screenshot sub: is a folder"));
    CHECK(lacks("err.txt", "T-cycles"));
}

static void test_checks(void) {
    /* Bad input to ceres test: exit 2 at once, no test run. */
    CHECK_EQ(ceres("test ok.gb --trace-buffer 1"), 2);
    CHECK(has("err.txt", "--trace-buffer"));
    CHECK_EQ(ceres("test ok.gb --wall-limit nan"), 2);
    CHECK_EQ(ceres("test ok.gb --wall-limit inf"), 2);
    CHECK_EQ(ceres("test ok.gb --wall-limit -1"), 2);
    CHECK_EQ(ceres("test sub"), 2);
    CHECK(has("err.txt", "sub: is a folder, not a file"));
    CHECK_EQ(ceres("test ok.gb --junit missing/j.xml"), 2);
    CHECK(has("err.txt", "--junit missing/j.xml: No such file or directory"));
    CHECK(lacks("out.txt", "passed"));
    CHECK_EQ(ceres("test ok.gb --html sub"), 2);
    CHECK(has("err.txt", "--html sub: is a folder"));
    CHECK_EQ(ceres("test ok.gb --shard 3/2"), 2);
    CHECK_EQ(ceres("test ok.gb --shard 0/2"), 2);
}

/* The set of "suite rom" lines a --list prints. */
static char **list_lines(const char *file, size_t *n) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    char *t = read_text(p, NULL);
    char **v = NULL;
    *n = 0;
    for (char *line = t ? strtok(t, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char suite[64], rom[512];
        if (sscanf(line, "%63s %511s", suite, rom) != 2 || !strcmp(rom, "tests")) continue;
        v = realloc(v, (*n + 1) * sizeof *v);
        size_t l = strlen(suite) + strlen(rom) + 2;
        v[*n] = malloc(l);
        snprintf(v[(*n)++], l, "%s %s", suite, rom);
    }
    free(t);
    return v;
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sharding(void) {
    /* The suites' manifests: the shards' lists together are the full
     * list, each test exactly once. */
    CHECK_EQ(ceres("test --list > all.txt"), 0);
    size_t nall;
    char **all = list_lines("out.txt", &nall);
    CHECK(nall > 100);
    char **got = NULL;
    size_t ngot = 0;
    for (int k = 1; k <= 3; k++) {
        char args[64];
        snprintf(args, sizeof args, "test --list --shard %d/3", k);
        CHECK_EQ(ceres(args), 0);
        size_t n;
        char **v = list_lines("out.txt", &n);
        CHECK(n > 0 && n < nall);
        got = realloc(got, (ngot + n) * sizeof *got);
        memcpy(got + ngot, v, n * sizeof *v);
        ngot += n;
        free(v);
    }
    CHECK_EQ(ngot, nall);
    qsort(all, nall, sizeof *all, cmp);
    qsort(got, ngot, sizeof *got, cmp);
    bool same = ngot == nall;
    for (size_t i = 0; same && i < nall; i++)
        same = !strcmp(all[i], got[i]);
    CHECK(same);
    for (size_t i = 0; i < nall; i++)
        free(all[i]);
    for (size_t i = 0; i < ngot; i++)
        free(got[i]);
    free(all);
    free(got);

    /* Run for real: 6 ROMs in 2 shards, each result once, merged JUnit. */
    CHECK_EQ(ceres("test -j2 --shard 1/2 --junit j1.xml --json r1.json a1.gb a2.gb a3.gb a4.gb "
                   "a5.gb a6.gb"),
             0);
    CHECK_EQ(ceres("test -j2 --shard 2/2 --junit j2.xml --json r2.json a1.gb a2.gb a3.gb a4.gb "
                   "a5.gb a6.gb"),
             0);
    int total = 0;
    char *roms[16];
    int nroms = 0;
    for (int k = 1; k <= 2; k++) {
        char p[256];
        snprintf(p, sizeof p, "%s/r%d.json", dir, k);
        char *t = read_text(p, NULL);
        cJSON *j = t ? cJSON_Parse(t) : NULL;
        CHECK(j != NULL);
        cJSON *tests = cJSON_GetObjectItem(j, "tests"), *e;
        cJSON_ArrayForEach(e, tests) {
            const char *rom = cJSON_GetStringValue(cJSON_GetObjectItem(e, "rom"));
            CHECK(rom && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "status")), "pass"));
            if (rom && nroms < 16) roms[nroms++] = strdup(rom);
            total++;
        }
        cJSON_Delete(j);
        free(t);
    }
    CHECK_EQ(total, 6);
    qsort(roms, (size_t)nroms, sizeof *roms, cmp);
    for (int i = 1; i < nroms; i++)
        CHECK(strcmp(roms[i - 1], roms[i]) != 0);
    for (int i = 0; i < nroms; i++)
        free(roms[i]);
    CHECK_EQ(ceres("test --merge-junit merged.xml j1.xml j2.xml"), 0);
    CHECK(has("merged.xml", "<testsuites name=\"ceres\" tests=\"6\" failures=\"0\""));
    char p[256];
    snprintf(p, sizeof p, "%s/merged.xml", dir);
    char *m = read_text(p, NULL);
    int cases = 0;
    for (const char *q = m ? strstr(m, "<testcase ") : NULL; q; q = strstr(q + 1, "<testcase "))
        cases++;
    CHECK_EQ(cases, 6);
    free(m);
    CHECK_EQ(ceres("test --merge-junit merged.xml ok.gb"), 2);
    CHECK(has("err.txt", "not a JUnit XML report"));
}

static void selection(void) {
    /* --exclude leaves tests out, --match keeps some. */
    CHECK_EQ(ceres("test --list a1.gb a2.gb a3.gb --exclude a2 --exclude a3"), 0);
    CHECK(has("out.txt", "1 tests"));
    CHECK(has("out.txt", "a1.gb"));
    /* --fail-fast: after the first unexpected result, no more tests start. */
    CHECK_EQ(ceres("test -j1 --fail-fast --timeout 5f --json ff.json never.gb a1.gb a2.gb"), 1);
    CHECK(has("out.txt", "not run: stopped at the first unexpected result"));
    CHECK(has("ff.json", "\"unexpected\":\t3"));
    CHECK_EQ(ceres("test -j1 --timeout 5f never.gb a1.gb a2.gb"), 1);
    CHECK(lacks("out.txt", "not run"));
}

int main(void) {
    bin = getenv("CERES_BIN");
    if (!bin || access(bin, X_OK)) TEST_SKIP("CERES_BIN does not name the ceres program");
    snprintf(dir, sizeof dir, "/tmp/ceres-opts-XXXXXX");
    if (!mkdtemp(dir)) TEST_SKIP("cannot create a temporary folder");
    write_rom("ok.gb", pass_code, sizeof pass_code);
    write_rom("-dash.gb", pass_code, sizeof pass_code);
    write_rom("never.gb", loop_code, sizeof loop_code);
    for (int i = 1; i <= 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "a%d.gb", i);
        write_rom(name, pass_code, sizeof pass_code);
    }
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0777);

    conventions();
    run_checks();
    test_checks();
    sharding();
    selection();

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    return test_result();
}
