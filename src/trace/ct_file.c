/* Safe output files: every file Ceres writes goes through here. A new or
 * regular target is written to a temporary file created exclusively
 * (O_CREAT|O_EXCL|O_NOFOLLOW) in the target's own folder and renamed over
 * the target once complete, so a reader never sees half a file and nothing
 * is left behind on error. A target that exists and is not a regular file
 * (a device such as /dev/null, a FIFO) is written in place, never replaced.
 * A symbolic link is never followed into a regular file: it is refused
 * (ELOOP); a link to a device or a FIFO (/dev/stdout) is written in place. */
#include "ct_internal.h" /* first: it asks for POSIX.1-2008 (O_CLOEXEC) */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif

/* Open an existing non-regular node for writing, in place: no O_CREAT, no
 * O_TRUNC, and the node is checked again once open (it may have changed
 * since it was looked at). */
static int open_in_place(const char *path, bool follow, int *fd_out) {
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? -EISDIR : -ELOOP;
        close(fd);
        return e;
    }
    *fd_out = fd;
    return 0;
}

/* What kind of target: 0 new or regular (temporary + rename), 1 write in
 * place (device, FIFO, or a link to one), or -errno. *mode gets the mode of
 * an existing regular file (kept by the replacement). */
static int classify(const char *path, mode_t *mode, bool *follow) {
    struct stat st;
    *mode = 0;
    *follow = false;
    if (!path || !*path) return -ENOENT;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -errno;
    if (S_ISDIR(st.st_mode)) return -EISDIR;
    if (S_ISREG(st.st_mode)) {
        *mode = st.st_mode & 07777;
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        /* Followed only into something that cannot be replaced or
         * truncated by writing: a device or a FIFO. */
        if (stat(path, &st) != 0) return -ELOOP; /* dangling: would create */
        if (S_ISDIR(st.st_mode)) return -EISDIR;
        if (S_ISREG(st.st_mode)) return -ELOOP;
        *follow = true;
        return 1;
    }
    return 1;
}

/* The target's folder ("." for a bare name), for the temporary file. */
static int make_tmp(ct_file *f, const char *path, mode_t mode) {
    static unsigned counter;
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    if (!*base) return -EISDIR;
    for (int attempt = 0; attempt < 64; attempt++) {
        unsigned n = ++counter;
        int k = snprintf(f->tmp, sizeof f->tmp, "%.*s.%s.tmp.%ld.%u", (int)dl, path, base,
                         (long)getpid(), n);
        if (k < 0 || (size_t)k >= sizeof f->tmp) return -ENAMETOOLONG;
        f->fd =
            open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ? mode : 0666);
        if (f->fd >= 0) {
            if (mode) (void)fchmod(f->fd, mode); /* the umask may have narrowed it */
            return 0;
        }
        if (errno != EEXIST) return -errno;
    }
    return -EEXIST;
}

int ct_file_open(ct_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!path || !*path) return -ENOENT;
    if (strlen(path) >= sizeof f->path) return -ENAMETOOLONG;
    memcpy(f->path, path, strlen(path) + 1);
    mode_t mode;
    bool follow;
    int kind = classify(path, &mode, &follow);
    if (kind < 0) return kind;
    if (kind == 1) {
        f->direct = true;
        return open_in_place(path, follow, &f->fd);
    }
    return make_tmp(f, path, mode);
}

int ct_file_commit(ct_file *f, int err) {
    if (f->fd < 0) return err ? err : -EBADF;
    if (close(f->fd) != 0 && !err) err = -errno;
    f->fd = -1;
    if (f->direct) return err;
    if (!err && rename(f->tmp, f->path) != 0) err = -errno;
    if (err) unlink(f->tmp);
    return err;
}

void ct_file_abandon(ct_file *f) {
    (void)ct_file_commit(f, -ECANCELED);
}

int ct_file_write_all(const char *path, const void *data, size_t size) {
    ct_file f;
    int err = ct_file_open(&f, path);
    if (err) return err;
    const uint8_t *p = data;
    while (size && !err) {
        ssize_t w = write(f.fd, p, size);
        if (w > 0) {
            p += w;
            size -= (size_t)w;
        } else if (w == 0) {
            err = -EIO;
        } else if (errno != EINTR) {
            err = -errno;
        }
    }
    return ct_file_commit(&f, err);
}

int ct_file_check(const char *path) {
    mode_t mode;
    bool follow;
    int kind = classify(path, &mode, &follow);
    if (kind < 0) return kind;
    if (kind == 1) {
        /* Not opened: a FIFO would wait for its reader. */
        return access(path, W_OK) == 0 ? 0 : -errno;
    }
    /* New or regular: the temporary file must be creatable beside it. */
    ct_file f;
    memset(&f, 0, sizeof f);
    int err = make_tmp(&f, path, 0);
    if (err) return err;
    close(f.fd);
    unlink(f.tmp);
    return 0;
}

const char *ct_file_strerror(int err) {
    switch (-err) {
    case ELOOP: return "is a symbolic link to a file (not followed; give the real path)";
    case EISDIR: return "is a directory";
    case ESPIPE: return "is not a regular file (a pipe, socket or device)";
    case EAGAIN: return "changed while it was read";
    default: return strerror(err < 0 ? -err : err);
    }
}

/* ---- reading input files ------------------------------------------------- */

/* Open for reading without waiting (a FIFO would block in open) and check
 * the type first: only a regular file of at most max bytes is read. */
static int open_regular(const char *path, size_t max, int *fd_out, size_t *size) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return -errno;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) != 0)
        e = -errno;
    else if (S_ISDIR(st.st_mode))
        e = -EISDIR;
    else if (!S_ISREG(st.st_mode))
        e = -ESPIPE;
    else if ((uint64_t)st.st_size > max)
        e = -EFBIG;
    if (e) {
        close(fd);
        return e;
    }
    *fd_out = fd;
    *size = (size_t)st.st_size;
    return 0;
}

int ct_read_file(const char *path, size_t max, uint8_t **data, size_t *size) {
    *data = NULL;
    *size = 0;
    int fd;
    size_t want;
    int e = open_regular(path, max, &fd, &want);
    if (e) return e;
    /* One byte more than the size, to see a file that grew meanwhile. */
    uint8_t *buf = malloc(want + 2);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t n = 0;
    while (n < want + 1) {
        ssize_t k = read(fd, buf + n, want + 1 - n);
        if (k > 0) {
            n += (size_t)k;
        } else if (k == 0) {
            break;
        } else if (errno != EINTR) {
            e = -errno;
            break;
        }
    }
    close(fd);
    if (!e && n > want) e = n > max ? -EFBIG : -EAGAIN; /* changed while read */
    if (e) {
        free(buf);
        return e;
    }
    buf[n] = 0;
    *data = buf;
    *size = n;
    return 0;
}

int ct_read_head(const char *path, void *buf, size_t len, size_t *got) {
    *got = 0;
    int fd;
    size_t size;
    int e = open_regular(path, SIZE_MAX, &fd, &size);
    if (e) return e;
    while (*got < len) {
        ssize_t k = read(fd, (uint8_t *)buf + *got, len - *got);
        if (k > 0) {
            *got += (size_t)k;
        } else if (k == 0) {
            break;
        } else if (errno != EINTR) {
            e = -errno;
            break;
        }
    }
    close(fd);
    return e;
}
