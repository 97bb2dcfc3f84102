#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "hub_util.h"

const char *harness_bin(const char *name)
{
    static char path[512];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/bin/%s", build && *build ? build : "build", name);
    return path;
}

/* Writes [hub], the base's section, then each peer's (oldest first). */
static void s_write_peers(FILE *f, const harness_t *base, const harness_t *p)
{
    if (!p) return;
    s_write_peers(f, base, p->next);
    fprintf(f, "\n[%s]\napi = %s\npub = %s\n%s_api = %s\n%s_pub = %s\n%s\n", p->name, p->api, p->pub,
            base->name, base->api, base->name, base->pub, p->extra);
}

int harness_write_config(harness_t *h)
{
    harness_t *base = h->base ? h->base : h;
    FILE *f = fopen(base->config, "w");
    if (!f) return -1;
    fprintf(f, "[hub]\ndata_dir = %s/var\nheartbeat_ms = 100\nlog_level = warn\n\n"
               "[%s]\napi = %s\npub = %s\n%s\n",
            base->dir, base->name, base->api, base->pub, base->extra);
    s_write_peers(f, base, base->next);
    return fclose(f) ? -1 : 0;
}

int harness_init(harness_t *h, const char *extra_ini)
{
    memset(h, 0, sizeof *h);
    h->notify_fd = -1;
    snprintf(h->name, sizeof h->name, "intake");
    snprintf(h->dir, sizeof h->dir, "/tmp/hubtest.XXXXXX");
    if (!mkdtemp(h->dir)) return -1;
    snprintf(h->config, sizeof h->config, "%s/hub.ini", h->dir);
    snprintf(h->api, sizeof h->api, "ipc://%s/intake-api.sock", h->dir);
    snprintf(h->pub, sizeof h->pub, "ipc://%s/intake-pub.sock", h->dir);
    snprintf(h->notify, sizeof h->notify, "%s/notify.sock", h->dir);
    snprintf(h->bin, sizeof h->bin, "%s", harness_bin("hub-intake"));
    if (extra_ini) snprintf(h->extra, sizeof h->extra, "%s", extra_ini);
    return harness_write_config(h);
}

int harness_init_peer(harness_t *h, harness_t *base, const char *name, const char *extra_ini)
{
    memset(h, 0, sizeof *h);
    h->notify_fd = -1;
    if (!base || base->base || !name || !*name || strlen(name) >= sizeof h->name ||
        !strcmp(name, base->name))
        return -1;
    for (const harness_t *p = base->next; p; p = p->next)
        if (!strcmp(p->name, name)) return -1;
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->dir, sizeof h->dir, "%s", base->dir);
    snprintf(h->config, sizeof h->config, "%s", base->config);
    snprintf(h->api, sizeof h->api, "ipc://%s/%s-api.sock", h->dir, h->name);
    snprintf(h->pub, sizeof h->pub, "ipc://%s/%s-pub.sock", h->dir, h->name);
    snprintf(h->notify, sizeof h->notify, "%s/notify-%s.sock", h->dir, h->name);
    char bin[64];
    snprintf(bin, sizeof bin, "hub-%s", h->name);
    snprintf(h->bin, sizeof h->bin, "%s", harness_bin(bin));
    if (extra_ini) snprintf(h->extra, sizeof h->extra, "%s", extra_ini);
    h->base = base;
    h->next = base->next;
    base->next = h;
    return harness_write_config(h);
}

int harness_start(harness_t *h)
{
    if (h->notify_fd < 0) {
        h->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(h->notify) >= sizeof sa.sun_path) return -1;
        memcpy(sa.sun_path, h->notify, strlen(h->notify) + 1);
        unlink(h->notify);
        if (bind(h->notify_fd, (struct sockaddr *)&sa, sizeof sa)) return -1;
    }
    h->pid = fork();
    if (h->pid < 0) return -1;
    if (h->pid == 0) {
        /* a daemon never outlives a test program that failed half-way */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("NOTIFY_SOCKET", h->notify, 1);
        execl(h->bin, h->bin, "-c", h->config, (char *)NULL);
        _exit(127);
    }
    int64_t deadline = hub_mono_ms() + 15000;
    while (hub_mono_ms() < deadline) {
        struct pollfd p = {h->notify_fd, POLLIN, 0};
        if (poll(&p, 1, 100) == 1) {
            char buf[512];
            ssize_t n = recv(h->notify_fd, buf, sizeof buf - 1, 0);
            if (n > 0) {
                buf[n] = 0;
                const char *mp = strstr(buf, "MAINPID=");
                if (strstr(buf, "READY=1") && (!mp || atol(mp + 8) == (long)h->pid)) {
                    if (h->notify_keep) return 0; /* bound, never read again */
                    /* nobody reads the socket from now on: close it, so the
                     * daemon's later notifications (STATUS= every few
                     * seconds) fail at once instead of filling the queue
                     * (net.unix.max_dgram_qlen, 10; the daemon drops what
                     * does not fit, hub_notify); the next start binds it
                     * again */
                    close(h->notify_fd);
                    h->notify_fd = -1;
                    unlink(h->notify);
                    return 0;
                }
            }
        }
        int st;
        if (waitpid(h->pid, &st, WNOHANG) == h->pid) { h->pid = 0; return -1; }
    }
    return -1;
}

