/* The HTML test report (`ceres test --html FILE`): one self-contained page
 * (inline CSS, images as data: URIs) with the per-suite table, every test
 * that did not pass with its screen beside the reference and a difference
 * image, its state.txt and links to its trace files, and the passing tests
 * as a compact grid. */
#ifndef CERES_RN_HTML_H
#define CERES_RN_HTML_H

#include "runner.h"

/* Write the report to path (atomically); failure folders are found with
 * rn_failure_dir(o, test), reference images under o->rom_root. Returns 0 or
 * -errno. */
int rn_report_html(const char *path, const rn_test *const *tests, const rn_result *res, size_t n,
                   const rn_opts *o);

/* Encode w x h RGB pixels as a PNG in memory (malloc'd *out, *outlen). */
int rn_png_encode_rgb(const uint8_t *rgb, unsigned w, unsigned h, uint8_t **out, size_t *outlen);

#endif
