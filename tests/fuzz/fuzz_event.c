/* fuzz_event: a published event as its followers decode it.
 *
 * Input: the third frame of a PUB message, a serialized hub.Event. Path:
 * the envelope as hub_sub decodes it (hub_wire_unpack_max, the reply
 * limit), digest cleared as hub_feed does; the payload as matching,
 * notification and tendering decode it for its topic (hub_wire_unpack_max
 * of the topic's message); the dashboard's sanitized JSON line
 * (rep_dash_event_json); reporting's folding (rep_apply with a counter
 * accumulator and rep_acc_flush, in a write transaction on a store in a
 * private temp dir, aborted afterwards so every input starts from the same
 * state), once as received, once after rep_digest (the feed thread's
 * digest) and once with the digest flag forged on the raw payload. The
 * store holds one request (FUZZ_KNOWN_ID) so events about a known request
 * reach the update paths.
 *
 * Invariants: a refusal has an error code (or a store error); the JSON
 * line is valid JSON. */
#include <jansson.h>
#include <string.h>

#include "dash.h"
#include "fuzz.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"
#include "tendering.pb-c.h"

/* The payload message of a topic (README "For dashboard authors: events"), or NULL. */
static const ProtobufCMessageDescriptor *s_payload_desc(const char *topic)
{
    static const struct {
        const char *prefix;
        const ProtobufCMessageDescriptor *desc;
    } map[] = {
        {"intake.request.", &intake__request_event__descriptor},
        {"intake.opinion.", &intake__opinion_event__descriptor},
        {"intake.activity.", &intake__activity_event__descriptor},
        {"intake.registration.", &intake__registration_event__descriptor},
        {"intake.privacy.", &intake__anonymized_event__descriptor},
        {"intake.subject.", &intake__anonymized_event__descriptor},
        {"matching.referral.", &matching__referral_event__descriptor},
        {"matching.org.", &matching__provider_event__descriptor},
        {"matching.volunteer.", &matching__provider_event__descriptor},
        {"tendering.", &tendering__tender_event__descriptor},
        {"funds.", &tendering__funds_event__descriptor},
        {"notification.delivery.", &notification__delivery_event__descriptor},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strncmp(topic, map[i].prefix, strlen(map[i].prefix))) return map[i].desc;
    return NULL;
}

/* rep_apply + rep_acc_flush of ev in a write transaction, then aborted. */
static void s_fold(hub_store_t *st, rep_dbs_t *dbs, const Hub__Event *ev, hub_arena_t *arena)
{
    static rep_acc_t *acc;
    if (!acc && !(acc = rep_acc_new())) abort();
    rep_dbs_t db = *dbs;
    db.acc = acc;
    MDB_txn *txn;
    FUZZ_CHECK(mdb_txn_begin(st->env, NULL, 0, &txn) == 0);
    int mdb_rc = 0;
    hub_error_t err = {0};
    hub_arena_mark_t mark = hub_arena_mark(arena);
    int rc = rep_apply(txn, &db, ev, arena, &mdb_rc, &err);
    if (rc) {
        FUZZ_CHECK(mdb_rc != 0 || err.code != 0);
        rep_acc_clear(acc);
    } else {
        FUZZ_CHECK(rep_acc_flush(acc, txn, &db) == 0);
    }
    mdb_txn_abort(txn);
    hub_arena_rewind(arena, mark);
}

FUZZ_TARGET(event)
{
    static hub_arena_t *arena;
    if (!arena && !(arena = hub_arena_new(HUB_WIRE_ARENA_BUDGET * 2))) abort();
    hub_arena_reset(arena);
    rep_dbs_t dbs;
    hub_store_t *st = fuzz_report_store("event", &dbs);

    hub_error_t err = {0};
    Hub__Event *ev = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, data, size, HUB_WIRE_MAX_REPLY,
                                                       arena, &err);
    if (!ev) {
        FUZZ_CHECK(err.code != 0);
        return 0;
    }
    ev->digest = false; /* a publisher's word is never taken for a digest (hub_feed) */

    const ProtobufCMessageDescriptor *pd = s_payload_desc(ev->topic);
    if (pd) {
        hub_error_t perr = {0};
        hub_arena_mark_t mark = hub_arena_mark(arena);
        if (!hub_wire_unpack_max(pd, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, arena, &perr))
            FUZZ_CHECK(perr.code != 0);
        hub_arena_rewind(arena, mark);
    }

    char *line = rep_dash_event_json(ev);
    if (line) {
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (!j) fprintf(stderr, "fuzz: dashboard line is not JSON (%s): %s\n", jerr.text, line);
        FUZZ_CHECK(j != NULL);
        json_decref(j);
        free(line);
    }

    s_fold(st, &dbs, ev, arena);
    Hub__Event digested = *ev;
    if (!rep_digest(&digested, arena)) {
        FUZZ_CHECK(digested.digest);
        s_fold(st, &dbs, &digested, arena);
    }
    Hub__Event forged = *ev;
    forged.digest = true;
    s_fold(st, &dbs, &forged, arena);
    return 0;
}
