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

/* `ceres test` with --html and --junit on planted symlinks and a FIFO. */
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
    snprintf(p, sizeof p, "%s/fifo.xml", sub);
    CHECK_EQ(mkfifo(p, 0644), 0);
    pid_t r = drain(p);
    child c;
    char *args[] = {"test",   "../loop.gb", "--timeout", "30f",      "--out",           "out",
                    "--html", "r.html",     "--junit",   "fifo.xml", "--replay-window", "0",
                    NULL};
    int rc = run_ceres(&c, sub, NULL, args);
    waitpid(r, NULL, 0);
    printf("reports on links: exit %d\n%s", rc, c.err);
    CHECK(strstr(c.err, "--html r.html: is a symbolic link") != NULL);
    char *t = read_text(victim, NULL);
    CHECK(t && !strcmp(t, "precious\n"));
    free(t);
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
    failure_folder_not_followed();
    one_run_per_out();
    full_disk();
    rm_rf(dir);
    free(dir);
    return test_result();
}
