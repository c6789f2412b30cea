/* Writers never destroy a user's file (issue 12 items 2, 3, 7):
 * - ct_file (the one safe writer): a symlink is never followed into a file,
 *   a FIFO or device is written in place and stays what it was, a regular
 *   file is replaced atomically and keeps its mode, nothing temporary stays;
 *   ct_file_check answers "can I write here" without changing anything.
 * - `ceres test` routes every writer through it: --html, --junit, the
 *   failure folder's files; a symlinked failure folder inside --out is not
 *   followed; two runs into one --out do not mix (the second is refused);
 *   artifacts that could not be written (a full disk) are named on stderr
 *   and in state.txt, and the exit status is 3. */
#include "hard_util.h"

#include "trace/ct_host.h"

#include <sys/file.h>

static char *dir;

static bool is_fifo(const char *p) {
    struct stat st;
    return lstat(p, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* A reader that drains a FIFO in a child; returns its pid. */
static pid_t drain(const char *fifo) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(fifo, O_RDONLY);
        char b[4096];
        while (fd >= 0 && read(fd, b, sizeof b) > 0) {
        }
        _exit(0);
    }
    return pid;
}

static void unit_writer(void) {
    char victim[700], link[700], path[700], fifo[700];
    snprintf(victim, sizeof victim, "%s/victim.txt", dir);
    CHECK_EQ(write_file(victim, "precious\n", 9), 0);
    /* a symlink to a file: refused, the file untouched */
    snprintf(link, sizeof link, "%s/link.txt", dir);
    CHECK_EQ(symlink(victim, link), 0);
    CHECK_EQ(ct_file_write_all(link, "X", 1), -ELOOP);
    CHECK_EQ(ct_file_check(link), -ELOOP);
    char *t = read_text(victim, NULL);
    CHECK(t && !strcmp(t, "precious\n"));
    free(t);
    /* a dangling symlink: refused, nothing created at its target */
    snprintf(path, sizeof path, "%s/dangling", dir);
    char target[700];
    snprintf(target, sizeof target, "%s/created-through-link", dir);
    CHECK_EQ(symlink(target, path), 0);
    CHECK_EQ(ct_file_write_all(path, "X", 1), -ELOOP);
    CHECK(access(target, F_OK) != 0);
    /* a directory */
    CHECK_EQ(ct_file_write_all(dir, "X", 1), -EISDIR);
    CHECK_EQ(ct_file_check(dir), -EISDIR);
    /* a regular file: replaced, mode kept */
    CHECK_EQ(chmod(victim, 0640), 0);
    CHECK_EQ(ct_file_write_all(victim, "new", 3), 0);
    t = read_text(victim, NULL);
    CHECK(t && !strcmp(t, "new"));
    free(t);
    struct stat st;
    CHECK(stat(victim, &st) == 0 && (st.st_mode & 0777) == 0640);
    /* a FIFO: written in place, still a FIFO */
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    CHECK_EQ(mkfifo(fifo, 0644), 0);
    pid_t r = drain(fifo);
    CHECK_EQ(ct_file_write_all(fifo, "through the pipe", 16), 0);
    waitpid(r, NULL, 0);
    CHECK(is_fifo(fifo));
    CHECK_EQ(ct_file_check(fifo), 0);
    /* /dev/null through a symlink to it: in place, still a device */
    snprintf(path, sizeof path, "%s/null-link", dir);
    CHECK_EQ(symlink("/dev/null", path), 0);
    CHECK_EQ(ct_file_write_all(path, "X", 1), 0);
    CHECK(lstat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    /* can-I-write checks create nothing */
    int before = count_entries(dir);
    snprintf(path, sizeof path, "%s/new-file", dir);
    CHECK_EQ(ct_file_check(path), 0);
    snprintf(path, sizeof path, "%s/missing/new-file", dir);
    CHECK_EQ(ct_file_check(path), -ENOENT);
    CHECK_EQ(count_entries(dir), before);
    /* an abandoned file leaves nothing */
    ct_file f;
    snprintf(path, sizeof path, "%s/abandoned", dir);
    CHECK_EQ(ct_file_open(&f, path), 0);
    CHECK(write(f.fd, "x", 1) == 1);
    ct_file_abandon(&f);
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ(count_entries(dir), before);
}

/* Runs ceres like run_ceres, but kills it after `seconds` (a check that
 * waits on a FIFO, or a run that was not refused before it started):
 * returns -1 then. */
static int run_within(child *c, const char *sub, char *const *env, char *const *args, int seconds) {
    child_start(c, sub, env, args);
    for (int ms = 0; ms < seconds * 1000; ms += 10) {
        if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
            c->pid = -1;
            break;
        }
        sleep_ms(10);
    }
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        child_wait(c);
        return -1;
    }
    c->out = read_text(c->out_path, NULL);
    c->err = read_text(c->err_path, NULL);
    if (!c->out) c->out = strdup("");
    if (!c->err) c->err = strdup("");
    unlink(c->out_path);
    unlink(c->err_path);
    return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
}

/* A reader that drains a FIFO, stopped whether or not a writer came. */
static void drain_stop(pid_t r) {
    kill(r, SIGKILL);
    waitpid(r, NULL, 0);
}

