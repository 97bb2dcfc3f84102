/* it_tendering_privacy: the donation box's people and a subject's export
 * and erasure (README "Personal data (PIPL)"), against the real hub-intake,
 * hub-matching, hub-tendering and hub-notification on ipc:// in a temp dir. Two people give
 * and receive; tendering.subject.export returns exactly the subject's
 * donations (by name) and disbursements (by phone, in any writing);
 * tendering.subject.erase blanks them, the ledger's balance is unchanged,
 * a raw scan of tendering's data.mdb finds none of the subject's markers
 * but all of the other person's (the store rewrite, hub_scrub), a repeat
 * changes nothing. `hubctl subject export` shows tendering's part, and
 * with tendering down prints the rest ("tendering": null) and exits
 * non-zero; `hubctl subject erase` with tendering down exits non-zero
 * with a warning (notification's directory entry with the phone is erased
 * all the same), and erases when run again with tendering up.
 * The role gate (operator only) is it_roles'. Waits are on conditions with
 * deadlines, never sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_client.h"
#include "notification.pb-c.h"
#include "tendering.pb-c.h"

#define WAIT_MS 15000 /* deadline of one condition (the rewrite runs 200 ms after the erase) */
#define STREET_A "鼓楼街道"
#define STREET_B "南门街道"

static void *s_zctx;

typedef struct {
    const char *name, *phone, *phone_written, *address, *memo;
} person_t;

/* two people; every marker unique, so a byte scan finds only their copies.
 * phone_written is how A's second disbursement wrote the same phone (B
 * has one, written plainly). */
static const person_t A = {"诸葛测试甲", "13912340077", "+86 139-1234-0077", "甲收款住址天一巷77号",
                           "甲的捐赠附言XYZ77"};
static const person_t B = {"上官测试乙", "13912340088", "13912340088", "乙收款住址柳汀街88号",
                           "乙的捐赠附言QRS88"};

typedef struct {
    harness_t in, mt, td, nt; /* notification: for hubctl subject export */
    hub_client_t *tdc;
    hub_arena_t *a;
} fx_t;

static int s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || !(f->a = hub_arena_new(16 << 20))) return -1;
    if (harness_init(&f->in, NULL) || harness_init_peer(&f->mt, &f->in, "matching", NULL)) return -1;
    char extra[1024];
    snprintf(extra, sizeof extra, "matching_api = %s\nmatching_pub = %s\n", f->mt.api, f->mt.pub);
    if (harness_init_peer(&f->td, &f->in, "tendering", extra) ||
        harness_init_peer(&f->nt, &f->in, "notification", extra))
        return -1;
    if (harness_start(&f->in) || harness_start(&f->mt) || harness_start(&f->td) || harness_start(&f->nt)) return -1;
    if (!(f->tdc = hub_client_new(s_zctx, f->td.api, NULL, 10000))) return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *f = *state;
    hub_client_destroy(&f->tdc);
    harness_fini(&f->nt);
    harness_fini(&f->td);
    harness_fini(&f->mt);
    harness_fini(&f->in);
    hub_arena_destroy(&f->a);
    free(f);
    return 0;
}

/* verb on tendering; the reply in f->a. err NULL: a refusal fails the test. */
static ProtobufCMessage *s_call(fx_t *f, const char *verb, const ProtobufCMessage *req,
                                const ProtobufCMessageDescriptor *d, hub_error_t *err)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t e = {0};
    int rc = hub_client_call(f->tdc, verb, req, d, f->a, &rep, err ? err : &e);
    if (rc && !err) fail_msg("%s: %s", verb, e.message);
    return rc ? NULL : rep;
}

static void s_donate(fx_t *f, const char *donor, const char *memo, int64_t fen)
{
    Tendering__DonateRequest q = TENDERING__DONATE_REQUEST__INIT;
    q.donor_name = (char *)(donor ? donor : "");
    q.anonymous = !donor;
    q.memo = (char *)memo;
    q.amount_fen = fen;
    s_call(f, "tendering.funds.donate", &q.base, &tendering__donate_reply__descriptor, NULL);
}

