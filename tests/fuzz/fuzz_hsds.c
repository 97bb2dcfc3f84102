/* fuzz_hsds: matching's resource-library import (matching.import: HSDS 3.0
 * JSON or CSV uploaded by an operator, services/matching/hsds.c).
 *
 * Input: the file as uploaded. It is parsed as format "hsds" (JSON) and as
 * "csv" of kind "org" and "volunteer"; each record is validated as
 * matching's import handler does (match_validate_org/_volunteer against the
 * embedded catalogue); each valid organization is exported as HSDS JSON
 * (hsds_export_org) and that export parsed again.
 *
 * Invariants: a refusal has an error code; the export of the valid
 * organizations that have an id (as stored ones do) parses back into as
 * many organizations, each valid again. */
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"
#include "hsds.h"
#include "match.h"

#define FUZZ_HSDS_BUDGET (16u << 20)

/* Parses data as format/kind; validates, exports and re-parses the orgs. */
static void s_one(const char *format, const char *kind, const uint8_t *data, size_t size, hub_arena_t *arena,
                  const intake_catalogue_t *cat)
{
    hub_arena_reset(arena);
    hsds_batch_t b;
    hub_error_t err = {0};
    if (hsds_parse(format, kind, data, size, arena, &b, &err)) {
        FUZZ_CHECK(err.code != 0);
        FUZZ_CHECK(b.n_orgs == 0 && b.n_volunteers == 0);
        return;
    }
    for (size_t i = 0; i < b.n_volunteers; i++) {
        hub_error_t verr = {0};
        if (match_validate_volunteer(cat, b.volunteers[i], &verr)) FUZZ_CHECK(verr.code != 0);
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, valid = 0;
    for (size_t i = 0; i < b.n_orgs; i++) {
        hub_error_t verr = {0};
        if (match_validate_org(cat, b.orgs[i], &verr)) {
            FUZZ_CHECK(verr.code != 0);
            continue;
        }
        /* the daemon gives an org without id one before storing it; only
         * stored orgs are exported (an export without x_hub_id would come
         * back with its UUID as id, which the validator refuses) */
        if (!*b.orgs[i]->id) continue;
        FUZZ_CHECK(hsds_export_org(b.orgs[i], &buf, &len, &cap) == 0);
        valid++;
    }
    FUZZ_CHECK(hsds_export_end(&buf, &len, &cap) == 0);
    hsds_batch_t again;
    hub_error_t rerr = {0};
    int rc = hsds_parse("hsds", "org", (const uint8_t *)buf, len, arena, &again, &rerr);
    if (rc) fprintf(stderr, "fuzz: hsds export does not parse again: %s %s\n", rerr.field, rerr.message);
    FUZZ_CHECK(rc == 0 && again.n_orgs == valid);
    for (size_t i = 0; i < again.n_orgs; i++) {
        hub_error_t verr = {0};
        rc = match_validate_org(cat, again.orgs[i], &verr);
        if (rc) fprintf(stderr, "fuzz: exported org %s is refused: %s %s\n", again.orgs[i]->id, verr.field,
                        verr.message);
        FUZZ_CHECK(rc == 0);
    }
    free(buf);
}

FUZZ_TARGET(hsds)
{
    static hub_arena_t *arena;
    static intake_catalogue_t *cat;
    if (!arena && !(arena = hub_arena_new(FUZZ_HSDS_BUDGET))) abort();
    if (!cat) {
        hub_error_t err = {0};
        if (!(cat = intake_catalogue_load(NULL, &err))) abort();
    }
    s_one("hsds", "org", data, size, arena, cat);
    s_one("csv", "org", data, size, arena, cat);
    s_one("csv", "volunteer", data, size, arena, cat);
    return 0;
}
