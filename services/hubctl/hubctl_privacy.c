/* hubctl_privacy: the personal-data commands (README "Personal data
 * (PIPL)"): purge --older-than, subject export|erase, audit. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hub_json.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"
#include "tendering.pb-c.h"

const char ctl_privacy_usage[] =
    "Personal data (operator; README \"Personal data (PIPL)\"):\n"
    "  purge --older-than N(d|h)        anonymize closed/cancelled/duplicate requests last\n"
    "                                    changed, and opinions received, before that\n"
    "  subject export --phone P | --email E [--name N]\n"
    "                                    JSON of all the hub holds about the person\n"
    "  subject erase --phone P | --email E [--name N] [--reason R]\n"
    "                                    anonymize the person's requests (open ones are\n"
    "                                    cancelled) and opinions in every daemon, the\n"
    "                                    person as a volunteer or an organization's\n"
    "                                    contact in matching, notification directory's\n"
    "                                    recipients and deliveries with that phone or\n"
    "                                    e-mail, and the donation box's recipients (by\n"
    "                                    phone) and donors (by --name: a weak match) in\n"
    "                                    tendering\n"
    "  audit [--after ID] [--limit N]    erasures and purges: who, when, how many\n";

/* Parses "365d" / "12h" into milliseconds. 0 or -1. */
static int s_period(const char *s, int64_t *ms)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v <= 0 || v > 100000) return -1;
    if (!strcmp(end, "d")) *ms = v * 86400000LL;
    else if (!strcmp(end, "h")) *ms = v * 3600000LL;
    else return -1;
    return 0;
}

static int cmd_purge(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"older-than", 1, 0, 'o'}, {0, 0, 0, 0}};
    int64_t ms = 0;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'o') return ctl_usage();
        if (s_period(optarg, &ms)) return ctl_bad("--older-than", optarg, "a number of days (365d) or hours (12h)");
    }
    if (!ms || optind != argc) return ctl_usage();
    Intake__PurgeRequest req = INTAKE__PURGE_REQUEST__INIT;
    req.older_than_ms = ms;
    req.after_id = "";
    size_t nr = 0, no = 0, examined = 0;
    do { /* batches, so the daemon's loop never stalls */
        Intake__PurgeReply *rep;
        int rc = ctl_call(c, "intake", "intake.purge", &req.base, &intake__purge_reply__descriptor,
                          (ProtobufCMessage **)&rep);
        if (rc) return rc;
        nr += rep->n_request_ids;
        no += rep->n_opinion_ids;
        examined += rep->examined;
        req.after_id = rep->next_after_id;
    } while (*req.after_id);
    if (c->json) printf("{\"requests_anonymized\": %zu, \"opinions_anonymized\": %zu, \"examined\": %zu}\n", nr, no,
                        examined);
    else printf("anonymized %zu requests and %zu opinions (%zu records examined)\n", nr, no, examined);
    return EXIT_OK;
}

/* Reads --phone/--email/--name/--reason into s and *reason. */
static int s_subject_opts(int argc, char **argv, Intake__Subject *s, const char **reason)
{
    static const struct option opts[] = {{"phone", 1, 0, 'p'}, {"email", 1, 0, 'e'}, {"name", 1, 0, 'n'},
                                         {"reason", 1, 0, 'r'}, {0, 0, 0, 0}};
    int o;
    optind = 2;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': s->phone = optarg; break;
        case 'e': s->email = optarg; break;
        case 'n': s->name = optarg; break;
        case 'r': if (reason) { *reason = optarg; break; } /* fall through */
        default: return ctl_usage();
        }
    }
    if (optind != argc || (!*s->phone && !*s->email)) return ctl_usage();
    return EXIT_OK;
}

/* Tendering's view of subject s (it keeps no request ids: the phone and
 * the name name its recipients and donors). */