/* A disbursement to p (phone as written) on street; returns its id. */
static char *s_disburse(fx_t *f, const person_t *p, const char *phone, const char *street, int64_t fen)
{
    Tendering__DisburseRequest q = TENDERING__DISBURSE_REQUEST__INIT;
    Tendering__Disbursement d = TENDERING__DISBURSEMENT__INIT;
    d.recipient_name = (char *)p->name;
    d.recipient_phone = (char *)phone;
    d.recipient_address = (char *)p->address;
    d.street = (char *)street;
    d.purpose = "助学金";
    d.amount_fen = fen;
    q.disbursement = &d;
    Tendering__DisburseReply *r =
        (void *)s_call(f, "tendering.funds.disburse", &q.base, &tendering__disburse_reply__descriptor, NULL);
    return r->disbursement->id;
}

static Tendering__SubjectExportReply *s_export(fx_t *f, const char *phone, const char *name)
{
    Tendering__SubjectExportRequest q = TENDERING__SUBJECT_EXPORT_REQUEST__INIT;
    Tendering__Subject s = TENDERING__SUBJECT__INIT;
    s.phone = (char *)phone, s.name = (char *)name;
    q.subject = &s;
    return (void *)s_call(f, "tendering.subject.export", &q.base, &tendering__subject_export_reply__descriptor, NULL);
}

static Tendering__SubjectEraseReply *s_erase(fx_t *f, const char *phone, const char *name, hub_error_t *err)
{
    Tendering__SubjectEraseRequest q = TENDERING__SUBJECT_ERASE_REQUEST__INIT;
    Tendering__Subject s = TENDERING__SUBJECT__INIT;
    s.phone = (char *)phone, s.name = (char *)name;
    q.subject = &s;
    q.reason = "ticket 42";
    return (void *)s_call(f, "tendering.subject.erase", &q.base, &tendering__subject_erase_reply__descriptor, err);
}

static Tendering__BalanceReply *s_balance(fx_t *f)
{
    Tendering__BalanceRequest q = TENDERING__BALANCE_REQUEST__INIT;
    return (void *)s_call(f, "tendering.funds.balance", &q.base, &tendering__balance_reply__descriptor, NULL);
}

/* The balance's accounts and totals are the same in a and b, both reconciled. */
static void s_same_balance(const Tendering__BalanceReply *a, const Tendering__BalanceReply *b)
{
    assert_true(a->reconciled);
    assert_true(b->reconciled);
    assert_int_equal(a->total_debit_fen, b->total_debit_fen);
    assert_int_equal(a->total_credit_fen, b->total_credit_fen);
    assert_int_equal(a->entries, b->entries);
    assert_int_equal(a->n_accounts, b->n_accounts);
    for (size_t i = 0; i < a->n_accounts; i++) {
        assert_string_equal(a->accounts[i]->name, b->accounts[i]->name);
        assert_int_equal(a->accounts[i]->balance_fen, b->accounts[i]->balance_fen);
    }
}

/* ---- raw store scan ---- */

/* How many of p's markers (name, phone in both writings, address, memo)
 * tendering's data.mdb holds (-1: unreadable). */
static int s_markers(fx_t *f, const person_t *p)
{
    char path[400];
    snprintf(path, sizeof path, "%s/var/tendering/data.mdb", f->in.dir);
    const char *const marks[] = {p->name, p->phone, p->phone_written, p->address, p->memo};
    return harness_file_holds(path, marks, 5);
}

typedef struct {
    fx_t *f;
    const person_t *p;
} clean_t;

static bool s_clean(void *arg)
{
    clean_t *c = arg;
    return s_markers(c->f, c->p) == 0;
}

/* Waits for the rewrite that follows an erasure to clear A's markers. */
static void s_wait_clean(fx_t *f, const person_t *p)
{
    clean_t c = {f, p};
    if (!harness_wait(s_clean, &c, WAIT_MS))
        fail_msg("tendering's data.mdb still holds %d of %s's markers", s_markers(f, p), p->name);
}

/* Both give, both receive (A twice, the phone written two ways), and an
 * anonymous donor gives. */
static void s_fill(fx_t *f, char **a1, char **a2, char **b1)
{
    s_donate(f, A.name, A.memo, 50000);
    s_donate(f, B.name, B.memo, 30000);
    s_donate(f, NULL, "", 10000);
    *a1 = s_disburse(f, &A, A.phone, STREET_A, 20000);
    *b1 = s_disburse(f, &B, B.phone_written, STREET_B, 15000);
    *a2 = s_disburse(f, &A, A.phone_written, STREET_A, 5000);
}

/* ============================================================ tests */