int harness_stop(harness_t *h, int sig)
{
    if (h->pid <= 0) return -1;
    kill(h->pid, sig);
    int64_t deadline = hub_mono_ms() + 15000;
    while (hub_mono_ms() < deadline) {
        int st;
        pid_t r = waitpid(h->pid, &st, WNOHANG);
        if (r == h->pid) {
            h->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

void harness_fini(harness_t *h)
{
    if (h->base) { /* a peer: unregister; the directory is the base's */
        for (harness_t **pp = &h->base->next; *pp; pp = &(*pp)->next)
            if (*pp == h) { *pp = h->next; break; }
        h->base = NULL;
        h->next = NULL;
        if (h->pid > 0) harness_stop(h, SIGKILL);
        if (h->notify_fd >= 0) close(h->notify_fd);
        h->notify_fd = -1;
        h->dir[0] = 0;
        return;
    }
    while (h->next) harness_fini(h->next);
    if (h->pid > 0) harness_stop(h, SIGKILL);
    if (h->notify_fd >= 0) close(h->notify_fd);
    h->notify_fd = -1;
    if (h->dir[0] && !getenv("HUB_TEST_KEEP")) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
        if (system(cmd)) { /* best effort */ }
    }
}

Intake__SubmitRequest *harness_request(hub_arena_t *a, const char *channel, const char *mid)
{
    Intake__SubmitRequest *s = hub_arena_alloc(a, sizeof *s);
    Intake__Request *r = hub_arena_alloc(a, sizeof *r);
    Intake__Person *p = hub_arena_alloc(a, sizeof *p);
    Intake__AttributeAnswer *ans = hub_arena_alloc(a, sizeof *ans);
    Intake__AttributeAnswer **answers = hub_arena_alloc(a, sizeof *answers);
    Intake__GeoPoint *loc = hub_arena_alloc(a, sizeof *loc);
    intake__geo_point__init(loc);
    loc->lat = 29.8683; /* 鼓楼, Ningbo */
    loc->lon = 121.5440;
    char **vals = hub_arena_alloc(a, sizeof *vals);
    intake__submit_request__init(s);
    intake__request__init(r);
    intake__person__init(p);
    intake__attribute_answer__init(ans);
    p->name = "王阿姨";
    p->phone = "13800000000";
    p->kind = INTAKE__REQUESTER_KIND__RESIDENT;
    vals[0] = "meal";
    ans->code = "care_type";
    ans->values = vals;
    ans->n_values = 1;
    answers[0] = ans;
    r->channel = hub_arena_strdup(a, channel);
    r->message_id = hub_arena_strdup(a, mid);
    r->requester = p;
    r->service_code = "elderly-care";
    r->attributes = answers;
    r->n_attributes = 1;
    r->description = "独居老人需要每日助餐服务";
    r->street = "鼓楼街道";
    r->address = "中山西路 1 号";
    r->location = loc;
    r->urgency = INTAKE__URGENCY__HIGH;
    r->preferred_contact = INTAKE__CONTACT_METHOD__PHONE;
    r->consent_to_contact = 1;
    s->request = r;
    return s;
}

/* Calls verb; NULL with *err (the verb in its message) when refused. */
static ProtobufCMessage *s_call(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                                const ProtobufCMessageDescriptor *d, hub_arena_t *a, hub_error_t *err)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t e = {0};
    if (!hub_client_call(c, verb, req, d, a, &rep, &e)) return rep;
    hub_error_set(err, e.code, e.field, "%s: %s", verb, e.message);
    return NULL;
}

int harness_intake_update(hub_client_t *c, const char *id, const char *action, const char *text,
                          const char *dup_of, const char *by, hub_error_t *err)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__UpdateRequest u = INTAKE__UPDATE_REQUEST__INIT;
    u.service_request_id = (char *)id;
    u.action = (char *)action;
    u.text = (char *)text;
    if (dup_of) u.duplicate_of = (char *)dup_of;
    if (by) u.by = (char *)by;
    bool ok = s_call(c, "intake.update", &u.base, &intake__update_reply__descriptor, a, err) != NULL;
    hub_arena_destroy(&a);
    return ok ? 0 : -1;
}

