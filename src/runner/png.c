/* PNG screenshots (libpng's simplified API) and screenshot comparison. */
#include "runner.h"

#include "../trace/ct_host.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DMG shades as the reference screenshots draw them: dmg-acid2's
 * dmg-acid2-dmg.png and c-sp's blargg screenshots use #FFFFFF, #AAAAAA,
 * #555555, #000000 for colour numbers 0..3. */
const uint8_t rn_shade_gray[4] = {0xFF, 0xAA, 0x55, 0x00};

int rn_png_write_shades(const char *path, const uint8_t *shades, unsigned w, unsigned h) {
    if (!w || !h || w > 1u << 14 || h > 1u << 14) return -EINVAL;
    uint8_t *gray = malloc((size_t)w * h);
    if (!gray) return -ENOMEM;
    for (size_t i = 0; i < (size_t)w * h; i++)
        gray[i] = rn_shade_gray[shades[i] & 3];
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = w;
    img.height = h;
    img.format = PNG_FORMAT_GRAY;
    /* Encode to memory first, then write atomically. */
    png_alloc_size_t size = 0;
    int rc = 0;
    if (!png_image_write_to_memory(&img, NULL, &size, 0, gray, 0, NULL)) {
        rc = -EIO;
    } else {
        void *mem = malloc(size);
        if (!mem) {
            rc = -ENOMEM;
        } else {
            if (!png_image_write_to_memory(&img, mem, &size, 0, gray, 0, NULL))
                rc = -EIO;
            else
                rc = rn_write_file(path, mem, size);
            free(mem);
        }
    }
    png_image_free(&img);
    free(gray);
    return rc;
}

int rn_png_read_rgb(const char *path, uint8_t **rgb, unsigned *w, unsigned *h, char *err,
                    size_t errlen) {
    return rn_png_read_rgb_max(path, RN_PNG_MAX_DIM, rgb, w, h, err, errlen);
}

int rn_png_read_rgb_max(const char *path, unsigned max_dim, uint8_t **rgb, unsigned *w, unsigned *h,
                        char *err, size_t errlen) {
    *rgb = NULL;
    /* The file is read whole (a regular file of bounded size: never a FIFO)
     * and its header checked before any pixel memory is allocated. */
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = rn_read_file_max(path, RN_PNG_FILE_MAX, &data, &size);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, ct_file_strerror(rc));
        return rc;
    }
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, size)) {
        snprintf(err, errlen, "%s: %s", path, img.message);
        png_image_free(&img);
        free(data);
        return -EINVAL;
    }
    if (img.width == 0 || img.height == 0 || img.width > max_dim || img.height > max_dim) {
        snprintf(err, errlen, "%s: %ux%u pixels; a screen comparison reads at most %ux%u", path,
                 img.width, img.height, max_dim, max_dim);
        png_image_free(&img);
        free(data);
        return -EINVAL;
    }
    img.format = PNG_FORMAT_RGB;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    if (!buf) {
        png_image_free(&img);
        free(data);
        return -ENOMEM;
    }
    /* Alpha, if any, is composited on white like a viewer would. */
    png_color white = {0xFF, 0xFF, 0xFF};
    if (!png_image_finish_read(&img, &white, buf, 0, NULL)) {
        snprintf(err, errlen, "%s: %s", path, img.message);
        free(buf);
        png_image_free(&img);
        free(data);
        return -EINVAL;
    }
    free(data);
    *rgb = buf;
    *w = img.width;
    *h = img.height;
    png_image_free(&img);
    return 0;
}

unsigned rn_screen_diff(const uint8_t *shades, const uint8_t *rgb, unsigned w, unsigned h,
                        unsigned *fx, unsigned *fy) {
    unsigned n = 0;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            uint8_t g = rn_shade_gray[shades[i] & 3];
            const uint8_t *p = rgb + 3 * i;
            if (p[0] != g || p[1] != g || p[2] != g) {
                if (n == 0) {
                    if (fx) *fx = x;
                    if (fy) *fy = y;
                }
                n++;
            }
        }
    return n;
}
