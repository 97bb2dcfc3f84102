/* fuzz_templates: notification's template files (an operator's
 * templates_dir/<lang>.txt, parsed by notify_templates_add in
 * services/notification/notify.c), and the SMS body pattern of the config
 * (notify_sms_pattern_check).
 *
 * Input: one template file's text. Invariants: a refusal has an error
 * code; an accepted file renders every rule template with exactly its
 * allowed placeholders, and values are inserted as they are (a value
 * holding "{{request_id}}" is not expanded again, so the text holds it). */
#include <string.h>

#include "fuzz.h"
#include "notify.h"

#define FUZZ_TPL_BUDGET (4u << 20)

FUZZ_TARGET(templates)
{
    static hub_arena_t *arena;
    if (!arena && !(arena = hub_arena_new(FUZZ_TPL_BUDGET))) abort();
    hub_arena_reset(arena);
    char *text = fuzz_strndup(data, size);
    hub_error_t err = {0};
    if (notify_sms_pattern_check(text, &err)) FUZZ_CHECK(err.code != 0);

    notify_templates_t *t = notify_templates_new();
    FUZZ_CHECK(t != NULL);
    err = (hub_error_t){0};
    if (notify_templates_add(t, "zh", "fuzz.txt", text, &err)) {
        FUZZ_CHECK(err.code != 0);
        FUZZ_CHECK(!notify_templates_has_lang(t, "zh"));
    } else {
        FUZZ_CHECK(notify_templates_has_lang(t, "zh-Hans"));
        for (const notify_rule_template_t *r = notify_rule_templates; r->name; r++) {
            notify_kv_t kv[NOTIFY_MAX_PLACEHOLDERS];
            size_t n = 0;
            for (const char *const *p = r->placeholders; *p && n < NOTIFY_MAX_PLACEHOLDERS; p++)
                kv[n++] = (notify_kv_t){*p, "{{request_id}}"};
            const char *subject = NULL, *body = NULL;
            hub_error_t rerr = {0};
            int rc = notify_render(t, r->name, "en", kv, n, arena, &subject, &body, &rerr);
            if (rc) fprintf(stderr, "fuzz: rule template %s does not render: %s\n", r->name, rerr.message);
            FUZZ_CHECK(rc == 0 && subject && body);
        }
    }
    notify_templates_destroy(&t);
    free(text);
    return 0;
}
