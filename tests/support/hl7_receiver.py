#!/usr/bin/python3
"""An MLLP receiver for radbridge's delivery tests, written on python-hl7's
asyncio server (hl7.mllp.start_hl7_server; Debian's python3-hl7 under
/usr/bin/python3), so the sender is checked against a peer we did not write.

Usage: hl7_receiver.py --port PORT --record FILE --ready FILE
                       [--cert PEM --key PEM [--ca PEM] [--tls12]] [--answer CODE]

Listens on 127.0.0.1:PORT (TLS with --cert/--key; with --ca, senders must
show a client certificate issued by that CA; --tls12: TLS 1.2 only, so a
refused client certificate fails the sender's handshake, where TLS 1.3
refuses it after). Writes "ready" to the
ready file once it listens. Every message is parsed with python-hl7 and
answered as its MSH-10 (the control ID the test chose) says:
  AA-*, AE-*, AR-*, CA-*, CE-*, CR-*  an ACK with that MSA-1 code
  SILENT-*   no answer; the connection stays open
  OTHER-*    AA, but MSA-2 is MSH-10 + "-OTHER" (an ACK for another message)
  GARBAGE-*  a frame that is not HL7
  CLOSE-*    AA, then the connection is closed by us
  anything else  AA, or the code given with --answer
ACKs are python-hl7's Message.create_ack with MSH-10 "ACK-" + MSH-10.
Before answering, one JSON line per message is appended (and flushed) to
the record file: {"connection": N (1 for the first connection accepted),
"control_id": MSH-10, "type": MSH-9, "pid3": PID-3.1, "obx5": [OBX-5 ...],
"obx11": [OBX-11 ...], "obr25": OBR-25,
"answer": what was done (a code, SILENT, OTHER, GARBAGE), "ack": the frame
sent (empty when none)}. A message python-hl7 cannot parse is recorded with
"error" and answered with nothing; the connection is closed.
"""
import argparse
import asyncio
import json
import ssl
import sys

import hl7
import hl7.mllp

CODES = ("AA", "AE", "AR", "CA", "CE", "CR")


def field(message, path):
    try:
        return str(message[path])
    except (KeyError, IndexError):
        return ""


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    parser.add_argument("--tls12", action="store_true")
    parser.add_argument("--answer", choices=CODES, default="AA")
    args = parser.parse_args()

    record = open(args.record, "a", encoding="utf-8")
    connections = 0

    def write(entry):
        record.write(json.dumps(entry) + "\n")
        record.flush()

    async def on_connection(reader, writer):
        nonlocal connections
        connections += 1
        number = connections
        try:
            while True:
                try:
                    message = await reader.readmessage()
                except asyncio.IncompleteReadError:
                    return  # the sender closed
                except Exception as e:  # not HL7, or not a block
                    write({"connection": number, "error": type(e).__name__})
                    return
                control_id = field(message, "MSH.F10")
                prefix = control_id.split("-", 1)[0]
                entry = {
                    "connection": number,
                    "control_id": control_id,
                    "type": str(message.segment("MSH")(9)),
                    "pid3": field(message, "PID.F3.R1.C1"),
                    "obx5": [str(s(5)) for s in message.segments("OBX")] if _has(message, "OBX") else [],
                    "obx11": [str(s(11)) for s in message.segments("OBX")] if _has(message, "OBX") else [],
                    "obr25": field(message, "OBR.F25") if _has(message, "OBR") else "",
                }
                if prefix == "SILENT":
                    entry.update(answer="SILENT", ack="")
                    write(entry)
                    continue
                if prefix == "GARBAGE":
                    frame = "this is not an HL7 message"
                    entry.update(answer="GARBAGE", ack=frame)
                    write(entry)
                    writer.writeblock(frame.encode("ascii"))
                    await writer.drain()
                    continue
                code = prefix if prefix in CODES else args.answer
                ack = message.create_ack(code, message_id="ACK-" + control_id)
                if prefix == "OTHER":
                    ack.segment("MSA")[2] = control_id + "-OTHER"
                text = str(ack)
                entry.update(answer="OTHER" if prefix == "OTHER" else code, ack=text)
                write(entry)
                writer.writeblock(text.encode("ascii"))
                await writer.drain()
                if prefix == "CLOSE":
                    return
        finally:
            writer.close()

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.ca:
            context.load_verify_locations(cafile=args.ca)
            context.verify_mode = ssl.CERT_REQUIRED
        if args.tls12:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
    server = await hl7.mllp.start_hl7_server(on_connection, "127.0.0.1", args.port, ssl=context)
    with open(args.ready, "w", encoding="ascii") as ready:
        ready.write("ready\n")
    async with server:
        await server.serve_forever()


def _has(message, name):
    try:
        message.segments(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
