/* fuzz_util: the harnesses' private temp directory and stores (fuzz.h). */
#include "fuzz.h"

#include <ftw.h>
#include <string.h>
#include <unistd.h>

#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "reporting_svc.h"

static char s_dir[512];

#define FUZZ_MAX_STORES 4      /* distinct store names the harnesses use */
#define FUZZ_STORE_MAP (64u << 20)

static struct {
    char name[32];
    hub_store_t *store;
    rep_dbs_t dbs;
} s_stores[FUZZ_MAX_STORES];

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* atexit: closes the stores and removes the directory. */
static void s_cleanup(void)
{
    for (int i = 0; i < FUZZ_MAX_STORES; i++) hub_store_close(&s_stores[i].store);
    if (*s_dir) nftw(s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    *s_dir = 0;
}

const char *fuzz_tmpdir(void)
{
    if (*s_dir) return s_dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(s_dir, sizeof s_dir, "%s/hub-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s_dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(s_cleanup);
    return s_dir;
}

/* Applies one event (topic, payload msg) to st and commits. */
static void s_seed_event(hub_store_t *st, const rep_dbs_t *dbs, const char *topic, uint64_t seq,
                         int64_t time_ms, const ProtobufCMessage *msg)
{
    hub_arena_t *arena = hub_arena_new(1u << 20);
    if (!arena) abort();
    Hub__Event ev = HUB__EVENT__INIT;
    ev.topic = (char *)topic;
    ev.source = (char *)(strncmp(topic, "intake.", 7) ? "matching" : "intake");
    ev.epoch = 1;
    ev.seq = seq;
    ev.time_ms = time_ms;
    size_t n;
    ev.payload.data = hub_wire_pack(msg, arena, &n);
    ev.payload.len = n;
    MDB_txn *txn;
    int mdb_rc = 0;
    hub_error_t err = {0};
    if (!ev.payload.data || mdb_txn_begin(st->env, NULL, 0, &txn)) abort();
    if (rep_apply(txn, dbs, &ev, arena, &mdb_rc, &err) || mdb_txn_commit(txn)) {
        fprintf(stderr, "fuzz: cannot seed the store with %s: %s\n", topic, err.message);
        abort();
    }
    hub_arena_destroy(&arena);
}

/* FUZZ_KNOWN_ID accepted by intake and offered to an organization. */
static void s_seed(hub_store_t *st, const rep_dbs_t *dbs)
{
    const int64_t t = 1767225600000; /* 2026-01-01 08:00 CST */
    Intake__Person who = INTAKE__PERSON__INIT;
    who.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    Intake__Request r = INTAKE__REQUEST__INIT;
    r.service_request_id = FUZZ_KNOWN_ID;
    r.channel = "wechat";
    r.service_code = "elderly-care";
    r.street = "白云街道";
    r.requester = &who;
    r.requested_ms = t;
    Intake__RequestEvent re = INTAKE__REQUEST_EVENT__INIT;
    re.action = "submitted";
    re.request = &r;
    s_seed_event(st, dbs, "intake.request.accepted", 1, t, &re.base);
    Matching__Referral ref = MATCHING__REFERRAL__INIT;
    ref.request_id = FUZZ_KNOWN_ID;
    ref.status = MATCHING__REFERRAL_STATUS__REQUESTED;
    ref.service_code = "elderly-care";
    ref.street = "白云街道";
    ref.provider_kind = MATCHING__PROVIDER_KIND__ORGANIZATION;
    ref.provider_id = "org-1";
    ref.provider_name = "Baiyun Elder Care";
    ref.created_ms = t + 1000;
    Matching__ReferralEvent rev = MATCHING__REFERRAL_EVENT__INIT;
    rev.action = "offered";
    rev.referral = &ref;
    s_seed_event(st, dbs, "matching.referral.offered", 1, t + 1000, &rev.base);
}

hub_store_t *fuzz_report_store(const char *name, rep_dbs_t *dbs)
{
    int i;
    for (i = 0; i < FUZZ_MAX_STORES && s_stores[i].store; i++)
        if (!strcmp(s_stores[i].name, name)) {
            *dbs = s_stores[i].dbs;
            return s_stores[i].store;
        }
    if (i == FUZZ_MAX_STORES) abort();
    char path[640];
    snprintf(path, sizeof path, "%s/%s", fuzz_tmpdir(), name);
    hub_error_t err = {0};
    hub_store_t *st = hub_store_open(path, FUZZ_STORE_MAP, reporting_db_names, &err);
    if (!st) {
        fprintf(stderr, "fuzz: cannot open a store in %s: %s\n", path, err.message);
        abort();
    }
    snprintf(s_stores[i].name, sizeof s_stores[i].name, "%s", name);
    s_stores[i].store = st;
    s_stores[i].dbs = (rep_dbs_t){.facts = st->dbs[REPORTING_DB_FACTS], .by_day = st->dbs[REPORTING_DB_BY_DAY],
                                  .counts = st->dbs[REPORTING_DB_COUNTS], .tenders = st->dbs[REPORTING_DB_TENDERS],
                                  .disclosures = st->dbs[REPORTING_DB_DISCLOSURES],
                                  .names = st->dbs[REPORTING_DB_NAMES],
                                  .activities = st->dbs[REPORTING_DB_ACTIVITIES]};
    *dbs = s_stores[i].dbs;
    s_seed(st, dbs);
    return st;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}
