/* hub_config: the INI configuration (libinih). The embedded default
 * (deploy/hub.ini, linked into every binary) is read first, then the
 * operator's file overrides key by key. */
#ifndef HUB_CONFIG_H
#define HUB_CONFIG_H

#include <stdbool.h>

#include "hub_wire.h"

typedef struct hub_config hub_config_t;

/* The embedded default configuration text (NUL-terminated). */
extern const char hub_default_config[];

/* New config holding the embedded defaults. Caller owns it. */
hub_config_t *hub_config_new(void);
void hub_config_destroy(hub_config_t **self_p);
/* Reads an INI file over the current values. 0, or -1 with err naming the
 * file and line. */
int hub_config_load_file(hub_config_t *self, const char *path, hub_error_t *err);
/* Sets one value (e.g. from a command-line option). */
void hub_config_set(hub_config_t *self, const char *section, const char *key, const char *value);
/* Value of section.key, or dflt. Borrowed until the next set/load. */
const char *hub_config_get(const hub_config_t *self, const char *section, const char *key,
                           const char *dflt);
long hub_config_get_int(const hub_config_t *self, const char *section, const char *key, long dflt);
bool hub_config_get_bool(const hub_config_t *self, const char *section, const char *key, bool dflt);

#endif
