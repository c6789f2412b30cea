/* Small file-system helpers shared by the tests that look at what Ceres
 * writes (failure folders, dump folders). */
#ifndef CERES_TEST_FS_H
#define CERES_TEST_FS_H

#include <dirent.h>
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

#endif
