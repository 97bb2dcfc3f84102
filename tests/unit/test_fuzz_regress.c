/* Fuzz regression: every libFuzzer harness (tests/fuzz/fuzz_*.c, built
 * here with the normal compiler as fuzz_<name>_one) is fed every file of
 * tests/fuzz/corpus/<name>/ (the seeds) and tests/fuzz/regress/<name>/
 * (inputs that once crashed or broke an invariant: each stays a test). A
 * crash or a harness abort fails the run; under `make check-asan` the
 * sanitizers watch it too. Also checks that every corpus directory has a
 * harness here and that each harness has seeds. Run from the repository
 * root (tests/run.sh does). */
#include <dirent.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

int fuzz_wire_one(const uint8_t *data, size_t size);
int fuzz_event_one(const uint8_t *data, size_t size);
int fuzz_hsds_one(const uint8_t *data, size_t size);
int fuzz_catalogue_one(const uint8_t *data, size_t size);
int fuzz_templates_one(const uint8_t *data, size_t size);
int fuzz_config_one(const uint8_t *data, size_t size);
int fuzz_http_one(const uint8_t *data, size_t size);

static const struct {
    const char *name;
    fuzz_fn fn;
} HARNESSES[] = {
    {"wire", fuzz_wire_one},         {"event", fuzz_event_one},
    {"hsds", fuzz_hsds_one},         {"catalogue", fuzz_catalogue_one},
    {"templates", fuzz_templates_one}, {"config", fuzz_config_one},
    {"http", fuzz_http_one},
};
#define N_HARNESSES (sizeof HARNESSES / sizeof *HARNESSES)
#define FUZZ_DIR "tests/fuzz"

/* Reads path whole (malloc'd, *len its size) or fails the test. */
static uint8_t *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, (size_t)st.st_size, f);
    assert_int_equal(*len, (size_t)st.st_size);
    fclose(f);
    return buf;
}

/* Feeds each regular file of dir (if it exists) to fn; returns how many. */
static size_t s_feed_dir(const char *dir, fuzz_fn fn)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode)) continue;
        size_t len;
        uint8_t *buf = s_read(path, &len);
        /* a copy of exactly len bytes, so ASan sees any read past the input */
        uint8_t *exact = malloc(len ? len : 1);
        assert_non_null(exact);
        memcpy(exact, buf, len);
        free(buf);
        print_message("%s\n", path);
        assert_int_equal(fn(exact, len), 0);
        free(exact);
        n++;
    }
    closedir(d);
    return n;
}

static void test_harness(void **state)
{
    size_t i = (size_t)(uintptr_t)*state;
    char dir[256];
    snprintf(dir, sizeof dir, FUZZ_DIR "/corpus/%s", HARNESSES[i].name);
    size_t seeds = s_feed_dir(dir, HARNESSES[i].fn);
    if (seeds == 0) fail_msg("no seeds in %s (run from the repository root)", dir);
    snprintf(dir, sizeof dir, FUZZ_DIR "/regress/%s", HARNESSES[i].name);
    s_feed_dir(dir, HARNESSES[i].fn);
}

/* Every corpus or regress directory belongs to a harness listed here. */
static void test_every_dir_has_a_harness(void **state)
{
    (void)state;
    const char *roots[] = {FUZZ_DIR "/corpus", FUZZ_DIR "/regress"};
    for (size_t r = 0; r < 2; r++) {
        DIR *d = opendir(roots[r]);
        if (!d) fail_msg("cannot open %s (run from the repository root)", roots[r]);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            bool found = false;
            for (size_t i = 0; i < N_HARNESSES; i++) found |= !strcmp(HARNESSES[i].name, e->d_name);
            if (!found) fail_msg("%s/%s has no harness in test_fuzz_regress.c", roots[r], e->d_name);
        }
        closedir(d);
    }
}

int main(void)
{
    struct CMUnitTest tests[N_HARNESSES + 1];
    static char names[N_HARNESSES][64];
    for (size_t i = 0; i < N_HARNESSES; i++) {
        snprintf(names[i], sizeof names[i], "fuzz_%s_regress", HARNESSES[i].name);
        tests[i] = (struct CMUnitTest){names[i], test_harness, NULL, NULL, (void *)(uintptr_t)i};
    }
    tests[N_HARNESSES] = (struct CMUnitTest)cmocka_unit_test(test_every_dir_has_a_harness);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
