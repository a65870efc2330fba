/*
 * vga_screendump.c — screenshots of the VGA (see vga.h): PNG (8-bit RGB, libpng) or the text
 * screen as a text file.  The file is written next to its final name and renamed into place only
 * when complete, so a failed dump leaves nothing half-written.
 */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "devices/vga.h"

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

/* libpng reports errors by longjmp; everything it touches after setjmp lives in `PngJob`, so
 * nothing is clobbered by the jump. */
typedef struct PngJob {
    const Image *img;
    FILE *f;
    uint8_t *row;
} PngJob;

static int dump_png(PngJob *job)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png)
        return -1;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        return -1;
    }
    png_init_io(png, job->f);
    png_set_IHDR(png, info, (png_uint_32)job->img->w, (png_uint_32)job->img->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < job->img->h; y++) {
        const uint32_t *src = &job->img->px[(size_t)y * (size_t)job->img->w];
        for (int x = 0; x < job->img->w; x++) {
            job->row[3 * x] = (uint8_t)(src[x] >> 16);
            job->row[3 * x + 1] = (uint8_t)(src[x] >> 8);
            job->row[3 * x + 2] = (uint8_t)src[x];
        }
        png_write_row(png, job->row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

/* The text screen: rows of characters, printable ASCII as is, NUL as a blank, the rest '.'. */
static int text_write(const Vga *s, FILE *f)
{
    int cols, rows;
    size_t cap = (size_t)VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS;
    uint8_t *chars = malloc(cap);
    if (!chars)
        return -1;
    if (vga_text(s, &cols, &rows, chars, NULL, cap) < 0) {
        Image img = { 0 };
        int rc = vga_render(s, &img);
        if (rc == 0 && vga_mode(s) == VGA_MODE_BLANK)
            fprintf(f, "(blank %dx%d)\n", img.w, img.h);
        else if (rc == 0)
            fprintf(f, "(graphics %dx%d)\n", img.w, img.h);
        image_free(&img);
        free(chars);
        return rc;
    }
    for (int r = 0; r < rows && (size_t)(r + 1) * (size_t)cols <= cap; r++) {
        char line[VGA_TEXT_MAX_COLS + 1];
        int n = 0;
        for (int c = 0; c < cols && c < VGA_TEXT_MAX_COLS; c++) {
            uint8_t ch = chars[(size_t)r * (size_t)cols + (size_t)c];
            line[n++] = ch == 0 ? ' ' : ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
        }
        while (n > 0 && line[n - 1] == ' ')
            n--;
        line[n] = '\0';
        fprintf(f, "%s\n", line);
    }
    free(chars);
    return 0;
}

int vga_screendump(const Vga *s, const char *path, char *err, size_t errlen)
{
    bool text = has_suffix(path, ".txt");
    if (!text && !has_suffix(path, ".png")) {
        snprintf(err, errlen, "screendump '%s': the file name must end in .png or .txt", path);
        return -1;
    }
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write screendump '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int rc;
    if (text) {
        rc = text_write(s, f);
    } else {
        Image img = { 0 };
        rc = vga_render(s, &img);
        if (rc == 0) {
            PngJob job = { &img, f, malloc((size_t)img.w * 3) };
            rc = job.row ? dump_png(&job) : -1;
            free(job.row);
        }
        image_free(&img);
    }
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write screendump '%s': %s", path, errno ? strerror(errno) : "out of memory");
        unlink(tmp);
    }
    free(tmp);
    return rc;
}
