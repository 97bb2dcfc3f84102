#!/usr/bin/python3
"""Writes the seed corpora of the protobuf harnesses (tests/fuzz/corpus/wire
and event), README "Fuzzing". Run after changing proto/*.proto:

    make BUILD=build/x build/x/gen/py/hub_pb2.py
    /usr/bin/python3 tests/fuzz/make_corpus.py build/x/gen/py   (Debian python3-protobuf)

wire/<message>: "<full name>\\0" + the message with every field set once
(strings "x"/"é", numbers 1, enums their second value, sub-messages two
levels deep, repeated fields twice). event/<topic>: a hub.Event of each
topic whose payload is such a message about request "hs-fuzz-1" (fuzz.h's
FUZZ_KNOWN_ID). The text corpora (hsds, catalogue, templates, config,
http) are written by hand."""
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "build/gen/py")
import hub_pb2, intake_pb2, matching_pb2, notification_pb2, reporting_pb2, tendering_pb2  # noqa: E402
from google.protobuf.descriptor import FieldDescriptor as F  # noqa: E402

MODULES = [hub_pb2, intake_pb2, matching_pb2, notification_pb2, reporting_pb2, tendering_pb2]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
KNOWN_ID = "hs-fuzz-1"


def fill(msg, depth=0):
    """Sets every field of msg once (oneofs: the first member)."""
    seen_oneofs = set()
    for f in msg.DESCRIPTOR.fields:
        if f.containing_oneof is not None:
            if f.containing_oneof.name in seen_oneofs:
                continue
            seen_oneofs.add(f.containing_oneof.name)
        reps = 2 if f.label == F.LABEL_REPEATED else 1
        for i in range(reps):
            if f.type == F.TYPE_MESSAGE:
                if depth >= 2:
                    break
                sub = getattr(msg, f.name).add() if reps == 2 else getattr(msg, f.name)
                fill(sub, depth + 1)
                continue
            if f.type == F.TYPE_STRING:
                v = KNOWN_ID if f.name in ("service_request_id", "request_id", "id") else ("x" if i == 0 else "é")
            elif f.type == F.TYPE_BYTES:
                v = b"\x01"
            elif f.type == F.TYPE_BOOL:
                v = True
            elif f.type == F.TYPE_ENUM:
                vals = f.enum_type.values
                v = vals[1].number if len(vals) > 1 else vals[0].number
            elif f.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
                v = 1.5
            else:
                v = 1
            if reps == 2:
                getattr(msg, f.name).append(v)
            else:
                setattr(msg, f.name, v)
    return msg


def write(sub, name, data):
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def main():
    for mod in MODULES:
        for mname, desc in mod.DESCRIPTOR.message_types_by_name.items():
            cls = getattr(mod, mname)
            write("wire", desc.full_name, desc.full_name.encode() + b"\0" + fill(cls()).SerializeToString())
    topics = {
        "intake.request.accepted": intake_pb2.RequestEvent, "intake.request.closed": intake_pb2.RequestEvent,
        "intake.opinion.received": intake_pb2.OpinionEvent, "intake.opinion.linked": intake_pb2.OpinionEvent,
        "intake.activity.created": intake_pb2.ActivityEvent, "intake.activity.cancelled": intake_pb2.ActivityEvent,
        "intake.registration.confirmed": intake_pb2.RegistrationEvent,
        "intake.registration.promoted": intake_pb2.RegistrationEvent,
        "intake.registration.attended": intake_pb2.RegistrationEvent,
        "matching.referral.offered": matching_pb2.ReferralEvent,
        "matching.referral.completed": matching_pb2.ReferralEvent,
        "matching.org.added": matching_pb2.ProviderEvent, "matching.volunteer.added": matching_pb2.ProviderEvent,
        "tendering.tender.awarded": tendering_pb2.TenderEvent, "tendering.payment.made": tendering_pb2.TenderEvent,
        "funds.donation.received": tendering_pb2.FundsEvent, "funds.disbursement.made": tendering_pb2.FundsEvent,
        "notification.delivery.sent": notification_pb2.DeliveryEvent,
    }
    for seq, (topic, cls) in enumerate(sorted(topics.items()), start=2):
        ev = hub_pb2.Event(topic=topic, epoch=1, seq=seq, time_ms=1767312000000, source=topic.split(".")[0],
                           payload=fill(cls()).SerializeToString())
        write("event", topic, ev.SerializeToString())
    ev = hub_pb2.Event(topic="intake.request.accepted", epoch=1, seq=99, digest=True,
                       payload=reporting_pb2.RequestDigest(id=KNOWN_ID, channel="web").SerializeToString())
    write("event", "digest-forged", ev.SerializeToString())


if __name__ == "__main__":
    main()