static Tendering__Subject s_td_subject(const Intake__Subject *s)
{
    Tendering__Subject t = TENDERING__SUBJECT__INIT;
    t.phone = s->phone, t.email = s->email, t.name = s->name;
    return t;
}

/* Matching's view of subject s (volunteers and contact persons). */
static Matching__Subject s_mt_subject(const Intake__Subject *s)
{
    Matching__Subject m = MATCHING__SUBJECT__INIT;
    m.phone = s->phone, m.email = s->email, m.name = s->name;
    return m;
}

/* Prints out indented on stdout and frees it. */
static void s_print(json_t *out)
{
    char *text = json_dumps(out, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
    json_decref(out);
}

/* Adds msg as JSON under key of obj. */
static void s_put(json_t *obj, const char *key, const ProtobufCMessage *msg)
{
    json_object_set_new(obj, key, msg ? hub_json_from_pb(msg) : json_null());
}

static int s_export(ctl_t *c, const Intake__Subject *s)
{
    Intake__SubjectExportRequest ireq = INTAKE__SUBJECT_EXPORT_REQUEST__INIT;
    ireq.subject = (Intake__Subject *)s;
    Intake__SubjectExportReply *irep;
    int rc = ctl_call(c, "intake", "intake.subject.export", &ireq.base, &intake__subject_export_reply__descriptor,
                      (ProtobufCMessage **)&irep);
    if (rc) return rc;
    /* matching: the person as a volunteer or a contact person */
    Matching__Subject ms = s_mt_subject(s);
    Matching__SubjectExportRequest mxreq = MATCHING__SUBJECT_EXPORT_REQUEST__INIT;
    mxreq.subject = &ms;
    Matching__SubjectExportReply *mxrep;
    rc = ctl_call(c, "matching", "matching.subject.export", &mxreq.base, &matching__subject_export_reply__descriptor,
                  (ProtobufCMessage **)&mxrep);
    if (rc) return rc;
    json_t *out = json_object(), *refs = json_array();
    json_object_set_new(out, "subject_hash", json_string(irep->subject_hash));
    s_put(out, "intake", &irep->base);
    /* and the referral of each request (no contact details there) */
    for (size_t i = 0; i < irep->n_requests; i++) {
        Matching__GetReferralRequest mreq = MATCHING__GET_REFERRAL_REQUEST__INIT;
        mreq.request_id = irep->requests[i]->service_request_id;
        Matching__ReferralReply *mrep;
        hub_error_t err;
        rc = ctl_call_err(c, "matching", "matching.referral.get", &mreq.base, &matching__referral_reply__descriptor,
                          (ProtobufCMessage **)&mrep, &err);
        if (rc == CTL_REFUSED && err.code == HUB__ERROR_CODE__NOT_FOUND) continue;
        if (rc == CTL_REFUSED) rc = ctl_refused(c, &err);
        if (rc) { json_decref(out); json_decref(refs); return rc; }
        json_array_append_new(refs, hub_json_from_pb(&mrep->base));
    }
    json_t *m = hub_json_from_pb(&mxrep->base); /* "volunteers", "organizations" */
    if (!json_is_object(m)) { json_decref(m); m = json_object(); }
    if (!json_object_get(m, "volunteers")) json_object_set_new(m, "volunteers", json_array()); /* none: [] */
    if (!json_object_get(m, "organizations")) json_object_set_new(m, "organizations", json_array());
    json_object_set_new(m, "referrals", refs);
    json_object_set_new(out, "matching", m);
    /* notification: the requesters' contact, deliveries, directory entries */
    Notification__SubjectExportRequest nreq = NOTIFICATION__SUBJECT_EXPORT_REQUEST__INIT;
    nreq.phone = s->phone;
    nreq.email = s->email;
    for (size_t i = 0; i < irep->n_requests; i++)
        ctl_push(c, &nreq.request_ids, &nreq.n_request_ids, irep->requests[i]->service_request_id);
    Notification__SubjectExportReply *nrep;
    rc = ctl_call(c, "notification", "notification.subject.export", &nreq.base,
                  &notification__subject_export_reply__descriptor, (ProtobufCMessage **)&nrep);
    if (rc) { json_decref(out); return rc; }
    s_put(out, "notification", &nrep->base);
    /* tendering: the donation box's recipients and donors */
    Tendering__Subject ts = s_td_subject(s);
    Tendering__SubjectExportRequest treq = TENDERING__SUBJECT_EXPORT_REQUEST__INIT;
    treq.subject = &ts;
    Tendering__SubjectExportReply *trep;
    rc = ctl_call(c, "tendering", "tendering.subject.export", &treq.base, &tendering__subject_export_reply__descriptor,
                  (ProtobufCMessage **)&trep);
    /* tendering unreachable: what the others gave is printed ("tendering":
     * null) and the exit code says it is incomplete */
    s_put(out, "tendering", rc ? NULL : &trep->base);
    if (rc) fprintf(stderr, "hubctl: warning: the export lacks tendering's part (\"tendering\": null)\n");
    s_print(out);
    return rc;
}

static int s_erase(ctl_t *c, const Intake__Subject *s, const char *reason)
{
    Intake__SubjectEraseRequest req = INTAKE__SUBJECT_ERASE_REQUEST__INIT;
    req.subject = (Intake__Subject *)s;
    req.reason = (char *)reason;
    Intake__SubjectEraseReply *rep;
    int rc = ctl_call(c, "intake", "intake.subject.erase", &req.base, &intake__subject_erase_reply__descriptor,
                      (ProtobufCMessage **)&rep);
    if (rc) return rc;
    /* matching, notification's directory and tendering by a command each:
     * the event names no volunteer, contact person, phone, e-mail, donor or
     * recipient. Their log lines name intake's audit entry, which holds the
     * reason. All three are tried, whatever the others answer. */
    char why[64];
    snprintf(why, sizeof why, "intake audit %s", rep->audit_id);
    Matching__Subject ms = s_mt_subject(s);
    Matching__SubjectEraseRequest mreq = MATCHING__SUBJECT_ERASE_REQUEST__INIT;
    mreq.subject = &ms;
    mreq.reason = why;
    Matching__SubjectEraseReply *mrep = NULL;
    int mrc = ctl_call(c, "matching", "matching.subject.erase", &mreq.base, &matching__subject_erase_reply__descriptor,
                       (ProtobufCMessage **)&mrep);
    Notification__SubjectEraseRequest nreq = NOTIFICATION__SUBJECT_ERASE_REQUEST__INIT;
    nreq.phone = s->phone;
    nreq.email = s->email;
    nreq.reason = why;
    Notification__SubjectEraseReply *nrep = NULL;
    int nrc = ctl_call(c, "notification", "notification.subject.erase", &nreq.base,
                       &notification__subject_erase_reply__descriptor, (ProtobufCMessage **)&nrep);
    Tendering__Subject ts = s_td_subject(s);
    Tendering__SubjectEraseRequest treq = TENDERING__SUBJECT_ERASE_REQUEST__INIT;
    treq.subject = &ts;
    treq.reason = why;
    Tendering__SubjectEraseReply *trep = NULL;
    int trc = ctl_call(c, "tendering", "tendering.subject.erase", &treq.base, &tendering__subject_erase_reply__descriptor,
                       (ProtobufCMessage **)&trep);
    const char *failed[3];
    size_t n_failed = 0;
    if (mrc) failed[n_failed++] = "matching";
    if (nrc) failed[n_failed++] = "notification (its directory)";
    if (trc) failed[n_failed++] = "tendering";
    for (size_t i = 0; i < n_failed; i++)
        fprintf(stderr, "hubctl: warning: intake erased the subject (audit %s) but %s did not: "
                        "run the same `hubctl subject erase` again when it is reachable\n", rep->audit_id, failed[i]);
    if (n_failed) return mrc ? mrc : nrc ? nrc : trc;
    if (c->json) {
        json_t *out = json_object();
        s_put(out, "intake", &rep->base);
        s_put(out, "matching", &mrep->base);
        s_put(out, "notification", &nrep->base);
        s_put(out, "tendering", &trep->base);
        s_print(out);
        return EXIT_OK;
    }
    printf("erased %zu requests (%u open ones cancelled, so matching withdraws their referrals) and %zu opinions "
           "of subject %s (audit %s);\n"
           "notification erases the requests' copies from the event intake.subject.erased;\n"
           "matching erased %zu volunteers and %u contact persons of %zu organizations (name blanked in %u referrals);\n"
           "notification erased %zu directory recipients and %zu deliveries to that phone or e-mail;\n"
           "tendering erased %zu donation-box recipients and %zu donors\n",
           rep->n_request_ids, rep->cancelled, rep->n_opinion_ids, rep->subject_hash, rep->audit_id,
           mrep->n_volunteer_ids, mrep->contacts_removed, mrep->n_org_ids, mrep->referrals_changed,
           nrep->n_recipient_ids, nrep->n_delivery_ids, trep->n_disbursement_ids, trep->n_donation_ids);
    return EXIT_OK;
}

static int cmd_subject(ctl_t *c, int argc, char **argv)
{
    if (argc < 2) return ctl_usage();
    Intake__Subject s = INTAKE__SUBJECT__INIT;
    const char *reason = "";
    bool erase = !strcmp(argv[1], "erase");
    if (!erase && strcmp(argv[1], "export")) return ctl_usage();
    int rc = s_subject_opts(argc, argv, &s, erase ? &reason : NULL);
    if (rc) return rc;
    return erase ? s_erase(c, &s, reason) : s_export(c, &s);
}

static int cmd_audit(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"after", 1, 0, 'a'}, {"limit", 1, 0, 'l'}, {0, 0, 0, 0}};
    Intake__ListAuditRequest req = INTAKE__LIST_AUDIT_REQUEST__INIT;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'a') req.after_id = optarg;
        else if (o == 'l') { if (ctl_parse_u32(optarg, &req.limit)) return ctl_bad("--limit", optarg, "a number"); }
        else return ctl_usage();
    }
    if (optind != argc) return ctl_usage();
    Intake__ListAuditReply *rep;
    int rc = ctl_call(c, "intake", "intake.audit.list", &req.base, &intake__list_audit_reply__descriptor,
                      (ProtobufCMessage **)&rep);
    if (rc) return rc;
    if (c->json) {
        ctl_print_json(&rep->base);
        return EXIT_OK;
    }
    printf("%-14s %-14s %-16s %-18s %8s %8s  %s\n", "ID", "ACTION", "TIME", "BY", "REQUESTS", "OPINIONS", "SUBJECT");
    for (size_t i = 0; i < rep->n_entries; i++) {
        const Intake__AuditEntry *a = rep->entries[i];
        printf("%-14s %-14s %-16s %-18s %8u %8u  %s\n", a->audit_id, a->action, ctl_time(a->time_ms), a->by,
               a->requests, a->opinions, a->subject_hash);
    }
    if (*rep->next_after_id) printf("more: hubctl audit --after %s\n", rep->next_after_id);
    return EXIT_OK;
}

const ctl_command_t ctl_privacy_commands[] = {
    {"purge", cmd_purge},
    {"subject", cmd_subject},
    {"audit", cmd_audit},
    {NULL, NULL},
};

const ProtobufCMessageDescriptor *ctl_privacy_payload_type(const char *topic)
{
    if (!strcmp(topic, "intake.privacy.anonymized") || !strcmp(topic, "intake.subject.erased"))
        return &intake__anonymized_event__descriptor;
    return NULL;
}
