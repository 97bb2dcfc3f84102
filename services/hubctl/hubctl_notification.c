/* hubctl's commands for hub-notification: the recipient directory, the
 * inboxes, the delivery queue and its dead-letter list, and messages sent
 * from a template. Every call goes to [notification] api. Human output
 * prints enum values as lower-case words ("retrying", "webhook"), the same
 * words the options take; --json prints the daemon's reply. A webhook
 * secret is read from a file and is never printed (replies only say
 * whether there is one). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hub_util.h"
#include "notification.pb-c.h"
#include "table.h"

#define D "notification"
#define MAX_SECRET 1024     /* bytes of a webhook secret file's first line */
#define REQUEUE_ROUNDS 200  /* "requeue --all" pages (the daemon does 500 a call) */

const char ctl_notification_usage[] =
    "Commands (hub-notification):\n"
    "  inbox RECIPIENT [--after SEQ] [--limit N]\n"
    "                                    the messages in a recipient's inbox\n"
    "                                    (\"operators\" for the operators' own)\n"
    "  deliveries [dead] [--state queued|retrying|sent|dead] [--recipient R]\n"
    "             [--request ID] [--limit N] [--after ID]\n"
    "                                    the delivery queue (\"dead\": the dead-letter list)\n"
    "  deliveries requeue ID | --all     a dead delivery (or every one) back to the queue\n"
    "  delivery show ID                  one delivery: state, attempts, last error, text\n"
    "  recipient set ID [--name N] [--language zh|en] [--webhook URL]\n"
    "          [--secret-file F] [--email E] [--phone P]\n"
    "          [--channels webhook,email,sms,inbox] [--consent|--no-consent]\n"
    "          [--audiences organizations,volunteers,public]\n"
    "                                    add a recipient, or change the given fields of\n"
    "                                    one (a new one has consent); the webhook's HMAC\n"
    "                                    secret is the first line of F; --channels \"\"\n"
    "                                    = every channel that has an address;\n"
    "                                    --audiences: the activity announcements it gets\n"
    "                                    (\"\" = none)\n"
    "  recipient show ID                 a recipient (never its secret)\n"
    "  recipients [--limit N] [--after ID]\n"
    "  notify --to R[,R...] --template T --key K [--set NAME=VALUE]... [--urgent]\n"
    "         [--at \"YYYY-MM-DD HH:MM\"|+2h]\n"
    "                                    a message from a template, now or at a time\n"
    "                                    (CST, or +3d, +2h, +30m, +90s from now); K\n"
    "                                    makes a resend harmless\n";

const ProtobufCMessageDescriptor *ctl_notification_payload_type(const char *topic)
{
    if (!strncmp(topic, "notification.delivery.", 22)) return &notification__delivery_event__descriptor;
    return NULL;
}

/* ------------------------------------------------------------------ helpers */

static const char *s_state(int v) { return ctl_enum_word(&notification__delivery_state__descriptor, v, NULL); }
static const char *s_channel(int v) { return ctl_enum_word(&notification__channel__descriptor, v, NULL); }

/* ------------------------------------------------------------------ inbox */

/* "inbox RECIPIENT [--after SEQ] [--limit N]": notification.inbox.list as
 * a table (text on one line, cut to the column width). */
static int cmd_inbox(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"after", 1, 0, 'a'}, {"limit", 1, 0, 'l'}, {0, 0, 0, 0}};
    Notification__ListInboxRequest req = NOTIFICATION__LIST_INBOX_REQUEST__INIT;
    int o;
    optind = 0; /* 0 re-initializes GNU getopt (main parsed with "+") */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': if (ctl_parse_u64(optarg, &req.after_seq)) return ctl_bad("after", optarg, "wants a sequence number"); break;
        case 'l': if (ctl_parse_u32(optarg, &req.limit)) return ctl_bad("limit", optarg, "wants a whole number"); break;
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    req.recipient = argv[optind];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "notification.inbox.list", &req.base, &notification__list_inbox_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Notification__ListInboxReply *l = (Notification__ListInboxReply *)rep;
    table_t *t = table_new(6, "SEQ", "TIME (CST)", "TEMPLATE", "REQUEST", "SUBJECT", "TEXT");
    for (size_t i = 0; i < l->n_messages; i++) {
        const Notification__InboxMessage *m = l->messages[i];
        table_row(t, ctl_fmt(c, "%llu", (unsigned long long)m->seq), ctl_time_or_empty(m->time_ms), m->template_,
                  m->request_id, m->subject, m->text); /* table_print turns newlines into spaces */
    }
    table_print(t, stdout);
    if (l->next_after_seq)
        printf("more: hubctl inbox %s --after %llu\n", req.recipient, (unsigned long long)l->next_after_seq);
    return 0;
}

