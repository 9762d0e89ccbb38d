"""MCAP files written by `rtshm record`, read by readers nobody here wrote: PyPI `mcap` with
`mcap-ros2-support` decodes each message into fields equal to what Rust wrote, and `rosbags`
opens the file as a ROS 2 bag. The Rust side is `python_peer record` (examples/python_peer.rs),
the recorder the `rtshm` CLI built with its `record` feature (RTSHM_CLI, or built here).

Skipped when the readers are not installed (ci/python.sh installs them)."""

import os
import pathlib
import signal
import subprocess
import time

import pytest

import rtshm

mcap_reader = pytest.importorskip("mcap.reader")
mcap_ros2_decoder = pytest.importorskip("mcap_ros2.decoder")
rosbags_highlevel = pytest.importorskip("rosbags.highlevel")

from test_interop import ROOT, pose  # noqa: E402  (the poses both sides compute)

COUNT = 200


@pytest.fixture(scope="module")
def cli():
    """The `rtshm` binary with MCAP support and the live view (feature `live`)."""
    if "RTSHM_CLI" in os.environ:
        return os.environ["RTSHM_CLI"]
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "rtshm-cli", "--features", "live"],
        cwd=ROOT,
        check=True,
    )
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "rtshm")


@pytest.fixture(scope="module")
def recording(cli, tmp_path_factory):
    """A recording of `python_peer record`: COUNT poses in a SeqLock, a Ring and a TimeSeries,
    recorded until Ctrl-C (SIGINT, which finishes the file cleanly)."""
    peer = os.environ.get("RTSHM_PEER") or str(
        pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "examples" / "python_peer"
    )
    if "RTSHM_PEER" not in os.environ:
        subprocess.run(["cargo", "build", "--quiet", "--example", "python_peer"], cwd=ROOT, check=True)
    name = f"pytest-record-{os.getpid()}"
    path = tmp_path_factory.mktemp("mcap") / "run.mcap"
    writer = subprocess.Popen(
        [peer, "record", name, str(COUNT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        names = [f"{name}-lock", f"{name}-ring", f"{name}-series", f"{name}-tracks"]
        recorder = subprocess.Popen(
            [cli, "record", "-o", str(path), *names], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(0.5)  # the recorder opens the segments
        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == f"wrote {COUNT}"
        time.sleep(0.3)
        recorder.send_signal(signal.SIGINT)  # Ctrl-C: the file is finished cleanly
        out, err = recorder.communicate(timeout=20)
        assert recorder.returncode == 0, err
    finally:
        writer.communicate(input="", timeout=20)
    return path, name, out


def pose_fields(msg, i):
    """The decoded message's pose fields equal pose(i) as Rust wrote it."""
    expected = pose(i)
    assert msg.stamp == expected[0]
    assert list(msg.position) == list(expected[1])
    assert [round(v, 6) for v in msg.orientation] == [round(v, 6) for v in expected[2]]
    assert list(msg.velocity) == list(expected[3])
    assert (msg.frame, msg.quality, msg.flags) == expected[4:]


def test_the_recorder_reports_every_value_and_no_laps(recording):
    _path, name, out = recording
    for kind in ("ring", "series", "tracks"):
        line = next(l for l in out.splitlines() if f"/{name}-{kind} " in l)
        assert f"{COUNT} messages" in line and line.rstrip().endswith("laps 0"), out


def test_mcap_with_ros2_support_decodes_the_fields_rust_wrote(recording):
    path, name, _ = recording
    by_topic = {}
    with open(path, "rb") as f:
        reader = mcap_reader.make_reader(f, decoder_factories=[mcap_ros2_decoder.DecoderFactory()])
        summary = reader.get_summary()
        for channel in summary.channels.values():
            assert channel.message_encoding == "cdr"
            assert summary.schemas[channel.schema_id].encoding == "ros2msg"
        for schema, channel, message, decoded in reader.iter_decoded_messages():
            by_topic.setdefault(channel.topic, []).append((message, decoded, channel.metadata))
    ring = by_topic[f"/{name}-ring"]
    assert len(ring) == COUNT
    for i, (_message, decoded, metadata) in enumerate(ring):
        pose_fields(decoded, i)
    assert ring[0][2]["rtshm.kind"] == "Ring" and ring[0][2]["rtshm.capacity"] == "64"
    series = by_topic[f"/{name}-series"]
    assert len(series) == COUNT
    for i, (message, decoded, _) in enumerate(series):
        assert (decoded.stamp_ns, decoded.seq) == (1_000_000_000 + i * 1_000_000, i)
        assert message.publish_time == decoded.stamp_ns  # publish_time is the stamp
        pose_fields(decoded, i)
    # Nested structs and an array of structs: each field where Rust put it.
    tracks = by_topic[f"/{name}-tracks"]
    assert len(tracks) == COUNT
    for i, (_, t, _) in enumerate(tracks):
        f = float(i)
        assert t.id == i
        assert [(p.x, p.y, p.z) for p in t.points] == [(f, -f, 0.5), (2 * f, 1.0, -0.25)]
        assert (t.center.x, t.center.y, t.center.z) == (0.25, f, 3.0)
        assert (t.flags, t.quality, t.kind, t.score) == (i % 65536, i % 200, -7, i / 8.0)
    # A SeqLock at every version the recorder saw: in order, each one a pose Rust stored.
    lock = by_topic[f"/{name}-lock"]
    seen = [d.stamp // 1000 for _, d, _ in lock]
    assert seen == sorted(seen) and seen[-1] == COUNT - 1
    for _, decoded, _ in lock:
        pose_fields(decoded, decoded.stamp // 1000)


def test_rosbags_opens_the_file_as_a_ros2_bag(recording):
    path, name, _ = recording
    with rosbags_highlevel.AnyReader([pathlib.Path(path)]) as reader:
        topics = {c.topic: c for c in reader.connections}
        ring = topics[f"/{name}-ring"]
        assert ring.msgtype == "rtshm/msg/Pose64"
        count = 0
        for connection, _timestamp, raw in reader.messages(connections=[ring]):
            pose_fields(reader.deserialize(raw, connection.msgtype), count)
            count += 1
        assert count == COUNT
        # Nested types come from the file's definitions (the `MSG: rtshm/Point` section).
        tracks = topics[f"/{name}-tracks"]
        decoded = [reader.deserialize(raw, c.msgtype) for c, _, raw in reader.messages(connections=[tracks])]
        assert len(decoded) == COUNT
        assert decoded[5].points[1].x == 10.0 and decoded[5].center.y == 5.0 and decoded[5].kind == -7


def test_a_foxglove_websocket_client_receives_a_value_rust_wrote(cli):
    """`rtshm serve --all`, started before the segment exists (it joins without a restart),
    spoken to with the Foxglove WebSocket protocol (subprotocol foxglove.sdk.v1) by
    a client written here: advertise, subscribe, a binary message data frame whose CDR payload
    decodes (by the advertised .msg schema) to the pose Rust pushed."""
    import asyncio
    import json
    import struct

    import mcap.records
    websockets = pytest.importorskip("websockets")

    peer = os.environ.get("RTSHM_PEER") or str(ROOT / "target" / "debug" / "examples" / "python_peer")
    name = f"pytest-serve-{os.getpid()}"
    # `--all`, started before the segment exists: a new segment joins without a restart.
    server = subprocess.Popen([cli, "serve", "--all", "--port", "0"], stdout=subprocess.PIPE, text=True)
    writer = None
    try:
        line = server.stdout.readline()
        port = int(line.split("ws://127.0.0.1:")[1].split(":")[0])
        writer = subprocess.Popen([peer, "write", name, "3000"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        async def first_value():
            async with websockets.connect(
                f"ws://127.0.0.1:{port}", subprotocols=["foxglove.sdk.v1"], max_size=None
            ) as ws:
                channel = None
                while channel is None:
                    msg = await asyncio.wait_for(ws.recv(), 10)
                    if isinstance(msg, str) and json.loads(msg)["op"] == "advertise":
                        ours = [c for c in json.loads(msg)["channels"] if c["topic"] == f"/{name}"]
                        channel = ours[0] if ours else None
                assert (channel["encoding"], channel["schemaEncoding"]) == ("cdr", "ros2msg")
                await ws.send(json.dumps({"op": "subscribe", "subscriptions": [{"id": 7, "channelId": channel["id"]}]}))
                while True:
                    frame = await asyncio.wait_for(ws.recv(), 10)
                    if isinstance(frame, bytes) and frame[0] == 0x01:
                        subscription, log_time = struct.unpack_from("<IQ", frame, 1)
                        assert subscription == 7 and log_time > 0
                        return channel, frame[13:]

        channel, payload = asyncio.run(first_value())
        schema = mcap.records.Schema(
            id=1, name=channel["schemaName"], encoding="ros2msg", data=channel["schema"].encode()
        )
        decode = mcap_ros2_decoder.DecoderFactory().decoder_for("cdr", schema)
        value = decode(payload)
        pose_fields(value, value.stamp // 1000)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
        if writer is not None:
            writer.communicate(input="", timeout=30)
    assert server.returncode == 0
