#include "hub_config.h"

#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub_util.h"

typedef struct {
    char *section, *key, *value;
} entry_t;

struct hub_config {
    entry_t *e;
    size_t n, cap;
};

void hub_config_set(hub_config_t *self, const char *section, const char *key, const char *value)
{
    for (size_t i = 0; i < self->n; i++)
        if (!strcmp(self->e[i].section, section) && !strcmp(self->e[i].key, key)) {
            free(self->e[i].value);
            self->e[i].value = hub_strdup(value);
            return;
        }
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 32;
        self->e = realloc(self->e, self->cap * sizeof *self->e);
        if (!self->e) abort();
    }
    self->e[self->n++] = (entry_t){hub_strdup(section), hub_strdup(key), hub_strdup(value)};
}

static int s_handler(void *user, const char *section, const char *name, const char *value)
{
    hub_config_set(user, section, name, value);
    return 1;
}

hub_config_t *hub_config_new(void)
{
    hub_config_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    if (ini_parse_string(hub_default_config, s_handler, self)) abort(); /* checked by tests */
    return self;
}

void hub_config_destroy(hub_config_t **self_p)
{
    hub_config_t *self = *self_p;
    if (!self) return;
    for (size_t i = 0; i < self->n; i++) {
        free(self->e[i].section);
        free(self->e[i].key);
        free(self->e[i].value);
    }
    free(self->e);
    free(self);
    *self_p = NULL;
}

int hub_config_load_file(hub_config_t *self, const char *path, hub_error_t *err)
{
    int rc = ini_parse(path, s_handler, self);
    if (rc < 0)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "cannot read %s", path);
    if (rc > 0) /* Debian's inih also stops at lines over 200 bytes */
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "%s:%d: syntax error (or line too long)", path, rc);
    return 0;
}

const char *hub_config_get(const hub_config_t *self, const char *section, const char *key,
                           const char *dflt)
{
    for (size_t i = 0; i < self->n; i++)
        if (!strcmp(self->e[i].section, section) && !strcmp(self->e[i].key, key))
            return self->e[i].value;
    return dflt;
}

long hub_config_get_int(const hub_config_t *self, const char *section, const char *key, long dflt)
{
    const char *v = hub_config_get(self, section, key, NULL);
    if (!v || !*v) return dflt;
    char *end;
    long r = strtol(v, &end, 10);
    return *end ? dflt : r;
}

bool hub_config_get_bool(const hub_config_t *self, const char *section, const char *key, bool dflt)
{
    const char *v = hub_config_get(self, section, key, NULL);
    if (!v) return dflt;
    return !strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1");
}
