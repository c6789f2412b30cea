/* Option parsing shared by every subcommand: getopt_long with the
 * program's own messages, number and path checks, the version text. */
#include "cli.h"

#include "trace/ct_host.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CERES_VERSION
#define CERES_VERSION "0.1"
#endif
#ifndef CERES_COMMIT
#define CERES_COMMIT "unknown"
#endif
#ifndef CERES_BUILD
#define CERES_BUILD "unknown"
#endif

/* Says what is wrong with the long option ARG ("--name" or "--name=v"). */
static void bad_long(const char *prog, const char *arg, const struct option *longs, int code) {
    const char *name = arg + 2;
    size_t n = strcspn(name, "=");
    unsigned matches = 0;
    const struct option *exact = NULL;
    for (const struct option *o = longs; o && o->name; o++) {
        if (strncmp(o->name, name, n)) continue;
        matches++;
        if (strlen(o->name) == n) exact = o;
    }
    if (code == ':') {
        fprintf(stderr, "%s: --%.*s needs a value\n", prog, (int)n, name);
    } else if (exact || matches == 1) {
        if (!exact)
            for (const struct option *o = longs; o->name; o++)
                if (!strncmp(o->name, name, n)) exact = o;
        if (name[n] == '=' && exact->has_arg == no_argument)
            fprintf(stderr, "%s: --%s takes no value ('%s')\n", prog, exact->name, arg);
        else
            fprintf(stderr, "%s: bad option '%s' (see %s --help)\n", prog, arg, prog);
    } else if (matches > 1) {
        fprintf(stderr, "%s: '--%.*s' is ambiguous:", prog, (int)n, name);
        for (const struct option *o = longs; o->name; o++)
            if (!strncmp(o->name, name, n)) fprintf(stderr, " --%s", o->name);
        fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s: unknown option '%s' (see %s --help)\n", prog, arg, prog);
    }
}

int cli_getopt(const char *prog, int argc, char **argv, const char *shorts,
               const struct option *longs, bool *first) {
    if (*first) {
#ifdef __GLIBC__
        optind = 0; /* a full restart, permutation state included */
#else
        optind = 1;
#endif
        *first = false;
    }
    opterr = 0;
    int c = getopt_long(argc, argv, shorts, longs, NULL);
    if (c != '?' && c != ':') return c;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    if (!strncmp(arg, "--", 2) && arg[2]) {
        bad_long(prog, arg, longs, c);
    } else if (c == ':') {
        fprintf(stderr, "%s: -%c needs a value\n", prog, optopt);
    } else {
        fprintf(stderr, "%s: unknown option '-%c' (see %s --help)\n", prog, optopt ? optopt : '?',
                prog);
    }
    return '?';
}

int cli_parse_u64(const char *s, uint64_t *out) {
    char *e;
    errno = 0;
    if (!s || s[0] == '-' || s[0] == '+' || !s[0]) return -1;
    unsigned long long v = strtoull(s, &e, 0);
    if (errno || *e) return -1;
    *out = v;
    return 0;
}

int cli_parse_seconds(const char *s, double *out) {
    char *e;
    if (!s || !*s) return -1;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || *e || !isfinite(v) || !(v > 0)) return -1;
    *out = v;
    return 0;
}

int cli_check_output(const char *prog, const char *opt, const char *path, unsigned flags) {
    if (!path) return 0;
    if (!*path) {
        fprintf(stderr, "%s: %s: empty file name\n", prog, opt);
        return -1;
    }
    if (!strcmp(path, "-") && !(flags & CLI_OUT_DASH)) {
        fprintf(stderr, "%s: %s -: this output cannot go to stdout; give a file name\n", prog, opt);
        return -1;
    }
    if (!strcmp(path, "-")) return 0;
    /* The writer's own check (ct_file): a symbolic link to a file or a
     * folder is refused, a device or FIFO must be writable (looked at, never
     * opened: a FIFO would wait for its reader), and a new or regular file
     * needs the temporary file beside it, which is made and removed now. */
    int e = ct_file_check(path);
    if (e == -ENOENT && (flags & CLI_OUT_MAKES_DIR) && strchr(path, '/')) return 0;
    if (e == -EISDIR) {
        fprintf(stderr, "%s: %s %s: is a folder, not a file\n", prog, opt, path);
        return -1;
    }
    if (e) {
        fprintf(stderr, "%s: %s %s: %s\n", prog, opt, path, ct_file_strerror(e));
        return -1;
    }
    return 0;
}

int cli_check_input(const char *prog, const char *what, const char *path) {
    struct stat st;
    if (!path) return 0;
    if (!strcmp(path, "-")) {
        fprintf(stderr, "%s: %s -: reading from stdin is not supported; give a file name\n", prog,
                what);
        return -1;
    }
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s %s: %s\n", prog, what, path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s %s: is a folder, not a file\n", prog, what, path);
        return -1;
    }
    return 0;
}

void cli_print_version(FILE *f) {
    fprintf(f, "ceres " CERES_VERSION "\n"
               "commit: " CERES_COMMIT "\n"
               "build: " CERES_BUILD "\n");
}