/* ------------------------------------------------------------------ deliveries */

/* The time the NEXT/SENT column shows: when the next attempt is due
 * (queued, retrying), when it was sent, or when it died. */
static const char *s_delivery_when(const Notification__Delivery *d)
{
    switch (d->state) {
    case NOTIFICATION__DELIVERY_STATE__SENT: return ctl_time_or_empty(d->sent_ms);
    case NOTIFICATION__DELIVERY_STATE__DEAD: return ctl_time_or_empty(d->dead_ms);
    default: return ctl_time_or_empty(d->next_ms);
    }
}

/* "deliveries requeue ID | --all": notification.delivery.requeue; prints
 * the ids put back in the queue. --all repeats the call while the daemon
 * returns full pages. */
static int s_requeue(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"all", 0, 0, 'A'}, {0, 0, 0, 0}};
    bool all = false;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'A') return ctl_usage();
        all = true;
    }
    /* argv[0] ("requeue") is skipped by getopt; then one id, or none with --all */
    if (argc - optind != (all ? 0 : 1)) return ctl_usage();
    Notification__RequeueReply *sum = ctl_alloc(c, sizeof *sum);
    notification__requeue_reply__init(sum);
    for (int round = 0; round < (all ? REQUEUE_ROUNDS : 1); round++) {
        Notification__RequeueRequest req = NOTIFICATION__REQUEUE_REQUEST__INIT;
        req.all = all;
        if (!all) req.id = argv[optind];
        ProtobufCMessage *rep;
        int rc = ctl_call(c, D, "notification.delivery.requeue", &req.base, &notification__requeue_reply__descriptor,
                          &rep);
        if (rc) return rc;
        Notification__RequeueReply *r = (Notification__RequeueReply *)rep;
        for (size_t i = 0; i < r->n_ids; i++) ctl_append(c, &sum->ids, &sum->n_ids, &r->ids[i], sizeof r->ids[i]);
        if (r->n_ids < 500) break;
    }
    if (c->json) { ctl_print_json(&sum->base); return 0; }
    if (!sum->n_ids) printf("no dead deliveries\n");
    for (size_t i = 0; i < sum->n_ids; i++) printf("%s requeued\n", sum->ids[i]);
    return 0;
}

/* "deliveries [dead] [--state S] [--recipient R] [--request ID] [--limit N]
 * [--after ID]": notification.delivery.list as a table; "deliveries
 * requeue ..." is s_requeue. */
static int cmd_deliveries(ctl_t *c, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "requeue")) return s_requeue(c, argc - 1, argv + 1);
    static const struct option opts[] = {{"state", 1, 0, 's'}, {"recipient", 1, 0, 'r'}, {"request", 1, 0, 'q'},
                                         {"limit", 1, 0, 'l'}, {"after", 1, 0, 'a'},     {0, 0, 0, 0}};
    Notification__ListDeliveriesRequest req = NOTIFICATION__LIST_DELIVERIES_REQUEST__INIT;
    int o, v;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if ((v = ctl_enum_parse(&notification__delivery_state__descriptor, optarg, NULL)) < 0)
                return ctl_bad("state", optarg,
                             ctl_fmt(c, "wants one of %s", ctl_enum_words(&notification__delivery_state__descriptor, NULL)));
            req.state = v;
            break;
        case 'r': req.recipient = optarg; break;
        case 'q': req.request_id = optarg; break;
        case 'l': if (ctl_parse_u32(optarg, &req.limit)) return ctl_bad("limit", optarg, "wants a whole number"); break;
        case 'a': req.after_id = optarg; break;
        default: return ctl_usage();
        }
    }
    bool dead = false;
    if (optind < argc) {
        if (strcmp(argv[optind], "dead") || argc - optind != 1) return ctl_usage();
        if (req.state && req.state != NOTIFICATION__DELIVERY_STATE__DEAD) {
            fprintf(stderr, "hubctl: \"deliveries dead\" lists dead deliveries only; drop --state\n");
            return EXIT_USAGE;
        }
        req.state = NOTIFICATION__DELIVERY_STATE__DEAD;
        dead = true;
    }
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "notification.delivery.list", &req.base, &notification__list_deliveries_reply__descriptor,
                      &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Notification__ListDeliveriesReply *l = (Notification__ListDeliveriesReply *)rep;
    table_t *t = table_new(8, "ID", "STATE", "CHANNEL", "RECIPIENT", "TEMPLATE", "ATTEMPTS", "NEXT/SENT (CST)",
                           "LAST ERROR");
    for (size_t i = 0; i < l->n_deliveries; i++) {
        const Notification__Delivery *d = l->deliveries[i];
        table_row(t, d->id, s_state(d->state), s_channel(d->channel), d->recipient, d->template_,
                  ctl_fmt(c, "%u", d->attempts), s_delivery_when(d), d->last_error);
    }
    table_print(t, stdout);
    if (*l->next_after_id) /* the same filters, from the next page on */
        printf("more: hubctl deliveries%s%s%s%s%s%s%s --after %s\n", dead ? " dead" : "",
               req.state && !dead ? " --state " : "", req.state && !dead ? s_state(req.state) : "",
               *req.recipient ? " --recipient " : "", req.recipient, *req.request_id ? " --request " : "",
               req.request_id, l->next_after_id);
    return 0;
}

