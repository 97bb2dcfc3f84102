#include "catalogue.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hub_json.h"

struct intake_catalogue {
    hub_arena_t *arena;
    Intake__ListServicesReply *all;
};

static const char *const s_datatypes[] = {"string", "number", "datetime", "text",
                                          "singlevaluelist", "multivaluelist", NULL};

static int s_check(const Intake__ListServicesReply *all, hub_error_t *err)
{
    if (!all->n_services)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "services", "catalogue has no services");
    if (!all->n_areas)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "areas", "catalogue has no areas");
    /* policy topics are optional (none = opinions are not counted by topic) */
    for (size_t i = 0; i < all->n_policy_topics; i++) {
        const Intake__PolicyTopic *t = all->policy_topics[i];
        if (!*t->code || !*t->name)
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "policy_topics",
                                 "policy topic %zu needs code and name", i);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(all->policy_topics[k]->code, t->code))
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "policy_topics",
                                     "duplicate policy topic code %s", t->code);
    }
    for (size_t i = 0; i < all->n_services; i++) {
        const Intake__Service *s = all->services[i];
        if (!*s->service_code || !*s->service_name)
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "services",
                                 "service %zu needs service_code and service_name", i);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(all->services[k]->service_code, s->service_code))
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "services",
                                     "duplicate service_code %s", s->service_code);
        for (size_t a = 0; a < s->n_attributes; a++) {
            const Intake__Attribute *at = s->attributes[a];
            int ok = 0;
            for (int d = 0; s_datatypes[d]; d++) ok |= !strcmp(at->datatype, s_datatypes[d]);
            if (!*at->code || !ok)
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "attributes",
                                     "%s: attribute %zu has no code or an unknown datatype \"%s\"",
                                     s->service_code, a, at->datatype);
            if (strstr(at->datatype, "list") && !at->n_values)
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "attributes",
                                     "%s.%s: a list attribute needs values", s->service_code, at->code);
        }
    }
    return 0;
}

intake_catalogue_t *intake_catalogue_parse(const char *text, hub_error_t *err)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root) {
        hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "catalogue JSON line %d: %s",
                      jerr.line, jerr.text);
        return NULL;
    }
    json_object_del(root, "jurisdiction");
    intake_catalogue_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->arena = hub_arena_new(16u << 20);
    self->all = (Intake__ListServicesReply *)hub_json_to_pb(
        &intake__list_services_reply__descriptor, root, self->arena, err);
    json_decref(root);
    if (!self->all || s_check(self->all, err)) {
        intake_catalogue_destroy(&self);
        return NULL;
    }
    return self;
}

intake_catalogue_t *intake_catalogue_load(const char *path, hub_error_t *err)
{
    if (!path || !*path) return intake_catalogue_parse(hub_default_catalogue, err);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "%s:%d: %s", path, jerr.line, jerr.text);
        return NULL;
    }
    char *text = json_dumps(root, 0);
    json_decref(root);
    intake_catalogue_t *self = intake_catalogue_parse(text, err);
    free(text);
    return self;
}

void intake_catalogue_destroy(intake_catalogue_t **self_p)
{
    intake_catalogue_t *self = *self_p;
    if (!self) return;
    hub_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

const Intake__ListServicesReply *intake_catalogue_all(const intake_catalogue_t *self)
{
    return self->all;
}

const Intake__Service *intake_catalogue_find(const intake_catalogue_t *self, const char *code)
{
    for (size_t i = 0; i < self->all->n_services; i++)
        if (!strcmp(self->all->services[i]->service_code, code)) return self->all->services[i];
    return NULL;
}

int intake_catalogue_has_area(const intake_catalogue_t *self, const char *street)
{
    for (size_t i = 0; i < self->all->n_areas; i++)
        if (!strcmp(self->all->areas[i], street)) return 1;
    return 0;
}

const Intake__PolicyTopic *intake_catalogue_policy_topic(const intake_catalogue_t *self, const char *code)
{
    for (size_t i = 0; i < self->all->n_policy_topics; i++)
        if (!strcmp(self->all->policy_topics[i]->code, code)) return self->all->policy_topics[i];
    return NULL;
}
