#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hub_util.h"

#define MAX_COLS 12
#define MAX_CELL 60 /* display columns before a cell is cut with "…" */

struct table {
    int ncols, nrows, cap;
    char **cells; /* row-major, row 0 = headers */
};

table_t *table_new(int ncols, ...)
{
    table_t *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->ncols = ncols > MAX_COLS ? MAX_COLS : ncols;
    va_list ap;
    va_start(ap, ncols);
    t->cap = 16;
    t->cells = calloc((size_t)t->cap * t->ncols, sizeof *t->cells);
    if (!t->cells) abort();
    for (int i = 0; i < t->ncols; i++) t->cells[i] = hub_strdup(va_arg(ap, const char *));
    va_end(ap);
    t->nrows = 1;
    return t;
}

void table_row(table_t *t, ...)
{
    if (t->nrows == t->cap) {
        t->cap *= 2;
        t->cells = realloc(t->cells, (size_t)t->cap * t->ncols * sizeof *t->cells);
        if (!t->cells) abort();
    }
    va_list ap;
    va_start(ap, t);
    for (int i = 0; i < t->ncols; i++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * t->ncols + i] = hub_strdup(s ? s : "");
    }
    va_end(ap);
    t->nrows++;
}

static int s_cp_width(unsigned cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                   (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                   (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                   (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD)
               ? 2 : 1;
}

/* Decodes one code point at s; returns its byte length (1 on bad bytes). */
static int s_decode(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
    *cp = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = '?'; return 1; }
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return n;
}

int table_width(const char *s)
{
    int w = 0;
    unsigned cp;
    for (const unsigned char *p = (const unsigned char *)s; *p; p += s_decode(p, &cp)) {
        s_decode(p, &cp);
        w += s_cp_width(cp);
    }
    return w;
}

/* Cuts s in place to at most max columns (newlines become spaces). */
static void s_clip(char *s, int max)
{
    int w = 0;
    unsigned cp;
    for (char *p = s; *p;) {
        if (*p == '\n' || *p == '\t' || *p == '\r') *p = ' ';
        int n = s_decode((unsigned char *)p, &cp);
        if (w + s_cp_width(cp) > max - 1 && strlen(p) > (size_t)n) {
            strcpy(p, "\xE2\x80\xA6"); /* … */
            return;
        }
        w += s_cp_width(cp);
        p += n;
    }
}

void table_print(table_t *t, FILE *out)
{
    int width[MAX_COLS] = {0};
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            char *cell = t->cells[r * t->ncols + c];
            s_clip(cell, MAX_CELL);
            int w = table_width(cell);
            if (w > width[c]) width[c] = w;
        }
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            fputs(cell, out);
            if (c < t->ncols - 1)
                for (int k = table_width(cell); k < width[c] + 2; k++) fputc(' ', out);
        }
        fputc('\n', out);
    }
    for (int i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    free(t);
}
