/* ceres-trace, hosted part: the dump dispatch. Format names, atomic output
 * files (temporary name, then rename), and the choice of exporter for a
 * live ring (ct_dump) or a loaded trace (ct_trace_write). */
#include "ct_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- formats ----------------------------------------------------------- */

static const struct {
    ct_format f;
    const char *name, *ext;
} formats[] = {
    {CT_FMT_PERFETTO, "perfetto", ".perfetto-trace"},
    {CT_FMT_JSON, "json", ".json"},
    {CT_FMT_LOG, "log", ".log"},
    {CT_FMT_CTRACE, "ctrace", ".ctrace"},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

ct_format ct_format_from_path(const char *path) {
    size_t n = path ? strlen(path) : 0;
    for (size_t i = 0; i < NFORMATS; i++) {
        size_t e = strlen(formats[i].ext);
        if (n >= e && !strcmp(path + n - e, formats[i].ext)) return formats[i].f;
    }
    if (n >= 8 && !strcmp(path + n - 8, ".pftrace")) return CT_FMT_PERFETTO;
    return CT_FMT_AUTO;
}

int ct_format_parse(const char *name, ct_format *out) {
    for (size_t i = 0; name && i < NFORMATS; i++)
        if (!strcmp(name, formats[i].name)) {
            *out = formats[i].f;
            return 0;
        }
    return -EINVAL;
}

/* ---- atomic files ------------------------------------------------------ */

/* Output goes to PATH.tmp.PID, renamed over PATH once complete, so a reader
 * never sees half a file. A path that names a device or a pipe (/dev/stdout,
 * a FIFO) is written directly: renaming over it would replace the node. */
typedef struct afile {
    char tmp[PATH_MAX];
    const char *path;
    int fd;
    bool direct;
} afile;

static int afile_open(afile *a, const char *path) {
    struct stat st;
    a->path = path;
    a->direct = false;
    if (!path || !*path) return -ENOENT;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return -EISDIR;
        if (!S_ISREG(st.st_mode)) {
            a->direct = true;
            a->fd = open(path, O_WRONLY | O_CLOEXEC);
            return a->fd < 0 ? -errno : 0;
        }
    }
    int k = snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    if (k < 0 || (size_t)k >= sizeof a->tmp) return -ENAMETOOLONG;
    for (int attempt = 0; attempt < 2; attempt++) {
        a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0644);
        if (a->fd >= 0) return 0;
        if (errno != EEXIST) return -errno;
        unlink(a->tmp); /* left over by an earlier run of this pid */
    }
    return -EEXIST;
}

static int afile_close(afile *a, int err) {
    if (close(a->fd) != 0 && !err) err = -errno;
    if (a->direct) return err;
    if (!err && rename(a->tmp, a->path) != 0) err = -errno;
    if (err) unlink(a->tmp);
    return err;
}

static int write_src_fd(const ct_src *src, const ct_trace *t, int fd, ct_format f,
                        const ct_dump_opts *o) {
    uint8_t *buf = malloc(CT_WBUF_HOSTED);
    if (!buf) return -ENOMEM;
    ct_wbuf w;
    ct__wbuf_init(&w, fd, buf, CT_WBUF_HOSTED);
    int err;
    switch (f) {
    case CT_FMT_PERFETTO: err = ct__write_perfetto(src, &w, o); break;
    case CT_FMT_JSON: err = ct__write_json(src, &w, o); break;
    case CT_FMT_LOG: err = ct__write_log(src, &w, o); break;
    case CT_FMT_CTRACE: err = t ? ct__write_ctrace(t, &w) : -EINVAL; break;
    default: err = -EINVAL; break;
    }
    ct__wbuf_flush(&w);
    if (!err) err = w.err;
    free(buf);
    return err;
}

static ct_format pick_format(const char *path, const ct_dump_opts *o) {
    if (o && o->format != CT_FMT_AUTO) return o->format;
    ct_format f = ct_format_from_path(path);
    return f == CT_FMT_AUTO ? CT_FMT_CTRACE : f;
}

int ct_trace_write(const ct_trace *t, const char *path, const ct_dump_opts *opts) {
    static const ct_dump_opts none = {0};
    if (!opts) opts = &none;
    ct_format f = pick_format(path, opts);
    if (f < CT_FMT_PERFETTO || f > CT_FMT_CTRACE) return -EINVAL;
    afile a;
    int err = afile_open(&a, path);
    if (err) return err;
    ct_src src;
    ct__src_from_trace(&src, t);
    return afile_close(&a, write_src_fd(&src, t, a.fd, f, opts));
}

int ct_dump(const ct_recorder *r, const char *path, const ct_dump_opts *opts) {
    static const ct_dump_opts none = {0};
    if (!r) return -EINVAL;
    if (!opts) opts = &none;
    ct_format f = pick_format(path, opts);
    if (f < CT_FMT_PERFETTO || f > CT_FMT_CTRACE) return -EINVAL;
    afile a;
    int err = afile_open(&a, path);
    if (err) return err;
    if (f == CT_FMT_CTRACE) {
        err = ct__dump_ctrace_ring(r, a.fd, 0);
    } else {
        /* The exporters read the ring in place: nothing is recorded while
         * they run (the recorder is single-threaded), and no copy of a ring
         * of a million events has to be made first. */
        ct_src src;
        ct__src_from_recorder(&src, r);
        err = write_src_fd(&src, NULL, a.fd, f, opts);
    }
    return afile_close(&a, err);
}