/* `ceres test` with --html and --junit on planted symlinks: refused before
 * the run (exit 2), the link's target untouched. (The old test put a FIFO
 * beside the link in the same run and waited for its reader: once the link
 * is refused before the run, nothing ever opens the FIFO and that reader
 * waited for ever. The FIFO has its own run below.) */
static void reports_not_followed(void) {
    char sub[700], victim[800], p[800];
    snprintf(sub, sizeof sub, "%s/reports", dir);
    mkdir(sub, 0777);
    snprintf(victim, sizeof victim, "%s/victim", sub);
    CHECK_EQ(write_file(victim, "precious\n", 9), 0);
    snprintf(p, sizeof p, "%s/r.html", sub);
    CHECK_EQ(symlink("victim", p), 0);
    snprintf(p, sizeof p, "%s/r.html.tmp", sub); /* the old fixed temporary name */
    CHECK_EQ(symlink("victim", p), 0);
    snprintf(p, sizeof p, "%s/r.xml", sub);
    CHECK_EQ(symlink("victim", p), 0);
    child c;
    char *html[] = {"test",   "../loop.gb", "--timeout",       "30f", "--out", "out",
                    "--html", "r.html",     "--replay-window", "0",   NULL};
    int rc = run_within(&c, sub, NULL, html, 60);
    printf("--html on a link: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 2);
    CHECK(strstr(c.err, "--html r.html: is a symbolic link") != NULL);
    child_free(&c);
    char *junit[] = {"test",    "../loop.gb", "--timeout",       "30f", "--out", "out",
                     "--junit", "r.xml",      "--replay-window", "0",   NULL};
    rc = run_within(&c, sub, NULL, junit, 60);
    printf("--junit on a link: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 2);
    CHECK(strstr(c.err, "--junit r.xml: is a symbolic link") != NULL);
    child_free(&c);
    /* refused before the run: no failure folder was written */
    snprintf(p, sizeof p, "%s/out/failures", sub);
    CHECK(access(p, F_OK) != 0);
    char *t = read_text(victim, NULL);
    CHECK(t && !strcmp(t, "precious\n"));
    free(t);
}

/* A FIFO and /dev/null as report targets: the run goes on and writes into
 * them in place; the FIFO stays a FIFO. */
static void reports_into_fifo(void) {
    char sub[700], p[800];
    snprintf(sub, sizeof sub, "%s/reports-fifo", dir);
    mkdir(sub, 0777);
    snprintf(p, sizeof p, "%s/fifo.xml", sub);
    CHECK_EQ(mkfifo(p, 0644), 0);
    pid_t r = drain(p);
    child c;
    char *args[] = {"test",   "../loop.gb", "--timeout", "30f",      "--out",           "out",
                    "--html", "/dev/null",  "--junit",   "fifo.xml", "--replay-window", "0",
                    NULL};
    int rc = run_within(&c, sub, NULL, args, 120);
    drain_stop(r);
    printf("reports into a FIFO and /dev/null: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 1); /* the loop ROM times out: a failed test */
    CHECK(is_fifo(p));
    struct stat st;
    CHECK(lstat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    child_free(&c);
}

/* Issue 12 item 9: every output of `ceres run` and `ceres play` is checked
 * by the writer's own rules before the run starts. A symlinked target is
 * refused at once (exit 2, the option and path named), not after a run of
 * a million frames; a FIFO with no reader is looked at, never opened (the
 * check would wait for ever), and /dev/null is accepted. */
static void outputs_checked_first(void) {
    char sub[700], victim[800], p[800];
    snprintf(sub, sizeof sub, "%s/outs", dir);
    mkdir(sub, 0777);
    snprintf(victim, sizeof victim, "%s/victim", sub);
    CHECK_EQ(write_file(victim, "precious\n", 9), 0);
    const char *links[] = {"t.perfetto-trace", "s.png", "d.log"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", sub, links[i]);
        CHECK_EQ(symlink("victim", p), 0);
    }
    snprintf(p, sizeof p, "%s/nobody-reads", sub);
    CHECK_EQ(mkfifo(p, 0644), 0);
    const struct {
        const char *opt, *path;
    } cases[] = {
        {"--trace-out", "t.perfetto-trace"}, {"--screenshot", "s.png"}, {"--doctor-log", "d.log"}};
    for (int play = 0; play < 2; play++) {
        for (size_t i = 0; i < 3; i++) {
            if (play && !strcmp(cases[i].opt, "--doctor-log")) continue; /* run only */
            child c;
            /* a FIFO nobody reads goes first: checking it must not open it */
            char *args[] = {play ? "play" : "run",
                            "../loop.gb",
                            "--frames",
                            "1000000",
                            "--trace-out",
                            "nobody-reads",
                            "--trace-format",
                            "ctrace",
                            (char *)cases[i].opt,
                            (char *)cases[i].path,
                            NULL};
            if (!strcmp(cases[i].opt, "--trace-out")) {
                /* the FIFO as the screenshot instead */
                args[4] = "--screenshot";
                args[6] = "--frames";
                args[7] = "1000000";
            }
            char *env[] = {"SDL_VIDEODRIVER=dummy", "SDL_AUDIODRIVER=dummy", NULL};
            int rc = run_within(&c, sub, env, args, 30);
            printf("%s %s on a link: exit %d\n%s", args[0], cases[i].opt, rc, c.err);
            if (play && strstr(c.err, "left out of this build")) {
                child_free(&c);
                break;
            }
            CHECK_EQ(rc, 2);
            char want[200];
            snprintf(want, sizeof want, "%s %s: is a symbolic link", cases[i].opt, cases[i].path);
            CHECK(strstr(c.err, want) != NULL);
            child_free(&c);
        }
    }
    CHECK(is_fifo(p));
    char *t = read_text(victim, NULL);
    CHECK(t && !strcmp(t, "precious\n"));
    free(t);
    /* /dev/null and a FIFO with a reader: accepted, written in place */
    pid_t r = drain(p);
    child c;
    char *ok[] = {
        "run",          "../loop.gb", "--frames",       "5",    "--trace-out", "nobody-reads",
        "--screenshot", "/dev/null",  "--trace-format", "json", NULL};
    int rc = run_within(&c, sub, NULL, ok, 60);
    drain_stop(r);
    printf("run into a FIFO and /dev/null: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 0);
    CHECK(is_fifo(p));
    child_free(&c);
}

/* OUT/failures planted as a link to another folder: nothing written there. */
static void failure_folder_not_followed(void) {
    char sub[700], victim[800], p[800];
    snprintf(sub, sizeof sub, "%s/ff", dir);
    mkdir(sub, 0777);
    snprintf(victim, sizeof victim, "%s/elsewhere", sub);
    mkdir(victim, 0777);
    snprintf(p, sizeof p, "%s/out", sub);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/out/failures", sub);
    CHECK_EQ(symlink("../elsewhere", p), 0);
    child c;
    char *args[] = {"test", "../loop.gb",      "--timeout", "30f", "--out",
                    "out",  "--replay-window", "0",         NULL};
    int rc = run_ceres(&c, sub, NULL, args);
    printf("failure folder on a link: exit %d\n%s", rc, c.err);
    CHECK_EQ(count_entries(victim), 0);
    CHECK(strstr(c.err, "not written: failure folder") != NULL);
    CHECK_EQ(rc, 3);
    child_free(&c);
}

/* Another run holds --out: the second is refused at once, exit 2, and the
 * first run's failure folder is left alone. */
static void one_run_per_out(void) {
    char sub[700], p[800];
    snprintf(sub, sizeof sub, "%s/lock", dir);
    mkdir(sub, 0777);
    snprintf(p, sizeof p, "%s/out", sub);
    mkdir(p, 0777);
    child c;
    char *args[] = {"test", "../loop.gb",      "--timeout", "30f", "--out",
                    "out",  "--replay-window", "0",         NULL};
    int rc = run_ceres(&c, sub, NULL, args);
    CHECK_EQ(rc, 1);
    child_free(&c);
    int fd = open(p, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    CHECK_EQ(flock(fd, LOCK_EX | LOCK_NB), 0); /* "another run" holds it */
    int entries = count_entries(p);
    rc = run_ceres(&c, sub, NULL, args);
    printf("second run: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 2);
    CHECK(strstr(c.err, "--out out is in use by another `ceres test` run") != NULL);
    CHECK_EQ(count_entries(p), entries);
    child_free(&c);
    close(fd);
    /* released: runs again */
    rc = run_ceres(&c, sub, NULL, args);
    CHECK_EQ(rc, 1);
    child_free(&c);
}

/* A disk that fills up: each artifact that could not be written is named
 * on stderr and in state.txt; exit 3. */
static void full_disk(void) {
    char sub[700];
    snprintf(sub, sizeof sub, "%s/full", dir);
    mkdir(sub, 0777);
    child c;
    char *args[] = {"test", "../loop.gb",      "--timeout", "60f", "--out",
                    "out",  "--replay-window", "0",         NULL};
    child_fsize_limit = 8 << 10; /* state.txt, screen.png fit; the traces do not */
    int rc = run_ceres(&c, sub, NULL, args);
    child_fsize_limit = 0;
    printf("full disk: exit %d\n%s", rc, c.err);
    CHECK_EQ(rc, 3);
    CHECK(strstr(c.err, "not written: trace.perfetto-trace: File too large") != NULL);
    CHECK(strstr(c.err, "trace.log: File too large") != NULL);
    char cmd[1000];
    snprintf(cmd, sizeof cmd,
             "grep -rq '^not written: trace.perfetto-trace: File too large' %s/out", sub);
    CHECK_EQ(system(cmd), 0);
    child_free(&c);
}

int main(void) {
    (void)ceres_bin();
    dir = make_tmpdir();
    char rom[700];
    write_loop_rom(dir, rom, sizeof rom);
    unit_writer();
    reports_not_followed();
    reports_into_fifo();
    outputs_checked_first();
    failure_folder_not_followed();
    one_run_per_out();
    full_disk();
    rm_rf(dir);
    free(dir);
    return test_result();
}
