/* fuzz_catalogue: intake's service catalogue, a JSON file named by the
 * operator's config (intake_catalogue_parse, services/intake/catalogue.c;
 * intake, matching and notification load it).
 *
 * Input: the file's text (an embedded NUL ends it, as for the C string the
 * loader reads). Invariants: a refusal has an error code; an accepted
 * catalogue finds each of its services by code, each of its areas and
 * each of its policy topics by code (the first of that code: codes are
 * unique). */
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"

FUZZ_TARGET(catalogue)
{
    char *text = fuzz_strndup(data, size);
    hub_error_t err = {0};
    intake_catalogue_t *cat = intake_catalogue_parse(text, &err);
    if (!cat) {
        FUZZ_CHECK(err.code != 0);
    } else {
        const Intake__ListServicesReply *all = intake_catalogue_all(cat);
        FUZZ_CHECK(all != NULL);
        for (size_t i = 0; i < all->n_services; i++)
            FUZZ_CHECK(intake_catalogue_find(cat, all->services[i]->service_code) != NULL);
        for (size_t i = 0; i < all->n_areas; i++) FUZZ_CHECK(intake_catalogue_has_area(cat, all->areas[i]));
        for (size_t i = 0; i < all->n_policy_topics; i++)
            FUZZ_CHECK(intake_catalogue_policy_topic(cat, all->policy_topics[i]->code) == all->policy_topics[i]);
        intake_catalogue_destroy(&cat);
    }
    free(text);
    return 0;
}
