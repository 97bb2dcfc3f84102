/* fuzz_config: the INI configuration an operator gives a daemon or hubctl
 * (--config FILE: hub_config_load_file over the embedded defaults,
 * common/hub_config.c with libinih), then the lookups every daemon makes.
 *
 * Input: the file's bytes, handed over as a memfd (/proc/self/fd/N) so the
 * real file path runs and no file is written. Invariants: a refusal has an
 * error code; loading the same file again is idempotent (every probed key
 * keeps its value). */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "hub_config.h"

static const char *const s_sections[] = {"hub", "intake", "matching", "notification", "tendering",
                                         "reporting", "hubctl", "fuzz"};
static const char *const s_keys[] = {"data_dir", "log_level", "api", "pub", "admin", "curve", "map_size_mb",
                                     "heartbeat_ms", "principals_file", "metrics", "listen", "catalogue"};
#define N_SECTIONS (sizeof s_sections / sizeof *s_sections)
#define N_KEYS (sizeof s_keys / sizeof *s_keys)

/* Every probed value (NULL when unset) as malloc'd copies in out. */
static void s_probe(const hub_config_t *cfg, char *out[N_SECTIONS][N_KEYS])
{
    for (size_t s = 0; s < N_SECTIONS; s++)
        for (size_t k = 0; k < N_KEYS; k++) {
            const char *v = hub_config_get(cfg, s_sections[s], s_keys[k], NULL);
            out[s][k] = v ? strdup(v) : NULL;
            (void)hub_config_get_int(cfg, s_sections[s], s_keys[k], -1);
            (void)hub_config_get_bool(cfg, s_sections[s], s_keys[k], false);
        }
}

FUZZ_TARGET(config)
{
    int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);
        FUZZ_CHECK(n > 0);
        off += (size_t)n;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    hub_config_t *cfg = hub_config_new();
    hub_error_t err = {0};
    if (hub_config_load_file(cfg, path, &err)) {
        FUZZ_CHECK(err.code != 0);
    } else {
        char *a[N_SECTIONS][N_KEYS], *b[N_SECTIONS][N_KEYS];
        s_probe(cfg, a);
        FUZZ_CHECK(hub_config_load_file(cfg, path, &err) == 0);
        s_probe(cfg, b);
        for (size_t s = 0; s < N_SECTIONS; s++)
            for (size_t k = 0; k < N_KEYS; k++) {
                FUZZ_CHECK(!a[s][k] == !b[s][k] && (!a[s][k] || !strcmp(a[s][k], b[s][k])));
                free(a[s][k]);
                free(b[s][k]);
            }
    }
    hub_config_destroy(&cfg);
    close(fd);
    return 0;
}