/* Prints one delivery as "label  value" lines, then its text. */
static void s_delivery_print(ctl_t *c, const Notification__Delivery *d)
{
    ctl_kv("delivery", d->id);
    ctl_kv("state", s_state(d->state));
    ctl_kv("channel", s_channel(d->channel));
    ctl_kv("recipient", d->recipient);
    ctl_kv("address", d->address);
    ctl_kv("template", d->template_);
    ctl_kv("language", d->language);
    ctl_kv("request", d->request_id);
    ctl_kv("topic", d->topic);
    ctl_kv("urgent", d->urgent ? "yes" : "no");
    ctl_kv("attempts", ctl_fmt(c, "%u", d->attempts));
    if (d->last_status) ctl_kv("last status", ctl_fmt(c, "%d", d->last_status));
    ctl_kv("last error", d->last_error);
    ctl_kv("event", ctl_time_or_empty(d->event_ms));
    ctl_kv("created", ctl_time_or_empty(d->created_ms));
    if (d->state == NOTIFICATION__DELIVERY_STATE__QUEUED || d->state == NOTIFICATION__DELIVERY_STATE__RETRYING)
        ctl_kv("next attempt", ctl_time_or_empty(d->next_ms));
    ctl_kv("sent", ctl_time_or_empty(d->sent_ms));
    ctl_kv("dead", ctl_time_or_empty(d->dead_ms));
    ctl_kv("idempotency key", d->idempotency_key);
    for (size_t i = 0; i < d->n_data; i++)
        ctl_kv(i ? "" : "data", ctl_fmt(c, "%s=%s", d->data[i]->name, d->data[i]->value));
    ctl_kv("subject", d->subject);
    ctl_kv_text("text", d->text);
}

/* "delivery show ID" (notification.delivery.get); "delivery requeue ID"
 * is the same as "deliveries requeue ID". */
static int cmd_delivery(ctl_t *c, int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "requeue")) return s_requeue(c, argc - 1, argv + 1);
    if (argc != 3 || strcmp(argv[1], "show")) return ctl_usage();
    Notification__GetDeliveryRequest req = NOTIFICATION__GET_DELIVERY_REQUEST__INIT;
    req.id = argv[2];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "notification.delivery.get", &req.base, &notification__delivery_reply__descriptor, &rep);
    if (rc) return rc;
    Notification__Delivery *d = ((Notification__DeliveryReply *)rep)->delivery;
    if (c->json || !d) ctl_print_json(rep);
    else s_delivery_print(c, d);
    return 0;
}

/* ------------------------------------------------------------------ recipients */

/* The channels a recipient's messages use, as the daemon chooses them:
 * none without consent; else its list (empty: webhook, email and sms) of
 * those with an address ("email (no address)" for a chosen one without),
 * and the inbox always. */
static const char *s_channels_effective(ctl_t *c, const Notification__Recipient *r)
{
    if (!r->consent) return "none (no consent)";
    static const Notification__Channel dflt[] = {NOTIFICATION__CHANNEL__WEBHOOK, NOTIFICATION__CHANNEL__EMAIL,
                                                 NOTIFICATION__CHANNEL__SMS};
    const Notification__Channel *list = r->n_channels ? r->channels : dflt;
    size_t n = r->n_channels ? r->n_channels : 3;
    char buf[256] = "";
    for (size_t i = 0; i < n; i++) {
        const char *addr = list[i] == NOTIFICATION__CHANNEL__WEBHOOK ? r->webhook_url
                           : list[i] == NOTIFICATION__CHANNEL__EMAIL ? r->email
                           : list[i] == NOTIFICATION__CHANNEL__SMS   ? r->phone
                                                                     : NULL;
        if (!addr) continue; /* the inbox comes last, always */
        if (!*addr && !r->n_channels) continue;
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", s_channel(list[i]),
                 *addr ? " " : " (no address) ");
    }
    return ctl_fmt(c, "%sinbox%s", buf, r->n_channels ? "" : " (default: every channel with an address)");
}

