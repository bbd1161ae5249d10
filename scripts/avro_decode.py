#!/usr/bin/python3
"""Independent decoder for Dovetail topics: Debian's python3-confluent-kafka reads the
records and python3-avro decodes them, with writer schemas fetched only through the schema
registry's REST API (GET /schemas/ids/{id}). Nothing of Dovetail's code is used.

Usage: avro_decode.py BROKERS REGISTRY_URL TOPIC [TOPIC...]
Prints one JSON object per record: topic, partition, offset, key, value, key_schema_id,
value_schema_id. Reads each topic from the beginning to its end, then exits.
"""
import base64
import io
import json
import struct
import sys
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Consumer, TopicPartition

_schemas = {}


def schema(registry, sid):
    if sid not in _schemas:
        with urllib.request.urlopen(f"{registry}/schemas/ids/{sid}") as r:
            body = json.load(r)
        _schemas[sid] = avro.schema.parse(body["schema"])
    return _schemas[sid]


def decode(registry, data):
    if data is None:
        return None, None
    if len(data) < 5 or data[0] != 0:
        raise ValueError(f"not Confluent framed: {data[:5]!r}")
    sid = struct.unpack(">I", data[1:5])[0]
    reader = avro.io.DatumReader(schema(registry, sid))
    return reader.read(avro.io.BinaryDecoder(io.BytesIO(data[5:]))), sid


def jsonable(v):
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if type(v).__name__ == "Decimal":
        return str(v)
    return v


def main():
    brokers, registry, topics = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3:]
    c = Consumer({"bootstrap.servers": brokers, "group.id": "dovetail-avro-decode",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    parts = []
    for t in topics:
        md = c.list_topics(t, timeout=10).topics[t]
        if md.error is not None:
            raise SystemExit(f"topic {t}: {md.error}")
        for p in md.partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
            if hi > lo:
                parts.append((TopicPartition(t, p, lo), hi))
    c.assign([tp for tp, _ in parts])
    left = {(tp.topic, tp.partition): hi for tp, hi in parts}
    while left:
        m = c.poll(10)
        if m is None:
            raise SystemExit(f"timed out with {left} unread")
        if m.error():
            raise SystemExit(f"consume: {m.error()}")
        k = (m.topic(), m.partition())
        key, ksid = decode(registry, m.key())
        value, vsid = decode(registry, m.value())
        print(json.dumps({"topic": m.topic(), "partition": m.partition(), "offset": m.offset(),
                          "key": jsonable(key), "value": jsonable(value),
                          "key_schema_id": ksid, "value_schema_id": vsid}, sort_keys=True))
        if k in left and m.offset() + 1 >= left[k]:
            del left[k]
    c.close()


if __name__ == "__main__":
    main()
