/* Small helpers shared by the runner's files: files, directories, clocks. */
#include "runner.h"

#include "../gb/gb_events.h"
#include "../trace/ct_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

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
    *data = NULL;
    *size = 0;
    /* The type first: a FIFO, a device (/dev/urandom) or a folder is
     * refused before anything is read (ct_read_head checks it). */
    uint8_t magic[2];
    size_t got = 0;
    int trc = ct_read_head(path, magic, sizeof magic, &got);
    if (trc) {
        snprintf(err, errlen, "%s", ct_file_strerror(trc));
        return trc;
    }
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        int e = errno ? errno : ENOMEM;
        snprintf(err, errlen, "%s", strerror(e));
        return -e;
    }
    /* One byte more than the limit tells a file that is too large. */
    const size_t limit = (size_t)GB_ROM_MAX_SIZE + 1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? 0 : -ENOMEM;
    while (!rc && n < limit) {
        if (n == cap) {
            size_t ncap = cap * 2 < limit ? cap * 2 : limit;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                rc = -ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        int got = gzread(f, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            snprintf(err, errlen, "%s", zerr == Z_ERRNO ? strerror(errno) : msg);
            rc = zerr == Z_ERRNO && errno ? -errno : -EIO;
            break;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    gzclose(f);
    if (!rc && n >= limit) {
        snprintf(err, errlen,
                 "ROM too large: more than %u bytes (the largest DMG cartridge is 8 MiB)",
                 GB_ROM_MAX_SIZE);
        rc = -EFBIG;
    }
    if (rc) {
        if (rc == -ENOMEM) snprintf(err, errlen, "%s", strerror(ENOMEM));
        free(buf);
        return rc;
    }
    *data = buf;
    *size = n;
    return 0;
}

int rn_write_file(const char *path, const void *data, size_t size) {
    return ct_file_write_all(path, data, size);
}

double rn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

ct_recorder *rn_recorder_create_size(const ct_schema *s, uint64_t bytes, uint64_t events, char *err,
                                     size_t errlen) {
    const uint64_t eighth = bytes / 8, least = ct_ring_mem_bytes(CT_RING_MIN_WORDS);
    if (events || eighth < least)
        return ct_recorder_create(s, bytes, events, CT_OVERWRITE, err, errlen);
    char spec[256];
    snprintf(spec, sizeof spec, "rest=%llu," GB_RINGS_BUSY "=%llu," GB_RINGS_RARE "=%llu",
             (unsigned long long)(bytes - 2 * eighth), (unsigned long long)eighth,
             (unsigned long long)eighth);
    return ct_recorder_create_spec(s, spec, CT_OVERWRITE, err, errlen);
}

ct_recorder *rn_recorder_create(const ct_schema *s, const char *buffer, char *err, size_t errlen) {
    uint64_t bytes, events;
    if (buffer && strchr(buffer, '='))
        return ct_recorder_create_spec(s, buffer, CT_OVERWRITE, err, errlen);
    if (ct_parse_size(buffer, &bytes, &events, err, errlen)) return NULL;
    return rn_recorder_create_size(s, bytes, events, err, errlen);
}
