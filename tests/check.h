/* Minimal test assertions for Ceres's unit tests: a failed CHECK prints the
 * place and the expression and counts a failure; main returns test_result(). */
#ifndef CERES_TEST_CHECK_H
#define CERES_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures_;
static int check_count_;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count_++;                                                                            \
        if (!(cond)) {                                                                             \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        check_count_++;                                                                            \
        if (a_ != b_) {                                                                            \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", __FILE__,          \
                    __LINE__, #a, a_, #b, b_);                                                     \
        }                                                                                          \
    } while (0)

/* Skip the whole test program (CTest shows it as skipped via SKIP_RETURN_CODE
 * 77 where set, else it passes with the message). */
#define TEST_SKIP(msg)                                                                             \
    do {                                                                                           \
        printf("SKIP: %s\n", msg);                                                                 \
        exit(77);                                                                                  \
    } while (0)

static inline int test_result(void) {
    printf("%d checks, %d failed\n", check_count_, check_failures_);
    return check_failures_ ? 1 : 0;
}

#endif