static void test_export_and_erase(void **state)
{
    fx_t *f = *state;
    char *a1, *a2, *b1;
    s_fill(f, &a1, &a2, &b1);
    assert_int_equal(s_markers(f, &A), 5); /* the scan sees what tendering keeps */
    assert_int_equal(s_markers(f, &B), 5);

    /* export: exactly A's donation (by name) and two disbursements (by phone) */
    Tendering__SubjectExportReply *x = s_export(f, A.phone, A.name);
    assert_int_equal(x->n_donations, 1);
    assert_string_equal(x->donations[0]->donor_name, A.name);
    assert_string_equal(x->donations[0]->memo, A.memo);
    assert_int_equal(x->n_disbursements, 2);
    assert_string_equal(x->disbursements[0]->id, a1);
    assert_string_equal(x->disbursements[1]->id, a2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(x->disbursements[i]->recipient_name, A.name);
        assert_string_equal(x->disbursements[i]->recipient_address, A.address);
    }
    /* a phone alone finds no donor (a donor has only a name); a name alone
     * finds no recipient (a recipient needs the phone); another name with
     * A's phone is not A */
    x = s_export(f, "0086 139 1234 0077", ""); /* the phone in a third writing */
    assert_int_equal(x->n_donations, 0);
    assert_int_equal(x->n_disbursements, 2);
    x = s_export(f, "", A.name);
    assert_int_equal(x->n_donations, 1);
    assert_int_equal(x->n_disbursements, 0);
    x = s_export(f, A.phone, B.name);
    assert_int_equal(x->n_donations, 1); /* B's donation: the name */
    assert_string_equal(x->donations[0]->donor_name, B.name);
    assert_int_equal(x->n_disbursements, 0);

    /* a subject is needed */
    hub_error_t err = {0};
    assert_null(s_erase(f, "", "", &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    /* the reason goes into the log: one printable line */
    Tendering__SubjectEraseRequest bad = TENDERING__SUBJECT_ERASE_REQUEST__INIT;
    Tendering__Subject bs = TENDERING__SUBJECT__INIT;
    bs.phone = (char *)A.phone;
    bad.subject = &bs;
    bad.reason = "ticket\nsubject erased by nobody";
    assert_null(s_call(f, "tendering.subject.erase", &bad.base, &tendering__subject_erase_reply__descriptor, &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "reason");

    Tendering__BalanceReply *before = s_balance(f);
    Tendering__SubjectEraseReply *e = s_erase(f, A.phone_written, A.name, NULL);
    assert_int_equal(e->n_donation_ids, 1);
    assert_int_equal(e->n_disbursement_ids, 2);
    s_wait_clean(f, &A);
    assert_int_equal(s_markers(f, &B), 5); /* B untouched */
    s_same_balance(before, s_balance(f));

    /* what stays: amounts, dates, street, purpose; the disclosure masks nothing left */
    Tendering__DisclosureRequest dq = TENDERING__DISCLOSURE_REQUEST__INIT;
    Tendering__DisclosureReply *d =
        (void *)s_call(f, "tendering.funds.disclosure", &dq.base, &tendering__disclosure_reply__descriptor, NULL);
    assert_int_equal(d->n_items, 3);
    assert_string_equal(d->items[0]->recipient, "*");
    assert_string_equal(d->items[0]->street, STREET_A);
    assert_string_equal(d->items[0]->purpose, "助学金");
    assert_int_equal(d->items[0]->amount_fen, 20000);
    assert_string_equal(d->items[1]->street, STREET_B);
    assert_string_not_equal(d->items[1]->recipient, "*");
    assert_int_equal(d->donations_fen, 90000);
    assert_int_equal(d->disbursed_fen, 40000);
    /* the donation is anonymous now, and nothing of A is found again */
    x = s_export(f, A.phone, A.name);
    assert_int_equal(x->n_donations, 0);
    assert_int_equal(x->n_disbursements, 0);
    x = s_export(f, B.phone, B.name);
    assert_int_equal(x->n_donations, 1);
    assert_int_equal(x->n_disbursements, 1);
    assert_string_equal(x->disbursements[0]->recipient_address, B.address);

    /* a repeat finds nothing and changes nothing */
    e = s_erase(f, A.phone, A.name, NULL);
    assert_int_equal(e->n_donation_ids, 0);
    assert_int_equal(e->n_disbursement_ids, 0);
    s_same_balance(before, s_balance(f));
    assert_int_equal(s_markers(f, &A), 0);
    assert_int_equal(s_markers(f, &B), 5);
}

/* Runs hubctl -c <config> args, output into out; its exit code. */
static int s_hubctl(fx_t *f, const char *args, const char *out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -c %s %s > %s 2>&1", harness_bin("hubctl"), f->in.config, args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *s_slurp(const char *path)
{
    static char buf[65536];
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp) fclose(fp);
    buf[n] = 0;
    return buf;
}

/* notification.recipient.get of id (the test fails if refused). */
static Notification__Recipient *s_nt_recipient(fx_t *f, hub_client_t *c, const char *id)
{
    Notification__GetRecipientRequest q = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    q.id = (char *)id;
    Notification__RecipientReply *r = NULL;
    hub_error_t err = {0};
    if (hub_client_call(c, "notification.recipient.get", &q.base, &notification__recipient_reply__descriptor, f->a,
                        (ProtobufCMessage **)&r, &err))
        fail_msg("notification.recipient.get: %s", err.message);
    return r->recipient;
}

static void test_hubctl_erase_needs_tendering(void **state)
{
    fx_t *f = *state;
    char *a1, *a2, *b1;
    s_fill(f, &a1, &a2, &b1);
    /* A is also in notification's directory (a volunteer, say) */
    hub_client_t *ntc = hub_client_new(s_zctx, f->nt.api, NULL, 10000);
    assert_non_null(ntc);
    Notification__PutRecipientRequest pq = NOTIFICATION__PUT_RECIPIENT_REQUEST__INIT;
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    r.id = "VOL-A", r.name = "目录诸葛测试", r.phone = (char *)A.phone_written, r.consent = true;
    pq.recipient = &r;
    ProtobufCMessage *pr;
    hub_error_t perr = {0};
    if (hub_client_call(ntc, "notification.recipient.put", &pq.base, &notification__recipient_reply__descriptor, f->a,
                        &pr, &perr))
        fail_msg("notification.recipient.put: %s", perr.message);
    char out[400], args[512], xargs[512];
    snprintf(out, sizeof out, "%s/hubctl.out", f->in.dir);
    snprintf(args, sizeof args, "subject erase --phone '%s' --name '%s' --reason 'ticket 43'", A.phone, A.name);
    snprintf(xargs, sizeof xargs, "subject export --phone '%s' --name '%s'", A.phone, A.name);

    /* the export shows tendering's part: A's, not B's; and the directory entry */
    int rc = s_hubctl(f, xargs, out);
    if (rc || !strstr(s_slurp(out), A.address) || !strstr(s_slurp(out), A.memo) || strstr(s_slurp(out), B.address) ||
        !strstr(s_slurp(out), "目录诸葛测试"))
        fail_msg("hubctl subject export exited %d: %s", rc, s_slurp(out));

    /* tendering down: the export prints the rest and fails; intake erases,
     * hubctl warns and fails so the operator retries */
    hub_client_destroy(&f->tdc);
    assert_int_equal(harness_stop(&f->td, SIGTERM), 0);
    rc = s_hubctl(f, xargs, out);
    if (!rc || !strstr(s_slurp(out), "\"tendering\": null") || !strstr(s_slurp(out), "\"intake\""))
        fail_msg("hubctl subject export exited %d with tendering down: %s", rc, s_slurp(out));
    rc = s_hubctl(f, args, out);
    if (!rc || !strstr(s_slurp(out), "but tendering did not") || strstr(s_slurp(out), "notification"))
        fail_msg("hubctl exited %d with tendering down: %s", rc, s_slurp(out));
    assert_int_equal(s_markers(f, &A), 5);
    Notification__Recipient *got = s_nt_recipient(f, ntc, "VOL-A"); /* notification was reached */
    assert_string_equal(got->phone, "");
    assert_string_equal(got->name, "");
    assert_false(got->consent);
    hub_client_destroy(&ntc);

    /* up again: the same command erases */
    assert_int_equal(harness_start(&f->td), 0);
    assert_non_null(f->tdc = hub_client_new(s_zctx, f->td.api, NULL, 10000));
    rc = s_hubctl(f, args, out);
    if (rc || !strstr(s_slurp(out), "tendering erased 2 donation-box recipients and 1 donors") ||
        !strstr(s_slurp(out), "notification erased 0 directory recipients")) /* done by the first run */
        fail_msg("hubctl exited %d: %s", rc, s_slurp(out));
    s_wait_clean(f, &A);
    assert_int_equal(s_markers(f, &B), 5);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_and_erase, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hubctl_erase_needs_tendering, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zmq_ctx_term(s_zctx);
    return rc;
}
