/* Ceres fuzz targets: each file defines LLVMFuzzerTestOneInput for one kind
 * of untrusted input. Built with libFuzzer (-DCERES_FUZZ=ON, `make fuzz`), or
 * linked with replay.c into a plain program that feeds the saved crashers in
 * fuzz/regressions/<target>/ to the same function (CTest fuzz_regress_*). */
#ifndef CERES_FUZZ_H
#define CERES_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