/* The chosen channels as "webhook,inbox", or "default" for none. */
static const char *s_channels_list(ctl_t *c, const Notification__Recipient *r)
{
    if (!r->n_channels) return "default";
    char buf[256] = "";
    for (size_t i = 0; i < r->n_channels; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "", s_channel(r->channels[i]));
    return ctl_fmt(c, "%s", buf);
}

/* The audiences as "organizations,public", or "" for none. */
static const char *s_audiences_list(ctl_t *c, const Notification__Recipient *r)
{
    char buf[256] = "";
    for (size_t i = 0; i < r->n_audiences; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "", r->audiences[i]);
    return ctl_fmt(c, "%s", buf);
}

/* Prints a recipient as "label  value" lines (the secret only as yes/no). */
static void s_recipient_print(ctl_t *c, const Notification__Recipient *r)
{
    ctl_kv("recipient", r->id);
    ctl_kv("name", r->name);
    ctl_kv("language", *r->language ? r->language : "zh");
    ctl_kv("consent", r->consent ? "yes" : "no");
    ctl_kv("channels", s_channels_effective(c, r));
    ctl_kv("webhook", r->webhook_url);
    ctl_kv("webhook secret", r->has_webhook_secret ? "yes" : "no");
    ctl_kv("email", r->email);
    ctl_kv("phone", r->phone);
    ctl_kv("audiences", s_audiences_list(c, r));
    ctl_kv("updated", ctl_time_or_empty(r->updated_ms));
}

/* Reads the first line of path (without its line end) into the arena:
 * 0, or EXIT_REFUSED after saying why. */
static int s_read_secret(ctl_t *c, const char *path, char **out)
{
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return EXIT_REFUSED; }
    char *buf = ctl_alloc(c, MAX_SECRET + 2);
    if (!fgets(buf, MAX_SECRET + 2, f)) buf[0] = 0;
    int bad = ferror(f);
    fclose(f);
    if (bad) { fprintf(stderr, "hubctl: cannot read %s\n", path); return EXIT_REFUSED; }
    size_t len = strcspn(buf, "\r\n");
    if (len > MAX_SECRET) {
        fprintf(stderr, "hubctl: %s: the secret (first line) is longer than %d bytes\n", path, MAX_SECRET);
        return EXIT_REFUSED;
    }
    buf[len] = 0;
    if (!len) fprintf(stderr, "hubctl: %s: the first line is empty; the stored secret (if any) is kept\n", path);
    *out = buf;
    return 0;
}

/* Parses "webhook,email,inbox" into *list (arena); "" is the empty list
 * (every channel that has an address). 0 or EXIT_USAGE. */
static int s_parse_channels(ctl_t *c, const char *arg, Notification__Channel **list, size_t *n)
{
    *list = NULL;
    *n = 0;
    char *copy = hub_arena_strdup(c->arena, arg), *save = NULL;
    if (!copy) abort();
    for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        int v = ctl_enum_parse(&notification__channel__descriptor, w, NULL);
        if (v < 0)
            return ctl_bad("channels", arg,
                         ctl_fmt(c, "wants a list of %s (\"\" = every channel that has an address)",
                               ctl_enum_words(&notification__channel__descriptor, NULL)));
        Notification__Channel ch = v;
        bool dup = false;
        for (size_t i = 0; i < *n; i++) dup |= (*list)[i] == ch;
        if (!dup) ctl_append(c, list, n, &ch, sizeof ch);
    }
    return 0;
}

/* Splits "organizations,public" into *list (arena); "" is the empty list.
 * The daemon checks the words. */
static void s_parse_audiences(ctl_t *c, const char *arg, char ***list, size_t *n)
{
    *list = NULL;
    *n = 0;
    char *copy = hub_arena_strdup(c->arena, arg), *save = NULL;
    if (!copy) abort();
    for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) ctl_push(c, list, n, w);
}

