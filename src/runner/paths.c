/* Where the program finds its data. Nothing here is compiled in from the
 * source tree: the data directory is found from the program's own location,
 * so an installed tree (PREFIX/bin/ceres, PREFIX/share/ceres/...) can be
 * moved anywhere, and the build tree mirrors that layout (build/bin/ceres,
 * build/share/ceres/ linking to the sources). Environment variables win. */
#include "runner.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* PREFIX/share/ceres for the running program (PREFIX/bin/ceres), when that
 * directory exists; NULL otherwise. */
const char *rn_data_dir(void) {
    static char dir[PATH_MAX];
    static int state; /* 0 not looked up, 1 found, -1 none */
    if (state) return state > 0 ? dir : NULL;
    state = -1;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0'; /* PREFIX/bin */
    int k = snprintf(dir, sizeof dir, "%s/../share/ceres", exe);
    if (k <= 0 || (size_t)k >= sizeof dir || !is_dir(dir)) return NULL;
    state = 1;
    return dir;
}

/* A directory under the data directory, or NULL. */
static const char *data_sub(char *buf, size_t len, const char *sub) {
    const char *d = rn_data_dir();
    if (!d) return NULL;
    int k = snprintf(buf, len, "%s/%s", d, sub);
    if (k <= 0 || (size_t)k >= len || !is_dir(buf)) return NULL;
    return buf;
}

const char *rn_default_suites_dir(void) {
    static char buf[PATH_MAX];
    const char *e = getenv("CERES_SUITES");
    if (e && *e) return e;
    const char *d = data_sub(buf, sizeof buf, "suites");
    return d ? d : "suites";
}

const char *rn_default_rom_root(void) {
    static char buf[PATH_MAX];
    const char *e = getenv("CERES_TESTROMS");
    if (e && *e) return e;
    e = getenv("CERES_TESTROMS_DEFAULT");
    if (e && *e) return e;
    const char *d = data_sub(buf, sizeof buf, "testroms");
    return d ? d : "testroms";
}
