/* Battery save files and the atomic file writer (see input.h). */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pl_write_atomic(const char *path, const void *data, size_t size) {
    char tmp[4200];
    int fd = -1;
    for (unsigned attempt = 0; fd < 0 && attempt < 100; attempt++) {
        if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%u", path, (long)getpid(), attempt) >=
            (int)sizeof tmp)
            return -ENAMETOOLONG;
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != EEXIST) return -errno;
    }
    if (fd < 0) return -EEXIST;
    const uint8_t *p = data;
    while (size) {
        ssize_t w = write(fd, p, size);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = -errno;
            close(fd);
            unlink(tmp);
            return e;
        }
        p += w;
        size -= (size_t)w;
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        int e = -errno;
        close(fd);
        unlink(tmp);
        return e;
    }
    if (close(fd)) {
        int e = -errno;
        unlink(tmp);
        return e;
    }
    if (rename(tmp, path)) {
        int e = -errno;
        unlink(tmp);
        return e;
    }
    return 0;
}

int pl_sav_path(char *buf, size_t len, const char *rom_path, const char *dir) {
    const char *base = strrchr(rom_path, '/');
    base = base ? base + 1 : rom_path;
    size_t keep = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) keep = (size_t)(dot - base);
    int n;
    if (dir)
        n = snprintf(buf, len, "%s/%.*s.sav", dir, (int)keep, base);
    else
        n = snprintf(buf, len, "%.*s%.*s.sav", (int)(base - rom_path), rom_path, (int)keep, base);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pl_sav_load(gb *g, const char *path, int64_t host_time, char *err, size_t errlen) {
    size_t need = gb_battery_size(g);
    if (!need) return 1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return 1;
        int e = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return e;
    }
    uint8_t *buf = malloc(need + 1);
    size_t n = buf ? fread(buf, 1, need + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    int e = 0;
    if (!buf)
        e = -ENOMEM;
    else if (bad)
        e = -EIO;
    if (e) {
        snprintf(err, errlen, "%s: %s", path, strerror(-e));
        free(buf);
        return e;
    }
    e = gb_battery_load(g, buf, n, host_time);
    free(buf);
    if (e)
        snprintf(err, errlen, "%s: %zu bytes, not a save for this cartridge (it keeps %zu bytes)",
                 path, n, need);
    return e;
}

int pl_sav_write(gb *g, const char *path, int64_t host_time, char *err, size_t errlen) {
    size_t need = gb_battery_size(g);
    if (!need) return 1;
    uint8_t *buf = malloc(need);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -ENOMEM;
    }
    long n = gb_battery_save(g, buf, need, host_time);
    int e = n < 0 ? (int)n : pl_write_atomic(path, buf, (size_t)n);
    free(buf);
    if (e) snprintf(err, errlen, "%s: %s", path, strerror(-e));
    return e;
}
