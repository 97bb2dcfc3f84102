/* fuzz: what the libFuzzer harnesses (tests/fuzz/fuzz_*.c) share.
 *
 * Each harness is one FUZZ_TARGET(name) taking untrusted bytes. Built with
 * clang -fsanitize=fuzzer,address,undefined it is LLVMFuzzerTestOneInput
 * (tests/fuzz/fuzz.mk, `make fuzz`); built with the normal compiler and
 * -DFUZZ_REGRESS it is fuzz_<name>_one, which tests/unit/test_fuzz_regress.c
 * calls on every file of tests/fuzz/corpus/<name>/ and
 * tests/fuzz/regress/<name>/ in `make test`. A harness returns 0; it aborts
 * when an invariant of the code under test breaks (sanitizers report the
 * rest). Harnesses touch no network and no fixed path: the few that need a
 * store use fuzz_tmpdir(). */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hub_store.h"
#include "report.h"

#ifdef FUZZ_REGRESS
#define FUZZ_TARGET(name) int fuzz_##name##_one(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

/* An invariant of the code under test broke: say which and abort, so
 * libFuzzer saves the input and the regression test fails. */
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz: %s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* A private directory (mkdtemp under $TMPDIR or /tmp) made on the first
 * call and removed at exit. Borrowed; never NULL (aborts when it cannot be
 * made: the harness cannot run). */
const char *fuzz_tmpdir(void);

#define FUZZ_KNOWN_ID "hs-fuzz-1"   /* the request every reporting store holds */

/* Reporting's store (the daemon's database names) in fuzz_tmpdir()/<name>,
 * opened on the first call for that name and closed at exit, holding the
 * request FUZZ_KNOWN_ID (accepted 2026-01-01, with a referral and a
 * donation) so inputs reach the paths of known records; *dbs gets its
 * databases (acc NULL). Borrowed; never NULL. */
hub_store_t *fuzz_report_store(const char *name, rep_dbs_t *dbs);

/* data[0..size) as a NUL-terminated malloc'd copy (caller frees); an
 * embedded NUL ends the string early, as it would for the C API. */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
