/* Small helpers shared by the runner's files: files, directories, clocks. */
#include "runner.h"

#include "../trace/ct_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int rn_mkdirs(const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0777) && errno != EEXIST) return -errno;
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st)) return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int rn_read_file(const char *path, uint8_t **data, size_t *size) {
    return ct_read_file(path, RN_READ_MAX, data, size);
}

int rn_read_file_max(const char *path, size_t max, uint8_t **data, size_t *size) {
    return ct_read_file(path, max, data, size);
}

int rn_read_rom(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen) {
    int rc = ct_read_file(path, RN_ROM_MAX, data, size);
    if (rc == -EFBIG)
        snprintf(err, errlen, "ROM too large: over %zu bytes (the largest DMG cartridge is 8 MiB)",
                 RN_ROM_MAX);
    else if (rc)
        snprintf(err, errlen, "%s", ct_file_strerror(rc));
    return rc;
}

int rn_write_file(const char *path, const void *data, size_t size) {
    return ct_file_write_all(path, data, size);
}

double rn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
