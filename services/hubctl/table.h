/* table: aligned text tables for hubctl, measuring display width so that
 * Chinese (double-width) text lines up. */
#ifndef HUBCTL_TABLE_H
#define HUBCTL_TABLE_H

#include <stdio.h>

typedef struct table table_t;

/* A table with ncols columns and these headers (copied). Freed by table_print. */
table_t *table_new(int ncols, ...);
/* Appends a row of ncols strings (copied; NULL prints as empty). */
void table_row(table_t *t, ...);
/* Prints and frees the table. */
void table_print(table_t *t, FILE *out);
/* Terminal columns taken by a UTF-8 string (East Asian wide = 2). */
int table_width(const char *s);

#endif
