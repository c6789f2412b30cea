/* Small helpers shared by the runner's files: files, directories, clocks. */
#include "runner.h"

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
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return -errno;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        if (cap >= ((size_t)1 << 30)) { /* 1 GiB: nothing we read is that large */
            free(buf);
            fclose(f);
            return -EFBIG;
        }
        cap *= 2;
        uint8_t *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            fclose(f);
            return -ENOMEM;
        }
        buf = nb;
    }
    int err = ferror(f) ? -EIO : 0;
    fclose(f);
    if (err) {
        free(buf);
        return err;
    }
    buf[n] = 0;
    *data = buf;
    *size = n;
    return 0;
}

int rn_write_file(const char *path, const void *data, size_t size) {
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) return -errno;
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

double rn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