/* "recipient set ID [options]": notification.recipient.put replaces the
 * whole record, so the stored one is read first (NOT_FOUND: a new one,
 * with consent) and only the options given change it. Every option is
 * checked (and the secret file read) before the daemon is asked. */
static int s_recipient_set(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", 1, 0, 'n'},    {"language", 1, 0, 'L'}, {"webhook", 1, 0, 'w'},    {"secret-file", 1, 0, 'S'},
        {"email", 1, 0, 'e'},   {"phone", 1, 0, 'p'},    {"channels", 1, 0, 'C'},   {"no-consent", 0, 0, 'N'},
        {"consent", 0, 0, 'Y'}, {"audiences", 1, 0, 'A'}, {0, 0, 0, 0}};
    const char *name = NULL, *lang = NULL, *webhook = NULL, *email = NULL, *phone = NULL;
    char *secret = NULL;
    Notification__Channel *chans = NULL;
    size_t n_chans = 0, n_auds = 0;
    char **auds = NULL;
    bool set_chans = false, set_auds = false;
    int consent = -1, o, rc;
    optind = 0; /* argv[0] ("set") is skipped by getopt */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'n': name = optarg; break;
        case 'L': lang = optarg; break;
        case 'w': webhook = optarg; break;
        case 'S': if ((rc = s_read_secret(c, optarg, &secret))) return rc; break;
        case 'e': email = optarg; break;
        case 'p': phone = optarg; break;
        case 'C':
            if ((rc = s_parse_channels(c, optarg, &chans, &n_chans))) return rc;
            set_chans = true;
            break;
        case 'A':
            s_parse_audiences(c, optarg, &auds, &n_auds);
            set_auds = true;
            break;
        case 'N': consent = 0; break;
        case 'Y': consent = 1; break;
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    const char *id = argv[optind];
    Notification__GetRecipientRequest get = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    get.id = (char *)id;
    ProtobufCMessage *rep;
    hub_error_t err;
    Notification__Recipient *r = NULL;
    rc = ctl_call_err(c, D, "notification.recipient.get", &get.base, &notification__recipient_reply__descriptor, &rep,
                      &err);
    if (rc == CTL_REFUSED && err.code != HUB__ERROR_CODE__NOT_FOUND) return ctl_refused(c, &err);
    if (rc && rc != CTL_REFUSED) return rc;
    bool created = rc == CTL_REFUSED;
    if (!created) r = ((Notification__RecipientReply *)rep)->recipient;
    if (!r) {
        r = ctl_alloc(c, sizeof *r);
        notification__recipient__init(r);
        r->id = (char *)id;
        r->consent = true;
        created = true;
    }
    r->webhook_secret = ""; /* "" keeps the stored secret */
    r->has_webhook_secret = false;
    if (name) r->name = (char *)name;
    if (lang) r->language = (char *)lang;
    if (webhook) r->webhook_url = (char *)webhook;
    if (secret) r->webhook_secret = secret;
    if (email) r->email = (char *)email;
    if (phone) r->phone = (char *)phone;
    if (set_chans) {
        r->channels = chans;
        r->n_channels = n_chans;
    }
    if (set_auds) {
        r->audiences = auds;
        r->n_audiences = n_auds;
    }
    if (consent >= 0) r->consent = consent;
    Notification__PutRecipientRequest put = NOTIFICATION__PUT_RECIPIENT_REQUEST__INIT;
    put.recipient = r;
    rc = ctl_call(c, D, "notification.recipient.put", &put.base, &notification__recipient_reply__descriptor, &rep);
    if (secret) memset(secret, 0, strlen(secret)); /* no copy lingers longer than needed */
    if (rc) return rc;
    Notification__Recipient *got = ((Notification__RecipientReply *)rep)->recipient;
    if (c->json || !got) { ctl_print_json(rep); return 0; }
    printf("%s %s\n", got->id, created ? "added" : "updated");
    return 0;
}

/* "recipient set|show ...". */
static int cmd_recipient(ctl_t *c, int argc, char **argv)
{
    if (argc < 3) return ctl_usage();
    if (!strcmp(argv[1], "set")) return s_recipient_set(c, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") || argc != 3) return ctl_usage();
    Notification__GetRecipientRequest req = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    req.id = argv[2];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "notification.recipient.get", &req.base, &notification__recipient_reply__descriptor, &rep);
    if (rc) return rc;
    Notification__Recipient *r = ((Notification__RecipientReply *)rep)->recipient;
    if (c->json || !r) ctl_print_json(rep);
    else s_recipient_print(c, r);
    return 0;
}