Matching__Organization *harness_add_org(hub_client_t *c, hub_arena_t *a, const char *id, const char *name,
                                        const char *service, const char *area, uint32_t cap, bool approve,
                                        hub_error_t *err)
{
    Matching__Organization o = MATCHING__ORGANIZATION__INIT;
    Matching__Capacity cp = MATCHING__CAPACITY__INIT;
    char *svcs[1] = {(char *)service}, *areas[1] = {(char *)area}, dflt[64];
    snprintf(dflt, sizeof dflt, "海曙%s互助社", id);
    o.id = (char *)id;
    o.name = (char *)(name ? name : dflt);
    o.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    o.services = svcs;
    o.n_services = 1;
    o.areas = areas;
    o.n_areas = 1;
    cp.available = cap;
    cp.maximum = cap;
    o.capacity = &cp;
    Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    q.org = &o;
    Matching__OrganizationReply *r = (Matching__OrganizationReply *)s_call(
        c, "matching.org.add", &q.base, &matching__organization_reply__descriptor, a, err);
    if (!r) return NULL;
    if (!r->org || strcmp(r->org->id, id)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "id", "matching.org.add: stored as \"%s\", not \"%s\"",
                      r->org ? r->org->id : "(none)", id);
        return NULL;
    }
    if (r->org->membership != MATCHING__MEMBERSHIP__APPLIED) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "membership", "matching.org.add: %s has membership %d, not APPLIED",
                      id, r->org->membership);
        return NULL;
    }
    if (!approve) return r->org;
    Matching__MembershipRequest m = MATCHING__MEMBERSHIP_REQUEST__INIT;
    m.id = (char *)id;
    m.membership = MATCHING__MEMBERSHIP__APPROVED;
    m.reason = "资料核验通过";
    r = (Matching__OrganizationReply *)s_call(c, "matching.org.membership", &m.base,
                                              &matching__organization_reply__descriptor, a, err);
    if (!r) return NULL;
    if (!r->org || r->org->membership != MATCHING__MEMBERSHIP__APPROVED) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "membership", "matching.org.membership: %s is not APPROVED", id);
        return NULL;
    }
    return r->org;
}

bool harness_wait(bool (*pred)(void *), void *arg, int deadline_ms)
{
    int64_t deadline = hub_mono_ms() + deadline_ms;
    for (;;) {
        if (pred(arg)) return true;
        if (hub_mono_ms() >= deadline) return false;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
}

pid_t harness_spawn(const char *const argv[], const char *out_path)
{
    int fd = -1;
    if (out_path && (fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fd >= 0 && (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)) _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (fd >= 0) close(fd);
    return pid;
}

int harness_kill(pid_t pid, int sig)
{
    if (pid <= 0) return -1;
    kill(pid, sig);
    int64_t deadline = hub_mono_ms() + 15000;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0) return -1;
        if (hub_mono_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
}

long harness_wait_number_file(const char *path, pid_t pid, int deadline_ms)
{
    int64_t deadline = hub_mono_ms() + deadline_ms;
    for (;;) {
        FILE *f = fopen(path, "r");
        if (f) {
            char buf[32];
            long v = 0;
            char *end = NULL;
            if (fgets(buf, sizeof buf, f) && strchr(buf, '\n')) v = strtol(buf, &end, 10);
            fclose(f);
            if (v > 0 && end && *end == '\n') return v;
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) return -1;
        if (hub_mono_ms() >= deadline) return -1;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
}

int harness_file_holds(const char *path, const char *const marks[], size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    int found = -1;
    if (!fstat(fd, &st) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            found = 0;
            for (size_t i = 0; i < n; i++) found += memmem(m, (size_t)st.st_size, marks[i], strlen(marks[i])) != NULL;
            munmap(m, (size_t)st.st_size);
        }
    }
    close(fd);
    return found;
}
