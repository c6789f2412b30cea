/* Small file-system helpers shared by the tests that look at what Ceres
 * writes (failure folders, dump folders). */
#ifndef CERES_TEST_FS_H
#define CERES_TEST_FS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries in a folder, without "." and ".."; -1 if it cannot be opened. */
static inline int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Whole file, NUL-terminated; NULL if unreadable. */
static inline char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            b = realloc(b, cap);
        }
        size_t k = fread(b + n, 1, cap - n - 1, f);
        n += k;
        if (!k) break;
    }
    fclose(f);
    b[n] = 0;
    if (len) *len = n;
    return b;
}

/* Whether DIR/FILE holds NEEDLE (false if it cannot be read); with report,
 * a miss prints the file. */
static inline bool dir_file_has(const char *dir, const char *file, const char *needle,
                                bool report) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    char *text = read_text(p, NULL);
    if (!text) return false;
    bool ok = strstr(text, needle) != NULL;
    if (!ok && report) fprintf(stderr, "%s lacks '%s':\n%s\n", p, needle, text);
    free(text);
    return ok;
}

/* Whether `ceres run`'s summary in dir/file says it ran from `cycles` to
 * less than one instruction (24 T-cycles) past it: the run ends on an
 * instruction boundary, which depends on the program's phase. */
static inline bool dir_file_ran(const char *dir, const char *file, unsigned long cycles) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    char *text = read_text(p, NULL);
    if (!text) return false;
    const char *at = strstr(text, "ceres run: ");
    unsigned long n = 0;
    bool ok =
        at && sscanf(at, "ceres run: %lu T-cycles", &n) == 1 && n >= cycles && n < cycles + 24;
    if (!ok) fprintf(stderr, "%s: not a run of %lu T-cycles:\n%s\n", p, cycles, text);
    free(text);
    return ok;
}

#endif