/* "recipients [--limit N] [--after ID]": notification.recipient.list. */
static int cmd_recipients(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"limit", 1, 0, 'l'}, {"after", 1, 0, 'a'}, {0, 0, 0, 0}};
    Notification__ListRecipientsRequest req = NOTIFICATION__LIST_RECIPIENTS_REQUEST__INIT;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'l': if (ctl_parse_u32(optarg, &req.limit)) return ctl_bad("limit", optarg, "wants a whole number"); break;
        case 'a': req.after_id = optarg; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "notification.recipient.list", &req.base, &notification__list_recipients_reply__descriptor,
                      &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Notification__ListRecipientsReply *l = (Notification__ListRecipientsReply *)rep;
    table_t *t = table_new(11, "ID", "NAME", "LANG", "CONSENT", "CHANNELS", "WEBHOOK", "SECRET", "EMAIL", "PHONE",
                           "UPDATED (CST)", "AUDIENCES");
    for (size_t i = 0; i < l->n_recipients; i++) {
        const Notification__Recipient *r = l->recipients[i];
        table_row(t, r->id, r->name, *r->language ? r->language : "zh", r->consent ? "yes" : "no",
                  s_channels_list(c, r), r->webhook_url, r->has_webhook_secret ? "yes" : "no", r->email, r->phone,
                  ctl_time_or_empty(r->updated_ms), s_audiences_list(c, r));
    }
    table_print(t, stdout);
    if (*l->next_after_id) printf("more: hubctl recipients --after %s\n", l->next_after_id);
    return 0;
}

/* ------------------------------------------------------------------ notify */

/* "notify --to R[,R...] --template T --key K [--set NAME=VALUE]...
 * [--urgent] [--at "YYYY-MM-DD HH:MM"]": notification.send; prints the
 * deliveries made (one id a line), or the schedule's id. */
static int cmd_notify(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"to", 1, 0, 't'},  {"template", 1, 0, 'T'}, {"key", 1, 0, 'k'},
                                         {"set", 1, 0, 's'}, {"urgent", 0, 0, 'u'},   {"at", 1, 0, 'a'},
                                         {0, 0, 0, 0}};
    Notification__SendRequest req = NOTIFICATION__SEND_REQUEST__INIT;
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't': {
            char *copy = hub_arena_strdup(c->arena, optarg), *save = NULL;
            if (!copy) abort();
            for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
                ctl_append(c, &req.recipients, &req.n_recipients, &w, sizeof w);
            break;
        }
        case 'T': req.template_ = optarg; break;
        case 'k': req.key = optarg; break;
        case 'u': req.urgent = true; break;
        case 's': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) return ctl_bad("set", optarg, "wants NAME=VALUE");
            Notification__Placeholder *p = ctl_alloc(c, sizeof *p);
            notification__placeholder__init(p);
            *eq = 0;
            p->name = optarg;
            p->value = eq + 1;
            ctl_append(c, &req.data, &req.n_data, &p, sizeof p);
            break;
        }
        case 'a':
            if (ctl_parse_time(optarg, &req.at_ms)) return ctl_bad("at", optarg, "wants \"YYYY-MM-DD HH:MM\" (CST)");
            if (req.at_ms + 60000 < hub_now_ms())
                return ctl_bad("at", optarg, "is in the past (leave --at out to send now)");
            break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    if (!req.n_recipients || !*req.template_ || !*req.key) {
        fprintf(stderr, "hubctl: notify needs --to, --template and --key\n");
        return EXIT_USAGE;
    }
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "notification.send", &req.base, &notification__send_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Notification__SendReply *r = (Notification__SendReply *)rep;
    if (*r->schedule_id) {
        printf("%s scheduled for %s (CST)\n", r->schedule_id, ctl_time(req.at_ms));
        return 0;
    }
    for (size_t i = 0; i < r->n_delivery_ids; i++) printf("%s\n", r->delivery_ids[i]);
    if (r->skipped) printf("skipped %u recipient%s without consent\n", r->skipped, r->skipped == 1 ? "" : "s");
    if (!r->n_delivery_ids && !r->skipped) printf("nothing new: key %s was sent before\n", req.key);
    return 0;
}

const ctl_command_t ctl_notification_commands[] = {
    {"inbox", cmd_inbox},         {"deliveries", cmd_deliveries}, {"delivery", cmd_delivery},
    {"recipient", cmd_recipient}, {"recipients", cmd_recipients}, {"notify", cmd_notify},
    {NULL, NULL},
};
